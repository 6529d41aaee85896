/*-------------------------------------------------------------------------
 *
 * queue_read.c
 *		read and pop, the maturing of delayed messages, and the low
 *		watermark that keeps reads off dead tuples.
 *
 * The low watermark (lwm).  A read claims the oldest visible messages with
 * an index scan on msg_id.  Consumed messages leave dead index entries and
 * heap tuples behind them, and while a long transaction anywhere pins the
 * xmin horizon neither VACUUM nor index-entry killing can remove them, so a
 * scan from the start of the index walks every message consumed since the
 * horizon was pinned.  Each backend therefore keeps, per queue, a msg_id
 * below which no message can ever again be live, and starts its scans
 * there.  It is advanced at most every LWM_INTERVAL_MS to
 *
 *		min(smallest msg_id present in the message or delayed table,
 *			safe_id + 1)
 *
 * where safe_id is a msg_id such that every msg_id <= safe_id belongs to a
 * finished transaction.  safe_id is found in two steps: read the sequence's
 * last value V and then the next XID X; senders take their XID before their
 * msg_id (queue_send.c), so every msg_id <= V belongs to a transaction with
 * XID < X; once the oldest running XID is >= X, all of them have ended and
 * V becomes safe_id.  This is what makes the watermark safe against
 * transactions that commit in another order than their msg_ids: a message
 * sent by a long transaction is never skipped.
 *
 * The minimum is computed in one statement (one snapshot), so a message
 * moving from the delayed table to the message table is seen in one of the
 * two.  A snapshot does not show the current transaction's own uncommitted
 * deletes as live, so an advance made in a transaction is only tentative
 * and is adopted at commit (pgmq_c.c's transaction callbacks); rolled back,
 * it is forgotten.  Under REPEATABLE READ or SERIALIZABLE the snapshot is
 * too old to advance from, so the committed watermark is used as it is.
 *
 * The watermark is only a starting point: a message below it is never
 * live, and a message at or above it is always examined.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue_read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "nodes/parsenodes.h"
#include "storage/procarray.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "compat.h"
#include "shared_memory/shared_memory.h"
#include "common/security.h"

PG_FUNCTION_INFO_V1(pgmqc_read);
PG_FUNCTION_INFO_V1(pgmqc_pop);
PG_FUNCTION_INFO_V1(pgmqc_receive);

#define LWM_INTERVAL_MS		50
#define MATURE_BATCH		1000

/* Try to advance the queue's watermark; returns the one to scan from. */
static int64
advance_lwm(PgmqcQueue *queue)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		cur = pgmqc_effective_watermark(&queue->cache.watermark);
	int64		cand;
	Datum		arg;
	Datum		d;
	bool		isnull;
	int64		last_value;
	bool		is_called;

	if (IsolationUsesXactSnapshot())
		return cur;
	if (queue->cache.watermark.last_advance != 0 &&
		!TimestampDifferenceExceeds(queue->cache.watermark.last_advance, now, LWM_INTERVAL_MS))
		return cur;
	queue->cache.watermark.last_advance = now;

	/* step 2 of safe_id: have all transactions that could hold pend_id ended? */
	if (queue->has_candidate &&
		!TransactionIdPrecedes(GetOldestActiveTransactionId(), queue->candidate_xid))
		queue->settled_through = queue->candidate_id;

	/* step 1 of the next safe_id: the sequence first, then the next XID */
	pgmqc_queue_run(queue, STMT_SEQUENCE_LAST, NULL, NULL, 1);
	last_value = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
	is_called = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 2, &isnull));
	queue->candidate_id = is_called ? last_value : last_value - 1;
	queue->candidate_xid = XidFromFullTransactionId(ReadNextFullTransactionId());
	queue->has_candidate = true;

	/* the smallest msg_id still present, in one snapshot */
	arg = Int64GetDatum(cur);
	pgmqc_queue_run(queue, STMT_WATERMARK_SCAN, &arg, NULL, 1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

	cand = queue->settled_through + 1;
	if (!isnull && DatumGetInt64(d) < cand)
		cand = DatumGetInt64(d);
	if (cand > cur)
	{
		pgmqc_watermark_set_tentative(&queue->cache.watermark, cand);
		cur = cand;
	}
	return cur;
}

