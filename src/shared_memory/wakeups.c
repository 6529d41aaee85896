/*-------------------------------------------------------------------------
 *
 * wakeups.c
 *		Waking the sleepers of a wake-up slot: at the end of a transaction,
 *		and (for the background worker) at due times.
 *
 * send() and a nack record the slot in a backend-local list; the
 * transaction callback signals the slot's condition variable at
 * XACT_EVENT_COMMIT, which runs after ProcArrayEndTransaction, so the new
 * snapshot a woken reader takes sees the committed rows.  A rolled-back
 * send wakes nobody.  A read records the slot for XACT_EVENT_ABORT instead:
 * its messages become visible again only if it rolls back.  Each wake-up
 * bumps the slot's generation and signals at most as many sleepers as
 * messages became visible, so one message wakes about one reader.  At
 * commit the same list also hands the database's worker the due times of
 * delayed messages, the queues to notify and changed notify settings.
 *
 * The callback must not fail (it runs after the commit is durable): it
 * only touches atomics, spinlocks, condition variables and latches, never
 * allocates, and drops what does not fit in its fixed list by waking every
 * sleeper of the slot instead.
 *
 * Due times: a delayed message or a lease end lowers its slot's next_due
 * (shmem.c); the worker calls pgmqc_wake_due_slots when its timer fires,
 * which wakes every sleeper of each slot whose due time has come.  Slots
 * are shared by every database, and so is a slot's due time: the worker of
 * whichever database comes first clears it.  It counts that in the slot
 * (due_fired) and sets the other workers' latches, so that each worker
 * learns of every due time of its slots (it sends the notifications of
 * its own database's queues at those times, notifications.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shared_memory/wakeups.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "shared_memory/shared_memory.h"

/*
 * Backend-local list of slots to wake at the end of the transaction, of
 * length PGMQC_MAX_PENDING_WAKES: past it, wake-ups merge into the last
 * entry.
 */
typedef struct PendingWake
{
	PgmqcSlot  *slot;
	uint32		count;
	uint64		notify_bits;	/* PGMQC_NOTIFY_BIT of every queue recorded
								 * here that asked for a NOTIFY */
	uint64		late_bits;		/* ... of every queue with a due time here:
								 * announced when it has passed at commit */
	bool		on_commit;
	TimestampTz due;			/* earliest delayed message, or PGMQC_NO_DUE */
	TimestampTz due_last;		/* the latest due time recorded here (0: none) */
} PendingWake;

static PendingWake pending[PGMQC_MAX_PENDING_WAKES];
static int	npending = 0;

/*
 * What did not fit in the list, for commit ([true]) and for "at abort, or
 * at a commit after its due time" ([false]): every slot is woken then
 * (wake_all_at_*), and these keep its notifications, due times and the
 * bits announced when the due time has passed.
 */
typedef struct OverflowWakes
{
	uint64		notify_bits;
	uint64		late_bits;
	TimestampTz due;
}			OverflowWakes;

static OverflowWakes overflow[2] =
{
	{
		0, 0, PGMQC_NO_DUE
	},
	{
		0, 0, PGMQC_NO_DUE
	}
};

/* at commit, announce every queue (pgmqc_notify_all_on_commit) */
static bool notify_all_at_commit = false;

/* something went into overflow[] */
static bool overflowed = false;

static void
reset_overflow(void)
{
	int			i;

	for (i = 0; i < 2; i++)
	{
		overflow[i].notify_bits = 0;
		overflow[i].late_bits = 0;
		overflow[i].due = PGMQC_NO_DUE;
	}
	overflowed = false;
}
static bool config_changed = false;
static bool wake_all_at_commit = false;
static bool wake_all_at_abort = false;

static void wake_slot(PgmqcSlot *slot, uint32 count);

/* wake-ups this backend has registered, ever (pgmqc_local_wakes) */
static uint64 local_wakes = 0;

/* Tell this database's worker to re-read the notify settings at commit. */
void
pgmqc_config_changed_on_commit(void)
{
	config_changed = true;
}

