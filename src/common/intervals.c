/*-------------------------------------------------------------------------
 *
 * intervals.c
 *		Adding intervals to times without ever failing on a huge interval,
 *		and the age of a time in seconds.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/intervals.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

#include "common/intervals.h"

bool
pgmqc_interval_is_zero(Interval *iv)
{
	return iv->time == 0 && iv->day == 0 && iv->month == 0;
}

/*
 * Intervals are checked on the calendar, by adding them to the current time
 * (so '1 mon' is longer than 30 days in some months).  Every limit pgmq_c
 * has is a few years at most, but an interval can reach 178 million years,
 * and adding that to a timestamp fails with "timestamp out of range"
 * (22008), an error about our computation rather than the argument.  So a
 * "huge" interval, one with a field or an approximate total beyond
 * HUGE_INTERVAL_DAYS, is never added: it counts as infinitely long in the
 * direction of its approximate total, and the caller's range check rejects
 * it with its own message.  Below that bound the addition cannot overflow
 * (now plus or minus three thousand years is a valid timestamp).
 */
#define HUGE_INTERVAL_DAYS		INT64CONST(366000)	/* about 1000 years */

/* 1 or -1 for a huge interval (its approximate sign), 0 otherwise */
static int
huge_interval_sign(const Interval *iv)
{
	double		days = (double) iv->month * DAYS_PER_MONTH + (double) iv->day +
	(double) iv->time / (double) USECS_PER_DAY;

	if (iv->month > HUGE_INTERVAL_DAYS / 366 * MONTHS_PER_YEAR ||
		iv->month < -HUGE_INTERVAL_DAYS / 366 * MONTHS_PER_YEAR ||
		iv->day > HUGE_INTERVAL_DAYS || iv->day < -HUGE_INTERVAL_DAYS ||
		iv->time > HUGE_INTERVAL_DAYS * USECS_PER_DAY ||
		iv->time < -HUGE_INTERVAL_DAYS * USECS_PER_DAY ||
		days > (double) HUGE_INTERVAL_DAYS || days < -(double) HUGE_INTERVAL_DAYS)
		return days < 0 ? -1 : 1;
	return 0;
}

/*
 * ts + iv, computed the way timestamptz + interval is in SQL, except that a
 * huge interval (above) gives +infinity or -infinity instead of an error.
 * ts must be finite and within a few thousand years of today.
 */
TimestampTz
pgmqc_ts_plus(TimestampTz ts, Interval *iv)
{
	int			huge = huge_interval_sign(iv);

	if (huge > 0)
		return DT_NOEND;
	if (huge < 0)
		return DT_NOBEGIN;
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
												   TimestampTzGetDatum(ts),
												   IntervalPGetDatum(iv)));
}

/*
 * The current time (clock_timestamp()) plus an interval; +/-infinity for a
 * huge interval (see pgmqc_ts_plus), never an error.
 */
TimestampTz
pgmqc_now_plus(Interval *iv)
{
	return pgmqc_ts_plus(GetCurrentTimestamp(), iv);
}


/* Seconds from then to now, for the ages metrics report. */
double
pgmqc_age_seconds(TimestampTz now, TimestampTz then)
{
	return (double) (now - then) / USECS_PER_SEC;
}
