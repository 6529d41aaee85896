/*-------------------------------------------------------------------------
 *
 * topic_admin.c
 *		SQL functions create_topic, drop_topic and maintain_topics.
 *
 * Argument checks and privilege checks; the topic engine makes and drops
 * the tables (topic/topic_storage.c) and maintains them
 * (topic/maintenance.c).  Creating or dropping takes SHARE ROW EXCLUSIVE
 * on pgmq_c.queues.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/topic_admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/dedup.h"
#include "common/guarded.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/relation_locks.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "functions/retry_settings.h"
#include "topic/topic.h"

PG_FUNCTION_INFO_V1(pgmqc_create_topic);
PG_FUNCTION_INFO_V1(pgmqc_drop_topic);
PG_FUNCTION_INFO_V1(pgmqc_maintain_topics);

/*
 * The longest retention, as archive_retention's (retry_settings.c): 10
 * years, counted from now on the calendar
 */
#define MAX_RETENTION_DAYS	3653

/* the range of partition_size, in msg_ids per partition */
#define MIN_PARTITION_SIZE	INT64CONST(1000)
#define MAX_PARTITION_SIZE	INT64CONST(1000000000000)

/*
 * create_topic(topic_name text, retention interval, partition_size bigint,
 *		dedup_window interval, durability text) RETURNS void
 *
 * durability (0.8.0): 'logged' (NULL too) or 'unlogged', whose partitions
 * and groups' tables are made UNLOGGED (topic/topic_storage.c).
 */
Datum
pgmqc_create_topic(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	Interval   *retention;
	int64		partition_size;
	PgmqcQueue *existing;
	Interval   *dedup_window = pgmqc_dedup_window_arg(fcinfo, 3);
	bool		unlogged;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz retained_until;
	Interval	longest;

	pgmqc_check_not_null(fcinfo, 1, "retention");
	retention = PG_GETARG_INTERVAL_P(1);
	pgmqc_check_interval_parts(retention, "retention");
	/* one reading of the clock: '1 microsecond' is positive */
	retained_until = pgmqc_ts_plus(now, retention);
	if (retained_until <= now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention must be positive")));
	memset(&longest, 0, sizeof(longest));
	longest.day = MAX_RETENTION_DAYS;
	if (retained_until > pgmqc_ts_plus(now, &longest))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention must not exceed 10 years")));
	pgmqc_check_not_null(fcinfo, 2, "partition_size");
	partition_size = PG_GETARG_INT64(2);
	if (partition_size < MIN_PARTITION_SIZE || partition_size > MAX_PARTITION_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partition_size must be between " INT64_FORMAT " and " INT64_FORMAT,
						MIN_PARTITION_SIZE, MAX_PARTITION_SIZE)));
	(void) pgmqc_durability_arg(fcinfo, 4, &unlogged);
	pgmqc_check_writable("create_topic()");

	pgmqc_spi_connect(&cxt);
	pgmqc_lock_catalog();
	existing = pgmqc_lookup_kind(name, 0, true);
	if (existing != NULL)
	{
		if (existing->kind != PGMQC_KIND_TOPIC)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("a queue named \"%s\" already exists", name),
					 errdetail("Topics and queues share one namespace.")));
		ereport(NOTICE,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("topic \"%s\" already exists, skipping", name)));
		pgmqc_spi_finish(&cxt);
		PG_RETURN_VOID();
	}
	cxt.action = psprintf("creating topic \"%s\"", name);
	(void) pgmqc_topic_create(name, retention, partition_size, unlogged);
	cxt.action = NULL;
	if (dedup_window != NULL)
		pgmqc_apply_dedup_window(pgmqc_lookup_kind(name, PGMQC_KIND_TOPIC, false),
								 dedup_window);
	pgmqc_dedup_days_for_new();
	pgmqc_spi_finish(&cxt);
	PG_RETURN_VOID();
}

/*
 * drop_topic(topic_name text) RETURNS boolean
 */
Datum
pgmqc_drop_topic(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	PgmqcQueue *topic;
	int32		id;

	pgmqc_check_writable("drop_topic()");

	pgmqc_spi_connect(&cxt);
	for (;;)
	{
		Oid			busy;

		pgmqc_lock_catalog();
		/* found even if its tables are missing */
		topic = pgmqc_lookup_for_drop(name, PGMQC_KIND_TOPIC, true);
		if (topic == NULL)
		{
			pgmqc_spi_finish(&cxt);
			PG_RETURN_BOOL(false);
		}
		pgmqc_check_access(topic, name, PGMQC_PRIV_ADMIN);
		if (pgmqc_topic_try_lock_tables(topic->queue_id, false, &busy))
			break;
		/* as drop_queue: wait without the catalog lock, then look again */
		pgmqc_unlock_catalog();
		pgmqc_wait_for_busy(busy, topic->cursors_relid, AccessExclusiveLock);
	}
	id = topic->queue_id;
	cxt.action = psprintf("dropping topic \"%s\"", name);
	pgmqc_topic_drop_storage(id);
	pgmqc_group_forget_topic(id);
	pgmqc_forget(name);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_BOOL(true);
}

static void
maintain_dedup_days(void *arg)
{
	(void) pgmqc_dedup_maintain();
}

/*
 * maintain_topics() RETURNS bigint
 *
 * What the worker does for topics, and for the days of pgmq_c.dedup_ids,
 * for a server without the worker (no shared_preload_libraries).
 */
Datum
pgmqc_maintain_topics(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	int64		dropped;
	uint64		visited;
	uint64		ntopics;

	pgmqc_check_writable("maintain_topics()");
	pgmqc_spi_connect(&cxt);
	if (!pgmqc_security_active())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("maintain_topics() needs the extension's catalog of version 0.4.0 or later"),
				 errdetail("Before 0.4.0 a topic's tables belong to whoever created it, and could run that role's code as the caller."),
				 errhint("Run ALTER EXTENSION pgmq_c UPDATE.")));
	dropped = pgmqc_maintain_topics_internal(0, &visited, &ntopics);
	/* and the days of pgmq_c.dedup_ids, which the worker cares for too */
	if (pgmqc_ordering_exists())
	{
		ErrorData  *edata = pgmqc_run_guarded(maintain_dedup_days, NULL);

		if (edata != NULL)
		{
			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("the days of pgmq_c.dedup_ids could not be made or dropped: %s",
							edata->message),
					 errhint("Call pgmq_c.maintain_topics() again.")));
			FreeErrorData(edata);
		}
	}
	pgmqc_spi_finish(&cxt);
	PG_RETURN_INT64(dropped);
}
