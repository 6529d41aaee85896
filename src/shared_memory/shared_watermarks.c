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
 * The slot also holds a table's claim front: the highest msg_id any claim
 * of it leased.  A backend whose claims start past a leased head
 * (common/claiming.c) starts them at the front when that is further on, so
 * that a hundred consumers of one queue do not each walk the leases the
 * others took since.  Unlike the watermark it is a hint, not a fact: what
 * lies behind it may be visible again (an expired lease, a rolled-back
 * claim, a late commit), and claims look from the watermark again at least
 * once a second.  It is tagged as the watermark is.
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

/*
 * Forget the watermark of table relid of queue queue_id, known to be wrong
 * (its sequence was moved back): the next backend to publish starts over.
 */
void
pgmqc_shared_watermark_forget(int32 queue_id, Oid relid)
{
	PgmqcSlot  *slot;

	if (pgmqc_shared == NULL)
		return;
	slot = pgmqc_slot(queue_id);
	SpinLockAcquire(&slot->senders_lock);
	if (slot->watermark_database == MyDatabaseId &&
		slot->watermark_relid == relid)
		slot->watermark = 0;
	if (slot->front_database == MyDatabaseId && slot->front_relid == relid)
		slot->front = 0;
	SpinLockRelease(&slot->senders_lock);
}

/* The claim front of table relid of queue (or topic) queue_id; 0: none. */
int64
pgmqc_shared_claim_front(int32 queue_id, Oid relid)
{
	PgmqcSlot  *slot;
	int64		front = 0;

	if (pgmqc_shared == NULL)
		return 0;
	slot = pgmqc_slot(queue_id);
	SpinLockAcquire(&slot->senders_lock);
	if (slot->front_database == MyDatabaseId && slot->front_relid == relid)
		front = slot->front;
	SpinLockRelease(&slot->senders_lock);
	return front;
}

/*
 * A claim of table relid leased messages up to msg_id "claimed": the front
 * moves there if it was behind.  The slot then holds this table's front,
 * in place of another table's.
 */
void
pgmqc_shared_claim_front_raise(int32 queue_id, Oid relid, int64 claimed)
{
	PgmqcSlot  *slot;

	if (pgmqc_shared == NULL)
		return;
	slot = pgmqc_slot(queue_id);
	SpinLockAcquire(&slot->senders_lock);
	if (slot->front_database != MyDatabaseId || slot->front_relid != relid)
	{
		slot->front_database = MyDatabaseId;
		slot->front_relid = relid;
		slot->front = claimed;
	}
	else if (claimed > slot->front)
		slot->front = claimed;
	SpinLockRelease(&slot->senders_lock);
}

/*
 * A claim from msg_id "through" found nothing: table relid's front, if no
 * further on, is forgotten (it may be stale: the group was sought back).
 */
void
pgmqc_shared_claim_front_forget(int32 queue_id, Oid relid, int64 through)
{
	PgmqcSlot  *slot;

	if (pgmqc_shared == NULL)
		return;
	slot = pgmqc_slot(queue_id);
	SpinLockAcquire(&slot->senders_lock);
	if (slot->front_database == MyDatabaseId && slot->front_relid == relid &&
		slot->front <= through)
		slot->front = 0;
	SpinLockRelease(&slot->senders_lock);
}
