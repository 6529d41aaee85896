/*-------------------------------------------------------------------------
 *
 * group_listing.c
 *		SQL function list_groups: where each consumer group of a topic
 *		stands.
 *
 * One row per group, in the order of their names (collation "C"); a group
 * dropped meanwhile is left out.  The topic engine computes each group's
 * statistics (topic/group_statistics.c: lag, in flight, oldest
 * unacknowledged, missed), counting up to pgmq_c.metrics_exact_limit.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/group_listing.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "pgmq_c.h"
#include "common/object_cache.h"
#include "common/dead_letters.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "topic/topic.h"

PG_FUNCTION_INFO_V1(pgmqc_list_groups);

/* the columns of a list_groups() row */
enum
{
	LIST_GROUPS_GROUP_NAME,
	LIST_GROUPS_LAG,
	LIST_GROUPS_IN_FLIGHT,
	LIST_GROUPS_OLDEST_UNACKED_AGE_SEC,
	LIST_GROUPS_MISSED,
	LIST_GROUPS_NEXT_MSG_ID,
	LIST_GROUPS_LAG_IS_EXACT,
	LIST_GROUPS_VISIBILITY_TIMEOUT,
	LIST_GROUPS_FILTER,
	LIST_GROUPS_MAX_DELIVERIES, /* from 0.6.0 on */
	LIST_GROUPS_DEAD_LETTER_QUEUE,
	LIST_GROUPS_RETRY_BACKOFF,
	LIST_GROUPS_RETRY_BACKOFF_MAX,
	LIST_GROUPS_NUM_COLS
};

/* The group's retry policy, NULL where it has none. */
static void
retry_columns(PgmqcRetryPolicy *retry, Datum *values, bool *nulls)
{
	values[LIST_GROUPS_MAX_DELIVERIES] = Int32GetDatum(retry->max_deliveries);
	nulls[LIST_GROUPS_MAX_DELIVERIES] = retry->max_deliveries == 0;
	values[LIST_GROUPS_DEAD_LETTER_QUEUE] = CStringGetTextDatum(retry->dead_letter_queue);
	nulls[LIST_GROUPS_DEAD_LETTER_QUEUE] = retry->dead_letter_queue[0] == '\0' ||
		!pgmqc_dead_letter_queue_shown(retry->dead_letter_queue);
	values[LIST_GROUPS_RETRY_BACKOFF] = IntervalPGetDatum(&retry->backoff_interval);
	nulls[LIST_GROUPS_RETRY_BACKOFF] = retry->backoff == 0;
	values[LIST_GROUPS_RETRY_BACKOFF_MAX] = IntervalPGetDatum(&retry->backoff_max_interval);
	nulls[LIST_GROUPS_RETRY_BACKOFF_MAX] = retry->backoff_max_interval.time == 0 &&
		retry->backoff_max_interval.day == 0 && retry->backoff_max_interval.month == 0;
}

/*
 * list_groups(topic_name text) RETURNS SETOF record (group_name, lag,
 *		in_flight, oldest_unacked_age_sec, missed, next_msg_id, lag_is_exact,
 *		visibility_timeout, filter, max_deliveries, dead_letter_queue,
 *		retry_backoff, retry_backoff_max)
 *
 * Before 0.6.0 the function has no retry columns.
 */
Datum
pgmqc_list_groups(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PgmqcQueue *topic;
	char	  **names;
	uint64		n;
	uint64		i;
	int64		limit = pgmqc_metrics_exact_limit;
	int64		last_id;
	int			guard;

	InitMaterializedSRF(fcinfo, 0);
	pgmqc_spi_connect(&cxt);
	guard = pgmqc_plan_guard_begin();
	topic = pgmqc_open_locked(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_MONITOR);
	last_id = pgmqc_last_id_drawn(topic);
	names = pgmqc_topic_group_names(topic->queue_id, &n);

	for (i = 0; i < n; i++)
	{
		PgmqcGroup *group = pgmqc_group_lookup(topic, names[i], true);
		PgmqcGroupStatistics stats;
		Datum		values[LIST_GROUPS_NUM_COLS];
		bool		nulls[LIST_GROUPS_NUM_COLS];

		if (group == NULL || !pgmqc_check_group_not_dropped(topic, group, true))
			continue;			/* dropped meanwhile */
		if (!pgmqc_group_statistics(group, limit, last_id, &stats))
			continue;

		memset(nulls, 0, sizeof(nulls));
		values[LIST_GROUPS_GROUP_NAME] = CStringGetTextDatum(names[i]);
		values[LIST_GROUPS_LAG] = Int64GetDatum(stats.lag);
		values[LIST_GROUPS_IN_FLIGHT] = Int64GetDatum(stats.in_flight);
		if (stats.has_oldest)
			values[LIST_GROUPS_OLDEST_UNACKED_AGE_SEC] =
				Float8GetDatum((double) (stats.now - stats.oldest_at) / USECS_PER_SEC);
		else
			nulls[LIST_GROUPS_OLDEST_UNACKED_AGE_SEC] = true;
		values[LIST_GROUPS_MISSED] = Int64GetDatum(stats.missed);
		values[LIST_GROUPS_NEXT_MSG_ID] = Int64GetDatum(Max(stats.next_id, 0));
		values[LIST_GROUPS_LAG_IS_EXACT] = BoolGetDatum(stats.lag_is_exact);
		values[LIST_GROUPS_VISIBILITY_TIMEOUT] = IntervalPGetDatum(&group->default_vt);
		if (group->filter)
			values[LIST_GROUPS_FILTER] = JsonbPGetDatum(group->filter);
		else
			nulls[LIST_GROUPS_FILTER] = true;
		if (rsinfo->setDesc->natts == LIST_GROUPS_NUM_COLS)
			retry_columns(&group->retry, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pgmqc_plan_guard_end(guard);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
