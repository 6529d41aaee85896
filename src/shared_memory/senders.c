/*-------------------------------------------------------------------------
 *
 * senders.c
 *		The open transactions that have sent to a queue or a topic.
 *
 * A group's cursor, or a queue's watermark, may pass a msg_id only once the
 * transaction that took it has ended (topic/settled_ids.c,
 * queue/watermark.c): before that, the message may still commit.  Without
 * further knowledge that means waiting for every transaction with an older
 * XID in the whole cluster, so that one long transaction that writes
 * anything would hold back every queue and topic.  Instead, each sender
 * records its top-level XID with its database and queue or topic, before
 * it draws its msg_id (common/sending.c), in the wake-up slot of the queue
 * or topic (shared_memory.h), and readers wait only for those of their own
 * queue or topic: a transaction that sent to another queue of the slot,
 * of this database or another, holds back no reader of this one.
 *
 * A topic's sender also records the first msg_id it drew (after drawing
 * it), so that a reader holds back only the messages from that one on, not
 * those sent before it that a look at the topic's sequence also covered
 * (topic/settled_ids.c).  Until it is recorded, the reader holds back all.
 *
 * A slot has room for PGMQC_SLOT_SENDERS (32) entries.  An entry is freed
 * when its transaction commits or aborts; a prepared transaction keeps its
 * entry until a later sender finds it older than the oldest running
 * transaction.  A sender that finds its slot full goes unrecorded: it
 * notes the slot's overflow with its queue (or "several queues" once
 * senders of two overflowed) and takes the sender lock of its queue, a
 * lock of pgmq_c's own held to the end of its transaction
 * (sender_locks.c).  Until the overflow is behind them, the readers of
 * that queue (of every queue of the slot, for several) look for their
 * senders among the slot's entries and among the holders of their queue's
 * sender lock: that costs them a look at the lock table, never a wait for
 * a transaction that did not send to their queue (before session 50 they
 * waited for every older transaction, and a role could make another's
 * topic wait on purpose by filling its slot: reviews h28, h31).  Without
 * the preload there are no slots, and readers wait for every older
 * transaction.
 *
 * Shared memory starts empty at every server start, but a prepared
 * transaction survives restarts and crashes: a sender recovered that way
 * is recorded nowhere.  So every sending transaction takes its sender
 * locks at PREPARE TRANSACTION, which a restart takes again for it; the
 * first call after the server took writes fixes a horizon, the next XID
 * then (every recovered transaction is older), and until every prepared
 * transaction below it has ended, readers look among the lock holders
 * too.  With max_prepared_transactions = 0 (PostgreSQL's default) there is
 * none to fear, and the horizon is passed at once.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shared_memory/senders.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/twophase.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/procarray.h"
#include "utils/snapmgr.h"

#include "shared_memory/shared_memory.h"

/*
 * The entries this backend made in the current transaction, as many as
 * MAX_MINE (one per slot it sent to); past that, an entry is still freed by
 * a later sender that finds it older than the oldest running transaction.
 */
#define MAX_MINE	32

static struct
{
	PgmqcSlot  *slot;
	TransactionId xid;
	int32		queue_id;
	bool		drew;			/* its first msg_id is recorded */
	bool		locked;			/* it holds the sender lock */
}			mine[MAX_MINE];
static int	nmine = 0;

/* Is entry e a sender to the queue or topic queue_id of this database? */
static inline bool
sender_of(const PgmqcSender *e, int32 queue_id)
{
	return e->queue_id == queue_id && e->database == MyDatabaseId;
}

/*
 * Note under senders_lock that a sender (xid) to the queue or topic
 * queue_id of database went unrecorded in the slot: its readers then wait
 * for all older transactions until it is behind them ("several queues"
 * once two queues' senders went unrecorded).
 */
static void
note_overflow(PgmqcSlot *slot, Oid database, int32 queue_id, TransactionId xid)
{
	if (!TransactionIdIsValid(slot->overflow_xid))
	{
		slot->overflow_database = database;
		slot->overflow_queue_id = queue_id;
	}
	else if (slot->overflow_database != database ||
			 slot->overflow_queue_id != queue_id)
		slot->overflow_queue_id = PGMQC_OVERFLOW_MIXED;
	if (!TransactionIdIsValid(slot->overflow_xid) ||
		TransactionIdPrecedes(slot->overflow_xid, xid))
		slot->overflow_xid = xid;
}

