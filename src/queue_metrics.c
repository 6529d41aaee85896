/*-------------------------------------------------------------------------
 *
 * queue_metrics.c
 *		metrics, metrics_all and read_archive.
 *
 * metrics() must stay cheap on a queue of millions of messages, so every
 * count stops after pgmq_c.metrics_exact_limit rows.  When a count reaches
 * the limit, that count is replaced by the statistics collector's
 * live-tuple count (pg_stat_get_live_tuples, but never less than the limit)
 * and, for the queue's own lengths, length_is_exact is false.  Ages come
 * from the first and last rows of the msg_id index.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue_metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "pgmq_c.h"
#include "security.h"

PG_FUNCTION_INFO_V1(pgmqc_metrics);
PG_FUNCTION_INFO_V1(pgmqc_metrics_all);
PG_FUNCTION_INFO_V1(pgmqc_read_archive);

#define NUM_METRICS_COLS 16

static double
age_secs(TimestampTz now, TimestampTz then)
{
	return (double) (now - then) / USECS_PER_SEC;
}

/*
 * Fill one pgmq_c.queue_metrics row for a topic: its lengths count the
 * messages retained in the log (delivery to groups: list_groups()).
 */
static void
compute_topic_metrics(PgmqcQueue *topic, Datum *values, bool *nulls)
{
	Datum		args[2];
	Datum		r[11];
	bool		rn[11];
	int64		limit = pgmqc_metrics_exact_limit;
	int64		len,
				delayed;
	bool		exact = true;
	TimestampTz now;
	int			i;

	args[0] = Int64GetDatum(limit + 1);
	args[1] = Int32GetDatum(topic->queue_id);
	pgmqc_exec(topic, STMT_T_METRICS, args, NULL, 1);
	for (i = 0; i < 11; i++)
		r[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
							 i + 1, &rn[i]);
	len = DatumGetInt64(r[0]);
	delayed = DatumGetInt64(r[1]);
	if (len > limit)
	{
		len = rn[5] ? limit : Max(DatumGetInt64(r[5]), limit);
		exact = false;
	}
	if (delayed > limit)
	{
		delayed = limit;
		exact = false;
	}
	now = DatumGetTimestampTz(r[9]);

	memset(nulls, 0, NUM_METRICS_COLS * sizeof(bool));
	values[0] = CStringGetTextDatum(topic->name);
	values[1] = Int64GetDatum(len);
	values[2] = Int64GetDatum(Max(len - delayed, 0));
	values[3] = Int64GetDatum(delayed);
	nulls[4] = true;			/* leases are per group */
	nulls[5] = true;			/* topics have no archive */
	if (rn[2])
		nulls[6] = true;
	else
		values[6] = Float8GetDatum(age_secs(now, DatumGetTimestampTz(r[2])));
	if (rn[3])
		nulls[7] = true;
	else
		values[7] = Float8GetDatum(age_secs(now, DatumGetTimestampTz(r[3])));
	values[8] = rn[4] ? Int64GetDatum(0) : r[4];
	values[9] = BoolGetDatum(exact);
	values[10] = TimestampTzGetDatum(now);
	values[11] = CStringGetTextDatum("topic");
	values[12] = r[10];
	nulls[12] = rn[10];
	values[13] = r[6];
	nulls[13] = rn[6];
	values[14] = r[7];
	nulls[14] = rn[7];
	values[15] = rn[8] ? Int64GetDatum(0) : r[8];
}

