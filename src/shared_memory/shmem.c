/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		The shared memory segment of pgmq_c: wake-up slots, the registry of
 *		per-database workers, and the requests backends leave for their
 *		database's worker.
 *
 * With shared_preload_libraries = 'pgmq_c' the postmaster reserves an array
 * of wake-up slots (pgmq_c.wait_slots) and a registry of per-database
 * background workers.  A queue maps onto a slot by hashing (database oid,
 * queue id); a collision costs only a spurious wake-up.
 *
 * A backend finds its database's worker entry with pgmqc_my_worker, which
 * can also ask the launcher to start a worker.  It leaves requests there:
 * topic maintenance or consumer-group fills wanted now
 * (pgmqc_request_maintenance, pgmqc_request_fill), and due times of delayed
 * messages and lease ends (pgmqc_publish_due), which lower the slot's
 * next_due and, when earlier than the worker's timer, wake the worker so
 * that it wakes the slot's sleepers then.
 *
 * Locking: PgmqcShared.mutex (a spinlock) protects the worker registry;
 * slots are lock-free (atomics and the condition variable's own spinlock).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shared_memory/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "shared_memory/shared_memory.h"

PgmqcShared *pgmqc_shared = NULL;
int			pgmqc_wait_slots = 1024;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
pgmqc_shmem_size(void)
{
	return add_size(offsetof(PgmqcShared, slots),
					mul_size(pgmqc_wait_slots, sizeof(PgmqcSlot)));
}

#if PG_VERSION_NUM >= 150000
static void
pgmqc_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(pgmqc_shmem_size());
	RequestAddinShmemSpace(pgmqc_prepared_wakes_size());
	RequestAddinShmemSpace(pgmqc_preparing_senders_size());
}
#endif

static void
pgmqc_shmem_startup(void)
{
	bool		found;
	int			i;
	int			j;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	pgmqc_shared = ShmemInitStruct("pgmq_c", pgmqc_shmem_size(), &found);
	if (!found)
	{
		SpinLockInit(&pgmqc_shared->mutex);
		pgmqc_shared->launcher_latch = NULL;
		pgmqc_shared->launcher_pid = 0;
		for (i = 0; i < PGMQC_MAX_DATABASES; i++)
		{
			PgmqcDbWorker *w = &pgmqc_shared->workers[i];

			w->dboid = InvalidOid;
			w->pid = 0;
			w->latch = NULL;
			w->wanted = false;
			w->role = InvalidOid;
			w->connecting = false;
			pg_atomic_init_u64(&w->notify_bits, 0);
			pg_atomic_init_u32(&w->config_changed, 0);
			pg_atomic_init_u32(&w->maint_wanted, 0);
			pg_atomic_init_u32(&w->fill_wanted, 0);
			pg_atomic_init_u64(&w->timer, (uint64) PGMQC_NO_DUE);
			pg_atomic_init_u32(&w->probes, 0);
			pg_atomic_init_u64(&w->leases_checked_through, 0);
			pg_atomic_init_u64(&w->delayed_checked_through, 0);
			pg_atomic_init_u32(&w->recheck_all, 0);
		}
		pg_atomic_init_u64(&pgmqc_shared->wakeups, 0);
		pg_atomic_init_u64(&pgmqc_shared->writable_since, 0);
		pg_atomic_init_u32(&pgmqc_shared->recovered_horizon,
						   InvalidTransactionId);
		pgmqc_shared->nslots = pgmqc_wait_slots;
		for (i = 0; i < pgmqc_wait_slots; i++)
		{
			PgmqcSlot  *s = &pgmqc_shared->slots[i];

			ConditionVariableInit(&s->cv);
			pg_atomic_init_u64(&s->generation, 0);
			pg_atomic_init_u64(&s->due_fired, 0);
			pg_atomic_init_u32(&s->waiters, 0);
			pg_atomic_init_u64(&s->next_due, (uint64) PGMQC_NO_DUE);
			pg_atomic_init_u64(&s->sleeper_key, 0);
			pg_atomic_init_u32(&s->sleeper_database, 0);
			SpinLockInit(&s->senders_lock);
			memset(s->senders, 0, sizeof(s->senders));
			s->overflow_xid = InvalidTransactionId;
			s->overflow_database = InvalidOid;
			s->overflow_queue_id = 0;
			s->watermark_database = InvalidOid;
			s->watermark_relid = InvalidOid;
			s->watermark = 0;
			s->front_database = InvalidOid;
			s->front_relid = InvalidOid;
			s->front = 0;
			memset(s->block_bounds, 0, sizeof(s->block_bounds));
			pg_atomic_init_u32(&s->fill_contended, 0);
			pg_atomic_init_u32(&s->group_batch, 0);
			pg_atomic_init_u32(&s->unblock_wanted, 0);
			pg_atomic_init_u64(&s->refill_at, (uint64) PG_INT64_MAX);
			for (j = 0; j < PGMQC_SLOT_FILL_GROUPS; j++)
				pg_atomic_init_u64(&s->fill_groups[j], 0);
			pg_atomic_init_u32(&s->fill_overflow, 0);
			pg_atomic_init_u64(&s->probe_at, (uint64) PGMQC_NO_DUE);
			pg_atomic_init_u32(&s->probe_every_ms, 0);
		}
	}
	pgmqc_prepared_wakes_init();
	pgmqc_preparing_senders_init();
	LWLockRelease(AddinShmemInitLock);
}