/*
 * Record the current transaction as a sender to the queue or topic
 * topic_id.  Call before drawing a msg_id.
 *
 * Entries older than the oldest running transaction are free (a prepared
 * transaction's, once it ended).  A sender that finds the slot full goes
 * unrecorded: it notes the overflow and takes the sender lock
 * (sender_locks.c), where the readers of a queue the overflow covers look
 * for it.  So does a sender whose entry this backend cannot keep in mine[].
 */
void
pgmqc_sender_register(int32 topic_id)
{
	TransactionId xid = GetTopTransactionId();
	TransactionId oldest = InvalidTransactionId;
	PgmqcSlot  *slot;
	bool		recorded = false;
	int			attempt;
	int			i;

	if (pgmqc_shared == NULL)
		return;
	slot = pgmqc_slot(topic_id);
	for (i = 0; i < nmine; i++)
	{
		if (mine[i].slot == slot && mine[i].xid == xid &&
			mine[i].queue_id == topic_id)
			return;
	}

	/* the second attempt counts entries older than the oldest as free */
	for (attempt = 0; attempt < 2 && !recorded; attempt++)
	{
		int			free_entry = -1;

		if (attempt == 1)
			oldest = GetOldestActiveTransactionId();	/* takes ProcArrayLock */
		SpinLockAcquire(&slot->senders_lock);
		for (i = 0; i < PGMQC_SLOT_SENDERS; i++)
		{
			PgmqcSender *e = &slot->senders[i];

			if (e->xid == xid && sender_of(e, topic_id))
			{
				recorded = true;
				break;
			}
			if (free_entry < 0 &&
				(!TransactionIdIsValid(e->xid) ||
				 (TransactionIdIsValid(oldest) && TransactionIdPrecedes(e->xid, oldest))))
				free_entry = i;
		}
		if (!recorded && free_entry >= 0)
		{
			slot->senders[free_entry].xid = xid;
			slot->senders[free_entry].database = MyDatabaseId;
			slot->senders[free_entry].queue_id = topic_id;
			slot->senders[free_entry].first_id = 0;
			recorded = true;
		}
		else if (!recorded && attempt == 1)
			note_overflow(slot, MyDatabaseId, topic_id, xid);
		SpinLockRelease(&slot->senders_lock);
	}

	if (!recorded || nmine >= MAX_MINE)
		pgmqc_sender_lock(topic_id);
	if (nmine < MAX_MINE)
	{
		mine[nmine].slot = slot;
		mine[nmine].xid = xid;
		mine[nmine].queue_id = topic_id;
		mine[nmine].drew = false;
		mine[nmine].locked = !recorded;
		nmine++;
	}
}

/*
 * PREPARE TRANSACTION begins.  If the transaction sent, it takes the sender
 * locks it does not hold yet, and its backend is marked until its locks
 * belong to the prepared transaction, for the readers that look for
 * senders in the lock manager (sender_locks.c).
 */
void
pgmqc_senders_xact_preparing(void)
{
	int32		queue_ids[MAX_MINE];
	int			i;

	if (nmine == 0)
		return;

	/*
	 * A restart forgets the slots' entries but takes the prepared
	 * transaction's locks again: the sender locks tell its readers then.
	 */
	for (i = 0; i < nmine; i++)
	{
		if (!mine[i].locked)
		{
			pgmqc_sender_lock(mine[i].queue_id);
			mine[i].locked = true;
		}
		queue_ids[i] = mine[i].queue_id;
	}
	/* past MAX_MINE, the queues are not all known: the mark covers all */
	pgmqc_preparing_sender_mark(queue_ids, nmine < MAX_MINE ? nmine : -1);
}

/*
 * The transaction ends.  At commit or abort its entries are freed; after
 * PREPARE TRANSACTION they stay, as the transaction is still running.
 * Never fails.
 */
