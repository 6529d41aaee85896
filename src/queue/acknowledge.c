/*-------------------------------------------------------------------------
 *
 * acknowledge.c
 *		Deleting, archiving and setting the visibility time of a queue's
 *		messages, by msg_id.
 *
 * Lease fencing: each takes an optional read_ct, the delivery the caller
 * holds; (msg_id, read_ct) is the receipt.  When read_ct is given and the
 * message has been delivered again since (its read_ct moved on), nothing
 * changes.  A message that is still delayed has never been delivered: it
 * matches read_ct NULL or 0.  Each statement runs on the message table
 * first and, for what it did not find there, on the delayed table.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/acknowledge.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/intervals.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/object_cache.h"

/*
 * Delete (or archive) one message; returns whether it was there (with the
 * given read_ct, if has_read_ct).  A message of an ordering key lets the
 * key's next message follow (queue/ordering.c).
 */
bool
pgmqc_queue_remove(PgmqcQueue *queue, bool archive, int64 msg_id,
				   bool has_read_ct, int32 read_ct)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};

	values[0] = Int64GetDatum(msg_id);
	values[1] = Int32GetDatum(read_ct);
	if (!has_read_ct)
		nulls[1] = 'n';
	if (pgmqc_queue_run(queue, archive ? STMT_ARCHIVE : STMT_DELETE,
						values, nulls, 0) > 0 ||
		pgmqc_queue_run(queue,
						archive ? STMT_ARCHIVE_DELAYED : STMT_DELETE_DELAYED,
						values, nulls, 0) > 0)
	{
		pgmqc_queue_release_result(queue, 1, ID_COL_ORDERING_KEY, true);
		return true;
	}
	if (queue->has_keys &&
		pgmqc_queue_run(queue, archive ? STMT_ARCHIVE_PENDING : STMT_DELETE_PENDING,
						values, nulls, 0) > 0)
	{
		pgmqc_queue_release_result(queue, 1, ID_COL_ORDERING_KEY, false);
		return true;
	}
	return false;
}

/* the statements of pgmqc_queue_remove_many, by table, for delete, archive */
static const PgmqcStatement remove_many_statements[][2] = {
	[QUEUE_TABLE_MESSAGES] = {STMT_DELETE_MANY, STMT_ARCHIVE_MANY},
	[QUEUE_TABLE_DELAYED] = {STMT_DELETE_MANY_DELAYED, STMT_ARCHIVE_MANY_DELAYED},
	[QUEUE_TABLE_PENDING] = {STMT_DELETE_MANY_PENDING, STMT_ARCHIVE_MANY_PENDING},
};

/*
 * Delete (or archive) the messages of msg_ids (bigint[]; read_cts, if not
 * NULL, an integer[] of the same length) from one of the queue's tables.
 * Returns how many; their msg_ids are the rows of SPI_tuptable.  (The
 * pending table exists from 0.7.0 on: before, nothing is there.)
 */
int
pgmqc_queue_remove_many(PgmqcQueue *queue, bool archive, PgmqcQueueTable table,
						ArrayType *msg_ids, ArrayType *read_cts)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	int			n;

	if (table == QUEUE_TABLE_PENDING && !queue->has_keys)
		return 0;
	values[0] = PointerGetDatum(msg_ids);
	values[1] = PointerGetDatum(read_cts);
	if (read_cts == NULL)
		nulls[1] = 'n';
	n = pgmqc_queue_run(queue, remove_many_statements[table][archive ? 1 : 0],
						values, nulls, 0);
	pgmqc_queue_release_result(queue, n, ID_COL_ORDERING_KEY,
							   table != QUEUE_TABLE_PENDING);
	return n;
}

/*
 * Make one message visible again vt from now: '0' releases a lease at once
 * (a nack), a longer vt extends it.  For a delayed message, vt from now
 * becomes its new delivery time.  Returns how many rows (0 or 1, the
 * message as it now is, in SPI_tuptable).
 */
int
pgmqc_queue_set_vt(PgmqcQueue *queue, int64 msg_id, Interval *vt,
				   bool has_read_ct, int32 read_ct)
{
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};

	values[0] = Int64GetDatum(msg_id);
	values[1] = IntervalPGetDatum(vt);
	values[2] = Int32GetDatum(read_ct);
	if (!has_read_ct)
		nulls[2] = 'n';
	if (pgmqc_queue_run(queue, STMT_SET_VT, values, nulls, 0) == 0)
		pgmqc_queue_run(queue, STMT_SET_VT_DELAYED, values, nulls, 0);
	if (SPI_processed > 0 && pgmqc_shared != NULL)
	{
		if (pgmqc_interval_is_zero(vt))
			pgmqc_wake_on_commit(queue->queue_id, (int) SPI_processed, queue->notify);
		else
		{
			pgmqc_publish_due(queue->queue_id,
							  pgmqc_now_plus(vt));
			pgmqc_wake_on_commit(queue->queue_id, 1, false);
		}
	}
	return (int) SPI_processed;
}
