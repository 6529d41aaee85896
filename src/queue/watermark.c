/*-------------------------------------------------------------------------
 *
 * watermark.c
 *		The low watermark of a queue, which keeps reads off dead tuples,
 *		and the settled ids it rests on.
 *
 * A read claims the oldest visible messages with an index scan on msg_id.
 * Consumed messages leave dead index entries and heap tuples behind them,
 * and while a long transaction anywhere pins the xmin horizon neither
 * VACUUM nor index-entry killing can remove them, so a scan from the start
 * of the index walks every message consumed since the horizon was pinned.
 * Each backend therefore keeps, per queue, a msg_id below which no message
 * can ever again be live (the watermark, common/object_cache.h), and starts
 * its scans there.  It is advanced at most every WATERMARK_INTERVAL_MS
 * (pgmqc_watermark_due, common/object_cache.c) to
 *
 *		min(smallest msg_id present in the message or delayed table,
 *			settled_through + 1)
 *
 * where settled_through is a msg_id such that every msg_id up to it belongs
 * to a finished transaction.  It is found in two steps: read the last
 * msg_id drawn V and then the next XID X (the candidate); senders take
 * their XID, and record it among the queue's senders in shared memory,
 * before their msg_id (common/sending.c), so every msg_id <= V belongs to a
 * recorded sender with XID < X; once every such sender has ended
 * (shared_memory/senders.c; without the preload, once every transaction
 * with an XID below X has), V is settled.  This is what makes the watermark
 * safe against transactions that commit in another order than their
 * msg_ids: a message sent by a long transaction is never skipped, while a
 * long transaction that wrote elsewhere does not hold the queue back.
 *
 * The minimum is computed in one statement (one snapshot), so a message
 * moving from the delayed table to the message table is seen in one of the
 * two.  A snapshot does not show the current transaction's own uncommitted
 * deletes as live, so an advance made in a transaction is only tentative
 * and is adopted at commit (pgmqc_object_cache_xact_end); rolled back, it
 * is forgotten.  Under REPEATABLE READ or SERIALIZABLE the snapshot is too
 * old to advance from, so the committed watermark is used as it is.
 *
 * The watermark is only a starting point: a message below it is never
 * live, and a message at or above it is always examined.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/watermark.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "queue/queue.h"

/* Try to advance the queue's watermark; returns the one to scan from. */
int64
pgmqc_queue_advance_watermark(PgmqcQueue *queue)
{
	PgmqcWatermark *watermark = &queue->cache.watermark;
	int64		current = pgmqc_effective_watermark(watermark);
	int64		candidate;
	Datum		arg;
	bool		isnull;
	int64		lowest_present;
	int64		shared;

	if (!pgmqc_watermark_due(watermark))
		return current;

	/*
	 * Share the committed watermark with the queue's other readers: a new
	 * backend starts where the others are (shared_memory/shared_watermarks.c)
	 */
	shared = pgmqc_shared_watermark_exchange(queue->queue_id,
											 queue->cache.relid,
											 watermark->committed);
	if (shared > watermark->committed)
	{
		watermark->committed = shared;
		current = pgmqc_effective_watermark(watermark);
	}

	/*
	 * step 2: have all transactions that could hold the candidate ended? Only
	 * the queue's senders can (common/sending.c): a long transaction that
	 * never sent here does not hold the watermark back.
	 */
	if (queue->has_candidate &&
		pgmqc_senders_ended_before(queue->queue_id, queue->candidate_xid))
		queue->settled_through = queue->candidate_id;

	/* step 1 of the next candidate: the last id drawn, then the next XID */
	queue->candidate_id = pgmqc_last_id_drawn(queue);
	queue->candidate_xid = XidFromFullTransactionId(ReadNextFullTransactionId());
	queue->has_candidate = true;

	/*
	 * Ids drawn from now on would be below the watermark: the sequence was
	 * moved back (setval, ALTER SEQUENCE RESTART, TRUNCATE ... RESTART
	 * IDENTITY).  What this backend and the others knew no longer holds:
	 * start again from the bottom.
	 */
	if (queue->candidate_id + 1 < current)
	{
		memset(watermark, 0, sizeof(*watermark));
		pgmqc_shared_watermark_forget(queue->queue_id, queue->cache.relid);
		queue->settled_through = 0;
		current = 0;
	}

	/* the smallest msg_id still present, in one snapshot */
	arg = Int64GetDatum(current);
	pgmqc_queue_run(queue, queue->has_keys ? STMT_WATERMARK_SCAN : STMT_WATERMARK_SCAN_0_6,
					&arg, NULL, 1);
	lowest_present = pgmqc_column_int64(0, VALUE_COL, &isnull);

	candidate = queue->settled_through + 1;
	if (!isnull && lowest_present < candidate)
		candidate = lowest_present;
	return pgmqc_watermark_advance(watermark, current, candidate);
}
