/*-------------------------------------------------------------------------
 *
 * topic_maint.c
 *		Partitions of topic logs: made ahead, rotated, dropped past
 *		retention.
 *
 * A topic's log is range-partitioned on msg_id, partition k holding
 * [k * partition_size, (k + 1) * partition_size).  The background worker
 * (or pgmq_c.maintain_topics()) keeps in place every partition up to the one
 * after that holding msg_id last + PGMQC_SEND_MARGIN, and a sender that
 * comes that close to the end of the last partition asks the worker for more
 * and waits for them (topic_read.c), or makes them itself when there is no
 * worker.
 *
 * Rotation.  A quiet topic could take weeks to fill a partition, and
 * retention works on whole partitions; so once the current partition's
 * first message is older than a tenth of the retention, its remaining
 * msg_ids are skipped: the sequence is moved to the next partition's
 * start.  That is done under a SHARE ROW EXCLUSIVE lock on the log taken
 * with NOWAIT, which no send holds while it draws a msg_id: the move cannot
 * go backwards, and it is skipped when any send is in progress.
 *
 * Retention.  A partition older than the current one whose newest message
 * is older than the retention is dropped whole (no row-by-row delete, no
 * dead tuples), once every msg_id in it is final.  In the same transaction
 * every group whose cursor is still inside it moves past it, drops its
 * outstanding messages there, and counts what it did not acknowledge as
 * missed.  The locks are taken with a short lock_timeout, in a
 * subtransaction per partition: when readers or senders hold them, the
 * partition waits for the next round.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic_maint.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/security.h"

PG_FUNCTION_INFO_V1(pgmqc_maintain_topics);

/* advisory lock class for partition creation: 'pgmq' */
#define PARTITION_LOCK_CLASS	0x70676d71

static int64
sql_int8(const char *sql, bool *isnull)
{
	Datum		d;

	pgmqc_run_sql(sql, SPI_OK_SELECT);
	if (SPI_processed == 0)
	{
		*isnull = true;
		return 0;
	}
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	return *isnull ? 0 : DatumGetInt64(d);
}

bool
pgmqc_partition_exists(int32 topic_id, int64 partno)
{
	char		relname[NAMEDATALEN];
	char		logname[NAMEDATALEN];
	Oid			nsp = get_namespace_oid("pgmq_c", false);
	Oid			relid;
	Oid			logid;
	HeapTuple	tuple;
	bool		ours = false;

	snprintf(relname, sizeof(relname), "t_%d_p" INT64_FORMAT, topic_id, partno);
	relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(relid))
		return false;

	/*
	 * Only pgmq_c makes relations in its schema, but check anyway: a table of
	 * that name that is not this log's partition, owned by the extension
	 * owner, is never taken for one.
	 */
	snprintf(logname, sizeof(logname), "t_%d", topic_id);
	logid = get_relname_relid(logname, nsp);
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		ours = form->relkind == RELKIND_RELATION && form->relispartition &&
			(!pgmqc_security_active() ||
			 form->relowner == pgmqc_extension_owner());
		ReleaseSysCache(tuple);
	}
#if PG_VERSION_NUM >= 140000
	if (ours)
		ours = OidIsValid(logid) && get_partition_parent(relid, true) == logid;
#else
	if (ours)
		ours = OidIsValid(logid) && get_partition_parent(relid) == logid;
#endif
	if (!ours)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"pgmq_c.%s\" already exists and is not a partition of topic log \"pgmq_c.%s\"",
						relname, logname),
				 errhint("pgmq_c makes the partitions of a topic itself; drop that relation.")));
	return true;
}

/*
 * The lowest and highest partition numbers of a topic's log; false when it
 * has none.  Inside SPI.
 */
bool
pgmqc_partition_range(int32 topic_id, int64 *lowest, int64 *highest)
{
	char		prefix[NAMEDATALEN];
	bool		isnull;

	snprintf(prefix, sizeof(prefix), "t_%d_p", topic_id);
	pgmqc_run_sql(psprintf("SELECT pg_catalog.min(n), pg_catalog.max(n) FROM ("
						   "SELECT pg_catalog.substr(c.relname, %d)::pg_catalog.int8 AS n "
						   "FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c "
						   "ON c.oid OPERATOR(pg_catalog.=) i.inhrelid "
						   "WHERE i.inhparent OPERATOR(pg_catalog.=) 'pgmq_c.t_%d'::pg_catalog.regclass "
						   "AND pg_catalog.starts_with(c.relname, %s)) s",
						   (int) strlen(prefix) + 1, topic_id, quote_literal_cstr(prefix)),
				  SPI_OK_SELECT);
	*lowest = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		return false;
	*highest = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 2, &isnull));
	return true;
}