static void
add_pending_slot(PgmqcSlot *slot, int count, uint64 notify_bits,
				 uint64 late_bits, bool on_commit, TimestampTz due)
{
	int			i;

	local_wakes++;
	for (i = 0; i < npending; i++)
	{
		if (pending[i].slot == slot && pending[i].on_commit == on_commit)
		{
			pending[i].count = (uint32) Min((uint64) pending[i].count + count,
											PGMQC_WAKE_ALL);
			pending[i].notify_bits |= notify_bits;
			pending[i].late_bits |= late_bits;
			pending[i].due = Min(pending[i].due, due);
			if (due != PGMQC_NO_DUE)
				pending[i].due_last = Max(pending[i].due_last, due);
			return;
		}
	}
	if (npending == PGMQC_MAX_PENDING_WAKES)
	{
		/*
		 * No room: wake every slot at the end instead, and keep the
		 * notifications and due time aside, with the entries of the same kind
		 * (the last entry may be of the other kind, whose end does not come).
		 */
		OverflowWakes *o = &overflow[on_commit ? 1 : 0];

		if (on_commit)
			wake_all_at_commit = true;
		else
			wake_all_at_abort = true;
		o->notify_bits |= notify_bits;
		o->late_bits |= late_bits;
		o->due = Min(o->due, due);
		overflowed = true;
		return;
	}
	pending[npending].slot = slot;
	pending[npending].count = count;
	pending[npending].notify_bits = notify_bits;
	pending[npending].late_bits = late_bits;
	pending[npending].on_commit = on_commit;
	pending[npending].due = due;
	pending[npending].due_last = due != PGMQC_NO_DUE ? due : 0;
	npending++;
}

static void
add_pending(int32 queue_id, int count, bool notify, bool late_notify,
			bool on_commit, TimestampTz due)
{
	if (pgmqc_shared == NULL)
		return;

	/*
	 * A due time (a delayed message's, a lease's end) that has passed when
	 * the transaction commits makes its messages visible at the commit, as a
	 * send does: announce the queue then (the worker's look at the queue
	 * after a due time counts only what came due since its last look, which
	 * may have been before the commit), if it has notifications on.
	 */
	add_pending_slot(pgmqc_slot(queue_id), count,
					 notify ? PGMQC_NOTIFY_BIT(queue_id) : 0,
					 late_notify && due != PGMQC_NO_DUE ? PGMQC_NOTIFY_BIT(queue_id) : 0,
					 on_commit, due);
}

/*
 * At commit, wake count sleepers of the queue's slot (PGMQC_WAKE_ALL: every
 * one); with notify, ask the worker to send the queue's NOTIFY.
 */
void
pgmqc_wake_on_commit(int32 queue_id, int count, bool notify)
{
	add_pending(queue_id, count, notify, false, true, PGMQC_NO_DUE);
}

/*
 * A delayed message becomes due at "due": tell the worker at commit (not
 * before: an uncommitted message must not be announced, and one that
 * commits after its due time must be announced at once, when notify).
 */
void
pgmqc_due_on_commit(int32 queue_id, TimestampTz due, bool notify)
{
	add_pending(queue_id, 1, false, notify, true, due);
}

/* At abort (only), wake count sleepers of the queue's slot. */
void
pgmqc_wake_on_abort(int32 queue_id, int count)
{
	add_pending(queue_id, count, false, false, false, PGMQC_NO_DUE);
}

/*
 * A claim leased count messages of the queue until lease_end: at abort they
 * are available again, so wake count sleepers then; at commit, wake them
 * too if the lease has ended by then, since the messages were visible but
 * locked by this transaction when their lease end fired (and, when notify,
 * announce the queue: the worker's look at the lease end did not see it).
 */
void
pgmqc_wake_on_abort_or_late_commit(int32 queue_id, int count,
								   TimestampTz lease_end, bool notify)
{
	add_pending(queue_id, count, false, notify, false, lease_end);
}

/*
 * At commit, announce every queue with notifications on: the transaction
 * finishes a prepared one whose wake-ups were lost with a restart.
 */
void
pgmqc_notify_all_on_commit(void)
{
	notify_all_at_commit = true;
}

/*
 * At commit, publish due time "due" to every slot: this transaction
 * finishes a prepared one whose wake-ups overflowed its list.
 */
void
pgmqc_due_all_slots_on_commit(TimestampTz due)
{
	overflow[1].due = Min(overflow[1].due, due);
	overflowed = true;
	wake_all_at_commit = true;
}

/*
 * A subtransaction rolls back: what its claims leased is available again
 * now, so wake the slots of the abort wake-ups registered so far (some may
 * be the parent's: one wake-up too many costs a look), and count it as a
 * wake-up of this backend, whose own last look may have missed them
 * (common/claiming.c).  They stay registered for the transaction's end.
 */
