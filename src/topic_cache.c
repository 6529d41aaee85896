/*-------------------------------------------------------------------------
 *
 * topic_cache.c
 *		Backend-local cache of consumer groups and of their prepared
 *		statements.
 *
 * A consumer group of topic T is a row of pgmq_c.groups, a row of the
 * topic's cursor table pgmq_c.c_<T> (the next msg_id to hand out, a seek
 * counter and the number of messages missed to retention) and its table of
 * handed-out messages pgmq_c.g_<group id>: one narrow row (msg_id, read_ct,
 * vt) per message that the group has been given and has not acknowledged.
 * docs/design.md, section 8, explains why.
 *
 * As for queues, every statement is prepared once per backend and group,
 * kept with SPI_keepplan and executed with parameters; the text is built
 * from ids only.  All functions here must be called inside SPI.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pgmq_c.h"

static HTAB *group_cache = NULL;
static SPIPlanPtr group_lookup_plan = NULL;
static bool any_group_tentative = false;

typedef struct GroupStmtDef
{
	const char *sql;
	int			nargs;
	Oid			argtypes[6];
} GroupStmtDef;

/*
 * Statement texts.  {G} is the group's table, {T} the topic's log, {C} the
 * topic's cursor table.
 */
static const GroupStmtDef gstmt_defs[NUM_PGMQC_GSTMTS] = {
	[GSTMT_CLAIM] = {
		"WITH c AS (UPDATE {G} g SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2, "
		"read_ct = g.read_ct OPERATOR(pg_catalog.+) 1 "
		"WHERE g.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"SELECT msg_id FROM {G} WHERE msg_id OPERATOR(pg_catalog.>=) $3 "
		"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
		"ORDER BY msg_id LIMIT $1 FOR UPDATE SKIP LOCKED)) "
		"RETURNING g.msg_id, g.read_ct, g.vt) "
		"SELECT c.msg_id, c.read_ct, t.enqueued_at, c.vt, t.message, t.headers "
		"FROM c CROSS JOIN LATERAL (SELECT enqueued_at, message, headers FROM {T} "
		"WHERE msg_id OPERATOR(pg_catalog.=) c.msg_id LIMIT 1) t",
		3, {INT4OID, INTERVALOID, INT8OID}
	},
	[GSTMT_LOCK_CURSOR] = {
		"SELECT next_id, epoch FROM {C} WHERE group_id OPERATOR(pg_catalog.=) $1 "
		"FOR UPDATE SKIP LOCKED",
		1, {INT4OID}
	},
	[GSTMT_CURSOR] = {
		"SELECT next_id FROM {C} WHERE group_id OPERATOR(pg_catalog.=) $1",
		1, {INT4OID}
	},
	/*
	 * Hand the next messages (up to $3 examined, from $1 to $2, those whose
	 * headers contain $4) to the group, leasing the first $5 that are due
	 * to this reader for $6.  Returns the leased messages, each row also
	 * carrying how many messages were examined, the last one examined and
	 * how many were handed out; a single row of NULL messages when none
	 * was leased.
	 */
	[GSTMT_FILL] = {
		"WITH s AS (SELECT msg_id, enqueued_at, deliver_at, message, headers FROM {T} "
		"WHERE msg_id OPERATOR(pg_catalog.>=) $1 AND msg_id OPERATOR(pg_catalog.<=) $2 "
		"ORDER BY msg_id LIMIT $3), "
		"f AS (SELECT s.msg_id, s.enqueued_at, s.deliver_at, s.message, s.headers, "
		"(s.deliver_at IS NULL OR s.deliver_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()) "
		"AND pg_catalog.row_number() OVER (ORDER BY s.msg_id) OPERATOR(pg_catalog.<=) $5 AS lease "
		"FROM s WHERE $4 IS NULL OR s.headers OPERATOR(pg_catalog.@>) $4), "
		"ins AS (INSERT INTO {G} (msg_id, read_ct, vt) "
		"SELECT f.msg_id, CASE WHEN f.lease THEN 1 ELSE 0 END, "
		"CASE WHEN f.lease THEN pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $6 "
		"ELSE COALESCE(f.deliver_at, '-infinity'::pg_catalog.timestamptz) END "
		"FROM f RETURNING msg_id, read_ct, vt), "
		"a AS (SELECT (SELECT pg_catalog.count(*) FROM s) AS examined, "
		"(SELECT pg_catalog.max(msg_id) FROM s) AS max_id, "
		"(SELECT pg_catalog.count(*) FROM ins) AS added) "
		"SELECT x.msg_id, x.read_ct, x.enqueued_at, x.vt, x.message, x.headers, "
		"a.examined, a.max_id, a.added "
		"FROM a LEFT JOIN (SELECT ins.msg_id, ins.read_ct, f.enqueued_at, ins.vt, f.message, f.headers "
		"FROM ins JOIN f ON f.msg_id OPERATOR(pg_catalog.=) ins.msg_id "
		"WHERE ins.read_ct OPERATOR(pg_catalog.=) 1) x ON true",
		6, {INT8OID, INT8OID, INT4OID, JSONBOID, INT4OID, INTERVALOID}
	},
	[GSTMT_SET_CURSOR] = {
		"UPDATE {C} SET next_id = $2 WHERE group_id OPERATOR(pg_catalog.=) $1",
		2, {INT4OID, INT8OID}
	},
	[GSTMT_LWM_SCAN] = {
		"SELECT LEAST((SELECT msg_id FROM {G} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"ORDER BY msg_id LIMIT 1), c.next_id), c.epoch, c.next_id "
		"FROM {C} c WHERE c.group_id OPERATOR(pg_catalog.=) $2",
		2, {INT8OID, INT4OID}
	},
	[GSTMT_NEXT_DUE] = {
		"SELECT pg_catalog.min(vt) FROM (SELECT vt FROM {G} "
		"WHERE msg_id OPERATOR(pg_catalog.>=) $1 AND vt OPERATOR(pg_catalog.>) $2 "
		"ORDER BY msg_id LIMIT 1000) s",
		2, {INT8OID, TIMESTAMPTZOID}
	},
	[GSTMT_AVAILABLE] = {
		"SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {G} "
		"WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() LIMIT $2) s",
		2, {INT8OID, INT4OID}
	},
	[GSTMT_ACK] = {
		"DELETE FROM {G} WHERE msg_id OPERATOR(pg_catalog.=) $1 RETURNING msg_id",
		1, {INT8OID}
	},
	[GSTMT_ACK_MANY] = {
		"DELETE FROM {G} WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1) RETURNING msg_id",
		1, {INT8ARRAYOID}
	},
	[GSTMT_NACK] = {
		"UPDATE {G} SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2 "
		"WHERE msg_id OPERATOR(pg_catalog.=) $1 RETURNING vt",
		2, {INT8OID, INTERVALOID}
	},
	[GSTMT_SET_VT] = {
		"WITH c AS (UPDATE {G} SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2 "
		"WHERE msg_id OPERATOR(pg_catalog.=) $1 RETURNING msg_id, read_ct, vt) "
		"SELECT c.msg_id, c.read_ct, t.enqueued_at, c.vt, t.message, t.headers "
		"FROM c CROSS JOIN LATERAL (SELECT enqueued_at, message, headers FROM {T} "
		"WHERE msg_id OPERATOR(pg_catalog.=) c.msg_id LIMIT 1) t",
		2, {INT8OID, INTERVALOID}
	},
	[GSTMT_STATS] = {
		"SELECT c.next_id, c.missed, "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {G} LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {G} WHERE read_ct OPERATOR(pg_catalog.>) 0 "
		" AND vt OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {T} t "
		" WHERE t.msg_id OPERATOR(pg_catalog.>=) c.next_id "
		" AND ($3 IS NULL OR t.headers OPERATOR(pg_catalog.@>) $3) LIMIT $1) s), "
		"LEAST((SELECT (SELECT t.enqueued_at FROM {T} t WHERE t.msg_id OPERATOR(pg_catalog.=) g.msg_id) "
		"  FROM {G} g ORDER BY g.msg_id LIMIT 1), "
		" (SELECT t.enqueued_at FROM {T} t WHERE t.msg_id OPERATOR(pg_catalog.>=) c.next_id "
		"  AND ($3 IS NULL OR t.headers OPERATOR(pg_catalog.@>) $3) ORDER BY t.msg_id LIMIT 1)), "
		"pg_catalog.clock_timestamp() "
		"FROM {C} c WHERE c.group_id OPERATOR(pg_catalog.=) $2",
		3, {INT8OID, INT4OID, JSONBOID}
	},
};

