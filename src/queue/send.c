/*-------------------------------------------------------------------------
 *
 * send.c
 *		Sending to a queue: one message or a batch, and the wake-ups that
 *		a send arranges.
 *
 * A message without delay goes straight into the queue's message table; a
 * delayed one goes into its delayed table, from which readers move it once
 * it is due (delayed.c).  Either way it takes its msg_id from the queue's
 * sequence.
 *
 * Ordering rule relied on by the settled ids (watermark.c): the sending
 * transaction has its XID assigned before it draws a msg_id
 * (pgmqc_send_begin, common/sending.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/send.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/jsonb.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/intervals.h"
#include "common/sending.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/object_cache.h"

/*
 * Arrange the wake-ups for "count" messages sent: at commit, readers
 * sleeping on the queue (and, for a delayed message, the worker's timer at
 * its due time, so that they wake then).
 */
static void
announce(PgmqcQueue *queue, int count, Interval *delay)
{
	if (pgmqc_shared == NULL)
		return;
	if (pgmqc_interval_is_zero(delay))
		pgmqc_wake_on_commit(queue->queue_id, count, queue->notify);
	else
	{
		TimestampTz due = pgmqc_now_plus(delay);

		/*
		 * Now, for a transaction that is prepared and committed elsewhere;
		 * and again at commit, which may come after the due time.  The worker
		 * notifies only once the message is visible.
		 */
		pgmqc_publish_due(queue->queue_id, due);
		pgmqc_due_on_commit(queue->queue_id, due);
	}
	(void) pgmqc_my_worker(true);
}

/*
 * Send one message (headers may be NULL) after delay; returns its msg_id.
 */
int64
pgmqc_queue_send(PgmqcQueue *queue, Jsonb *message, Jsonb *headers,
				 Interval *delay)
{
	Datum		values[SEND_NUM_ARGS];
	char		nulls[SEND_NUM_ARGS];
	bool		isnull;
	int64		msg_id;

	pgmqc_send_begin(queue->queue_id, values, nulls, JsonbPGetDatum(message),
					 (Pointer) headers, delay);
	pgmqc_queue_run(queue,
					pgmqc_interval_is_zero(delay) ? STMT_SEND : STMT_SEND_DELAYED,
					values, nulls, 0);
	msg_id = pgmqc_column_int64(0, ID_COL_MSG_ID, &isnull);
	announce(queue, 1, delay);
	return msg_id;
}

/*
 * Send a batch of messages (jsonb[]; headers, if not NULL, a jsonb[] of the
 * same length) after delay.  Returns how many were sent; their msg_ids are
 * the rows of SPI_tuptable.  The caller then calls pgmqc_queue_batch_sent().
 */
int
pgmqc_queue_send_batch(PgmqcQueue *queue, ArrayType *messages,
					   ArrayType *headers, Interval *delay)
{
	Datum		values[SEND_NUM_ARGS];
	char		nulls[SEND_NUM_ARGS];

	pgmqc_send_begin(queue->queue_id, values, nulls,
					 PointerGetDatum(messages), (Pointer) headers, delay);
	return pgmqc_queue_run(queue,
						   pgmqc_interval_is_zero(delay) ?
						   STMT_SEND_BATCH : STMT_SEND_BATCH_DELAYED,
						   values, nulls, 0);
}

/* After a batch of count messages was sent: arrange the wake-ups. */
void
pgmqc_queue_batch_sent(PgmqcQueue *queue, int count, Interval *delay)
{
	announce(queue, count, delay);
}
