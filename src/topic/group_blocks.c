/*-------------------------------------------------------------------------
 *
 * group_blocks.c
 *		Blocks: runs of a topic's messages handed to a consumer group
 *		without a row each, and readers that lease straight from them.
 *
 * The worker's fill used to insert a row into the group's table g_<group
 * id> for every message it handed out, which a reader then locked and
 * updated to lease it: a group's message cost a queue's update and delete
 * plus that insert (docs/benchmarks.md, sessions 53 and 54).  With
 * pgmq_c.group_blocks on, the fill (group_hand_out.c) records instead, for
 * each run of up to BLOCK_MESSAGES messages that may be delivered at once
 * (no ordering key, not delayed past the fill), one row of
 * pgmq_c.group_blocks: (group_id, first_id, next_id, last_id, messages),
 * the messages of the log from next_id to last_id that pass the group's
 * filter.  A reader locks a block as FOR UPDATE SKIP LOCKED would, inserts
 * its leases into g_ straight from a walk of the log (the bodies from the
 * same walk), and moves the block's next_id past them (a HOT update) or
 * deletes it once it took the last.  The block and the leases commit or
 * vanish together; a prepared transaction keeps the block's row lock
 * across a restart; the group's cursor, its fills and their commit order
 * are as before (docs/design.md, section 8, "Blocks").
 *
 * A reader in a transaction block that asks for fewer than
 * BLOCK_MIN_IN_BLOCK messages takes no block (it would hold the rest of
 * the block away from the group's other readers until it ends): it claims
 * rows, and when there are none asks the worker, which turns blocks nobody
 * holds into rows (pgmqc_group_unblock).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_blocks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "pgmq_c.h"
#include "common/claiming.h"
#include "common/direct_claim.h"
#include "common/direct_rows.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "shared_memory/shared_memory.h"
#include "topic/topic.h"

/* a reader in a transaction block takes blocks only for this many or more */
#define BLOCK_MIN_IN_BLOCK		32
/* the most messages in a block: what a reader may ask for */
#define BLOCK_MAX_MESSAGES		PGMQC_MAX_BATCH

bool		pgmqc_group_blocks_enabled = true;

static int	take_blocks(PgmqcQueue *topic, PgmqcGroup *group, int32 qty,
						Interval *vt, int64 *last, bool any_reader);

/* the columns of pgmq_c.group_blocks */
enum
{
	BLOCK_COL_GROUP_ID,
	BLOCK_COL_FIRST_ID,
	BLOCK_COL_NEXT_ID,
	BLOCK_COL_LAST_ID,
	BLOCK_COL_MESSAGES,
	BLOCK_COLUMNS
};

static const char *const block_column_names[BLOCK_COLUMNS] = {
	"group_id", "first_id", "next_id", "last_id", "messages"
};
static const Oid block_column_types[BLOCK_COLUMNS] = {
	INT4OID, INT8OID, INT8OID, INT8OID, INT4OID
};

/* the columns of a log partition a walk reads */
enum
{
	LOG_COL_ENQUEUED_AT,
	LOG_COL_MESSAGE,
	LOG_COL_HEADERS,
	LOG_COLUMNS
};

static const char *const log_columns[LOG_COLUMNS] = {
	"enqueued_at", "message", "headers"
};
static const Oid log_types[LOG_COLUMNS] = {
	TIMESTAMPTZOID, JSONBOID, JSONBOID
};

/*
 * A walk of blocks: the messages taken from them go into the group's table
 * as leases (lease) with a result row each, or as rows ready to claim.
 */
typedef struct BlockWalk
{
	PgmqcQueue *topic;
	PgmqcGroup *group;
	Snapshot	snapshot;
	bool		lease;
	bool		own_only;		/* only blocks this transaction holds */
	TimestampTz lease_end;
	Relation	group_rel;
	int		   *map;
	Datum	   *values;
	bool	   *nulls;
	PgmqcDirectBatch *batch;
	HeapTuple  *results;		/* lease: one per message taken */
	int			nresults;
	int64		last_taken;		/* the highest msg_id taken */
	bool		changed_before; /* this transaction took or moved blocks of
								 * the group in an earlier walk */
} BlockWalk;

/*
 * Open pgmq_c.group_blocks and its primary key (group_id, first_id) in
 * lockmode, its columns' numbers in attnums: false (nothing open) when the
 * catalog has no such table (before 0.8.0) or it is not as pgmq_c makes it.
 */
