/*-------------------------------------------------------------------------
 *
 * access.c
 *		Per-queue privileges: who may send to, consume from, monitor and
 *		administer a queue or topic, and the SQL functions that change that.
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
 *	  src/access.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

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

#include "security.h"

PG_FUNCTION_INFO_V1(pgmqc_grant_access);
PG_FUNCTION_INFO_V1(pgmqc_revoke_access);
PG_FUNCTION_INFO_V1(pgmqc_list_access);

/* the privileges, in the order they are listed */
static const struct
{
	const char *name;
	int			bit;
}			privileges[] = {
	{"send", PGMQC_PRIV_SEND},
	{"consume", PGMQC_PRIV_CONSUME},
	{"monitor", PGMQC_PRIV_MONITOR},
	{"admin", PGMQC_PRIV_ADMIN},
};

static uint64 access_generation = 1;
static SPIPlanPtr grants_plan = NULL;

static void access_changed(void);

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

void
pgmqc_access_init(void)
{
	CacheRegisterSyscacheCallback(AUTHOID, access_syscache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, access_syscache_callback, (Datum) 0);
}

const char *
pgmqc_privilege_name(int priv)
{
	int			i;

	for (i = 0; i < lengthof(privileges); i++)
		if (privileges[i].bit == priv)
			return privileges[i].name;
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
static int
read_grants(int32 queue_id, Oid **roles, int **masks)
{
	SPITupleTable *save_tuptable = SPI_tuptable;
	uint64		save_processed = SPI_processed;
	Datum		arg = Int32GetDatum(queue_id);
	uint64		i;
	int			n;
	int			rc;

	if (grants_plan == NULL)
	{
		Oid			argtype = INT4OID;
		SPIPlanPtr	plan;

		plan = SPI_prepare("SELECT role_id::pg_catalog.oid, privileges "
						   "FROM pgmq_c.access "
						   "WHERE queue_id OPERATOR(pg_catalog.=) $1 "
						   "ORDER BY role_id OPERATOR(pg_catalog.<>) 0, "
						   "role_id::pg_catalog.text COLLATE \"C\"",
						   1, &argtype);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		grants_plan = plan;
	}
	rc = SPI_execute_plan(grants_plan, &arg, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	n = (int) SPI_processed;
	*roles = palloc((n + 1) * sizeof(Oid));
	*masks = palloc((n + 1) * sizeof(int));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		(*roles)[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
													 SPI_tuptable->tupdesc, 1, &isnull));
		(*masks)[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
												  SPI_tuptable->tupdesc, 2, &isnull));
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
	int			n = read_grants(queue_id, &grantees, &bits);
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
	Oid			role = pgmqc_caller();

	if (!pgmqc_security_active() || holds_everything(role, owner))
		return PGMQC_PRIV_ALL;
	return granted_mask(queue_id, role);
}

/* The privileges the caller holds on a cached queue. */
int
pgmqc_access_mask(PgmqcQueue *queue)
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

/* Raise 42501 unless the caller holds priv (every bit, or any with ANY). */
void
pgmqc_check_access(PgmqcQueue *queue, const char *name, int priv)
{
	int			mask = pgmqc_access_mask(queue);

	if (priv == PGMQC_PRIV_ANY ? mask == 0 : (mask & priv) != priv)
		permission_denied(queue, name, priv);
}

