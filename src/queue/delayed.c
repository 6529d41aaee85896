/*-------------------------------------------------------------------------
 *
 * delayed.c
 *		Moving a queue's delayed messages that are due into its message
 *		table, where readers find them.
 *
 * Readers do it (claim.c) before they claim: a delayed message waits in
 * d_<id> until its deliver_at, and the first read after that moves it, up
 * to PGMQC_MATURE_BATCH at a time (inside a transaction block, only what
 * the read will lease: what it moves is hidden from others until it
 * commits).  Every read first looks at the head of the deliver_at index,
 * almost always to find nothing due: that look is an index probe without a
 * statement (common/direct_rows.c), whose executor start-up would cost more
 * than the probe.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/delayed.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/direct_rows.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/object_cache.h"

/* what probe_direct found */
typedef enum DueProbe
{
	DUE_PROBE_UNABLE,			/* no such table or index: the statement */
	DUE_PROBE_EMPTY,
	DUE_PROBE_HEAD,
} DueProbe;

/*
 * The earliest deliver_at of the queue's delayed table (*head), read from
 * its deliver_at index without a statement.
 */
static DueProbe
probe_direct(PgmqcQueue *queue, TimestampTz *head)
{
	char		name[NAMEDATALEN];
	Relation	rel = NULL;
	Relation	index = NULL;
	AttrNumber	attnum = 0;
	Datum		value;
	bool		isnull;
	bool		found;

	pgmqc_relation_name(name, REL_DELAYED, queue->queue_id, -1);
	if (!OidIsValid(queue->delayed_relid))
		queue->delayed_relid = pgmqc_relation_oid(REL_DELAYED, queue->queue_id, -1);
	if (OidIsValid(queue->delayed_relid))
		rel = try_table_open(queue->delayed_relid, AccessShareLock);
	if (rel != NULL && strcmp(RelationGetRelationName(rel), name) == 0)
		attnum = pgmqc_direct_column_number(rel, "deliver_at", TIMESTAMPTZOID);
	if (attnum != 0)
		index = pgmqc_direct_open_column_index(rel, attnum, 0, AccessShareLock);
	if (index == NULL)
	{
		/* dropped, or its OID taken by another relation since */
		if (rel != NULL)
			table_close(rel, AccessShareLock);
		queue->delayed_relid = InvalidOid;
		return DUE_PROBE_UNABLE;
	}
	found = pgmqc_direct_first(rel, index, attnum, &value, &isnull);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	if (!found || isnull)
		return DUE_PROBE_EMPTY;
	*head = DatumGetTimestampTz(value);
	return DUE_PROBE_HEAD;
}

/*
 * Is a delayed message due: sets *now and says whether the head of the
 * deliver_at index is at or before it.  The probe reads that head and the
 * time is compared here: a volatile "deliver_at <= clock_timestamp()"
 * could not be an index condition, and a filtered scan would walk every
 * future message when none is due.
 */
static bool
anything_due(PgmqcQueue *queue, TimestampTz *now)
{
	TimestampTz head;
	bool		isnull;

	switch (probe_direct(queue, &head))
	{
		case DUE_PROBE_EMPTY:
			return false;
		case DUE_PROBE_HEAD:
			break;
		case DUE_PROBE_UNABLE:
			if (pgmqc_queue_run(queue, STMT_DUE_PROBE, NULL, NULL, 1) == 0)
				return false;
			head = DatumGetTimestampTz(pgmqc_column(0, VALUE_COL, &isnull));
			break;
	}
	*now = GetCurrentTimestamp();
	return head <= *now;
}

/*
 * Move up to limit messages due at now into the message table with stmt;
 * STMT_MATURE_BOUNDED and STMT_MATURE_PAST_HELD move only msg_ids from
 * "from" on and below "below" (0: no upper bound), and add the msg_ids
 * they moved to reserve.  Returns how many.
 */
