/*-------------------------------------------------------------------------
 *
 * queue_cache.c
 *		Backend-local cache of queues and of their prepared statements.
 *
 * Every statement pgmq_c runs against a queue's tables is prepared once per
 * backend and queue, kept with SPI_keepplan, and executed with parameters.
 * The statement text is built from the queue id only: no user-supplied text
 * ever becomes part of an identifier.
 *
 * Entries are keyed by queue name.  A relcache invalidation of the queue's
 * message table (DROP, TRUNCATE, VACUUM statistics, ...) marks the entry for
 * re-validation: the next use looks the name up again in pgmq_c.queues and,
 * if the queue was dropped or re-created meanwhile, frees the old plans and
 * starts afresh.  Plans of a queue that still exists are kept; the plan
 * cache re-plans them by itself after DDL.
 *
 * All functions here must be called inside an SPI connection.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pgmq_c.h"

static HTAB *queue_cache = NULL;
static SPIPlanPtr lookup_plan = NULL;
static Oid	lookup_plan_rel = InvalidOid;	/* pgmq_c.queues, when prepared */
static bool lookup_plan_stale = false;
static bool any_tentative = false;

typedef struct StmtDef
{
	const char *sql;
	int			nargs;
	Oid			argtypes[4];
} StmtDef;

/*
 * Statement texts.  {Q}, {D}, {A} stand for the queue's message, delayed and
 * archive tables, {S} for its msg_id sequence as a regclass literal, {SR}
 * for the sequence as a relation.
 */
