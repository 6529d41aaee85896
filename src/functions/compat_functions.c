/*-------------------------------------------------------------------------
 *
 * compat_functions.c
 *		The hot functions of pgmq_c_compat (pgmq 1.x's API in schema pgmq):
 *		pgmq.send, pgmq.send_batch, pgmq.read and pgmq.read_with_poll.
 *
 * pgmq_c_compat--1.0.0.sql declares these as C functions of this library,
 * so that a message sent or read through pgmq's API costs what it costs
 * through pgmq_c's own: a plpgsql wrapper with a pinned search_path costs a
 * third of a send's CPU.  Each converts pgmq's arguments (integer seconds,
 * a timestamptz delay, the read's conditional filter) and calls the code
 * behind pgmq_c.send, pgmq_c.send_batch and pgmq_c.read, with the same
 * checks, privileges and errors.  pgmq.pop, pgmq.delete and pgmq.archive
 * take pgmq_c's arguments and are pgmq_c's own pop, delete and archive
 * (queue_read_functions.c, queue_ack_functions.c); the rest of the API
 * stays in plpgsql.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/compat_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "functions/arguments.h"
#include "functions/results.h"
#include "functions/send_message.h"
#include "queue/queue.h"

PG_FUNCTION_INFO_V1(pgmqc_compat_send);
PG_FUNCTION_INFO_V1(pgmqc_compat_send_seconds);
PG_FUNCTION_INFO_V1(pgmqc_compat_send_at);
PG_FUNCTION_INFO_V1(pgmqc_compat_send_batch);
PG_FUNCTION_INFO_V1(pgmqc_compat_send_batch_seconds);
PG_FUNCTION_INFO_V1(pgmqc_compat_send_batch_at);
PG_FUNCTION_INFO_V1(pgmqc_compat_read);
PG_FUNCTION_INFO_V1(pgmqc_compat_read_with_poll);

/* An interval of secs seconds, in *iv. */
static Interval *
seconds_interval(Interval *iv, int32 secs)
{
	iv->month = 0;
	iv->day = 0;
	iv->time = (int64) secs * USECS_PER_SEC;
	return iv;
}

/*
 * pgmq's send returns its msg_id as a set of one row; the message is
 * argument 1, its headers argument 2 when the call has nargs_with_headers
 * arguments (a NULL headers is none, as in pgmq).
 */
static Datum
send_and_return(FunctionCallInfo fcinfo, int nargs_with_headers,
				Interval *delay)
{
	char	   *name = pgmqc_arg_name_as(fcinfo, 0, "queue");
	Jsonb	   *headers = NULL;
	int64		msg_id;

	pgmqc_check_not_null(fcinfo, 1, "msg");
	if (PG_NARGS() == nargs_with_headers && !PG_ARGISNULL(2))
		headers = PG_GETARG_JSONB_P(2);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	msg_id = pgmqc_send_message(name, PG_GETARG_JSONB_P(1), headers, delay,
								(Datum) 0, (Datum) 0);
	pgmqc_emit_ids(fcinfo, &msg_id, 1);
	PG_RETURN_NULL();
}

/*
 * The delay of pgmq's integer form, the last argument: a delay of 0 or less
 * sends a message visible at once, as pgmq does; NULL is refused (pgmq
 * would store a message that never becomes visible).
 */
static Interval *
seconds_delay(FunctionCallInfo fcinfo, Interval *delay)
{
	int			delay_arg = PG_NARGS() - 1;

	pgmqc_check_not_null(fcinfo, delay_arg, "delay");
	return seconds_interval(delay, Max(PG_GETARG_INT32(delay_arg), 0));
}

/*
 * The delay of pgmq's timestamptz form, the last argument: the message is
 * delivered at that time; a time already past sends it visible at once.
 * NULL and infinite times are refused.
 */
static Interval *
time_delay(FunctionCallInfo fcinfo, Interval *delay)
{
	int			delay_arg = PG_NARGS() - 1;
	TimestampTz at;
	TimestampTz now = GetCurrentTimestamp();

	pgmqc_check_not_null(fcinfo, delay_arg, "delay");
	at = PG_GETARG_TIMESTAMPTZ(delay_arg);
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delay must be a finite time")));
	seconds_interval(delay, 0);
	if (at > now)
		delay->time = at - now;
	return delay;
}

/*
 * pgmq.send(queue_name text, msg jsonb) and
 * pgmq.send(queue_name text, msg jsonb, headers jsonb)
 *		RETURNS SETOF bigint
 */
Datum
pgmqc_compat_send(PG_FUNCTION_ARGS)
{
	Interval	none;

	return send_and_return(fcinfo, 3, seconds_interval(&none, 0));
}

/*
 * pgmq.send(queue_name text, msg jsonb, delay integer) and
 * pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
 *		RETURNS SETOF bigint
 */
Datum
pgmqc_compat_send_seconds(PG_FUNCTION_ARGS)
{
	Interval	delay;

	return send_and_return(fcinfo, 4, seconds_delay(fcinfo, &delay));
}

/*
 * pgmq.send(queue_name text, msg jsonb, delay timestamptz) and
 * pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz)
 *		RETURNS SETOF bigint
 */
Datum
pgmqc_compat_send_at(PG_FUNCTION_ARGS)
{
	Interval	delay;

	return send_and_return(fcinfo, 4, time_delay(fcinfo, &delay));
}

/*
 * pgmq's send_batch: the messages of argument 1 (msgs), with the headers of
 * argument 2 when the call has nargs_with_headers arguments, sent after
 * delay; the msg_ids as rows, in array order.
 */
