/*-------------------------------------------------------------------------
 *
 * access_functions.c
 *		grant_access(), revoke_access() and list_access(): the SQL functions
 *		that change and show per-queue privileges (common/access.c checks
 *		them).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/access_functions.c
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
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "compat.h"
#include "common/security.h"
#include "common/statements.h"
#include "common/object_cache.h"
#include "functions/arguments.h"
#include "pgmq_c.h"

PG_FUNCTION_INFO_V1(pgmqc_grant_access);
PG_FUNCTION_INFO_V1(pgmqc_revoke_access);
PG_FUNCTION_INFO_V1(pgmqc_list_access);

/*
 * Role argument of grant_access/revoke_access: a role name, taken as it is
 * (not parsed as an identifier), or 'public', as has_table_privilege()
 * takes them.  'PUBLIC' is the role of that name, which may exist: taken
 * for every role, it would open the queue to all.
 */
static Oid
role_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *role;
	Oid			roleid;

	pgmqc_check_not_null(fcinfo, argno, "role_name");
	role = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (strcmp(role, "public") == 0)
		return InvalidOid;
	roleid = get_role_oid(role, true);
	if (!OidIsValid(roleid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", pgmqc_clip_for_message(role)),
				 pg_strcasecmp(role, "public") == 0 ?
				 errhint("Every role is 'public', in lower case.") : 0));
	return roleid;
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
		for (j = 0; j < PGMQC_NUM_PRIVILEGES; j++)
			if (pg_strcasecmp(word, pgmqc_privileges[j].name) == 0)
				bit = pgmqc_privileges[j].bit;
		if (bit == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized privilege \"%s\"", pgmqc_clip_for_message(word)),
					 errhint("Privileges are \"send\", \"consume\", \"monitor\", \"admin\" and \"all\".")));
		mask |= bit;
	}
	return mask;
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
change_rows(PgmqcStatement stmt, Datum *values)
{
	return pgmqc_run_catalog(stmt, values, NULL, 0) > 0;
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
	pgmqc_check_writable(grant ? "grant_access()" : "revoke_access()");

	pgmqc_spi_connect(&cxt);
	require_secure_catalog();
	/* a drop in progress: wait for it (common/access.c) */
	queue = pgmqc_open_locked(name, 0, PGMQC_PRIV_ADMIN);

	if (OidIsValid(role) && role == queue->owner)
		ereport(NOTICE,
				(errmsg("role \"%s\" owns %s \"%s\" and holds every privilege on it",
						GetUserNameFromId(role, false),
						queue->kind == PGMQC_KIND_TOPIC ? "topic" : "queue", name)));

	values[0] = Int32GetDatum(queue->queue_id);
	values[1] = ObjectIdGetDatum(role);
	values[2] = Int32GetDatum(mask);
	if (grant)
		changed = change_rows(STMT_GRANT, values);
	else
	{
		/* rows left with no privilege go; the others lose the bits */
		changed = change_rows(STMT_REVOKE_DELETE, values);
		changed |= change_rows(STMT_REVOKE_UPDATE, values);
	}
	if (changed)
		pgmqc_access_changed();
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
	Datum		elems[PGMQC_NUM_PRIVILEGES];
	int			n = 0;
	int			i;

	for (i = 0; i < PGMQC_NUM_PRIVILEGES; i++)
		if (mask & pgmqc_privileges[i].bit)
			elems[n++] = CStringGetTextDatum(pgmqc_privileges[i].name);
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

	n = pgmqc_read_grants(queue->queue_id, &roles, &masks);
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
