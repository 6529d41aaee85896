/*-------------------------------------------------------------------------
 *
 * topic_statistics.c
 *		A topic's pgmq_c.queue_metrics row, from one statement.
 *
 * A topic's lengths count the messages retained in its log (delivery to
 * consumer groups: list_groups()).  As for queues (queue/metrics.c), each
 * count stops after pgmq_c.metrics_exact_limit rows; a length that reaches
 * the limit is replaced by the statistics collector's live-tuple count of
 * the log's partitions (never less than the limit), and length_is_exact is
 * then false.  Leases are per group and topics have no archive: those
 * columns are NULL.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/topic_statistics.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/statements.h"
#include "common/metrics_row.h"
#include "topic/topic.h"
#include "common/intervals.h"
#include "common/object_cache.h"

/*
 * Fill one pgmq_c.queue_metrics row (METRICS_ROW_NUM_COLUMNS values) for a
 * topic.  Inside SPI.  Uses the topic's name and queue_id only.
 */
void
pgmqc_topic_metrics_row(PgmqcQueue *topic, Datum *values, bool *nulls)
{
	Datum		args[2];
	int64		limit = pgmqc_metrics_exact_limit;
	int64		length,
				delayed;
	bool		exact = true;
	bool		isnull;
	TimestampTz now;

	args[0] = Int64GetDatum(limit + 1);
	args[1] = Int32GetDatum(topic->queue_id);
	pgmqc_queue_run(topic, STMT_TOPIC_METRICS, args, NULL, 1);
	length = pgmqc_column_int64(0, TOPIC_METRICS_COL_LENGTH, &isnull);
	delayed = pgmqc_column_int64(0, TOPIC_METRICS_COL_DELAYED, &isnull);
	if (length > limit)
	{
		int64		estimate = pgmqc_column_int64(0, TOPIC_METRICS_COL_LENGTH_ESTIMATE,
												  &isnull);

		length = isnull ? limit : Max(estimate, limit);
		exact = false;
	}
	if (delayed > limit)
	{
		delayed = limit;
		exact = false;
	}
	now = DatumGetTimestampTz(pgmqc_column(0, TOPIC_METRICS_COL_NOW, &isnull));

	memset(nulls, 0, METRICS_ROW_NUM_COLUMNS * sizeof(bool));
	values[METRICS_ROW_NAME] = CStringGetTextDatum(topic->name);
	values[METRICS_ROW_LENGTH] = Int64GetDatum(length);
	values[METRICS_ROW_VISIBLE] = Int64GetDatum(Max(length - delayed, 0));
	values[METRICS_ROW_DELAYED] = Int64GetDatum(delayed);
	nulls[METRICS_ROW_IN_FLIGHT] = true;	/* leases are per group */
	nulls[METRICS_ROW_ARCHIVED] = true; /* topics have no archive */
	pgmqc_metrics_row_ages(values, nulls, now, TOPIC_METRICS_COL_OLDEST_AT,
						   TOPIC_METRICS_COL_NEWEST_AT);
	/* total: 0 when NULL */
	pgmqc_metrics_row_summary(values, pgmqc_last_id_drawn(topic), exact, now,
							  "topic");
	values[METRICS_ROW_RETENTION] =
		pgmqc_column(0, TOPIC_METRICS_COL_RETENTION,
					 &nulls[METRICS_ROW_RETENTION]);
	values[METRICS_ROW_PARTITIONS] =
		pgmqc_column(0, TOPIC_METRICS_COL_PARTITIONS,
					 &nulls[METRICS_ROW_PARTITIONS]);
	values[METRICS_ROW_GROUPS] =
		pgmqc_column(0, TOPIC_METRICS_COL_GROUPS, &nulls[METRICS_ROW_GROUPS]);
	/* 0 when NULL */
	values[METRICS_ROW_TOTAL_BYTES] =
		Int64GetDatum(pgmqc_column_int64(0, TOPIC_METRICS_COL_SIZE, &isnull));
}
