/*-------------------------------------------------------------------------
 *
 * queue_send.c
 *		send and send_batch.
 *
 * A message without delay goes straight into the queue's message table; a
 * delayed one goes into its delayed table, from which readers move it once
 * it is due.  Either way it takes its msg_id from the queue's sequence.
 *
 * Ordering rule relied on by the read side (queue_read.c): the sending
 * transaction has its XID assigned before it draws a msg_id.  So any msg_id
 * that a reader sees already handed out belongs to a transaction whose XID
 * is below the next XID the reader reads afterwards.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue_send.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "compat.h"
#include "shared_memory/shared_memory.h"
#include "topic/topic.h"
#include "common/security.h"

PG_FUNCTION_INFO_V1(pgmqc_send);
PG_FUNCTION_INFO_V1(pgmqc_send_batch);

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
		pgmqc_wake_on_commit(queue, count, queue->notify);
	else
	{
		TimestampTz due = pgmqc_now_plus(delay);

		/*
		 * Now, for a transaction that is prepared and committed elsewhere;
		 * and again at commit, which may come after the due time.  The
		 * worker notifies only once the message is visible.
		 */
		pgmqc_publish_due(queue->queue_id, due);
		pgmqc_due_on_commit(queue, due);
	}
	(void) pgmqc_my_worker(true);
}

/*
 * send(queue_name text, message jsonb, headers jsonb, delay interval)
 *		RETURNS bigint
 */
Datum
pgmqc_send(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	Jsonb	   *message;
	Jsonb	   *headers = NULL;
	Interval   *delay;
	PgmqcQueue *queue;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		delayed;
	bool		isnull;
	int64		msg_id;

	pgmqc_check_not_null(fcinfo, 1, "message");
	message = PG_GETARG_JSONB_P(1);
	pgmqc_check_message(message);
	if (!PG_ARGISNULL(2))
	{
		headers = PG_GETARG_JSONB_P(2);
		pgmqc_check_headers(headers);
	}
	pgmqc_check_size(message, headers);
	pgmqc_check_not_null(fcinfo, 3, "delay");
	delay = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_delay(delay);
	delayed = !pgmqc_interval_is_zero(delay);
	pgmqc_check_writable("send()");

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, 0, PGMQC_PRIV_SEND);

	values[0] = JsonbPGetDatum(message);
	values[1] = headers ? JsonbPGetDatum(headers) : (Datum) 0;
	if (headers == NULL)
		nulls[1] = 'n';
	values[2] = IntervalPGetDatum(delay);

	/* XID first, then msg_id: see the file header */
	(void) GetTopTransactionId();
	if (queue->kind == PGMQC_KIND_TOPIC)
	{
		SPIPlanPtr	plan;
		Datum		pvalues[4];
		char		pnulls[4];

		/* a topic's log: deliver_at is NULL unless delayed */
		pgmqc_sender_register(queue->queue_id);
		pgmqc_topic_before_send(queue, 1);
		if (!delayed)
			nulls[2] = 'n';

		/*
		 * Draw the msg_id here and insert straight into its partition:
		 * routing a row through the partitioned log costs more than the
		 * insert itself.
		 */
		msg_id = DatumGetInt64(DirectFunctionCall1(nextval_oid,
												   ObjectIdGetDatum(queue->sequence_relid)));
		plan = pgmqc_partition_send_plan(queue, msg_id / queue->partition_size);
		if (plan == NULL)
		{
			/* made after pgmqc_topic_before_send looked: only in a race */
			pgmqc_create_partition(queue->queue_id, queue->partition_size,
								   msg_id / queue->partition_size);
			plan = pgmqc_partition_send_plan(queue, msg_id / queue->partition_size);
			if (plan == NULL)
				elog(ERROR, "could not make the partition for msg_id " INT64_FORMAT " of topic \"%s\"",
					 msg_id, queue->name);
		}
		memcpy(pvalues, values, 3 * sizeof(Datum));
		memcpy(pnulls, nulls, 3);
		pvalues[3] = Int64GetDatum(msg_id);
		pnulls[3] = ' ';
		if (SPI_execute_plan(plan, pvalues, pnulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not send to topic \"%s\"", queue->name);
	}
	else
	{
		pgmqc_queue_run(queue, delayed ? STMT_SEND_DELAYED : STMT_SEND, values, nulls, 0);
		msg_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
	}
	if (queue->kind == PGMQC_KIND_TOPIC)
		pgmqc_topic_sent(queue, msg_id, 1, delay);
	else
		announce(queue, 1, delay);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_INT64(msg_id);
}

