/*-------------------------------------------------------------------------
 *
 * retries.c
 *		A queue's retry policy: giving a message back (nack), moving dead
 *		messages to the dead-letter queue or the archive, the worker's pass
 *		over a queue, and archive retention.
 *
 * A message read max_deliveries times is dead once its lease expires or it
 * is nacked: read() marks the dead messages it comes across and moves them
 * before it returns (claim.c), nack() moves one at once, and the database's
 * worker moves those nobody reads (pgmqc_queue_retry_pass).  Moving deletes
 * the message from the queue and sends it to the dead-letter queue, or
 * without one archives it, in the same statement or transaction.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/retries.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/dead_letters.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "queue/queue.h"

/* the worker moves at most this many dead messages of a queue per pass */
#define DEAD_LETTER_PASS_LIMIT	1000

/* ... and removes at most this many archived messages */
#define ARCHIVE_EXPIRE_LIMIT	10000

/*
 * Move the queue's dead messages ids[0..n-1] (locked by this transaction)
 * to its dead-letter queue, or to its archive without one (or when the
 * queue's owner may no longer send to it).  Returns how many moved.
 *
 * With skip_locked_keys (a read, a pop, the worker), a dead message whose
 * ordering key's row another transaction holds is not moved but left for
 * later (pgmqc_key_release_add_movable): moving a key's head waits for
 * that row, and a reader must not wait for a sender.  nack() moves its
 * message whatever it takes, as delete() does.
 */
int64
pgmqc_queue_move_dead(PgmqcQueue *queue, const int64 *ids, int n,
					  bool skip_locked_keys)
{
	Datum		args[2];
	PgmqcKeyRelease release;
	int64		moved;
	int			guard = pgmqc_plan_guard_begin();

	pgmqc_key_release_init(&release);
	if (skip_locked_keys && queue->has_keys)
	{
		int64	   *movable = palloc((n + 1) * sizeof(int64));

		memcpy(movable, ids, n * sizeof(int64));
		n = pgmqc_key_release_add_movable(queue, &release, movable, n);
		ids = movable;
		if (n == 0)
		{
			pgmqc_plan_guard_end(guard);
			return 0;
		}
	}
	else
		pgmqc_key_release_add_ids(queue, &release, ids, n);

	args[0] = pgmqc_id_array(ids, n);
	args[1] = CStringGetTextDatum(queue->name);
	if (!pgmqc_dead_letters_allowed(queue->retry.dead_letter_queue,
									queue->owner))
		moved = pgmqc_queue_run(queue, STMT_DEAD_LETTER_ARCHIVE, args, NULL, 0);
	else
	{
		(void) pgmqc_queue_run(queue, STMT_DEAD_LETTER_TAKE, args, NULL, 0);
		moved = pgmqc_send_dead_letters(queue->retry.dead_letter_queue);
	}
	/* a dead letter of an ordering key lets the key's next message follow */
	pgmqc_key_release_finish(queue, &release);
	pgmqc_plan_guard_end(guard);
	return moved;
}

/*
 * Give a message back: visible again after delay (NULL: after the backoff
 * of the queue's policy, or at once without one), with the reason of the
 * nack (may be NULL).  A message read max_deliveries times is dead-lettered
 * instead.  With has_read_ct, only the delivery read_ct.  False when the
 * queue holds no such message (or delivery).
 */
bool
pgmqc_queue_nack(PgmqcQueue *queue, int64 msg_id, Interval *delay,
				 bool has_read_ct, int32 read_ct, text *reason)
{
	Datum		values[NACK_NUM_ARGS];
	char		nulls[NACK_NUM_ARGS];
	bool		isnull;
	TimestampTz vt;
	int			guard = pgmqc_plan_guard_begin();
	int			found;

	pgmqc_nack_args(&queue->retry, msg_id, delay, has_read_ct, read_ct, reason,
					values, nulls);
	found = pgmqc_queue_run(queue, STMT_NACK, values, nulls, 0);
	pgmqc_plan_guard_end(guard);
	if (found == 0)
		return false;
	/* rolled back, the message is as before: visible if its lease had ended */
	pgmqc_wake_on_abort(queue->queue_id, 1);

	if (DatumGetBool(pgmqc_column(0, NACK_COL_DEAD, &isnull)))
	{
		(void) pgmqc_queue_move_dead(queue, &msg_id, 1, false);
		return true;
	}
	vt = DatumGetTimestampTz(pgmqc_column(0, NACK_COL_VT, &isnull));
	if (pgmqc_shared != NULL)
	{
		if (vt <= GetCurrentTimestamp())
			pgmqc_wake_on_commit(queue->queue_id, 1, queue->notify);
		else
			pgmqc_due_on_commit(queue->queue_id, vt, queue->notify);
	}
	return true;
}

