/*-------------------------------------------------------------------------
 *
 * security.c
 *		The extension context: every statement pgmq_c runs does so with
 *		search_path pinned and as the role that owns the extension.
 *
 * pgmq_c's tables, sequences and partitions belong to the extension owner,
 * and no other role has any privilege on them or CREATE on schema pgmq_c.
 * An SQL entry point checks the caller's per-queue privilege (access.c) and
 * then runs its statements inside pgmqc_enter / pgmqc_leave, which
 *
 *	- pin search_path to "pg_catalog, pg_temp" in a GUC nest level, so that
 *	  no operator, function, type or relation a caller (or any role that can
 *	  create objects in a schema on the caller's path) planted is ever
 *	  resolved by a pgmq_c statement;
 *	- switch the current user to the extension owner with
 *	  SECURITY_LOCAL_USERID_CHANGE, as pg_cron does in C rather than through
 *	  SECURITY DEFINER: a SECURITY DEFINER or SET clause would make the
 *	  receive procedures atomic, and costs a catalog lookup per call.
 *
 * Nothing the caller controls executes inside the context: no trigger,
 * rule, policy, index expression or default exists on pgmq_c's objects
 * (only their owner could create one), and messages are data.
 *
 * A transaction or subtransaction abort restores both the user and the
 * settings, so an error between enter and leave needs no clean-up.  A
 * procedure that commits must leave first and enter again afterwards
 * (pgmqc_spi_commit): the next transaction would otherwise remember the
 * extension owner as the user to restore on abort.
 *
 * The background worker pins its settings once, for the whole process, at
 * PGC_S_OVERRIDE, as autovacuum does (pgmqc_pin_worker_settings), and runs
 * its work inside the same context.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/security.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "common/object_cache.h"
#include "common/security.h"
#include "common/timelines.h"

/* the role whose privileges entry points check; see pgmqc_caller() */
static Oid	caller_id = InvalidOid;

/* the innermost context entered, for pgmqc_spi_commit */
static PgmqcContext *current_cxt = NULL;

/* what we know about the installed extension; reset by invalidations */
static bool state_valid = false;
static Oid	ext_owner = InvalidOid;
static bool ext_secure = false;
static Oid	queues_relid = InvalidOid;
static Oid	access_relid = InvalidOid;
static bool callback_registered = false;

/*
 * Any invalidation of pgmq_c.queues (ALTER EXTENSION UPDATE alters it; DROP
 * EXTENSION drops it) or of every relation makes us look again.
 */
static void
security_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == queues_relid)
		state_valid = false;
}

/*
 * A transaction abort has restored the user and the settings of every
 * context it interrupted: forget them too.
 */
static void
security_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		caller_id = InvalidOid;
		current_cxt = NULL;
	}
}

