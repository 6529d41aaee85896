/*-------------------------------------------------------------------------
 *
 * retry_settings.c
 *		SQL functions alter_queue and alter_group, and the retry settings
 *		that create_queue() and create_group() accept too: checked, then
 *		written to the catalog.
 *
 * max_deliveries is 1 to 1000; retry_backoff and retry_backoff_max are
 * positive and at most 7 days; archive_retention is positive and at most
 * 10 years; 0 (or '' for the dead-letter queue) clears a setting.  Setting
 * archive_retention partitions the queue's archive by day
 * (queue/archive_partitions.c).  dedup_window (of a queue or topic) is
 * positive and at most 7 days.  The
 * dead-letter queue must be a queue other than the source whose dead
 * letters (through its own dead-letter queue and so on) do not come back
 * to the source, and naming it needs the privilege to send to it: a policy
 * moves messages into it.  A consumer group has no archive, so its max_deliveries needs a dead-letter
 * queue.  Backends see a change at their next use of the queue or group
 * (a relcache invalidation of its table).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/retry_settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/relation_locks.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "functions/retry_settings.h"
#include "queue/queue.h"
#include "topic/topic.h"

PG_FUNCTION_INFO_V1(pgmqc_alter_queue);
PG_FUNCTION_INFO_V1(pgmqc_alter_group);

#define MAX_DELIVERIES_LIMIT	1000

/*
 * A setting's interval: zero or positive, and at most max_days days
 * (counted from now, as the calendar does).  A negative one is refused
 * with negative_hint.
 */
#define ZERO_CLEARS "0 clears the setting."

static Interval *
setting_interval(FunctionCallInfo fcinfo, int argno, const char *argname,
				 int max_days, const char *max_text, const char *negative_hint)
{
	Interval   *interval;
	Interval	limit;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz end;

	if (PG_ARGISNULL(argno))
		return NULL;
	interval = PG_GETARG_INTERVAL_P(argno);
	pgmqc_check_interval_parts(interval, argname);
	end = pgmqc_ts_plus(now, interval);
	if (end < now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", argname),
				 errhint("%s", negative_hint)));
	memset(&limit, 0, sizeof(limit));
	limit.day = max_days;
	if (end > pgmqc_ts_plus(now, &limit))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not exceed %s", argname, max_text)));
	return interval;
}

/*
 * Read and check the settings max_deliveries, dead_letter_queue,
 * retry_backoff, retry_backoff_max and (with_archive_retention)
 * archive_retention, the arguments from first_argno on.
 */
void
pgmqc_settings_from_args(FunctionCallInfo fcinfo, int first_argno,
						 bool with_archive_retention, PgmqcSettings *settings)
{
	int			argno = first_argno;

	memset(settings, 0, sizeof(*settings));
	if (!PG_ARGISNULL(argno))
	{
		settings->has_max_deliveries = true;
		settings->max_deliveries = PG_GETARG_INT32(argno);
		if (settings->max_deliveries < 0 ||
			settings->max_deliveries > MAX_DELIVERIES_LIMIT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_deliveries must be between 1 and %d, or 0 to clear it",
							MAX_DELIVERIES_LIMIT),
					 errdetail("max_deliveries was %d.", settings->max_deliveries)));
	}
	argno++;
	if (!PG_ARGISNULL(argno))
	{
		settings->dead_letter_queue = text_to_cstring(PG_GETARG_TEXT_PP(argno));
		if (settings->dead_letter_queue[0] != '\0')
			pgmqc_check_name_as(settings->dead_letter_queue, "dead-letter queue");
	}
	argno++;
	settings->retry_backoff = setting_interval(fcinfo, argno++, "retry_backoff",
											   7, "7 days", ZERO_CLEARS);
	settings->retry_backoff_max = setting_interval(fcinfo, argno++,
												   "retry_backoff_max",
												   7, "7 days", ZERO_CLEARS);
	if (with_archive_retention)
	{
		settings->archive_retention =
			setting_interval(fcinfo, argno, "archive_retention",
							 3653, "10 years", ZERO_CLEARS);
		settings->dedup_window = pgmqc_dedup_window_arg(fcinfo, argno + 1);
		settings->has_durability = pgmqc_durability_arg(fcinfo, argno + 2,
														&settings->unlogged);
	}
}

