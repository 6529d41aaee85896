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
 * probes the primary key of the message's partition with the claim's
 * snapshot.  The partition last read stays open for the rest of the claim.
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

/* Close the partition open, if any. */
void
pgmqc_log_bodies_end(PgmqcLogBodies *bodies)
{
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
	Oid			relid;
	int			i;

	pgmqc_log_bodies_end(bodies);
	bodies->partno = partno;
	relid = pgmqc_relation_oid(REL_LOG_PARTITION, bodies->topic_id, partno);
	if (!OidIsValid(relid) ||
		(bodies->rel = try_table_open(relid, AccessShareLock)) == NULL)
		return false;
	for (i = 0; i < PGMQC_LOG_BODY_COLUMNS; i++)
		bodies->attnums[i] = pgmqc_direct_column_number(bodies->rel,
														body_columns[i],
														body_types[i]);
	if (bodies->rel->rd_rel->relkind != RELKIND_RELATION ||
		bodies->attnums[0] == 0 || bodies->attnums[1] == 0 ||
		bodies->attnums[2] == 0 ||
		(bodies->index = pgmqc_direct_open_int8_key(bodies->rel,
													AccessShareLock)) == NULL ||
		bodies->index->rd_index->indkey.values[0] !=
		pgmqc_direct_column_number(bodies->rel, "msg_id", INT8OID))
	{
		pgmqc_log_bodies_end(bodies);
		return false;
	}
	bodies->slot = table_slot_create(bodies->rel, NULL);
	return true;
}

/*
 * The body of message msg_id (a PgmqcDirectBodyFetch, arg the
 * PgmqcLogBodies): values[0..2] enqueued_at, message, headers, copied into
 * the current memory context; false when the log has no such message.
 */
bool
pgmqc_log_body(int64 msg_id, Snapshot snapshot, Datum *values, bool *nulls,
			   void *arg)
{
	PgmqcLogBodies *bodies = (PgmqcLogBodies *) arg;
	int64		partno;
	IndexScanDesc scan;
	ScanKeyData scankey;
	bool		found;
	int			i;

	if (bodies->partition_size <= 0)
		return false;
	partno = msg_id / bodies->partition_size;
	if (partno != bodies->partno)
		(void) open_partition(bodies, partno);
	if (bodies->rel == NULL)
		return false;

	ScanKeyInit(&scankey, 1, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(msg_id));
	scan = index_beginscan(bodies->rel, bodies->index, snapshot, 1, 0);
	index_rescan(scan, &scankey, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, bodies->slot);
	if (found)
	{
		TupleDesc	desc = RelationGetDescr(bodies->rel);

		for (i = 0; i < PGMQC_LOG_BODY_COLUMNS; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, bodies->attnums[i] - 1);

			values[i] = slot_getattr(bodies->slot, bodies->attnums[i], &nulls[i]);
			if (!nulls[i])
				values[i] = datumCopy(values[i], att->attbyval, att->attlen);
		}
	}
	index_endscan(scan);
	ExecClearTuple(bodies->slot);
	return found;
}