/*
 * Make partition partno of a topic's log unless it exists.  The table is
 * made first and then attached, which takes only SHARE UPDATE EXCLUSIVE on
 * the log: sends and reads go on.  Inside SPI.
 */
void
pgmqc_create_partition(int32 topic_id, int64 partition_size, int64 partno)
{
	if (pgmqc_partition_exists(topic_id, partno))
		return;
	pgmqc_run_sql(psprintf("SELECT pg_catalog.pg_advisory_xact_lock(%d, %d)",
					 PARTITION_LOCK_CLASS, topic_id), SPI_OK_SELECT);
	CommandCounterIncrement();
	if (pgmqc_partition_exists(topic_id, partno))
		return;
	pgmqc_run_ddl(psprintf("CREATE TABLE pgmq_c.t_%d_p" INT64_FORMAT
					 " (LIKE pgmq_c.t_%d INCLUDING DEFAULTS);"
					 "ALTER TABLE pgmq_c.t_%d ATTACH PARTITION pgmq_c.t_%d_p" INT64_FORMAT
					 " FOR VALUES FROM (" INT64_FORMAT ") TO (" INT64_FORMAT ")",
					 topic_id, partno, topic_id,
					 topic_id, topic_id, partno,
					 partno * partition_size, (partno + 1) * partition_size),
			SPI_OK_UTILITY);
}

typedef struct TopicInfo
{
	int32		id;
	char		name[PGMQC_MAX_NAME_LEN + 1];
	int64		partition_size;
	Interval	retention;
	int64		dropped;		/* partitions dropped this round */
	bool		failed;			/* its maintenance failed this round */
} TopicInfo;

/* The first (or, if newest, the last) enqueued_at of a partition, if any. */
static TimestampTz
partition_enqueued_at(int32 topic_id, int64 partno, bool newest, bool *isnull)
{
	Datum		d;

	pgmqc_run_sql(psprintf("SELECT enqueued_at FROM pgmq_c.t_%d_p" INT64_FORMAT
						   " ORDER BY msg_id%s LIMIT 1",
						   topic_id, partno, newest ? " DESC" : ""),
				  SPI_OK_SELECT);
	if (SPI_processed == 0)
	{
		*isnull = true;
		return 0;
	}
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	return *isnull ? 0 : DatumGetTimestampTz(d);
}

/* The last msg_id taken from a topic's sequence. */
static int64
topic_last_id(int32 topic_id)
{
	bool		isnull;

	return sql_int8(psprintf("SELECT CASE WHEN is_called THEN last_value "
							 "ELSE last_value OPERATOR(pg_catalog.-) 1 END FROM pgmq_c.t_%d_seq",
							 topic_id), &isnull);
}

/* Skip the rest of the current partition if it is old enough. */
static void
rotate(TopicInfo *t, TimestampTz now)
{
	int64		last = topic_last_id(t->id);
	int64		cur = last / t->partition_size;
	int64		next_start = (cur + 1) * t->partition_size;
	Interval   *tenth;
	bool		isnull;
	TimestampTz first_at;

	if (last < cur * t->partition_size + 1 || last >= next_start - 1)
		return;					/* empty, or full anyway */
	first_at = partition_enqueued_at(t->id, cur, false, &isnull);
	if (isnull)
		return;
	tenth = DatumGetIntervalP(DirectFunctionCall2(interval_div,
												  IntervalPGetDatum(&t->retention),
												  Float8GetDatum(10.0)));
	if (pgmqc_ts_plus(first_at, tenth) > now)
		return;

	pgmqc_create_partition(t->id, t->partition_size, cur + 1);
	pgmqc_run_sql(psprintf("LOCK TABLE pgmq_c.t_%d IN SHARE ROW EXCLUSIVE MODE NOWAIT", t->id),
			SPI_OK_UTILITY);
	/* no msg_id can be drawn now: read the sequence again and move it on */
	last = topic_last_id(t->id);
	if (last < next_start - 1)
		pgmqc_run_sql(psprintf("SELECT pg_catalog.setval('pgmq_c.t_%d_seq'::pg_catalog.regclass, "
						 INT64_FORMAT ", true)", t->id, next_start - 1),
				SPI_OK_SELECT);
}