static const StmtDef stmt_defs[NUM_PGMQC_STMTS] = {
	[STMT_SEND] = {
		"INSERT INTO {Q} (msg_id, read_ct, enqueued_at, vt, message, headers) "
		"VALUES (pg_catalog.nextval({S}), 0, pg_catalog.clock_timestamp(), "
		"pg_catalog.clock_timestamp(), $1, $2) RETURNING msg_id",
		2, {JSONBOID, JSONBOID}
	},
	[STMT_SEND_DELAYED] = {
		"INSERT INTO {D} (msg_id, enqueued_at, deliver_at, message, headers) "
		"VALUES (pg_catalog.nextval({S}), pg_catalog.clock_timestamp(), "
		"pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $3, $1, $2) RETURNING msg_id",
		3, {JSONBOID, JSONBOID, INTERVALOID}
	},
	[STMT_SEND_BATCH] = {
		"INSERT INTO {Q} (msg_id, read_ct, enqueued_at, vt, message, headers) "
		"SELECT pg_catalog.nextval({S}), 0, pg_catalog.clock_timestamp(), "
		"pg_catalog.clock_timestamp(), u.m, u.h "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) WITH ORDINALITY AS u(m, h, o) "
		"ORDER BY u.o RETURNING msg_id",
		2, {JSONBARRAYOID, JSONBARRAYOID}
	},
	[STMT_SEND_BATCH_DELAYED] = {
		"INSERT INTO {D} (msg_id, enqueued_at, deliver_at, message, headers) "
		"SELECT pg_catalog.nextval({S}), pg_catalog.clock_timestamp(), "
		"pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $3, u.m, u.h "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) WITH ORDINALITY AS u(m, h, o) "
		"ORDER BY u.o RETURNING msg_id",
		3, {JSONBARRAYOID, JSONBARRAYOID, INTERVALOID}
	},
	[STMT_DUE_PROBE] = {
		"SELECT deliver_at FROM {D} ORDER BY deliver_at LIMIT 1",
		0, {InvalidOid}
	},
	[STMT_MATURE] = {
		"WITH due AS (DELETE FROM {D} d WHERE d.msg_id OPERATOR(pg_catalog.=) ANY "
		"(ARRAY(SELECT msg_id FROM {D} WHERE deliver_at OPERATOR(pg_catalog.<=) $2 "
		"ORDER BY deliver_at LIMIT $1 FOR UPDATE SKIP LOCKED)) "
		"RETURNING d.msg_id, d.enqueued_at, d.deliver_at, d.message, d.headers) "
		"INSERT INTO {Q} (msg_id, read_ct, enqueued_at, vt, message, headers) "
		"SELECT msg_id, 0, enqueued_at, deliver_at, message, headers FROM due",
		2, {INT4OID, TIMESTAMPTZOID}
	},
	[STMT_CLAIM] = {
		"UPDATE {Q} q SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2, "
		"read_ct = q.read_ct OPERATOR(pg_catalog.+) 1 "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"SELECT msg_id FROM {Q} WHERE msg_id OPERATOR(pg_catalog.>=) $3 "
		"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
		"ORDER BY msg_id LIMIT $1 FOR UPDATE SKIP LOCKED)) "
		"RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers",
		3, {INT4OID, INTERVALOID, INT8OID}
	},
	[STMT_POP] = {
		"DELETE FROM {Q} q "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"SELECT msg_id FROM {Q} WHERE msg_id OPERATOR(pg_catalog.>=) $2 "
		"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
		"ORDER BY msg_id LIMIT $1 FOR UPDATE SKIP LOCKED)) "
		"RETURNING q.msg_id, q.read_ct OPERATOR(pg_catalog.+) 1, q.enqueued_at, "
		"q.vt, q.message, q.headers",
		2, {INT4OID, INT8OID}
	},
	[STMT_LWM_SCAN] = {
		"SELECT LEAST("
		"(SELECT msg_id FROM {Q} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"ORDER BY msg_id LIMIT 1), "
		"(SELECT msg_id FROM {D} ORDER BY msg_id LIMIT 1))",
		1, {INT8OID}
	},
	[STMT_SEQ_LAST] = {
		"SELECT last_value, is_called FROM {SR}",
		0, {InvalidOid}
	},
	[STMT_DELETE] = {
		"DELETE FROM {Q} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR read_ct OPERATOR(pg_catalog.=) $2) RETURNING msg_id",
		2, {INT8OID, INT4OID}
	},
	[STMT_DELETE_DELAYED] = {
		"DELETE FROM {D} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR $2 OPERATOR(pg_catalog.=) 0) RETURNING msg_id",
		2, {INT8OID, INT4OID}
	},
	[STMT_DELETE_MANY] = {
		"DELETE FROM {Q} q USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY ($1) AND q.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR q.read_ct OPERATOR(pg_catalog.=) r.ct) RETURNING q.msg_id",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	[STMT_DELETE_MANY_DELAYED] = {
		"DELETE FROM {D} d USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE d.msg_id OPERATOR(pg_catalog.=) ANY ($1) AND d.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR r.ct OPERATOR(pg_catalog.=) 0) RETURNING d.msg_id",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	[STMT_ARCHIVE] = {
		"WITH m AS (DELETE FROM {Q} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR read_ct OPERATOR(pg_catalog.=) $2) "
		"RETURNING msg_id, read_ct, enqueued_at, vt, message, headers) "
		"INSERT INTO {A} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, read_ct, enqueued_at, pg_catalog.clock_timestamp(), vt, message, headers "
		"FROM m RETURNING msg_id",
		2, {INT8OID, INT4OID}
	},
	[STMT_ARCHIVE_DELAYED] = {
		"WITH m AS (DELETE FROM {D} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR $2 OPERATOR(pg_catalog.=) 0) "
		"RETURNING msg_id, enqueued_at, deliver_at, message, headers) "
		"INSERT INTO {A} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, 0, enqueued_at, pg_catalog.clock_timestamp(), deliver_at, message, headers "
		"FROM m RETURNING msg_id",
		2, {INT8OID, INT4OID}
	},
	[STMT_ARCHIVE_MANY] = {
		"WITH m AS (DELETE FROM {Q} q USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY ($1) AND q.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR q.read_ct OPERATOR(pg_catalog.=) r.ct) "
		"RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers) "
		"INSERT INTO {A} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, read_ct, enqueued_at, pg_catalog.clock_timestamp(), vt, message, headers "
		"FROM m RETURNING msg_id",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	[STMT_ARCHIVE_MANY_DELAYED] = {
		"WITH m AS (DELETE FROM {D} d USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE d.msg_id OPERATOR(pg_catalog.=) ANY ($1) AND d.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR r.ct OPERATOR(pg_catalog.=) 0) "
		"RETURNING d.msg_id, d.enqueued_at, d.deliver_at, d.message, d.headers) "
		"INSERT INTO {A} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, 0, enqueued_at, pg_catalog.clock_timestamp(), deliver_at, message, headers "
		"FROM m RETURNING msg_id",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	[STMT_SET_VT] = {
		"UPDATE {Q} SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2 "
		"WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($3 IS NULL OR read_ct OPERATOR(pg_catalog.=) $3) "
		"RETURNING msg_id, read_ct, enqueued_at, vt, message, headers",
		3, {INT8OID, INTERVALOID, INT4OID}
	},
	[STMT_SET_VT_DELAYED] = {
		"UPDATE {D} SET deliver_at = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2 "
		"WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($3 IS NULL OR $3 OPERATOR(pg_catalog.=) 0) "
		"RETURNING msg_id, 0, enqueued_at, deliver_at, message, headers",
		3, {INT8OID, INTERVALOID, INT4OID}
	},
	[STMT_READ_ARCHIVE] = {
		"SELECT msg_id, read_ct, enqueued_at, archived_at, vt, message, headers "
		"FROM {A} WHERE msg_id OPERATOR(pg_catalog.>) $1 ORDER BY msg_id LIMIT $2",
		2, {INT8OID, INT4OID}
	},
	[STMT_METRICS] = {
		"SELECT "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {Q} LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {Q} "
		" WHERE vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {D} LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {A} LIMIT $1) s), "
		"LEAST("
		" (SELECT enqueued_at FROM {Q} WHERE msg_id OPERATOR(pg_catalog.>=) $2 "
		"  ORDER BY msg_id LIMIT 1),"
		" (SELECT enqueued_at FROM {D} ORDER BY msg_id LIMIT 1)), "
		"GREATEST("
		" (SELECT enqueued_at FROM {Q} ORDER BY msg_id DESC LIMIT 1),"
		" (SELECT enqueued_at FROM {D} ORDER BY msg_id DESC LIMIT 1)), "
		"(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SR}), "
		"pg_catalog.pg_stat_get_live_tuples({QL}::pg_catalog.regclass), "
		"pg_catalog.pg_stat_get_live_tuples({DL}::pg_catalog.regclass), "
		"pg_catalog.pg_stat_get_live_tuples({AL}::pg_catalog.regclass), "
		"pg_catalog.clock_timestamp()",
		2, {INT8OID, INT8OID}
	},
	[STMT_NEXT_DUE] = {
		"SELECT LEAST("
		"(SELECT deliver_at FROM {D} WHERE deliver_at OPERATOR(pg_catalog.>) $2 "
		" ORDER BY deliver_at LIMIT 1), "
		"(SELECT pg_catalog.min(vt) FROM (SELECT vt FROM {Q} "
		" WHERE msg_id OPERATOR(pg_catalog.>=) $1 AND vt OPERATOR(pg_catalog.>) $2 "
		" ORDER BY msg_id LIMIT 1000) s))",
		2, {INT8OID, TIMESTAMPTZOID}
	},
	[STMT_T_SEND_BATCH] = {
		"INSERT INTO {T} (msg_id, enqueued_at, deliver_at, message, headers) "
		"SELECT pg_catalog.nextval({S}), pg_catalog.clock_timestamp(), "
		"pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $3, u.m, u.h "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) WITH ORDINALITY AS u(m, h, o) "
		"ORDER BY u.o RETURNING msg_id",
		3, {JSONBARRAYOID, JSONBARRAYOID, INTERVALOID}
	},
	[STMT_T_BOUNDS] = {
		"SELECT (SELECT msg_id FROM {T} ORDER BY msg_id LIMIT 1), "
		"(SELECT CASE WHEN is_called THEN last_value ELSE last_value OPERATOR(pg_catalog.-) 1 END FROM {SR}), "
		"(SELECT enqueued_at FROM {T} ORDER BY msg_id LIMIT 1)",
		0, {InvalidOid}
	},
	[STMT_T_FIRST_AT] = {
		"SELECT pg_catalog.min(msg_id) FROM {T} WHERE enqueued_at OPERATOR(pg_catalog.>=) $1",
		1, {TIMESTAMPTZOID}
	},
	[STMT_T_METRICS] = {
		"SELECT "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {T} LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {T} "
		" WHERE deliver_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() LIMIT $1) s), "
		"(SELECT enqueued_at FROM {T} ORDER BY msg_id LIMIT 1), "
		"(SELECT enqueued_at FROM {T} ORDER BY msg_id DESC LIMIT 1), "
		"(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SR}), "
		"(SELECT pg_catalog.sum(pg_catalog.pg_stat_get_live_tuples(i.inhrelid))::bigint "
		" FROM pg_catalog.pg_inherits i WHERE i.inhparent OPERATOR(pg_catalog.=) {TL}::pg_catalog.regclass), "
		"(SELECT pg_catalog.count(*)::integer FROM pg_catalog.pg_inherits i "
		" WHERE i.inhparent OPERATOR(pg_catalog.=) {TL}::pg_catalog.regclass), "
		"(SELECT pg_catalog.count(*)::integer FROM pgmq_c.groups g WHERE g.topic_id OPERATOR(pg_catalog.=) $2), "
		"(SELECT pg_catalog.sum(pg_catalog.pg_total_relation_size(i.inhrelid))::bigint "
		" FROM pg_catalog.pg_inherits i WHERE i.inhparent OPERATOR(pg_catalog.=) {TL}::pg_catalog.regclass), "
		"pg_catalog.clock_timestamp(), "
		"(SELECT retention FROM pgmq_c.queues WHERE queue_id OPERATOR(pg_catalog.=) $2)",
		2, {INT8OID, INT4OID}
	},
};

/*
 * A relcache invalidation for the message table of a cached queue (or for
 * every relation) marks the entry so that the next use re-validates it.
 */
static void
pgmqc_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	PgmqcQueue *entry;

	/* ALTER EXTENSION pgmq_c UPDATE may have added catalog columns */
	if (relid == InvalidOid || relid == lookup_plan_rel)
		lookup_plan_stale = true;
	if (queue_cache == NULL)
		return;
	hash_seq_init(&status, queue_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || entry->relid == relid)
			entry->valid = false;
	}
}

