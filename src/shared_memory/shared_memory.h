/*-------------------------------------------------------------------------
 *
 * shared_memory.h
 *		The shared memory of pgmq_c, the bottom layer: the wake-up slots that
 *		waiting readers sleep on, the registry of per-database background
 *		workers, the wake-ups sent at the end of a transaction, sleeping on
 *		a slot, and the senders recorded per topic.
 *
 * The segment exists only when the library is in shared_preload_libraries;
 * otherwise pgmqc_shared is NULL and every function here either does
 * nothing or falls back to something that needs no shared memory (see each
 * file).  Nothing here runs a statement or calls into the engines above.
 *
 * Locking: PgmqcShared.mutex (a spinlock) protects the worker registry
 * (every PgmqcDbWorker field that is not atomic); a slot is lock-free
 * (atomics and the condition variable's own spinlock) except for its
 * senders, which PgmqcSlot.senders_lock protects.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shared_memory/shared_memory.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_SHARED_MEMORY_H
#define PGMQC_SHARED_MEMORY_H

#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/spin.h"

#include "pgmq_c.h"

/* databases that can have a worker at the same time */
#define PGMQC_MAX_DATABASES 64

/* a due time meaning "none known" (PgmqcSlot.next_due, PgmqcDbWorker.timer) */
#define PGMQC_NO_DUE		PG_INT64_MAX

/* PgmqcSlot.sleeper_key of a slot where readers of several queues slept */
#define PGMQC_SLOT_MIXED	PG_UINT64_MAX

/* PgmqcSlot.sleeper_database of a slot where readers of several databases slept */
#define PGMQC_SLOT_MIXED_DATABASES	PG_UINT32_MAX

/* wake-ups a transaction keeps, one per slot (wakeups.c, prepared_wakes.c) */
#define PGMQC_MAX_PENDING_WAKES	32

/* open sending transactions recorded per slot (senders.c) */
#define PGMQC_SLOT_SENDERS	32

/* consumer groups whose fills a slot's readers asked the worker for */
#define PGMQC_SLOT_FILL_GROUPS	4

/* consumer groups whose first block a slot records (shared_watermarks.c) */
#define PGMQC_SLOT_BLOCK_BOUNDS	4

/*
 * Where a consumer group's blocks start (topic/group_blocks.c), as the
 * backends that walked them last saw it: the group (database, its table's
 * OID, InvalidOid: a free entry, and its id), the group's seek count then,
 * and the first_id below which no block of the group is left.
 */
typedef struct PgmqcBlockBound
{
	Oid			database;
	Oid			relid;
	int32		group_id;
	int64		seek_count;
	int64		blocks_from;
} PgmqcBlockBound;

/*
 * A wake-up count meaning "wake every sleeper of the slot": more than there
 * can be backends, yet small enough to add two of them without overflow.
 */
#define PGMQC_WAKE_ALL		(PG_INT32_MAX / 2)

/*
 * PgmqcDbWorker.notify_bits has one bit per queue_id modulo 64: a set bit
 * asks the worker to look at every notify queue of that bit.
 */
#define PGMQC_NOTIFY_BITS	64
#define PGMQC_NOTIFY_BIT(queue_id) \
	(UINT64CONST(1) << ((queue_id) % PGMQC_NOTIFY_BITS))

/*
 * An open transaction that sent to a queue or topic, as a slot records it
 * (senders.c): which queue or topic, so that readers of the others of the
 * slot never wait for it.
 */
typedef struct PgmqcSender
{
	TransactionId xid;			/* InvalidTransactionId: a free entry */
	Oid			database;
	int32		queue_id;
	int64		first_id;		/* the first msg_id it drew from a topic, or
								 * 0: none, or not yet known */
} PgmqcSender;

/* PgmqcSlot.overflow_queue_id when senders of several queues overflowed */
#define PGMQC_OVERFLOW_MIXED	(-1)

/*
 * One wake-up slot; queues are hashed onto slots by (database, queue id), so
 * a collision only costs a spurious wake-up.
 */
