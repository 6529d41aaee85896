/*-------------------------------------------------------------------------
 *
 * group_watermark.c
 *		The low watermark of a consumer group's table g_<group id>.
 *
 * No message of the group below its watermark is outstanding, so claims
 * and due-time scans start there and never walk the dead index entries
 * acknowledged messages leave below it (docs/design.md, section 5).
 * It is recomputed at most every WATERMARK_INTERVAL_MS (pgmqc_watermark_due,
 * common/object_cache.c), as the lowest of
 * the group's outstanding msg_ids and its cursor.  A seek or a redrive
 * (which bump the cursor's seek count) may put messages back below it: the
 * watermark then starts again from 0.  Advances are tentative until the
 * transaction commits (object_cache.c).
 *
 * Under REPEATABLE READ or SERIALIZABLE the watermark is never advanced
 * (the snapshot may be older than what it would be computed from), but the
 * seek count and the cursor are looked at just as often, so that messages
 * a seek or a redrive put back are claimed, and filled, as in READ
 * COMMITTED.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_watermark.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"

#include "pgmq_c.h"
#include "common/claiming.h"
#include "common/object_cache.h"
#include "topic/topic.h"
#include "common/statements.h"
#include "shared_memory/shared_memory.h"

/*
 * A seek or a redrive bumped the group's seek count to seek_count: messages
 * may be back below the watermark, so it starts again from 0, and claims
 * no longer skip a leased head.  Lowering a watermark is always safe,
 * committed or not, so this does not wait for the end of the transaction;
 * a seek count seen in a transaction that then rolls back only makes the
 * next look start again once more.
 */
static void
start_again(PgmqcGroup *group, int64 seek_count)
{
	PgmqcWatermark *watermark = &group->cache.watermark;

	group->seek_count = seek_count;
	pgmqc_claim_skip_end(&group->cache, group->key.topic_id, PG_INT64_MAX);
	watermark->committed = 0;
	watermark->has_tentative = false;
}

/*
 * The look of a reader under a transaction snapshot: the cursor and its
 * seek count, as the snapshot shows them.  The cursor it sees is what its
 * fills start from (group_fill.c), and a seek count that changed starts
 * the watermark again; the watermark is not advanced.  A snapshot older
 * than the last look's (an imported one) shows an older cursor and seek
 * count: the watermark starts again, and a fill it would have asked for
 * waits for the next look.
 */
static int64
look_under_snapshot(PgmqcGroup *group, int64 current)
{
	Datum		arg;
	bool		isnull;
	int64		seek_count;

	if (!pgmqc_watermark_look_due(&group->cache.watermark))
		return current;
	arg = Int32GetDatum(group->group_id);
	if (pgmqc_group_run(group, STMT_GROUP_CURSOR, &arg, NULL, 1) != 1)
		return current;
	group->cursor_seen = pgmqc_column_int64(0, CURSOR_COL_NEXT_ID, &isnull);
	seek_count = pgmqc_column_int64(0, CURSOR_COL_SEEK_COUNT, &isnull);
	if (seek_count == group->seek_count)
		return current;
	start_again(group, seek_count);
	return 0;
}

/*
 * The scan's last two arguments: where the group's blocks start, as the
 * backends that walked them last published it (shared_watermarks.c), and
 * the seek count it was seen at.  The scan takes the bound only when its
 * own snapshot shows that seek count.  That is safe because a bound is
 * published (group_blocks.c) only by a READ COMMITTED walk whose
 * transaction had not taken or moved blocks of the group before, as the
 * lowest block its snapshot showed, tagged with the seek count that
 * snapshot showed and no transaction of its own wrote: a block missing
 * from that snapshot below the bound was deleted by a committed
 * transaction, for good; blocks made later start at the cursor, past every
 * block before them; and only a seek, which bumps the seek count, makes
 * lower ones.
 */
static void
blocks_bound(PgmqcGroup *group, Datum *args)
{
	int64		seek_count;

	args[0] = Int64GetDatum(pgmqc_shared_blocks_from(group->key.topic_id,
													 group->group_id,
													 group->cache.relid,
													 &seek_count));
	args[1] = Int64GetDatum(seek_count);
}

/* Move the group's watermark forward if it is time; returns it. */
int64
pgmqc_group_watermark(PgmqcGroup *group)
{
	PgmqcWatermark *watermark = &group->cache.watermark;
	int64		current = pgmqc_effective_watermark(watermark);
	Datum		args[4];
	bool		isnull;
	int64		lowest;
	int64		seek_count;

	if (IsolationUsesXactSnapshot())
		return look_under_snapshot(group, current);
	if (!pgmqc_watermark_due(watermark))
		return current;

	args[0] = Int64GetDatum(current);
	args[1] = Int32GetDatum(group->group_id);
	blocks_bound(group, &args[2]);
	if (pgmqc_group_run(group, STMT_GROUP_WATERMARK_SCAN, args, NULL, 1) != 1)
		return current;
	seek_count = pgmqc_column_int64(0, GROUP_SCAN_COL_SEEK_COUNT, &isnull);
	group->cursor_seen = pgmqc_column_int64(0, GROUP_SCAN_COL_NEXT_ID, &isnull);
	if (seek_count != group->seek_count)
	{
		/* messages may be back below the watermark */
		start_again(group, seek_count);
		args[0] = Int64GetDatum(0);
		blocks_bound(group, &args[2]);
		if (pgmqc_group_run(group, STMT_GROUP_WATERMARK_SCAN, args, NULL, 1) != 1)
			return 0;
		current = 0;
	}
	lowest = pgmqc_column_int64(0, GROUP_SCAN_COL_WATERMARK, &isnull);
	if (isnull)
		return current;
	return pgmqc_watermark_advance(watermark, current, lowest);
}
