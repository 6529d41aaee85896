/*-------------------------------------------------------------------------
 *
 * send_support.c
 *		What the topic engine does around a send's insert into the log:
 *		partitions ready before it, readers woken and partitions asked for
 *		after it.
 *
 * The send itself (topic_publish.c) draws the msg_ids and inserts them; it
 * calls pgmqc_topic_before_send() first and pgmqc_topic_sent() after.
 * Partitions of the log exist at least PGMQC_SEND_MARGIN msg_ids past the
 * last one drawn when the background worker keeps up (maintenance.c); a
 * sender that comes close to the end of the last partition asks the worker
 * for more and waits for them, or makes them itself when there is no
 * worker.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/send_support.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/inval.h"

#include "compat.h"
#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "topic/topic.h"

/* how long a sender waits for the worker's partitions, 1 ms at a time */
#define PARTITION_WAIT_POLLS	5000
#define PARTITION_POLL_MS		1

/* Where the topic's last partition ends (exclusive), from the catalog. */
static void
load_partition_end(PgmqcQueue *topic)
{
	int64		lowest;
	int64		highest;

	if (pgmqc_partition_range(topic->queue_id, &lowest, &highest))
		topic->partition_end = (highest + 1) * topic->partition_size;
	else
		topic->partition_end = 0;
}

/*
 * Make sure partitions of topic's log exist through msg_id need, for
 * msg_ids drawn after last.  Normally the worker keeps PGMQC_SEND_MARGIN
 * msg_ids ahead and this is one comparison; near the end the sender asks
 * the worker and waits for it (up to PARTITION_WAIT_POLLS *
 * PARTITION_POLL_MS), or, without a worker, makes the partitions in its
 * own transaction, where other senders wait for its commit.
 */
static void
partitions_through(PgmqcQueue *topic, int64 last, int64 need)
{
	int64		need_partition = need / topic->partition_size;
	int64		partno;
	int			i;

	if (topic->partition_end == 0)
		load_partition_end(topic);
	if (need < topic->partition_end)
		return;

	if (pgmqc_request_maintenance())
	{
		for (i = 0; i < PARTITION_WAIT_POLLS; i++)
		{
			AcceptInvalidationMessages();
			if (pgmqc_partition_exists(topic->queue_id, need_partition))
				break;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 PARTITION_POLL_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}

	/*
	 * From the partition of the next msg_id: the ids between the last
	 * partition and it were skipped (a new timeline moves the sequence on by
	 * 2^32, timelines.c) and are never drawn.
	 */
	for (partno = Max(topic->partition_end / topic->partition_size,
					  (last + 1) / topic->partition_size);
		 partno <= need_partition; partno++)
		pgmqc_create_partition(topic->queue_id, topic->partition_size, partno);
	topic->partition_end = 0;
}

/*
 * Before a send of count messages to a topic: make sure partitions exist
 * for the msg_ids it may draw.  Those are at most last + count, plus what
 * concurrent senders draw meanwhile, for which one more batch is allowed
 * (a batch checks again once it drew its msg_ids:
 * pgmqc_topic_partitions_for).
 */
void
pgmqc_topic_before_send(PgmqcQueue *topic, int count)
{
	int64		last = pgmqc_last_id_drawn(topic);

	partitions_through(topic, last, last + count + PGMQC_MAX_BATCH);
}

/*
 * After a batch drew its msg_ids, up to last_id, before it inserts them:
 * make sure their partitions exist.  Usually they do, checked before the
 * draw; not when other senders drew more than one batch meanwhile.
 * "before" is the last msg_id drawn by anyone before the batch drew: the
 * partitions from it on are made, those of other senders' msg_ids drawn
 * meanwhile included, so that no partition is left out between the end of
 * the log and the batch's (a later sender of such msg_ids, finding the
 * log's end past them, would not make it).
 */
void
pgmqc_topic_partitions_for(PgmqcQueue *topic, int64 before, int64 last_id)
{
	partitions_through(topic, before, last_id);
}

/*
 * After a send of count messages to a topic, the last with last_id: wake
 * the readers of every group at commit (and the worker's timer at the due
 * time of a delayed message), and make sure the next partition is made in
 * time.
 */
void
pgmqc_topic_sent(PgmqcQueue *topic, int64 last_id, int count, Interval *delay)
{
	if (pgmqc_shared != NULL)
	{
		/*
		 * Every group's readers, at commit: even a delayed send settles the
		 * messages sent after it (settled_ids.c).  A rollback wakes them too
		 * (topic_publish.c).
		 */
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
		if (!pgmqc_interval_is_zero(delay))
		{
			TimestampTz due = pgmqc_now_plus(delay);

			pgmqc_publish_due(topic->queue_id, due);
			pgmqc_due_on_commit(topic->queue_id, due, false);
		}
	}

	/* the worker wakes readers at due times and makes partitions */
	(void) pgmqc_my_worker(true);

	/* in the last partition's second half: have the worker make more */
	if (topic->partition_end == 0)
		load_partition_end(topic);
	if (last_id >= topic->partition_end - topic->partition_size / 2)
	{
		(void) pgmqc_request_maintenance();
		topic->partition_end = 0;	/* look again next time */
	}
}