/* Called from _PG_init while shared_preload_libraries is processed. */
void
pgmqc_shmem_init_hooks(void)
{
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = pgmqc_shmem_request;
#else
	RequestAddinShmemSpace(pgmqc_shmem_size());
	RequestAddinShmemSpace(pgmqc_prepared_wakes_size());
	RequestAddinShmemSpace(pgmqc_preparing_senders_size());
#endif
	pgmqc_preparing_senders_init_hooks();
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = pgmqc_shmem_startup;
}

PgmqcSlot *
pgmqc_slot(int32 queue_id)
{
	uint32		h = hash_combine(murmurhash32((uint32) MyDatabaseId),
								 murmurhash32((uint32) queue_id));

	return &pgmqc_shared->slots[h % pgmqc_shared->nslots];
}

/*
 * This database's worker entry, or NULL.  With request_start, create the
 * entry if needed and ask the launcher to start a worker when none runs.
 *
 * A new entry takes a free one or, when none is free, one that is dormant:
 * a database whose worker found no pgmq_c (or was stopped) and is not
 * running.  The launcher gives every database an entry, so without this a
 * role with CREATEDB could fill them all with empty databases and leave a
 * database that has pgmq_c without a worker.  The dormant database gets an
 * entry again when one of its own backends asks.
 */
PgmqcDbWorker *
pgmqc_my_worker(bool request_start)
{
	static PgmqcDbWorker *mine = NULL;
	PgmqcDbWorker *found = NULL;
	PgmqcDbWorker *free_entry = NULL;
	PgmqcDbWorker *dormant_entry = NULL;
	bool		poke = false;
	Latch	   *launcher = NULL;
	int			i;

	if (pgmqc_shared == NULL)
		return NULL;
	if (mine != NULL && mine->dboid == MyDatabaseId &&
		(!request_start || mine->pid != 0))
		return mine;

	SpinLockAcquire(&pgmqc_shared->mutex);
	for (i = 0; i < PGMQC_MAX_DATABASES; i++)
	{
		PgmqcDbWorker *w = &pgmqc_shared->workers[i];

		if (w->dboid == MyDatabaseId)
		{
			found = w;
			break;
		}
		if (w->dboid == InvalidOid && free_entry == NULL)
			free_entry = w;
		else if (w->dboid != InvalidOid && w->pid == 0 && !w->wanted &&
				 !w->connecting && dormant_entry == NULL)
			dormant_entry = w;
	}
	if (free_entry == NULL)
		free_entry = dormant_entry;
	if (found == NULL && request_start && free_entry != NULL)
	{
		found = free_entry;
		found->dboid = MyDatabaseId;
		found->pid = 0;
		found->latch = NULL;
		found->role = InvalidOid;
		found->connecting = false;
		found->start_failed = false;
		pg_atomic_write_u64(&found->leases_checked_through, 0);
		pg_atomic_write_u64(&found->delayed_checked_through, 0);
	}
	if (found != NULL && request_start && found->pid == 0 && !found->wanted)
	{
		found->wanted = true;
		poke = true;
	}
	launcher = pgmqc_shared->launcher_latch;
	SpinLockRelease(&pgmqc_shared->mutex);

	if (poke && launcher != NULL)
		SetLatch(launcher);
	mine = found;
	return found;
}

