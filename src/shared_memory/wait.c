/*-------------------------------------------------------------------------
 *
 * wait.c
 *		Sleeping inside the server until a queue may have a visible message.
 *
 * Protocol (no lost wake-ups): the caller reads the slot's generation
 * before it looks for messages; pgmqc_sleep() first puts the backend on the
 * slot's condition variable and then compares the generation again, so a
 * commit that happened in between is never slept through.  Sleeps are
 * bounded by the caller's deadline, by the next known due time (a delayed
 * message or a lease end) and by pgmq_c.wait_slice, which caps how late a
 * message that came without a wake-up (rows written into the tables
 * directly) can be found.  A reader of a queue (not of a consumer group)
 * whose slot only this database's readers slept on leaves that to the
 * database's worker when the worker offers it (PgmqcDbWorker.probes): it
 * asks the worker to look into the queue's tables by the end of its slice
 * and every slice after while readers sleep there (PgmqcSlot.probe_at,
 * worker/probes.c), and sleeps on; the worker wakes the slot when its look finds a visible
 * message, publishes the next due time it finds, and wakes the slot when
 * it stops offering.  Hundreds of idle readers then cost one look per
 * queue per slice, in the worker, instead of a wake-up and a look each.
 * While a reason to look early may arise (no
 * worker runs to fire due times, or senders cannot be told apart:
 * senders.c, a slot's overflow or transactions recovered in the prepared
 * state), the sleeper also checks every CHECK_INTERVAL_MS (5 s), without
 * looking into tables, whether it has one; otherwise nothing wakes it but
 * a wake-up, its deadline, its due time or its slice's end.  Every sleep
 * is cancellable (the condition variable and latch waits run
 * CHECK_FOR_INTERRUPTS) and holds no LWLock or spinlock.
 *
 * Without shared_preload_libraries there are no slots: the backend sleeps
 * on its own latch for pgmq_c.poll_interval at a time and looks again.
 *
 * The next due time of a queue is the queue engine's to find
 * (queue/next_due.c); the caller passes it in as "until".
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shared_memory/wait.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "shared_memory/shared_memory.h"

/* GUCs pgmq_c.wait_slice and pgmq_c.poll_interval (registered in pgmq_c.c) */
int			pgmqc_wait_slice_ms = 30000;
int			pgmqc_poll_interval_ms = 20;

/*
 * how often a sleeper checks whether it has reason to look early (the
 * reasons are rare states: every check costs hundreds of idle waiters a
 * wake-up each)
 */
#define CHECK_INTERVAL_MS	5000

/*
 * The generation of the queue's slot, read before looking for messages and
 * passed to pgmqc_sleep; 0 without the shared memory.
 */
uint64
pgmqc_generation(int32 queue_id)
{
	if (pgmqc_shared == NULL)
		return 0;
	return pg_atomic_read_u64(&pgmqc_slot(queue_id)->generation);
}

/* Milliseconds from now until "until", rounded up, at least 1. */
static long
ms_until(TimestampTz until)
{
	TimestampTz now = GetCurrentTimestamp();

	if (until <= now)
		return 1;
	return (long) Min((until - now + 999) / 1000, (int64) INT_MAX);
}

/*
 * Can queue_id's readers not tell its senders apart (senders.c): an
 * overflow of its slot's senders that covers it, or transactions recovered
 * in the prepared state that may run?  Then something they wait for may
 * end without waking them.
 */
static bool
senders_unclear(int32 queue_id)
{
	return pgmqc_senders_recovered_pending() ||
		pgmqc_senders_overflowed(queue_id);
}

/*
 * May a reason to look early arise while a sleeper sleeps on the slot: no
 * worker runs to fire due times, or its senders are unclear?  If not, the
 * sleeper needs no periodic checks: whatever matters wakes it.
 */
static bool
checks_needed(int32 queue_id)
{
	PgmqcDbWorker *worker = pgmqc_my_worker(false);

	return worker == NULL || worker->pid == 0 || senders_unclear(queue_id);
}

/*
 * Has a sleeper on the slot reason to look before its wait ends: a due time
 * passed that nobody woke it for, or unclear senders?
 */
static bool
reason_to_look(PgmqcSlot *slot, int32 queue_id, TimestampTz now)
{
	return (int64) pg_atomic_read_u64(&slot->next_due) <= now ||
		senders_unclear(queue_id);
}