PgmqcQueue *
pgmqc_open(const char *name, char kind, int priv)
{
	PgmqcQueue *queue = pgmqc_lookup_kind(name, kind, false);

	pgmqc_check_access(queue, name, priv);
	return queue;
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
	Oid			argtype = OIDOID;
	int			rc;
	bool		isnull;
	int64		changed;

	if (!pgmqc_security_active())
		return;

	/*
	 * Look first, with no lock that anyone waits for: updating
	 * pgmq_c.queues would queue behind a transaction that created a queue
	 * and is still open.
	 */
	rc = SPI_execute("SELECT EXISTS (SELECT FROM pgmq_c.access a"
					 " WHERE a.role_id OPERATOR(pg_catalog.<>) 0"
					 " AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r"
					 "  WHERE r.oid OPERATOR(pg_catalog.=) a.role_id::pg_catalog.oid))"
					 " OR EXISTS (SELECT FROM pgmq_c.queues q"
					 " WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r"
					 "  WHERE r.oid OPERATOR(pg_catalog.=) q.owner::pg_catalog.oid))",
					 true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									SPI_tuptable->tupdesc, 1, &isnull)))
		return;

	arg = ObjectIdGetDatum(pgmqc_extension_owner());
	rc = SPI_execute_with_args("WITH grants AS ("
							   " DELETE FROM pgmq_c.access a"
							   " WHERE a.role_id OPERATOR(pg_catalog.<>) 0"
							   " AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r"
							   "  WHERE r.oid OPERATOR(pg_catalog.=) a.role_id::pg_catalog.oid)"
							   " RETURNING 1), "
							   "owners AS ("
							   " UPDATE pgmq_c.queues q SET owner = $1::pg_catalog.regrole"
							   " WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r"
							   "  WHERE r.oid OPERATOR(pg_catalog.=) q.owner::pg_catalog.oid)"
							   " RETURNING 1) "
							   "SELECT (SELECT pg_catalog.count(*) FROM grants) OPERATOR(pg_catalog.+) "
							   "(SELECT pg_catalog.count(*) FROM owners)",
							   1, &argtype, &arg, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	changed = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	if (changed > 0)
	{
		ereport(LOG,
				(errmsg("pgmq_c: forgot " INT64_FORMAT " grants to or queue ownerships of dropped roles",
						changed)));
		access_changed();
	}
}

/*
 * Role argument of grant_access/revoke_access: a role name, taken as it is
 * (not parsed as an identifier), or 'public' in any case.
 */
static Oid
role_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *role;

	pgmqc_check_not_null(fcinfo, argno, "role_name");
	role = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (pg_strcasecmp(role, "public") == 0)
		return InvalidOid;
	return get_role_oid(role, false);
}

/* Privileges argument: a non-empty array of privilege names, or 'all'. */
static int
privileges_arg(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *array = pgmqc_check_array(fcinfo, argno, "privileges", false);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	int			mask = 0;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *word;
		int			j;
		int			bit = 0;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("privileges must not contain NULL")));
		word = TextDatumGetCString(elems[i]);
		if (pg_strcasecmp(word, "all") == 0)
			bit = PGMQC_PRIV_ALL;
		for (j = 0; j < lengthof(privileges); j++)
			if (pg_strcasecmp(word, privileges[j].name) == 0)
				bit = privileges[j].bit;
		if (bit == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized privilege \"%s\"", word),
					 errhint("Privileges are \"send\", \"consume\", \"monitor\", \"admin\" and \"all\".")));
		mask |= bit;
	}
	return mask;
}

/* A relcache invalidation of pgmq_c.access tells every backend. */
static void
access_changed(void)
{
	Oid			relid = get_relname_relid("access",
										  get_namespace_oid("pgmq_c", false));

	CacheInvalidateRelcacheByRelid(relid);
	pgmqc_access_invalidate();
}

static void
require_secure_catalog(void)
{
	if (!pgmqc_security_active())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("per-queue privileges need version 0.4.0 of extension \"pgmq_c\""),
				 errhint("Run ALTER EXTENSION pgmq_c UPDATE.")));
}

/*
 * Run one statement on pgmq_c.access with $1 queue_id, $2 role and $3
 * privilege bits; true if it changed a row.
 */
static bool
change_rows(const char *sql, Datum *values, int expected)
{
	static const Oid argtypes[3] = {INT4OID, OIDOID, INT4OID};
	int			rc;

	rc = SPI_execute_with_args(sql, 3, (Oid *) argtypes, values, NULL, false, 0);
	if (rc != expected)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	return SPI_processed > 0;
}

