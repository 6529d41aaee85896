/*-------------------------------------------------------------------------
 *
 * sender_locks.c
 *		The open senders of one queue or topic as the lock manager knows
 *		them: the senders its wake-up slot could not record hold a lock of
 *		pgmq_c's own on it until their transaction ends.
 *
 * The wake-up slots record most senders (senders.c), but not all: a slot
 * holds 32 entries, and a sender that finds it full goes unrecorded; so do
 * the prepared transactions that a restart recovered, since the slots
 * start empty.  A reader that cannot tell from its slot whether an open
 * transaction sent to its queue looks here too.
 *
 * A sender that goes unrecorded takes, after its right to send was checked
 * and before it draws its msg_id, the lock (database, queue id) in a lock
 * space of its own (SENDER_LOCK_SPACE), in RowExclusiveLock, which senders
 * never conflict on; and every sending transaction takes the ones it does
 * not hold yet at PREPARE TRANSACTION.  The lock belongs to the top-level
 * transaction, so a subtransaction that rolls back keeps it; PREPARE
 * TRANSACTION hands it to the prepared transaction, and a restart takes
 * it again for every prepared transaction it recovers, before the server
 * accepts connections or leaves recovery.  So the slot's entries and the
 * lock's holders together are the queue's open senders, and the holders
 * are senders only: SQL's advisory locks use other spaces, and no
 * statement a role can run takes this lock.  (A lock on the msg_id
 * sequence, which nextval() keeps to the end of the transaction, would not
 * do: nextval(), currval() and setval() take it before they check the
 * caller's rights, so any role could hold it from a rolled-back savepoint;
 * review h32.)  Readers list the holders with GetLockConflicts(); the list
 * has no fixed size.
 *
 * One gap needs care.  While PREPARE TRANSACTION runs, PostgreSQL 15 before
 * some minor release cleared the preparing backend's transaction before it
 * handed the locks to the prepared transaction, and GetLockConflicts()
 * skips locks held in between.  A sending transaction therefore marks its
 * backend, with its database and the queues it sent to (all, past 32),
 * from XACT_EVENT_PRE_PREPARE until its locks are handed over (resource
 * release after locks), and a reader that finds no lock holder looks at
 * the marks of its queue, and then at the locks once more: a sender in the
 * gap during the first look is marked during the second, or holds its lock
 * as a prepared transaction by the third.  A mark only tells the reader to
 * look again a moment later, and is never waited on (the first version
 * waited on it; marks then covered a whole database, and a role preparing
 * sends to its own queues in a loop made another's topic look again and
 * again: review h34).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shared_memory/sender_locks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/twophase.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/resowner.h"

#include "shared_memory/shared_memory.h"

/*
 * The lock tag's last field, which tells lock kinds apart: SQL's advisory
 * locks use 1 and 2; deduplication 0x7071, a topic's partitions 0x7072.
 */
#define SENDER_LOCK_SPACE	0x7073

/* queue ids a mark lists; a transaction that sent to more marks all */
#define MARK_QUEUES			32
#define MARK_ALL_QUEUES		(-1)

/* A backend preparing a transaction that sent. */
typedef struct PreparingMark
{
	pg_atomic_uint32 xid;		/* its top XID, or InvalidTransactionId */
	Oid			database;		/* its database */
	int			nqueues;		/* queue_ids used, or MARK_ALL_QUEUES */
	int32		queue_ids[MARK_QUEUES]; /* the queues and topics it sent to */
}			PreparingMark;

typedef struct PgmqcPreparingSenders
{
	int			nbackends;
	PreparingMark marks[FLEXIBLE_ARRAY_MEMBER];
}			PgmqcPreparingSenders;

static PgmqcPreparingSenders * preparing = NULL;

static void
sender_tag(LOCKTAG *tag, int32 queue_id)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) queue_id, 0,
						 SENDER_LOCK_SPACE);
}

/*
 * Hold the sender lock of queue or topic queue_id until the top-level
 * transaction ends (see the file header).  Before the msg_id is drawn.
 */