bool
pgmqc_blocks_open(PgmqcBlocks *blocks, LOCKMODE lockmode)
{
	Oid			relid;
	Oid			index_oid;
	int			i;

	relid = get_relname_relid("group_blocks",
							  get_namespace_oid("pgmq_c", false));
	blocks->rel = OidIsValid(relid) ? try_table_open(relid, lockmode) : NULL;
	blocks->index = NULL;
	if (blocks->rel == NULL)
		return false;
	for (i = 0; i < BLOCK_COLUMNS; i++)
	{
		blocks->attnums[i] = pgmqc_direct_column_number(blocks->rel,
														block_column_names[i],
														block_column_types[i]);
		if (blocks->attnums[i] == 0)
			break;
	}
	index_oid = RelationGetPrimaryKeyIndex(blocks->rel);
	if (i == BLOCK_COLUMNS && pgmqc_direct_heap_plain(blocks->rel) &&
		pgmqc_direct_indexes_insertable(blocks->rel) && OidIsValid(index_oid))
	{
		blocks->index = index_open(index_oid, lockmode);
		if (blocks->index->rd_index->indnkeyatts == 2 &&
			blocks->index->rd_index->indkey.values[0] == blocks->attnums[BLOCK_COL_GROUP_ID] &&
			blocks->index->rd_index->indkey.values[1] == blocks->attnums[BLOCK_COL_FIRST_ID] &&
			pgmqc_direct_index_plain(blocks->index))
			return true;
		index_close(blocks->index, lockmode);
		blocks->index = NULL;
	}
	table_close(blocks->rel, lockmode);
	blocks->rel = NULL;
	return false;
}

void
pgmqc_blocks_close(PgmqcBlocks *blocks, LOCKMODE lockmode)
{
	if (blocks->index != NULL)
		index_close(blocks->index, lockmode);
	if (blocks->rel != NULL)
		table_close(blocks->rel, lockmode);
	blocks->index = NULL;
	blocks->rel = NULL;
}

/* Form the block row (group_id, first_id, next_id, last_id, messages). */
static HeapTuple
form_block(PgmqcBlocks *blocks, int32 group_id, int64 first_id, int64 next_id,
		   int64 last_id, int32 messages)
{
	TupleDesc	desc = RelationGetDescr(blocks->rel);
	Datum	   *values = palloc0(desc->natts * sizeof(Datum));
	bool	   *nulls = palloc(desc->natts * sizeof(bool));
	HeapTuple	tuple;

	memset(nulls, true, desc->natts * sizeof(bool));
	values[blocks->attnums[BLOCK_COL_GROUP_ID] - 1] = Int32GetDatum(group_id);
	values[blocks->attnums[BLOCK_COL_FIRST_ID] - 1] = Int64GetDatum(first_id);
	values[blocks->attnums[BLOCK_COL_NEXT_ID] - 1] = Int64GetDatum(next_id);
	values[blocks->attnums[BLOCK_COL_LAST_ID] - 1] = Int64GetDatum(last_id);
	values[blocks->attnums[BLOCK_COL_MESSAGES] - 1] = Int32GetDatum(messages);
	nulls[blocks->attnums[BLOCK_COL_GROUP_ID] - 1] = false;
	nulls[blocks->attnums[BLOCK_COL_FIRST_ID] - 1] = false;
	nulls[blocks->attnums[BLOCK_COL_NEXT_ID] - 1] = false;
	nulls[blocks->attnums[BLOCK_COL_LAST_ID] - 1] = false;
	nulls[blocks->attnums[BLOCK_COL_MESSAGES] - 1] = false;
	tuple = heap_form_tuple(desc, values, nulls);
	pfree(values);
	pfree(nulls);
	return tuple;
}

/*
 * Record a block of the fill that is handing out: the messages from first_id
 * to last_id that pass the group's filter, messages of them.  In the fill's
 * transaction, with the group's cursor row locked.
 */
void
pgmqc_blocks_add(PgmqcBlocks *blocks, int32 group_id, int64 first_id,
				 int64 last_id, int32 messages)
{
	HeapTuple	tuple = form_block(blocks, group_id, first_id, first_id,
								   last_id, messages);

	pgmqc_direct_insert(blocks->rel, tuple);
	heap_freetuple(tuple);
}