typedef struct PgmqcSlot
{
	ConditionVariable cv;		/* waiting readers sleep here */
	pg_atomic_uint64 generation;	/* bumped by every wake-up */
	pg_atomic_uint32 waiters;	/* readers currently asleep */
	pg_atomic_uint64 next_due;	/* earliest known future event (a delayed
								 * message or a lease end), or PGMQC_NO_DUE */
	pg_atomic_uint64 due_fired; /* bumped each time a worker (of any database)
								 * woke the slot at its due time */
	pg_atomic_uint64 sleeper_key;	/* (database, queue id) of the queue whose
									 * readers slept here, 0: none yet,
									 * PGMQC_SLOT_MIXED: more than one */
	pg_atomic_uint32 sleeper_database;	/* their database, 0: none yet,
										 * PGMQC_SLOT_MIXED_DATABASES: more
										 * than one */

	/*
	 * open transactions that sent to a queue or topic of the slot
	 * (senders.c), and the watermark of one queue of the slot
	 * (shared_watermarks.c), under senders_lock
	 */
	slock_t		senders_lock;
	PgmqcSender senders[PGMQC_SLOT_SENDERS];
	TransactionId overflow_xid; /* the newest sender not recorded */
	Oid			overflow_database;	/* and its queue, or */
	int32		overflow_queue_id;	/* PGMQC_OVERFLOW_MIXED */
	Oid			watermark_database; /* the queue's database and */
	Oid			watermark_relid;	/* message table; InvalidOid: none */
	int64		watermark;
	Oid			front_database; /* the claim front of one table of the */
	Oid			front_relid;	/* slot (a queue's messages, a group's):
								 * InvalidOid: none */
	int64		front;			/* the highest msg_id claimed from it */
	/* where groups' blocks start, entry group_id % PGMQC_SLOT_BLOCK_BOUNDS */
	PgmqcBlockBound block_bounds[PGMQC_SLOT_BLOCK_BOUNDS];
	pg_atomic_uint32 fill_contended;	/* a reader found a group being filled */
	pg_atomic_uint32 group_batch;	/* how many messages the last reader of a
									 * group of the slot's topics asked for
									 * (topic/group_blocks.c) */
	pg_atomic_uint32 unblock_wanted;	/* a reader that takes no blocks asked
										 * the worker to turn blocks into rows
										 * (topic/group_blocks.c) */
	pg_atomic_uint64 refill_at; /* a reader in a transaction block that claims
								 * this msg_id or a later one asks the worker
								 * to fill again (topic/group_fill.c);
								 * PG_INT64_MAX: none */
	pg_atomic_uint64 fill_groups[PGMQC_SLOT_FILL_GROUPS];	/* (database oid << 32 |
															 * group id) a reader
															 * asked the worker to
															 * fill, 0: free */
	pg_atomic_uint32 fill_overflow; /* database oid that asked for more: fill
									 * every group of the slot's topics */

	/*
	 * readers of the queue of sleeper_key that sleep past their wait slice
	 * ask the worker to look into the queue's tables for them (wait.c,
	 * worker/probes.c): by probe_at (PGMQC_NO_DUE: not asked), and again
	 * every probe_every_ms while they sleep (the shortest slice among them;
	 * 0: not known)
	 */
	pg_atomic_uint64 probe_at;
	pg_atomic_uint32 probe_every_ms;
} PgmqcSlot;

/*
 * One database's worker.  The plain fields are protected by
 * PgmqcShared.mutex; the atomics are requests that backends set and the
 * worker takes.
 */
