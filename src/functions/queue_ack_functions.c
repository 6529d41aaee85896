/*-------------------------------------------------------------------------
 *
 * queue_ack_functions.c
 *		SQL functions delete, archive and set_vt, each by one msg_id or
 *		(delete, archive) by an array.
 *
 * Each takes an optional read_ct, the delivery the caller holds (the
 * receipt, with the msg_id; queue/acknowledge.c): when the message has
 * been delivered again since, nothing changes and the call reports it
 * (false, or no row).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/queue_ack_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "functions/arguments.h"
#include "functions/results.h"
#include "queue/queue.h"

PG_FUNCTION_INFO_V1(pgmqc_delete);
PG_FUNCTION_INFO_V1(pgmqc_delete_many);
PG_FUNCTION_INFO_V1(pgmqc_archive);
PG_FUNCTION_INFO_V1(pgmqc_archive_many);
PG_FUNCTION_INFO_V1(pgmqc_set_vt);
PG_FUNCTION_INFO_V1(pgmqc_nack_queue);

/*
 * Shared body of delete(name, msg_id, read_ct) and archive(...); also of
 * pgmq_c_compat's pgmq.delete(name, msg_id) and pgmq.archive(...), which
 * have no read_ct.
 */
static bool
remove_one(FunctionCallInfo fcinfo, bool archive, const char *funcname)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;
	int64		msg_id;
	bool		has_read_ct = PG_NARGS() > 2 && !PG_ARGISNULL(2);
	int32		read_ct = 0;
	bool		done;

	pgmqc_check_not_null(fcinfo, 1, "msg_id");
	msg_id = PG_GETARG_INT64(1);
	if (has_read_ct)
	{
		read_ct = PG_GETARG_INT32(2);
		pgmqc_check_read_ct(read_ct);
	}
	pgmqc_check_writable(funcname);

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open_locked(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	done = pgmqc_queue_remove(queue, archive, msg_id, has_read_ct, read_ct);
	pgmqc_spi_finish(&cxt);
	return done;
}

/*
 * Shared body of delete(name, msg_ids[], read_cts[]) and archive(...); also
 * of pgmq_c_compat's pgmq.delete(name, msg_ids[]) and pgmq.archive(...).
 */
static void
remove_many(FunctionCallInfo fcinfo, bool archive, const char *funcname)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	ArrayType  *ids;
	ArrayType  *read_cts = NULL;
	PgmqcQueue *queue;
	int			n;
	int64	   *done;
	int			ndone;

	ids = pgmqc_check_array(fcinfo, 1, "msg_ids", true);
	n = ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids));
	if (PG_NARGS() > 2)
		read_cts = pgmqc_check_read_cts(fcinfo, 2, n);
	pgmqc_check_writable(funcname);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	/*
	 * The queue is checked even for no msg_ids: an unknown name, a topic or a
	 * missing privilege is an error whatever the array holds (as ack() does).
	 */
	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open_locked(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	if (n > 0)
	{
		/* visible, leased, delayed, or waiting behind their ordering key */
		done = pgmqc_queue_remove_all(queue, archive, ids, read_cts, n, &ndone);
		pgmqc_emit_ids(fcinfo, done, ndone);
	}
	pgmqc_spi_finish(&cxt);
}

/* delete(queue_name text, msg_id bigint, read_ct integer) RETURNS boolean */
Datum
pgmqc_delete(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(remove_one(fcinfo, false, "delete()"));
}

/* delete(queue_name text, msg_ids bigint[], read_cts integer[]) RETURNS SETOF bigint */
Datum
pgmqc_delete_many(PG_FUNCTION_ARGS)
{
	remove_many(fcinfo, false, "delete()");
	PG_RETURN_NULL();
}

/* archive(queue_name text, msg_id bigint, read_ct integer) RETURNS boolean */
Datum
pgmqc_archive(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(remove_one(fcinfo, true, "archive()"));
}

/* archive(queue_name text, msg_ids bigint[], read_cts integer[]) RETURNS SETOF bigint */
Datum
pgmqc_archive_many(PG_FUNCTION_ARGS)
{
	remove_many(fcinfo, true, "archive()");
	PG_RETURN_NULL();
}

/*
 * set_vt(queue_name text, msg_id bigint, vt interval, read_ct integer)
 *		RETURNS SETOF message
 *
 * The message becomes visible again vt from now: '0' releases a lease at
 * once (a nack), a longer vt extends it.  For a delayed message, vt from now
 * becomes its new delivery time.
 */
Datum
pgmqc_set_vt(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;
	int64		msg_id;
	Interval   *vt;
	bool		has_read_ct = !PG_ARGISNULL(3);
	int32		read_ct = 0;

	pgmqc_check_not_null(fcinfo, 1, "msg_id");
	pgmqc_check_not_null(fcinfo, 2, "vt");
	vt = PG_GETARG_INTERVAL_P(2);
	pgmqc_check_vt(vt, "vt", true);
	msg_id = PG_GETARG_INT64(1);
	if (has_read_ct)
	{
		read_ct = PG_GETARG_INT32(3);
		pgmqc_check_read_ct(read_ct);
	}
	pgmqc_check_writable("set_vt()");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open_locked(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	pgmqc_queue_set_vt(queue, msg_id, vt, has_read_ct, read_ct);
	pgmqc_emit_rows(fcinfo, false);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}

/*
 * nack(queue_name text, msg_id bigint, delay interval, read_ct integer,
 *		reason text) RETURNS boolean
 *
 * Give a message back: visible again after delay (NULL: after the queue's
 * retry backoff, or at once without one); read max_deliveries times, it
 * is dead-lettered instead.  With read_ct, only if that delivery still
 * holds it.  False when the queue holds no such message.
 */
Datum
pgmqc_nack_queue(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;
	Interval   *delay = NULL;
	bool		has_read_ct = !PG_ARGISNULL(3);
	int32		read_ct = 0;
	text	   *reason = PG_ARGISNULL(4) ? NULL : PG_GETARG_TEXT_P(4);
	bool		done;

	pgmqc_check_not_null(fcinfo, 1, "msg_id");
	if (!PG_ARGISNULL(2))
	{
		delay = PG_GETARG_INTERVAL_P(2);
		pgmqc_check_vt(delay, "delay", true);
	}
	if (has_read_ct)
	{
		read_ct = PG_GETARG_INT32(3);
		pgmqc_check_read_ct(read_ct);
	}
	if (reason)
		pgmqc_check_reason(reason);
	pgmqc_check_writable("nack()");

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open_locked(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	if (!queue->retry.catalog_has_retries)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("nack() of a queue needs pgmq_c 0.6.0 or later"),
				 errhint("Run ALTER EXTENSION pgmq_c UPDATE.")));
	done = pgmqc_queue_nack(queue, PG_GETARG_INT64(1), delay, has_read_ct,
							read_ct, reason);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_BOOL(done);
}