/* Take the message in slot (msg_id, the log's columns at attnums). */
static void
take_message(BlockWalk *walk, TupleTableSlot *slot, int64 msg_id,
			 const AttrNumber *attnums)
{
	TupleDesc	desc = RelationGetDescr(walk->group_rel);
	PgmqcDirectColumn columns[GROUP_COLUMNS] = {
		{"msg_id", INT8OID, true},
		{"read_ct", INT4OID, true},
		{"vt", TIMESTAMPTZOID, true},
		{"leased", BOOLOID, false},
		{"reason", TEXTOID, false, (Datum) 0, true, true},
		{"ordering_key", TEXTOID, false, (Datum) 0, true, true},
	};
	int			i;

	columns[GROUP_COL_MSG_ID].value = Int64GetDatum(msg_id);
	columns[GROUP_COL_MSG_ID].isnull = false;
	columns[GROUP_COL_READ_CT].value = Int32GetDatum(walk->lease ? 1 : 0);
	columns[GROUP_COL_READ_CT].isnull = false;
	columns[GROUP_COL_VT].value = TimestampTzGetDatum(walk->lease ?
													  walk->lease_end : DT_NOBEGIN);
	columns[GROUP_COL_VT].isnull = false;
	columns[GROUP_COL_LEASED].value = BoolGetDatum(walk->lease);
	columns[GROUP_COL_LEASED].isnull = false;
	for (i = 0; i < desc->natts; i++)
	{
		walk->values[i] = walk->map[i] < 0 ? (Datum) 0 : columns[walk->map[i]].value;
		walk->nulls[i] = walk->map[i] < 0 || columns[walk->map[i]].isnull;
	}
	pgmqc_direct_batch_add(walk->batch, walk->values, walk->nulls);

	if (walk->lease)
	{
		Datum		result[PGMQC_CLAIM_RESULT_COLUMNS];
		bool		result_nulls[PGMQC_CLAIM_RESULT_COLUMNS];

		memset(result_nulls, false, sizeof(result_nulls));
		result[0] = Int64GetDatum(msg_id);
		result[1] = Int32GetDatum(1);
		result[2] = slot_getattr(slot, attnums[LOG_COL_ENQUEUED_AT], &result_nulls[2]);
		result[3] = TimestampTzGetDatum(walk->lease_end);
		result[4] = slot_getattr(slot, attnums[LOG_COL_MESSAGE], &result_nulls[4]);
		result[5] = slot_getattr(slot, attnums[LOG_COL_HEADERS], &result_nulls[5]);
		result[6] = (Datum) 0;
		result_nulls[6] = true;
		walk->results[walk->nresults++] =
			heap_form_tuple(pgmqc_direct_claim_result_desc(), result, result_nulls);
	}
	walk->last_taken = Max(walk->last_taken, msg_id);
}

/*
 * Take up to want of the messages from from_id to last_id that pass the
 * group's filter, in msg_id order.  Returns how many (-1: a partition of
 * the log is not as pgmq_c makes it, nothing taken from it); *next the
 * msg_id after the last one taken; *walked_all whether none is left.
 */
