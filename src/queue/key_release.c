/*-------------------------------------------------------------------------
 *
 * key_release.c
 *		Releasing one ordering key without statements: the common case of
 *		a consumer acknowledging the head of a key.
 *
 * When a key's head leaves the queue, the key's count goes down in its row
 * of the keys table k_<id> (locked, as sends lock it), the row goes once
 * the count reaches zero, and otherwise the key's first pending message
 * moves from the pending table p_<id> to the message table (to the delayed
 * table while its delay lasts) as the key's new head (queue/ordering.c,
 * docs/design.md section 14).  As one statement that cost more in executor
 * start-up than its three row changes; here they are done with heap and
 * index access (common/direct_rows.c), with the statements' rules under
 * concurrency: the key's row is locked in its newest version, waiting for
 * a send of the key in progress, and under REPEATABLE READ a row a send
 * changed since the snapshot is a serialization failure.  The pending
 * message is looked for with a snapshot taken after that lock, so it sees
 * every send the lock waited for.  A pending message deleted meanwhile
 * (delete() of a message behind its head) is passed over for the next.
 *
 * When the keys or pending table is not as pgmq_c made it, nothing is done
 * here and ordering.c runs its statements.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/key_release.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/direct_rows.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "queue/queue.h"

/* the columns of a pending message that its promotion copies */
typedef enum PendingColumn
{
	PENDING_COLUMN_MSG_ID,
	PENDING_COLUMN_ENQUEUED_AT,
	PENDING_COLUMN_DELIVER_AT,
	PENDING_COLUMN_MESSAGE,
	PENDING_COLUMN_HEADERS,
	PENDING_NUM_COLUMNS
} PendingColumn;

static const char *const pending_column_names[PENDING_NUM_COLUMNS] = {
	"msg_id", "enqueued_at", "deliver_at", "message", "headers"
};

/* The keys and pending tables of a queue, opened for a direct release. */
typedef struct ReleaseTables
{
	Relation	keys;
	Relation	keys_index;		/* primary key (ordering_key) */
	AttrNumber	keys_messages;	/* column "messages" */
	Relation	pending;
	Relation	pending_index;	/* (ordering_key, msg_id) */
	AttrNumber	pending_columns[PENDING_NUM_COLUMNS];
} ReleaseTables;

/* Table rel of queue_id, opened RowExclusiveLock; NULL when missing. */
static Relation
open_queue_table(PgmqcRelation which, int32 queue_id)
{
	char		name[NAMEDATALEN];
	Oid			relid = pgmqc_relation_oid(which, queue_id, -1);
	Relation	rel;

	if (!OidIsValid(relid))
		return NULL;
	rel = try_table_open(relid, RowExclusiveLock);
	pgmqc_relation_name(name, which, queue_id, -1);
	if (rel != NULL && strcmp(RelationGetRelationName(rel), name) != 0)
	{
		table_close(rel, RowExclusiveLock);
		rel = NULL;
	}
	return rel;
}

static void
close_tables(ReleaseTables *tables, LOCKMODE lockmode)
{
	if (tables->pending_index != NULL)
		index_close(tables->pending_index, lockmode);
	if (tables->pending != NULL)
		table_close(tables->pending, lockmode);
	if (tables->keys_index != NULL)
		index_close(tables->keys_index, lockmode);
	if (tables->keys != NULL)
		table_close(tables->keys, lockmode);
}

