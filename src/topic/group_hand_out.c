/*-------------------------------------------------------------------------
 *
 * group_hand_out.c
 *		The background worker's fill of a consumer group without a
 *		statement: the next messages of the topic's log handed to the
 *		group's table as narrow rows, none leased.
 *
 * STMT_GROUP_HAND_OUT read the log's next messages (from the group's cursor
 * to the settled id, at most a limit of them, in msg_id order), kept those
 * whose headers contain the group's filter and inserted a row for each into
 * the group's table g_<id>: its msg_id, read_ct 0, vt its delivery time
 * (-infinity when it has none), not leased, with its ordering key.
 * pgmqc_group_hand_out() does the same with index and heap access: it walks
 * the primary key of each partition of the log in turn (partition number
 * msg_id / partition_size) with a snapshot taken now, and inserts the rows
 * a page at a time, their index entries with the group table's indexes
 * opened once (common/direct_rows.c).  A topic's worker fill is most of
 * what a group's message costs beyond a queue's (docs/benchmarks.md); the
 * statement's executor overhead and a WAL record per row were the part of
 * it that a direct fill need not pay.
 *
 * The log's partitions and the group's table are pgmq_c's own, checked
 * before use as the claims check them: a group table a superuser gave a
 * trigger, a rule, row security, a CHECK constraint or another access
 * method, or a log partition without its columns and int8 primary key,
 * keeps the statement (from that partition on, when the hand-out met it
 * past messages it had handed out already).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_hand_out.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "pgmq_c.h"
#include "common/direct_rows.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "topic/topic.h"

/* rows inserted into the group's table at a time (a page of them or so) */
#define HAND_OUT_BATCH	128

/* the columns of a log partition a hand-out reads (the first two it needs) */
enum
{
	LOG_COL_DELIVER_AT,
	LOG_COL_HEADERS,
	LOG_COL_ORDERING_KEY,
	LOG_COLUMNS
};

static const char *const log_columns[LOG_COLUMNS] = {
	"deliver_at", "headers", "ordering_key"
};
static const Oid log_types[LOG_COLUMNS] = {
	TIMESTAMPTZOID, JSONBOID, TEXTOID
};

/*
 * The relid of the log partition holding msg_ids from partno on, skipping
 * partitions that do not exist (dropped by retention, or never made for
 * the msg_ids a new timeline skipped: timelines.c): InvalidOid when there
 * is none up to last_partno.  At the first missing one the numbers of the
 * partitions that exist are looked up (*numbers, *count; NULL until then),
 * and the walk goes on at the next of them, so that a gap of millions of
 * partition numbers costs one catalog read, not a lookup of each name.
 */
Oid
pgmqc_next_log_partition(int32 topic_id, int64 *partno, int64 last_partno,
						 int64 **numbers, int *count)
{
	while (*partno <= last_partno)
	{
		Oid			relid = pgmqc_relation_oid(REL_LOG_PARTITION, topic_id, *partno);
		int			i;

		if (OidIsValid(relid))
			return relid;
		if (*numbers == NULL)
			*numbers = pgmqc_partition_numbers(topic_id, count);
		for (i = 0; i < *count && (*numbers)[i] <= *partno; i++)
			;
		if (i == *count)
			return InvalidOid;
		*partno = (*numbers)[i];
	}
	return InvalidOid;
}

/* the run of messages a hand-out is gathering into a block */
typedef struct BlockRun
{
	int64		first_id;
	int64		last_id;
	int32		messages;		/* 0: none */
	int32		skipped;		/* messages the filter left out in between */
} BlockRun;

/* Record the run as a block of the group (group_blocks.c), if it has any. */
static void
end_run(PgmqcBlocks *blocks, int32 group_id, BlockRun *run)
{
	if (run->messages == 0)
		return;
	pgmqc_blocks_add(blocks, group_id, run->first_id, run->last_id,
					 run->messages);
	run->messages = 0;
	run->skipped = 0;
}