void
pgmqc_wake_subxact_abort(void)
{
	int			i;

	local_wakes++;
	if (pgmqc_shared == NULL)
		return;
	for (i = 0; i < npending; i++)
	{
		if (!pending[i].on_commit)
			wake_slot(pending[i].slot, pending[i].count);
	}
	if (wake_all_at_abort)
	{
		for (i = 0; i < pgmqc_shared->nslots; i++)
			wake_slot(&pgmqc_shared->slots[i], PGMQC_WAKE_ALL);
	}
}

/* Wake one sleeper of the slot now (a wake-up passed on: wait.c). */
void
pgmqc_wake_slot_one(PgmqcSlot *slot)
{
	wake_slot(slot, 1);
}

/* Bump the slot's generation and wake count of its sleepers. */
static void
wake_slot(PgmqcSlot *slot, uint32 count)
{
	uint32		waiters;
	uint32		i;

	/* the bump first, then the count of sleepers: see pgmqc_sleep */
	pg_atomic_fetch_add_u64(&slot->generation, 1);
	waiters = pg_atomic_read_u32(&slot->waiters);
	pg_read_barrier();
	if (pg_atomic_read_u64(&slot->sleeper_key) == PGMQC_SLOT_MIXED)
		count = PGMQC_WAKE_ALL;
	if (count >= waiters)
	{
		if (waiters > 0)
			ConditionVariableBroadcast(&slot->cv);
		return;
	}
	for (i = 0; i < count; i++)
		ConditionVariableSignal(&slot->cv);
}

/*
 * This transaction finishes a prepared one (prepared_wakes.c): at its
 * commit, send the prepared transaction's wake-ups of its outcome (commit:
 * those recorded for a commit, and those of leases it took that have ended
 * since), and its notifications.
 */
void
pgmqc_wake_slots_on_commit(const int32 *slot, const bool *on_commit,
						   const TimestampTz *due, const uint64 *late_bits,
						   int nwakes, bool commit, uint64 notify_bits)
{
	int			i;

	if (pgmqc_shared == NULL)
		return;
	for (i = 0; i < nwakes; i++)
	{
		if (slot[i] < 0 || slot[i] >= pgmqc_shared->nslots)
			continue;
		if (on_commit[i] != commit)
		{
			/*
			 * a claim's lease that ended while the transaction was prepared:
			 * its sleepers found the row locked and wait for this commit, as
			 * in pgmqc_wake_xact_end
			 */
			if (commit && due[i] != PGMQC_NO_DUE)
			{
				if (due[i] <= GetCurrentTimestamp())
					add_pending_slot(&pgmqc_shared->slots[slot[i]], PGMQC_WAKE_ALL,
									 late_bits[i], 0, true, PGMQC_NO_DUE);
				else
					/* a lease still running: its end, published again */
					add_pending_slot(&pgmqc_shared->slots[slot[i]], 0, 0, 0,
									 true, due[i]);
			}
			continue;
		}
		add_pending_slot(&pgmqc_shared->slots[slot[i]], PGMQC_WAKE_ALL,
						 notify_bits, commit ? late_bits[i] : 0, true, due[i]);
		notify_bits = 0;
	}
	if (notify_bits != 0 && pgmqc_shared->nslots > 0)
		add_pending_slot(&pgmqc_shared->slots[0], 0, notify_bits, 0, true,
						 PGMQC_NO_DUE);
}

/* At commit, wake every sleeper of every slot. */
void
pgmqc_wake_all_slots_on_commit(void)
{
	local_wakes++;
	wake_all_at_commit = true;
}

/*
 * How many wake-ups this backend has registered so far, counting each
 * rollback of a transaction or subtransaction as one.  A change tells a
 * reader that its own transaction may have made messages visible to itself
 * that no slot's generation shows yet, or undone what its last look saw
 * (common/claiming.c).
 */
uint64
pgmqc_local_wakes(void)
{
	return local_wakes;
}

/*
 * The transaction is prepared: its wake-ups wait in shared memory for the
 * session that finishes it (prepared_wakes.c).  Never fails.
 */