static int
mature(PgmqcQueue *queue, TimestampTz now, int32 limit, PgmqcStatement stmt,
	   int64 from, int64 below, PgmqcMovedDue *reserve)
{
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	int			moved;
	int			i;

	args[0] = Int32GetDatum(limit);
	args[1] = TimestampTzGetDatum(now);
	args[2] = Int64GetDatum(from);
	args[3] = Int64GetDatum(below);
	if (below <= 0)
		nulls[3] = 'n';
	moved = pgmqc_queue_run(queue, stmt, args, nulls, 0);
	for (i = 0; reserve != NULL && i < moved; i++)
	{
		bool		isnull;

		Assert(reserve->n < lengthof(reserve->ids));
		if (reserve->n < lengthof(reserve->ids))
			reserve->ids[reserve->n++] = pgmqc_column_int64(i, VALUE_COL,
															&isnull);
	}
	if (moved > 0 && pgmqc_shared != NULL)
	{
		/*
		 * other sleepers may take what this reader does not; no notification:
		 * the worker announced these messages when they came due (or their
		 * send's commit did, when it came after)
		 */
		pgmqc_wake_on_commit(queue->queue_id, moved, false);
	}
	return moved;
}

static int
compare_ids(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * Before a claim of qty messages from msg_id start on (a read or a pop):
 * move the due delayed messages into the message table; *reserve gets the
 * msg_ids moved that the claim must take (ascending; none outside a
 * transaction block).
 *
 * The rows moved are the caller's until its transaction ends: nobody else
 * sees them in the message table, and their delayed rows stay locked.  An
 * autocommit read ends at once and moves up to PGMQC_MATURE_BATCH.  A
 * transaction block may last long (a prepared one, for good), so it moves
 * only what its claim will lease: at most qty, and only msg_ids from start
 * on and below the qty-th message the claim could take now, which the
 * claim, taking the lowest msg_ids from start on, would take; when fewer
 * are visible, the lowest due msg_ids from start on, as many as those leave
 * room for (so that the read does not come back short while due messages
 * wait).  The claim takes them whatever else becomes visible before it (a
 * lease that ends, or a lower msg_id's send that commits, in between:
 * docs/design.md section 6), as the reserved rows of its direct claim
 * (common/direct_claim.c).  The others stay for other readers, and for this
 * one's next reads once the queue's head has passed them.
 */
void
pgmqc_queue_mature_due(PgmqcQueue *queue, int32 qty, int64 start,
					   PgmqcMovedDue *reserve)
{
	TimestampTz now;
	Datum		args[2];
	bool		isnull;
	int32		limit = Max(Min(qty, PGMQC_MATURE_BATCH), 1);

	reserve->n = 0;
	if (!anything_due(queue, &now))
		return;
	if (!IsTransactionBlock())
		(void) mature(queue, now, PGMQC_MATURE_BATCH, STMT_MATURE, 0, 0, NULL);
	else
	{
		int64		below = 0;
		int32		ahead = 0;
		int			moved;

		/*
		 * The claim takes the lowest msg_ids: due messages below the limit-th
		 * visible one, or any when fewer are visible, as many as the visible
		 * ones leave room for.
		 */
		args[0] = Int64GetDatum(start);
		args[1] = Int32GetDatum(limit);
		if (pgmqc_queue_run(queue, STMT_CANDIDATES_AHEAD, args, NULL, 1) == 1)
		{
			ahead = DatumGetInt32(pgmqc_column(0, VALUE_COL, &isnull));
			if (ahead >= limit)
				below = pgmqc_column_int64(0, CANDIDATES_COL_LAST, &isnull);
			else
				limit -= ahead;
		}
		moved = mature(queue, now, limit, STMT_MATURE_BOUNDED, start, below,
					   reserve);

		/*
		 * Its look at the first PGMQC_MATURE_LOOK due messages may have found
		 * them held by other readers in transaction blocks, which moved them
		 * and have not committed: then past those.
		 */
		if (moved < limit)
			(void) mature(queue, now, limit - moved, STMT_MATURE_PAST_HELD,
						  start, below, reserve);
		qsort(reserve->ids, reserve->n, sizeof(int64), compare_ids);
	}
}

/*
 * Move every due delayed message, up to max (redrive: it takes the visible
 * messages in msg_id order, and would pass over those moved after it
 * started).
 */
void
pgmqc_queue_mature_all_due(PgmqcQueue *queue, int64 max)
{
	TimestampTz now;
	int64		moved = 0;

	if (!anything_due(queue, &now))
		return;
	while (moved < max)
	{
		int32		batch = (int32) Min(max - moved, PGMQC_MATURE_BATCH);
		int			n;

		CHECK_FOR_INTERRUPTS();
		n = mature(queue, now, batch, STMT_MATURE, 0, 0, NULL);
		moved += n;
		if (n < batch)
			break;
	}
}
