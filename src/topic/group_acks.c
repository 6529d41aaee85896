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

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "topic/topic.h"
#include "common/statements.h"

/* Acknowledge one message; false when the group does not hold it. */
bool
pgmqc_group_ack(PgmqcGroup *group, int64 msg_id)
{
	Datum		arg = Int64GetDatum(msg_id);

	return pgmqc_group_run(group, STMT_GROUP_ACK, &arg, NULL, 0) > 0;
}

/*
 * Acknowledge the messages of an array of msg_ids; the ids acknowledged are
 * left in SPI_tuptable (ID_COL_MSG_ID).
 */
void
pgmqc_group_ack_many(PgmqcGroup *group, ArrayType *msg_ids)
{
	Datum		arg = PointerGetDatum(msg_ids);

	(void) pgmqc_group_run(group, STMT_GROUP_ACK_MANY, &arg, NULL, 0);
}

/* Wake-ups for a message of the group available again after "after". */
static void
announce_release(PgmqcQueue *topic, Interval *after)
{
	if (pgmqc_shared == NULL)
		return;
	if (pgmqc_interval_is_zero(after))
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
	else
		pgmqc_due_on_commit(topic->queue_id, pgmqc_now_plus(after));
}

/*
 * End the group's lease on a message "after" from now with stmt
 * (STMT_GROUP_NACK or STMT_GROUP_SET_VT), and arrange the wake-ups if the
 * group held it unacknowledged; returns the number of rows (0 or 1).
 */
static int
release(PgmqcQueue *topic, PgmqcGroup *group, PgmqcStatement stmt,
		int64 msg_id, Interval *after)
{
	Datum		args[2];
	int			n;

	args[0] = Int64GetDatum(msg_id);
	args[1] = IntervalPGetDatum(after);
	n = pgmqc_group_run(group, stmt, args, NULL, 0);
	if (n > 0)
		announce_release(topic, after);
	return n;
}

/*
 * Give a message back to the group, to be delivered again (with read_ct
 * counting on) once delay has passed; false when the group does not hold
 * it unacknowledged.
 */
bool
pgmqc_group_nack(PgmqcQueue *topic, PgmqcGroup *group, int64 msg_id,
				 Interval *delay)
{
	return release(topic, group, STMT_GROUP_NACK, msg_id, delay) > 0;
}

/*
 * End the group's lease on a message vt from now; the message row, if the
 * group holds it unacknowledged, is left in SPI_tuptable.  Returns the
 * number of rows (0 or 1).
 */
int
pgmqc_group_set_vt(PgmqcQueue *topic, PgmqcGroup *group, int64 msg_id,
				   Interval *vt)
{
	return release(topic, group, STMT_GROUP_SET_VT, msg_id, vt);
}
