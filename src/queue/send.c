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
 * One message without delay is written into the message table directly
 * (send_direct: heap and index inserts, common/direct_rows.c) rather than
 * by a statement, whose executor start-up cost more than the row; a table
 * that is no longer as pgmq_c made it (a trigger, a rule, a CHECK
 * constraint, an unknown column added by a superuser) gets the statement.
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

#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/rel.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/direct_rows.h"
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
		pgmqc_due_on_commit(queue->queue_id, due, queue->notify);
	}
	(void) pgmqc_my_worker(true);
}

/*
 * The columns of a queue's message table (tables made before 0.6.0 lack
 * leased and reason, before 0.7.0 ordering_key), and what a new message
 * without delay and key has in each.
 */
typedef enum SendColumn
{
	SEND_COLUMN_MSG_ID,
	SEND_COLUMN_READ_CT,
	SEND_COLUMN_ENQUEUED_AT,
	SEND_COLUMN_VT,
	SEND_COLUMN_MESSAGE,
	SEND_COLUMN_HEADERS,
	SEND_COLUMN_LEASED,
	SEND_COLUMN_REASON,
	SEND_COLUMN_ORDERING_KEY,
	SEND_NUM_COLUMNS
} SendColumn;

/*
 * A message without delay whose msg_id is drawn before its row is written
 * (pgmqc_queue_draw): the message table, open, and where its columns are.
 */
static const PgmqcDirectColumn send_columns[SEND_NUM_COLUMNS] = {
	[SEND_COLUMN_MSG_ID] = {"msg_id", INT8OID, true},
	[SEND_COLUMN_READ_CT] = {"read_ct", INT4OID, true},
	[SEND_COLUMN_ENQUEUED_AT] = {"enqueued_at", TIMESTAMPTZOID, true},
	[SEND_COLUMN_VT] = {"vt", TIMESTAMPTZOID, true},
	[SEND_COLUMN_MESSAGE] = {"message", JSONBOID, true},
	[SEND_COLUMN_HEADERS] = {"headers", JSONBOID, true},
	[SEND_COLUMN_LEASED] = {"leased", BOOLOID, false},
	[SEND_COLUMN_REASON] = {"reason", TEXTOID, false, (Datum) 0, true, true},
	[SEND_COLUMN_ORDERING_KEY] = {"ordering_key", TEXTOID, false, (Datum) 0, true, true},
};

/*
 * Open the queue's message table to write a message's row into it directly,
 * and draw its msg_id; false, with nothing open, when the table is not as
 * pgmq_c made it (the caller then runs the statement).  The caller has
 * registered the sender (pgmqc_send_begin).
 */
static bool
open_direct(PgmqcQueue *queue, PgmqcQueueDraw *draw)
{
	draw->rel = try_table_open(queue->cache.relid, RowExclusiveLock);
	if (draw->rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("queue \"%s\" does not exist", queue->name),
				 errdetail("It was dropped while this session was sending to it.")));
	draw->map = pgmqc_direct_columns_fit(draw->rel, send_columns,
										 SEND_NUM_COLUMNS);
	if (draw->map == NULL)
	{
		table_close(draw->rel, RowExclusiveLock);
		draw->rel = NULL;
		return false;
	}
	draw->msg_id = DatumGetInt64(DirectFunctionCall1(nextval_oid,
													 ObjectIdGetDatum(queue->sequence_relid)));
	return true;
}

/*
 * Write the row of a message without delay (headers may be NULL) whose
 * msg_id open_direct() drew, and close the table.
 */
static void
write_direct(PgmqcQueueDraw *draw, Jsonb *message, Jsonb *headers)
{
	PgmqcDirectColumn columns[SEND_NUM_COLUMNS];
	TimestampTz now = GetCurrentTimestamp();

	memcpy(columns, send_columns, sizeof(columns));
	columns[SEND_COLUMN_MSG_ID].value = Int64GetDatum(draw->msg_id);
	columns[SEND_COLUMN_READ_CT].value = Int32GetDatum(0);
	columns[SEND_COLUMN_ENQUEUED_AT].value = TimestampTzGetDatum(now);
	columns[SEND_COLUMN_VT].value = TimestampTzGetDatum(now);
	columns[SEND_COLUMN_MESSAGE].value = JsonbPGetDatum(message);
	columns[SEND_COLUMN_HEADERS].value = PointerGetDatum(headers);
	columns[SEND_COLUMN_HEADERS].isnull = headers == NULL;
	columns[SEND_COLUMN_LEASED].value = BoolGetDatum(false);
	columns[SEND_COLUMN_REASON].isnull = true;
	columns[SEND_COLUMN_ORDERING_KEY].isnull = true;
	pgmqc_direct_insert_columns(draw->rel, columns, draw->map);
	pgmqc_queue_draw_unused(draw);

	/* the statements that follow in this transaction see the message */
	CommandCounterIncrement();
}

/*
 * Draw the msg_id of one message without delay, to be sent with
 * pgmqc_queue_send_drawn() (or, when it is not sent after all, given up
 * with pgmqc_queue_draw_unused(): the id is then skipped, as a rolled-back
 * send's is).  False, with nothing drawn, when the message table is not as
 * pgmq_c made it: send with pgmqc_queue_send() instead.
 */
bool
pgmqc_queue_draw(PgmqcQueue *queue, PgmqcQueueDraw *draw)
{
	Datum		values[SEND_NUM_ARGS];
	char		nulls[SEND_NUM_ARGS];

	if (!OidIsValid(queue->sequence_relid))
		return false;
	pgmqc_send_begin(queue, values, nulls, (Datum) 0, NULL, NULL);
	return open_direct(queue, draw);
}

/* Send message (headers may be NULL) with the msg_id drawn; returns it. */
int64
pgmqc_queue_send_drawn(PgmqcQueue *queue, PgmqcQueueDraw *draw,
					   Jsonb *message, Jsonb *headers)
{
	Interval	no_delay = {0};
	int64		msg_id = draw->msg_id;

	write_direct(draw, message, headers);
	announce(queue, 1, &no_delay);
	return msg_id;
}

/* Close what pgmqc_queue_draw() opened; its lock stays. */
void
pgmqc_queue_draw_unused(PgmqcQueueDraw *draw)
{
	pfree(draw->map);
	table_close(draw->rel, NoLock);
	draw->rel = NULL;
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
	PgmqcQueueDraw draw;
	bool		isnull;
	int64		msg_id;

	pgmqc_send_begin(queue, values, nulls, JsonbPGetDatum(message),
					 (Pointer) headers, delay);
	if (pgmqc_interval_is_zero(delay) && OidIsValid(queue->sequence_relid) &&
		open_direct(queue, &draw))
	{
		msg_id = draw.msg_id;
		write_direct(&draw, message, headers);
	}
	else
	{
		pgmqc_queue_run(queue,
						pgmqc_interval_is_zero(delay) ? STMT_SEND : STMT_SEND_DELAYED,
						values, nulls, 0);
		msg_id = pgmqc_column_int64(0, ID_COL_MSG_ID, &isnull);
	}
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

	pgmqc_send_begin(queue, values, nulls,
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
