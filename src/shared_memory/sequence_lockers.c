/*-------------------------------------------------------------------------
 *
 * sequence_lockers.c
 *		The open senders of one queue or topic as the lock manager knows
 *		them: the transactions holding the lock that nextval() takes on its
 *		msg_id sequence.
 *
 * The wake-up slots record most senders (senders.c), but not all: a slot
 * holds 32 entries, and the senders that found it full, or lost their
 * entry to a newcomer, go unrecorded; so do the prepared transactions that
 * a restart recovered.  A reader that cannot tell from its slot whether an
 * open transaction sent to its queue asks here instead.
 *
 * Every msg_id is drawn with nextval() on the queue's or topic's sequence,
 * which takes RowExclusiveLock on the sequence and keeps it to the end of
 * the top-level transaction (even when the subtransaction that drew rolls
 * back).  PREPARE TRANSACTION hands the lock to the prepared transaction,
 * and a restart takes it again for every prepared transaction it recovers,
 * before the server accepts connections or leaves recovery.  So the
 * transactions that hold a lock on the sequence conflicting with ShareLock
 * are every transaction that drew a msg_id of the queue and has not ended,
 * and a few that did something else to the sequence (ALTER SEQUENCE,
 * setval), which only make a reader wait longer.  Readers take only
 * AccessShareLock on it.  The lock manager's list has no fixed size, and a
 * role cannot leave anything in it for a queue it did not send to.
 *
 * One gap needs care.  While PREPARE TRANSACTION runs, there is a moment
 * after the preparing backend cleared its own transaction and before its
 * locks reached the prepared transaction (PostgreSQL 15's
 * PrepareTransaction); GetLockConflicts() skips the locks held then.  A
 * sending transaction therefore marks its backend in shared memory from
 * XACT_EVENT_PRE_PREPARE until its locks are handed over (resource release
 * after locks), and a reader that finds no lock holder looks at the marks,
 * and then at the locks once more: a sender in the gap during the first
 * look is marked during the second look at the marks, or holds its lock
 * as a prepared transaction by the third.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shared_memory/sequence_lockers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/twophase.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/resowner.h"

#include "shared_memory/shared_memory.h"

/*
 * Per backend, the top XID of the sending transaction it is preparing, or
 * InvalidTransactionId.
 */
typedef struct PgmqcPreparingSenders
{
	int			nbackends;
	pg_atomic_uint32 xids[FLEXIBLE_ARRAY_MEMBER];
}			PgmqcPreparingSenders;

static PgmqcPreparingSenders * preparing = NULL;

/* this backend's index in preparing->xids, -1 when it has none */
static int
my_index(void)
{
#if PG_VERSION_NUM >= 170000
	int			index = MyProcNumber;
#else
	int			index = MyBackendId - 1;
#endif

	if (preparing == NULL || index < 0 || index >= preparing->nbackends)
		return -1;
	return index;
}

/* entries: the backends that can send (before PostgreSQL 15, the most) */
static int
preparing_entries(void)
{
#if PG_VERSION_NUM >= 150000
	return MaxBackends;
#else
	return MAX_BACKENDS;
#endif
}

Size
pgmqc_preparing_senders_size(void)
{
	return add_size(offsetof(PgmqcPreparingSenders, xids),
					mul_size(preparing_entries(), sizeof(pg_atomic_uint32)));
}

/* From the shared memory start-up hook, under AddinShmemInitLock. */
void
pgmqc_preparing_senders_init(void)
{
	bool		found;
	int			i;

	preparing = ShmemInitStruct("pgmq_c preparing senders",
								pgmqc_preparing_senders_size(), &found);
	if (found)
		return;
	preparing->nbackends = preparing_entries();
	for (i = 0; i < preparing->nbackends; i++)
		pg_atomic_init_u32(&preparing->xids[i], InvalidTransactionId);
}

/*
 * XACT_EVENT_PRE_PREPARE of a transaction that sent: mark this backend
 * until its locks belong to the prepared transaction.
 */
void
pgmqc_preparing_sender_mark(void)
{
	int			index = my_index();
	TransactionId xid = GetTopTransactionIdIfAny();

	if (index < 0 || !TransactionIdIsValid(xid))
		return;
	pg_atomic_write_u32(&preparing->xids[index], xid);
	pg_memory_barrier();
}

