/*-------------------------------------------------------------------------
 *
 * results.c
 *		Building the results of pgmq_c's SQL functions from the rows of the
 *		last SPI result: materialized result sets of rows or of msg_ids,
 *		and the pgmq_c.message[] that the receive procedures return.
 *
 * The rows are those of SPI_tuptable: message rows (statements.h,
 * MESSAGE_COL_*) or msg_ids, the msg_id always first.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/results.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/parsenodes.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "pgmq_c.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/results.h"

/* a message row has at most this many columns (MESSAGE_NUM_COLS and more) */
#define MAX_ROW_COLUMNS		16

/* Order (key, position) pairs by key. */
static int
compare_first_int64(const void *a, const void *b)
{
	int64		x = ((const int64 *) a)[0];
	int64		y = ((const int64 *) b)[0];

	return (x > y) - (x < y);
}

static int
compare_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * The positions of the n rows of SPI_tuptable, as (msg_id, position) pairs
 * sorted by msg_id when sorted, else as (0, position) in row order; in the
 * current memory context.
 */
static int64 *
row_order(uint64 n, bool sorted)
{
	int64	   *order = palloc((n + 1) * 2 * sizeof(int64));
	uint64		i;

	for (i = 0; i < n; i++)
	{
		bool		isnull;

		order[2 * i] = sorted ?
			pgmqc_column_int64((int) i, MESSAGE_COL_MSG_ID, &isnull) : 0;
		order[2 * i + 1] = (int64) i;
	}
	if (sorted && n > 1)
		qsort(order, n, 2 * sizeof(int64), compare_first_int64);
	return order;
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
	int64	   *order = row_order(n, sort_by_first);
	uint64		i;

	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[order[2 * i + 1]];

		heap_deform_tuple(tup, tt->tupdesc, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
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

		ids[i] = pgmqc_column_int64((int) i, ID_COL_MSG_ID, &isnull);
	}
	*n = (int) SPI_processed;
	qsort(ids, *n, sizeof(int64), compare_int64);
	return ids;
}

/* Put n msg_ids into the function's materialized result, in that order. */
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
 * Whether a procedure's CALL may commit: a top-level CALL outside a
 * transaction block.
 */
bool
pgmqc_call_commits(FunctionCallInfo fcinfo)
{
	return fcinfo->context != NULL && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
}

/*
 * The result row type of a receive procedure.
 */
static TupleDesc
call_result_desc(FunctionCallInfo fcinfo)
{
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	return BlessTupleDesc(desc);
}

/*
 * The n rows of SPI_tuptable (pgmq_c.message columns), sorted by msg_id, as
 * a pgmq_c.message[] built in result_cxt, where it outlives SPI.  desc is
 * the row type of a receive procedure's result.
 */
static Datum
message_array(TupleDesc desc, int n, MemoryContext result_cxt)
{
	Oid			elemtype = TupleDescAttr(desc, 0)->atttypid;
	TupleDesc	msgdesc;
	Datum	   *elems;
	int64	   *order;
	int			i;
	Datum		result;
	MemoryContext spi_cxt;

	elemtype = get_element_type(elemtype);
	if (n == 0)
	{
		/* what idle waiters return, call after call: no row type needed */
		spi_cxt = MemoryContextSwitchTo(result_cxt);
		result = PointerGetDatum(construct_empty_array(elemtype));
		MemoryContextSwitchTo(spi_cxt);
		return result;
	}
	msgdesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	spi_cxt = MemoryContextSwitchTo(result_cxt);
	elems = palloc((n + 1) * sizeof(Datum));
	order = row_order(n, true);
	for (i = 0; i < n; i++)
	{
		HeapTuple	src = SPI_tuptable->vals[order[2 * i + 1]];
		Datum		values[MAX_ROW_COLUMNS];
		bool		nulls[MAX_ROW_COLUMNS];

		Assert(SPI_tuptable->tupdesc->natts <= MAX_ROW_COLUMNS);
		heap_deform_tuple(src, SPI_tuptable->tupdesc, values, nulls);
		elems[i] = HeapTupleGetDatum(heap_form_tuple(msgdesc, values, nulls));
	}
	result = PointerGetDatum(construct_array(elems, n, elemtype, -1, false,
											 TYPALIGN_DOUBLE));
	MemoryContextSwitchTo(spi_cxt);
	return result;
}

/*
 * The start of a receive procedure, once its arguments are checked: the
 * memory context it was called in, its result row type, whether the CALL
 * may commit (a top-level CALL outside a transaction block) and SPI
 * connected, non-atomic if so.
 */
void
pgmqc_receive_begin(FunctionCallInfo fcinfo, PgmqcReceiveCall *call)
{
	call->caller_cxt = CurrentMemoryContext;
	call->desc = call_result_desc(fcinfo);
	call->nonatomic = pgmqc_call_commits(fcinfo);
	pgmqc_spi_connect_ext(&call->cxt, call->nonatomic ? SPI_OPT_NONATOMIC : 0);
}

/*
 * The end of a receive procedure that claimed n rows (left in
 * SPI_tuptable): SPI finished, and its result row holding them as a
 * pgmq_c.message[], built in the memory context it was called in.
 */
Datum
pgmqc_receive_end(PgmqcReceiveCall *call, int n)
{
	Datum		result;
	bool		result_null = false;

	/*
	 * A call that committed while it waited may outlive the extension (DROP
	 * EXTENSION pgmq_c in another session), and with it the result's type.
	 */
	if (call->nonatomic &&
		!SearchSysCacheExists1(TYPEOID,
							   ObjectIdGetDatum(TupleDescAttr(call->desc, 0)->atttypid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"pgmq_c\" was dropped while this call waited"),
				 errhint("Call it again once the extension and the queue exist.")));
	result = message_array(call->desc, n, call->caller_cxt);

	pgmqc_spi_finish(&call->cxt);
	return HeapTupleGetDatum(heap_form_tuple(call->desc, &result,
											 &result_null));
}