/*
 * Move due delayed messages into the message table.  The probe reads the
 * head of the deliver_at index and the time is compared here: a volatile
 * "deliver_at <= clock_timestamp()" could not be an index condition, and a
 * filtered scan would walk every future message when none is due.
 */
static void
mature_due(PgmqcQueue *queue)
{
	TimestampTz now;
	TimestampTz head;
	bool		isnull;
	Datum		args[2];

	if (pgmqc_queue_run(queue, STMT_DUE_PROBE, NULL, NULL, 1) == 0)
		return;
	head = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
	now = GetCurrentTimestamp();
	if (head > now)
		return;
	args[0] = Int32GetDatum(MATURE_BATCH);
	args[1] = TimestampTzGetDatum(now);
	if (pgmqc_queue_run(queue, STMT_MATURE, args, NULL, 0) > 0 && pgmqc_shared != NULL)
	{
		/* other sleepers may take what this reader does not */
		pgmqc_wake_on_commit(queue, (int) SPI_processed, queue->notify);
	}
}

static int
cmp_first_int8(const void *a, const void *b)
{
	int64		x = ((const int64 *) a)[0];
	int64		y = ((const int64 *) b)[0];

	return (x > y) - (x < y);
}

/*
 * Put the rows of SPI_tuptable into the function's materialized result,
 * optionally sorted on their first column (a bigint).
 */
void
pgmqc_emit_rows(FunctionCallInfo fcinfo, bool sort_by_first)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SPITupleTable *tt = SPI_tuptable;
	uint64		n = SPI_processed;
	int			natts = Max(rsinfo->setDesc->natts, tt ? tt->tupdesc->natts : 0);
	Datum	   *values = palloc(natts * sizeof(Datum));
	bool	   *nulls = palloc(natts * sizeof(bool));
	int64	   *order = palloc(n * 2 * sizeof(int64));
	uint64		i;

	for (i = 0; i < n; i++)
	{
		bool		isnull;

		order[2 * i] = sort_by_first ?
			DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull)) : 0;
		order[2 * i + 1] = (int64) i;
	}
	if (sort_by_first && n > 1)
		qsort(order, n, 2 * sizeof(int64), cmp_first_int8);

	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[order[2 * i + 1]];

		heap_deform_tuple(tup, tt->tupdesc, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

static int
cmp_int8(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* The bigint first column of every row in SPI_tuptable, sorted. */
int64 *
pgmqc_collect_ids(int *n)
{
	int64	   *ids = palloc((SPI_processed + 1) * sizeof(int64));
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
											 SPI_tuptable->tupdesc, 1, &isnull));
	}
	*n = (int) SPI_processed;
	qsort(ids, *n, sizeof(int64), cmp_int8);
	return ids;
}

void
pgmqc_emit_ids(FunctionCallInfo fcinfo, int64 *ids, int n)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	for (i = 0; i < n; i++)
	{
		Datum		v = Int64GetDatum(ids[i]);
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
	}
}

/*
 * One attempt to claim up to qty messages for vt; returns how many (rows in
 * SPI_tuptable).  Registers the wake-ups that the claim implies.
 */
static int
claim_once(PgmqcQueue *queue, int32 qty, Interval *vt)
{
	Datum		values[3];
	int			n;

	mature_due(queue);
	values[0] = Int32GetDatum(qty);
	values[1] = IntervalPGetDatum(vt);
	values[2] = Int64GetDatum(advance_lwm(queue));
	n = pgmqc_queue_run(queue, STMT_CLAIM, values, NULL, 0);
	if (n > 0 && pgmqc_shared != NULL)
	{
		/* rolled back, the claim makes the messages visible again */
		pgmqc_wake_on_abort(queue, n);
		/* the lease end matters to sleepers and to notifications */
		if (queue->notify ||
			pg_atomic_read_u32(&pgmqc_slot(queue->queue_id)->waiters) > 0)
			pgmqc_publish_due(queue->queue_id,
							  pgmqc_now_plus(vt));
	}
	return n;
}