/*
 * Resource release callback: after the locks of the top-level transaction
 * were released or handed to the prepared transaction, the mark goes.
 */
static void
unmark_after_locks(ResourceReleasePhase phase, bool isCommit, bool isTopLevel,
				   void *arg)
{
	int			index;

	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || !isTopLevel)
		return;
	index = my_index();
	if (index >= 0 &&
		pg_atomic_read_u32(&preparing->xids[index]) != InvalidTransactionId)
		pg_atomic_write_u32(&preparing->xids[index], InvalidTransactionId);
}

/* From _PG_init. */
void
pgmqc_preparing_senders_init_hooks(void)
{
	RegisterResourceReleaseCallback(unmark_after_locks, NULL);
}

/* Is xid, other than ours, below limit and in progress? */
static bool
running_before(TransactionId xid, TransactionId limit)
{
	return TransactionIdIsValid(xid) && TransactionIdPrecedes(xid, limit) &&
		!TransactionIdIsCurrentTransactionId(xid) &&
		TransactionIdIsInProgress(xid);
}

/* A marked transaction below limit still in progress, or Invalid. */
static TransactionId
preparing_before(TransactionId limit)
{
	int			i;

	if (preparing == NULL)
		return InvalidTransactionId;
	pg_memory_barrier();
	for (i = 0; i < preparing->nbackends; i++)
	{
		TransactionId xid = pg_atomic_read_u32(&preparing->xids[i]);

		if (running_before(xid, limit))
			return xid;
	}
	return InvalidTransactionId;
}

/*
 * A transaction holding a lock on the sequence relid that conflicts with
 * ShareLock, with a top XID below limit, other than ours and in progress;
 * InvalidTransactionId when there is none.
 */
static TransactionId
holder_before(Oid relid, TransactionId limit)
{
	LOCKTAG		tag;
	VirtualTransactionId *holders;
	TransactionId *xids;
	TransactionId found = InvalidTransactionId;
	int			nholders;
	int			nprocs;
	int			nxids = 0;
	int			i;
	int			j;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	holders = GetLockConflicts(&tag, ShareLock, &nholders);
	if (nholders == 0)
	{
		pfree(holders);
		return InvalidTransactionId;
	}

	/*
	 * The top XID of each holder: its backend's, or its prepared
	 * transaction's, whose dummy PGPROC carries the virtual transaction id of
	 * the backend that prepared it (or, recovered, the XID itself).  The
	 * dummies follow the allProcCount entries of ProcGlobal->allProcs.
	 */
	nprocs = (int) ProcGlobal->allProcCount + max_prepared_xacts;
	xids = palloc(sizeof(TransactionId) * nholders);
	LWLockAcquire(ProcArrayLock, LW_SHARED);
	for (j = 0; j < nprocs && nxids < nholders; j++)
	{
		PGPROC	   *proc = &ProcGlobal->allProcs[j];
		VirtualTransactionId vxid;
		TransactionId xid = *((volatile TransactionId *) &proc->xid);

		if (!TransactionIdIsValid(xid) || !TransactionIdPrecedes(xid, limit))
			continue;
		GET_VXID_FROM_PGPROC(vxid, *proc);
		for (i = 0; i < nholders; i++)
		{
			if (VirtualTransactionIdEquals(vxid, holders[i]))
			{
				xids[nxids++] = xid;
				break;
			}
		}
	}
	LWLockRelease(ProcArrayLock);

	for (i = 0; i < nxids && !TransactionIdIsValid(found); i++)
	{
		if (running_before(xids[i], limit))
			found = xids[i];
	}
	pfree(xids);
	pfree(holders);
	return found;
}

/*
 * A transaction, other than ours, with a top XID below limit and in
 * progress, that may have drawn a msg_id from the sequence relid (see the
 * file header); InvalidTransactionId when none has.  Not during recovery:
 * a standby's lock table has only the AccessExclusiveLocks of the primary,
 * and a caller then waits for every transaction below limit.
 */
TransactionId
pgmqc_sequence_locker_before(Oid relid, TransactionId limit)
{
	TransactionId found;

	Assert(!RecoveryInProgress());
	found = holder_before(relid, limit);
	if (!TransactionIdIsValid(found))
		found = preparing_before(limit);
	if (!TransactionIdIsValid(found))
		found = holder_before(relid, limit);
	return found;
}
