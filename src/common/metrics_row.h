/*-------------------------------------------------------------------------
 *
 * metrics_row.h
 *		The columns of the row type pgmq_c.queue_metrics, which both the queue
 *		and the topic engine fill, and the columns they fill alike
 *		(common/metrics_row.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/metrics_row.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_METRICS_ROW_H
#define PGMQC_METRICS_ROW_H

#include "datatype/timestamp.h"

/*
 * The columns of a pgmq_c.queue_metrics row, as indexes into the values
 * and nulls arrays that the metrics functions fill (queues in queue/metrics.c,
 * topics in topic/topic_statistics.c).  The catalog of version 0.2.0 and older has
 * only the columns up to METRICS_ROW_SCRAPE_TIME.
 */
typedef enum PgmqcMetricsColumn
{
	METRICS_ROW_NAME,
	METRICS_ROW_LENGTH,
	METRICS_ROW_VISIBLE,
	METRICS_ROW_DELAYED,
	METRICS_ROW_IN_FLIGHT,
	METRICS_ROW_ARCHIVED,
	METRICS_ROW_OLDEST_AGE,
	METRICS_ROW_NEWEST_AGE,
	METRICS_ROW_TOTAL,
	METRICS_ROW_EXACT,
	METRICS_ROW_SCRAPE_TIME,
	METRICS_ROW_KIND,
	METRICS_ROW_RETENTION,
	METRICS_ROW_PARTITIONS,
	METRICS_ROW_GROUPS,
	METRICS_ROW_TOTAL_BYTES,
	METRICS_ROW_NUM_COLUMNS
} PgmqcMetricsColumn;

extern void pgmqc_metrics_row_ages(Datum *values, bool *nulls, TimestampTz now,
								   int oldest_column, int newest_column);
extern void pgmqc_metrics_row_summary(Datum *values, int64 total, bool exact,
									  TimestampTz now, const char *kind);

#endif							/* PGMQC_METRICS_ROW_H */