void
pgmqc_cache_init(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = PGMQC_MAX_NAME_LEN + 1;
	ctl.entrysize = sizeof(PgmqcQueue);
	ctl.hcxt = CacheMemoryContext;
	queue_cache = hash_create("pgmq_c queue cache", 16, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(pgmqc_relcache_callback, (Datum) 0);
}

static void
reset_entry(PgmqcQueue *entry)
{
	int			i;

	for (i = 0; i < NUM_PGMQC_STMTS; i++)
	{
		if (entry->plans[i] != NULL)
			SPI_freeplan(entry->plans[i]);
		entry->plans[i] = NULL;
	}
	entry->lwm = 0;
	entry->lwm_tentative = 0;
	entry->has_tentative = false;
	entry->safe_id = 0;
	entry->pend_id = 0;
	entry->pend_xid = InvalidTransactionId;
	entry->pend_valid = false;
	entry->last_advance = 0;
	entry->kind = PGMQC_KIND_QUEUE;
	entry->partition_size = 0;
	entry->part_hi = 0;
	if (entry->part_plan != NULL)
		SPI_freeplan(entry->part_plan);
	entry->part_plan = NULL;
	entry->part_plan_k = -1;
}

/*
 * Look the queue up in pgmq_c.queues.  Returns false when there is no such
 * queue.
 */
static bool
fetch_queue_row(const char *name, int32 *queue_id, Interval *vt, bool *notify,
				char *kind, int64 *partition_size, Oid *owner)
{
	Datum		arg = CStringGetTextDatum(name);
	bool		isnull;
	int			rc;

	if (lookup_plan != NULL && lookup_plan_stale)
	{
		SPI_freeplan(lookup_plan);
		lookup_plan = NULL;
	}
	if (lookup_plan == NULL)
	{
		Oid			argtype = TEXTOID;
		SPIPlanPtr	plan;

		Oid			queues = get_relname_relid("queues",
											   get_namespace_oid("pgmq_c", false));

		/*
		 * Versions 0.1.0 and 0.2.0 of the extension lack columns: this
		 * library serves them until ALTER EXTENSION pgmq_c UPDATE.
		 */
		if (get_attnum(queues, "owner") != InvalidAttrNumber)
			plan = SPI_prepare("SELECT queue_id, COALESCE(visibility_timeout, '0'::pg_catalog.interval), "
							   "notify_throttle IS NOT NULL, kind, partition_size, "
							   "owner::pg_catalog.oid "
							   "FROM pgmq_c.queues "
							   "WHERE queue_name OPERATOR(pg_catalog.=) $1",
							   1, &argtype);
		else if (get_attnum(queues, "kind") != InvalidAttrNumber)
			plan = SPI_prepare("SELECT queue_id, COALESCE(visibility_timeout, '0'::pg_catalog.interval), "
							   "notify_throttle IS NOT NULL, kind, partition_size, "
							   "0::pg_catalog.oid "
							   "FROM pgmq_c.queues "
							   "WHERE queue_name OPERATOR(pg_catalog.=) $1",
							   1, &argtype);
		else if (get_attnum(queues, "notify_throttle") != InvalidAttrNumber)
			plan = SPI_prepare("SELECT queue_id, visibility_timeout, "
							   "notify_throttle IS NOT NULL, 'q'::pg_catalog.\"char\", "
							   "NULL::pg_catalog.int8, 0::pg_catalog.oid "
							   "FROM pgmq_c.queues "
							   "WHERE queue_name OPERATOR(pg_catalog.=) $1",
							   1, &argtype);
		else
			plan = SPI_prepare("SELECT queue_id, visibility_timeout, false, "
							   "'q'::pg_catalog.\"char\", NULL::pg_catalog.int8, "
							   "0::pg_catalog.oid FROM pgmq_c.queues "
							   "WHERE queue_name OPERATOR(pg_catalog.=) $1",
							   1, &argtype);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		lookup_plan = plan;
		lookup_plan_rel = queues;
		lookup_plan_stale = false;
	}
	rc = SPI_execute_plan(lookup_plan, &arg, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return false;
	*queue_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
	*vt = *DatumGetIntervalP(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 2, &isnull));
	*notify = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 3, &isnull));
	*kind = DatumGetChar(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 4, &isnull));
	*partition_size = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 5, &isnull));
	if (isnull)
		*partition_size = 0;
	*owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 6, &isnull));
	return true;
}