/*
 * Ask the launcher for the worker of database dboid again, if that
 * database has an entry whose worker was stopped (and is not wanted any
 * more): for a statement that stopped it and did not drop the database.
 */
void
pgmqc_want_worker_again(Oid dboid)
{
	Latch	   *launcher = NULL;
	int			i;

	if (pgmqc_shared == NULL)
		return;
	SpinLockAcquire(&pgmqc_shared->mutex);
	for (i = 0; i < PGMQC_MAX_DATABASES; i++)
	{
		PgmqcDbWorker *w = &pgmqc_shared->workers[i];

		if (w->dboid == dboid && !w->wanted)
		{
			w->wanted = true;
			launcher = pgmqc_shared->launcher_latch;
			break;
		}
	}
	SpinLockRelease(&pgmqc_shared->mutex);
	if (launcher != NULL)
		SetLatch(launcher);
}

static void
atomic_min_u64(pg_atomic_uint64 *var, int64 value)
{
	uint64		cur = pg_atomic_read_u64(var);

	while ((int64) cur > value)
	{
		if (pg_atomic_compare_exchange_u64(var, &cur, (uint64) value))
			break;
	}
}

/*
 * Something becomes visible at "due": wake this database's worker if that
 * is before its timer, so that it sets its timer for then.
 */
static void
publish_to_worker(TimestampTz due)
{
	PgmqcDbWorker *w = pgmqc_my_worker(false);

	if (w != NULL && w->latch != NULL &&
		due < (int64) pg_atomic_read_u64(&w->timer))
	{
		atomic_min_u64(&w->timer, due);
		SetLatch(w->latch);
	}
}

/*
 * Ask this database's worker to run topic maintenance (maintenance) or to
 * fill the consumer groups (!maintenance) soon.  Returns false when there
 * is no running worker to ask.
 */
static bool
request_work(bool maintenance)
{
	PgmqcDbWorker *w = pgmqc_my_worker(true);
	Latch	   *latch;

	if (w == NULL)
		return false;
	SpinLockAcquire(&pgmqc_shared->mutex);
	latch = w->latch;
	SpinLockRelease(&pgmqc_shared->mutex);
	if (latch == NULL)
		return false;
	pg_atomic_write_u32(maintenance ? &w->maint_wanted : &w->fill_wanted, 1);
	SetLatch(latch);
	return true;
}

/*
 * Ask this database's worker to run topic maintenance soon (a topic is
 * filling its last partition: topic/send_support.c); false when there is no running
 * worker to ask.
 */
bool
pgmqc_request_maintenance(void)
{
	return request_work(true);
}

/*
 * A fill request in a slot: the database and the group, and whether a
 * reader found the group empty (group ids are positive: the high bit of
 * the low half is free).
 */
#define FILL_REQUEST_SHORT	((uint64) 1 << 31)

static inline uint64
fill_request(Oid database, int32 group_id, bool short_read)
{
	return ((uint64) database << 32) | (uint32) group_id |
		(short_read ? FILL_REQUEST_SHORT : 0);
}

/*
 * Ask this database's worker to fill a consumer group (topic/group_fill.c);
 * false when there is no running worker to ask.  short_read: the asking
 * reader's claim came back short (the worker then fills without counting
 * the rows ready first: rows other readers hold in open transactions look
 * ready to it); otherwise it asks ahead (a refill mark).  The request is
 * noted in the topic's slot (slots are shared by databases: with this
 * database's oid), so that the worker fills the groups asked for, not every
 * group of the database; when the slot has no room for the group, the
 * worker fills every group of the slot's topics (two databases overflowing
 * one slot at once: one of them waits for its readers' next request).
 */
