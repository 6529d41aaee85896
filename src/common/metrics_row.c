/*-------------------------------------------------------------------------
 *
 * metrics_row.c
 *		The columns of a pgmq_c.queue_metrics row that queues and topics
 *		fill alike: the ages of the oldest and newest messages, the msg_ids
 *		drawn, whether the counts are exact, the scrape time and the kind.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/metrics_row.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/intervals.h"
#include "common/metrics_row.h"
#include "common/statements.h"

/*
 * Set an age column to the seconds from the timestamptz in column "column"
 * of the first row of the last SPI result to now; NULL when that is NULL.
 */
static void
set_age(Datum *values, bool *nulls, PgmqcMetricsColumn age, int column,
		TimestampTz now)
{
	bool		isnull;
	Datum		at = pgmqc_column(0, column, &isnull);

	if (isnull)
		nulls[age] = true;
	else
		values[age] =
			Float8GetDatum(pgmqc_age_seconds(now, DatumGetTimestampTz(at)));
}

/*
 * The ages of the oldest and newest messages at now, from the columns
 * oldest_column and newest_column of the first row of the last SPI result
 * (NULL when there is no message).
 */
void
pgmqc_metrics_row_ages(Datum *values, bool *nulls, TimestampTz now,
					   int oldest_column, int newest_column)
{
	set_age(values, nulls, METRICS_ROW_OLDEST_AGE, oldest_column, now);
	set_age(values, nulls, METRICS_ROW_NEWEST_AGE, newest_column, now);
}

/*
 * The msg_ids drawn (total), whether the counts are exact, the scrape time
 * and the kind ("queue" or "topic").
 */
void
pgmqc_metrics_row_summary(Datum *values, int64 total, bool exact,
						  TimestampTz now, const char *kind)
{
	values[METRICS_ROW_TOTAL] = Int64GetDatum(total);
	values[METRICS_ROW_EXACT] = BoolGetDatum(exact);
	values[METRICS_ROW_SCRAPE_TIME] = TimestampTzGetDatum(now);
	values[METRICS_ROW_KIND] = CStringGetTextDatum(kind);
}