/*
 * Is queue_id's slot still as a reader left it when it found nothing at
 * generation "seen": no wake-up since, and no reason to look early (a
 * worker runs to fire due times, no due time of the slot has passed, its
 * senders are clear)?  Then the reader may sleep without looking again.
 */
bool
pgmqc_slot_quiet(int32 queue_id, uint64 seen)
{
	PgmqcSlot  *slot;

	if (pgmqc_shared == NULL)
		return false;
	slot = pgmqc_slot(queue_id);
	return pg_atomic_read_u64(&slot->generation) == seen &&
		!checks_needed(queue_id) &&
		!reason_to_look(slot, queue_id, GetCurrentTimestamp());
}

/*
 * Does this database's worker look into queue_id's tables for the readers
 * that sleep on its slot past their slice?  It must be running and offer
 * it, and the slot must be this database's alone: the worker then looks
 * into the queue of the slot, or, when readers of several queues slept
 * there, into every queue of the database that maps onto the slot.
 */
static bool
worker_probes(PgmqcSlot *slot, int32 queue_id)
{
	PgmqcDbWorker *worker = pgmqc_my_worker(false);
	uint64		key = ((uint64) MyDatabaseId << 32) | (uint32) queue_id;
	uint64		sleeper_key;

	if (worker == NULL || worker->pid == 0 ||
		pg_atomic_read_u32(&worker->probes) == 0)
		return false;
	sleeper_key = pg_atomic_read_u64(&slot->sleeper_key);
	return sleeper_key == key ||
		(sleeper_key == PGMQC_SLOT_MIXED &&
		 pg_atomic_read_u32(&slot->sleeper_database) == (uint32) MyDatabaseId);
}

/*
 * May a reader of queue_id, which sleeps on the slot past its slice, leave
 * the looks the slice asks for to the worker (worker_probes)?
 */
bool
pgmqc_slot_probed(int32 queue_id)
{
	if (pgmqc_shared == NULL)
		return false;
	return worker_probes(pgmqc_slot(queue_id), queue_id);
}

/*
 * Record which queue, and which database, sleeps on the slot; a second
 * queue makes the slot mixed for good (queues map onto slots by a fixed
 * hash), and wakers then wake every sleeper, since a counted signal could
 * reach the other queue's; a second database makes the worker's looks
 * impossible there for good (worker_probes).
 */
static void
note_sleeper(PgmqcSlot *slot, int32 queue_id)
{
	uint64		key = ((uint64) MyDatabaseId << 32) | (uint32) queue_id;
	uint64		current = pg_atomic_read_u64(&slot->sleeper_key);
	uint32		mine = (uint32) MyDatabaseId;
	uint32		database = pg_atomic_read_u32(&slot->sleeper_database);

	/* the database first: a slot mixed within one database may be probed */
	if (database == 0 &&
		pg_atomic_compare_exchange_u32(&slot->sleeper_database, &database, mine))
		database = mine;
	if (database != mine && database != PGMQC_SLOT_MIXED_DATABASES)
		pg_atomic_write_u32(&slot->sleeper_database, PGMQC_SLOT_MIXED_DATABASES);

	if (current == key || current == PGMQC_SLOT_MIXED)
		return;
	if (current == 0 &&
		pg_atomic_compare_exchange_u64(&slot->sleeper_key, &current, key))
		return;
	if (current != key)
		pg_atomic_write_u64(&slot->sleeper_key, PGMQC_SLOT_MIXED);
}

/*
 * The slot this backend is counted among the sleepers of (slot->waiters),
 * or NULL.  A backend that exits while it sleeps (pg_terminate_backend, a
 * client gone: FATAL, which no PG_CATCH sees) takes itself off the count
 * in a before_shmem_exit callback, or the slot would look watched forever.
 */
static PgmqcSlot *counted_slot = NULL;

static void
uncount_sleeper(void)
{
	if (counted_slot != NULL)
		pg_atomic_fetch_sub_u32(&counted_slot->waiters, 1);
	counted_slot = NULL;
}

static void
uncount_sleeper_at_exit(int code, Datum arg)
{
	uncount_sleeper();
}

static void
count_sleeper(PgmqcSlot *slot)
{
	static bool exit_callback = false;

	if (!exit_callback)
	{
		before_shmem_exit(uncount_sleeper_at_exit, (Datum) 0);
		exit_callback = true;
	}
	/* counted still if an error came between counting and the sleep */
	uncount_sleeper();
	pg_atomic_fetch_add_u32(&slot->waiters, 1);
	counted_slot = slot;
}