void
pgmqc_wake_xact_prepared(void)
{
	int32		slot[PGMQC_MAX_PENDING_WAKES];
	bool		on_commit[PGMQC_MAX_PENDING_WAKES];
	TimestampTz due[PGMQC_MAX_PENDING_WAKES];
	uint64		late_bits[PGMQC_MAX_PENDING_WAKES];
	uint64		notify_bits = 0;
	TimestampTz overflow_due;
	bool		all_commit = wake_all_at_commit;
	bool		all_abort = wake_all_at_abort;
	bool		changed = config_changed;
	int			i;

	config_changed = false;
	wake_all_at_commit = false;
	wake_all_at_abort = false;

	/*
	 * What overflowed the list is announced at COMMIT PREPARED whether or not
	 * its due times have passed by then (a spurious notification at worst);
	 * its due times are lost, as its slots are all woken.
	 */
	notify_bits = overflow[1].notify_bits | overflow[1].late_bits |
		overflow[0].late_bits;
	overflow_due = overflow[1].due;
	reset_overflow();
	if (pgmqc_shared == NULL)
	{
		npending = 0;
		return;
	}
	for (i = 0; i < npending; i++)
	{
		slot[i] = (int32) (pending[i].slot - pgmqc_shared->slots);
		on_commit[i] = pending[i].on_commit;
		due[i] = pending[i].due;
		late_bits[i] = pending[i].late_bits;
		if (pending[i].on_commit)
			notify_bits |= pending[i].notify_bits;
	}
	pgmqc_prepared_wakes_store(slot, on_commit, due, late_bits, npending,
							   notify_bits, all_commit, all_abort, changed,
							   overflow_due);
	npending = 0;
}

/* The transaction ends: send the wake-ups that apply.  Never fails. */
void
pgmqc_wake_xact_end(bool commit)
{
	uint64		notify_bits = 0;
	TimestampTz now = 0;
	int			i;

	if ((commit && wake_all_at_commit) || (!commit && wake_all_at_abort))
	{
		if (pgmqc_shared != NULL)
		{
			for (i = 0; i < pgmqc_shared->nslots; i++)
				wake_slot(&pgmqc_shared->slots[i], PGMQC_WAKE_ALL);
		}
	}
	wake_all_at_commit = false;
	wake_all_at_abort = false;
	if (!commit)
		local_wakes++;			/* see pgmqc_local_wakes */

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
	if (npending == 0 && !notify_all_at_commit && !overflowed)
		return;
	if (commit)
	{
		now = GetCurrentTimestamp();
		for (i = 0; i < npending; i++)
		{
			if (!pending[i].on_commit)
			{
				/*
				 * a claim's lease that ended before its transaction
				 * committed: its sleepers found the rows locked, and the
				 * worker's look at the lease end did not see them
				 */
				if (pending[i].due != PGMQC_NO_DUE && pending[i].due <= now)
				{
					wake_slot(pending[i].slot, pending[i].count);
					notify_bits |= pending[i].late_bits;
				}
				continue;
			}
			wake_slot(pending[i].slot, pending[i].count);
			notify_bits |= pending[i].notify_bits;
			if (pending[i].due <= now)
				notify_bits |= pending[i].late_bits;
		}
		/* what did not fit in the list (every slot was woken above) */
		notify_bits |= overflow[1].notify_bits;
		if (overflow[1].due <= now)
			notify_bits |= overflow[1].late_bits;
		if (overflow[0].due <= now)
		{
			notify_bits |= overflow[0].late_bits;
			if (pgmqc_shared != NULL)
			{
				for (i = 0; i < pgmqc_shared->nslots; i++)
					wake_slot(&pgmqc_shared->slots[i], PGMQC_WAKE_ALL);
			}
		}
		if (notify_all_at_commit)
			notify_bits = ~UINT64CONST(0);
	}
	else
	{
		for (i = 0; i < npending; i++)
		{
			if (!pending[i].on_commit)
				wake_slot(pending[i].slot, pending[i].count);
		}
	}

	/*
	 * The notifications first, then the due times: a due time that has passed
	 * wakes the worker at once, and a worker that saw it before these bits
	 * would look, find the late-committed delayed message and announce the
	 * queue, and then announce it again for the bit.
	 */
	if (notify_bits != 0)
	{
		PgmqcDbWorker *w = pgmqc_my_worker(false);

		/*
		 * Wake the worker only for news: a bit still set means the worker has
		 * not taken it yet, or keeps it set while the queue's throttle window
		 * runs.  After a prepared transaction lost with a restart, the worker
		 * also computes every queue's next due time again.
		 */
		if (w != NULL && commit && notify_all_at_commit)
			pg_atomic_write_u32(&w->recheck_all, 1);
		if (w != NULL &&
			((pg_atomic_fetch_or_u64(&w->notify_bits, notify_bits) & notify_bits) != notify_bits ||
			 (commit && notify_all_at_commit)) &&
			w->latch != NULL)
			SetLatch(w->latch);
	}
	if (commit)
	{
		/*
		 * Cannot fail: atomics, a spinlock and SetLatch.  Lease ends still
		 * ahead too, published when the claims were made: a due time of the
		 * slot that fired since (before this commit) took them away, and the
		 * worker's look then saw the rows as they were before the claims.
		 * When some of an entry's leases have ended (announced above) and
		 * others not, the worker looks now, and finds the next end itself.
		 * (Leases that did not fit in the list are not published again: each
		 * would be published to every slot.)
		 */
		for (i = 0; i < npending; i++)
		{
			if (pending[i].due == PGMQC_NO_DUE)
				continue;
			if (pending[i].on_commit)
				pgmqc_publish_slot_due(pending[i].slot, pending[i].due);
			else if (pending[i].due_last > now)
				pgmqc_publish_slot_due(pending[i].slot,
									   Max(pending[i].due, now));
		}
		if (overflow[1].due != PGMQC_NO_DUE && pgmqc_shared != NULL)
		{
			for (i = 0; i < pgmqc_shared->nslots; i++)
				pgmqc_publish_slot_due(&pgmqc_shared->slots[i], overflow[1].due);
		}
	}
	npending = 0;
	reset_overflow();
	notify_all_at_commit = false;
}

