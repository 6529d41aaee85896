/*-------------------------------------------------------------------------
 *
 * prepared_wakes.c
 *		The wake-ups of prepared transactions, kept until COMMIT PREPARED or
 *		ROLLBACK PREPARED.
 *
 * A transaction's wake-ups are sent by its own backend when it ends
 * (wakeups.c).  One that is prepared ends later, in whatever session runs
 * COMMIT PREPARED or ROLLBACK PREPARED, which knows nothing of them.  So at
 * PREPARE TRANSACTION the backend stores them here under the transaction's
 * identifier (the gid, which the ProcessUtility hook saw: the transaction
 * callback is not told it), and the session that finishes the transaction
 * takes them as its own: they are sent when its transaction commits (due
 * times too, for the worker's timer), and the record is freed then (by its
 * serial number, so that a later record of the same gid is not).
 *
 * There is room for max_prepared_transactions records, one per prepared
 * transaction; a record left behind (its transaction finished by a session
 * that failed after the fact) is reused by the next PREPARE of the same
 * gid, or when the room is needed.  Shared memory starts empty at every
 * server start, while prepared transactions survive restarts and crashes:
 * finishing a transaction of unknown gid wakes every slot while such
 * transactions may exist (pgmqc_senders_recovered_pending).  Waiters look
 * again at the end of every pgmq_c.wait_slice in any case.
 *
 * Locking: PgmqcPreparedWakes.lock (a spinlock) protects the records; it is
 * held only to copy a record in or out.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shared_memory/prepared_wakes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/twophase.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "storage/shmem.h"

#include "shared_memory/shared_memory.h"

/*
 * Records: one per prepared transaction, and as many again, so that a
 * record left behind (the transaction finishing a prepared one failed
 * after it) is taken back before the record of a transaction still
 * prepared would be.
 */
#define PREPARED_RECORDS	(2 * max_prepared_xacts)

typedef struct PreparedRecord
{
	bool		used;
	uint64		serial;			/* tells this record from a later one of the
								 * same gid */
	uint32		gid_hash;
	char		gid[GIDSIZE];
	uint64		notify_bits;	/* notifications asked for at commit */
	bool		all_commit;		/* wake every slot at commit (the list */
	bool		all_abort;		/* overflowed), at rollback */
	bool		config_changed; /* tell the worker at commit (enable_notify) */
	int			nwakes;
	int32		slot[PGMQC_MAX_PENDING_WAKES];
	bool		on_commit[PGMQC_MAX_PENDING_WAKES];
	TimestampTz due[PGMQC_MAX_PENDING_WAKES];	/* or PGMQC_NO_DUE */
	TimestampTz overflow_due;	/* the earliest due time of what did not fit
								 * (every slot's at commit), or PGMQC_NO_DUE */
	uint64		late_bits[PGMQC_MAX_PENDING_WAKES]; /* announced at commit
													 * when due has passed */
} PreparedRecord;

typedef struct PgmqcPreparedWakes
{
	slock_t		lock;
	int			nrecords;
	uint32		next_victim;	/* where to take room when every record is
								 * used */
	uint64		next_serial;
	PreparedRecord records[FLEXIBLE_ARRAY_MEMBER];
} PgmqcPreparedWakes;

static PgmqcPreparedWakes *prepared_wakes = NULL;

/*
 * This backend's view: the gid of the PREPARE TRANSACTION running now, and
 * the record of the transaction this one finishes (-1: none).
 */
static char preparing_gid[GIDSIZE];
static bool preparing = false;
static int	finishing_record = -1;
static uint64 finishing_serial;

Size
pgmqc_prepared_wakes_size(void)
{
	return add_size(offsetof(PgmqcPreparedWakes, records),
					mul_size(PREPARED_RECORDS, sizeof(PreparedRecord)));
}

/* From the shared memory start-up hook, under AddinShmemInitLock. */
void
pgmqc_prepared_wakes_init(void)
{
	bool		found;
	int			i;

	prepared_wakes = ShmemInitStruct("pgmq_c prepared wake-ups",
									 pgmqc_prepared_wakes_size(), &found);
	if (found)
		return;
	SpinLockInit(&prepared_wakes->lock);
	prepared_wakes->nrecords = PREPARED_RECORDS;
	prepared_wakes->next_victim = 0;
	prepared_wakes->next_serial = 1;
	for (i = 0; i < PREPARED_RECORDS; i++)
		prepared_wakes->records[i].used = false;
}

static uint32
gid_hash(const char *gid)
{
	return hash_bytes((const unsigned char *) gid, strlen(gid));
}

/* The record of gid, or -1; under the lock. */
static int
find_record(const char *gid, uint32 hash)
{
	int			i;

	for (i = 0; i < prepared_wakes->nrecords; i++)
	{
		PreparedRecord *r = &prepared_wakes->records[i];

		if (r->used && r->gid_hash == hash && strcmp(r->gid, gid) == 0)
			return i;
	}
	return -1;
}

/* The ProcessUtility hook: PREPARE TRANSACTION gid is about to run. */
void
pgmqc_prepared_wakes_preparing(const char *gid)
{
	strlcpy(preparing_gid, gid, sizeof(preparing_gid));
	preparing = true;
}