/* The owner of extension pgmq_c, read from pg_extension. */
static Oid
read_extension_owner(Oid extoid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	Oid			owner = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

static void
load_state(void)
{
	Oid			extoid;
	Oid			nsp;

	if (state_valid)
		return;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(security_relcache_callback, (Datum) 0);
		RegisterXactCallback(security_xact_callback, NULL);
		callback_registered = true;
	}
	extoid = get_extension_oid("pgmq_c", true);
	if (!OidIsValid(extoid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pgmq_c\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION pgmq_c.")));
	ext_owner = read_extension_owner(extoid);
	nsp = get_namespace_oid("pgmq_c", false);
	queues_relid = get_relname_relid("queues", nsp);

	/* the access catalog arrives with 0.4.0 */
	access_relid = get_relname_relid("access", nsp);
	ext_secure = OidIsValid(access_relid);
	state_valid = true;
}

#if PG_VERSION_NUM < 170000
/*
 * The path every pgmq_c statement resolves names with: pg_catalog alone.
 * The temporary schema is left out altogether (a pinned GUC path has to
 * name it, last), and so is everything a caller or a database owner could
 * create objects in.  Built once; PushOverrideSearchPath copies it.
 */
static OverrideSearchPath *
pinned_path(void)
{
	static OverrideSearchPath *path = NULL;

	if (path == NULL)
	{
		path = MemoryContextAllocZero(TopMemoryContext,
									  sizeof(OverrideSearchPath));
		path->schemas = NIL;
		path->addCatalog = true;
		path->addTemp = false;
	}
	return path;
}
#endif

/*
 * pgmq_c.access, as last looked up (InvalidOid before that, or before
 * 0.4.0); never looks it up, so relcache callbacks may call it.
 */
Oid
pgmqc_access_relid(void)
{
	return access_relid;
}

Oid
pgmqc_extension_owner(void)
{
	load_state();
	return ext_owner;
}

bool
pgmqc_security_active(void)
{
	load_state();
	return ext_secure;
}

Oid
pgmqc_caller(void)
{
	return OidIsValid(caller_id) ? caller_id : GetUserId();
}

void
pgmqc_enter(PgmqcContext *cxt)
{
	GetUserIdAndSecContext(&cxt->save_userid, &cxt->save_sec_context);
	cxt->save_caller = caller_id;
	cxt->save_current = current_cxt;
	caller_id = cxt->save_userid;
	current_cxt = cxt;

#if PG_VERSION_NUM < 170000
	PushOverrideSearchPath(pinned_path());
#else
	cxt->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", PGMQC_PINNED_PATH,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
#endif

	if (pgmqc_security_active())
		SetUserIdAndSecContext(ext_owner,
							   cxt->save_sec_context | SECURITY_LOCAL_USERID_CHANGE);

	/* a new timeline: msg_ids past the old one's, before any is drawn */
	pgmqc_check_timeline();

	/* entering from outside, no kept statement is in use: bound them */
	if (cxt->save_current == NULL)
		pgmqc_object_cache_trim();
}

void
pgmqc_leave(PgmqcContext *cxt)
{
#if PG_VERSION_NUM < 170000
	PopOverrideSearchPath();
#else
	AtEOXact_GUC(true, cxt->guc_level);
#endif
	SetUserIdAndSecContext(cxt->save_userid, cxt->save_sec_context);
	caller_id = cxt->save_caller;
	current_cxt = cxt->save_current;
}

/* The CONTEXT line of an error during an entry point's action, if any. */
static void
action_error_context(void *arg)
{
	PgmqcContext *cxt = (PgmqcContext *) arg;

	if (cxt->action != NULL)
		errcontext("while %s", cxt->action);
}

static void
push_action_context(PgmqcContext *cxt)
{
	cxt->action = NULL;
	cxt->action_context.callback = action_error_context;
	cxt->action_context.arg = cxt;
	cxt->action_context.previous = error_context_stack;
	error_context_stack = &cxt->action_context;
}

void
pgmqc_spi_connect(PgmqcContext *cxt)
{
	SPI_connect();
	pgmqc_enter(cxt);
	push_action_context(cxt);
}

void
pgmqc_spi_connect_ext(PgmqcContext *cxt, int options)
{
	SPI_connect_ext(options);
	pgmqc_enter(cxt);
	push_action_context(cxt);
}

void
pgmqc_spi_finish(PgmqcContext *cxt)
{
	error_context_stack = cxt->action_context.previous;
	pgmqc_leave(cxt);
	SPI_finish();
}

/*
 * SPI_commit for a procedure running inside the extension context: the
 * context must not span the commit (see the file header).  Only called by
 * an entry point that entered the context, between its connect and finish.
 */
void
pgmqc_spi_commit(void)
{
	PgmqcContext *cxt = current_cxt;

	Assert(cxt != NULL);
	pgmqc_leave(cxt);
	SPI_commit();
	pgmqc_enter(cxt);
}

/*
 * Settings that would let a caller decide where or how pgmq_c makes tables,
 * or how the text of its statements is read: with standard_conforming_strings
 * off, a backslash in a literal escapes the next character, so a caller (or
 * a database owner, through ALTER DATABASE ... SET, for the worker) would
 * change what a statement prepared in its session means.  Held while a
 * statement is parsed (pgmqc_statement_prepare, pgmqc_run_once) and for the
 * worker's whole life.
 */
static const char *const ddl_settings[][2] = {
	{"default_tablespace", ""},
	{"temp_tablespaces", ""},
	{"default_table_access_method", "heap"},
	{"standard_conforming_strings", "on"},
};

int
pgmqc_pin_ddl_settings(void)
{
	int			level = NewGUCNestLevel();
	int			i;

	for (i = 0; i < lengthof(ddl_settings); i++)
		(void) set_config_option(ddl_settings[i][0], ddl_settings[i][1],
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
pgmqc_unpin_ddl_settings(int level)
{
	AtEOXact_GUC(true, level);
}

/*
 * A short lock_timeout (value) for work that must not queue long behind
 * readers and senders, until pgmqc_lock_timeout_end(level).  In a user's
 * backend it is set at the session's level inside a GUC nest level of its
 * own, so that the caller's own lock_timeout comes back.  The worker pins
 * lock_timeout at PGC_S_OVERRIDE, where a saved value also replaces the one
 * to return to: its pinned value is set again at the end.
 */
int
pgmqc_lock_timeout_begin(const char *value)
{
	int			level = NewGUCNestLevel();
	bool		worker = MyBackendType == B_BG_WORKER;

	(void) set_config_option("lock_timeout", value,
							 worker ? PGC_SUSET : PGC_USERSET,
							 worker ? PGC_S_OVERRIDE : PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
pgmqc_lock_timeout_end(int level)
{
	AtEOXact_GUC(true, level);
	pgmqc_worker_lock_timeout_reset();
}

/*
 * In the worker, its pinned lock_timeout again (after a step that set a
 * shorter one failed before pgmqc_lock_timeout_end); elsewhere nothing.
 */
void
pgmqc_worker_lock_timeout_reset(void)
{
	if (MyBackendType == B_BG_WORKER)
		(void) set_config_option("lock_timeout", PGMQC_WORKER_LOCK_TIMEOUT,
								 PGC_SUSET, PGC_S_OVERRIDE, GUC_ACTION_SET,
								 true, 0, false);
}

/*
 * Settings the background worker holds for its whole life, whatever
 * ALTER DATABASE / ALTER ROLE ... SET says: like autovacuum, at
 * PGC_S_OVERRIDE.  A database owner could otherwise hand the worker a
 * search_path of its own, or make it fail (read-only transactions, a
 * statement_timeout of 1 ms).  Its lock_timeout is short: it locks what
 * clients lock (a queue's tables, a key's row), and a client's open
 * transaction must not stop it; each queue's work is a subtransaction, and
 * a queue whose lock did not come is done on the next pass.
 */
void
pgmqc_pin_worker_settings(void)
{
	static const char *const settings[][2] = {
		{"search_path", PGMQC_PINNED_PATH},
		{"statement_timeout", "0"},
		{"lock_timeout", PGMQC_WORKER_LOCK_TIMEOUT},
		{"idle_in_transaction_session_timeout", "0"},
		{"default_transaction_isolation", "read committed"},
		{"default_transaction_read_only", "off"},
		{"transaction_read_only", "off"},
		{"session_replication_role", "origin"},
		{"DateStyle", "ISO, YMD"},
		{"IntervalStyle", "postgres"},
		{"TimeZone", "UTC"},
		{"extra_float_digits", "1"},
		{"enable_indexscan", "on"},
		{"enable_bitmapscan", "on"},
		{"row_security", "on"},
		{"jit", "off"},
		/* ALTER DATABASE ... SET role would make the worker act as that role */
		{"role", "none"},
		{"enable_partition_pruning", "on"},
		{"plan_cache_mode", "auto"},

		/*
		 * PostgreSQL's default: an ALTER DATABASE ... SET work_mem of a few
		 * kB would send the worker's sorts to temporary files, which
		 * temp_file_limit may forbid
		 */
		{"work_mem", "4MB"},

		/*
		 * an ALTER DATABASE ... SET exit_on_error would turn every error the
		 * worker catches for one queue into its exit and a restart a second
		 * (review h49)
		 */
		{"exit_on_error", "off"},
	};
	int			i;

	for (i = 0; i < lengthof(settings); i++)
		(void) set_config_option(settings[i][0], settings[i][1],
								 PGC_SUSET, PGC_S_OVERRIDE,
								 GUC_ACTION_SET, true, 0, false);
	for (i = 0; i < lengthof(ddl_settings); i++)
		(void) set_config_option(ddl_settings[i][0], ddl_settings[i][1],
								 PGC_SUSET, PGC_S_OVERRIDE,
								 GUC_ACTION_SET, true, 0, false);
#if PG_VERSION_NUM >= 150008
	/* CVE-2024-7348: never read a view or foreign table in place of ours */
	(void) set_config_option("restrict_nonsystem_relation_kind",
							 "view, foreign-table",
							 PGC_SUSET, PGC_S_OVERRIDE,
							 GUC_ACTION_SET, true, WARNING, false);
#endif
}