/* Open the queue's keys and pending tables; false if not as pgmq_c made. */
static bool
open_tables(PgmqcQueue *queue, ReleaseTables *tables)
{
	static const Oid pending_types[PENDING_NUM_COLUMNS] = {
		INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, JSONBOID
	};
	AttrNumber	key_column;
	int			i;

	memset(tables, 0, sizeof(*tables));
	tables->keys = open_queue_table(REL_KEYS, queue->queue_id);
	if (tables->keys == NULL || !pgmqc_direct_table_plain(tables->keys))
		goto unable;
	key_column = pgmqc_direct_column_number(tables->keys, "ordering_key", TEXTOID);
	tables->keys_messages = pgmqc_direct_column_number(tables->keys, "messages", INT8OID);
	if (key_column == 0 || tables->keys_messages == 0 ||
		(tables->keys_index = pgmqc_direct_open_column_index(tables->keys, key_column, 0,
															 RowExclusiveLock)) == NULL ||
		!tables->keys_index->rd_index->indisunique)
		goto unable;

	tables->pending = open_queue_table(REL_PENDING, queue->queue_id);
	if (tables->pending == NULL || !pgmqc_direct_table_plain(tables->pending))
		goto unable;
	for (i = 0; i < PENDING_NUM_COLUMNS; i++)
		if ((tables->pending_columns[i] =
			 pgmqc_direct_column_number(tables->pending, pending_column_names[i],
										pending_types[i])) == 0)
			goto unable;
	key_column = pgmqc_direct_column_number(tables->pending, "ordering_key", TEXTOID);
	if (key_column == 0 ||
		(tables->pending_index =
		 pgmqc_direct_open_column_index(tables->pending, key_column,
										tables->pending_columns[PENDING_COLUMN_MSG_ID],
										RowExclusiveLock)) == NULL)
		goto unable;
	return true;

unable:
	close_tables(tables, RowExclusiveLock);
	return false;
}

/* An index scan of index for rows whose first key column is key (text). */
static IndexScanDesc
begin_key_scan(Relation rel, Relation index, Snapshot snapshot, Datum key,
			   ScanKey scankey)
{
	IndexScanDesc scan = index_beginscan(rel, index, snapshot, 1, 0);

	ScanKeyEntryInitialize(scankey, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   index->rd_indcollation[0], F_TEXTEQ, key);
	index_rescan(scan, scankey, 1, NULL, 0);
	return scan;
}

/*
 * Count "count" messages off the key's row, as an UPDATE of it would
 * (waiting for a send of the key in progress); remove the row when none
 * are left.  Returns the messages left, or -1 when the key has no row.
 */
static int64
count_off(ReleaseTables *tables, Datum key, int64 count)
{
	Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	TupleTableSlot *slot = table_slot_create(tables->keys, NULL);
	TupleDesc	desc = RelationGetDescr(tables->keys);
	ScanKeyData scankey;
	IndexScanDesc scan;
	int64		left = -1;
	bool		found;

	scan = begin_key_scan(tables->keys, tables->keys_index, snapshot, key,
						  &scankey);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	while (found)
	{
		bool		isnull;
		HeapTuple	new = NULL;
		PgmqcDirectChange change;

		left = DatumGetInt64(slot_getattr(slot, tables->keys_messages, &isnull)) -
			count;
		if (left > 0)
		{
			bool		should_free;
			HeapTuple	old = ExecFetchSlotHeapTuple(slot, false, &should_free);
			Datum	   *values = palloc0(desc->natts * sizeof(Datum));
			bool	   *nulls = palloc0(desc->natts * sizeof(bool));
			bool	   *replace = palloc0(desc->natts * sizeof(bool));

			values[tables->keys_messages - 1] = Int64GetDatum(left);
			replace[tables->keys_messages - 1] = true;
			new = heap_modify_tuple(old, desc, values, nulls, replace);
			if (should_free)
				heap_freetuple(old);
		}
		/* none left: the key leaves the keys table */
		change = pgmqc_direct_change(tables->keys, slot, snapshot, new);
		if (new != NULL)
			heap_freetuple(new);
		if (change == PGMQC_DIRECT_DONE)
		{
			left = Max(left, 0);
			CommandCounterIncrement();
			break;
		}
		left = -1;
		if (change == PGMQC_DIRECT_GONE)
			break;
		/* PGMQC_DIRECT_RECHECK: count off the newest version */
	}
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snapshot);
	return left;
}