/*
 * Check a wait argument; returns whether the call is to wait at all.
 * Waiting needs READ COMMITTED: a transaction snapshot never shows what
 * commits later, so such a wait could never succeed.
 */
bool
pgmqc_check_wait(Interval *wait)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz end = pgmqc_ts_plus(now, wait);	/* one clock reading */

	if (end < now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait must not be negative")));
	if (end == now)
		return false;
	if (end > TimestampTzPlusMilliseconds(now, pgmqc_max_wait_ms))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait must not exceed %d ms", pgmqc_max_wait_ms),
				 errhint("Wait with CALL pgmq_c.receive(), which holds no snapshot while it waits, or have a superuser raise \"%s\".",
						 "pgmq_c.max_wait")));
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("cannot wait for messages in a %s transaction",
						IsolationIsSerializable() ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errdetail("The transaction's snapshot would never show a message committed later."),
				 errhint("Wait in a READ COMMITTED transaction, or read without wait.")));
	return true;
}

/*
 * Claim messages, and while none is visible and the deadline has not
 * passed, sleep until one may be.  Leaves the claimed rows in SPI_tuptable.
 * With commit_between (a non-atomic CALL) the transaction is committed
 * before each sleep, so the backend holds no snapshot and no lock while it
 * waits; the claim that finds messages is then committed by the caller.
 */
