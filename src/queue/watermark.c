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
 * their XID before their msg_id (send.c), so every msg_id <= V belongs to a
 * transaction with XID < X; once the oldest running XID is >= X, all of
 * them have ended and V is settled.  This is what makes the watermark safe
 * against transactions that commit in another order than their msg_ids: a
 * message sent by a long transaction is never skipped.
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
#include "storage/procarray.h"

#include "pgmq_c.h"
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

	if (!pgmqc_watermark_due(watermark))
		return current;

	/* step 2: have all transactions that could hold the candidate ended? */
	if (queue->has_candidate &&
		!TransactionIdPrecedes(GetOldestActiveTransactionId(),
							   queue->candidate_xid))
		queue->settled_through = queue->candidate_id;

	/* step 1 of the next candidate: the last id drawn, then the next XID */
	queue->candidate_id = pgmqc_last_id_drawn(queue);
	queue->candidate_xid = XidFromFullTransactionId(ReadNextFullTransactionId());
	queue->has_candidate = true;

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