static int
walk_block(BlockWalk *walk, int64 from_id, int64 last_id, int want,
		   int64 *next, bool *walked_all)
{
	PgmqcQueue *topic = walk->topic;
	Jsonb	   *filter = walk->group->filter;
	int64		partno = from_id / topic->partition_size;
	int64		last_partno = last_id / topic->partition_size;
	TupleTableSlot *slot = NULL;
	int64	   *numbers = NULL;
	int			count = 0;
	int			taken = 0;

	*next = from_id;
	*walked_all = false;
	for (;;)
	{
		Relation	part;
		Relation	part_key;
		AttrNumber	attnums[LOG_COLUMNS];
		ScanKeyData scankeys[2];
		IndexScanDesc scan;
		bool		plain = true;
		Oid			relid = pgmqc_next_log_partition(topic->queue_id, &partno,
													 last_partno, &numbers,
													 &count);

		if (!OidIsValid(relid))
		{
			*walked_all = true;
			break;
		}
		part = pgmqc_log_partition_open(relid, LOG_COLUMNS, log_columns,
										log_types, LOG_COLUMNS, attnums,
										&part_key, &plain);
		if (part == NULL)
		{
			if (plain)
			{
				partno++;		/* dropped meanwhile */
				continue;
			}
			if (slot != NULL)
				ExecDropSingleTupleTableSlot(slot);
			if (numbers != NULL)
				pfree(numbers);
			return taken > 0 ? taken : -1;
		}
		if (slot != NULL)
			ExecDropSingleTupleTableSlot(slot);
		slot = table_slot_create(part, NULL);

		ScanKeyInit(&scankeys[0], 1, BTGreaterEqualStrategyNumber, F_INT8GE,
					Int64GetDatum(*next));
		ScanKeyInit(&scankeys[1], 1, BTLessEqualStrategyNumber, F_INT8LE,
					Int64GetDatum(last_id));
		scan = index_beginscan(part, part_key, walk->snapshot, 2, 0);
		index_rescan(scan, scankeys, 2, NULL, 0);
		while (taken < want && index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;
			int64		msg_id = DatumGetInt64(slot_getattr(slot,
															part_key->rd_index->indkey.values[0],
															&isnull));

			*next = msg_id + 1;
			CHECK_FOR_INTERRUPTS();
			if (filter != NULL)
			{
				Datum		headers = slot_getattr(slot, attnums[LOG_COL_HEADERS],
												   &isnull);

				if (isnull ||
					!DatumGetBool(DirectFunctionCall2(jsonb_contains, headers,
													  JsonbPGetDatum(filter))))
					continue;
			}
			take_message(walk, slot, msg_id, attnums);
			taken++;
		}
		index_endscan(scan);
		index_close(part_key, NoLock);
		table_close(part, NoLock);
		if (taken >= want)
			break;
		partno++;
	}
	if (slot != NULL)
		ExecDropSingleTupleTableSlot(slot);
	if (numbers != NULL)
		pfree(numbers);
	if (*next > last_id)
		*walked_all = true;
	return taken;
}

/*
 * The group's seek count (its cursor's epoch) as the walk's snapshot shows
 * it, in *seek_count: false when this transaction changed the cursor (a
 * seek, a redrive or a fill of its own, which may yet roll back), or when
 * the cursor table is not as pgmq_c makes it.
 */
static bool
snapshot_seek_count(BlockWalk *walk, int64 *seek_count)
{
	Relation	rel;
	Relation	index = NULL;
	Oid			index_oid;
	AttrNumber	group_attnum;
	AttrNumber	epoch_attnum;
	bool		found = false;

	if (!OidIsValid(walk->topic->cursors_relid))
		return false;
	rel = try_table_open(walk->topic->cursors_relid, AccessShareLock);
	if (rel == NULL)
		return false;
	group_attnum = pgmqc_direct_column_number(rel, "group_id", INT4OID);
	epoch_attnum = pgmqc_direct_column_number(rel, "epoch", INT8OID);
	index_oid = RelationGetPrimaryKeyIndex(rel);
	if (group_attnum != 0 && epoch_attnum != 0 && OidIsValid(index_oid))
		index = index_open(index_oid, AccessShareLock);
	if (index != NULL && index->rd_index->indnkeyatts == 1 &&
		index->rd_index->indkey.values[0] == group_attnum &&
		pgmqc_direct_index_plain(index))
	{
		TupleTableSlot *slot = table_slot_create(rel, NULL);
		ScanKeyData scankey;
		IndexScanDesc scan;

		ScanKeyInit(&scankey, 1, BTEqualStrategyNumber, F_INT4EQ,
					Int32GetDatum(walk->group->group_id));
		scan = index_beginscan(rel, index, walk->snapshot, 1, 0);
		index_rescan(scan, &scankey, 1, NULL, 0);
		if (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			bool		should_free;
			bool		isnull;
			HeapTuple	tuple = ExecFetchSlotHeapTuple(slot, false, &should_free);

			found = !TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data));
			if (should_free)
				heap_freetuple(tuple);
			*seek_count = DatumGetInt64(slot_getattr(slot, epoch_attnum, &isnull));
			found = found && !isnull;
		}
		index_endscan(scan);
		ExecDropSingleTupleTableSlot(slot);
	}
	if (index != NULL)
		index_close(index, AccessShareLock);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Tell the slot where this walk saw the group's blocks start: blocks_from,
 * the lowest block the walk's snapshot showed (lower: it looked from the
 * group's first entry).  Only what any later snapshot of the same seek
 * count will find no block below: the caller does not call this under a
 * transaction snapshot, which may be older than what the backend knows;
 * not after this transaction took or moved blocks of the group in an
 * earlier walk (they are gone from its snapshot but not from the others',
 * and come back if it rolls back); and tagged with the seek count the
 * walk's own snapshot shows, never one this transaction wrote.
 */
