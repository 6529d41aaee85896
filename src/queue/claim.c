/*-------------------------------------------------------------------------
 *
 * claim.c
 *		Claiming a queue's visible messages for a lease (read, receive),
 *		waiting until some are visible, and popping them.
 *
 * A claim first moves due delayed messages into the message table
 * (delayed.c), then takes up to qty visible messages from the watermark on
 * (watermark.c) with FOR UPDATE SKIP LOCKED, so that readers never block
 * one another, and makes them invisible for the lease.  While none is
 * visible, a waiting claim sleeps on the queue's wake-up slot (wait.c)
 * until a commit may have made one visible, or until the next due time.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/claim.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/claiming.h"
#include "common/security.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/object_cache.h"

/*
 * One attempt to claim up to qty messages for vt; returns how many (rows in
 * SPI_tuptable).  Registers the wake-ups that the claim implies.
 */
static int
claim_once(PgmqcQueue *queue, int32 qty, Interval *vt)
{
	Datum		values[3];
	int			n;

	pgmqc_queue_mature_due(queue);
	values[0] = Int32GetDatum(qty);
	values[1] = IntervalPGetDatum(vt);
	values[2] = Int64GetDatum(pgmqc_queue_advance_watermark(queue));
	n = pgmqc_queue_run(queue, STMT_CLAIM, values, NULL, 0);
	/* the lease end matters to sleepers and to notifications */
	if (n > 0)
		pgmqc_claim_wakeups(queue->queue_id, n, queue->notify, vt);
	return n;
}

/*
 * Claim up to qty messages of queue "name" for vt (NULL: the queue's
 * default), and while none is visible and waiting and the deadline has not
 * passed, sleep until one may be.  Returns how many, leaving the claimed
 * rows in SPI_tuptable.  The queue is opened (privilege to consume) anew on
 * every attempt.  With commit_between (a non-atomic CALL) the transaction
 * is committed before each sleep, so the backend holds no snapshot and no
 * lock while it waits; the claim that finds messages is then committed by
 * the caller.
 */
int
pgmqc_queue_claim(const char *name, int32 qty, Interval *vt_arg,
				  bool waiting, TimestampTz deadline, bool commit_between)
{
	for (;;)
	{
		PgmqcQueue *queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
		Interval   *vt;
		uint64		seen;
		TimestampTz until;
		int			n;

		/* after a sleep, the queue may have been dropped meanwhile */
		pgmqc_check_not_dropped(queue);
		vt = vt_arg ? vt_arg : &queue->default_vt;
		seen = pgmqc_generation(queue->queue_id);
		n = claim_once(queue, qty, vt);
		if (n > 0 || !waiting || GetCurrentTimestamp() >= deadline)
			return n;
		SPI_freetuptable(SPI_tuptable);

		until = pgmqc_next_due(queue, pgmqc_effective_watermark(&queue->cache.watermark));
		if (until > deadline)
			until = deadline;
		pgmqc_claim_sleep(queue->queue_id, seen, until, commit_between);
	}
}

/*
 * Delete up to qty visible messages and return them; returns how many
 * (rows in SPI_tuptable).
 */
int
pgmqc_queue_pop(PgmqcQueue *queue, int32 qty)
{
	Datum		values[2];
	int			n;

	pgmqc_queue_mature_due(queue);
	values[0] = Int32GetDatum(qty);
	values[1] = Int64GetDatum(pgmqc_queue_advance_watermark(queue));
	n = pgmqc_queue_run(queue, STMT_POP, values, NULL, 0);
	if (n > 0)
		pgmqc_wake_on_abort(queue->queue_id, n);
	return n;
}
