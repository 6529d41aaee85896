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
 * The delete of one message from the message table -- a consumer's
 * acknowledgement, the most frequent call after read -- runs without a
 * statement (delete_direct: an index probe and heap_delete, with the
 * statement's READ COMMITTED recheck, common/direct_rows.c); a table that
 * is not as pgmq_c made it gets the statement.
 *
 * Every function here runs its statements planned for their index paths
 * (pgmqc_plan_guard_begin): a plan made while a table looked empty (its
 * ANALYZE taken then) would otherwise scan the whole table on every call
 * once the queue has grown.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/acknowledge.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/rel.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/direct_rows.h"
#include "common/intervals.h"
#include "common/receipts.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/object_cache.h"

/* the statements removing by msg_id, by table, for delete and archive */
static const PgmqcStatement remove_statements[][2] = {
	[QUEUE_TABLE_MESSAGES] = {STMT_DELETE, STMT_ARCHIVE},
	[QUEUE_TABLE_DELAYED] = {STMT_DELETE_DELAYED, STMT_ARCHIVE_DELAYED},
	[QUEUE_TABLE_PENDING] = {STMT_DELETE_PENDING, STMT_ARCHIVE_PENDING},
};
static const PgmqcStatement remove_many_statements[][2] = {
	[QUEUE_TABLE_MESSAGES] = {STMT_DELETE_MANY, STMT_ARCHIVE_MANY},
	[QUEUE_TABLE_DELAYED] = {STMT_DELETE_MANY_DELAYED, STMT_ARCHIVE_MANY_DELAYED},
	[QUEUE_TABLE_PENDING] = {STMT_DELETE_MANY_PENDING, STMT_ARCHIVE_MANY_PENDING},
};

/*
 * The tables a message may be in, in the order they are tried: a pending
 * message (0.7.0) is neither visible nor leased.  A message not found in
 * any is looked for once more in the first two: while its key's head was
 * being removed, it may have moved from the pending table to one of them
 * (the statement that found it gone waited for that move's commit; a new
 * statement sees where it went).
 */
static const PgmqcQueueTable remove_order[] = {
	QUEUE_TABLE_MESSAGES, QUEUE_TABLE_DELAYED, QUEUE_TABLE_PENDING,
	QUEUE_TABLE_MESSAGES, QUEUE_TABLE_DELAYED
};

/*
 * n messages left the message table, or had their lease changed: should
 * this transaction roll back, they are there as before, visible if their
 * lease had ended, and a reader that found them locked meanwhile sleeps;
 * so wake n sleepers at an abort.
 */
static void
wake_on_abort(PgmqcQueue *queue, int n)
{
	if (n > 0)
		pgmqc_wake_on_abort(queue->queue_id, n);
}

/* how many of remove_order a queue has: the first two before 0.7.0 */
static int
tables_to_try(PgmqcQueue *queue)
{
	return queue->has_keys ? lengthof(remove_order) : 2;
}

/*
 * Delete message msg_id (with read_ct, if has_read_ct) from the queue's
 * message table without a statement (common/direct_rows.c), and release
 * its ordering key.
 */
static PgmqcReceiptDelete
delete_direct(PgmqcQueue *queue, int64 msg_id, bool has_read_ct,
			  int32 read_ct)
{
	text	   *key;
	PgmqcReceiptDelete done;

	done = pgmqc_direct_delete_receipt(queue->cache.relid, msg_id, has_read_ct,
									   read_ct, "ordering_key", &key);

	/* a key's head left: its next message follows (queue/ordering.c) */
	if (done == PGMQC_RECEIPT_DELETED && key != NULL && queue->has_keys)
	{
		PgmqcKeyRelease release;

		pgmqc_key_release_init(&release);
		pgmqc_key_release_add_key(&release, PointerGetDatum(key), true);
		pgmqc_key_release_finish(queue, &release);
	}
	return done;
}

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
	int			i = 0;
	int			guard;
	bool		found = false;

	if (!archive)
	{
		switch (delete_direct(queue, msg_id, has_read_ct, read_ct))
		{
			case PGMQC_RECEIPT_DELETED:
				wake_on_abort(queue, 1);
				return true;
			case PGMQC_RECEIPT_ABSENT:
				i = 1;			/* not in the message table: the others */
				break;
			case PGMQC_RECEIPT_UNABLE:
				break;
		}
	}

	guard = pgmqc_plan_guard_begin();
	values[0] = Int64GetDatum(msg_id);
	values[1] = Int32GetDatum(read_ct);
	if (!has_read_ct)
		nulls[1] = 'n';
	for (; i < tables_to_try(queue) && !found; i++)
	{
		PgmqcQueueTable table = remove_order[i];

		if (pgmqc_queue_run(queue, remove_statements[table][archive ? 1 : 0],
							values, nulls, 0) > 0)
		{
			pgmqc_queue_release_result(queue, 1, ID_COL_ORDERING_KEY,
									   table != QUEUE_TABLE_PENDING);
			if (table == QUEUE_TABLE_MESSAGES)
				wake_on_abort(queue, 1);
			found = true;
		}
	}
	pgmqc_plan_guard_end(guard);
	return found;
}