static void
group_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	PgmqcGroup *entry;

	if (group_cache == NULL)
		return;
	hash_seq_init(&status, group_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || entry->relid == relid)
			entry->valid = false;
	}
}

void
pgmqc_group_cache_init(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(PgmqcGroupKey);
	ctl.entrysize = sizeof(PgmqcGroup);
	ctl.hcxt = CacheMemoryContext;
	group_cache = hash_create("pgmq_c group cache", 16, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(group_relcache_callback, (Datum) 0);
}

static void
reset_group(PgmqcGroup *entry)
{
	int			i;

	for (i = 0; i < NUM_PGMQC_GSTMTS; i++)
	{
		if (entry->plans[i] != NULL)
			SPI_freeplan(entry->plans[i]);
		entry->plans[i] = NULL;
	}
	if (entry->filter != NULL)
		pfree(entry->filter);
	entry->filter = NULL;
	entry->lwm = 0;
	entry->lwm_tentative = 0;
	entry->has_tentative = false;
	entry->epoch = -1;
	entry->known_next = 0;
	entry->last_advance = 0;
}

/* Forget every cached group of a topic (after drop_topic). */
void
pgmqc_group_forget_topic(int32 topic_id)
{
	HASH_SEQ_STATUS status;
	PgmqcGroup *entry;

	if (group_cache == NULL)
		return;
	hash_seq_init(&status, group_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.topic_id == topic_id)
		{
			reset_group(entry);
			hash_search(group_cache, &entry->key, HASH_REMOVE, NULL);
		}
	}
}

