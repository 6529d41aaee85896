/*-------------------------------------------------------------------------
 *
 * settled_ids.c
 *		A topic's settled ids: the msg_id up to which no message can still
 *		appear, because every transaction that drew one has ended.
 *
 * A fill hands a group only messages with msg_id <= the settled id, so a
 * send that took a lower msg_id and commits later is never passed over
 * (docs/design.md, sections 5 and 8, "Commit order").  The settled id is the sequence's last
 * value V read before the next XID X, once no transaction that sent to the
 * topic with an XID below X is running (senders take their XID and record
 * it in shared memory before their msg_id: senders.c).  This backend's own
 * transaction does not count.  An open transaction that has sent to the
 * topic therefore holds back the messages sent after it, until it ends, as
 * a Kafka read_committed consumer stops at the first open transaction.
 *
 * When V is not settled yet, (V, X) is kept as the topic's candidate: a
 * later call settles it as soon as the senders older than X have ended,
 * even while newer sends keep the latest value unsettled.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/settled_ids.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lmgr.h"

#include "compat.h"
#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/object_cache.h"
#include "topic/topic.h"

/* how long a waiting caller sleeps between two looks, in milliseconds */
#define SETTLE_POLL_MS		1

/*
 * The topic's settled id (see the file header).  With wait, wait until the
 * messages sent so far are all settled, sleeping SETTLE_POLL_MS at a time
 * (cancellable).  Inside SPI.
 */
int64
pgmqc_topic_settled_through(PgmqcQueue *topic, bool wait)
{
	TransactionId last_sender = InvalidTransactionId;
	TransactionId sender;

	for (;;)
	{
		int64		last_drawn = pgmqc_last_id_drawn(topic);
		TransactionId next_xid = XidFromFullTransactionId(ReadNextFullTransactionId());

		if (pgmqc_senders_ended_before(topic->queue_id, next_xid))
		{
			topic->settled_through = Max(topic->settled_through, last_drawn);
			topic->has_candidate = false;
			return topic->settled_through;
		}

		/*
		 * not yet: the messages below the first msg_id of every sender still
		 * open are settled, when each has recorded it
		 */
		{
			int64		open_from = pgmqc_senders_first_open_id(topic->queue_id,
																next_xid);

			if (open_from > 0)
				topic->settled_through = Max(topic->settled_through,
											 Min(last_drawn, open_from - 1));
		}
		/* an older candidate may have settled meanwhile */
		if (topic->has_candidate &&
			pgmqc_senders_ended_before(topic->queue_id, topic->candidate_xid))
		{
			topic->settled_through = Max(topic->settled_through, topic->candidate_id);
			topic->has_candidate = false;
		}
		if (!topic->has_candidate)
		{
			topic->candidate_id = last_drawn;
			topic->candidate_xid = next_xid;
			topic->has_candidate = true;
		}
		if (!wait)
			return topic->settled_through;

		/*
		 * Wait for a sender on its transaction's lock, where the deadlock
		 * detector sees the wait (the sender may be waiting for a lock this
		 * transaction holds, such as the catalog lock of create_group's
		 * transaction); sleep when none is known, or it has just ended and
		 * its record is not yet cleared.
		 */
		sender = pgmqc_sender_in_progress_before(topic->queue_id, next_xid);
		if (TransactionIdIsValid(sender) && sender != last_sender)
			XactLockTableWait(sender, NULL, NULL, XLTW_None);
		else
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 SETTLE_POLL_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		last_sender = sender;
		CHECK_FOR_INTERRUPTS();
	}
}
