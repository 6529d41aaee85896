/*-------------------------------------------------------------------------
 *
 * group_seek.c
 *		Moving a consumer group's cursor (seek), and the retained range of a
 *		topic that a seek may move it within.
 *
 * A seek drops the group's outstanding messages (a later ack of one of them
 * returns false), sets its cursor and bumps the cursor's seek count, which
 * tells every backend to recompute the group's watermark from 0
 * (group_watermark.c).  It waits for a fill in progress, which holds the
 * cursor row locked, and for readers taking messages from the group's
 * blocks (0.8.0), which hold a block row locked.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_seek.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_sequence.h"
#include "utils/syscache.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "topic/topic.h"
#include "common/statements.h"

/* The first msg_id of topic: its sequence's start value (at least 1). */
static int64
topic_start(PgmqcQueue *topic)
{
	HeapTuple	tuple = SearchSysCache1(SEQRELID,
										ObjectIdGetDatum(topic->sequence_relid));
	int64		start = 1;

	if (HeapTupleIsValid(tuple))
	{
		start = Max(((Form_pg_sequence) GETSTRUCT(tuple))->seqstart, 1);
		ReleaseSysCache(tuple);
	}
	return start;
}

/*
 * The retained range of a topic: the first msg_id retained, the last msg_id
 * drawn, when the first retained message was sent (DT_NOEND: none), the
 * time before which every message retention removed was sent (now minus
 * the retention: a partition goes once its newest message is that old),
 * and whether retention has removed anything yet: the partition of the topic's
 * first msg_id is gone.  That is its sequence's start value, set by
 * pgmqc_topic_create for a topic that goes on from the msg_ids of one
 * dropped under its name (1 otherwise, and for topics made before: until
 * session 54 partition 0 was looked at, and such a topic, which never had
 * one, counted as having lost messages, so that a seek to a time before
 * its first message was refused).
 */
void
pgmqc_topic_retained_range(PgmqcQueue *topic, PgmqcRetainedRange *range)
{
	bool		isnull;
	Datum		retention;

	pgmqc_queue_run(topic, STMT_TOPIC_BOUNDS, NULL, NULL, 1);
	range->first = pgmqc_column_int64(0, BOUNDS_COL_FIRST_ID, &isnull);
	if (isnull)
		range->first = -1;
	range->last = pgmqc_last_id_drawn(topic);
	range->first_at = DatumGetTimestampTz(pgmqc_column(0, BOUNDS_COL_FIRST_AT,
													   &isnull));
	if (isnull)
		range->first_at = DT_NOEND;
	if (range->first < 0)
		range->first = range->last + 1;
	retention = pgmqc_column(0, BOUNDS_COL_RETENTION, &isnull);
	range->kept_from = DT_NOBEGIN;
	if (!isnull)
	{
		Interval	back = *DatumGetIntervalP(retention);

		/* a retention is positive (create_topic checks it) */
		back.month = -back.month;
		back.day = -back.day;
		back.time = -back.time;
		range->kept_from = pgmqc_ts_plus(GetCurrentTimestamp(), &back);
	}
	range->removed = !pgmqc_partition_exists(topic->queue_id,
											 topic_start(topic) / topic->partition_size);
}

/*
 * The first msg_id of a topic sent at or after "at"; false when there is
 * none.
 */
bool
pgmqc_topic_first_id_at(PgmqcQueue *topic, TimestampTz at, int64 *msg_id)
{
	Datum		arg = TimestampTzGetDatum(at);
	bool		isnull;

	pgmqc_queue_run(topic, STMT_TOPIC_FIRST_AT, &arg, NULL, 1);
	*msg_id = pgmqc_column_int64(0, VALUE_COL, &isnull);
	return !isnull;
}

/*
 * Move a group's cursor to "to": its outstanding messages are dropped and
 * it reads next from "to".  Its readers are woken at commit.  Returns
 * where the cursor went.
 *
 * With not_past_open_sends (a seek to a time), not past the first msg_id
 * whose send may still be open: such a send counts as sent after any past
 * time.  That is the topic's settled id plus one, or the group's cursor
 * where it is higher: no send below the cursor can be open, since fills
 * never pass the settled id (a seek to a msg_id may, as asked), while this
 * backend may know nothing settled yet (its first look, with senders it
 * cannot tell apart: a slot's senders overflowed, a prepared send), and
 * the group would then start again from its first message.
 */
int64
pgmqc_group_seek(PgmqcQueue *topic, PgmqcGroup *group, int64 to,
				 bool not_past_open_sends)
{
	PgmqcStatementTarget target = {topic->queue_id, group->group_id, -1, 0};
	Datum		arg;

	/* wait for a fill in progress, then start over */
	if (pgmqc_run_once(STMT_SEEK_LOCK_CURSOR, &target, NULL, NULL,
					   SPI_OK_SELECT) == 1 && not_past_open_sends)
	{
		bool		isnull;
		int64		cursor = pgmqc_column_int64(0, VALUE_COL, &isnull);
		int64		open_from = pgmqc_topic_settled_through(topic, false) + 1;

		to = Min(to, Max(open_from, isnull ? 0 : cursor));
	}
	arg = Int64GetDatum(to);

	/*
	 * The blocks go first, and then the group's table.  A reader taking
	 * messages from a block holds the block's row locked and inserts their
	 * leases into the table, committing both at once, and it does not take
	 * the cursor's lock: the DELETE of the blocks waits for it, and the
	 * DELETE of the table, a statement of its own with a new snapshot (READ
	 * COMMITTED), then sees the leases it committed and removes them too. The
	 * other way round, leases inserted while the table's DELETE ran (which
	 * waits for no insert) would outlive the seek.  No block can come after:
	 * readers skip the rows deleted here (SKIP LOCKED) and the fills, which
	 * make blocks, wait for the cursor's lock.
	 */
	if (pgmqc_group_blocks_exist())
		pgmqc_run_once(STMT_GROUP_DELETE_BLOCKS, &target, NULL, NULL,
					   SPI_OK_DELETE);
	pgmqc_run_once(STMT_SEEK_EMPTY_GROUP, &target, NULL, NULL, SPI_OK_DELETE);
	pgmqc_run_once(STMT_SEEK_MOVE_CURSOR, &target, &arg, NULL, SPI_OK_UPDATE);
	group->cursor_seen = 0;
	group->cache.watermark.last_advance = 0;
	if (pgmqc_shared != NULL)
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
	return to;
}