/* Move up to limit dead messages at the head.  Returns how many moved. */
static int64
move_dead_at_head(PgmqcQueue *queue, int limit)
{
	Datum		args[3];
	int64	   *ids;
	int			n;
	int			guard;
	int64		moved;

	if (queue->retry.max_deliveries <= 0 || limit <= 0)
		return 0;
	guard = pgmqc_plan_guard_begin();
	args[0] = Int64GetDatum(pgmqc_queue_advance_watermark(queue));
	args[1] = Int32GetDatum(queue->retry.max_deliveries);
	args[2] = Int32GetDatum(limit);
	(void) pgmqc_queue_run(queue, STMT_DEAD_LETTER_IDS, args, NULL, 1);
	ids = pgmqc_id_array_result(&n);
	moved = n > 0 ? pgmqc_queue_move_dead(queue, ids, n, true) : 0;
	pgmqc_plan_guard_end(guard);
	return moved;
}

/*
 * Deal, in bulk, with up to limit of the messages at the head of the queue
 * that a read must not deliver: the dead ones are moved, the expired
 * leases made to wait for their backoff.  Returns how many.  A read calls
 * this when its claim came across such messages only, so that a crowd of
 * them (100,000 poison messages whose leases expired together) costs one
 * statement per thousand rather than a claim each.
 */
int
pgmqc_queue_process_head(PgmqcQueue *queue, int limit)
{
	int			done = (int) move_dead_at_head(queue, limit);

	if (queue->retry.backoff > 0 && done < limit)
	{
		Datum		values[BACKOFF_NUM_ARGS];
		char		nulls[BACKOFF_NUM_ARGS];

		pgmqc_backoff_args(&queue->retry, pgmqc_queue_advance_watermark(queue),
						   limit - done, values, nulls);
		(void) pgmqc_queue_run(queue, STMT_BACKOFF_EXPIRED, values, nulls, 1);
		done += pgmqc_backoff_done(queue->queue_id, queue->notify);
	}
	return done;
}

/*
 * The worker's pass over a queue with max_deliveries: move the dead
 * messages nobody read.  Returns how many moved.
 */
int64
pgmqc_queue_dead_letter_pass(PgmqcQueue *queue)
{
	return move_dead_at_head(queue, DEAD_LETTER_PASS_LIMIT);
}

/*
 * The worker's pass over a queue with archive_retention: drop the days of
 * its archive wholly past retention, make the days ahead, and delete the
 * archived messages past retention that are left (in the oldest day kept,
 * the default partition, or an archive not partitioned).  Returns how many
 * messages were deleted.
 */
int64
pgmqc_queue_archive_retention_pass(PgmqcQueue *queue)
{
	Datum		args[2];
	bool		isnull;
	TimestampTz now = GetCurrentTimestamp();
	Interval	minus;

	if (pgmqc_interval_is_zero(&queue->archive_retention))
		return 0;
	minus.time = -queue->archive_retention.time;
	minus.day = -queue->archive_retention.day;
	minus.month = -queue->archive_retention.month;
	if (pgmqc_archive_is_partitioned(queue->queue_id))
		(void) pgmqc_queue_archive_partitions(queue, now, pgmqc_ts_plus(now, &minus));
	args[0] = IntervalPGetDatum(&queue->archive_retention);
	args[1] = Int32GetDatum(ARCHIVE_EXPIRE_LIMIT);
	(void) pgmqc_queue_run(queue, STMT_ARCHIVE_EXPIRE, args, NULL, 1);
	return pgmqc_column_int64(0, VALUE_COL, &isnull);
}

/*
 * redrive(): up to max visible messages of a dead-letter queue from msg_id
 * "after" on, locked, with their origins (STMT_REDRIVE_TAKE), left in
 * SPI_tuptable.
 */
int
pgmqc_queue_redrive_take(PgmqcQueue *queue, int64 after, int32 max)
{
	Datum		args[2];

	args[0] = Int64GetDatum(Max(after, pgmqc_queue_advance_watermark(queue)));
	args[1] = Int32GetDatum(max);
	return pgmqc_queue_run(queue, STMT_REDRIVE_TAKE, args, NULL, 0);
}