void
pgmqc_senders_xact_end(bool prepared)
{
	int			i;
	int			j;

	if (!prepared)
	{
		for (i = 0; i < nmine; i++)
		{
			PgmqcSlot  *slot = mine[i].slot;

			SpinLockAcquire(&slot->senders_lock);
			for (j = 0; j < PGMQC_SLOT_SENDERS; j++)
			{
				if (slot->senders[j].xid == mine[i].xid)
					slot->senders[j].xid = InvalidTransactionId;
			}
			SpinLockRelease(&slot->senders_lock);
		}
	}
	nmine = 0;
}

/* Has every transaction with an XID below xid, other than ours, ended? */
static bool
all_ended_before(TransactionId xid)
{
	Snapshot	snap = GetLatestSnapshot();
	uint32		i;

	if (TransactionIdPrecedes(snap->xmax, xid))
		return false;
	for (i = 0; i < snap->xcnt; i++)
	{
		if (TransactionIdPrecedes(snap->xip[i], xid))
			return false;
	}
	return true;
}

/*
 * recovered_horizon once no transaction below it runs any more (every
 * transaction is then recorded, or was started by this server)
 */
#define HORIZON_PASSED	FrozenTransactionId

/*
 * Does a prepared transaction with an XID below limit run?  A running XID
 * that no backend owns belongs to a prepared transaction (or to one that
 * has just ended, which errs on the safe side).
 */
static bool
prepared_running_below(TransactionId limit)
{
	Snapshot	snap = GetLatestSnapshot();
	uint32		i;

	for (i = 0; i < snap->xcnt; i++)
	{
		if (TransactionIdPrecedes(snap->xip[i], limit) &&
			BackendXidGetPid(snap->xip[i]) == 0)
			return true;
	}
	return false;
}

/*
 * The recovered horizon, fixed on first use after the server took writes:
 * HORIZON_PASSED once no prepared transaction below it runs (at once with
 * max_prepared_transactions = 0), InvalidTransactionId while recovery goes
 * on (a standby's prepared transactions are recovered at promotion), else
 * the horizon, with a prepared transaction below it running.  In a
 * transaction.
 */
static TransactionId
recovered_horizon(void)
{
	pg_atomic_uint32 *shared = &pgmqc_shared->recovered_horizon;
	uint32		horizon = pg_atomic_read_u32(shared);

	if (horizon == HORIZON_PASSED)
		return HORIZON_PASSED;
	if (max_prepared_xacts == 0)
	{
		/* no transaction can have been prepared */
		pg_atomic_write_u32(shared, HORIZON_PASSED);
		return HORIZON_PASSED;
	}
	if (horizon == InvalidTransactionId)
	{
		uint32		expected = InvalidTransactionId;

		if (RecoveryInProgress())
			return InvalidTransactionId;
		horizon = XidFromFullTransactionId(ReadNextFullTransactionId());
		if (!pg_atomic_compare_exchange_u32(shared, &expected, horizon))
			horizon = expected;
		if (horizon == HORIZON_PASSED)
			return HORIZON_PASSED;
	}
	if (prepared_running_below(horizon))
		return horizon;
	(void) pg_atomic_compare_exchange_u32(shared, &horizon, HORIZON_PASSED);
	return HORIZON_PASSED;
}

/*
 * Has every transaction with an XID below xid that this server may not have
 * recorded (one recovered in the prepared state) ended?
 */
static bool
recovered_senders_ended_before(TransactionId xid)
{
	TransactionId horizon = recovered_horizon();

	if (horizon == HORIZON_PASSED)
		return true;
	if (!TransactionIdIsValid(horizon))
		return all_ended_before(xid);
	/* a prepared one below the horizon runs: it matters if it is below xid */
	return !TransactionIdPrecedes(horizon, xid) && !prepared_running_below(xid);
}

/*
 * May a transaction recovered in the prepared state (so recorded nowhere)
 * still run?  In a transaction.
 */
bool
pgmqc_senders_recovered_pending(void)
{
	return pgmqc_shared != NULL && recovered_horizon() != HORIZON_PASSED;
}

/*
 * The slot's overflow XID when senders of the queue or topic queue_id may
 * have gone unrecorded, else InvalidTransactionId.  Under senders_lock.
 */
