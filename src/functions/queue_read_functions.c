/*-------------------------------------------------------------------------
 *
 * queue_read_functions.c
 *		SQL functions read, pop and read_archive, and the procedure
 *		receive; a read may delete the receipts of the messages read before.
 *
 * The arguments are checked here; claiming, waiting and popping are the
 * queue engine's (queue/claim.c), the archive too (queue/archive.c).  The
 * rows come back sorted by msg_id.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/queue_read_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "functions/arguments.h"
#include "functions/results.h"
#include "queue/queue.h"

PG_FUNCTION_INFO_V1(pgmqc_read);
PG_FUNCTION_INFO_V1(pgmqc_pop);
PG_FUNCTION_INFO_V1(pgmqc_receive);
PG_FUNCTION_INFO_V1(pgmqc_read_archive);

/*
 * The start of a function that returns rows of queue "name", once its
 * arguments are checked: its materialized result set up, SPI connected and
 * the queue opened to consume from.
 */
static PgmqcQueue *
begin_rows(FunctionCallInfo fcinfo, PgmqcContext *cxt, const char *name)
{
	PgmqcQueue *queue;

	InitMaterializedSRF(fcinfo, 0);
	pgmqc_spi_connect(cxt);
	queue = pgmqc_open_locked(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	return queue;
}

/*
 * Delete the n receipts (msg_ids ids, read_cts NULL or of the same length)
 * that a read acknowledges before it leases, from queue "name", as
 * delete(queue_name, msg_ids, read_cts) would: a stale receipt is skipped.
 * Inside SPI.
 */
static void
delete_receipts(const char *name, ArrayType *ids, ArrayType *read_cts, int n)
{
	PgmqcQueue *queue;
	int			removed;

	if (ids == NULL || n == 0)
		return;
	queue = pgmqc_open_locked(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	if (n == 1)
	{
		/* the common case, one receipt: the shorter statement of delete() */
		(void) pgmqc_queue_remove(queue, false, ((int64 *) ARR_DATA_PTR(ids))[0],
								  read_cts != NULL,
								  read_cts ? ((int32 *) ARR_DATA_PTR(read_cts))[0] : 0);
		return;
	}
	(void) pgmqc_queue_remove_all(queue, false, ids, read_cts, n, &removed);
}

/*
 * read(queue_name text, vt interval, qty integer, wait interval,
 *		delete_ids bigint[], delete_read_cts integer[]) RETURNS SETOF message
 *
 * With delete_ids, the receipts of the messages the consumer is done with
 * are deleted first, in the same transaction as the lease of the next
 * ones: one commit per message consumed instead of two.  Also serves
 * version 0.1.0's read(text, interval, integer) and 0.2.0's without the
 * receipts.
 */
Datum
pgmqc_read(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	int32		qty = pgmqc_check_qty(fcinfo, 2);
	Interval   *vt = NULL;
	bool		waiting = false;
	TimestampTz deadline = 0;
	ArrayType  *delete_ids;
	ArrayType  *delete_cts;
	int			ndelete;

	if (!PG_ARGISNULL(1))
	{
		vt = PG_GETARG_INTERVAL_P(1);
		pgmqc_check_vt(vt, "vt", true);
	}
	if (PG_NARGS() > 3)
	{
		pgmqc_check_not_null(fcinfo, 3, "wait");
		waiting = pgmqc_check_wait(PG_GETARG_INTERVAL_P(3), false);
		deadline = pgmqc_now_plus(PG_GETARG_INTERVAL_P(3));
	}
	delete_ids = pgmqc_check_receipts(fcinfo, 4, 5, "delete_ids",
									  "delete_read_cts", &delete_cts, &ndelete);
	pgmqc_check_writable("read()");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	delete_receipts(name, delete_ids, delete_cts, ndelete);
	pgmqc_queue_claim(name, qty, vt, waiting, deadline, false);
	pgmqc_emit_rows(fcinfo, true);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}

/*
 * CALL receive(queue_name text, vt interval, qty integer, wait interval,
 *				INOUT messages pgmq_c.message[], delete_ids bigint[],
 *				delete_read_cts integer[])
 *
 * Like read(), but as a procedure: called by a top-level CALL outside an
 * explicit transaction block it commits before every sleep, so the waiting
 * backend holds no snapshot (pg_stat_activity.backend_xmin stays empty) and
 * no lock, and VACUUM is not held back however long it waits.  The claimed
 * messages are committed when the CALL returns: if the client then fails to
 * process them, their lease expires as for read().  Called inside a
 * transaction block (or from a function) it cannot commit, and waits as
 * read() does.  The receipts of delete_ids are deleted before the first
 * claim, so that they commit with the first commit: before a sleep, or
 * with the lease of the messages returned.
 */
Datum
pgmqc_receive(PG_FUNCTION_ARGS)
{
	char		name[PGMQC_MAX_NAME_LEN + 1];
	int32		qty = pgmqc_check_qty(fcinfo, 2);
	Interval	vt_buf;
	Interval   *vt = NULL;
	bool		waiting;
	TimestampTz deadline;
	PgmqcReceiveCall call;
	ArrayType  *delete_ids;
	ArrayType  *delete_cts;
	int			ndelete;
	int			n;

	/* kept on the stack: it must outlive the commits between sleeps */
	strlcpy(name, pgmqc_arg_name(fcinfo, 0), sizeof(name));
	if (!PG_ARGISNULL(1))
	{
		vt_buf = *PG_GETARG_INTERVAL_P(1);
		vt = &vt_buf;
		pgmqc_check_vt(vt, "vt", true);
	}
	pgmqc_check_not_null(fcinfo, 3, "wait");
	waiting = pgmqc_check_wait(PG_GETARG_INTERVAL_P(3),
							   pgmqc_call_commits(fcinfo));
	deadline = pgmqc_now_plus(PG_GETARG_INTERVAL_P(3));
	delete_ids = pgmqc_check_receipts(fcinfo, 5, 6, "delete_ids",
									  "delete_read_cts", &delete_cts, &ndelete);
	pgmqc_check_writable("receive()");
	pgmqc_receive_begin(fcinfo, &call);
	delete_receipts(name, delete_ids, delete_cts, ndelete);
	n = pgmqc_queue_claim(name, qty, vt, waiting, deadline, call.nonatomic);
	PG_RETURN_DATUM(pgmqc_receive_end(&call, n));
}

/*
 * pop(queue_name text, qty integer) RETURNS SETOF message
 */
Datum
pgmqc_pop(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	int32		qty = pgmqc_check_qty(fcinfo, 1);
	PgmqcQueue *queue;

	pgmqc_check_writable("pop()");

	queue = begin_rows(fcinfo, &cxt, name);
	pgmqc_queue_pop(queue, qty);
	pgmqc_emit_rows(fcinfo, true);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}

/*
 * read_archive(queue_name text, after_msg_id bigint, qty integer)
 *		RETURNS SETOF archived_message
 */
Datum
pgmqc_read_archive(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	int32		qty = pgmqc_check_qty(fcinfo, 2);
	PgmqcQueue *queue;

	pgmqc_check_not_null(fcinfo, 1, "after_msg_id");

	queue = begin_rows(fcinfo, &cxt, name);
	pgmqc_queue_read_archive(queue, PG_GETARG_INT64(1), qty);
	pgmqc_emit_rows(fcinfo, false);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
