/*-------------------------------------------------------------------------
 *
 * metrics.c
 *		A queue's pgmq_c.queue_metrics row, from one statement.
 *
 * metrics() must stay cheap on a queue of millions of messages, so every
 * count stops after pgmq_c.metrics_exact_limit rows.  When a count reaches
 * the limit, that count is replaced by the statistics collector's
 * live-tuple count (pg_stat_get_live_tuples, but never less than the limit)
 * and, for the queue's own lengths, length_is_exact is false.  Ages come
 * from the first and last rows of the msg_id index.  metrics_all() counts
 * small queues without a statement (metrics_scan.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/intervals.h"
#include "common/metrics_row.h"
#include "common/object_cache.h"

/*
 * Fill one pgmq_c.queue_metrics row (METRICS_ROW_NUM_COLUMNS values) for a
 * queue.  Inside SPI.  Uses the queue's name, queue_id and watermark only
 * (metrics_all passes an entry that is not in the cache).
 */
void
pgmqc_queue_metrics_row(PgmqcQueue *queue, Datum *values, bool *nulls)
{
	Datum		args[2];
	int64		limit = pgmqc_metrics_exact_limit;
	int64		length,
				visible,
				delayed,
				due,
				archived;
	bool		isnull;
	bool		exact;
	TimestampTz now;
	int			i;

	args[0] = Int64GetDatum(limit + 1);
	args[1] = Int64GetDatum(pgmqc_effective_watermark(&queue->cache.watermark));
	pgmqc_queue_run(queue, queue->has_keys ? STMT_METRICS : STMT_METRICS_0_6,
					args, NULL, 1);

	length = pgmqc_column_int64(0, METRICS_COL_LENGTH, &isnull);
	visible = pgmqc_column_int64(0, METRICS_COL_VISIBLE, &isnull);
	delayed = pgmqc_column_int64(0, METRICS_COL_DELAYED, &isnull);
	archived = pgmqc_column_int64(0, METRICS_COL_ARCHIVED, &isnull);

	/*
	 * Each count that reached the limit is replaced by the statistics
	 * collector's estimate; visible can only reach it when length does, and
	 * then leased messages are counted as visible.
	 */
	exact = true;
	if (length > limit)
	{
		length = Max(pgmqc_column_int64(0, METRICS_COL_MESSAGES_ESTIMATE,
										&isnull), limit);
		visible = length;
		exact = false;
	}
	if (delayed > limit)
	{
		delayed = Max(pgmqc_column_int64(0, METRICS_COL_DELAYED_ESTIMATE,
										 &isnull), limit);
		exact = false;
	}
	if (archived > limit)
		archived = Max(pgmqc_column_int64(0, METRICS_COL_ARCHIVED_ESTIMATE,
										  &isnull), limit);

	/*
	 * A delayed message whose time has come is visible: the next read moves
	 * it to the messages table and returns it (nobody needs to have read
	 * since it came due).
	 */
	due = Min(pgmqc_column_int64(0, METRICS_COL_DUE, &isnull), delayed);
	delayed -= due;
	length += due;
	visible += due;
	now = DatumGetTimestampTz(pgmqc_column(0, METRICS_COL_NOW, &isnull));

	memset(nulls, 0, METRICS_ROW_NUM_COLUMNS * sizeof(bool));
	values[METRICS_ROW_NAME] = CStringGetTextDatum(queue->name);
	values[METRICS_ROW_LENGTH] = Int64GetDatum(length + delayed);
	values[METRICS_ROW_VISIBLE] = Int64GetDatum(visible);
	values[METRICS_ROW_DELAYED] = Int64GetDatum(delayed);
	values[METRICS_ROW_IN_FLIGHT] = Int64GetDatum(Max(length - visible, 0));
	values[METRICS_ROW_ARCHIVED] = Int64GetDatum(archived);
	pgmqc_metrics_row_ages(values, nulls, now, METRICS_COL_OLDEST_AT,
						   METRICS_COL_NEWEST_AT);
	/* total: 0 when NULL */
	pgmqc_metrics_row_summary(values, pgmqc_last_id_drawn(queue), exact, now,
							  "queue");
	for (i = METRICS_ROW_RETENTION; i < METRICS_ROW_NUM_COLUMNS; i++)
		nulls[i] = true;
}