/*
 * The durability argument argno (0.8.0), if there is one and it is not
 * NULL: 'logged' or 'unlogged' (*unlogged).  Returns whether it was given.
 */
bool
pgmqc_durability_arg(FunctionCallInfo fcinfo, int argno, bool *unlogged)
{
	char	   *level;

	*unlogged = false;
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return false;
	level = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (strcmp(level, "unlogged") == 0)
		*unlogged = true;
	else if (strcmp(level, "logged") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("durability must be \"logged\" or \"unlogged\""),
				 errdetail("durability was \"%s\".", level)));
	return true;
}

/*
 * The dedup_window argument argno, if there is one and it is not NULL:
 * positive, at most 7 days.
 */
Interval *
pgmqc_dedup_window_arg(FunctionCallInfo fcinfo, int argno)
{
	Interval   *window;
	Interval	limit;

	if (PG_NARGS() <= argno)
		return NULL;
	window = setting_interval(fcinfo, argno, "dedup_window", 7, "7 days",
							  "The default is 5 minutes.");
	if (window == NULL)
		return NULL;

	/*
	 * Positive and at most 7 days on the calendar (above), and as intervals
	 * compare too (a month as 30 days, a day as 24 hours), as the catalog's
	 * CHECK constraint holds it: '1 day -24 hours' is no window, and '1 mon
	 * -30 days' none as stored, whatever today's month.
	 */
	memset(&limit, 0, sizeof(limit));
	if (pgmqc_interval_is_zero(window) ||
		!DatumGetBool(DirectFunctionCall2(interval_gt, IntervalPGetDatum(window),
										  IntervalPGetDatum(&limit))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dedup_window must be positive"),
				 errhint("The default is 5 minutes.")));
	limit.day = 7;
	if (DatumGetBool(DirectFunctionCall2(interval_gt, IntervalPGetDatum(window),
										 IntervalPGetDatum(&limit))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dedup_window must not exceed %s", "7 days")));
	return window;
}

/*
 * Write the deduplication window of a queue or topic to the catalog.  The
 * caller checked its privilege.  Inside SPI.
 */
void
pgmqc_apply_dedup_window(PgmqcQueue *queue, Interval *window)
{
	Datum		values[2];

	pgmqc_queue_check_keys(queue);
	values[0] = Int32GetDatum(queue->queue_id);
	values[1] = IntervalPGetDatum(window);
	if (pgmqc_run_catalog(STMT_SET_DEDUP_WINDOW, values, NULL, 0) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("%s \"%s\" does not exist",
						queue->kind == PGMQC_KIND_TOPIC ? "topic" : "queue",
						queue->name),
				 errdetail("It was dropped while this session was using it.")));
	CacheInvalidateRelcacheByRelid(queue->cache.relid);
	queue->cache.valid = false;
}

/* Whether any of the settings is given. */
bool
pgmqc_settings_given(const PgmqcSettings *settings)
{
	return settings->visibility_timeout != NULL ||
		settings->has_max_deliveries || settings->dead_letter_queue != NULL ||
		settings->retry_backoff != NULL || settings->retry_backoff_max != NULL ||
		settings->archive_retention != NULL || settings->dedup_window != NULL ||
		settings->has_durability;
}

/*
 * If dead letters of queue dlq_id come, from queue to dead-letter queue, to
 * queue source, the way they go ("\"b\" -> \"a\"": dlq_id's name first,
 * source's last) with *named true, or *named false when the caller holds
 * no privilege on some queue on the way (which then stays unnamed, as
 * listings hide it); NULL otherwise.
 *
 * The caller holds the catalog lock, which every change of a dead-letter
 * queue takes, and the chain is read with the latest snapshot: under
 * REPEATABLE READ the transaction's could miss the change of a
 * transaction this one waited for at the lock, such as the other half of a
 * cycle.
 */
static char *
dead_letter_cycle(int32 dlq_id, PgmqcQueue *source, bool *named)
{
	Datum		args[2];
	Snapshot	snapshot;
	StringInfoData way;
	int			rc;
	uint64		n;
	uint64		i;
	int32	   *ids;
	Oid		   *owners;

	args[0] = Int32GetDatum(dlq_id);
	args[1] = Int32GetDatum(source->queue_id);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	rc = SPI_execute_snapshot(pgmqc_catalog_plan(STMT_DEAD_LETTER_CYCLE), args,
							  NULL, snapshot, InvalidSnapshot, true, false, 0);
	UnregisterSnapshot(snapshot);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(rc));
	n = SPI_processed;
	if (n == 0)
		return NULL;
	ids = palloc(n * sizeof(int32));
	owners = palloc(n * sizeof(Oid));
	initStringInfo(&way);
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = DatumGetInt32(pgmqc_column(i, CYCLE_COL_QUEUE_ID, &isnull));
		owners[i] = DatumGetObjectId(pgmqc_column(i, CYCLE_COL_OWNER, &isnull));
		appendStringInfo(&way, "%s\"%s\"", i > 0 ? " -> " : "",
						 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
									  CYCLE_COL_NAME));
	}
	/* (which may run statements of its own, replacing SPI_tuptable) */
	*named = true;
	for (i = 0; i < n; i++)
		if (pgmqc_access_mask_by_id(ids[i], owners[i]) == 0)
			*named = false;
	return way.data;
}

