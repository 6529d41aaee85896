/*-------------------------------------------------------------------------
 *
 * group_acks.c
 *		Acknowledging a consumer group's messages, giving them back (nack)
 *		and changing their leases (set_vt).
 *
 * Each works on one group's table only: an ack removes the message from
 * that group's outstanding messages and changes nothing for another group.
 * Acks may come in any order.  The message itself stays in the topic's log
 * until retention removes its partition (maintenance.c).  A message given
 * back wakes the group's readers at commit, or at its due time.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_acks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/dead_letters.h"
#include "common/direct_rows.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "topic/topic.h"
#include "common/receipts.h"
#include "common/statements.h"

/*
 * n rows of the group's table were deleted or had their lease changed:
 * should this transaction roll back, they are there as before, visible if
 * their lease had ended, and a reader that found them locked meanwhile
 * sleeps; so wake the topic's sleepers at an abort.
 */
static void
wake_on_abort(PgmqcGroup *group, uint64 n)
{
	if (n > 0)
		pgmqc_wake_on_abort(group->key.topic_id,
							(int) Min(n, (uint64) PGMQC_WAKE_ALL));
}

/*
 * A keyed message of the group was acknowledged: the next message of its
 * key, waiting in the group's table behind it, may be claimed once this
 * commits, so wake the topic's readers then.
 */
static void
wake_key_successor(PgmqcQueue *topic)
{
	if (pgmqc_shared != NULL)
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
}

/*
 * Acknowledge one message of the group of topic; with has_read_ct, only
 * the delivery read_ct.  False when the group does not hold it (or that
 * delivery).  The group's row is deleted without a statement
 * (common/direct_rows.c), unless its table is not as pgmq_c made it.
 */
bool
pgmqc_group_ack(PgmqcQueue *topic, PgmqcGroup *group, int64 msg_id,
				bool has_read_ct, int32 read_ct)
{
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	text	   *key = NULL;

	switch (pgmqc_direct_delete_receipt(group->cache.relid, msg_id, has_read_ct,
										read_ct,
										topic->has_keys ? "ordering_key" : NULL,
										&key))
	{
		case PGMQC_RECEIPT_DELETED:
			wake_on_abort(group, 1);
			if (key != NULL)
				wake_key_successor(topic);
			return true;
		case PGMQC_RECEIPT_ABSENT:
			return false;
		case PGMQC_RECEIPT_UNABLE:
			break;
	}

	args[0] = Int64GetDatum(msg_id);
	args[1] = Int32GetDatum(read_ct);
	nulls[1] = has_read_ct ? ' ' : 'n';
	if (pgmqc_group_run(group, STMT_GROUP_ACK, args, nulls, 0) == 0)
		return false;
	wake_on_abort(group, 1);
	if (topic->has_keys)
		wake_key_successor(topic);
	return true;
}

/*
 * Acknowledge the messages of an array of msg_ids (and, if not NULL, of
 * read_cts, the deliveries); the ids acknowledged are left in SPI_tuptable
 * (ID_COL_MSG_ID).  The rows are locked in msg_id order, whatever the order
 * of the arrays (common/receipts.c).
 */
void
pgmqc_group_ack_many(PgmqcQueue *topic, PgmqcGroup *group,
					 ArrayType *msg_ids, ArrayType *read_cts)
{
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	int			guard = pgmqc_plan_guard_ordered_begin();

	pgmqc_receipts_in_lock_order(&msg_ids, &read_cts);
	args[0] = PointerGetDatum(msg_ids);
	args[1] = PointerGetDatum(read_cts);
	nulls[1] = read_cts ? ' ' : 'n';
	(void) pgmqc_group_run(group, STMT_GROUP_ACK_MANY, args, nulls, 0);
	pgmqc_plan_guard_end(guard);
	wake_on_abort(group, SPI_processed);
	if (SPI_processed > 0 && topic->has_keys)
		wake_key_successor(topic);
}

/* Wake-ups for a message of the group available again at "at". */
static void
announce_release(PgmqcQueue *topic, TimestampTz at)
{
	if (pgmqc_shared == NULL)
		return;
	if (at <= GetCurrentTimestamp())
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
	else
		pgmqc_due_on_commit(topic->queue_id, at, false);
}

/*
 * Give a message back to the group: visible again after delay (NULL: after
 * the backoff of the group's policy, or at once without one), with the
 * reason of the nack (may be NULL); read max_deliveries times, it is
 * dead-lettered instead.  With has_read_ct, only the delivery read_ct.
 * False when the group does not hold it (or that delivery).
 */
bool
pgmqc_group_nack(PgmqcQueue *topic, PgmqcGroup *group, int64 msg_id,
				 Interval *delay, bool has_read_ct, int32 read_ct,
				 text *reason)
{
	Datum		values[NACK_NUM_ARGS];
	char		nulls[NACK_NUM_ARGS];
	bool		isnull;

	pgmqc_nack_args(&group->retry, msg_id, delay, has_read_ct, read_ct, reason,
					values, nulls);
	if (pgmqc_group_run(group, group->retry.catalog_has_retries ?
						STMT_GROUP_NACK : STMT_GROUP_NACK_0_5,
						values, nulls, 0) == 0)
		return false;
	wake_on_abort(group, 1);
	if (DatumGetBool(pgmqc_column(0, NACK_COL_DEAD, &isnull)))
	{
		pgmqc_group_move_dead(topic, group, &msg_id, 1);
		return true;
	}
	announce_release(topic, DatumGetTimestampTz(pgmqc_column(0, NACK_COL_VT,
															 &isnull)));
	return true;
}

/*
 * End the group's lease on a message vt from now (with has_read_ct, only
 * the delivery read_ct); the message row, if the group holds it
 * unacknowledged, is left in SPI_tuptable.  Returns the number of rows (0
 * or 1).
 */
int
pgmqc_group_set_vt(PgmqcQueue *topic, PgmqcGroup *group, int64 msg_id,
				   Interval *vt, bool has_read_ct, int32 read_ct)
{
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	int			n;

	args[0] = Int64GetDatum(msg_id);
	args[1] = IntervalPGetDatum(vt);
	args[2] = Int32GetDatum(read_ct);
	nulls[2] = has_read_ct ? ' ' : 'n';
	n = pgmqc_group_run(group, STMT_GROUP_SET_VT, args, nulls, 0);
	if (n > 0)
	{
		wake_on_abort(group, n);
		announce_release(topic, pgmqc_now_plus(vt));
	}
	return n;
}
