/*-------------------------------------------------------------------------
 *
 * group_retries.c
 *		A consumer group's retry policy: moving its dead messages to its
 *		dead-letter queue, the worker's pass over a group, and giving dead
 *		letters back to the group (redrive).
 *
 * As for a queue (queue/retries.c), a message the group read
 * max_deliveries times is dead once its lease expires or it is nacked; it
 * leaves the group's table and is sent to the group's dead-letter queue in
 * one transaction.  The topic's log keeps the message for the other
 * groups: dead-lettering acts on one group only.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_retries.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/dead_letters.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "topic/topic.h"

/* the worker moves at most this many dead messages of a group per pass */
#define DEAD_LETTER_PASS_LIMIT	1000

/*
 * Move the group's dead messages ids[0..n-1] (locked by this transaction)
 * to its dead-letter queue.  Returns how many were sent; a message the
 * topic no longer holds is only removed from the group.  While the topic's
 * owner may not send to the dead-letter queue (a group has no archive to
 * fall back on) they stay in the group, marked dead (vt infinity), never
 * delivered: the next move once the owner may send again or the group names
 * another dead-letter queue takes them (STMT_GROUP_DEAD_LETTER_IDS picks
 * such rows), and a drop of the dead-letter queue gives them back to the
 * group (queue_admin_functions.c).  In a topic with
 * ordering keys the next message of a dead message's key may be claimed
 * once this commits: the topic's readers wake then.
 */
int64
pgmqc_group_move_dead(PgmqcQueue *topic, PgmqcGroup *group, const int64 *ids,
					  int n)
{
	Datum		args[3];

	if (!pgmqc_dead_letters_allowed(group->retry.dead_letter_queue,
									topic->owner))
		return 0;
	args[0] = pgmqc_id_array(ids, n);
	args[1] = CStringGetTextDatum(topic->name);
	args[2] = CStringGetTextDatum(group->key.name);
	(void) pgmqc_group_run(group, STMT_GROUP_DEAD_LETTER_TAKE, args, NULL, 0);
	if (SPI_processed > 0 && topic->has_keys && pgmqc_shared != NULL)
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
	return pgmqc_send_dead_letters(group->retry.dead_letter_queue);
}

/* Move up to limit dead messages at the head.  Returns how many moved. */
static int64
move_dead_at_head(PgmqcQueue *topic, PgmqcGroup *group, int limit)
{
	Datum		args[3];
	int64	   *ids;
	int			n;

	if (group->retry.max_deliveries <= 0 ||
		group->retry.dead_letter_queue[0] == '\0' || limit <= 0)
		return 0;
	args[0] = Int64GetDatum(pgmqc_group_watermark(group));
	args[1] = Int32GetDatum(group->retry.max_deliveries);
	args[2] = Int32GetDatum(limit);
	(void) pgmqc_group_run(group, STMT_GROUP_DEAD_LETTER_IDS, args, NULL, 1);
	ids = pgmqc_id_array_result(&n);
	return n > 0 ? pgmqc_group_move_dead(topic, group, ids, n) : 0;
}

/*
 * As pgmqc_queue_process_head, for a group: deal, in bulk, with up to limit
 * dead messages and expired leases at the head of the group's table.
 * Returns how many.
 */
int
pgmqc_group_process_head(PgmqcQueue *topic, PgmqcGroup *group, int limit)
{
	int			done = (int) move_dead_at_head(topic, group, limit);

	if (group->retry.backoff > 0 && done < limit)
	{
		Datum		values[BACKOFF_NUM_ARGS];
		char		nulls[BACKOFF_NUM_ARGS];

		pgmqc_backoff_args(&group->retry, pgmqc_group_watermark(group),
						   limit - done, values, nulls);
		(void) pgmqc_group_run(group, STMT_GROUP_BACKOFF_EXPIRED, values, nulls, 1);
		done += pgmqc_backoff_done(topic->queue_id, false);
	}
	return done;
}

/*
 * The worker's pass over a group with max_deliveries: move the dead
 * messages nobody read.  Returns how many moved.
 */
int64
pgmqc_group_retry_pass(PgmqcQueue *topic, PgmqcGroup *group)
{
	return move_dead_at_head(topic, group, DEAD_LETTER_PASS_LIMIT);
}

/*
 * Give the topic's messages ids[0..n-1] back to the group, to be read
 * again with read_ct starting from 0: those the topic holds with the
 * enqueued_at they were dead-lettered with, enqueued_at[i] (when
 * at_known[i]; otherwise any), and whose headers pass the group's filter
 * (a dead letter naming another message was not the group's: forged).
 * Leaves in SPI_tuptable a row per id, in order: whether the topic holds
 * its msg_id (GROUP_REDRIVE_COL_THERE) and whether that is the message,
 * which went back (GROUP_REDRIVE_COL_SAME), or stayed out because a message
 * of its ordering key is in flight in the group
 * (GROUP_REDRIVE_COL_KEY_BUSY).  Readers of the group wake at commit.
 */
void
pgmqc_group_redrive(PgmqcQueue *topic, PgmqcGroup *group, const int64 *ids,
					const TimestampTz *enqueued_at, const bool *at_known,
					int n)
{
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	int			rows;
	Datum	   *ats = palloc((n + 1) * sizeof(Datum));
	bool	   *at_nulls = palloc((n + 1) * sizeof(bool));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int			i;

	for (i = 0; i < n; i++)
	{
		ats[i] = TimestampTzGetDatum(enqueued_at[i]);
		at_nulls[i] = !at_known[i];
	}
	/* fills first wait or are kept out: see STMT_GROUP_REDRIVE_LOCK */
	args[0] = Int32GetDatum(group->group_id);
	(void) pgmqc_group_run(group, STMT_GROUP_REDRIVE_LOCK, args, NULL, 0);
	args[0] = pgmqc_id_array(ids, n);
	args[1] = Int32GetDatum(group->group_id);
	args[2] = PointerGetDatum(construct_md_array(ats, at_nulls, 1, dims, lbs,
												 TIMESTAMPTZOID, sizeof(TimestampTz),
												 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	/* a message the group's filter leaves out never was the group's */
	args[3] = PointerGetDatum(group->filter);
	if (group->filter == NULL)
		nulls[3] = 'n';
	rows = pgmqc_group_run(group, STMT_GROUP_REDRIVE, args, nulls, 0);
	pfree(ats);
	pfree(at_nulls);
	if (rows == 0 ||
		!DatumGetBool(pgmqc_column(0, GROUP_REDRIVE_COL_ANY_BACK, &isnull)))
		return;
	/* this backend, too, looks below its watermark at its next read */
	group->cache.watermark.last_advance = 0;
	if (pgmqc_shared != NULL)
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
}