/*
 * Hand group the next messages of topic's log from next_id to settled, at
 * most limit of them examined (in msg_id order, as committed now): a row in
 * the group's table for each whose headers contain the group's filter;
 * with block_size > 0, those that may be delivered at once (no ordering
 * key, no delivery time after now) go instead into blocks of up to
 * block_size messages, a row of pgmq_c.group_blocks each (group_blocks.c),
 * when the catalog has that table.  Sets *examined, *last_examined (the highest msg_id examined, when any)
 * and *handed_out, as STMT_GROUP_HAND_OUT returns them.  Returns false,
 * having done nothing, when the group's table or a partition of the log is
 * not as pgmq_c makes it: the caller runs the statement then.  Inside SPI;
 * leaves no SPI result.
 */
bool
pgmqc_group_hand_out(PgmqcQueue *topic, PgmqcGroup *group, int64 next_id,
					 int64 settled, int32 limit, int32 block_size,
					 int64 *examined, int64 *last_examined, int64 *handed_out)
{
	PgmqcDirectColumn columns[GROUP_COLUMNS] = {
		{"msg_id", INT8OID, true},
		{"read_ct", INT4OID, true},
		{"vt", TIMESTAMPTZOID, true},
		{"leased", BOOLOID, false},
		{"reason", TEXTOID, false, (Datum) 0, true, true},	/* of a nack: none */
		{"ordering_key", TEXTOID, false},
	};
	Relation	group_rel;
	int		   *map;
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
	PgmqcDirectBatch *batch = NULL;
	Snapshot	snapshot = NULL;
	TupleTableSlot *slot = NULL;
	Relation	part = NULL;
	Relation	part_key = NULL;
	AttrNumber	attnums[LOG_COLUMNS];
	int64		partno;
	int64		last_partno;
	int64	   *numbers = NULL;
	int			count = 0;
	bool		plain = true;
	bool		keys = topic->has_keys;
	PgmqcBlocks blocks;
	BlockRun	run = {0, 0, 0, 0};
	TimestampTz now = GetCurrentTimestamp();

	*examined = 0;
	*last_examined = 0;
	*handed_out = 0;
	if (topic->partition_size <= 0 || next_id > settled || limit <= 0)
		return topic->partition_size > 0;

	group_rel = try_table_open(group->cache.relid, RowExclusiveLock);
	if (group_rel == NULL)
		return false;
	map = pgmqc_direct_columns_fit(group_rel, columns, GROUP_COLUMNS);
	if (map == NULL)
	{
		table_close(group_rel, NoLock);
		return false;
	}
	desc = RelationGetDescr(group_rel);
	if (block_size > 0 && !pgmqc_blocks_open(&blocks, RowExclusiveLock))
		block_size = 0;			/* a catalog before 0.8.0 */
	values = palloc(Max(desc->natts, 1) * sizeof(Datum));
	nulls = palloc(Max(desc->natts, 1) * sizeof(bool));

	partno = next_id / topic->partition_size;
	last_partno = settled / topic->partition_size;
	for (;;)
	{
		Oid			relid;
		ScanKeyData scankeys[2];
		IndexScanDesc scan;

		relid = pgmqc_next_log_partition(topic->queue_id, &partno, last_partno,
										 &numbers, &count);
		if (!OidIsValid(relid))
			break;
		part = pgmqc_log_partition_open(relid, LOG_COLUMNS, log_columns,
										log_types, 2, attnums, &part_key,
										&plain);
		if (part == NULL)
		{
			if (plain)
			{
				partno++;		/* dropped meanwhile */
				continue;
			}
			if (*examined > 0)
			{
				/*
				 * Stop before it as if at the limit: the caller's next round
				 * starts there, and runs the statement.
				 */
				*examined = limit;
				plain = true;
			}
			break;
		}

		/* a snapshot taken after the settled id was (a statement's now) */
		if (snapshot == NULL)
			snapshot = RegisterSnapshot(GetLatestSnapshot());
		if (slot == NULL)
			slot = table_slot_create(part, NULL);
		else if (slot->tts_tupleDescriptor != RelationGetDescr(part))
		{
			ExecDropSingleTupleTableSlot(slot);
			slot = table_slot_create(part, NULL);
		}

		ScanKeyInit(&scankeys[0], 1, BTGreaterEqualStrategyNumber, F_INT8GE,
					Int64GetDatum(next_id));
		ScanKeyInit(&scankeys[1], 1, BTLessEqualStrategyNumber, F_INT8LE,
					Int64GetDatum(settled));
		scan = index_beginscan(part, part_key, snapshot, 2, 0);
		index_rescan(scan, scankeys, 2, NULL, 0);
		while (*examined < limit &&
			   index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;
			Datum		headers;
			bool		headers_null;
			Datum		deliver_at;
			bool		deliver_null;
			int			i;

			*last_examined = DatumGetInt64(slot_getattr(slot,
														part_key->rd_index->indkey.values[0],
														&isnull));
			(*examined)++;
			headers = slot_getattr(slot, attnums[LOG_COL_HEADERS],
								   &headers_null);
			if (group->filter != NULL &&
				(headers_null ||
				 !DatumGetBool(DirectFunctionCall2(jsonb_contains, headers,
												   JsonbPGetDatum(group->filter)))))
			{
				/*
				 * Inside a block's range, a message the filter leaves out is
				 * walked again by the reader: a block spans at most twice the
				 * messages it holds.
				 */
				if (run.messages > 0 && ++run.skipped > run.messages)
					end_run(&blocks, group->group_id, &run);
				continue;
			}

			deliver_at = slot_getattr(slot, attnums[LOG_COL_DELIVER_AT],
									  &deliver_null);
			columns[GROUP_COL_ORDERING_KEY].isnull = true;
			if (keys && attnums[LOG_COL_ORDERING_KEY] != 0)
				columns[GROUP_COL_ORDERING_KEY].value =
					slot_getattr(slot, attnums[LOG_COL_ORDERING_KEY],
								 &columns[GROUP_COL_ORDERING_KEY].isnull);
			(*handed_out)++;
			if (block_size > 0 && columns[GROUP_COL_ORDERING_KEY].isnull &&
				(deliver_null || DatumGetTimestampTz(deliver_at) <= now))
			{
				/* in a block: no row of its own */
				if (run.messages == 0)
					run.first_id = *last_examined;
				run.last_id = *last_examined;
				if (++run.messages == block_size)
					end_run(&blocks, group->group_id, &run);
				continue;
			}
			end_run(&blocks, group->group_id, &run);
			columns[GROUP_COL_MSG_ID].value = Int64GetDatum(*last_examined);
			columns[GROUP_COL_MSG_ID].isnull = false;
			columns[GROUP_COL_READ_CT].value = Int32GetDatum(0);
			columns[GROUP_COL_READ_CT].isnull = false;
			columns[GROUP_COL_VT].value = deliver_null ?
				TimestampTzGetDatum(DT_NOBEGIN) : deliver_at;
			columns[GROUP_COL_VT].isnull = false;
			columns[GROUP_COL_LEASED].value = BoolGetDatum(false);
			columns[GROUP_COL_LEASED].isnull = false;
			for (i = 0; i < desc->natts; i++)
			{
				values[i] = map[i] < 0 ? (Datum) 0 : columns[map[i]].value;
				nulls[i] = map[i] < 0 || columns[map[i]].isnull;
			}
			if (batch == NULL)
				batch = pgmqc_direct_batch_begin(group_rel,
												 Min(limit, HAND_OUT_BATCH));
			/* the row is formed now: the slot's values may go */
			pgmqc_direct_batch_add(batch, values, nulls);
		}
		index_endscan(scan);
		index_close(part_key, NoLock);
		table_close(part, NoLock);
		if (*examined >= limit)
			break;
		partno++;
		CHECK_FOR_INTERRUPTS();
	}

	if (block_size > 0)
	{
		end_run(&blocks, group->group_id, &run);
		pgmqc_blocks_close(&blocks, NoLock);
	}
	if (batch != NULL)
		pgmqc_direct_batch_end(batch);
	if (slot != NULL)
		ExecDropSingleTupleTableSlot(slot);
	if (snapshot != NULL)
		UnregisterSnapshot(snapshot);
	table_close(group_rel, NoLock);
	pfree(values);
	pfree(nulls);
	pfree(map);
	if (numbers != NULL)
		pfree(numbers);
	/* the rows handed out are seen by the commands that follow */
	if (*handed_out > 0)
		CommandCounterIncrement();
	SPI_tuptable = NULL;
	SPI_processed = 0;
	return plain;
}