/*
 * At XACT_EVENT_PREPARE (wakeups.c): keep the transaction's wake-ups for
 * the session that will finish it.  Never fails: with no gid known or no
 * shared memory the wake-ups are dropped, and waiters find the messages at
 * the end of their slice.
 */
void
pgmqc_prepared_wakes_store(const int32 *slot, const bool *on_commit,
						   const TimestampTz *due, const uint64 *late_bits,
						   int nwakes, uint64 notify_bits, bool all_commit,
						   bool all_abort, bool config_changed,
						   TimestampTz overflow_due)
{
	PreparedRecord *r;
	uint32		hash;
	int			i;

	if (!preparing || prepared_wakes == NULL || prepared_wakes->nrecords == 0)
		return;
	preparing = false;

	/*
	 * A record even when there is nothing to wake: a COMMIT PREPARED that
	 * finds none then knows the transaction was prepared before the server
	 * started (and announces every queue), instead of taking every two-phase
	 * commit of other work for one.
	 */
	hash = gid_hash(preparing_gid);

	SpinLockAcquire(&prepared_wakes->lock);
	i = find_record(preparing_gid, hash);
	if (i < 0)
	{
		for (i = 0; i < prepared_wakes->nrecords; i++)
		{
			if (!prepared_wakes->records[i].used)
				break;
		}
		if (i == prepared_wakes->nrecords)
		{
			/* only records left behind can fill the room: reuse one */
			i = prepared_wakes->next_victim++ % prepared_wakes->nrecords;
		}
	}
	r = &prepared_wakes->records[i];
	r->used = true;
	r->serial = prepared_wakes->next_serial++;
	r->gid_hash = hash;
	strlcpy(r->gid, preparing_gid, sizeof(r->gid));
	r->notify_bits = notify_bits;
	r->all_commit = all_commit;
	r->all_abort = all_abort;
	r->config_changed = config_changed;
	r->overflow_due = overflow_due;
	r->nwakes = Min(nwakes, PGMQC_MAX_PENDING_WAKES);
	memcpy(r->slot, slot, r->nwakes * sizeof(int32));
	memcpy(r->on_commit, on_commit, r->nwakes * sizeof(bool));
	memcpy(r->due, due, r->nwakes * sizeof(TimestampTz));
	memcpy(r->late_bits, late_bits, r->nwakes * sizeof(uint64));
	SpinLockRelease(&prepared_wakes->lock);
}

/*
 * The ProcessUtility hook: COMMIT PREPARED (commit) or ROLLBACK PREPARED gid
 * has run.  The prepared transaction's wake-ups that apply become this
 * transaction's, sent when it commits; the record is freed then
 * (pgmqc_prepared_wakes_xact_end).  recovered_pending: whether, before the
 * statement, a transaction recovered in the prepared state at the server's
 * start may have been running (then a gid without a record is one).
 */
void
pgmqc_prepared_wakes_finishing(const char *gid, bool commit,
							   bool recovered_pending)
{
	PreparedRecord r;
	uint32		hash;
	int			i;

	finishing_record = -1;
	if (prepared_wakes == NULL || prepared_wakes->nrecords == 0)
		return;
	hash = gid_hash(gid);

	SpinLockAcquire(&prepared_wakes->lock);
	i = find_record(gid, hash);
	if (i >= 0)
		memcpy(&r, &prepared_wakes->records[i], sizeof(r));
	SpinLockRelease(&prepared_wakes->lock);

	if (i < 0)
	{
		/*
		 * perhaps prepared before the server started: wake everyone, and
		 * announce every queue with notifications on (its sends and the due
		 * times it published are not known any more)
		 */
		if (recovered_pending)
		{
			pgmqc_wake_all_slots_on_commit();
			if (commit)
			{
				/* the worker, as a send would ask for it */
				(void) pgmqc_my_worker(true);
				pgmqc_notify_all_on_commit();
			}
		}
		return;
	}
	finishing_record = i;
	finishing_serial = r.serial;
	pgmqc_wake_slots_on_commit(r.slot, r.on_commit, r.due, r.late_bits,
							   r.nwakes, commit, commit ? r.notify_bits : 0);
	if (commit ? r.all_commit : r.all_abort)
		pgmqc_wake_all_slots_on_commit();
	if (commit && r.overflow_due != PGMQC_NO_DUE)
		pgmqc_due_all_slots_on_commit(r.overflow_due);
	/* COMMIT PREPARED runs in the prepared transaction's database */
	if (commit && r.config_changed)
		pgmqc_config_changed_on_commit();
}

/* The transaction ends: free the record of the one it finished. */
void
pgmqc_prepared_wakes_xact_end(bool commit)
{
	preparing = false;
	if (finishing_record < 0)
		return;
	if (commit)
	{
		PreparedRecord *r = &prepared_wakes->records[finishing_record];

		SpinLockAcquire(&prepared_wakes->lock);
		if (r->used && r->serial == finishing_serial)
			r->used = false;
		SpinLockRelease(&prepared_wakes->lock);
	}
	finishing_record = -1;
}
