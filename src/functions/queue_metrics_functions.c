/*-------------------------------------------------------------------------
 *
 * queue_metrics_functions.c
 *		SQL functions metrics and metrics_all, for queues and topics.
 *
 * A row comes from the queue engine (queue/metrics.c, or for a small queue
 * in metrics_all() queue/metrics_scan.c) or the topic engine
 * (topic/topic_statistics.c), by the kind of the object.
 *
 * metrics_all() works with any number of queues.  One transaction could not
 * lock the tables of thousands of queues: every lock takes an entry of the
 * shared lock table, which holds about max_locks_per_transaction *
 * max_connections of them for the whole server.  Nor should a backend keep
 * prepared statements for every queue there is.  So each row is computed
 * inside a subtransaction that is then rolled back, which releases its
 * locks (nothing was written, so nothing else is undone), with statements
 * prepared for it alone and freed afterwards; the row is kept in the result
 * before the rollback.  Rows come from the catalog, not from the cache: the
 * cache is only for the queues this backend works with.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/queue_metrics_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/tuplestore.h"

#include "pgmq_c.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "queue/queue.h"
#include "topic/topic.h"
#include "common/metrics_row.h"

PG_FUNCTION_INFO_V1(pgmqc_metrics);
PG_FUNCTION_INFO_V1(pgmqc_metrics_all);

/*
 * Fill one pgmq_c.queue_metrics row for a queue or topic.  Inside SPI.
 * Uses the entry's name, queue_id, kind and watermark only (metrics_all
 * passes an entry that is not in the cache).
 */
static void
compute_row(PgmqcQueue *queue, Datum *values, bool *nulls)
{
	if (queue->kind == PGMQC_KIND_TOPIC)
		pgmqc_topic_metrics_row(queue, values, nulls);
	else
		pgmqc_queue_metrics_row(queue, values, nulls);
}

/* Does queue_id still exist? (In a fresh snapshot.) */
static bool
queue_id_exists(int32 queue_id)
{
	Datum		arg = Int32GetDatum(queue_id);

	return pgmqc_run_catalog(STMT_QUEUE_ID_EXISTS, &arg, NULL, 1) > 0;
}

/*
 * Compute the row of one queue in a subtransaction that is rolled back, and
 * add it to the result.  A queue dropped meanwhile (its tables are gone) is
 * left out; one whose tables are missing although it exists is left out
 * with a WARNING.  Any other error is raised.
 */
static void
add_row_isolated(ReturnSetInfo *rsinfo, PgmqcQueue *queue,
				 MemoryContext row_cxt)
{
	MemoryContext outer_cxt = CurrentMemoryContext;
	ResourceOwner outer_owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(row_cxt);
	PG_TRY();
	{
		Datum		values[METRICS_ROW_NUM_COLUMNS];
		bool		nulls[METRICS_ROW_NUM_COLUMNS];

		if (queue->kind != PGMQC_KIND_QUEUE ||
			!pgmqc_queue_scanned_metrics_row(queue, values, nulls))
			compute_row(queue, values, nulls);
		/* copied into the result's own memory */
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(row_cxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(outer_cxt);
	CurrentResourceOwner = outer_owner;

	/* the statements were prepared for this row only */
	pgmqc_forget_plans(&queue->cache);

	if (edata == NULL)
		return;

	/*
	 * On a standby, the lock this row waited for may have been the replay's
	 * of a switch to unlogged (alter_queue), after the list said logged:
	 * reading the tables then failed, with a message that names no queue or
	 * with their files missing (review h44).  Left out, as an unlogged one
	 * is, once the switch's invalidations are taken in.
	 */
	if (RecoveryInProgress())
	{
		AcceptInvalidationMessages();
		if (pgmqc_unlogged(queue->kind, queue->queue_id))
		{
			FreeErrorData(edata);
			return;
		}
	}
	if (edata->sqlerrcode != ERRCODE_UNDEFINED_TABLE &&
		edata->sqlerrcode != ERRCODE_UNDEFINED_OBJECT)
		ReThrowError(edata);
	if (!queue_id_exists(queue->queue_id))
		return;					/* dropped since the list was read */
	ereport(WARNING,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s \"%s\" is left out of metrics_all()",
					queue->kind == PGMQC_KIND_TOPIC ? "topic" : "queue",
					queue->name),
			 errdetail("%s", edata->message),
			 errhint("Drop it with pgmq_c.%s() and create it again.",
					 queue->kind == PGMQC_KIND_TOPIC ? "drop_topic" : "drop_queue")));
}

