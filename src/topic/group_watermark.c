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
 * the group's outstanding msg_ids and its cursor.  A seek (which bumps the
 * cursor's seek count) may move the cursor back: the watermark then starts
 * again from 0.  Advances are tentative until the transaction commits
 * (object_cache.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_watermark.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgmq_c.h"
#include "common/claiming.h"
#include "common/object_cache.h"
#include "topic/topic.h"
#include "common/statements.h"

/* Move the group's watermark forward if it is time; returns it. */
int64
pgmqc_group_watermark(PgmqcGroup *group)
{
	PgmqcWatermark *watermark = &group->cache.watermark;
	int64		current = pgmqc_effective_watermark(watermark);
	Datum		args[2];
	bool		isnull;
	int64		lowest;
	int64		seek_count;

	if (!pgmqc_watermark_due(watermark))
		return current;

	args[0] = Int64GetDatum(current);
	args[1] = Int32GetDatum(group->group_id);
	if (pgmqc_group_run(group, STMT_GROUP_WATERMARK_SCAN, args, NULL, 1) != 1)
		return current;
	seek_count = pgmqc_column_int64(0, GROUP_SCAN_COL_SEEK_COUNT, &isnull);
	group->cursor_seen = pgmqc_column_int64(0, GROUP_SCAN_COL_NEXT_ID, &isnull);
	if (seek_count != group->seek_count)
	{
		/* a seek moved the cursor back: start again from the beginning */
		group->seek_count = seek_count;
		pgmqc_claim_skip_end(&group->cache, group->key.topic_id, PG_INT64_MAX);
		watermark->committed = 0;
		watermark->has_tentative = false;
		args[0] = Int64GetDatum(0);
		if (pgmqc_group_run(group, STMT_GROUP_WATERMARK_SCAN, args, NULL, 1) != 1)
			return 0;
		current = 0;
	}
	lowest = pgmqc_column_int64(0, GROUP_SCAN_COL_WATERMARK, &isnull);
	if (isnull)
		return current;
	return pgmqc_watermark_advance(watermark, current, lowest);
}