/*
 * The queue_id of the dead-letter queue named (0 for ''), checked: a queue
 * which the caller may send to, and for a queue (source; NULL for a
 * consumer group) not source itself nor a queue whose dead letters come
 * back to source.  A group cannot be a dead-letter queue, so it is never
 * part of a cycle.
 */
static int32
dead_letter_queue_id(const char *name, PgmqcQueue *source)
{
	PgmqcQueue *dlq;
	char	   *cycle;
	bool		named;

	if (name[0] == '\0')
		return 0;
	dlq = pgmqc_lookup_kind(name, 0, true);
	if (dlq == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("dead-letter queue \"%s\" does not exist", name),
				 errhint("Create it with pgmq_c.create_queue() first.")));
	if (dlq->kind != PGMQC_KIND_QUEUE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("dead-letter queue \"%s\" is a topic, not a queue", name),
				 errhint("Dead letters go to a queue.")));
	if (source != NULL && dlq->queue_id == source->queue_id)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("queue \"%s\" cannot be its own dead-letter queue", name)));
	pgmqc_check_access(dlq, name, PGMQC_PRIV_SEND);

	/*
	 * Dead letters that came back to their source would go round forever,
	 * moved again each time they fail max_deliveries times, their headers
	 * growing by the dead-letter key of each move ("previous").
	 */
	if (source != NULL &&
		(cycle = dead_letter_cycle(dlq->queue_id, source, &named)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("queue \"%s\" cannot be the dead-letter queue of queue \"%s\"",
						name, source->name),
				 named ?
				 errdetail("Dead letters would go round in a cycle: \"%s\" -> %s.",
						   source->name, cycle) :
				 errdetail("Dead letters of queue \"%s\" would come back to queue \"%s\" through queues you hold no privilege on.",
						   name, source->name),
				 errhint("A message that keeps failing would be moved from queue to queue forever. End the chain with a queue without a dead-letter queue.")));
	return dlq->queue_id;
}

static void
set_interval_arg(Datum *values, char *nulls, int i, Interval *interval)
{
	values[i] = PointerGetDatum(interval);
	nulls[i] = interval ? ' ' : 'n';
}