/*
 * Take the key's first pending message out of the pending table: its
 * columns (PENDING_COLUMN_*) into values and nulls.  false when the key
 * has none.
 */
static bool
take_next(ReleaseTables *tables, Datum key, Datum *values, bool *nulls)
{
	TupleDesc	desc = RelationGetDescr(tables->pending);
	bool		taken = false;
	bool		again = true;

	while (again)
	{
		/* after the key's lock: sees every send that the lock waited for */
		Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());
		TupleTableSlot *slot = table_slot_create(tables->pending, NULL);
		ScanKeyData scankey;
		IndexScanDesc scan;
		PgmqcDirectChange change = PGMQC_DIRECT_GONE;
		int			i;

		CHECK_FOR_INTERRUPTS();
		scan = begin_key_scan(tables->pending, tables->pending_index, snapshot,
							  key, &scankey);
		again = index_getnext_slot(scan, ForwardScanDirection, slot);
		index_endscan(scan);
		while (again)
		{
			for (i = 0; i < PENDING_NUM_COLUMNS; i++)
			{
				Form_pg_attribute att =
				TupleDescAttr(desc, tables->pending_columns[i] - 1);

				values[i] = slot_getattr(slot, tables->pending_columns[i],
										 &nulls[i]);
				if (!nulls[i])
					values[i] = datumCopy(values[i], att->attbyval, att->attlen);
			}
			change = pgmqc_direct_change(tables->pending, slot, snapshot, NULL);
			if (change != PGMQC_DIRECT_RECHECK)
				break;
		}
		if (change == PGMQC_DIRECT_DONE)
		{
			CommandCounterIncrement();
			taken = true;
			again = false;
		}
		/* else deleted meanwhile (a delete() of it): the next one */
		ExecDropSingleTupleTableSlot(slot);
		UnregisterSnapshot(snapshot);
	}
	return taken;
}

/* The columns of a promoted message in the message table */
typedef enum HeadColumn
{
	HEAD_COLUMN_MSG_ID,
	HEAD_COLUMN_READ_CT,
	HEAD_COLUMN_ENQUEUED_AT,
	HEAD_COLUMN_VT,
	HEAD_COLUMN_MESSAGE,
	HEAD_COLUMN_HEADERS,
	HEAD_COLUMN_ORDERING_KEY,
	HEAD_COLUMN_LEASED,
	HEAD_COLUMN_REASON,
	HEAD_NUM_COLUMNS
} HeadColumn;

/*
 * The message taken from the pending table (values, nulls) becomes its
 * key's head in the message table; false when that table is not as
 * pgmq_c made it (nothing written).
 */
static bool
insert_head(PgmqcQueue *queue, Datum key, const Datum *values,
			const bool *nulls)
{
	PgmqcDirectColumn columns[HEAD_NUM_COLUMNS] = {
		[HEAD_COLUMN_MSG_ID] = {"msg_id", INT8OID, true},
		[HEAD_COLUMN_READ_CT] = {"read_ct", INT4OID, true},
		[HEAD_COLUMN_ENQUEUED_AT] = {"enqueued_at", TIMESTAMPTZOID, true},
		[HEAD_COLUMN_VT] = {"vt", TIMESTAMPTZOID, true},
		[HEAD_COLUMN_MESSAGE] = {"message", JSONBOID, true},
		[HEAD_COLUMN_HEADERS] = {"headers", JSONBOID, true},
		[HEAD_COLUMN_ORDERING_KEY] = {"ordering_key", TEXTOID, true},
		[HEAD_COLUMN_LEASED] = {"leased", BOOLOID, false},
		[HEAD_COLUMN_REASON] = {"reason", TEXTOID, false, (Datum) 0, true, true},
	};
	Relation	rel = try_table_open(queue->cache.relid, RowExclusiveLock);
	int		   *map;

	if (rel == NULL)
		return false;
	map = pgmqc_direct_columns_fit(rel, columns, HEAD_NUM_COLUMNS);
	if (map == NULL)
	{
		table_close(rel, RowExclusiveLock);
		return false;
	}
	columns[HEAD_COLUMN_MSG_ID].value = values[PENDING_COLUMN_MSG_ID];
	columns[HEAD_COLUMN_READ_CT].value = Int32GetDatum(0);
	columns[HEAD_COLUMN_ENQUEUED_AT].value = values[PENDING_COLUMN_ENQUEUED_AT];
	columns[HEAD_COLUMN_VT].value = TimestampTzGetDatum(GetCurrentTimestamp());
	columns[HEAD_COLUMN_MESSAGE].value = values[PENDING_COLUMN_MESSAGE];
	columns[HEAD_COLUMN_HEADERS].value = values[PENDING_COLUMN_HEADERS];
	columns[HEAD_COLUMN_HEADERS].isnull = nulls[PENDING_COLUMN_HEADERS];
	columns[HEAD_COLUMN_ORDERING_KEY].value = key;
	columns[HEAD_COLUMN_LEASED].value = BoolGetDatum(false);
	columns[HEAD_COLUMN_REASON].isnull = true;
	pgmqc_direct_insert_columns(rel, columns, map);
	pfree(map);
	table_close(rel, NoLock);
	CommandCounterIncrement();
	return true;
}

