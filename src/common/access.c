/*-------------------------------------------------------------------------
 *
 * access.c
 *		Per-queue privileges: who may send to, consume from, monitor and
 *		administer a queue or topic (the SQL functions that change them are
 *		in functions/access_functions.c).
 *
 * A queue's owner (pgmq_c.queues.owner, the role that created it) holds
 * every privilege and cannot lose it; so do superusers, the extension
 * owner, and roles that have the privileges of the owner through
 * membership.  Every other role holds what the rows of pgmq_c.access grant
 * to it, to a role whose privileges it has (has_privs_of_role, as
 * has_table_privilege counts membership), or to PUBLIC (role_id 0).
 *
 * What the caller holds on a queue is cached in the queue's cache entry
 * together with the role it was computed for and the "access generation".
 * The generation moves on when any backend changes pgmq_c.access (we send a
 * relcache invalidation for it) and when roles or memberships change
 * (syscache callbacks on pg_authid and pg_auth_members), so a cached answer
 * is never older than the last command that could change it, and a call on
 * a warm cache costs two comparisons.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/access.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "common/security.h"
#include "common/statements.h"
#include "common/object_cache.h"
#include "pgmq_c.h"

/* the privileges, in the order they are listed */
const PgmqcPrivilege pgmqc_privileges[PGMQC_NUM_PRIVILEGES] = {
	{"send", PGMQC_PRIV_SEND},
	{"consume", PGMQC_PRIV_CONSUME},
	{"monitor", PGMQC_PRIV_MONITOR},
	{"admin", PGMQC_PRIV_ADMIN},
};

static uint64 access_generation = 1;

static void refuse_unlogged_on_standby(PgmqcQueue *queue, const char *name);


/* Roles, memberships or grants changed: every cached answer is stale. */
void
pgmqc_access_invalidate(void)
{
	access_generation++;
}

static void
access_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	pgmqc_access_invalidate();
}

/* A grant changed in some backend (pgmqc_access_changed) or every relation. */
static void
access_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == pgmqc_access_relid())
		pgmqc_access_invalidate();
}

/* At load (_PG_init): learn of every change that can change an answer. */
void
pgmqc_access_init(void)
{
	CacheRegisterRelcacheCallback(access_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, access_syscache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, access_syscache_callback, (Datum) 0);
}

const char *
pgmqc_privilege_name(int priv)
{
	int			i;

	for (i = 0; i < PGMQC_NUM_PRIVILEGES; i++)
		if (pgmqc_privileges[i].bit == priv)
			return pgmqc_privileges[i].name;
	return "all";
}

/*
 * Does role hold every privilege on a queue owned by owner, without looking
 * at pgmq_c.access?
 */
static bool
holds_everything(Oid role, Oid owner)
{
	return superuser_arg(role) ||
		role == pgmqc_extension_owner() ||
		(OidIsValid(owner) && has_privs_of_role(role, owner));
}

/*
 * The grants on queue queue_id, from pgmq_c.access: PUBLIC's (role
 * InvalidOid) first, then the roles' by name.  Returns how many; the arrays
 * are palloc'd in the current memory context.  Runs one kept statement and
 * leaves SPI_tuptable and SPI_processed as they were, so callers may be
 * walking a result of their own.
 */
