/*-------------------------------------------------------------------------
 *
 * dedup.h
 *		Deduplication ids of sends (common/dedup.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/dedup.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_DEDUP_H
#define PGMQC_DEDUP_H

#include "datatype/timestamp.h"

extern void pgmqc_dedup_lock(int32 queue_id, Datum *ids, int n);
extern int64 pgmqc_dedup_find(char kind, int32 queue_id, double window_secs,
							  Datum id);
extern TimestampTz pgmqc_dedup_cutoff(double window_secs);
extern TimestampTz pgmqc_dedup_horizon(void);
extern void pgmqc_dedup_record(int32 queue_id, const Datum *ids,
							   const int64 *msg_ids, int n);
extern int	pgmqc_dedup_maintain(void);

#endif							/* PGMQC_DEDUP_H */