static void
publish_blocks_from(BlockWalk *walk, int64 blocks_from, bool lower)
{
	PgmqcGroup *group = walk->group;
	int64		seek_count;

	if (walk->changed_before || !snapshot_seek_count(walk, &seek_count))
		return;
	pgmqc_shared_blocks_from_publish(group->key.topic_id, group->group_id,
									 group->cache.relid, seek_count,
									 blocks_from, lower);
}

/*
 * Walk the group's blocks that no other transaction holds, in first_id
 * order, taking up to want messages (leased for walk->lease_end, or as rows
 * ready to claim); each block the walk takes from moves on past them, or
 * goes once it is empty.  Returns how many were taken; *left_some: a block
 * this took from still holds messages.
 */
static int
walk_blocks(BlockWalk *walk, PgmqcBlocks *blocks, int want, bool *left_some)
{
	CommandId	cid = GetCurrentCommandId(true);
	TupleTableSlot *scanslot = table_slot_create(blocks->rel, NULL);
	TupleTableSlot *lockslot = table_slot_create(blocks->rel, NULL);
	ScanKeyData scankeys[2];
	IndexScanDesc scan;
	int			taken = 0;
	PgmqcGroup *group = walk->group;
	bool		first_seen = false;
	int64		looked_from;
	int64		shared_from;
	int64		shared_seek;

	/*
	 * From the first block this backend saw last time: blocks are made at the
	 * group's cursor, which only a seek moves back, so none can start below
	 * it; and the index entries of the blocks taken since the last VACUUM,
	 * which every walk from the group's first entry would visit (while an old
	 * snapshot keeps their versions), are passed over (review h56: 466
	 * entries a read after 150 blocks were taken, 4 at first).
	 */
	if (group->blocks_from_seek != group->seek_count)
	{
		group->blocks_from = 0;
		group->blocks_from_seek = group->seek_count;
	}

	/*
	 * Or from where another backend saw them start, when that is further on:
	 * a new backend (a pooler's new connection) would otherwise walk every
	 * entry once.
	 */
	shared_from = pgmqc_shared_blocks_from(group->key.topic_id,
										   group->group_id, group->cache.relid,
										   &shared_seek);
	if (shared_seek != group->seek_count)
		shared_from = 0;
	group->blocks_from = Max(group->blocks_from, shared_from);
	looked_from = group->blocks_from;
	walk->changed_before =
		TransactionIdIsValid(group->blocks_changed_xid) &&
		TransactionIdEquals(group->blocks_changed_xid,
							GetTopTransactionIdIfAny());
	*left_some = false;
again:
	ScanKeyInit(&scankeys[0], 1, BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum(group->group_id));
	ScanKeyInit(&scankeys[1], 2, BTGreaterEqualStrategyNumber, F_INT8GE,
				Int64GetDatum(group->blocks_from));
	scan = index_beginscan(blocks->rel, blocks->index, walk->snapshot, 2, 0);
	index_rescan(scan, scankeys, 2, NULL, 0);
	while (taken < want && index_getnext_slot(scan, ForwardScanDirection, scanslot))
	{
		ItemPointerData tid = scanslot->tts_tid;
		TM_FailureData failure;
		int			flags = TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS;
		bool		isnull;
		int64		next_id;
		int64		last_id;
		int32		messages;
		int64		next;
		bool		walked_all;
		int			n;
		HeapTuple	newtuple = NULL;

		if (!first_seen)
		{
			/* the lowest block this snapshot shows, held or not */
			first_seen = true;
			group->blocks_from =
				DatumGetInt64(slot_getattr(scanslot,
										   blocks->attnums[BLOCK_COL_FIRST_ID],
										   &isnull));
		}
		if (walk->own_only)
		{
			/* a block this transaction holds is one it changed */
			bool		should_free;
			HeapTuple	tuple = ExecFetchSlotHeapTuple(scanslot, false,
													   &should_free);
			bool		mine = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data));

			if (should_free)
				heap_freetuple(tuple);
			if (!mine)
				continue;
		}
		if (!IsolationUsesXactSnapshot())
			flags |= TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
		/* as FOR UPDATE SKIP LOCKED; a block changed since: skipped */
		if (table_tuple_lock(blocks->rel, &tid, walk->snapshot, lockslot, cid,
							 LockTupleExclusive, LockWaitSkip, flags,
							 &failure) != TM_Ok)
			continue;
		next_id = DatumGetInt64(slot_getattr(lockslot,
											 blocks->attnums[BLOCK_COL_NEXT_ID],
											 &isnull));
		last_id = DatumGetInt64(slot_getattr(lockslot,
											 blocks->attnums[BLOCK_COL_LAST_ID],
											 &isnull));
		messages = DatumGetInt32(slot_getattr(lockslot,
											  blocks->attnums[BLOCK_COL_MESSAGES],
											  &isnull));
		n = walk_block(walk, next_id, last_id, want - taken, &next, &walked_all);
		if (n < 0)
			continue;			/* a partition not as pgmq_c makes it */
		taken += n;
		if (!walked_all && messages - n > 0)
		{
			bool		first_null;
			int64		first_id = DatumGetInt64(slot_getattr(lockslot,
															  blocks->attnums[BLOCK_COL_FIRST_ID],
															  &first_null));

			newtuple = form_block(blocks, walk->group->group_id, first_id,
								  next, last_id, messages - n);
			*left_some = true;
		}
		/* we hold the row's lock: the change cannot meet a concurrent one */
		if (pgmqc_direct_change(blocks->rel, lockslot, walk->snapshot,
								newtuple) != PGMQC_DIRECT_DONE)
			elog(ERROR, "could not change a locked block of consumer group %d",
				 walk->group->group_id);
		group->blocks_changed_xid = GetTopTransactionId();
		if (newtuple != NULL)
			heap_freetuple(newtuple);
	}
	index_endscan(scan);
	if (!first_seen && group->blocks_from > 0)
	{
		/*
		 * None from there: a seek this backend has not noticed yet may have
		 * had blocks made below it.  Look once from the group's first entry.
		 */
		group->blocks_from = 0;
		goto again;
	}

	/*
	 * Tell the others where this walk saw the blocks start (after a walk from
	 * the first entry, even if lower: what made the bound was stale).  A walk
	 * that saw none tells nothing: the blocks made next start at the cursor.
	 * What a transaction snapshot shows may be older than the seek count this
	 * backend saw last (an imported snapshot): this backend's next walk then
	 * starts again from the slot's.
	 */
	if (IsolationUsesXactSnapshot())
		group->blocks_from_seek = -2;
	else if (first_seen && group->blocks_from != shared_from)
		publish_blocks_from(walk, group->blocks_from,
							group->blocks_from < looked_from);
	ExecDropSingleTupleTableSlot(scanslot);
	ExecDropSingleTupleTableSlot(lockslot);
	return taken;
}