/*
 * Write the settings of a queue (group NULL; queue is the queue) or of a
 * consumer group (queue is its topic) to the catalog.  The caller checked
 * its privilege on the queue or topic.  Inside SPI.
 */
void
pgmqc_apply_settings(PgmqcQueue *queue, PgmqcGroup *group,
					 const PgmqcSettings *settings)
{
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	PgmqcRetryPolicy *retry = group ? &group->retry : &queue->retry;
	bool		isnull;
	Oid			relid;
	PgmqcSettings retry_settings = *settings;

	/*
	 * The durability is the caller's to apply (pgmqc_queue_set_durability);
	 * the deduplication window has a statement of its own.
	 */
	retry_settings.has_durability = false;
	if (retry_settings.dedup_window != NULL)
	{
		pgmqc_apply_dedup_window(queue, retry_settings.dedup_window);
		retry_settings.dedup_window = NULL;
	}
	if (!pgmqc_settings_given(&retry_settings))
		return;
	settings = &retry_settings;
	if (!retry->catalog_has_retries)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("retry settings need pgmq_c 0.6.0 or later"),
				 errhint("Run ALTER EXTENSION pgmq_c UPDATE.")));
	if (settings->visibility_timeout)
		pgmqc_check_vt(settings->visibility_timeout, "visibility_timeout", false);
	/* naming a dead-letter queue takes turns with dropping one */
	if (settings->dead_letter_queue != NULL)
		pgmqc_lock_catalog();

	/* a group has no archive: its dead letters need a queue */
	if (group != NULL &&
		(settings->has_max_deliveries ? settings->max_deliveries : retry->max_deliveries) > 0 &&
		(settings->dead_letter_queue ? settings->dead_letter_queue[0] == '\0' :
		 retry->dead_letter_queue[0] == '\0'))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_deliveries of consumer group \"%s\" needs a dead_letter_queue",
						group->key.name),
				 errhint("A consumer group has no archive: name a queue for its dead letters with dead_letter_queue.")));

	values[0] = Int32GetDatum(group ? group->group_id : queue->queue_id);
	set_interval_arg(values, nulls, 1, settings->visibility_timeout);
	values[2] = Int32GetDatum(settings->max_deliveries);
	nulls[2] = settings->has_max_deliveries ? ' ' : 'n';
	nulls[3] = 'n';
	if (settings->dead_letter_queue)
	{
		values[3] = Int32GetDatum(dead_letter_queue_id(settings->dead_letter_queue,
													   group ? NULL : queue));
		nulls[3] = ' ';
	}
	set_interval_arg(values, nulls, 4, settings->retry_backoff);
	set_interval_arg(values, nulls, 5, settings->retry_backoff_max);
	set_interval_arg(values, nulls, 6, settings->archive_retention);

	if (pgmqc_run_catalog(group ? STMT_ALTER_GROUP : STMT_ALTER_QUEUE,
						  values, nulls, 0) != 1)
	{
		if (group != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("consumer group \"%s\" of topic \"%s\" does not exist",
							group->key.name, queue->name),
					 errdetail("It was dropped while this session was using it.")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("%s \"%s\" does not exist",
						queue->kind == PGMQC_KIND_TOPIC ? "topic" : "queue",
						queue->name),
				 errdetail("It was dropped while this session was using it.")));
	}
	if (DatumGetBool(pgmqc_column(0, 1, &isnull)) && !isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retry_backoff must not exceed retry_backoff_max")));

	/* archive retention drops whole days of a partitioned archive */
	if (group == NULL && settings->archive_retention != NULL &&
		!pgmqc_interval_is_zero(settings->archive_retention))
		pgmqc_queue_partition_archive(queue);

	/* every backend, this one included, reads the entry again */
	relid = group ? group->cache.relid : queue->cache.relid;
	CacheInvalidateRelcacheByRelid(relid);
	if (group)
		group->cache.valid = false;
	else
		queue->cache.valid = false;
}

