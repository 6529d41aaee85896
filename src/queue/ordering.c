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
 * messages only.
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
	pgmqc_send_begin(values, nulls, PointerGetDatum(messages),
					 (Pointer) headers, delay);

	/* count the keys' messages, waiting for the other sends of the keys */
	arg = PointerGetDatum(keys);
	new_heads = pgmqc_queue_run(queue, STMT_KEYS_ACQUIRE, &arg, NULL, 0);
	values[3] = PointerGetDatum(keys);
	values[4] = pgmqc_key_array(new_heads, KEYS_COL_KEY, &new_heads);
	if (new_heads == 0)
		nulls[4] = 'n';
	return pgmqc_queue_run(queue, STMT_SEND_KEYED, values, nulls, 0);
}

/*
 * n messages of keys "keys" (a text[] Datum, a key once per message) left
 * the queue: count them off their keys, forget the keys left without
 * messages and, when the messages were heads (they left the message or
 * delayed table, not the pending table), make each key's next message its
 * head.  Keeps the current SPI result as it was.
 */
void
pgmqc_queue_release_keys(PgmqcQueue *queue, Datum keys, int n, bool heads)
{
	SPITupleTable *result = SPI_tuptable;
	uint64		processed = SPI_processed;
	int			released;
	Datum	   *promote;
	Datum	   *forget;
	int			npromote = 0;
	int			nforget = 0;
	int			i;

	if (n == 0)
		return;
	released = pgmqc_queue_run(queue, STMT_KEYS_RELEASE, &keys, NULL, 0);
	promote = palloc((released + 1) * sizeof(Datum));
	forget = palloc((released + 1) * sizeof(Datum));
	for (i = 0; i < released; i++)
	{
		bool		isnull;
		Datum		key = pgmqc_column(i, KEYS_COL_KEY, &isnull);

		if (pgmqc_column_int64(i, KEYS_COL_MESSAGES, &isnull) <= 0)
			forget[nforget++] = key;
		else if (heads)
			promote[npromote++] = key;
	}
	if (nforget > 0)
	{
		Datum		arg = PointerGetDatum(construct_array(forget, nforget, TEXTOID,
														  -1, false, TYPALIGN_INT));

		(void) pgmqc_queue_run(queue, STMT_KEYS_FORGET, &arg, NULL, 0);
	}
	if (npromote > 0)
	{
		Datum		arg = PointerGetDatum(construct_array(promote, npromote, TEXTOID,
														  -1, false, TYPALIGN_INT));
		bool		isnull;
		int32		visible;
		Datum		first_due;

		(void) pgmqc_queue_run(queue, STMT_KEYS_PROMOTE, &arg, NULL, 1);
		visible = DatumGetInt32(pgmqc_column(0, PROMOTE_COL_VISIBLE, &isnull));
		first_due = pgmqc_column(0, PROMOTE_COL_FIRST_DUE, &isnull);
		if (pgmqc_shared != NULL)
		{
			if (visible > 0)
				pgmqc_wake_on_commit(queue->queue_id, visible, queue->notify);
			if (!isnull)
				pgmqc_due_on_commit(queue->queue_id, DatumGetTimestampTz(first_due));
		}
	}
	SPI_tuptable = result;
	SPI_processed = processed;
}

/*
 * The n rows of the current SPI result are messages that left the queue,
 * with their ordering keys in column "column": release their keys (heads
 * tells where they were, as for pgmqc_queue_release_keys).
 */
void
pgmqc_queue_release_result(PgmqcQueue *queue, int n, int column, bool heads)
{
	int			count;
	Datum		keys;

	if (!queue->has_keys || n == 0)
		return;
	keys = pgmqc_key_array(n, column, &count);
	pgmqc_queue_release_keys(queue, keys, count, heads);
}

/*
 * Messages ids[0..n-1] of the message table are about to leave it by a
 * statement that does not return their keys (dead letters): their keys,
 * as a text[] Datum, *count of them.
 */
Datum
pgmqc_queue_keys_of(PgmqcQueue *queue, const int64 *ids, int n, int *count)
{
	Datum		arg;
	int			found;

	*count = 0;
	if (!queue->has_keys || n == 0)
		return (Datum) 0;
	arg = pgmqc_id_array(ids, n);
	found = pgmqc_queue_run(queue, STMT_KEYS_OF, &arg, NULL, 0);
	return pgmqc_key_array(found, KEYS_COL_KEY, count);
}