static Datum
send_batch_and_return(FunctionCallInfo fcinfo, int nargs_with_headers,
					  Interval *delay)
{
	char	   *name = pgmqc_arg_name_as(fcinfo, 0, "queue");
	PgmqcBatch	batch;

	pgmqc_batch_arguments(fcinfo, "msgs",
						  PG_NARGS() == nargs_with_headers ? 2 : -1, &batch);
	pgmqc_check_delay(delay);
	pgmqc_check_writable("send_batch()");
	pgmqc_send_batch_rows(fcinfo, name, &batch, delay, NULL, NULL, NULL, NULL);
	PG_RETURN_NULL();
}

/*
 * pgmq.send_batch(queue_name text, msgs jsonb[]) and
 * pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[])
 *		RETURNS SETOF bigint
 */
Datum
pgmqc_compat_send_batch(PG_FUNCTION_ARGS)
{
	Interval	none;

	return send_batch_and_return(fcinfo, 3, seconds_interval(&none, 0));
}

/*
 * pgmq.send_batch(queue_name text, msgs jsonb[], delay integer) and
 * pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[],
 *				   delay integer)
 *		RETURNS SETOF bigint
 */
Datum
pgmqc_compat_send_batch_seconds(PG_FUNCTION_ARGS)
{
	Interval	delay;

	return send_batch_and_return(fcinfo, 4, seconds_delay(fcinfo, &delay));
}

/*
 * pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz) and
 * pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[],
 *				   delay timestamptz)
 *		RETURNS SETOF bigint
 */
Datum
pgmqc_compat_send_batch_at(PG_FUNCTION_ARGS)
{
	Interval	delay;

	return send_batch_and_return(fcinfo, 4, time_delay(fcinfo, &delay));
}

/*
 * pgmq's read filter argument (conditional, argument argno): only '{}' (or
 * NULL) is supported, anything else is refused rather than ignored.
 */
static void
check_conditional(FunctionCallInfo fcinfo, int argno)
{
	Jsonb	   *conditional;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return;
	conditional = PG_GETARG_JSONB_P(argno);
	if (!JB_ROOT_IS_OBJECT(conditional) || JB_ROOT_COUNT(conditional) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pgmq_c_compat does not support read's conditional filter"),
				 errhint("Pass '{}' (the default), or filter the messages read.")));
}

/*
 * Claim up to qty messages of queue "name" for vt seconds (NULL: the
 * queue's default lease), waiting until deadline if waiting, into the
 * function's result (pgmq.message_record rows: the first six columns of
 * pgmq_c.message).
 */
static Datum
read_into_result(FunctionCallInfo fcinfo, bool waiting, TimestampTz deadline)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name_as(fcinfo, 0, "queue");
	int32		qty = pgmqc_check_qty(fcinfo, 2);
	Interval	vt_buf;
	Interval   *vt = NULL;

	if (!PG_ARGISNULL(1))
	{
		vt = seconds_interval(&vt_buf, PG_GETARG_INT32(1));
		pgmqc_check_vt(vt, "vt", true);
	}
	pgmqc_check_writable("read()");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	pgmqc_queue_claim(name, qty, vt, waiting, deadline, false);
	pgmqc_emit_rows(fcinfo, true);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}

/*
 * pgmq.read(queue_name text, vt integer, qty integer,
 *			 conditional jsonb DEFAULT '{}') RETURNS SETOF message_record
 */
Datum
pgmqc_compat_read(PG_FUNCTION_ARGS)
{
	check_conditional(fcinfo, 3);
	return read_into_result(fcinfo, false, 0);
}

/*
 * pgmq.read_with_poll(queue_name text, vt integer, qty integer,
 *					   max_poll_seconds integer DEFAULT 5,
 *					   poll_interval_ms integer DEFAULT 100,
 *					   conditional jsonb DEFAULT '{}')
 *		RETURNS SETOF message_record
 *
 * No polling: the reader sleeps in the server and is woken by the commit
 * that makes a message visible, as pgmq_c.read with a wait does, so
 * poll_interval_ms is not needed.
 *
 * Under REPEATABLE READ or SERIALIZABLE it waits too, where pgmq_c.read
 * refuses to: pgmq's loop polls there, and clients that call it in a loop
 * would otherwise fail at every call (or spin, given no wait).  Its
 * snapshot shows no message sent later; a lease that ends while it waits
 * is claimed, as pgmq's would be.
 */
Datum
pgmqc_compat_read_with_poll(PG_FUNCTION_ARGS)
{
	Interval	wait;
	int32		seconds;

	check_conditional(fcinfo, 5);
	pgmqc_check_not_null(fcinfo, 3, "max_poll_seconds");
	seconds = PG_GETARG_INT32(3);
	/* in pgmq's terms (the checks below speak of pgmq_c's wait, in ms) */
	if (seconds < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_poll_seconds must not be negative")));
	if ((int64) seconds * 1000 > pgmqc_max_wait_ms)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_poll_seconds must not exceed %d", pgmqc_max_wait_ms / 1000),
				 errdetail("A read waits inside the server at most \"%s\" (%d ms).",
						   "pgmq_c.max_wait", pgmqc_max_wait_ms),
				 errhint("Poll in several shorter calls, or have a superuser raise \"%s\".",
						 "pgmq_c.max_wait")));
	seconds_interval(&wait, seconds);
	return read_into_result(fcinfo, pgmqc_check_wait_length(&wait, false),
							pgmqc_now_plus(&wait));
}