/*
 * Run walk_blocks for the group with the group's table and the blocks
 * opened: false when either is not as pgmq_c makes it (nothing done).
 */
static bool
run_walk(BlockWalk *walk, int want, int *taken, bool *left_some)
{
	PgmqcDirectColumn columns[GROUP_COLUMNS] = {
		{"msg_id", INT8OID, true},
		{"read_ct", INT4OID, true},
		{"vt", TIMESTAMPTZOID, true},
		{"leased", BOOLOID, true},
		{"reason", TEXTOID, false, (Datum) 0, true, true},
		{"ordering_key", TEXTOID, false, (Datum) 0, true, true},
	};
	PgmqcBlocks blocks;
	TupleDesc	desc;

	*taken = 0;
	*left_some = false;
	if (walk->topic->partition_size <= 0 || !pgmqc_blocks_open(&blocks, RowExclusiveLock))
		return false;
	walk->group_rel = try_table_open(walk->group->cache.relid, RowExclusiveLock);
	if (walk->group_rel == NULL)
	{
		pgmqc_blocks_close(&blocks, RowExclusiveLock);
		return false;
	}
	walk->map = pgmqc_direct_columns_fit(walk->group_rel, columns, GROUP_COLUMNS);
	if (walk->map == NULL)
	{
		table_close(walk->group_rel, RowExclusiveLock);
		pgmqc_blocks_close(&blocks, RowExclusiveLock);
		return false;
	}
	desc = RelationGetDescr(walk->group_rel);
	walk->values = palloc(Max(desc->natts, 1) * sizeof(Datum));
	walk->nulls = palloc(Max(desc->natts, 1) * sizeof(bool));
	walk->batch = pgmqc_direct_batch_begin(walk->group_rel, Min(want, 128));
	walk->results = walk->lease ? palloc(want * sizeof(HeapTuple)) : NULL;
	walk->nresults = 0;
	walk->last_taken = 0;

	/* as SPI before a statement that writes */
	CommandCounterIncrement();
	walk->snapshot = RegisterSnapshot(GetTransactionSnapshot());
	PushActiveSnapshot(walk->snapshot);
	*taken = walk_blocks(walk, &blocks, want, left_some);
	pgmqc_direct_batch_end(walk->batch);
	PopActiveSnapshot();
	UnregisterSnapshot(walk->snapshot);
	CommandCounterIncrement();

	table_close(walk->group_rel, NoLock);
	pgmqc_blocks_close(&blocks, NoLock);
	pfree(walk->values);
	pfree(walk->nulls);
	pfree(walk->map);
	return true;
}

