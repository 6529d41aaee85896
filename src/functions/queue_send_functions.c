/*-------------------------------------------------------------------------
 *
 * queue_send_functions.c
 *		SQL functions send and send_batch, to a queue or a topic.
 *
 * The arguments are checked here; the name may be a queue's or a topic's,
 * and the send goes to the queue engine (queue/send.c) or the topic engine
 * (topic/topic_publish.c) by the kind found.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/queue_send_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "functions/arguments.h"
#include "functions/results.h"
#include "queue/queue.h"
#include "topic/topic.h"

PG_FUNCTION_INFO_V1(pgmqc_send);
PG_FUNCTION_INFO_V1(pgmqc_send_batch);

/*
 * The delay, the fourth argument of send() and send_batch(), checked; then
 * whether "function" may write.
 */
static Interval *
check_delay_arg(FunctionCallInfo fcinfo, const char *function)
{
	Interval   *delay;

	pgmqc_check_not_null(fcinfo, 3, "delay");
	delay = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_delay(delay);
	pgmqc_check_writable(function);
	return delay;
}

/* SPI connected, and queue or topic "name" opened to send to. */
static PgmqcQueue *
connect_to_send(PgmqcContext *cxt, const char *name)
{
	pgmqc_spi_connect(cxt);
	return pgmqc_open(name, 0, PGMQC_PRIV_SEND);
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
	delay = check_delay_arg(fcinfo, "send()");

	queue = connect_to_send(&cxt, name);
	if (queue->kind == PGMQC_KIND_TOPIC)
		msg_id = pgmqc_topic_publish(queue, message, headers, delay);
	else
		msg_id = pgmqc_queue_send(queue, message, headers, delay);
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
	Jsonb	  **message_elements;
	Jsonb	  **header_elements = NULL;
	int			nmessages;
	int			nheaders;
	int64	   *ids;
	int			nids;

	messages = pgmqc_check_array(fcinfo, 1, "messages", false);
	message_elements = check_elements(messages, false, &nmessages);
	if (!PG_ARGISNULL(2))
	{
		headers = pgmqc_check_array(fcinfo, 2, "headers", true);
		header_elements = check_elements(headers, true, &nheaders);
		if (nheaders != nmessages)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("messages and headers must have the same number of elements"),
					 errdetail("messages has %d elements, headers has %d.",
							   nmessages, nheaders)));
	}
	check_batch_sizes(message_elements, header_elements, nmessages);
	delay = check_delay_arg(fcinfo, "send_batch()");

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	queue = connect_to_send(&cxt, name);
	if (queue->kind == PGMQC_KIND_TOPIC)
	{
		pgmqc_topic_publish_batch(queue, messages, headers, nmessages, delay);
		ids = pgmqc_collect_ids(&nids);
		pgmqc_topic_batch_published(queue, ids, nids, delay);
	}
	else
	{
		pgmqc_queue_send_batch(queue, messages, headers, delay);
		ids = pgmqc_collect_ids(&nids);
		pgmqc_queue_batch_sent(queue, nids, delay);
	}
	pgmqc_emit_ids(fcinfo, ids, nids);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