static TransactionId
overflow_of(PgmqcSlot *slot, int32 queue_id)
{
	TransactionId overflow = slot->overflow_xid;

	if (TransactionIdIsValid(overflow) &&
		slot->overflow_queue_id != PGMQC_OVERFLOW_MIXED &&
		(slot->overflow_queue_id != queue_id ||
		 slot->overflow_database != MyDatabaseId))
		return InvalidTransactionId;
	return overflow;
}

/* Did senders of queue_id go unrecorded in its slot (an overflow)? */
bool
pgmqc_senders_overflowed(int32 queue_id)
{
	PgmqcSlot  *slot = pgmqc_slot(queue_id);
	TransactionId overflow;

	SpinLockAcquire(&slot->senders_lock);
	overflow = overflow_of(slot, queue_id);
	SpinLockRelease(&slot->senders_lock);
	return TransactionIdIsValid(overflow);
}

/*
 * A copy of the senders recorded in slot, into entries; returns the slot's
 * overflow XID when senders of the queue or topic queue_id may have gone
 * unrecorded (InvalidTransactionId otherwise).
 */
static TransactionId
read_senders(PgmqcSlot *slot, int32 queue_id, PgmqcSender *entries)
{
	TransactionId overflow;

	SpinLockAcquire(&slot->senders_lock);
	memcpy(entries, slot->senders, sizeof(PgmqcSender) * PGMQC_SLOT_SENDERS);
	overflow = overflow_of(slot, queue_id);
	SpinLockRelease(&slot->senders_lock);
	return overflow;
}

/*
 * One of the recorded senders entries to queue_id, other than ours, with an
 * XID below xid and still in progress; InvalidTransactionId when there is
 * none.
 */
static TransactionId
sender_in_progress(const PgmqcSender *entries, int32 queue_id,
				   TransactionId xid)
{
	int			i;

	for (i = 0; i < PGMQC_SLOT_SENDERS; i++)
	{
		TransactionId e = entries[i].xid;

		if (TransactionIdIsValid(e) && sender_of(&entries[i], queue_id) &&
			TransactionIdPrecedes(e, xid) &&
			!TransactionIdIsCurrentTransactionId(e) &&
			TransactionIdIsInProgress(e))
			return e;
	}
	return InvalidTransactionId;
}

/*
 * The senders of topic_id, other than ours, with an XID below xid, as the
 * lock manager knows them (sender_locks.c): one in progress, or
 * InvalidTransactionId.  *unknown is set when it cannot tell yet (a
 * transaction is being prepared), or at all (during recovery, when it
 * keeps only the primary's AccessExclusiveLocks).
 */
static TransactionId
locked_sender(int32 topic_id, TransactionId xid, bool *unknown)
{
	if (RecoveryInProgress())
	{
		*unknown = true;
		return InvalidTransactionId;
	}
	return pgmqc_sender_locker_before(topic_id, xid, unknown);
}

/*
 * Have the senders of topic_id below xid ended, when some may be
 * unrecorded: none of the recorded ones (entries) runs, and no transaction
 * holds the sender lock, which every unrecorded sender took?
 */
static bool
unrecorded_ended_before(const PgmqcSender *entries, int32 topic_id,
						TransactionId xid)
{
	bool		unknown;

	if (TransactionIdIsValid(sender_in_progress(entries, topic_id, xid)))
		return false;
	return !TransactionIdIsValid(locked_sender(topic_id, xid, &unknown)) &&
		!unknown;
}

/*
 * A transaction, other than ours, that sent to topic_id with an XID below
 * xid and is still in progress; InvalidTransactionId when there is none,
 * or when it cannot be told yet: then the caller looks again after a
 * while.  Lets a caller wait on that transaction's lock, which the
 * deadlock detector sees, instead of sleeping.
 */
TransactionId
pgmqc_sender_in_progress_before(int32 topic_id, TransactionId xid)
{
	PgmqcSender entries[PGMQC_SLOT_SENDERS];
	TransactionId sender;
	bool		unknown;

	if (pgmqc_shared == NULL)
		return InvalidTransactionId;
	if (TransactionIdIsValid(read_senders(pgmqc_slot(topic_id), topic_id,
										  entries)) ||
		!recovered_senders_ended_before(xid))
	{
		/* the recorded senders, then the unrecorded ones */
		sender = sender_in_progress(entries, topic_id, xid);
		if (!TransactionIdIsValid(sender))
			sender = locked_sender(topic_id, xid, &unknown);
		return sender;
	}
	return sender_in_progress(entries, topic_id, xid);
}