typedef struct PgmqcDbWorker
{
	Oid			dboid;			/* InvalidOid: entry free */
	pid_t		pid;			/* 0 while not running */
	Latch	   *latch;			/* the worker's latch, while running */
	bool		wanted;			/* a worker should run for this database */
	Oid			role;			/* connect as this role (the extension's
								 * owner); InvalidOid: as the bootstrap
								 * superuser, until the worker learns it */
	bool		connecting;		/* a worker is logging in as role */
	bool		start_failed;	/* the launcher's last start failed (no free
								 * background worker slot) */
	pg_atomic_uint64 notify_bits;	/* PGMQC_NOTIFY_BIT of queues to notify */
	pg_atomic_uint32 config_changed;	/* re-read notify settings */
	pg_atomic_uint32 maint_wanted;	/* run topic maintenance now */
	pg_atomic_uint32 fill_wanted;	/* fill consumer groups now */
	pg_atomic_uint64 timer;		/* when the worker wakes up next */
	pg_atomic_uint32 probes;	/* the worker looks into queues for readers
								 * that sleep past their slice (probe_at) */
	pg_atomic_uint64 leases_checked_through;	/* TimestampTz: lease ends up
												 * to it were looked at for
												 * notifications (0: by no
												 * worker yet) */
	pg_atomic_uint64 delayed_checked_through;	/* ... delayed messages due up
												 * to it */
	pg_atomic_uint32 recheck_all;	/* look at every notify queue again: a
									 * transaction prepared before a restart
									 * committed */
} PgmqcDbWorker;

typedef struct PgmqcShared
{
	slock_t		mutex;
	Latch	   *launcher_latch;
	pid_t		launcher_pid;
	PgmqcDbWorker workers[PGMQC_MAX_DATABASES];
	pg_atomic_uint64 wakeups;	/* sleeps ended by a wake-up, not a timeout */
	pg_atomic_uint64 writable_since;	/* TimestampTz the server first took
										 * writes (0: not yet) */
	pg_atomic_uint32 recovered_horizon; /* senders.c: XIDs below it may be
										 * unrecorded senders */
	int			nslots;
	PgmqcSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} PgmqcShared;

/* shmem.c: the segment, slots and the worker registry */
extern PgmqcShared *pgmqc_shared;
extern int	pgmqc_wait_slots;
extern void pgmqc_shmem_init_hooks(void);
extern PgmqcSlot *pgmqc_slot(int32 queue_id);
extern PgmqcDbWorker *pgmqc_my_worker(bool request_start);
extern void pgmqc_want_worker_again(Oid dboid);
extern bool pgmqc_worker_unavailable(void);
extern void pgmqc_publish_due(int32 queue_id, TimestampTz due);
extern void pgmqc_publish_slot_due(PgmqcSlot *slot, TimestampTz due);
extern void pgmqc_publish_probe(PgmqcSlot *slot, TimestampTz at, int every_ms);
extern bool pgmqc_request_maintenance(void);
extern bool pgmqc_request_fill(int32 topic_id, int32 group_id, bool short_read);
extern void pgmqc_take_fill_requests(const int32 *topic_ids, const int32 *group_ids,
									 int n, bool *wanted, bool *short_read);
extern void pgmqc_set_refill_mark(int32 queue_id, int64 msg_id);
extern void pgmqc_refill_if_due(int32 topic_id, int32 group_id,
								int64 claimed_through);
extern TimestampTz pgmqc_writable_since(void);

/* wakeups.c: wake-ups at the end of the current transaction, and at due times */
extern void pgmqc_wake_on_commit(int32 queue_id, int count, bool notify);
extern void pgmqc_wake_on_abort(int32 queue_id, int count);
extern void pgmqc_wake_on_abort_or_late_commit(int32 queue_id, int count,
											   TimestampTz lease_end,
											   bool notify);
extern void pgmqc_notify_all_on_commit(void);
extern void pgmqc_due_all_slots_on_commit(TimestampTz due);
extern void pgmqc_wake_subxact_abort(void);
extern void pgmqc_due_on_commit(int32 queue_id, TimestampTz due, bool notify);
extern void pgmqc_config_changed_on_commit(void);
extern void pgmqc_wake_xact_end(bool commit);
extern void pgmqc_wake_xact_prepared(void);
extern void pgmqc_wake_slots_on_commit(const int32 *slot, const bool *on_commit,
									   const TimestampTz *due,
									   const uint64 *late_bits, int nwakes,
									   bool commit, uint64 notify_bits);