/*
 * The statement that lists every queue and topic for metrics_all(), for the
 * version of the catalog: 0.3.0 has no owner column, older ones no kind.
 */
static PgmqcStatement
list_statement(void)
{
	Oid			queues = get_relname_relid("queues",
										   get_namespace_oid("pgmq_c", false));

	if (get_attnum(queues, "owner") != InvalidAttrNumber)
		return STMT_METRICS_ALL_LIST;
	if (get_attnum(queues, "kind") != InvalidAttrNumber)
		return STMT_METRICS_ALL_LIST_0_3;
	return STMT_METRICS_ALL_LIST_0_2;
}

/*
 * Every queue and topic the caller may monitor (as metrics() requires), in
 * name order.
 * Inside SPI, in the extension context.
 */
static void
collect_metrics_all(ReturnSetInfo *rsinfo)
{
	SPITupleTable *list;
	uint64		n;
	uint64		i;
	MemoryContext row_cxt;

	/* read-only (see the statement): in the snapshot of the caller */
	(void) pgmqc_run_catalog(list_statement(), NULL, NULL, 0);
	/* keep the list: the statements below replace SPI_tuptable */
	list = SPI_tuptable;
	n = SPI_processed;

	row_cxt = AllocSetContextCreate(CurrentMemoryContext,
									"pgmq_c metrics_all row",
									ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < n; i++)
	{
		HeapTuple	row = list->vals[i];
		PgmqcQueue	queue;
		bool		isnull;
		char	   *name;
		Oid			owner;

		CHECK_FOR_INTERRUPTS();
		memset(&queue, 0, sizeof(queue));
		queue.queue_id = DatumGetInt32(SPI_getbinval(row, list->tupdesc,
													 METRICS_ALL_COL_QUEUE_ID,
													 &isnull));
		name = SPI_getvalue(row, list->tupdesc, METRICS_ALL_COL_NAME);
		strlcpy(queue.name, name, sizeof(queue.name));
		pfree(name);
		queue.kind = DatumGetChar(SPI_getbinval(row, list->tupdesc,
												METRICS_ALL_COL_KIND, &isnull));
		owner = DatumGetObjectId(SPI_getbinval(row, list->tupdesc,
											   METRICS_ALL_COL_OWNER, &isnull));
		if (isnull)
			owner = InvalidOid;

		/*
		 * Whether the catalog has ordering keys (0.7.0), as a lookup sets it:
		 * without it, a count that the scan leaves to the statement left the
		 * pending messages of keys out (review h47).
		 */
		queue.has_keys = pgmqc_ordering_exists();

		if ((pgmqc_access_mask_by_id(queue.queue_id, owner) & PGMQC_PRIV_MONITOR) == 0)
			continue;
		/* on a standby, an unlogged queue or topic has no tables to count */
		if (RecoveryInProgress() && pgmqc_unlogged(queue.kind, queue.queue_id))
			continue;
		add_row_isolated(rsinfo, &queue, row_cxt);
		MemoryContextReset(row_cxt);
	}
	MemoryContextDelete(row_cxt);
}

/* metrics(queue_name text) RETURNS queue_metrics */
Datum
pgmqc_metrics(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	TupleDesc	desc;
	PgmqcQueue *queue;
	Datum		values[METRICS_ROW_NUM_COLUMNS];
	bool		nulls[METRICS_ROW_NUM_COLUMNS];
	HeapTuple	tuple;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	desc = BlessTupleDesc(desc);

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open_locked(name, 0, PGMQC_PRIV_MONITOR);
	compute_row(queue, values, nulls);
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

	InitMaterializedSRF(fcinfo, 0);
	pgmqc_spi_connect(&cxt);
	collect_metrics_all(rsinfo);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