bool
pgmqc_request_fill(int32 topic_id, int32 group_id, bool short_read)
{
	PgmqcSlot  *slot;
	uint64		request = fill_request(MyDatabaseId, group_id, short_read);
	int			i;

	/* no shared memory (no preload), so no worker: the reader fills */
	if (pgmqc_shared == NULL)
		return false;
	slot = pgmqc_slot(topic_id);

	for (i = 0; i < PGMQC_SLOT_FILL_GROUPS; i++)
	{
		uint64		expected = 0;

		if (pg_atomic_read_u64(&slot->fill_groups[i]) == request ||
			pg_atomic_compare_exchange_u64(&slot->fill_groups[i], &expected,
										   request) ||
			expected == request)
			break;
	}
	if (i == PGMQC_SLOT_FILL_GROUPS)
		pg_atomic_write_u32(&slot->fill_overflow, (uint32) MyDatabaseId);
	return request_work(false);
}

/*
 * For the worker: which of these groups (group_ids[i] of topic
 * topic_ids[i]) were asked to be filled?  Sets wanted[i].  Each request of
 * this database is taken once; one that comes meanwhile is either seen
 * here or left for the next call.  Other databases' requests stay.  Sets
 * short_read[i] when a reader whose claim came back short asked.
 */
void
pgmqc_take_fill_requests(const int32 *topic_ids, const int32 *group_ids,
						 int n, bool *wanted, bool *short_read)
{
	Bitmapset  *slots = NULL;
	Bitmapset  *overflowed = NULL;
	List	   *groups = NIL;
	List	   *short_groups = NIL;
	int			i;
	int			k;

	for (i = 0; i < n; i++)
		slots = bms_add_member(slots, (int) (pgmqc_slot(topic_ids[i]) - pgmqc_shared->slots));
	k = -1;
	while ((k = bms_next_member(slots, k)) >= 0)
	{
		PgmqcSlot  *slot = &pgmqc_shared->slots[k];
		int			j;

		for (j = 0; j < PGMQC_SLOT_FILL_GROUPS; j++)
		{
			uint64		request = pg_atomic_read_u64(&slot->fill_groups[j]);

			if (request == 0 || (Oid) (request >> 32) != MyDatabaseId)
				continue;
			if (pg_atomic_compare_exchange_u64(&slot->fill_groups[j], &request, 0))
			{
				groups = lappend_int(groups,
									 (int) (uint32) (request & ~FILL_REQUEST_SHORT));
				if (request & FILL_REQUEST_SHORT)
					short_groups = lappend_int(short_groups,
											   (int) (uint32) (request & ~FILL_REQUEST_SHORT));
			}
		}
		{
			uint32		database = (uint32) MyDatabaseId;

			if (pg_atomic_read_u32(&slot->fill_overflow) == database &&
				pg_atomic_compare_exchange_u32(&slot->fill_overflow, &database, 0))
				overflowed = bms_add_member(overflowed, k);
		}
	}
	for (i = 0; i < n; i++)
	{
		wanted[i] = list_member_int(groups, group_ids[i]) ||
			bms_is_member((int) (pgmqc_slot(topic_ids[i]) - pgmqc_shared->slots),
						  overflowed);
		short_read[i] = list_member_int(short_groups, group_ids[i]);
	}
	bms_free(slots);
	bms_free(overflowed);
	list_free(groups);
	list_free(short_groups);
}

/*
 * A fill handed a group messages up to beyond msg_id: a reader that
 * claims msg_id or later asks the worker to fill again
 * (pgmqc_refill_if_due), before the group runs dry.  The slot keeps the
 * lowest such mark of its topics' groups.  Needs the shared memory.
 */
void
pgmqc_set_refill_mark(int32 queue_id, int64 msg_id)
{
	atomic_min_u64(&pgmqc_slot(queue_id)->refill_at, msg_id);
}

/*
 * A reader of group group_id of topic topic_id claimed messages up to
 * claimed_through:
 * if that reached the slot's refill mark, the first to see it takes the
 * mark away and asks the worker to fill.  A mark of another topic sharing
 * the slot costs at most one fill request that finds enough ready.  Needs
 * the shared memory.
 */