/*
 * The slot whose wake-up ended this backend's last sleep, until the look
 * that follows is done (pgmqc_wake_taken).  A send that makes one message
 * visible wakes one sleeper of its slot: should the woken backend fail
 * before its look (a cancel, a lock timeout, its connection ended), the
 * abort of its transaction or subtransaction passes the wake-up on to
 * another sleeper (pgmqc_wake_pass_on), or that one would sleep past the
 * message.
 */
static PgmqcSlot *woken_slot = NULL;

/* The look that followed the last wake-up is done. */
void
pgmqc_wake_taken(void)
{
	woken_slot = NULL;
}

/* A (sub)transaction aborts: pass on a wake-up not looked after. */
void
pgmqc_wake_pass_on(void)
{
	PgmqcSlot  *slot = woken_slot;

	woken_slot = NULL;
	if (slot != NULL && pgmqc_shared != NULL)
		pgmqc_wake_slot_one(slot);
}

/*
 * One sleep on the slot's condition variable, prepared by the caller, who
 * counted itself among the slot's sleepers, for at most timeout ms.  An
 * error (a cancel) after a wake-up past generation "seen" leaves it to be
 * passed on.
 */
static void
timed_sleep(PgmqcSlot *slot, uint64 seen, long timeout)
{
	PG_TRY();
	{
		if (!ConditionVariableTimedSleep(&slot->cv, timeout, PG_WAIT_EXTENSION))
			pg_atomic_fetch_add_u64(&pgmqc_shared->wakeups, 1);
	}
	PG_CATCH();
	{
		uncount_sleeper();
		ConditionVariableCancelSleep();
		if (pg_atomic_read_u64(&slot->generation) != seen)
			woken_slot = slot;
		PG_RE_THROW();
	}
	PG_END_TRY();
	uncount_sleeper();
	ConditionVariableCancelSleep();
}

/*
 * Sleep until the queue's slot is woken after generation "seen", or until
 * "until" (the caller's deadline or the next due time), or for at most one
 * slice.  With probed (a queue's reader), the worker may look into the
 * queue's tables at the slice's end instead (worker_probes), and the sleep
 * goes on past it.  Returns without sleeping if the slot was woken
 * already.  Returns false if it slept until "until" with nothing new to
 * look at, true if it was woken, the slice ended or something else asks
 * for a look (see the file header).
 */
bool
pgmqc_sleep(int32 queue_id, uint64 seen, TimestampTz until, bool probed)
{
	PgmqcSlot  *slot;
	TimestampTz slice_end;
	bool		probing = false;
	bool		asked = false;

	slice_end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											pgmqc_shared ? pgmqc_wait_slice_ms
											: pgmqc_poll_interval_ms);
	if (pgmqc_shared == NULL)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 ms_until(Min(until, slice_end)), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		return true;
	}

	slot = pgmqc_slot(queue_id);
	note_sleeper(slot, queue_id);
	for (;;)
	{
		TimestampTz now;
		long		timeout;

		/*
		 * Counted among the sleepers before reading the generation: a waker
		 * bumps the generation before it counts the sleepers (wakeups.c), so
		 * either this sees its bump or it sees this sleeper.
		 */
		ConditionVariablePrepareToSleep(&slot->cv);
		count_sleeper(slot);
		if (pg_atomic_read_u64(&slot->generation) != seen)
		{
			uncount_sleeper();
			ConditionVariableCancelSleep();
			woken_slot = slot;
			return true;
		}

		/*
		 * Counted among the sleepers before asking for the worker's look: the
		 * worker, which stops looking for a slot when nobody sleeps there,
		 * then sees this sleeper or its request.
		 */
		probing = probed && worker_probes(slot, queue_id);
		if (probing && !asked)
		{
			pgmqc_publish_probe(slot, slice_end, pgmqc_wait_slice_ms);
			asked = true;
		}
		timeout = ms_until(probing ? until : Min(until, slice_end));
		if (checks_needed(queue_id))
			timeout = Min(timeout, CHECK_INTERVAL_MS);
		timed_sleep(slot, seen, timeout);

		if (pg_atomic_read_u64(&slot->generation) != seen)
		{
			woken_slot = slot;
			return true;
		}
		now = GetCurrentTimestamp();
		if (now >= slice_end && !(probing && worker_probes(slot, queue_id)))
			return true;
		if (now >= until)
			return false;
		if (reason_to_look(slot, queue_id, now))
			return true;
	}
}