void
pgmqc_sender_lock(int32 queue_id)
{
	LOCKTAG		tag;
	ResourceOwner owner = CurrentResourceOwner;

	sender_tag(&tag, queue_id);
	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		(void) LockAcquire(&tag, RowExclusiveLock, false, false);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = owner;
	}
	PG_END_TRY();
}

/* this backend's index in preparing->marks, -1 when it has none */
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
	return add_size(offsetof(PgmqcPreparingSenders, marks),
					mul_size(preparing_entries(), sizeof(PreparingMark)));
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
	{
		pg_atomic_init_u32(&preparing->marks[i].xid, InvalidTransactionId);
		preparing->marks[i].database = InvalidOid;
		preparing->marks[i].nqueues = 0;
	}
}

/*
 * XACT_EVENT_PRE_PREPARE of a transaction that sent to queue_ids[0..n-1]
 * (n < 0: to more than those): mark this backend until its locks belong to
 * the prepared transaction.
 */
void
pgmqc_preparing_sender_mark(const int32 *queue_ids, int n)
{
	int			index = my_index();
	TransactionId xid = GetTopTransactionIdIfAny();
	PreparingMark *mark;

	if (index < 0 || !TransactionIdIsValid(xid))
		return;
	mark = &preparing->marks[index];
	mark->database = MyDatabaseId;
	if (n < 0 || n > MARK_QUEUES)
		mark->nqueues = MARK_ALL_QUEUES;
	else
	{
		memcpy(mark->queue_ids, queue_ids, n * sizeof(int32));
		mark->nqueues = n;
	}
	pg_write_barrier();
	pg_atomic_write_u32(&mark->xid, xid);
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
		pg_atomic_read_u32(&preparing->marks[index].xid) != InvalidTransactionId)
		pg_atomic_write_u32(&preparing->marks[index].xid, InvalidTransactionId);
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

/* Does a mark list queue_id of this database? */
static bool
mark_covers(const PreparingMark * mark, int32 queue_id)
{
	int			n = mark->nqueues;
	int			i;

	if (mark->database != MyDatabaseId)
		return false;
	if (n == MARK_ALL_QUEUES)
		return true;
	for (i = 0; i < n && i < MARK_QUEUES; i++)
	{
		if (mark->queue_ids[i] == queue_id)
			return true;
	}
	return false;
}

/*
 * Is a transaction below limit that sent to queue_id of this database being
 * prepared (marked)?  A mark rewritten meanwhile for a later transaction of
 * the same backend may be read half old, half new: the old one's locks
 * have then been handed over, and the look at the locks after this one
 * finds them.
 */
static bool
preparing_before(int32 queue_id, TransactionId limit)
{
	int			i;

	if (preparing == NULL)
		return false;
	pg_memory_barrier();
	for (i = 0; i < preparing->nbackends; i++)
	{
		PreparingMark *mark = &preparing->marks[i];
		TransactionId xid = pg_atomic_read_u32(&mark->xid);

		if (!TransactionIdIsValid(xid))
			continue;
		pg_read_barrier();
		if (mark_covers(mark, queue_id) && running_before(xid, limit))
			return true;
	}
	return false;
}

/*
 * A transaction holding the sender lock of queue_id, with a top XID below
 * limit, other than ours and in progress; InvalidTransactionId when there
 * is none.
 */
static TransactionId
holder_before(int32 queue_id, TransactionId limit)
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

	sender_tag(&tag, queue_id);
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
 * progress, that sent to the queue or topic queue_id (see the file header);
 * InvalidTransactionId when none has.  *unsure is set when a transaction of
 * this database that sent somewhere is being prepared: the caller then
 * counts the senders as not all ended, and looks again a moment later.
 * Not during recovery: a standby's lock table has only the
 * AccessExclusiveLocks of the primary.
 */
TransactionId
pgmqc_sender_locker_before(int32 queue_id, TransactionId limit, bool *unsure)
{
	TransactionId found;

	Assert(!RecoveryInProgress());
	*unsure = false;
	found = holder_before(queue_id, limit);
	if (TransactionIdIsValid(found))
		return found;
	if (preparing_before(queue_id, limit))
	{
		*unsure = true;
		return InvalidTransactionId;
	}
	return holder_before(queue_id, limit);
}
