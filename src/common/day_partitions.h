/*-------------------------------------------------------------------------
 *
 * day_partitions.h
 *		Tables partitioned by UTC day: a queue's archive under
 *		archive_retention, pgmq_c.dedup_ids (common/day_partitions.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/day_partitions.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_DAY_PARTITIONS_H
#define PGMQC_DAY_PARTITIONS_H

#include "datatype/timestamp.h"

/* a partition holds one UTC day */
#define PGMQC_DAY_SECS	(24 * 60 * 60)

extern int64 pgmqc_day_of(TimestampTz ts);
extern char **pgmqc_expired_days(int n, TimestampTz cutoff, int64 *last_day,
								 int *nexpired);

#endif							/* PGMQC_DAY_PARTITIONS_H */