/*
 * A reader of a group of topic_id asks for qty messages: note it for the
 * worker's fills (pgmqc_group_block_size).  Written only when it changed,
 * so that readers of one size do not write to the shared slot at each call.
 */
void
pgmqc_group_note_batch(int32 topic_id, int32 qty)
{
	PgmqcSlot  *slot;

	if (pgmqc_shared == NULL)
		return;
	slot = pgmqc_slot(topic_id);
	if (pg_atomic_read_u32(&slot->group_batch) != (uint32) qty)
		pg_atomic_write_u32(&slot->group_batch, (uint32) qty);
}

/*
 * The size of the blocks the worker's fill hands a group of topic_id (0: a
 * row for each message): while its readers ask for BLOCK_MIN_IN_BLOCK or
 * more at a time, blocks of what they ask for, so that a reader takes a
 * block whole (one inside a transaction block that took part of one would
 * hold the rest until it ends).  Readers of fewer get rows, as
 * before blocks: such a reader inside a transaction block takes no block,
 * and one that takes a block leaves most of it for the next reader.  The
 * size is read from the topic's wake-up slot, which other topics may share:
 * a hint, never a promise.
 */
int32
pgmqc_group_block_size(int32 topic_id)
{
	uint32		batch;

	if (!pgmqc_group_blocks_enabled || pgmqc_shared == NULL)
		return 0;
	batch = pg_atomic_read_u32(&pgmqc_slot(topic_id)->group_batch);
	if (batch < BLOCK_MIN_IN_BLOCK)
		return 0;
	return (int32) Min(batch, BLOCK_MAX_MESSAGES);
}

