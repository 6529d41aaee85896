/*-------------------------------------------------------------------------
 *
 * ordering.c
 *		Ordering keys of a queue: one message of a key at a time, in msg_id
 *		order.
 *
 * Only the head of a key -- its first message not yet acknowledged -- is
 * in the queue's message table (or, while its delay lasts, its delayed
 * table), where reads find it as any other message.  The key's later
 * messages wait in the pending table p_<id>, where no read walks them, and
 * the keys table k_<id> counts each key's messages (docs/design.md,
 * section 14).
 *
 * A send of a key first counts its messages in the key's row (an upsert,
 * which locks the row to the end of the transaction), then draws their
 * msg_ids: the sends of one key take turns, so that msg_id order is commit
 * order within a key.  When a head leaves (deleted, archived, popped,
 * dead-lettered), the key's count goes down under the same lock, and, in a
 * new statement -- whose snapshot shows every send the lock waited for --
 * the first pending message of the key becomes the head.  A key whose count
 * reaches zero loses its row, so that the keys table holds the keys with
 * messages only.  (The count and the promotion are one statement, whose
 * snapshot, taken before its lock waits, may not show a key's next
 * message: a second statement then promotes it.  One key, the common case,
 * is released without statements, queue/key_release.c, or, when its tables
 * are not as pgmq_c made them, by a short statement of its own.)
 * Keys are released once per call, whatever tables the
 * call removed messages from: a call that deletes a head and the key's
 * next message deletes both (the next one is still pending), and locks the
 * keys' rows once, in key order, as sends do, so that a send and a delete
 * of the same keys do not wait for each other in a circle.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/ordering.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/dead_letters.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/sending.h"
#include "common/statements.h"
#include "queue/queue.h"

/* A queue of a catalog from before 0.7.0 has no ordering keys. */
void
pgmqc_queue_check_keys(PgmqcQueue *queue)
{
	if (!queue->has_keys)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ordering keys and deduplication ids need pgmq_c 0.7.0 or later"),
				 errhint("Run ALTER EXTENSION pgmq_c UPDATE.")));
}

/*
 * The non-NULL text values of column "column" of the n rows of the current
 * SPI result, as a text[] Datum (NULL when there are none); *count gets how
 * many.
 */
Datum
pgmqc_key_array(int n, int column, int *count)
{
	Datum	   *keys = palloc((n + 1) * sizeof(Datum));
	int			found = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		key = pgmqc_column(i, column, &isnull);

		if (!isnull)
			keys[found++] = key;
	}
	*count = found;
	if (found == 0)
		return (Datum) 0;
	return PointerGetDatum(construct_array(keys, found, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/*
 * Send a batch (messages jsonb[]; headers NULL or jsonb[] of the same
 * length) with ordering keys (text[] of the same length, NULL elements for
 * none) after delay.  Returns how many were sent; their msg_ids, in array
 * order, are the rows of SPI_tuptable.  The caller then calls
 * pgmqc_queue_batch_sent().
 */
int
pgmqc_queue_send_keyed(PgmqcQueue *queue, ArrayType *messages,
					   ArrayType *headers, Interval *delay, ArrayType *keys)
{
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	Datum		arg;
	int			new_heads;

	pgmqc_queue_check_keys(queue);
	pgmqc_send_begin(queue, values, nulls,
					 PointerGetDatum(messages), (Pointer) headers, delay);

	/* count the keys' messages, waiting for the other sends of the keys */
	arg = PointerGetDatum(keys);
	new_heads = pgmqc_queue_run(queue, STMT_KEYS_ACQUIRE, &arg, NULL, 0);
	values[3] = PointerGetDatum(keys);
	values[4] = pgmqc_key_array(new_heads, KEYS_COL_KEY, &new_heads);
	if (new_heads == 0)
		nulls[4] = 'n';
	return pgmqc_queue_run(queue, STMT_SEND_KEYED, values, nulls, 0);
}

/* Start collecting the keys of messages that leave the queue. */
void
pgmqc_key_release_init(PgmqcKeyRelease * release)
{
	memset(release, 0, sizeof(*release));
}

static void
add_key(Datum **keys, int *n, int *max, Datum key)
{
	if (*n >= *max)
	{
		*max = Max(16, *max * 2);
		*keys = *keys ? repalloc(*keys, *max * sizeof(Datum)) :
			palloc(*max * sizeof(Datum));
	}
	(*keys)[(*n)++] = PointerGetDatum(DatumGetTextPCopy(key));
}

/*
 * The n rows of the current SPI result are messages that left the queue,
 * with their ordering keys in column "column" (NULL: none); heads tells
 * whether they left the message or delayed table (they were their keys'
 * heads) or the pending table.
 */
void
pgmqc_key_release_add_result(PgmqcKeyRelease * release, int n, int column,
							 bool heads)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		key = pgmqc_column(i, column, &isnull);

		if (isnull)
			continue;
		add_key(&release->keys, &release->nkeys, &release->maxkeys, key);
		if (heads)
			add_key(&release->heads, &release->nheads, &release->maxheads, key);
	}
}