/*
 * Drop partition k if it is past retention; returns whether it was
 * dropped.  Errors (a lock not granted in time) propagate to the caller's
 * subtransaction.
 */
static bool
expire_partition(TopicInfo *t, int64 k, int64 safe_last, TimestampTz now)
{
	int64		hi = (k + 1) * t->partition_size;
	bool		isnull;
	TimestampTz newest_at;
	uint64		i;
	uint64		ngroups;
	int32	   *groups;
	int64	   *next_ids;
	bool	   *filtered;

	if (hi - 1 > safe_last)
		return false;			/* a send may still land in it */
	newest_at = partition_enqueued_at(t->id, k, true, &isnull);
	if (!isnull && pgmqc_ts_plus(newest_at, &t->retention) > now)
		return false;			/* not yet */

	/* the groups still inside the partition: skip it, count what they miss */
	pgmqc_run_sql(psprintf("SELECT c.group_id, c.next_id, g.filter IS NOT NULL "
					 "FROM pgmq_c.c_%d c JOIN pgmq_c.groups g "
					 "ON g.group_id OPERATOR(pg_catalog.=) c.group_id "
					 "WHERE c.next_id OPERATOR(pg_catalog.<) " INT64_FORMAT " "
					 "ORDER BY c.group_id FOR UPDATE OF c",
					 t->id, hi), SPI_OK_SELECT);
	ngroups = SPI_processed;
	groups = palloc((ngroups + 1) * sizeof(int32));
	next_ids = palloc((ngroups + 1) * sizeof(int64));
	filtered = palloc((ngroups + 1) * sizeof(bool));
	for (i = 0; i < ngroups; i++)
	{
		groups[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
												SPI_tuptable->tupdesc, 1, &isnull));
		next_ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
												  SPI_tuptable->tupdesc, 2, &isnull));
		filtered[i] = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i],
												 SPI_tuptable->tupdesc, 3, &isnull));
	}
	for (i = 0; i < ngroups; i++)
	{
		int64		unread;
		int64		outstanding;

		unread = sql_int8(psprintf("SELECT pg_catalog.count(*) FROM pgmq_c.t_%d_p" INT64_FORMAT " t "
								   "WHERE t.msg_id OPERATOR(pg_catalog.>=) " INT64_FORMAT
								   "%s",
								   t->id, k, next_ids[i],
								   filtered[i] ?
								   psprintf(" AND t.headers OPERATOR(pg_catalog.@>) "
											"(SELECT filter FROM pgmq_c.groups WHERE group_id OPERATOR(pg_catalog.=) %d)",
											groups[i]) : ""),
						  &isnull);
		pgmqc_run_sql(psprintf("DELETE FROM pgmq_c.g_%d WHERE msg_id OPERATOR(pg_catalog.<) " INT64_FORMAT,
						 groups[i], hi), SPI_OK_DELETE);
		outstanding = (int64) SPI_processed;
		pgmqc_run_sql(psprintf("UPDATE pgmq_c.c_%d SET next_id = GREATEST(next_id, " INT64_FORMAT "), "
						 "missed = missed OPERATOR(pg_catalog.+) " INT64_FORMAT
						 " WHERE group_id OPERATOR(pg_catalog.=) %d",
						 t->id, hi, unread + outstanding, groups[i]), SPI_OK_UPDATE);
	}
	/* groups already past the partition may still hold messages in it */
	pgmqc_run_sql(psprintf("SELECT group_id FROM pgmq_c.c_%d WHERE next_id OPERATOR(pg_catalog.>=) " INT64_FORMAT
					 " ORDER BY group_id FOR UPDATE",
					 t->id, hi), SPI_OK_SELECT);
	ngroups = SPI_processed;
	groups = palloc((ngroups + 1) * sizeof(int32));
	for (i = 0; i < ngroups; i++)
		groups[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
												SPI_tuptable->tupdesc, 1, &isnull));
	for (i = 0; i < ngroups; i++)
	{
		pgmqc_run_sql(psprintf("DELETE FROM pgmq_c.g_%d WHERE msg_id OPERATOR(pg_catalog.<) " INT64_FORMAT,
						 groups[i], hi), SPI_OK_DELETE);
		if (SPI_processed > 0)
			pgmqc_run_sql(psprintf("UPDATE pgmq_c.c_%d SET missed = missed OPERATOR(pg_catalog.+) " UINT64_FORMAT
							 " WHERE group_id OPERATOR(pg_catalog.=) %d",
							 t->id, SPI_processed, groups[i]), SPI_OK_UPDATE);
	}
	/* CASCADE: a view another role made on the partition must not pin it */
	pgmqc_run_sql(psprintf("DROP TABLE pgmq_c.t_%d_p" INT64_FORMAT " CASCADE", t->id, k),
				  SPI_OK_UTILITY);
	return true;
}