/* Whether the group has blocks (as the transaction's snapshot shows). */
bool
pgmqc_group_has_blocks(PgmqcGroup *group)
{
	PgmqcBlocks blocks;
	ScanKeyData scankey;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		found;

	if (!pgmqc_blocks_open(&blocks, AccessShareLock))
		return false;
	slot = table_slot_create(blocks.rel, NULL);
	ScanKeyInit(&scankey, 1, BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum(group->group_id));
	scan = index_beginscan(blocks.rel, blocks.index, GetTransactionSnapshot(),
						   1, 0);
	index_rescan(scan, &scankey, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	pgmqc_blocks_close(&blocks, AccessShareLock);
	return found;
}

/*
 * A reader that takes no blocks found nothing to claim while the group has
 * blocks: ask the worker to turn them into rows, as a short read (false:
 * no worker to ask).  The slot's flag tells the worker that such a reader
 * asked (pgmqc_group_unblock_wanted); it is shared by the slot's topics,
 * so another group of the slot may have its blocks turned into rows too,
 * which costs it only the dearer claims of rows for a while.
 */
bool
pgmqc_group_ask_unblock(int32 topic_id, int32 group_id)
{
	if (pgmqc_shared == NULL)
		return false;
	pg_atomic_write_u32(&pgmqc_slot(topic_id)->unblock_wanted, 1);
	return pgmqc_request_fill(topic_id, group_id, true);
}

/*
 * The worker's, for a short read of a group of topic_id: turn its blocks
 * into rows?  Yes when a reader that takes no blocks asked (the flag is
 * taken: a request for another group of the slot that finds it gone asks
 * again at its next read, within a second), or when the slot's readers ask
 * for too few messages to get blocks.
 */
bool
pgmqc_group_unblock_wanted(int32 topic_id)
{
	if (pgmqc_shared == NULL)
		return true;
	if (pg_atomic_read_u32(&pgmqc_slot(topic_id)->unblock_wanted) != 0 &&
		pg_atomic_exchange_u32(&pgmqc_slot(topic_id)->unblock_wanted, 0) != 0)
		return true;
	return pgmqc_group_block_size(topic_id) == 0;
}

/*
 * Whether a reader asking for qty messages takes blocks: not inside a
 * transaction block for fewer than BLOCK_MIN_IN_BLOCK (it would hold the
 * rest of a block until it ends).
 */
bool
pgmqc_group_takes_blocks(int32 qty)
{
	return qty >= BLOCK_MIN_IN_BLOCK || !IsTransactionBlock();
}

/*
 * Lease up to qty of the group's messages in blocks for vt, straight from
 * the topic's log.  Leaves their rows in SPI_tuptable (shaped as a claim's,
 * common/direct_claim.c) and returns how many; *last the highest msg_id
 * leased.  Inside SPI.
 */
int
pgmqc_group_take_blocks(PgmqcQueue *topic, PgmqcGroup *group, int32 qty,
						Interval *vt, int64 *last)
{
	return take_blocks(topic, group, qty, vt, last, false);
}

/*
 * The same for a reader that takes no block (pgmqc_group_takes_blocks) when
 * there is no worker to turn the group's blocks into rows for it.
 */
int
pgmqc_group_take_blocks_without_worker(PgmqcQueue *topic, PgmqcGroup *group,
									   int32 qty, Interval *vt, int64 *last)
{
	return take_blocks(topic, group, qty, vt, last, true);
}

static int
take_blocks(PgmqcQueue *topic, PgmqcGroup *group, int32 qty, Interval *vt,
			int64 *last, bool any_reader)
{
	BlockWalk	walk;
	int			taken;
	bool		left_some;

	*last = 0;
	SPI_tuptable = NULL;
	SPI_processed = 0;
	if (qty <= 0)
		return 0;
	memset(&walk, 0, sizeof(walk));
	if (!any_reader && !pgmqc_group_takes_blocks(qty))
	{
		/*
		 * What its own transaction left of a block (a bigger read before this
		 * one) nobody else can take until it ends: it takes that.
		 */
		if (!TransactionIdIsValid(group->blocks_held_xid) ||
			!TransactionIdEquals(group->blocks_held_xid,
								 GetTopTransactionIdIfAny()))
			return 0;
		walk.own_only = true;
	}
	walk.topic = topic;
	walk.group = group;
	walk.lease = true;
	walk.lease_end = pgmqc_ts_plus(GetCurrentTimestamp(), vt);
	if (!run_walk(&walk, qty, &taken, &left_some) || taken == 0)
		return 0;
	*last = walk.last_taken;
	pgmqc_direct_claim_set_result(walk.results, walk.nresults);
	if (pgmqc_shared != NULL)
	{
		/* as a claim's: rolled back, the messages are in their block again */
		pgmqc_claim_wakeups(topic->queue_id, PGMQC_WAKE_ALL, vt, false);
		pgmqc_shared_claim_front_raise(topic->queue_id, group->cache.relid,
									   walk.last_taken);
		/* what this left of a block, the others may take once we commit */
		if (left_some)
			pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
	}
	/* ... and a read of few messages in this transaction block, now */
	if (left_some && IsTransactionBlock())
		group->blocks_held_xid = GetTopTransactionId();
	return walk.nresults;
}

/*
 * The worker's, for a reader that found nothing to claim: turn up to limit
 * messages of the group's blocks that nobody holds into rows ready to claim
 * (a reader in a transaction block that asks for few messages takes no
 * block).  Returns how many.  Inside SPI.
 */
int
pgmqc_group_unblock(PgmqcQueue *topic, PgmqcGroup *group, int32 limit)
{
	BlockWalk	walk;
	int			taken;
	bool		left_some;

	memset(&walk, 0, sizeof(walk));
	walk.topic = topic;
	walk.group = group;
	walk.lease = false;
	if (!run_walk(&walk, limit, &taken, &left_some))
		return 0;
	if (taken > 0 && pgmqc_shared != NULL)
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
	return taken;
}
