/*-------------------------------------------------------------------------
 *
 * direct_claim.h
 *		A queue's claim without a statement (common/direct_claim.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/direct_claim.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_DIRECT_CLAIM_H
#define PGMQC_DIRECT_CLAIM_H

#include "datatype/timestamp.h"
#include "utils/snapshot.h"

/* pgmqc_direct_claim could not claim: run the statement instead */
#define PGMQC_DIRECT_CLAIM_UNABLE	(-1)

/*
 * The body of a group's message msg_id from its topic's log, as the
 * snapshot sees it: values and nulls [0] enqueued_at, [1] message, [2]
 * headers (copied into the current memory context); false when the log
 * has no such message.
 */
typedef bool (*PgmqcDirectBodyFetch) (int64 msg_id, Snapshot snapshot,
									  Datum *values, bool *nulls, void *arg);

struct PgmqcRetryPolicy;

extern int	pgmqc_direct_claim(Oid relid, int32 qty, Interval *vt, int64 start,
							   const struct PgmqcRetryPolicy *retry,
							   bool skipping, int32 gate_queue_id);
extern int	pgmqc_direct_group_claim(Oid relid, int32 qty, Interval *vt,
									 int64 start,
									 const struct PgmqcRetryPolicy *retry,
									 bool skipping, PgmqcDirectBodyFetch fetch,
									 void *fetch_arg);

#endif							/* PGMQC_DIRECT_CLAIM_H */
