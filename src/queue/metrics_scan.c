/*-------------------------------------------------------------------------
 *
 * metrics_scan.c
 *		A small queue's pgmq_c.queue_metrics row, counted by scanning its
 *		tables, without a statement (for metrics_all()).
 *
 * Planning the metrics statement (metrics.c) for every one of thousands of
 * queues costs more than anything else metrics_all() does; but a queue
 * whose tables hold no more rows than pgmq_c.metrics_exact_limit (which is
 * nearly every queue, and every idle one) is counted exactly by scanning
 * its tables (messages, delayed, pending, archive) once, and the rows scanned also give the ages (the
 * enqueued_at of the lowest and highest msg_id).  This computes the columns
 * the metrics statement computes for such a queue, from one snapshot,
 * opening the tables but not their indexes.
 *
 * The msg_id sequence is read here by relation too, not with
 * pgmqc_last_id_drawn(): that prepares a statement for the queue, which is
 * the cost this file avoids, and fails on a missing sequence, where this
 * gives up and leaves the queue to the statement.  It gives what the
 * metrics statement gives: last_value once called, else 0.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/metrics_scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_class.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/intervals.h"
#include "common/metrics_row.h"
#include "common/object_cache.h"

/* What a scan of one table found. */
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

/*
 * Count the rows of one of the queue's tables, up to limit + 1, as above;
 * the visible ones only for the message table (vt passed) and the delayed
 * one (deliver_at passed: a read moves such a message and returns it).
 * False when the table is missing, lacks a column or holds more than limit
 * rows.
 */
static bool
count_table(PgmqcRelation relation, int32 queue_id, Snapshot snap,
			int64 limit, TimestampTz now, TableCount *tc)
{
	Oid			relid = pgmqc_relation_oid(relation, queue_id, 0);
	bool		count_visible = relation == REL_MESSAGES || relation == REL_DELAYED;
	Relation	rel;
	TupleDesc	desc;
	AttrNumber	id_att;
	AttrNumber	at_att;
	AttrNumber	vt_att = InvalidAttrNumber;
	TableScanDesc scan;
	TupleTableSlot *slot;

	memset(tc, 0, sizeof(TableCount));
	if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_RELATION)
		return false;			/* missing, or a partitioned archive */
	rel = try_table_open(relid, AccessShareLock);
	if (rel == NULL)			/* dropped while we waited for its lock */
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the queue was dropped while its messages were counted")));
	desc = RelationGetDescr(rel);
	id_att = attnum_of(desc, "msg_id");
	at_att = attnum_of(desc, "enqueued_at");
	if (count_visible)
		vt_att = attnum_of(desc, relation == REL_MESSAGES ? "vt" : "deliver_at");
	if (id_att == InvalidAttrNumber || at_att == InvalidAttrNumber ||
		(count_visible && vt_att == InvalidAttrNumber))
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

/* Add what a scan of another table found (the pending messages) to *into. */
static void
merge_count(TableCount *into, const TableCount *more)
{
	if (!more->any)
		return;
	into->rows += more->rows;
	into->visible += more->visible;
	if (!into->any || more->low_id < into->low_id)
	{
		into->low_id = more->low_id;
		into->low_at = more->low_at;
	}
	if (!into->any || more->high_id > into->high_id)
	{
		into->high_id = more->high_id;
		into->high_at = more->high_at;
	}
	into->any = true;
}

/*
 * msg_ids handed out by the queue's sequence (pgmqc_last_id_drawn_by_id).
 * False when the sequence is missing.
 */
static bool
sequence_total(int32 queue_id, int64 *total)
{
	if (!OidIsValid(pgmqc_relation_oid(REL_QUEUE_SEQUENCE, queue_id, 0)))
		return false;
	*total = pgmqc_last_id_drawn_by_id(PGMQC_KIND_QUEUE, queue_id);
	return true;
}

/*
 * Fill one pgmq_c.queue_metrics row for a queue by scanning its tables.
 * Returns false, having filled nothing, when a table holds more rows than
 * pgmq_c.metrics_exact_limit (the statement then estimates from
 * statistics) or is missing (the statement reports it).  Uses the queue's
 * name and queue_id only.
 */
bool
pgmqc_queue_scanned_metrics_row(PgmqcQueue *queue, Datum *values, bool *nulls)
{
	int64		limit = pgmqc_metrics_exact_limit;
	Snapshot	snap = RegisterSnapshot(GetTransactionSnapshot());
	TimestampTz now = GetCurrentTimestamp();
	TableCount	messages,
				delayed,
				pending,
				archive;
	int64		total;
	bool		ok;
	int			i;

	ok = count_table(REL_MESSAGES, queue->queue_id, snap, limit, now, &messages);
	ok = ok && count_table(REL_DELAYED, queue->queue_id, snap, limit, now, &delayed);
	/* messages behind their ordering key's head count as delayed (0.7.0) */
	if (ok && OidIsValid(pgmqc_relation_oid(REL_PENDING, queue->queue_id, 0)))
	{
		ok = count_table(REL_PENDING, queue->queue_id, snap, limit, now, &pending);
		merge_count(&delayed, &pending);
		ok = ok && delayed.rows <= limit;
	}
	ok = ok && count_table(REL_ARCHIVE, queue->queue_id, snap, limit, now, &archive);
	ok = ok && sequence_total(queue->queue_id, &total);
	UnregisterSnapshot(snap);
	if (!ok)
		return false;

	now = GetCurrentTimestamp();
	memset(nulls, 0, METRICS_ROW_NUM_COLUMNS * sizeof(bool));
	values[METRICS_ROW_NAME] = CStringGetTextDatum(queue->name);
	values[METRICS_ROW_LENGTH] = Int64GetDatum(messages.rows + delayed.rows);
	/* delayed.visible: the delayed messages that came due (none pending) */
	values[METRICS_ROW_VISIBLE] = Int64GetDatum(messages.visible + delayed.visible);
	values[METRICS_ROW_DELAYED] = Int64GetDatum(delayed.rows - delayed.visible);
	values[METRICS_ROW_IN_FLIGHT] = Int64GetDatum(messages.rows - messages.visible);
	values[METRICS_ROW_ARCHIVED] = Int64GetDatum(archive.rows);
	/* oldest: the lowest msg_id's; newest: the highest's (LEAST, GREATEST) */
	if (!messages.any && !delayed.any)
	{
		nulls[METRICS_ROW_OLDEST_AGE] = true;
		nulls[METRICS_ROW_NEWEST_AGE] = true;
	}
	else
	{
		TimestampTz oldest = !messages.any ? delayed.low_at :
		!delayed.any ? messages.low_at :
		Min(messages.low_at, delayed.low_at);
		TimestampTz newest = !messages.any ? delayed.high_at :
		!delayed.any ? messages.high_at :
		Max(messages.high_at, delayed.high_at);

		values[METRICS_ROW_OLDEST_AGE] =
			Float8GetDatum(pgmqc_age_seconds(now, oldest));
		values[METRICS_ROW_NEWEST_AGE] =
			Float8GetDatum(pgmqc_age_seconds(now, newest));
	}
	pgmqc_metrics_row_summary(values, total, true, now, "queue");
	for (i = METRICS_ROW_RETENTION; i < METRICS_ROW_NUM_COLUMNS; i++)
		nulls[i] = true;
	return true;
}