/*
 * Wake every sleeper of the slot now (the worker, whose look into a queue's
 * tables found something for them, or which leaves).
 */
void
pgmqc_wake_slot_now(PgmqcSlot *slot)
{
	pg_atomic_fetch_add_u64(&slot->generation, 1);
	ConditionVariableBroadcast(&slot->cv);
}

/*
 * For the worker: wake every sleeper of each slot whose due time has come,
 * clearing that due time; fired[i] tells whether slot i came due since the
 * last call, woken by this worker or by another database's.  Returns the
 * earliest due time still ahead, or PGMQC_NO_DUE.  Needs the shared
 * memory.
 */
TimestampTz
pgmqc_wake_due_slots(TimestampTz now, bool *fired)
{
	static uint64 *seen_fired = NULL;
	TimestampTz next = PGMQC_NO_DUE;
	bool		woke_any = false;
	int			i;

	if (seen_fired == NULL)
	{
		seen_fired = MemoryContextAlloc(TopMemoryContext,
										pgmqc_shared->nslots * sizeof(uint64));
		for (i = 0; i < pgmqc_shared->nslots; i++)
			seen_fired[i] = pg_atomic_read_u64(&pgmqc_shared->slots[i].due_fired);
	}

	for (i = 0; i < pgmqc_shared->nslots; i++)
	{
		PgmqcSlot  *s = &pgmqc_shared->slots[i];
		uint64		due = pg_atomic_read_u64(&s->next_due);
		uint64		count;

		while ((int64) due <= now)
		{
			if (pg_atomic_compare_exchange_u64(&s->next_due, &due,
											   (uint64) PGMQC_NO_DUE))
			{
				pg_atomic_fetch_add_u64(&s->generation, 1);
				ConditionVariableBroadcast(&s->cv);
				pg_atomic_fetch_add_u64(&s->due_fired, 1);
				woke_any = true;
				due = PGMQC_NO_DUE;
				break;
			}
		}
		if ((int64) due < next)
			next = (int64) due;

		/* woken at a due time since the last call, by us or another worker */
		count = pg_atomic_read_u64(&s->due_fired);
		fired[i] = count != seen_fired[i];
		seen_fired[i] = count;
	}

	/*
	 * The other databases' workers look at the slots that came due: those
	 * whose timer is set for later than now (they planned their sleep before
	 * this due time existed); the others wake now anyway.
	 */
	if (woke_any)
	{
		Latch	   *latches[PGMQC_MAX_DATABASES];
		int			n = 0;

		SpinLockAcquire(&pgmqc_shared->mutex);
		for (i = 0; i < PGMQC_MAX_DATABASES; i++)
		{
			PgmqcDbWorker *w = &pgmqc_shared->workers[i];
			Latch	   *latch = w->latch;

			if (latch != NULL && latch != MyLatch &&
				(int64) pg_atomic_read_u64(&w->timer) > now)
				latches[n++] = latch;
		}
		SpinLockRelease(&pgmqc_shared->mutex);
		for (i = 0; i < n; i++)
			SetLatch(latches[i]);
	}
	return next;
}