/* grant_access and revoke_access */
static void
change_access(FunctionCallInfo fcinfo, bool grant)
{
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	Oid			role;
	int			mask;
	PgmqcQueue *queue;
	PgmqcContext cxt;
	Datum		values[3];
	bool		changed = false;

	role = role_arg(fcinfo, 1);
	mask = privileges_arg(fcinfo, 2);

	pgmqc_spi_connect(&cxt);
	require_secure_catalog();
	queue = pgmqc_open(name, 0, PGMQC_PRIV_ADMIN);

	if (OidIsValid(role) && role == queue->owner)
		ereport(NOTICE,
				(errmsg("role \"%s\" owns %s \"%s\" and holds every privilege on it",
						GetUserNameFromId(role, false),
						queue->kind == PGMQC_KIND_TOPIC ? "topic" : "queue", name)));

	values[0] = Int32GetDatum(queue->queue_id);
	values[1] = ObjectIdGetDatum(role);
	values[2] = Int32GetDatum(mask);
	if (grant)
		changed = change_rows("INSERT INTO pgmq_c.access AS a (queue_id, role_id, privileges) "
							  "VALUES ($1, $2::pg_catalog.regrole, $3) "
							  "ON CONFLICT (queue_id, role_id) DO UPDATE "
							  "SET privileges = a.privileges OPERATOR(pg_catalog.|) $3 "
							  "WHERE a.privileges OPERATOR(pg_catalog.|) $3 "
							  "OPERATOR(pg_catalog.<>) a.privileges",
							  values, SPI_OK_INSERT);
	else
	{
		/* rows left with no privilege go; the others lose the bits */
		changed = change_rows("DELETE FROM pgmq_c.access "
							  "WHERE queue_id OPERATOR(pg_catalog.=) $1 "
							  "AND role_id OPERATOR(pg_catalog.=) $2::pg_catalog.regrole "
							  "AND (privileges OPERATOR(pg_catalog.&) "
							  "(OPERATOR(pg_catalog.~) $3)) OPERATOR(pg_catalog.=) 0",
							  values, SPI_OK_DELETE);
		changed |= change_rows("UPDATE pgmq_c.access "
							   "SET privileges = privileges OPERATOR(pg_catalog.&) "
							   "(OPERATOR(pg_catalog.~) $3) "
							   "WHERE queue_id OPERATOR(pg_catalog.=) $1 "
							   "AND role_id OPERATOR(pg_catalog.=) $2::pg_catalog.regrole "
							   "AND (privileges OPERATOR(pg_catalog.&) $3) "
							   "OPERATOR(pg_catalog.<>) 0",
							   values, SPI_OK_UPDATE);
	}
	if (changed)
		access_changed();
	pgmqc_spi_finish(&cxt);
}

/*
 * grant_access(queue_name text, role_name text, privileges text[])
 *		RETURNS void
 */
Datum
pgmqc_grant_access(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, true);
	PG_RETURN_VOID();
}

/*
 * revoke_access(queue_name text, role_name text, privileges text[])
 *		RETURNS void
 */
Datum
pgmqc_revoke_access(PG_FUNCTION_ARGS)
{
	change_access(fcinfo, false);
	PG_RETURN_VOID();
}

/* privileges as a text[] in their usual order */
static Datum
privilege_array(int mask)
{
	Datum		elems[lengthof(privileges)];
	int			n = 0;
	int			i;

	for (i = 0; i < lengthof(privileges); i++)
		if (mask & privileges[i].bit)
			elems[n++] = CStringGetTextDatum(privileges[i].name);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

static char *
role_display_name(Oid role)
{
	char	   *name;

	if (!OidIsValid(role))
		return pstrdup("public");
	name = GetUserNameFromId(role, true);
	/* a role dropped since the grant */
	return name ? name : psprintf("%u", role);
}

/*
 * list_access(queue_name text) RETURNS TABLE (role_name text,
 *											privileges text[])
 *
 * The owner first (it holds everything), then PUBLIC, then the other roles
 * by name.
 */
Datum
pgmqc_list_access(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;
	PgmqcContext cxt;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	Oid		   *roles;
	int		   *masks;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	pgmqc_spi_connect(&cxt);
	require_secure_catalog();
	queue = pgmqc_open(name, 0, PGMQC_PRIV_ANY);

	if (OidIsValid(queue->owner))
	{
		values[0] = CStringGetTextDatum(role_display_name(queue->owner));
		values[1] = privilege_array(PGMQC_PRIV_ALL);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	n = read_grants(queue->queue_id, &roles, &masks);
	for (i = 0; i < n; i++)
	{
		if (OidIsValid(roles[i]) && roles[i] == queue->owner)
			continue;
		values[0] = CStringGetTextDatum(role_display_name(roles[i]));
		values[1] = privilege_array(masks[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
