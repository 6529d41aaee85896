/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		Shared memory of pgmq_c and the wake-ups sent at commit.
 *
 * With shared_preload_libraries = 'pgmq_c' the postmaster reserves an array
 * of wake-up slots (pgmq_c.wait_slots) and a registry of per-database
 * background workers.  A queue maps onto a slot by hashing (database oid,
 * queue id); a collision costs only a spurious wake-up.
 *
 * Wake-ups.  send() and a nack record the slot in a backend-local list; the
 * transaction callback signals the slot's condition variable at
 * XACT_EVENT_COMMIT, which runs after ProcArrayEndTransaction, so the new
 * snapshot a woken reader takes sees the committed rows.  A rolled-back
 * send wakes nobody.  A read records the slot for XACT_EVENT_ABORT instead:
 * its messages become visible again only if it rolls back.  Each wake-up
 * bumps the slot's generation and signals at most as many sleepers as
 * messages became visible, so one message wakes about one reader.
 *
 * The callback must not fail (it runs after the commit is durable): it
 * only touches atomics, spinlocks, condition variables and latches, never
 * allocates, and drops what does not fit in its fixed list by waking every
 * sleeper of the slot instead.
 *
 * Locking: PgmqcShared.mutex (a spinlock) protects the worker registry;
 * slots are lock-free (atomics and the condition variable's own spinlock).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "shmem.h"

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
}
#endif

static void
pgmqc_shmem_startup(void)
{
	bool		found;
	int			i;

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
		}
		pg_atomic_init_u64(&pgmqc_shared->wakeups, 0);
		pgmqc_shared->nslots = pgmqc_wait_slots;
		for (i = 0; i < pgmqc_wait_slots; i++)
		{
			PgmqcSlot  *s = &pgmqc_shared->slots[i];

			ConditionVariableInit(&s->cv);
			pg_atomic_init_u64(&s->generation, 0);
			pg_atomic_init_u32(&s->waiters, 0);
			pg_atomic_init_u64(&s->next_due, (uint64) PGMQC_NO_DUE);
			SpinLockInit(&s->senders_lock);
			memset(s->senders, 0, sizeof(s->senders));
			s->overflow_xid = InvalidTransactionId;
			pg_atomic_init_u32(&s->fill_skipped, 0);
		}
	}
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
#endif
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
 */
PgmqcDbWorker *
pgmqc_my_worker(bool request_start)
{
	static PgmqcDbWorker *mine = NULL;
	PgmqcDbWorker *found = NULL;
	PgmqcDbWorker *free_entry = NULL;
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
	}
	if (found == NULL && request_start && free_entry != NULL)
	{
		found = free_entry;
		found->dboid = MyDatabaseId;
		found->pid = 0;
		found->latch = NULL;
		found->role = InvalidOid;
		found->connecting = false;
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
 * Record that something in the queue becomes visible at "due" (a delayed
 * message, a lease end), and wake the worker if that is before its timer:
 * the worker then wakes the slot's sleepers at that time.
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
 * Ask this database's worker to run topic maintenance soon (a topic is
 * filling its last partition).  Returns false when there is no running
 * worker to ask.
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

bool
pgmqc_request_maintenance(void)
{
	return request_work(true);
}

/*
 * Ask this database's worker to fill the consumer groups (topic_read.c);
 * false when there is no running worker to ask.
 */
bool
pgmqc_request_fill(void)
{
	return request_work(false);
}

void
pgmqc_publish_due(int32 queue_id, TimestampTz due)
{
	if (pgmqc_shared == NULL)
		return;
	atomic_min_u64(&pgmqc_slot(queue_id)->next_due, due);
	publish_to_worker(due);
}

/* Backend-local list of slots to wake at the end of the transaction. */
#define MAX_PENDING_WAKES 32

typedef struct PendingWake
{
	PgmqcSlot  *slot;
	int32		queue_id;
	uint32		count;
	bool		notify;
	bool		on_commit;
	TimestampTz due;			/* earliest delayed message, or PGMQC_NO_DUE */
} PendingWake;

static PendingWake pending[MAX_PENDING_WAKES];
static int	npending = 0;
static bool config_changed = false;

