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

extern void pgmqc_claim_wakeups(int32 queue_id, int abort_wakeups,
								bool notify, Interval *vt);
extern bool pgmqc_claim_sleep(int32 queue_id, uint64 seen, TimestampTz until,
							  TimestampTz deadline, bool commit_between);

#endif							/* PGMQC_CLAIMING_H */