/*
 * Validate every element of a jsonb[] argument; returns the elements, *n of
 * them.
 */
static Jsonb **
check_elements(ArrayType *arr, bool are_headers, int *n)
{
	Datum	   *elems;
	bool	   *elem_nulls;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Jsonb	  **result;
	int			i;

	get_typlenbyvalalign(JSONBOID, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, JSONBOID, typlen, typbyval, typalign,
					  &elems, &elem_nulls, n);
	result = palloc((*n + 1) * sizeof(Jsonb *));
	for (i = 0; i < *n; i++)
	{
		Jsonb	   *j = DatumGetJsonbP(elems[i]);

		if (are_headers)
			pgmqc_check_headers(j);
		else
			pgmqc_check_message(j);
		result[i] = j;
	}
	return result;
}

/*
 * Each message of a batch with its headers, if any, against
 * pgmq_c.max_message_size, as send() counts them.
 */
static void
check_batch_sizes(Jsonb **messages, Jsonb **headers, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		pgmqc_check_size(messages[i], headers ? headers[i] : NULL);
}

/*
 * send_batch(queue_name text, messages jsonb[], headers jsonb[],
 *			  delay interval) RETURNS SETOF bigint
 *
 * The msg_ids come back in array order (they are drawn in that order, so
 * ascending).
 */
Datum
pgmqc_send_batch(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	ArrayType  *messages;
	ArrayType  *headers = NULL;
	Interval   *delay;
	PgmqcQueue *queue;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	Jsonb	  **msg_elems;
	Jsonb	  **hdr_elems = NULL;
	int			nmsg;
	int			nhdr;
	int64	   *ids;
	int			nids;

	messages = pgmqc_check_array(fcinfo, 1, "messages", false);
	msg_elems = check_elements(messages, false, &nmsg);
	if (!PG_ARGISNULL(2))
	{
		headers = pgmqc_check_array(fcinfo, 2, "headers", true);
		hdr_elems = check_elements(headers, true, &nhdr);
		if (nhdr != nmsg)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("messages and headers must have the same number of elements"),
					 errdetail("messages has %d elements, headers has %d.", nmsg, nhdr)));
	}
	check_batch_sizes(msg_elems, hdr_elems, nmsg);
	pgmqc_check_not_null(fcinfo, 3, "delay");
	delay = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_delay(delay);
	pgmqc_check_writable("send_batch()");

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, 0, PGMQC_PRIV_SEND);
	values[0] = PointerGetDatum(messages);
	values[1] = PointerGetDatum(headers);
	if (headers == NULL)
		nulls[1] = 'n';
	values[2] = IntervalPGetDatum(delay);

	(void) GetTopTransactionId();
	if (queue->kind == PGMQC_KIND_TOPIC)
	{
		pgmqc_sender_register(queue->queue_id);
		pgmqc_topic_before_send(queue, nmsg);
		if (pgmqc_interval_is_zero(delay))
			nulls[2] = 'n';
		pgmqc_queue_run(queue, STMT_TOPIC_SEND_BATCH, values, nulls, 0);
	}
	else
		pgmqc_queue_run(queue, pgmqc_interval_is_zero(delay) ? STMT_SEND_BATCH : STMT_SEND_BATCH_DELAYED,
				   values, nulls, 0);
	ids = pgmqc_collect_ids(&nids);
	if (queue->kind == PGMQC_KIND_TOPIC)
	{
		if (nids > 0)
			pgmqc_topic_sent(queue, ids[nids - 1], nids, delay);
	}
	else
		announce(queue, nids, delay);
	pgmqc_emit_ids(fcinfo, ids, nids);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