int
pgmqc_read_grants(int32 queue_id, Oid **roles, int **masks)
{
	SPITupleTable *save_tuptable = SPI_tuptable;
	uint64		save_processed = SPI_processed;
	Datum		arg = Int32GetDatum(queue_id);
	uint64		i;
	int			n;

	pgmqc_run_catalog(STMT_READ_GRANTS, &arg, NULL, 0);
	n = (int) SPI_processed;
	*roles = palloc((n + 1) * sizeof(Oid));
	*masks = palloc((n + 1) * sizeof(int));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		(*roles)[i] = DatumGetObjectId(pgmqc_column(i, GRANT_COL_ROLE, &isnull));
		(*masks)[i] = DatumGetInt32(pgmqc_column(i, GRANT_COL_PRIVILEGES, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_tuptable = save_tuptable;
	SPI_processed = save_processed;
	return n;
}

/* The privileges role holds on queue queue_id through pgmq_c.access. */
static int
granted_mask(int32 queue_id, Oid role)
{
	Oid		   *grantees;
	int		   *bits;
	int			n = pgmqc_read_grants(queue_id, &grantees, &bits);
	int			mask = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (!OidIsValid(grantees[i]) || has_privs_of_role(role, grantees[i]))
			mask |= bits[i];
	pfree(grantees);
	pfree(bits);
	return mask & PGMQC_PRIV_ALL;
}

/*
 * The privileges the caller holds on a queue given by id and owner (for
 * listings, which walk the catalog rather than the cache).
 */
int
pgmqc_access_mask_by_id(int32 queue_id, Oid owner)
{
	return pgmqc_role_access_mask(queue_id, owner, pgmqc_caller());
}

/* The same for role. */
int
pgmqc_role_access_mask(int32 queue_id, Oid owner, Oid role)
{
	if (!pgmqc_security_active() || holds_everything(role, owner))
		return PGMQC_PRIV_ALL;
	return granted_mask(queue_id, role);
}

/*
 * The privileges the caller holds on a cached queue, by the invalidations
 * taken already.
 */
static int
cached_access_mask(PgmqcQueue *queue)
{
	Oid			role = pgmqc_caller();

	if (queue->access_generation == access_generation &&
		queue->access_role == role)
		return queue->access_mask;
	queue->access_mask = pgmqc_access_mask_by_id(queue->queue_id, queue->owner);
	queue->access_role = role;
	queue->access_generation = access_generation;
	return queue->access_mask;
}

/* The privileges the caller holds on a cached queue. */
int
pgmqc_access_mask(PgmqcQueue *queue)
{
	/*
	 * A grant or revoke committed since this backend last took a new lock
	 * would not have reached the cache yet: a call whose locks the
	 * transaction holds already processes no invalidation.  As PostgreSQL
	 * checks a table's privileges, take what has come (nothing to read,
	 * almost always).
	 */
	AcceptInvalidationMessages();
	return cached_access_mask(queue);
}

static void
permission_denied(PgmqcQueue *queue, const char *name, int priv)
{
	const char *kind = queue->kind == PGMQC_KIND_TOPIC ? "topic" : "queue";
	char	   *role = GetUserNameFromId(pgmqc_caller(), true);

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for %s \"%s\"", kind, name),
			 priv == PGMQC_PRIV_ANY ?
			 errdetail("Role \"%s\" holds no privilege on it.",
					   role ? role : "?") :
			 errdetail("Role \"%s\" needs the \"%s\" privilege on it.",
					   role ? role : "?", pgmqc_privilege_name(priv)),
			 errhint("Its owner, or a role with the \"admin\" privilege on it, can grant it with pgmq_c.grant_access().")));
}

/*
 * pgmqc_open, then the queue's or topic's first lock in AccessShareLock
 * (common/object_cache.c), as a call that reads or acknowledges takes it.
 * One dropped while this waited for the lock is looked up again by name, as
 * PostgreSQL looks a table's name up again after waiting for its lock: one
 * made anew under the name in the drop's transaction is used, its
 * privileges checked; otherwise the call fails with 42704 by the name given.
 */
PgmqcQueue *
pgmqc_open_locked(const char *name, char kind, int priv)
{
	PgmqcQueue *queue = pgmqc_open(name, kind, priv);
	char		found_kind = queue->kind;

	if (pgmqc_lock_if_exists(queue, AccessShareLock))
	{
		/*
		 * On a standby the lock may have been the replay's of a switch to
		 * unlogged (alter_queue), which the look above came before (review
		 * h44): the lock took its invalidations in, so look again.
		 */
		refuse_unlogged_on_standby(queue, name);
		return queue;
	}
	if (pgmqc_lookup_kind(name, kind, true) == NULL)
		pgmqc_report_dropped(found_kind, name);
	queue = pgmqc_open(name, kind, priv);
	pgmqc_check_not_dropped(queue);
	return queue;
}

/* Raise 42501 unless mask holds priv (every bit, or any with ANY). */
static void
check_mask(PgmqcQueue *queue, int mask, const char *name, int priv)
{
	if (priv == PGMQC_PRIV_ANY ? mask == 0 : (mask & priv) != priv)
		permission_denied(queue, name, priv);
}

/* Raise 42501 unless the caller holds priv (every bit, or any with ANY). */
void
pgmqc_check_access(PgmqcQueue *queue, const char *name, int priv)
{
	check_mask(queue, pgmqc_access_mask(queue), name, priv);
}