/* Tell this database's worker to re-read the notify settings at commit. */
void
pgmqc_config_changed_on_commit(void)
{
	config_changed = true;
}

static void
add_pending(PgmqcQueue *queue, int count, bool notify, bool on_commit,
			TimestampTz due)
{
	PgmqcSlot  *slot;
	int			i;

	if (pgmqc_shared == NULL)
		return;
	slot = pgmqc_slot(queue->queue_id);
	for (i = 0; i < npending; i++)
	{
		if (pending[i].slot == slot && pending[i].on_commit == on_commit)
		{
			pending[i].count = (uint32) Min((uint64) pending[i].count + count,
											PG_UINT32_MAX / 2);
			pending[i].notify |= notify;
			pending[i].due = Min(pending[i].due, due);
			return;
		}
	}
	if (npending == MAX_PENDING_WAKES)
	{
		/* no room: merge into the last entry, which then wakes generously */
		pending[npending - 1].count = PG_UINT32_MAX / 2;
		pending[npending - 1].notify |= notify;
		pending[npending - 1].due = Min(pending[npending - 1].due, due);
		return;
	}
	pending[npending].slot = slot;
	pending[npending].queue_id = queue->queue_id;
	pending[npending].count = count;
	pending[npending].notify = notify;
	pending[npending].on_commit = on_commit;
	pending[npending].due = due;
	npending++;
}

void
pgmqc_wake_on_commit(PgmqcQueue *queue, int count, bool notify)
{
	add_pending(queue, count, notify, true, PGMQC_NO_DUE);
}

/*
 * A delayed message becomes due at "due": tell the worker at commit (not
 * before: an uncommitted message must not be announced, and one that
 * commits after its due time must be announced at once).
 */
void
pgmqc_due_on_commit(PgmqcQueue *queue, TimestampTz due)
{
	add_pending(queue, 1, false, true, due);
}

void
pgmqc_wake_on_abort(PgmqcQueue *queue, int count)
{
	add_pending(queue, count, false, false, PGMQC_NO_DUE);
}

static void
wake_slot(PgmqcSlot *slot, uint32 count)
{
	uint32		waiters;
	uint32		i;

	pg_atomic_fetch_add_u64(&slot->generation, 1);
	waiters = pg_atomic_read_u32(&slot->waiters);
	if (count >= waiters)
	{
		if (waiters > 0)
			ConditionVariableBroadcast(&slot->cv);
		return;
	}
	for (i = 0; i < count; i++)
		ConditionVariableSignal(&slot->cv);
}

/* The transaction ends: send the wake-ups that apply.  Never fails. */
void
pgmqc_wake_xact_end(bool commit)
{
	uint64		notify_bits = 0;
	int			i;

	if (config_changed)
	{
		PgmqcDbWorker *w = pgmqc_my_worker(false);

		config_changed = false;
		if (commit && w != NULL)
		{
			pg_atomic_write_u32(&w->config_changed, 1);
			if (w->latch != NULL)
				SetLatch(w->latch);
		}
	}
	if (npending == 0)
		return;
	for (i = 0; i < npending; i++)
	{
		if (pending[i].on_commit != commit)
			continue;
		wake_slot(pending[i].slot, pending[i].count);
		if (pending[i].notify)
			notify_bits |= UINT64CONST(1) << (pending[i].queue_id % 64);
		if (pending[i].due != PGMQC_NO_DUE)
		{
			/* cannot fail: atomics, a spinlock and SetLatch */
			atomic_min_u64(&pending[i].slot->next_due, pending[i].due);
			publish_to_worker(pending[i].due);
		}
	}
	npending = 0;

	if (notify_bits != 0)
	{
		PgmqcDbWorker *w = pgmqc_my_worker(false);

		/*
		 * Wake the worker only for news: a bit still set means the worker
		 * has not taken it yet, or keeps it set while the queue's throttle
		 * window runs.
		 */
		if (w != NULL &&
			(pg_atomic_fetch_or_u64(&w->notify_bits, notify_bits) & notify_bits) != notify_bits &&
			w->latch != NULL)
			SetLatch(w->latch);
	}
}