static int
claim_or_wait(const char *name, int32 qty, Interval *vt_arg,
			  bool waiting, TimestampTz deadline, bool commit_between)
{
	for (;;)
	{
		PgmqcQueue *queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
		Interval   *vt;
		uint64		seen;
		TimestampTz until;
		int			n;

		/* after a sleep, the queue may have been dropped meanwhile */
		pgmqc_check_not_dropped(queue);
		vt = vt_arg ? vt_arg : &queue->default_vt;
		seen = pgmqc_generation(queue);
		n = claim_once(queue, qty, vt);
		if (n > 0 || !waiting || GetCurrentTimestamp() >= deadline)
			return n;
		SPI_freetuptable(SPI_tuptable);

		until = pgmqc_next_due(queue, pgmqc_effective_watermark(&queue->cache.watermark));
		if (until > deadline)
			until = deadline;
		(void) pgmqc_my_worker(true);	/* due times need the worker */
		if (commit_between)
		{
			pgmqc_spi_commit();
			/* a new transaction without a snapshot: we hold back nothing */
		}
		pgmqc_sleep(queue, seen, until);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * read(queue_name text, vt interval, qty integer, wait interval)
 *		RETURNS SETOF message
 *
 * Also serves version 0.1.0's read(text, interval, integer).
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

	if (!PG_ARGISNULL(1))
	{
		vt = PG_GETARG_INTERVAL_P(1);
		pgmqc_check_vt(vt, "vt", true);
	}
	if (PG_NARGS() > 3)
	{
		pgmqc_check_not_null(fcinfo, 3, "wait");
		waiting = pgmqc_check_wait(PG_GETARG_INTERVAL_P(3));
		deadline = pgmqc_now_plus(PG_GETARG_INTERVAL_P(3));
	}
	pgmqc_check_writable("read()");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	claim_or_wait(name, qty, vt, waiting, deadline, false);
	pgmqc_emit_rows(fcinfo, true);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}

/*
 * CALL receive(queue_name text, vt interval, qty integer, wait interval,
 *				INOUT messages pgmq_c.message[])
 *
 * Like read(), but as a procedure: called by a top-level CALL outside an
 * explicit transaction block it commits before every sleep, so the waiting
 * backend holds no snapshot (pg_stat_activity.backend_xmin stays empty) and
 * no lock, and VACUUM is not held back however long it waits.  The claimed
 * messages are committed when the CALL returns: if the client then fails to
 * process them, their lease expires as for read().  Called inside a
 * transaction block (or from a function) it cannot commit, and waits as
 * read() does.
 */
Datum
pgmqc_receive(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char		name[PGMQC_MAX_NAME_LEN + 1];
	int32		qty = pgmqc_check_qty(fcinfo, 2);
	Interval	vt_buf;
	Interval   *vt = NULL;
	bool		waiting;
	TimestampTz deadline;
	bool		nonatomic;
	TupleDesc	desc;
	Datum		result;
	bool		result_null = false;
	HeapTuple	tuple;
	MemoryContext caller_cxt = CurrentMemoryContext;
	int			n;

	strlcpy(name, pgmqc_arg_name(fcinfo, 0), sizeof(name));
	if (!PG_ARGISNULL(1))
	{
		vt_buf = *PG_GETARG_INTERVAL_P(1);
		vt = &vt_buf;
		pgmqc_check_vt(vt, "vt", true);
	}
	pgmqc_check_not_null(fcinfo, 3, "wait");
	waiting = pgmqc_check_wait(PG_GETARG_INTERVAL_P(3));
	deadline = pgmqc_now_plus(PG_GETARG_INTERVAL_P(3));
	pgmqc_check_writable("receive()");
	desc = pgmqc_call_result_desc(fcinfo, &nonatomic);

	pgmqc_spi_connect_ext(&cxt, nonatomic ? SPI_OPT_NONATOMIC : 0);
	n = claim_or_wait(name, qty, vt, waiting, deadline, nonatomic);

	result = pgmqc_message_array(desc, n, caller_cxt);
	pgmqc_spi_finish(&cxt);

	tuple = heap_form_tuple(desc, &result, &result_null);
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

/*
 * The result row type of a receive procedure, and whether the CALL may
 * commit (a top-level CALL outside a transaction block).
 */
TupleDesc
pgmqc_call_result_desc(FunctionCallInfo fcinfo, bool *nonatomic)
{
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	*nonatomic = fcinfo->context != NULL && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
	return BlessTupleDesc(desc);
}

/*
 * The n rows of SPI_tuptable (pgmq_c.message columns), sorted by msg_id, as
 * a pgmq_c.message[] built in result_cxt, where it outlives SPI.  desc is
 * the row type of a receive procedure's result.
 */
Datum
pgmqc_message_array(TupleDesc desc, int n, MemoryContext result_cxt)
{
	Oid			elemtype = TupleDescAttr(desc, 0)->atttypid;
	TupleDesc	msgdesc;
	Datum	   *elems;
	int64	   *order;
	int			i;
	Datum		result;
	MemoryContext spi_cxt;

	elemtype = get_element_type(elemtype);
	msgdesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	spi_cxt = MemoryContextSwitchTo(result_cxt);
	elems = palloc((n + 1) * sizeof(Datum));
	order = palloc((n + 1) * 2 * sizeof(int64));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		order[2 * i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
												   SPI_tuptable->tupdesc, 1, &isnull));
		order[2 * i + 1] = i;
	}
	if (n > 1)
		qsort(order, n, 2 * sizeof(int64), cmp_first_int8);
	for (i = 0; i < n; i++)
	{
		HeapTuple	src = SPI_tuptable->vals[order[2 * i + 1]];
		Datum		values[16];
		bool		nulls[16];

		Assert(SPI_tuptable->tupdesc->natts <= 16);
		heap_deform_tuple(src, SPI_tuptable->tupdesc, values, nulls);
		elems[i] = HeapTupleGetDatum(heap_form_tuple(msgdesc, values, nulls));
	}
	result = PointerGetDatum(construct_array(elems, n, elemtype, -1, false,
											 TYPALIGN_DOUBLE));
	MemoryContextSwitchTo(spi_cxt);
	return result;
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
	Datum		values[2];

	pgmqc_check_writable("pop()");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	pgmqc_check_not_dropped(queue);
	mature_due(queue);
	values[0] = Int32GetDatum(qty);
	values[1] = Int64GetDatum(advance_lwm(queue));
	if (pgmqc_queue_run(queue, STMT_POP, values, NULL, 0) > 0)
		pgmqc_wake_on_abort(queue, (int) SPI_processed);
	pgmqc_emit_rows(fcinfo, true);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