/*
 * alter_queue(queue_name text, visibility_timeout interval,
 *		max_deliveries integer, dead_letter_queue text,
 *		retry_backoff interval, retry_backoff_max interval,
 *		archive_retention interval, dedup_window interval,
 *		durability text) RETURNS void
 *
 * Of a topic, only dedup_window and durability may be given: the other
 * settings are its groups' (alter_group).  A topic's durability switches
 * its partitions and its groups' tables (topic/topic_storage.c), under the
 * catalog lock, which keeps groups from being made meanwhile.
 */
Datum
pgmqc_alter_queue(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcSettings settings;
	PgmqcQueue *queue;

	pgmqc_settings_from_args(fcinfo, 2, true, &settings);
	if (!PG_ARGISNULL(1))
	{
		settings.visibility_timeout = PG_GETARG_INTERVAL_P(1);
		pgmqc_check_vt(settings.visibility_timeout, "visibility_timeout", false);
	}
	pgmqc_check_writable("alter_queue()");

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, 0, PGMQC_PRIV_ADMIN);
	if (queue->kind == PGMQC_KIND_TOPIC)
	{
		PgmqcSettings others = settings;

		/* a topic's settings but these two are its groups' */
		others.dedup_window = NULL;
		others.has_durability = false;
		if (pgmqc_settings_given(&others))
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is a topic: of alter_queue()'s settings, only dedup_window and durability apply to it", name),
					 errhint("Change a consumer group's settings with pgmq_c.alter_group().")));
		while (settings.has_durability)
		{
			Oid			busy;

			pgmqc_lock_catalog();
			/* dropped or changed while this call waited for the lock? */
			queue = pgmqc_open(name, PGMQC_KIND_TOPIC, PGMQC_PRIV_ADMIN);
			if (pgmqc_topic_try_lock_tables(queue->queue_id, true, &busy))
				break;

			/*
			 * A transaction uses the topic: wait for it without the catalog
			 * lock, which it may ask for next (to change a setting, or create
			 * something), keeping the topic's gate once it is ours
			 * (relation_locks.c); then look again.
			 */
			pgmqc_unlock_catalog();
			pgmqc_wait_for_busy(busy, queue->cursors_relid, AccessExclusiveLock);
		}
		if (settings.dedup_window != NULL)
			pgmqc_apply_dedup_window(queue, settings.dedup_window);
		if (settings.has_durability)
			pgmqc_topic_set_durability(queue->queue_id, settings.unlogged);
	}
	else
	{
		/*
		 * The tables before the catalog row: a transaction in the way may
		 * change the row too once it has used the queue.
		 */
		if (settings.has_durability)
			pgmqc_queue_lock_for_durability(queue);
		pgmqc_apply_settings(queue, NULL, &settings);
		if (settings.has_durability)
			pgmqc_queue_set_durability(queue, settings.unlogged);
	}
	pgmqc_spi_finish(&cxt);
	PG_RETURN_VOID();
}

/*
 * alter_group(topic_name text, group_name text, visibility_timeout interval,
 *		max_deliveries integer, dead_letter_queue text,
 *		retry_backoff interval, retry_backoff_max interval) RETURNS void
 */
Datum
pgmqc_alter_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	PgmqcSettings settings;
	PgmqcQueue *topic;
	PgmqcGroup *group;

	pgmqc_settings_from_args(fcinfo, 3, false, &settings);
	if (!PG_ARGISNULL(2))
	{
		settings.visibility_timeout = PG_GETARG_INTERVAL_P(2);
		pgmqc_check_vt(settings.visibility_timeout, "visibility_timeout", false);
	}
	pgmqc_check_writable("alter_group()");

	pgmqc_spi_connect(&cxt);
	topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_ADMIN);
	group = pgmqc_group_lookup(topic, group_name, false);
	pgmqc_apply_settings(topic, group, &settings);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_VOID();
}