void
pgmqc_refill_if_due(int32 topic_id, int32 group_id, int64 claimed_through)
{
	PgmqcSlot  *slot = pgmqc_slot(topic_id);

	if ((int64) pg_atomic_read_u64(&slot->refill_at) > claimed_through)
		return;
	if ((int64) pg_atomic_exchange_u64(&slot->refill_at, (uint64) PG_INT64_MAX) <=
		claimed_through)
		(void) pgmqc_request_fill(topic_id, group_id, false);
}

/*
 * Record that something in the slot becomes visible at "due" (a delayed
 * message, a lease end), and wake the worker if that is before its timer:
 * the worker then wakes the slot's sleepers at that time.  Never fails:
 * atomics, a spinlock and SetLatch (the end-of-transaction callback uses
 * it).  Needs the shared memory.
 */
void
pgmqc_publish_slot_due(PgmqcSlot *slot, TimestampTz due)
{
	atomic_min_u64(&slot->next_due, due);
	publish_to_worker(due);
}

/*
 * A reader sleeps on the slot past its wait slice of every_ms: ask the
 * worker to look into the queue's tables by "at" and then every every_ms
 * while readers sleep there (the shortest slice asked for), waking the
 * worker if "at" is before its timer.  Never fails.  Needs the shared
 * memory.
 */
void
pgmqc_publish_probe(PgmqcSlot *slot, TimestampTz at, int every_ms)
{
	uint32		every = pg_atomic_read_u32(&slot->probe_every_ms);

	while (every == 0 || every > (uint32) every_ms)
	{
		if (pg_atomic_compare_exchange_u32(&slot->probe_every_ms, &every,
										   (uint32) every_ms))
			break;
	}
	atomic_min_u64(&slot->probe_at, at);
	publish_to_worker(at);
}

/* The same for the queue's slot; nothing without the shared memory. */
void
pgmqc_publish_due(int32 queue_id, TimestampTz due)
{
	if (pgmqc_shared == NULL)
		return;
	pgmqc_publish_slot_due(pgmqc_slot(queue_id), due);
}

/*
 * The earliest moment from which rows of an unlogged table can be trusted
 * to be what was written: the first time a backend asked after this server
 * (re)made its shared memory -- at every start, and after a crash -- and
 * recovery was over (a standby: after its promotion).  A crash and a
 * promotion empty unlogged tables, so rows kept elsewhere about them (the
 * deduplication ids of an unlogged queue) from before that moment may
 * describe rows that are gone.  After a clean restart, which keeps
 * unlogged tables, the moment is later than needed: callers lose some
 * memory, never trust too much.  Without the shared memory (no
 * shared_preload_libraries), now: nothing from before is trusted.
 */
TimestampTz
pgmqc_writable_since(void)
{
	uint64		expected = 0;
	uint64		since;

	if (pgmqc_shared == NULL)
		return GetCurrentTimestamp();
	since = pg_atomic_read_u64(&pgmqc_shared->writable_since);
	if (since != 0)
		return (TimestampTz) since;
	if (RecoveryInProgress())
		return GetCurrentTimestamp();
	since = (uint64) GetCurrentTimestamp();
	if (!pg_atomic_compare_exchange_u64(&pgmqc_shared->writable_since,
										&expected, since))
		since = expected;		/* another backend was first */
	return (TimestampTz) since;
}

/*
 * Whether this database cannot have a worker now: the registry is full
 * (PGMQC_MAX_DATABASES databases have one), or the launcher's last start
 * of ours failed (max_worker_processes) and none runs.  Asks for a worker
 * first.  False without the shared memory (callers check that apart).
 */
bool
pgmqc_worker_unavailable(void)
{
	PgmqcDbWorker *w = pgmqc_my_worker(true);
	bool		unavailable;

	if (pgmqc_shared == NULL)
		return false;
	if (w == NULL)
		return true;
	SpinLockAcquire(&pgmqc_shared->mutex);
	unavailable = w->dboid == MyDatabaseId && w->pid == 0 && w->start_failed;
	SpinLockRelease(&pgmqc_shared->mutex);
	return unavailable;
}