/*
 * The message taken from the pending table (values, nulls) becomes its
 * key's head by statement stmt (STMT_KEY_PROMOTE_VISIBLE or _DELAYED).
 */
static void
promote_by_statement(PgmqcQueue *queue, PgmqcStatement stmt, Datum key,
					 const Datum *values, const bool *nulls)
{
	Datum		args[6];
	char		argnulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	args[0] = values[PENDING_COLUMN_MSG_ID];
	args[1] = values[PENDING_COLUMN_ENQUEUED_AT];
	args[2] = values[PENDING_COLUMN_DELIVER_AT];
	argnulls[2] = nulls[PENDING_COLUMN_DELIVER_AT] ? 'n' : ' ';
	args[3] = values[PENDING_COLUMN_MESSAGE];
	args[4] = values[PENDING_COLUMN_HEADERS];
	argnulls[4] = nulls[PENDING_COLUMN_HEADERS] ? 'n' : ' ';
	args[5] = key;
	(void) pgmqc_queue_run(queue, stmt, args, argnulls, 0);
}

/*
 * Release key (text) of "count" messages that left the queue, its head
 * among them if "head": count them off the key, forget it when none are
 * left, or make its next message the head.  Returns false, having changed
 * nothing, when the queue's tables are not as pgmq_c made them (the caller
 * then runs the statements).
 */
bool
pgmqc_key_release_direct(PgmqcQueue *queue, Datum key, int64 count, bool head)
{
	ReleaseTables tables;
	Datum		values[PENDING_NUM_COLUMNS];
	bool		nulls[PENDING_NUM_COLUMNS];
	int64		left;
	bool		taken;

	if (!open_tables(queue, &tables))
		return false;
	left = count_off(&tables, key, count);
	taken = left > 0 && head && take_next(&tables, key, values, nulls);
	close_tables(&tables, NoLock);
	if (!taken)
		return true;

	if (nulls[PENDING_COLUMN_DELIVER_AT] ||
		DatumGetTimestampTz(values[PENDING_COLUMN_DELIVER_AT]) <= GetCurrentTimestamp())
	{
		/* visible now */
		if (!insert_head(queue, key, values, nulls))
			promote_by_statement(queue, STMT_KEY_PROMOTE_VISIBLE, key, values,
								 nulls);
		pgmqc_key_announce_promoted(queue, 1, false, (Datum) 0);
	}
	else
	{
		/* its delay lasts: the delayed table, as a delayed send */
		promote_by_statement(queue, STMT_KEY_PROMOTE_DELAYED, key, values,
							 nulls);
		pgmqc_key_announce_promoted(queue, 0, true,
									values[PENDING_COLUMN_DELIVER_AT]);
	}
	return true;
}