extern void pgmqc_wake_all_slots_on_commit(void);
extern uint64 pgmqc_local_wakes(void);
extern TimestampTz pgmqc_wake_due_slots(TimestampTz now, bool *fired);
extern void pgmqc_wake_slot_now(PgmqcSlot *slot);
extern void pgmqc_wake_slot_one(PgmqcSlot *slot);
extern void pgmqc_wake_taken(void);
extern void pgmqc_wake_pass_on(void);

/* wait.c: sleeping on a slot (GUCs pgmq_c.wait_slice, pgmq_c.poll_interval) */
extern int	pgmqc_wait_slice_ms;
extern int	pgmqc_poll_interval_ms;
extern uint64 pgmqc_generation(int32 queue_id);
extern bool pgmqc_sleep(int32 queue_id, uint64 seen, TimestampTz until,
						bool probed);
extern bool pgmqc_slot_quiet(int32 queue_id, uint64 seen);
extern bool pgmqc_slot_probed(int32 queue_id);

/* prepared_wakes.c: wake-ups kept from PREPARE to COMMIT/ROLLBACK PREPARED */
extern Size pgmqc_prepared_wakes_size(void);
extern void pgmqc_prepared_wakes_init(void);
extern void pgmqc_prepared_wakes_preparing(const char *gid);
extern void pgmqc_prepared_wakes_store(const int32 *slot, const bool *on_commit,
									   const TimestampTz *due,
									   const uint64 *late_bits, int nwakes,
									   uint64 notify_bits, bool all_commit,
									   bool all_abort, bool config_changed,
									   TimestampTz overflow_due);
extern void pgmqc_prepared_wakes_finishing(const char *gid, bool commit,
										   bool recovered_pending);
extern void pgmqc_prepared_wakes_xact_end(bool commit);

/* senders.c: open transactions that sent to a queue or topic */
extern void pgmqc_sender_register(int32 topic_id);
extern void pgmqc_senders_xact_preparing(void);
extern void pgmqc_senders_xact_end(bool prepared);
extern bool pgmqc_senders_ended_before(int32 topic_id, TransactionId xid);
extern void pgmqc_sender_drew(int32 topic_id, int64 msg_id);
extern int64 pgmqc_senders_first_open_id(int32 topic_id, TransactionId xid);
extern TransactionId pgmqc_sender_in_progress_before(int32 topic_id,
													 TransactionId xid);
extern bool pgmqc_senders_recovered_pending(void);
extern bool pgmqc_senders_overflowed(int32 queue_id);

/* sender_locks.c: senders as the lock manager knows them */
extern Size pgmqc_preparing_senders_size(void);
extern void pgmqc_preparing_senders_init(void);
extern void pgmqc_preparing_senders_init_hooks(void);
extern void pgmqc_preparing_sender_mark(const int32 *queue_ids, int n);
extern void pgmqc_sender_lock(int32 queue_id);
extern TransactionId pgmqc_sender_locker_before(int32 queue_id,
												TransactionId limit,
												bool *unsure);

/* shared_watermarks.c: a queue's low watermark, shared by its readers */
extern int64 pgmqc_shared_watermark_exchange(int32 queue_id, Oid relid,
											 int64 mine);
extern void pgmqc_shared_watermark_forget(int32 queue_id, Oid relid);
extern int64 pgmqc_shared_claim_front(int32 queue_id, Oid relid);
extern void pgmqc_shared_claim_front_raise(int32 queue_id, Oid relid,
										   int64 claimed);
extern void pgmqc_shared_claim_front_forget(int32 queue_id, Oid relid,
											int64 through);
extern int64 pgmqc_shared_blocks_from(int32 topic_id, int32 group_id,
									  Oid relid, int64 *seek_count);
extern void pgmqc_shared_blocks_from_publish(int32 topic_id, int32 group_id,
											 Oid relid, int64 seek_count,
											 int64 blocks_from, bool lower);

#endif							/* PGMQC_SHARED_MEMORY_H */