/*
 * The queue or topic "name" (of kind, or any kind when 0), checked for the
 * caller's privilege priv.  On a standby, an unlogged queue or topic is
 * refused: its tables are on the primary only (PostgreSQL would refuse to
 * read them with a message that names no queue).
 */
PgmqcQueue *
pgmqc_open(const char *name, char kind, int priv)
{
	PgmqcQueue *queue;
	bool		topic;

	/*
	 * What was committed since this backend last took a new lock (a drop, a
	 * revoke): the lookup then finds a queue dropped meanwhile gone, before
	 * anything of it (its groups) is looked up.  See pgmqc_access_mask.
	 */
	AcceptInvalidationMessages();
	queue = pgmqc_lookup_kind(name, kind, false);
	topic = queue->kind == PGMQC_KIND_TOPIC;

	/* the invalidations were taken above, before the lookup */
	check_mask(queue, cached_access_mask(queue), name, priv);
	pgmqc_check_tables_current(queue);

	/*
	 * What needs more than the monitor privilege writes; a parallel worker,
	 * or a function marked PARALLEL SAFE in a parallel plan, may not (and
	 * PostgreSQL would refuse only deep inside, with an internal error).
	 */
	if (IsInParallelMode() && priv != PGMQC_PRIV_ANY &&
		(priv & ~PGMQC_PRIV_MONITOR) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("cannot use %s \"%s\" during a parallel operation",
						topic ? "topic" : "queue", name),
				 errhint("A function that calls pgmq_c must not be marked PARALLEL SAFE.")));
	refuse_unlogged_on_standby(queue, name);
	return queue;
}

/*
 * On a standby, refuse an unlogged queue or topic: its tables are on the
 * primary only (PostgreSQL would refuse to read them with a message that
 * names no queue, or fail to find their files).
 */
static void
refuse_unlogged_on_standby(PgmqcQueue *queue, const char *name)
{
	bool		topic = queue->kind == PGMQC_KIND_TOPIC;

	if (RecoveryInProgress() && pgmqc_unlogged(queue->kind, queue->queue_id))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s \"%s\" is unlogged", topic ? "topic" : "queue", name),
				 topic ?
				 errdetail("The messages of an unlogged topic and of its consumer groups are kept on the primary only; a standby has none.") :
				 errdetail("The messages of an unlogged queue are kept on the primary only; a standby has none."),
				 errhint("Read it on the primary, or make it logged with pgmq_c.alter_queue(..., durability => 'logged').")));
}

/*
 * DROP ROLE knows nothing of pgmq_c's rows: the worker's maintenance pass
 * (every few seconds) forgets grants to roles that no longer exist and gives
 * the queues of a dropped owner to the extension owner, so that no row
 * names a role OID that a later role could be given, and pg_dump never
 * writes a bare OID.  Inside the extension context, in SPI.
 */
void
pgmqc_forget_dropped_roles(void)
{
	Datum		arg;
	bool		isnull;
	int64		changed;

	if (!pgmqc_security_active())
		return;

	/*
	 * Look first, with no lock that anyone waits for: updating pgmq_c.queues
	 * would queue behind a transaction that created a queue and is still
	 * open.
	 */
	pgmqc_run_catalog(STMT_DROPPED_ROLES_EXIST, NULL, NULL, 1);
	if (!DatumGetBool(pgmqc_column(0, VALUE_COL, &isnull)))
		return;

	arg = ObjectIdGetDatum(pgmqc_extension_owner());
	pgmqc_run_once(STMT_FORGET_DROPPED_ROLES, &pgmqc_no_target, &arg, NULL,
				   SPI_OK_SELECT);
	changed = pgmqc_column_int64(0, VALUE_COL, &isnull);
	if (changed > 0)
	{
		ereport(LOG,
				(errmsg("pgmq_c: forgot " INT64_FORMAT " grants to or queue ownerships of dropped roles",
						changed)));
		pgmqc_access_changed();
	}
}

/* A relcache invalidation of pgmq_c.access tells every backend. */
void
pgmqc_access_changed(void)
{
	Oid			relid = get_relname_relid("access",
										  get_namespace_oid("pgmq_c", false));

	CacheInvalidateRelcacheByRelid(relid);
	pgmqc_access_invalidate();
}
