/*-------------------------------------------------------------------------
 *
 * queue_ack.c
 *		delete, archive and set_vt, each by one msg_id or by an array.
 *
 * Lease fencing: each takes an optional read_ct, the delivery the caller
 * holds; (msg_id, read_ct) is the receipt.  When read_ct is given and the
 * message has been delivered again since (its read_ct moved on), nothing
 * changes and the call reports it (false, or no row).  A message that is
 * still delayed has never been delivered: it matches read_ct NULL or 0.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue_ack.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/array.h"
#include "utils/builtins.h"

#include "compat.h"
#include "shared_memory/shared_memory.h"
#include "common/security.h"

PG_FUNCTION_INFO_V1(pgmqc_delete);
PG_FUNCTION_INFO_V1(pgmqc_delete_many);
PG_FUNCTION_INFO_V1(pgmqc_archive);
PG_FUNCTION_INFO_V1(pgmqc_archive_many);
PG_FUNCTION_INFO_V1(pgmqc_set_vt);

static void
check_read_ct(int32 read_ct)
{
	if (read_ct < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("read_ct must not be negative")));
}

/* Shared body of delete(name, msg_id, read_ct) and archive(...). */
static bool
remove_one(FunctionCallInfo fcinfo, PgmqcStatement stmt, PgmqcStatement stmt_delayed,
		   const char *funcname)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		done;

	pgmqc_check_not_null(fcinfo, 1, "msg_id");
	values[0] = PG_GETARG_DATUM(1);
	if (PG_ARGISNULL(2))
		nulls[1] = 'n';
	else
	{
		check_read_ct(PG_GETARG_INT32(2));
		values[1] = PG_GETARG_DATUM(2);
	}
	pgmqc_check_writable(funcname);

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	pgmqc_check_not_dropped(queue);
	done = pgmqc_queue_run(queue, stmt, values, nulls, 0) > 0;
	if (!done)
		done = pgmqc_queue_run(queue, stmt_delayed, values, nulls, 0) > 0;
	pgmqc_spi_finish(&cxt);
	return done;
}

/* Shared body of delete(name, msg_ids[], read_cts[]) and archive(...). */
static void
remove_many(FunctionCallInfo fcinfo, PgmqcStatement stmt, PgmqcStatement stmt_delayed,
			const char *funcname)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	ArrayType  *ids;
	PgmqcQueue *queue;
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	int			n;
	int64	   *done;
	int			ndone;

	ids = pgmqc_check_array(fcinfo, 1, "msg_ids", true);
	n = ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids));
	values[0] = PointerGetDatum(ids);
	if (PG_ARGISNULL(2))
		nulls[1] = 'n';
	else
	{
		ArrayType  *cts = pgmqc_check_array(fcinfo, 2, "read_cts", true);
		int			nct = ArrayGetNItems(ARR_NDIM(cts), ARR_DIMS(cts));
		int32	   *ct = (int32 *) ARR_DATA_PTR(cts);
		int			i;

		if (nct != n)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("msg_ids and read_cts must have the same number of elements"),
					 errdetail("msg_ids has %d elements, read_cts has %d.", n, nct)));
		for (i = 0; i < nct; i++)
			check_read_ct(ct[i]);
		values[1] = PointerGetDatum(cts);
	}
	pgmqc_check_writable(funcname);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (n == 0)
		return;

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	pgmqc_check_not_dropped(queue);
	pgmqc_queue_run(queue, stmt, values, nulls, 0);
	done = pgmqc_collect_ids(&ndone);
	if (ndone < n)
	{
		/* some may still be delayed */
		int64	   *more;
		int			nmore;

		pgmqc_queue_run(queue, stmt_delayed, values, nulls, 0);
		more = pgmqc_collect_ids(&nmore);
		if (nmore > 0)
		{
			int64	   *all = palloc((ndone + nmore) * sizeof(int64));
			int			i = 0,
						j = 0,
						k = 0;

			/* merge two sorted lists */
			while (i < ndone || j < nmore)
			{
				if (j >= nmore || (i < ndone && done[i] < more[j]))
					all[k++] = done[i++];
				else
					all[k++] = more[j++];
			}
			done = all;
			ndone = k;
		}
	}
	pgmqc_emit_ids(fcinfo, done, ndone);
	pgmqc_spi_finish(&cxt);
}

/* delete(queue_name text, msg_id bigint, read_ct integer) RETURNS boolean */
Datum
pgmqc_delete(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(remove_one(fcinfo, STMT_DELETE, STMT_DELETE_DELAYED, "delete()"));
}

/* delete(queue_name text, msg_ids bigint[], read_cts integer[]) RETURNS SETOF bigint */
Datum
pgmqc_delete_many(PG_FUNCTION_ARGS)
{
	remove_many(fcinfo, STMT_DELETE_MANY, STMT_DELETE_MANY_DELAYED, "delete()");
	PG_RETURN_NULL();
}

/* archive(queue_name text, msg_id bigint, read_ct integer) RETURNS boolean */
Datum
pgmqc_archive(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(remove_one(fcinfo, STMT_ARCHIVE, STMT_ARCHIVE_DELAYED, "archive()"));
}

/* archive(queue_name text, msg_ids bigint[], read_cts integer[]) RETURNS SETOF bigint */
Datum
pgmqc_archive_many(PG_FUNCTION_ARGS)
{
	remove_many(fcinfo, STMT_ARCHIVE_MANY, STMT_ARCHIVE_MANY_DELAYED, "archive()");
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
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};

	pgmqc_check_not_null(fcinfo, 1, "msg_id");
	pgmqc_check_not_null(fcinfo, 2, "vt");
	pgmqc_check_vt(PG_GETARG_INTERVAL_P(2), "vt", true);
	values[0] = PG_GETARG_DATUM(1);
	values[1] = PG_GETARG_DATUM(2);
	if (PG_ARGISNULL(3))
		nulls[2] = 'n';
	else
	{
		check_read_ct(PG_GETARG_INT32(3));
		values[2] = PG_GETARG_DATUM(3);
	}
	pgmqc_check_writable("set_vt()");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	pgmqc_check_not_dropped(queue);
	if (pgmqc_queue_run(queue, STMT_SET_VT, values, nulls, 0) == 0)
		pgmqc_queue_run(queue, STMT_SET_VT_DELAYED, values, nulls, 0);
	if (SPI_processed > 0 && pgmqc_shared != NULL)
	{
		Interval   *vt = PG_GETARG_INTERVAL_P(2);

		if (pgmqc_interval_is_zero(vt))
			pgmqc_wake_on_commit(queue, (int) SPI_processed, queue->notify);
		else
		{
			pgmqc_publish_due(queue->queue_id,
							  pgmqc_now_plus(vt));
			pgmqc_wake_on_commit(queue, 1, false);
		}
	}
	pgmqc_emit_rows(fcinfo, false);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