/*
 * Look a group of a topic up.  The name must have been validated.  Raises
 * an error for an unknown group unless missing_ok.
 */
PgmqcGroup *
pgmqc_group_lookup(PgmqcQueue *topic, const char *name, bool missing_ok)
{
	PgmqcGroupKey key;
	PgmqcGroup *entry;
	Datum		args[2];
	bool		isnull;
	bool		found;
	int32		group_id;
	Datum		filter;
	bool		filter_null;
	int			rc;
	char		relname[NAMEDATALEN];

	memset(&key, 0, sizeof(key));
	key.topic_id = topic->queue_id;
	strlcpy(key.name, name, sizeof(key.name));

	entry = hash_search(group_cache, &key, HASH_FIND, NULL);
	if (entry != NULL && entry->valid)
		return entry;

	if (group_lookup_plan == NULL)
	{
		Oid			argtypes[2] = {INT4OID, TEXTOID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("SELECT group_id, visibility_timeout, filter "
						   "FROM pgmq_c.groups WHERE topic_id OPERATOR(pg_catalog.=) $1 "
						   "AND group_name OPERATOR(pg_catalog.=) $2",
						   2, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		group_lookup_plan = plan;
	}
	args[0] = Int32GetDatum(topic->queue_id);
	args[1] = CStringGetTextDatum(name);
	rc = SPI_execute_plan(group_lookup_plan, args, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
	{
		if (entry != NULL)
		{
			reset_group(entry);
			hash_search(group_cache, &key, HASH_REMOVE, NULL);
		}
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("consumer group \"%s\" of topic \"%s\" does not exist",
						name, topic->name),
				 errhint("Create it with pgmq_c.create_group().")));
	}
	group_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));

	if (entry == NULL)
	{
		entry = hash_search(group_cache, &key, HASH_ENTER, &found);
		memset(entry->plans, 0, sizeof(entry->plans));
		entry->filter = NULL;
		reset_group(entry);
		entry->group_id = group_id;
	}
	else
	{
		/* the filter may have changed; a re-created group starts afresh */
		if (entry->group_id != group_id)
		{
			reset_group(entry);
			entry->group_id = group_id;
		}
		else if (entry->filter != NULL)
		{
			pfree(entry->filter);
			entry->filter = NULL;
		}
	}
	entry->default_vt = *DatumGetIntervalP(SPI_getbinval(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 2, &isnull));
	filter = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &filter_null);
	if (!filter_null)
	{
		Jsonb	   *j = DatumGetJsonbP(filter);

		entry->filter = MemoryContextAlloc(CacheMemoryContext, VARSIZE(j));
		memcpy(entry->filter, j, VARSIZE(j));
	}

	snprintf(relname, sizeof(relname), "g_%d", group_id);
	entry->relid = get_relname_relid(relname, get_namespace_oid("pgmq_c", false));
	if (!OidIsValid(entry->relid))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("table \"pgmq_c.%s\" of consumer group \"%s\" is missing",
						relname, name),
				 errhint("Drop the group with pgmq_c.drop_group() and create it again.")));
	entry->valid = true;
	return entry;
}

