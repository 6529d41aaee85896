/*-------------------------------------------------------------------------
 *
 * log_bodies.c
 *		The bodies of a topic's messages, read from its log's partitions
 *		without a statement, for a group's claim.
 *
 * A group's table holds narrow rows (msg_id, read_ct, vt, ...); a claim
 * returns each message with its enqueued_at, message and headers from the
 * topic's log t_<id>, which is partitioned by msg_id range
 * (topic->partition_size ids per partition, partition number msg_id /
 * partition_size).  STMT_GROUP_CLAIM_PLAIN joined the log for them; the
 * direct claim (common/direct_claim.c) asks pgmqc_log_body() instead, which
 * reads the primary key of the message's partition with the claim's
 * snapshot.  The partition last read stays open for the rest of the claim,
 * and so does a walk of its primary key: a claim asks for its messages in
 * msg_id order, mostly neighbours, so the walk goes on from the entry it
 * stands on to the next message asked for, reading the keys off the index
 * entries and the heap only for that message, instead of descending the
 * index once per message.  It descends anew when the next message is
 * behind it or past the range it covers (WALK_SPAN ids).
 * A partition that is gone (retention dropped it) or not as pgmq_c made it
 * (no int8 primary key, a body column missing) gives no body: the claim
 * then leaves that message out, as the statement's join did for a message
 * not in the log.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/log_bodies.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/itup.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "pgmq_c.h"
#include "common/direct_rows.h"
#include "common/statements.h"
#include "topic/topic.h"

/*
 * How many ids a walk covers: it reads the entries from the message asked
 * for to WALK_SPAN - 1 ids past it (a btree scan reads every entry of its
 * range on a leaf page at once, so the range is bounded), and descends
 * anew for a message outside that range or behind the walk.
 */
#define WALK_SPAN	128

static const char *const body_columns[PGMQC_LOG_BODY_COLUMNS] = {
	"enqueued_at", "message", "headers"
};
static const Oid body_types[PGMQC_LOG_BODY_COLUMNS] = {
	TIMESTAMPTZOID, JSONBOID, JSONBOID
};

/* Start reading bodies of topic's log. */
void
pgmqc_log_bodies_begin(PgmqcLogBodies *bodies, PgmqcQueue *topic)
{
	memset(bodies, 0, sizeof(*bodies));
	bodies->topic_id = topic->queue_id;
	bodies->partition_size = topic->partition_size;
	bodies->partno = -1;
}

/* End the walk of the open partition's primary key, if any. */
static void
end_walk(PgmqcLogBodies *bodies)
{
	if (bodies->scan != NULL)
		index_endscan(bodies->scan);
	bodies->scan = NULL;
	bodies->scan_on_entry = false;
}

/* Close the partition open, if any. */
void
pgmqc_log_bodies_end(PgmqcLogBodies *bodies)
{
	end_walk(bodies);
	if (bodies->slot != NULL)
		ExecDropSingleTupleTableSlot(bodies->slot);
	if (bodies->index != NULL)
		index_close(bodies->index, NoLock);
	if (bodies->rel != NULL)
		table_close(bodies->rel, NoLock);
	bodies->slot = NULL;
	bodies->index = NULL;
	bodies->rel = NULL;
}

/* Open partition partno of the log; false when it is gone or not plain. */
static bool
open_partition(PgmqcLogBodies *bodies, int64 partno)
{
	bool		plain;

	pgmqc_log_bodies_end(bodies);
	bodies->partno = partno;
	bodies->rel = pgmqc_log_partition_open(pgmqc_relation_oid(REL_LOG_PARTITION,
															  bodies->topic_id,
															  partno),
										   PGMQC_LOG_BODY_COLUMNS, body_columns,
										   body_types, PGMQC_LOG_BODY_COLUMNS,
										   bodies->attnums, &bodies->index,
										   &plain);
	if (bodies->rel == NULL)
		return false;
	bodies->slot = table_slot_create(bodies->rel, NULL);
	return true;
}