static void
unknown_object(const char *name, char kind)
{
	if (kind == PGMQC_KIND_TOPIC)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("topic \"%s\" does not exist", name),
				 errhint("Create it with pgmq_c.create_topic().")));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("queue \"%s\" does not exist", name),
			 errhint("Create it with pgmq_c.create_queue().")));
}

/* A queue given where a topic is expected, or the reverse. */
static void
wrong_kind(const char *name, char found)
{
	if (found == PGMQC_KIND_TOPIC)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a topic, not a queue", name),
				 errhint("Read a topic with pgmq_c.read_group(), acknowledge with pgmq_c.ack(), drop it with pgmq_c.drop_topic().")));
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("\"%s\" is a queue, not a topic", name),
			 errhint("Read a queue with pgmq_c.read(), delete with pgmq_c.delete(), drop it with pgmq_c.drop_queue().")));
}

/*
 * Find a queue or topic by name.  The name must have been validated.  kind
 * is PGMQC_KIND_QUEUE, PGMQC_KIND_TOPIC or 0 for either; a name of the other
 * kind is an error even with missing_ok.  Raises an error for an unknown
 * name unless missing_ok.
 */
PgmqcQueue *
pgmqc_lookup_kind(const char *name, char kind, bool missing_ok)
{
	PgmqcQueue *entry;
	bool		found;
	int32		queue_id;
	Interval	vt;
	bool		notify;
	char		found_kind;
	int64		partition_size;
	Oid			owner;
	char		relname[NAMEDATALEN];

	entry = hash_search(queue_cache, name, HASH_FIND, NULL);
	if (entry != NULL && entry->valid)
	{
		if (kind != 0 && entry->kind != kind)
			wrong_kind(name, entry->kind);
		return entry;
	}

	if (!fetch_queue_row(name, &queue_id, &vt, &notify, &found_kind,
						 &partition_size, &owner))
	{
		if (entry != NULL)
		{
			reset_entry(entry);
			hash_search(queue_cache, name, HASH_REMOVE, NULL);
		}
		if (missing_ok)
			return NULL;
		unknown_object(name, kind);
	}
	if (kind != 0 && found_kind != kind)
		wrong_kind(name, found_kind);

	if (entry == NULL)
	{
		entry = hash_search(queue_cache, name, HASH_ENTER, &found);
		memset(entry->plans, 0, sizeof(entry->plans));
		entry->part_plan = NULL;
		reset_entry(entry);
		entry->queue_id = queue_id;
	}
	else if (entry->queue_id != queue_id)
	{
		/* dropped and created again: nothing of the old queue applies */
		reset_entry(entry);
		entry->queue_id = queue_id;
	}
	entry->kind = found_kind;
	entry->partition_size = partition_size;
	entry->part_hi = 0;
	if (found_kind == PGMQC_KIND_TOPIC)
	{
		snprintf(relname, sizeof(relname), "t_%d_seq", queue_id);
		entry->seqid = get_relname_relid(relname, get_namespace_oid("pgmq_c", false));
	}
	else
		entry->seqid = InvalidOid;

	snprintf(relname, sizeof(relname), "%c_%d",
			 found_kind == PGMQC_KIND_TOPIC ? 't' : 'q', queue_id);
	entry->relid = get_relname_relid(relname, get_namespace_oid("pgmq_c", false));
	if (!OidIsValid(entry->relid))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("table \"pgmq_c.%s\" of \"%s\" is missing", relname, name),
				 errhint("Drop it with pgmq_c.drop_queue() or pgmq_c.drop_topic() and create it again.")));
	entry->default_vt = vt;
	entry->notify = notify;
	entry->owner = owner;
	entry->access_generation = 0;	/* privileges are computed again */
	entry->valid = true;
	return entry;
}