/*
 * Message with ordering key "key" (text) left the queue; heads as for
 * pgmqc_key_release_add_result().
 */
void
pgmqc_key_release_add_key(PgmqcKeyRelease * release, Datum key, bool heads)
{
	add_key(&release->keys, &release->nkeys, &release->maxkeys, key);
	if (heads)
		add_key(&release->heads, &release->nheads, &release->maxheads, key);
}

static Datum
text_array(Datum *elems, int n)
{
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/* Whether the messages collected are all of one key. */
static bool
one_key(PgmqcKeyRelease * release)
{
	int			i;

	text	   *first = DatumGetTextPP(release->keys[0]);

	for (i = 1; i < release->nkeys; i++)
	{
		text	   *key = DatumGetTextPP(release->keys[i]);

		if (VARSIZE_ANY_EXHDR(key) != VARSIZE_ANY_EXHDR(first) ||
			memcmp(VARDATA_ANY(key), VARDATA_ANY(first), VARSIZE_ANY_EXHDR(key)) != 0)
			return false;
	}
	return true;
}

/* The wake-ups of messages promoted: visible now, or due at first_due. */
void
pgmqc_key_announce_promoted(PgmqcQueue *queue, int32 visible, bool has_due,
							Datum first_due)
{
	if (pgmqc_shared == NULL)
		return;
	if (visible > 0)
		pgmqc_wake_on_commit(queue->queue_id, visible, queue->notify);
	if (has_due)
		pgmqc_due_on_commit(queue->queue_id, DatumGetTimestampTz(first_due),
							queue->notify);
}

/*
 * The head of a key left and the key has messages left: its first pending
 * message becomes its head, in the message table or, while its delay
 * lasts, the delayed table.
 */
static void
promote_next(PgmqcQueue *queue, Datum key)
{
	Datum		values[TAKE_NEXT_COLUMNS];
	char		nulls[TAKE_NEXT_COLUMNS];
	bool		isnull;
	bool		visible;
	int			i;

	if (pgmqc_queue_run(queue, STMT_KEY_TAKE_NEXT, &key, NULL, 1) == 0)
		return;
	for (i = 0; i < TAKE_NEXT_COLUMNS; i++)
	{
		values[i] = pgmqc_column(0, i + 1, &isnull);
		nulls[i] = isnull ? 'n' : ' ';
	}
	visible = nulls[TAKE_NEXT_COL_DELIVER_AT - 1] == 'n' ||
		DatumGetTimestampTz(values[TAKE_NEXT_COL_DELIVER_AT - 1]) <= GetCurrentTimestamp();
	(void) pgmqc_queue_run(queue, visible ? STMT_KEY_PROMOTE_VISIBLE :
						   STMT_KEY_PROMOTE_DELAYED, values, nulls, 0);
	pgmqc_key_announce_promoted(queue, visible ? 1 : 0, !visible,
								values[TAKE_NEXT_COL_DELIVER_AT - 1]);
}

/*
 * The messages collected are all of one key: count them off the key's row,
 * which locks it, and if its head left, move its next message to the
 * message table, in one statement; forget the key if it has no messages
 * left.  When that statement moved nothing although the head left and the
 * key has messages, promote_next() does it in a statement of its own,
 * whose snapshot, taken after the row's lock, shows every send of the key
 * that the lock waited for (and which puts a message still delayed in the
 * delayed table).
 */
static void
release_one_key(PgmqcQueue *queue, PgmqcKeyRelease * release)
{
	Datum		args[3];
	bool		isnull;
	int64		left;

	/* without statements, unless the tables are not as pgmq_c made them */
	if (pgmqc_key_release_direct(queue, release->keys[0], release->nkeys,
								 release->nheads > 0))
		return;

	args[0] = release->keys[0];
	args[1] = Int64GetDatum(release->nkeys);
	args[2] = BoolGetDatum(release->nheads > 0);
	(void) pgmqc_queue_run(queue, STMT_KEY_RELEASE, args, NULL, 1);
	left = pgmqc_column_int64(0, KEY_RELEASE_COL_MESSAGES, &isnull);
	if (isnull)
		return;					/* no row: the key has no messages */
	if (left <= 0)
		(void) pgmqc_queue_run(queue, STMT_KEY_FORGET, args, NULL, 0);
	else if (release->nheads > 0)
	{
		if (DatumGetInt32(pgmqc_column(0, KEY_RELEASE_COL_MOVED, &isnull)) > 0)
			pgmqc_key_announce_promoted(queue, 1, false, (Datum) 0);
		else
			promote_next(queue, release->keys[0]);
	}
}

/*
 * The messages collected are of several keys: count them off their keys
 * (the keys' rows locked in key order, as sends lock them) and, for the
 * keys whose head left, make their next message the head, in one
 * statement; then forget the keys left without messages, and promote
 * again, in a statement of its own, for a key whose next message the first
 * one could not see (a send it waited for on the key's row).
 */
static void
release_keys(PgmqcQueue *queue, PgmqcKeyRelease * release)
{
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	int			released;
	Datum	   *again;
	Datum	   *forget;
	int			nagain = 0;
	int			nforget = 0;
	bool		isnull;
	int			i;

	args[0] = text_array(release->keys, release->nkeys);
	args[1] = release->nheads > 0 ? text_array(release->heads, release->nheads) : (Datum) 0;
	if (release->nheads == 0)
		nulls[1] = 'n';
	released = pgmqc_queue_run(queue, STMT_KEYS_RELEASE, args, nulls, 0);
	again = palloc((released + 1) * sizeof(Datum));
	forget = palloc((released + 1) * sizeof(Datum));
	for (i = 0; i < released; i++)
	{
		Datum		key = pgmqc_column(i, RELEASE_COL_KEY, &isnull);

		if (pgmqc_column_int64(i, RELEASE_COL_MESSAGES, &isnull) <= 0)
			forget[nforget++] = key;
		else if (!DatumGetBool(pgmqc_column(i, RELEASE_COL_PROMOTED, &isnull)))
			again[nagain++] = key;
	}
	if (released > 0)
	{
		Datum		first_due = pgmqc_column(0, RELEASE_COL_FIRST_DUE, &isnull);

		pgmqc_key_announce_promoted(queue,
									DatumGetInt32(pgmqc_column(0, RELEASE_COL_VISIBLE, &isnull)),
									!isnull, first_due);
	}
	if (nforget > 0)
	{
		args[0] = text_array(forget, nforget);
		(void) pgmqc_queue_run(queue, STMT_KEYS_FORGET, args, NULL, 0);
	}
	if (nagain > 0 && release->nheads > 0)
	{
		Datum		first_due;

		/* in a statement of its own: see the file header */
		args[0] = args[1];		/* the heads that left */
		args[1] = text_array(again, nagain);
		(void) pgmqc_queue_run(queue, STMT_KEYS_PROMOTE, args, NULL, 1);
		first_due = pgmqc_column(0, PROMOTE_COL_FIRST_DUE, &isnull);
		pgmqc_key_announce_promoted(queue,
									DatumGetInt32(pgmqc_column(0, PROMOTE_COL_VISIBLE, &isnull)),
									!isnull, first_due);
	}
}

/*
 * The messages collected left the queue: release their keys, and start
 * collecting anew.  Keeps the current SPI result as it was.
 */
void
pgmqc_key_release_finish(PgmqcQueue *queue, PgmqcKeyRelease * release)
{
	SPITupleTable *result = SPI_tuptable;
	uint64		processed = SPI_processed;
	int			guard;

	if (release->nkeys == 0 || !queue->has_keys)
		return;
	/* planned for their index paths, whatever the tables' statistics */
	guard = pgmqc_plan_guard_begin();
	if (one_key(release))
		release_one_key(queue, release);
	else
		release_keys(queue, release);
	pgmqc_plan_guard_end(guard);
	pgmqc_key_release_init(release);
	SPI_tuptable = result;
	SPI_processed = processed;
}

/*
 * The n rows of the current SPI result are messages that left the queue,
 * with their ordering keys in column "column": release their keys at once
 * (heads as for pgmqc_key_release_add_result).
 */
void
pgmqc_queue_release_result(PgmqcQueue *queue, int n, int column, bool heads)
{
	PgmqcKeyRelease release;

	if (!queue->has_keys || n == 0)
		return;
	pgmqc_key_release_init(&release);
	pgmqc_key_release_add_result(&release, n, column, heads);
	pgmqc_key_release_finish(queue, &release);
}

/*
 * Messages ids[0..n-1] of the message table (heads) are about to leave it
 * by a statement that does not return their keys (dead letters): collect
 * their keys.
 */
void
pgmqc_key_release_add_ids(PgmqcQueue *queue, PgmqcKeyRelease * release,
						  const int64 *ids, int n)
{
	Datum		arg;
	int			found;

	if (!queue->has_keys || n == 0)
		return;
	arg = pgmqc_id_array(ids, n);
	found = pgmqc_queue_run(queue, STMT_KEYS_OF, &arg, NULL, 0);
	pgmqc_key_release_add_result(release, found, KEYS_COL_KEY, true);
}

/*
 * As pgmqc_key_release_add_ids(), for dead messages that a read or the
 * worker came across: the rows of their keys are locked now, SKIP LOCKED,
 * and a message whose key's row another transaction holds (a send of the
 * key in progress, perhaps prepared) is left where it is, visible again a
 * second later, for a later read or the worker's pass to move
 * (STMT_DEAD_LETTER_KEYS): a reader never waits for a sender, and the key
 * stays blocked behind its dead head meanwhile.  Keeps the messages that
 * may move in ids[], in their order, and returns how many.
 */
int
pgmqc_key_release_add_movable(PgmqcQueue *queue, PgmqcKeyRelease * release,
							  int64 *ids, int n)
{
	Datum		arg;
	int64	   *left;
	int			nleft = 0;
	int			found;
	int			kept = 0;
	bool		has_due = false;
	TimestampTz first_due = 0;
	int			i;

	if (!queue->has_keys || n == 0)
		return n;
	arg = pgmqc_id_array(ids, n);
	found = pgmqc_queue_run(queue, STMT_DEAD_LETTER_KEYS, &arg, NULL, 0);
	left = palloc((found + 1) * sizeof(int64));
	for (i = 0; i < found; i++)
	{
		bool		isnull;
		Datum		until = pgmqc_column(i, DEAD_KEYS_COL_LEFT_UNTIL, &isnull);

		if (isnull)
		{
			pgmqc_key_release_add_key(release,
									  pgmqc_column(i, DEAD_KEYS_COL_KEY, &isnull),
									  true);
			continue;
		}
		left[nleft++] = pgmqc_column_int64(i, DEAD_KEYS_COL_MSG_ID, &isnull);
		if (!has_due || DatumGetTimestampTz(until) < first_due)
			first_due = DatumGetTimestampTz(until);
		has_due = true;
	}
	for (i = 0; i < n; i++)
	{
		int			j;

		for (j = 0; j < nleft && left[j] != ids[i]; j++)
			;
		if (j == nleft)
			ids[kept++] = ids[i];
	}
	pfree(left);
	/* the worker wakes sleepers when a message left is visible again */
	if (has_due && pgmqc_shared != NULL)
		pgmqc_due_on_commit(queue->queue_id, first_due, queue->notify);
	return kept;
}