/*
 * Report an error in the maintenance of a topic.  A lock not granted in
 * time only postpones the work to the next round (LOG); anything else is a
 * WARNING naming the topic.  The background worker reports each at most
 * once a minute per topic; maintain_topics() every time.
 */
static void
report_topic_error(TopicInfo *t, ErrorData *edata)
{
	bool		postponed = (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE);

	if (IsBackgroundWorker && !pgmqc_report_due(postponed ? 'p' : 't', t->id, NULL))
		return;
	if (postponed)
		ereport(LOG,
				(errmsg("pgmq_c: maintenance of topic \"%s\" postponed: %s",
						t->name, edata->message)));
	else
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pgmq_c: maintenance of topic \"%s\" failed: %s",
						t->name, edata->message),
				 IsBackgroundWorker ?
				 errhint("The other topics are maintained; this one is tried again every round and this failure is reported at most once a minute. "
						 "A topic whose tables are missing can be dropped with pgmq_c.drop_topic().") :
				 errhint("The other topics are maintained. "
						 "A topic whose tables are missing can be dropped with pgmq_c.drop_topic().")));
}

/* A step of a topic's maintenance, run by in_subxact. */
typedef bool (*MaintStep) (TopicInfo *t, int64 a, int64 b, TimestampTz now);

static bool
step_rotate(TopicInfo *t, int64 unused1, int64 unused2, TimestampTz now)
{
	rotate(t, now);
	return true;
}

/*
 * Every partition from the last one that exists up to the one after that
 * holding msg_id last + PGMQC_SEND_MARGIN (see pgmqc_topic_before_send), at
 * most MAX_CREATE a round.
 */
#define MAX_CREATE 100

static bool
step_ensure(TopicInfo *t, int64 last, int64 unused, TimestampTz now)
{
	int64		cur = (last + PGMQC_SEND_MARGIN) / t->partition_size;
	int64		lowest;
	int64		highest;
	int64		k;

	if (!pgmqc_partition_range(t->id, &lowest, &highest) || highest >= cur + 1)
		return true;
	if (highest < last / t->partition_size - 1)
		highest = last / t->partition_size - 1;
	for (k = highest + 1; k <= cur + 1 && k <= highest + MAX_CREATE; k++)
		pgmqc_create_partition(t->id, t->partition_size, k);
	return true;
}

static bool
step_expire(TopicInfo *t, int64 k, int64 safe_last, TimestampTz now)
{
	return expire_partition(t, k, safe_last, now);
}

/* The arguments and result of a MaintStep run by in_subxact. */
typedef struct MaintCall
{
	MaintStep	fn;
	TopicInfo  *t;
	int64		a;
	int64		b;
	TimestampTz now;
	bool		result;
} MaintCall;

static void
run_maint_call(void *arg)
{
	MaintCall  *call = (MaintCall *) arg;
	int			save_nestlevel = NewGUCNestLevel();

	/*
	 * Do not queue for long behind the topic's readers and senders.
	 * PGC_S_OVERRIDE: the worker pins lock_timeout at that level.
	 */
	(void) set_config_option("lock_timeout", "200ms", PGC_USERSET,
							 PGC_S_OVERRIDE, GUC_ACTION_SAVE, true, 0, false);
	call->result = call->fn(call->t, call->a, call->b, call->now);
	AtEOXact_GUC(true, save_nestlevel);
}

/*
 * Run fn(t, a, b, now) in a subtransaction, with a short lock_timeout; an
 * error is reported (report_topic_error) and swallowed.  Returns what fn
 * returned, or false after an error.
 */