/* Find a queue (not a topic) by name. */
PgmqcQueue *
pgmqc_lookup(const char *name, bool missing_ok)
{
	return pgmqc_lookup_kind(name, PGMQC_KIND_QUEUE, missing_ok);
}

/* Remove a queue from this backend's cache (after drop_queue). */
void
pgmqc_forget(const char *name)
{
	PgmqcQueue *entry = hash_search(queue_cache, name, HASH_FIND, NULL);

	if (entry != NULL)
	{
		reset_entry(entry);
		hash_search(queue_cache, name, HASH_REMOVE, NULL);
	}
}

/* Replace the {X} placeholders of a statement template. */
static char *
build_sql(const char *tmpl, int32 queue_id, char kind)
{
	StringInfoData buf;
	char		q[NAMEDATALEN],
				d[NAMEDATALEN],
				a[NAMEDATALEN],
				s[NAMEDATALEN],
				t[NAMEDATALEN];
	char	   *qq,
			   *qd,
			   *qa,
			   *qs,
			   *qt;
	const char *p;

	snprintf(q, sizeof(q), "q_%d", queue_id);
	snprintf(d, sizeof(d), "d_%d", queue_id);
	snprintf(a, sizeof(a), "a_%d", queue_id);
	snprintf(s, sizeof(s), "%c_%d_seq",
			 kind == PGMQC_KIND_TOPIC ? 't' : 'q', queue_id);
	snprintf(t, sizeof(t), "t_%d", queue_id);
	qq = psprintf("pgmq_c.%s", quote_identifier(q));
	qd = psprintf("pgmq_c.%s", quote_identifier(d));
	qa = psprintf("pgmq_c.%s", quote_identifier(a));
	qs = psprintf("pgmq_c.%s", quote_identifier(s));
	qt = psprintf("pgmq_c.%s", quote_identifier(t));

	initStringInfo(&buf);
	for (p = tmpl; *p; p++)
	{
		if (*p == '{')
		{
			const char *end = strchr(p, '}');
			size_t		len = end - p - 1;

			if (strncmp(p + 1, "Q", len) == 0 && len == 1)
				appendStringInfoString(&buf, qq);
			else if (strncmp(p + 1, "D", len) == 0 && len == 1)
				appendStringInfoString(&buf, qd);
			else if (strncmp(p + 1, "A", len) == 0 && len == 1)
				appendStringInfoString(&buf, qa);
			else if (strncmp(p + 1, "T", len) == 0 && len == 1)
				appendStringInfoString(&buf, qt);
			else if (strncmp(p + 1, "TL", len) == 0 && len == 2)
				appendStringInfoString(&buf, quote_literal_cstr(qt));
			else if (strncmp(p + 1, "SR", len) == 0 && len == 2)
				appendStringInfoString(&buf, qs);
			else if (strncmp(p + 1, "S", len) == 0 && len == 1)
				appendStringInfo(&buf, "%s::pg_catalog.regclass",
								 quote_literal_cstr(qs));
			else if (strncmp(p + 1, "QL", len) == 0 && len == 2)
				appendStringInfoString(&buf, quote_literal_cstr(qq));
			else if (strncmp(p + 1, "DL", len) == 0 && len == 2)
				appendStringInfoString(&buf, quote_literal_cstr(qd));
			else if (strncmp(p + 1, "AL", len) == 0 && len == 2)
				appendStringInfoString(&buf, quote_literal_cstr(qa));
			else
				elog(ERROR, "unknown placeholder in pgmq_c statement");
			p = end;
		}
		else
			appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

SPIPlanPtr
pgmqc_plan(PgmqcQueue *queue, PgmqcStmt stmt)
{
	SPIPlanPtr	plan = queue->plans[stmt];

	if (plan == NULL)
	{
		const StmtDef *def = &stmt_defs[stmt];
		char	   *sql = build_sql(def->sql, queue->queue_id, queue->kind);

		/*
		 * Always the generic plan: the statements are written for their
		 * index plans, and a custom plan would re-plan on every call --
		 * which also probes the ends of the msg_id index for selectivity,
		 * walking the dead entries at its head.
		 */
		plan = SPI_prepare_cursor(sql, def->nargs, (Oid *) def->argtypes,
								  CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		queue->plans[stmt] = plan;
		pfree(sql);
	}
	return plan;
}

/*
 * The kept statement that sends one message straight into partition partno
 * of a topic's log, with its msg_id drawn already: no tuple routing.  One
 * partition's plan is kept at a time; NULL when the partition does not
 * exist (the caller then sends through the log itself).
 */
SPIPlanPtr
pgmqc_partition_send_plan(PgmqcQueue *topic, int64 partno)
{
	char		relname[NAMEDATALEN];
	Oid			argtypes[4] = {JSONBOID, JSONBOID, INTERVALOID, INT8OID};
	SPIPlanPtr	plan;
	char	   *sql;

	if (topic->part_plan != NULL && topic->part_plan_k == partno)
		return topic->part_plan;
	snprintf(relname, sizeof(relname), "t_%d_p" INT64_FORMAT, topic->queue_id, partno);
	if (!OidIsValid(get_relname_relid(relname, get_namespace_oid("pgmq_c", false))))
		return NULL;
	if (topic->part_plan != NULL)
		SPI_freeplan(topic->part_plan);
	topic->part_plan = NULL;
	sql = psprintf("INSERT INTO pgmq_c.%s (msg_id, enqueued_at, deliver_at, message, headers) "
				   "VALUES ($4, pg_catalog.clock_timestamp(), "
				   "pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $3, $1, $2)",
				   quote_identifier(relname));
	plan = SPI_prepare_cursor(sql, 4, argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	topic->part_plan = plan;
	topic->part_plan_k = partno;
	pfree(sql);
	return plan;
}

/*
 * Execute one of a queue's statements; returns SPI_processed.  Errors out
 * on SPI failure (query errors are thrown by the executor itself).
 */
int
pgmqc_exec(PgmqcQueue *queue, PgmqcStmt stmt, Datum *values,
		   const char *nulls, long count)
{
	int			rc;

	rc = SPI_execute_plan(pgmqc_plan(queue, stmt), values, nulls, false, count);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return (int) SPI_processed;
}

/* Called at the end of every (sub)transaction: see queue_read.c. */
void
pgmqc_lwm_xact_end(bool commit)
{
	HASH_SEQ_STATUS status;
	PgmqcQueue *entry;

	if (!any_tentative || queue_cache == NULL)
		return;
	hash_seq_init(&status, queue_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->has_tentative)
		{
			if (commit && entry->lwm_tentative > entry->lwm)
				entry->lwm = entry->lwm_tentative;
			entry->has_tentative = false;
		}
	}
	any_tentative = false;
}

/* Record a watermark advance made inside the current transaction. */
void
pgmqc_lwm_set_tentative(PgmqcQueue *queue, int64 lwm)
{
	queue->lwm_tentative = lwm;
	queue->has_tentative = true;
	any_tentative = true;
}
