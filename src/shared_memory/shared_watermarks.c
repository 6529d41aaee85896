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
 * And, for a few consumer groups of the slot's topics, where the group's
 * blocks start (topic/group_blocks.c): the first_id below which a walk of
 * the group's blocks finds none, so that a new backend does not walk the
 * index entries of every block taken since the last VACUUM.  A hint too,
 * tagged with the group's table and its seek count (a seek makes blocks
 * below it): a walk that finds nothing from it looks again from the
 * group's first entry and sets it back.
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

/*
 * The entry of slot for group group_id (whichever group it holds now); the
 * caller holds the slot's senders_lock.
 */
static PgmqcBlockBound *
block_bound(PgmqcSlot *slot, int32 group_id)
{
	return &slot->block_bounds[(uint32) group_id % PGMQC_SLOT_BLOCK_BOUNDS];
}

/*
 * Where the blocks of group group_id (its table relid) of topic topic_id
 * start, as the slot records it, and in *seek_count the seek count it was
 * seen at; 0 and -1: not known.
 */
int64
pgmqc_shared_blocks_from(int32 topic_id, int32 group_id, Oid relid,
						 int64 *seek_count)
{
	PgmqcSlot  *slot;
	PgmqcBlockBound *bound;
	int64		blocks_from = 0;

	*seek_count = -1;
	if (pgmqc_shared == NULL)
		return 0;
	slot = pgmqc_slot(topic_id);
	SpinLockAcquire(&slot->senders_lock);
	bound = block_bound(slot, group_id);
	if (bound->database == MyDatabaseId && bound->relid == relid &&
		bound->group_id == group_id)
	{
		blocks_from = bound->blocks_from;
		*seek_count = bound->seek_count;
	}
	SpinLockRelease(&slot->senders_lock);
	return blocks_from;
}

/*
 * A walk of group group_id's blocks at seek count seek_count found none
 * below blocks_from: the slot's bound moves up there, or, with lower (the
 * walk looked from the group's first entry), is set there whatever it was.
 * The entry then holds this group's bound, in place of another's; a
 * bound of a later seek count is kept.
 */
void
pgmqc_shared_blocks_from_publish(int32 topic_id, int32 group_id, Oid relid,
								 int64 seek_count, int64 blocks_from,
								 bool lower)
{
	PgmqcSlot  *slot;
	PgmqcBlockBound *bound;
	bool		same_group;

	if (pgmqc_shared == NULL || seek_count < 0)
		return;
	slot = pgmqc_slot(topic_id);
	SpinLockAcquire(&slot->senders_lock);
	bound = block_bound(slot, group_id);
	same_group = bound->database == MyDatabaseId && bound->relid == relid &&
		bound->group_id == group_id;
	if (!same_group || bound->seek_count < seek_count)
	{
		bound->database = MyDatabaseId;
		bound->relid = relid;
		bound->group_id = group_id;
		bound->seek_count = seek_count;
		bound->blocks_from = blocks_from;
	}
	else if (bound->seek_count == seek_count &&
			 (lower || blocks_from > bound->blocks_from))
		bound->blocks_from = blocks_from;
	SpinLockRelease(&slot->senders_lock);
}
