/*-------------------------------------------------------------------------
 *
 * shared_watermarks.c
 *		A queue's low watermark shared by the backends that read it.
 *
 * Each backend keeps, per queue, a msg_id below which no message can ever
 * again be live, and starts its reads there (queue/watermark.c).  A new
 * backend starts at 0 and walks, once, every index entry the messages
 * consumed since the xmin horizon was last free have left behind: under a
 * pinned horizon, hundreds of thousands, paid again by every new connection
 * of a pooler.  So the backends share what they know: every few reads a
 * backend publishes its committed watermark in the queue's wake-up slot and
 * takes the slot's when it is higher.  A committed watermark is a fact about
 * the queue, not about the backend that found it, so any reader may start
 * from it.
 *
 * Slots are shared between queues (shmem.c hashes the database and the
 * queue id into a fixed number of them), and a queue id can come back after
 * DROP EXTENSION; a slot's watermark is therefore tagged with the database
 * and the OID of the queue's message table, and only a reader of that very
 * table takes it.  A slot holds one queue's watermark at a time: the last
 * queue to publish one there; another queue's readers then keep their own.
 * Without the preload nothing is shared.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shared_memory/shared_watermarks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "shared_memory/shared_memory.h"

/*
 * Publish mine, the committed watermark of queue queue_id (its message
 * table relid) in this backend, and return the slot's for that queue: the
 * highest any backend has published (0 when the slot holds none of it).
 */
int64
pgmqc_shared_watermark_exchange(int32 queue_id, Oid relid, int64 mine)
{
	PgmqcSlot  *slot;
	int64		shared = 0;

	if (pgmqc_shared == NULL)
		return 0;
	slot = pgmqc_slot(queue_id);
	SpinLockAcquire(&slot->senders_lock);
	if (slot->watermark_database == MyDatabaseId &&
		slot->watermark_relid == relid)
	{
		if (mine > slot->watermark)
			slot->watermark = mine;
		shared = slot->watermark;
	}
	else if (mine > 0)
	{
		slot->watermark_database = MyDatabaseId;
		slot->watermark_relid = relid;
		slot->watermark = mine;
		shared = mine;
	}
	SpinLockRelease(&slot->senders_lock);
	return shared;
}
