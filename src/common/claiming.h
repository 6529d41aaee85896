/*-------------------------------------------------------------------------
 *
 * claiming.h
 *		What the claims of queues and consumer groups arrange around
 *		themselves: wake-ups and the sleep between attempts
 *		(common/claiming.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/claiming.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_CLAIMING_H
#define PGMQC_CLAIMING_H

#include "datatype/timestamp.h"

#include "common/object_cache.h"

extern void pgmqc_claim_wakeups(int32 queue_id, int abort_wakeups,
								Interval *vt, bool notify);
extern bool pgmqc_claim_sleep(int32 queue_id, uint64 seen, TimestampTz until,
							  TimestampTz deadline, bool commit_between,
							  bool probed);
extern void pgmqc_quiet_look_record(PgmqcQuietLook *look, int32 queue_id,
									uint64 seen, TimestampTz next_due,
									bool probed);
extern bool pgmqc_quiet_look_holds(PgmqcQuietLook *look, int32 queue_id,
								   uint64 seen, TimestampTz deadline);
extern int64 pgmqc_claim_skip_start(PgmqcCacheEntry *entry, int32 queue_id,
									int64 watermark, bool *skipping);
extern void pgmqc_claim_skip_remember(PgmqcCacheEntry *entry, int32 queue_id,
									  int64 start, int n, bool skipping);
extern void pgmqc_claim_skip_end(PgmqcCacheEntry *entry, int32 queue_id,
								 int64 start);

#endif							/* PGMQC_CLAIMING_H */
