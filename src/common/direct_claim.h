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

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "utils/snapshot.h"

/* pgmqc_direct_claim could not claim: run the statement instead */
#define PGMQC_DIRECT_CLAIM_UNABLE	(-1)

/*
 * A claim's result rows: msg_id, read_ct, enqueued_at, vt, message,
 * headers, ordering_key (and under a retry policy, the outcome after them)
 */
#define PGMQC_CLAIM_RESULT_COLUMNS	7

/*
 * The body of a group's message msg_id from its topic's log, as the
 * snapshot sees it: values and nulls [0] enqueued_at, [1] message, [2]
 * headers (copied into the current memory context); false when the log
 * has no such message.
 */
typedef bool (*PgmqcDirectBodyFetch) (int64 msg_id, Snapshot snapshot,
									  Datum *values, bool *nulls, void *arg);

struct PgmqcRetryPolicy;

/*
 * What a queue's claim must also respect (common/direct_claim.c):
 * gate_queue_id, for a pop of a queue with ordering keys, the queue's id
 * (0: no key gate); reserved, the msg_ids (ascending) that this
 * transaction has just moved into the message table for the claim, which
 * it takes whatever else becomes visible meanwhile.
 */
typedef struct PgmqcClaimTerms
{
	int32		gate_queue_id;
	const int64 *reserved;
	int			nreserved;
} PgmqcClaimTerms;

extern int	pgmqc_direct_claim(Oid relid, int32 qty, Interval *vt, int64 start,
							   const struct PgmqcRetryPolicy *retry,
							   bool skipping, const PgmqcClaimTerms *terms);
extern int	pgmqc_direct_group_claim(Oid relid, int32 qty, Interval *vt,
									 int64 start,
									 const struct PgmqcRetryPolicy *retry,
									 bool skipping, PgmqcDirectBodyFetch fetch,
									 void *fetch_arg);

extern TupleDesc pgmqc_direct_claim_result_desc(void);
extern void pgmqc_direct_claim_set_result(HeapTuple *tuples, int n);

#endif							/* PGMQC_DIRECT_CLAIM_H */