static char *
build_group_sql(const char *tmpl, int32 group_id, int32 topic_id)
{
	StringInfoData buf;
	char		g[NAMEDATALEN],
				t[NAMEDATALEN],
				c[NAMEDATALEN];
	const char *p;

	snprintf(g, sizeof(g), "g_%d", group_id);
	snprintf(t, sizeof(t), "t_%d", topic_id);
	snprintf(c, sizeof(c), "c_%d", topic_id);

	initStringInfo(&buf);
	for (p = tmpl; *p; p++)
	{
		if (*p == '{' && p[2] == '}')
		{
			const char *rel;

			switch (p[1])
			{
				case 'G':
					rel = g;
					break;
				case 'T':
					rel = t;
					break;
				case 'C':
					rel = c;
					break;
				default:
					elog(ERROR, "unknown placeholder in pgmq_c statement");
					rel = NULL;	/* keep compiler quiet */
			}
			appendStringInfo(&buf, "pgmq_c.%s", quote_identifier(rel));
			p += 2;
		}
		else
			appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

/* Execute one of a group's statements; returns SPI_processed. */
int
pgmqc_gexec(PgmqcGroup *group, PgmqcGroupStmt stmt, Datum *values,
			const char *nulls, long count)
{
	SPIPlanPtr	plan = group->plans[stmt];
	int			rc;

	if (plan == NULL)
	{
		const GroupStmtDef *def = &gstmt_defs[stmt];
		char	   *sql = build_group_sql(def->sql, group->group_id,
										  group->key.topic_id);

		/* the generic plan always, as for queues (queue_cache.c) */
		plan = SPI_prepare_cursor(sql, def->nargs, (Oid *) def->argtypes,
								  CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		group->plans[stmt] = plan;
		pfree(sql);
	}
	rc = SPI_execute_plan(plan, values, nulls, false, count);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return (int) SPI_processed;
}

/*
 * The statements on topics are written for index access.  A generic plan is
 * made again whenever the statistics of a table change, and a group's table
 * is often analyzed while empty (or a log while small), when a sequential
 * scan looks cheapest; a plan made then would read every page from then on.
 * So while our statements run (and may be re-planned), sequential scans are
 * off, and so is JIT, which the resulting costs would otherwise trigger.  (Joins to the log are written as LATERAL ... LIMIT 1, which is an
 * index probe per row whatever the statistics; joins between CTEs need
 * hash joins, so those stay on.)  Returns the GUC nest level to pass to
 * pgmqc_plan_guard_end(); an error restores the settings by itself.
 */
int
pgmqc_plan_guard_begin(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* a scan that has no other way (a sequence) now costs 1e10: no JIT */
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
pgmqc_plan_guard_end(int level)
{
	AtEOXact_GUC(true, level);
}

/* At the end of every (sub)transaction: adopt or drop tentative watermarks. */
void
pgmqc_group_lwm_xact_end(bool commit)
{
	HASH_SEQ_STATUS status;
	PgmqcGroup *entry;

	if (!any_group_tentative || group_cache == NULL)
		return;
	hash_seq_init(&status, group_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->has_tentative)
		{
			if (commit && entry->lwm_tentative > entry->lwm)
				entry->lwm = entry->lwm_tentative;
			entry->has_tentative = false;
		}
	}
	any_group_tentative = false;
}

void
pgmqc_group_set_tentative(PgmqcGroup *group, int64 lwm)
{
	group->lwm_tentative = lwm;
	group->has_tentative = true;
	any_group_tentative = true;
}