/*
 * Has every transaction that sent to the queue or topic topic_id with an XID
 * below xid, other than ours, ended?  When senders may have gone
 * unrecorded (an overflow of the slot, or prepared transactions recovered
 * after a restart), the lock manager tells (sender_locks.c).
 */
bool
pgmqc_senders_ended_before(int32 topic_id, TransactionId xid)
{
	PgmqcSlot  *slot;
	PgmqcSender entries[PGMQC_SLOT_SENDERS];
	TransactionId overflow;

	if (pgmqc_shared == NULL)
		return all_ended_before(xid);

	slot = pgmqc_slot(topic_id);
	overflow = read_senders(slot, topic_id, entries);

	/* prepared senders of before a restart: recorded nowhere but locked */
	if (!recovered_senders_ended_before(xid))
		return unrecorded_ended_before(entries, topic_id, xid);

	if (TransactionIdIsValid(overflow))
	{
		if (all_ended_before(xid))
		{
			if (TransactionIdPrecedes(overflow, xid))
			{
				/* every unrecorded sender has ended: back to the entries */
				SpinLockAcquire(&slot->senders_lock);
				if (slot->overflow_xid == overflow)
					slot->overflow_xid = InvalidTransactionId;
				SpinLockRelease(&slot->senders_lock);
			}
			return true;
		}
		return unrecorded_ended_before(entries, topic_id, xid);
	}
	return !TransactionIdIsValid(sender_in_progress(entries, topic_id, xid));
}

/*
 * The current transaction, recorded as a sender to topic topic_id, drew
 * msg_id: record it as its first unless one is recorded (later draws are
 * higher).  An entry this backend did not keep in mine[] (past MAX_MINE)
 * or an unrecorded sender (an overflow) records nothing: its readers then
 * hold back everything, as before.
 */
void
pgmqc_sender_drew(int32 topic_id, int64 msg_id)
{
	TransactionId xid;
	int			i;
	int			j;

	if (pgmqc_shared == NULL || msg_id <= 0)
		return;
	xid = GetTopTransactionIdIfAny();
	for (i = 0; i < nmine; i++)
	{
		PgmqcSlot  *slot = mine[i].slot;

		if (mine[i].xid != xid || mine[i].queue_id != topic_id)
			continue;
		if (mine[i].drew)
			return;
		mine[i].drew = true;
		SpinLockAcquire(&slot->senders_lock);
		for (j = 0; j < PGMQC_SLOT_SENDERS; j++)
		{
			PgmqcSender *e = &slot->senders[j];

			if (e->xid == xid && sender_of(e, topic_id) && e->first_id == 0)
				e->first_id = msg_id;
		}
		SpinLockRelease(&slot->senders_lock);
		return;
	}
}

/*
 * The lowest first msg_id of the transactions, other than ours, recorded as
 * senders to topic topic_id with an XID below xid and still in progress:
 * the messages below it are not theirs.  PG_INT64_MAX when none is in
 * progress; 0 when one has not recorded its first msg_id yet, or senders
 * may have gone unrecorded (an overflow, or prepared transactions
 * recovered after a restart): then nothing is known.
 */
int64
pgmqc_senders_first_open_id(int32 topic_id, TransactionId xid)
{
	PgmqcSender entries[PGMQC_SLOT_SENDERS];
	int64		lowest = PG_INT64_MAX;
	int			i;

	if (pgmqc_shared == NULL || !recovered_senders_ended_before(xid) ||
		TransactionIdIsValid(read_senders(pgmqc_slot(topic_id), topic_id,
										  entries)))
		return 0;
	for (i = 0; i < PGMQC_SLOT_SENDERS; i++)
	{
		TransactionId e = entries[i].xid;

		if (!TransactionIdIsValid(e) || !sender_of(&entries[i], topic_id) ||
			!TransactionIdPrecedes(e, xid) ||
			TransactionIdIsCurrentTransactionId(e) ||
			!TransactionIdIsInProgress(e))
			continue;
		if (entries[i].first_id <= 0)
			return 0;
		lowest = Min(lowest, entries[i].first_id);
	}
	return lowest;
}