static bool
in_subxact(MaintStep fn, TopicInfo *t, int64 a, int64 b, TimestampTz now)
{
	MaintCall	call = {fn, t, a, b, now, false};
	ErrorData  *edata = pgmqc_run_guarded(run_maint_call, &call);

	if (edata == NULL)
		return call.result;
	report_topic_error(t, edata);
	FreeErrorData(edata);
	return false;
}

/*
 * A topic's maintenance but rotation: partitions ahead, then retention,
 * oldest partition first.  Each step in a subtransaction of its own inside
 * the topic's: a lock not granted postpones one step.
 */
static bool
step_topic(TopicInfo *t, int64 unused1, int64 unused2, TimestampTz now)
{
	int64		last = topic_last_id(t->id);
	int64		cur = last / t->partition_size;
	int64		k;
	int64		lowest;
	int64		highest;
	PgmqcQueue *entry;
	int64		safe_last;

	t->dropped = 0;
	(void) in_subxact(step_ensure, t, last, 0, now);

	/* partitions before the current one, oldest first */
	if (!pgmqc_partition_range(t->id, &lowest, &highest))
		return true;
	entry = pgmqc_lookup_kind(t->name, PGMQC_KIND_TOPIC, true);
	if (entry == NULL || entry->queue_id != t->id)
		return true;			/* dropped meanwhile */
	safe_last = pgmqc_topic_settled_through(entry, false);
	for (k = lowest; k < cur; k++)
	{
		if (!pgmqc_partition_exists(t->id, k))
			continue;
		if (in_subxact(step_expire, t, k, safe_last, now))
			t->dropped++;
		else
			break;				/* keep the order: older partitions go first */
	}
	return true;
}

/*
 * One round of maintenance over every topic of this database; returns the
 * number of partitions dropped.  Inside SPI, in a transaction (for the
 * worker and maintain_topics(), inside the extension context).  Each
 * topic's work runs in a subtransaction of its own: a topic whose tables
 * are missing or damaged fails alone, and the others are maintained.
 */
int64
pgmqc_maintain_topics_internal(void)
{
	TopicInfo  *topics;
	uint64		ntopics;
	uint64		i;
	int64		dropped = 0;
	TimestampTz now = GetCurrentTimestamp();

	if (get_attnum(get_relname_relid("queues", get_namespace_oid("pgmq_c", false)),
				   "kind") == InvalidAttrNumber)
		return 0;				/* before ALTER EXTENSION pgmq_c UPDATE */
	pgmqc_run_sql("SELECT queue_id, queue_name, partition_size, retention "
				  "FROM pgmq_c.queues "
				  "WHERE kind OPERATOR(pg_catalog.=) 't' ORDER BY queue_id", SPI_OK_SELECT);
	ntopics = SPI_processed;
	topics = palloc0((ntopics + 1) * sizeof(TopicInfo));
	for (i = 0; i < ntopics; i++)
	{
		bool		isnull;

		topics[i].id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
												   SPI_tuptable->tupdesc, 1, &isnull));
		strlcpy(topics[i].name,
				SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2),
				sizeof(topics[i].name));
		topics[i].partition_size = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
															   SPI_tuptable->tupdesc, 3, &isnull));
		topics[i].retention = *DatumGetIntervalP(SPI_getbinval(SPI_tuptable->vals[i],
															   SPI_tuptable->tupdesc, 4, &isnull));
	}

	for (i = 0; i < ntopics; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (in_subxact(step_topic, &topics[i], 0, 0, now))
			dropped += topics[i].dropped;
		else
			topics[i].failed = true;
	}

	/*
	 * Rotation last: its lock on a log blocks that topic's sends until this
	 * transaction commits, so nothing slow may come after it.
	 */
	for (i = 0; i < ntopics; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!topics[i].failed)
			(void) in_subxact(step_rotate, &topics[i], 0, 0, now);
	}
	return dropped;
}

/*
 * maintain_topics() RETURNS bigint
 */
Datum
pgmqc_maintain_topics(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	int64		dropped;

	pgmqc_check_writable("maintain_topics()");
	pgmqc_spi_connect(&cxt);
	dropped = pgmqc_maintain_topics_internal();
	pgmqc_spi_finish(&cxt);
	PG_RETURN_INT64(dropped);
}