/* Fill one pgmq_c.queue_metrics row for a queue or topic.  Inside SPI. */
static void
compute_metrics(const char *name, Datum *values, bool *nulls)
{
	PgmqcQueue *queue = pgmqc_lookup_kind(name, 0, false);
	Datum		args[2];
	Datum		r[11];
	bool		rn[11];
	int64		limit = pgmqc_metrics_exact_limit;
	int64		qlen,
				visible,
				delayed,
				archived;
	bool		exact;
	TimestampTz now;
	int			i;

	if (queue->kind == PGMQC_KIND_TOPIC)
	{
		compute_topic_metrics(queue, values, nulls);
		return;
	}
	args[0] = Int64GetDatum(limit + 1);
	args[1] = Int64GetDatum(pgmqc_effective_lwm(queue));
	pgmqc_exec(queue, STMT_METRICS, args, NULL, 1);
	for (i = 0; i < 11; i++)
		r[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
							 i + 1, &rn[i]);

	qlen = DatumGetInt64(r[0]);
	visible = DatumGetInt64(r[1]);
	delayed = DatumGetInt64(r[2]);
	archived = DatumGetInt64(r[3]);

	/*
	 * Each count that reached the limit is replaced by the statistics
	 * collector's estimate; visible can only reach it when qlen does, and
	 * then leased messages are counted as visible.
	 */
	exact = true;
	if (qlen > limit)
	{
		qlen = Max(DatumGetInt64(r[7]), limit);
		visible = qlen;
		exact = false;
	}
	if (delayed > limit)
	{
		delayed = Max(DatumGetInt64(r[8]), limit);
		exact = false;
	}
	if (archived > limit)
		archived = Max(DatumGetInt64(r[9]), limit);
	now = DatumGetTimestampTz(r[10]);

	memset(nulls, 0, NUM_METRICS_COLS * sizeof(bool));
	values[0] = CStringGetTextDatum(name);
	values[1] = Int64GetDatum(qlen + delayed);
	values[2] = Int64GetDatum(visible);
	values[3] = Int64GetDatum(delayed);
	values[4] = Int64GetDatum(Max(qlen - visible, 0));
	values[5] = Int64GetDatum(archived);
	if (rn[4])
		nulls[6] = true;
	else
		values[6] = Float8GetDatum(age_secs(now, DatumGetTimestampTz(r[4])));
	if (rn[5])
		nulls[7] = true;
	else
		values[7] = Float8GetDatum(age_secs(now, DatumGetTimestampTz(r[5])));
	values[8] = rn[6] ? Int64GetDatum(0) : r[6];
	values[9] = BoolGetDatum(exact);
	values[10] = TimestampTzGetDatum(now);
	values[11] = CStringGetTextDatum("queue");
	for (i = 12; i < NUM_METRICS_COLS; i++)
		nulls[i] = true;
}

/* metrics(queue_name text) RETURNS queue_metrics */
Datum
pgmqc_metrics(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	TupleDesc	desc;
	Datum		values[NUM_METRICS_COLS];
	bool		nulls[NUM_METRICS_COLS];
	HeapTuple	tuple;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	desc = BlessTupleDesc(desc);

	pgmqc_spi_connect(&cxt);
	(void) pgmqc_open(name, 0, PGMQC_PRIV_MONITOR);
	compute_metrics(name, values, nulls);
	/* the row must outlive SPI_finish: build it in the caller's context */
	tuple = heap_form_tuple(desc, values, nulls);
	tuple = SPI_copytuple(tuple);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

/* metrics_all() RETURNS SETOF queue_metrics */
Datum
pgmqc_metrics_all(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	  **names;
	uint64		n;
	uint64		i;
	int			rc;

	InitMaterializedSRF(fcinfo, 0);
	pgmqc_spi_connect(&cxt);
	rc = SPI_execute("SELECT queue_name FROM pgmq_c.queues ORDER BY queue_name COLLATE \"C\"",
					 true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	n = SPI_processed;
	names = palloc((n + 1) * sizeof(char *));
	for (i = 0; i < n; i++)
		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	for (i = 0; i < n; i++)
	{
		Datum		values[NUM_METRICS_COLS];
		bool		nulls[NUM_METRICS_COLS];

		compute_metrics(names[i], values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
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
	Datum		values[2];

	pgmqc_check_not_null(fcinfo, 1, "after_msg_id");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	values[0] = PG_GETARG_DATUM(1);
	values[1] = Int32GetDatum(qty);
	pgmqc_exec(queue, STMT_READ_ARCHIVE, values, NULL, 0);
	pgmqc_emit_rows(fcinfo, false);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
