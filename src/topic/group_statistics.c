/*-------------------------------------------------------------------------
 *
 * group_statistics.c
 *		Where a topic's consumer groups stand: their names, and each one's
 *		lag, messages in flight, oldest unacknowledged message, messages
 *		missed and cursor.
 *
 * A group's lag is what it has not acknowledged: the messages handed to it
 * and not acknowledged (its table, and its blocks: messages handed to it
 * that no reader has taken yet, group_blocks.c) plus the retained messages
 * after its cursor that its filter lets through.  Messages its filter rejects never
 * count.  As with metrics(), counting stops at a limit
 * (pgmq_c.metrics_exact_limit); above it the lag is estimated from the
 * msg_id range and is not exact.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_statistics.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgmq_c.h"
#include "common/object_cache.h"
#include "topic/topic.h"
#include "common/statements.h"

/*
 * The names of a topic's groups, in the order of their names (collation
 * "C"), as a palloc'd array of *n; inside SPI.
 */
char	  **
pgmqc_topic_group_names(int32 topic_id, uint64 *n)
{
	Datum		arg = Int32GetDatum(topic_id);
	char	  **names;
	uint64		i;

	/* read-only (see the statement): the groups the caller's snapshot shows */
	*n = pgmqc_run_catalog(STMT_TOPIC_GROUP_NAMES, &arg, NULL, 0);
	names = palloc((*n + 1) * sizeof(char *));
	for (i = 0; i < *n; i++)
		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
								GROUP_NAMES_COL_GROUP_NAME);
	return names;
}

/*
 * Compute a group's statistics, counting up to limit messages of each kind;
 * last_id is the topic's last msg_id drawn.  False when the group has no
 * cursor row (dropped meanwhile).  Inside SPI.
 */
bool
pgmqc_group_statistics(PgmqcGroup *group, int64 limit, int64 last_id,
					   PgmqcGroupStatistics *stats)
{
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;
	bool		no_oldest;
	int64		outstanding;
	int64		blocked;
	int64		pending;

	args[0] = Int64GetDatum(limit + 1);
	args[1] = Int32GetDatum(group->group_id);
	args[2] = group->filter ? JsonbPGetDatum(group->filter) : (Datum) 0;
	if (group->filter == NULL)
		nulls[2] = 'n';
	if (pgmqc_group_run(group, STMT_GROUP_STATS, args, nulls, 1) != 1)
		return false;

	stats->next_id = pgmqc_column_int64(0, GROUP_STATS_COL_NEXT_ID, &isnull);
	stats->missed = pgmqc_column_int64(0, GROUP_STATS_COL_MISSED, &isnull);
	outstanding = pgmqc_column_int64(0, GROUP_STATS_COL_PENDING, &isnull);
	stats->in_flight = pgmqc_column_int64(0, GROUP_STATS_COL_LEASED, &isnull);
	pending = pgmqc_column_int64(0, GROUP_STATS_COL_WAITING, &isnull);
	/* exact: each block knows how many messages it holds */
	blocked = pgmqc_column_int64(0, GROUP_STATS_COL_BLOCKED, &isnull);
	stats->lag_is_exact = true;
	if (outstanding > limit || stats->in_flight > limit)
		stats->lag_is_exact = false;
	if (pending > limit)
	{
		stats->lag_is_exact = false;
		/* cursor 0 is "from the start": msg_ids begin at 1 */
		if (group->filter == NULL)
			pending = Max(limit, last_id - Max(stats->next_id, 1) + 1);
		else
			pending = limit;
	}
	stats->lag = outstanding + blocked + pending;

	stats->oldest_at = DatumGetTimestampTz(pgmqc_column(0, GROUP_STATS_COL_OLDEST_AT,
														&no_oldest));
	stats->has_oldest = !no_oldest;
	stats->now = DatumGetTimestampTz(pgmqc_column(0, GROUP_STATS_COL_NOW, &isnull));
	return true;
}
