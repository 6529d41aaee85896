/*-------------------------------------------------------------------------
 *
 * intervals.h
 *		Adding intervals to times (common/intervals.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/intervals.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_INTERVALS_H
#define PGMQC_INTERVALS_H

#include "datatype/timestamp.h"

extern bool pgmqc_interval_is_zero(Interval *iv);
extern TimestampTz pgmqc_now_plus(Interval *iv);
extern TimestampTz pgmqc_ts_plus(TimestampTz ts, Interval *iv);
extern double pgmqc_age_seconds(TimestampTz now, TimestampTz then);

#endif							/* PGMQC_INTERVALS_H */