static int
compare_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * Delete (or archive) the messages of msg_ids (bigint[] of n; read_cts, if
 * not NULL, an integer[] of the same length) wherever they are.  Returns
 * the msg_ids removed, ascending, *removed of them.  The keys of the
 * messages removed are released once, at the end: a head and the next
 * message of its key are both removed (the next one while still pending).
 * Each table's rows are locked in msg_id order (common/receipts.c).
 */
int64 *
pgmqc_queue_remove_all(PgmqcQueue *queue, bool archive, ArrayType *msg_ids,
					   ArrayType *read_cts, int n, int *removed)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	int64	   *done = palloc((n + 1) * sizeof(int64));
	PgmqcKeyRelease release;
	int			ndone = 0;
	int			i;
	int			guard = pgmqc_plan_guard_ordered_begin();

	pgmqc_receipts_in_lock_order(&msg_ids, &read_cts);
	values[0] = PointerGetDatum(msg_ids);
	values[1] = PointerGetDatum(read_cts);
	if (read_cts == NULL)
		nulls[1] = 'n';
	pgmqc_key_release_init(&release);
	for (i = 0; i < tables_to_try(queue) && ndone < n; i++)
	{
		PgmqcQueueTable table = remove_order[i];
		int			found;
		int			j;

		/* the second look comes after the release of what was found */
		if (i == 3)
			pgmqc_key_release_finish(queue, &release);
		found = pgmqc_queue_run(queue, remove_many_statements[table][archive ? 1 : 0],
								values, nulls, 0);
		for (j = 0; j < found && ndone < n; j++)
		{
			bool		isnull;

			done[ndone++] = pgmqc_column_int64(j, ID_COL_MSG_ID, &isnull);
		}
		pgmqc_key_release_add_result(&release, found, ID_COL_ORDERING_KEY,
									 table != QUEUE_TABLE_PENDING);
		if (table == QUEUE_TABLE_MESSAGES)
			wake_on_abort(queue, found);
	}
	pgmqc_key_release_finish(queue, &release);
	pgmqc_plan_guard_end(guard);
	qsort(done, ndone, sizeof(int64), compare_int64);
	*removed = ndone;
	return done;
}

/*
 * Delete (or archive) the messages of msg_ids (bigint[]; read_cts, if not
 * NULL, an integer[] of the same length) from the message table.  Returns
 * how many; their msg_ids are the rows of SPI_tuptable.
 */
int
pgmqc_queue_remove_many(PgmqcQueue *queue, bool archive, ArrayType *msg_ids,
						ArrayType *read_cts)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	int			n;
	int			guard = pgmqc_plan_guard_ordered_begin();

	pgmqc_receipts_in_lock_order(&msg_ids, &read_cts);
	values[0] = PointerGetDatum(msg_ids);
	values[1] = PointerGetDatum(read_cts);
	if (read_cts == NULL)
		nulls[1] = 'n';
	n = pgmqc_queue_run(queue, remove_many_statements[QUEUE_TABLE_MESSAGES][archive ? 1 : 0],
						values, nulls, 0);
	pgmqc_queue_release_result(queue, n, ID_COL_ORDERING_KEY, true);
	pgmqc_plan_guard_end(guard);
	wake_on_abort(queue, n);
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
	int			guard = pgmqc_plan_guard_begin();

	values[0] = Int64GetDatum(msg_id);
	values[1] = IntervalPGetDatum(vt);
	values[2] = Int32GetDatum(read_ct);
	if (!has_read_ct)
		nulls[2] = 'n';
	if (pgmqc_queue_run(queue, STMT_SET_VT, values, nulls, 0) > 0)
		wake_on_abort(queue, 1);

	/*
	 * Not in the message table: delayed, or moving from the delayed table to
	 * the message table in a read's transaction, which the statement on the
	 * delayed table waits for and then finds the row gone; a new statement
	 * sees where it went.
	 */
	else if (pgmqc_queue_run(queue, STMT_SET_VT_DELAYED, values, nulls, 0) == 0 &&
			 pgmqc_queue_run(queue, STMT_SET_VT, values, nulls, 0) > 0)
		wake_on_abort(queue, 1);
	pgmqc_plan_guard_end(guard);
	if (SPI_processed > 0 && pgmqc_shared != NULL)
	{
		if (pgmqc_interval_is_zero(vt))
			pgmqc_wake_on_commit(queue->queue_id, (int) SPI_processed, queue->notify);
		else
		{
			TimestampTz lease_end = pgmqc_now_plus(vt);

			/*
			 * Now, for a reader that passes over the locked row; and again at
			 * commit, when a due time of the slot that fired meanwhile may
			 * have taken it away (or announced when it has passed by then)
			 */
			pgmqc_publish_due(queue->queue_id, lease_end);
			pgmqc_due_on_commit(queue->queue_id, lease_end, queue->notify);
		}
	}
	return (int) SPI_processed;
}