/*
 * (Re)start the walk of the open partition's primary key at msg_id: its
 * entries from msg_id to msg_id + WALK_SPAN - 1.  The scan returns its
 * index entries (xs_want_itup), whose keys step() reads without the heap.
 */
static void
start_walk(PgmqcLogBodies *bodies, int64 msg_id, Snapshot snapshot)
{
	ScanKeyData scankeys[2];

	if (bodies->scan != NULL && bodies->scan_snapshot != snapshot)
		end_walk(bodies);
	if (bodies->scan == NULL)
	{
		bodies->scan = index_beginscan(bodies->rel, bodies->index, snapshot, 2, 0);
		bodies->scan->xs_want_itup = true;
		bodies->scan_snapshot = snapshot;
	}
	bodies->scan_end = msg_id > PG_INT64_MAX - WALK_SPAN ?
		PG_INT64_MAX : msg_id + WALK_SPAN - 1;
	ScanKeyInit(&scankeys[0], 1, BTGreaterEqualStrategyNumber, F_INT8GE,
				Int64GetDatum(msg_id));
	ScanKeyInit(&scankeys[1], 1, BTLessEqualStrategyNumber, F_INT8LE,
				Int64GetDatum(bodies->scan_end));
	index_rescan(bodies->scan, scankeys, 2, NULL, 0);
	bodies->scan_on_entry = false;
}

/*
 * Step the walk to its next index entry: false when its range has no more
 * (the walk is then over).
 */
static bool
step(PgmqcLogBodies *bodies)
{
	IndexScanDesc scan = bodies->scan;
	bool		isnull;

	if (index_getnext_tid(scan, ForwardScanDirection) == NULL)
	{
		end_walk(bodies);
		return false;
	}
	bodies->scan_key = DatumGetInt64(index_getattr(scan->xs_itup, 1,
												   scan->xs_itupdesc, &isnull));
	bodies->scan_on_entry = !isnull;
	return true;
}

/*
 * The body of message msg_id (a PgmqcDirectBodyFetch, arg the
 * PgmqcLogBodies): values[0..2] enqueued_at, message, headers, copied into
 * the current memory context; false when the log has no such message
 * visible to snapshot.
 */
bool
pgmqc_log_body(int64 msg_id, Snapshot snapshot, Datum *values, bool *nulls,
			   void *arg)
{
	PgmqcLogBodies *bodies = (PgmqcLogBodies *) arg;
	int64		partno;
	int			i;

	if (bodies->partition_size <= 0)
		return false;
	partno = msg_id / bodies->partition_size;
	if (partno != bodies->partno)
		(void) open_partition(bodies, partno);
	if (bodies->rel == NULL)
		return false;

	/*
	 * Walk on from the entry the walk stands on when msg_id is ahead of it
	 * within the walk's range, or is that entry's, not yet fetched; else
	 * descend to msg_id.
	 */
	if (!(bodies->scan != NULL && bodies->scan_snapshot == snapshot &&
		  msg_id <= bodies->scan_end &&
		  (bodies->scan_key < msg_id ||
		   (bodies->scan_key == msg_id && bodies->scan_on_entry))))
	{
		start_walk(bodies, msg_id, snapshot);
		if (!step(bodies))
			return false;
	}
	for (;;)
	{
		if (bodies->scan_key < msg_id)
		{
			if (!step(bodies))
				return false;
			continue;
		}
		if (bodies->scan_key > msg_id)
			return false;		/* walked past it: not in the log */

		/* an entry of msg_id: its row, if visible (else the next entry) */
		bodies->scan_on_entry = false;
		if (index_fetch_heap(bodies->scan, bodies->slot))
			break;
		if (!step(bodies))
			return false;
	}

	for (i = 0; i < PGMQC_LOG_BODY_COLUMNS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(bodies->rel),
											  bodies->attnums[i] - 1);

		values[i] = slot_getattr(bodies->slot, bodies->attnums[i], &nulls[i]);
		if (!nulls[i])
			values[i] = datumCopy(values[i], att->attbyval, att->attlen);
	}
	ExecClearTuple(bodies->slot);
	return true;
}
