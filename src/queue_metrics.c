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
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "pgmq_c.h"
#include "common/security.h"

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
	pgmqc_queue_run(topic, STMT_TOPIC_METRICS, args, NULL, 1);
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

/*
 * Fill one pgmq_c.queue_metrics row for a queue or topic.  Inside SPI.
 * Uses queue's name, queue_id, kind and watermark only (metrics_all passes
 * an entry that is not in the cache).
 */
static void
compute_row(PgmqcQueue *queue, Datum *values, bool *nulls)
{
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
	args[1] = Int64GetDatum(pgmqc_effective_watermark(&queue->cache.watermark));
	pgmqc_queue_run(queue, STMT_METRICS, args, NULL, 1);
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
	values[0] = CStringGetTextDatum(queue->name);
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

/* The row of a queue or topic, looked up by name. */
static void
compute_metrics(const char *name, Datum *values, bool *nulls)
{
	PgmqcQueue *queue = pgmqc_lookup_kind(name, 0, false);

	pgmqc_check_not_dropped(queue);
	compute_row(queue, values, nulls);
}

/*
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
 */

/* The catalog columns this needs, for every version of the catalog. */
static char *
catalog_query(void)
{
	Oid			queues = get_relname_relid("queues",
										   get_namespace_oid("pgmq_c", false));

	return psprintf("SELECT queue_id, queue_name, %s, %s FROM pgmq_c.queues "
					"ORDER BY queue_name COLLATE \"C\"",
					get_attnum(queues, "kind") != InvalidAttrNumber ?
					"kind" : "'q'::pg_catalog.\"char\"",
					get_attnum(queues, "owner") != InvalidAttrNumber ?
					"owner::pg_catalog.oid" : "0::pg_catalog.oid");
}

/*
 * A queue's row without a statement.  Planning the metrics statement for
 * every one of thousands of queues costs more than anything else
 * metrics_all() does; but a queue whose tables hold no more rows than
 * pgmq_c.metrics_exact_limit (which is nearly every queue, and every idle
 * one) is counted exactly by scanning its three tables once, and the rows
 * scanned also give the ages (the enqueued_at of the lowest and highest
 * msg_id).  This computes the columns the metrics statement computes for
 * such a queue, from one snapshot, opening the tables but not their
 * indexes.  Returns false, having changed nothing, when a table holds more
 * rows (the statement then estimates from statistics) or is missing (the
 * statement reports it).
 */
typedef struct TableCount
{
	int64		rows;			/* up to limit + 1 */
	int64		visible;		/* rows whose vt has passed */
	bool		any;
	int64		low_id;			/* lowest and highest msg_id seen, and */
	int64		high_id;
	TimestampTz low_at;			/* ... their enqueued_at */
	TimestampTz high_at;
} TableCount;

static AttrNumber
attnum_of(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	return InvalidAttrNumber;
}

/* Count the rows of pgmq_c.<relname>, up to limit + 1, as above. */
static bool
count_table(const char *relname, Snapshot snap, int64 limit, TimestampTz now,
			TableCount *tc)
{
	Oid			relid = get_relname_relid(relname, get_namespace_oid("pgmq_c", false));
	Relation	rel;
	TupleDesc	desc;
	AttrNumber	id_att;
	AttrNumber	at_att;
	AttrNumber	vt_att = InvalidAttrNumber;
	TableScanDesc scan;
	TupleTableSlot *slot;

	memset(tc, 0, sizeof(TableCount));
	if (!OidIsValid(relid))
		return false;
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	id_att = attnum_of(desc, "msg_id");
	at_att = attnum_of(desc, "enqueued_at");
	if (relname[0] == 'q')
		vt_att = attnum_of(desc, "vt");
	if (id_att == InvalidAttrNumber || at_att == InvalidAttrNumber ||
		(relname[0] == 'q' && vt_att == InvalidAttrNumber))
	{
		table_close(rel, NoLock);
		return false;
	}
	scan = table_beginscan(rel, snap, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (tc->rows <= limit &&
		   table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		int64		id = DatumGetInt64(slot_getattr(slot, id_att, &isnull));
		TimestampTz at = DatumGetTimestampTz(slot_getattr(slot, at_att, &isnull));

		tc->rows++;
		if (vt_att != InvalidAttrNumber)
		{
			Datum		vt = slot_getattr(slot, vt_att, &isnull);

			if (!isnull && DatumGetTimestampTz(vt) <= now)
				tc->visible++;
		}
		if (!tc->any || id < tc->low_id)
		{
			tc->low_id = id;
			tc->low_at = at;
		}
		if (!tc->any || id > tc->high_id)
		{
			tc->high_id = id;
			tc->high_at = at;
		}
		tc->any = true;
		CHECK_FOR_INTERRUPTS();
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, NoLock);
	return tc->rows <= limit;
}

/* msg_ids handed out by the queue's sequence: last_value once called */
static bool
sequence_total(int32 queue_id, Snapshot snap, int64 *total)
{
	char		relname[NAMEDATALEN];
	Oid			relid;
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	bool		found;

	snprintf(relname, sizeof(relname), "q_%d_seq", queue_id);
	relid = get_relname_relid(relname, get_namespace_oid("pgmq_c", false));
	if (!OidIsValid(relid))
		return false;
	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, snap, 0, NULL);
	slot = table_slot_create(rel, NULL);
	found = table_scan_getnextslot(scan, ForwardScanDirection, slot);
	if (found)
	{
		bool		isnull;

		*total = DatumGetBool(slot_getattr(slot, SEQ_COL_CALLED, &isnull)) ?
			DatumGetInt64(slot_getattr(slot, SEQ_COL_LASTVAL, &isnull)) : 0;
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, NoLock);
	return found;
}

static bool
scanned_queue_row(PgmqcQueue *queue, Datum *values, bool *nulls)
{
	int64		limit = pgmqc_metrics_exact_limit;
	Snapshot	snap = RegisterSnapshot(GetTransactionSnapshot());
	TimestampTz now = GetCurrentTimestamp();
	char		relname[NAMEDATALEN];
	TableCount	q,
				d,
				a;
	int64		total;
	bool		ok;
	int			i;

	snprintf(relname, sizeof(relname), "q_%d", queue->queue_id);
	ok = count_table(relname, snap, limit, now, &q);
	snprintf(relname, sizeof(relname), "d_%d", queue->queue_id);
	ok = ok && count_table(relname, snap, limit, now, &d);
	snprintf(relname, sizeof(relname), "a_%d", queue->queue_id);
	ok = ok && count_table(relname, snap, limit, now, &a);
	ok = ok && sequence_total(queue->queue_id, snap, &total);
	UnregisterSnapshot(snap);
	if (!ok)
		return false;

	now = GetCurrentTimestamp();
	memset(nulls, 0, NUM_METRICS_COLS * sizeof(bool));
	values[0] = CStringGetTextDatum(queue->name);
	values[1] = Int64GetDatum(q.rows + d.rows);
	values[2] = Int64GetDatum(q.visible);
	values[3] = Int64GetDatum(d.rows);
	values[4] = Int64GetDatum(q.rows - q.visible);
	values[5] = Int64GetDatum(a.rows);
	/* oldest: the lowest msg_id's; newest: the highest's (LEAST, GREATEST) */
	if (!q.any && !d.any)
	{
		nulls[6] = true;
		nulls[7] = true;
	}
	else
	{
		TimestampTz oldest = !q.any ? d.low_at : !d.any ? q.low_at :
			Min(q.low_at, d.low_at);
		TimestampTz newest = !q.any ? d.high_at : !d.any ? q.high_at :
			Max(q.high_at, d.high_at);

		values[6] = Float8GetDatum(age_secs(now, oldest));
		values[7] = Float8GetDatum(age_secs(now, newest));
	}
	values[8] = Int64GetDatum(total);
	values[9] = BoolGetDatum(true);
	values[10] = TimestampTzGetDatum(now);
	values[11] = CStringGetTextDatum("queue");
	for (i = 12; i < NUM_METRICS_COLS; i++)
		nulls[i] = true;
	return true;
}

/* Does queue_id still exist? (In a fresh snapshot.) */
static bool
queue_id_exists(int32 queue_id)
{
	Datum		arg = Int32GetDatum(queue_id);
	int			rc;

	rc = SPI_execute_with_args("SELECT 1 FROM pgmq_c.queues "
							   "WHERE queue_id OPERATOR(pg_catalog.=) $1",
							   1, (Oid[]) {INT4OID}, &arg, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	return SPI_processed > 0;
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
	ErrorData  *edata = NULL;
	int			i;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(row_cxt);
	PG_TRY();
	{
		Datum		values[NUM_METRICS_COLS];
		bool		nulls[NUM_METRICS_COLS];

		if (queue->kind != PGMQC_KIND_QUEUE ||
			!scanned_queue_row(queue, values, nulls))
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
	for (i = 0; i < PGMQC_NUM_STATEMENTS; i++)
	{
		if (queue->cache.plans[i] != NULL)
			SPI_freeplan(queue->cache.plans[i]);
		queue->cache.plans[i] = NULL;
	}

	if (edata == NULL)
		return;
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
 * Every queue and topic the caller holds some privilege on, in name order.
 * Inside SPI, in the extension context.
 */
static void
collect_metrics_all(ReturnSetInfo *rsinfo)
{
	SPITupleTable *list;
	uint64		n;
	uint64		i;
	int			rc;
	MemoryContext row_cxt;

	rc = SPI_execute(catalog_query(), true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
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
		queue.queue_id = DatumGetInt32(SPI_getbinval(row, list->tupdesc, 1, &isnull));
		name = SPI_getvalue(row, list->tupdesc, 2);
		strlcpy(queue.name, name, sizeof(queue.name));
		pfree(name);
		queue.kind = DatumGetChar(SPI_getbinval(row, list->tupdesc, 3, &isnull));
		owner = DatumGetObjectId(SPI_getbinval(row, list->tupdesc, 4, &isnull));
		if (isnull)
			owner = InvalidOid;

		if (pgmqc_access_mask_by_id(queue.queue_id, owner) == 0)
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

	InitMaterializedSRF(fcinfo, 0);
	pgmqc_spi_connect(&cxt);
	collect_metrics_all(rsinfo);
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
	pgmqc_check_not_dropped(queue);
	values[0] = PG_GETARG_DATUM(1);
	values[1] = Int32GetDatum(qty);
	pgmqc_queue_run(queue, STMT_READ_ARCHIVE, values, NULL, 0);
	pgmqc_emit_rows(fcinfo, false);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
