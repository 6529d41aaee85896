/*-------------------------------------------------------------------------
 *
 * shmem.h
 *		Shared state of pgmq_c: wake-up slots for waiting readers and the
 *		registry of background workers.  Present only when the library is
 *		in shared_preload_libraries.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/shmem.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQ_C_SHMEM_H
#define PGMQ_C_SHMEM_H

#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/spin.h"

#include "pgmq_c.h"

#define PGMQC_MAX_DATABASES 64
#define PGMQC_NO_DUE		PG_INT64_MAX
#define PGMQC_SLOT_SENDERS	32

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
	/* open transactions that sent to a topic of the slot (senders.c) */
	slock_t		senders_lock;
	TransactionId senders[PGMQC_SLOT_SENDERS];
	TransactionId overflow_xid;
	pg_atomic_uint32 fill_skipped;	/* a reader found a group being filled */
} PgmqcSlot;

/* One database's worker.  Protected by PgmqcShared.mutex. */
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
	pg_atomic_uint64 notify_bits;	/* queue_id % 64 of queues to notify */
	pg_atomic_uint32 config_changed;	/* re-read notify settings */
	pg_atomic_uint32 maint_wanted;	/* run topic maintenance now */
	pg_atomic_uint32 fill_wanted;	/* fill consumer groups now */
	pg_atomic_uint64 timer;		/* when the worker wakes up next */
} PgmqcDbWorker;

typedef struct PgmqcShared
{
	slock_t		mutex;
	Latch	   *launcher_latch;
	pid_t		launcher_pid;
	PgmqcDbWorker workers[PGMQC_MAX_DATABASES];
	pg_atomic_uint64 wakeups;	/* sleeps ended by a wake-up, not a timeout */
	int			nslots;
	PgmqcSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} PgmqcShared;

extern PgmqcShared *pgmqc_shared;
extern int	pgmqc_wait_slots;

extern void pgmqc_shmem_init_hooks(void);
extern void pgmqc_register_launcher(void);
extern void pgmqc_install_utility_hook(void);
extern bool pgmqc_worker_enabled;
extern PgmqcSlot *pgmqc_slot(int32 queue_id);
extern PgmqcDbWorker *pgmqc_my_worker(bool request_start);
extern void pgmqc_publish_due(int32 queue_id, TimestampTz due);
extern bool pgmqc_request_maintenance(void);
extern bool pgmqc_request_fill(void);

/* wake-ups at the end of the current transaction */
extern void pgmqc_wake_on_commit(PgmqcQueue *queue, int count, bool notify);
extern void pgmqc_wake_on_abort(PgmqcQueue *queue, int count);
extern void pgmqc_due_on_commit(PgmqcQueue *queue, TimestampTz due);
extern void pgmqc_wake_xact_end(bool commit);
extern void pgmqc_config_changed_on_commit(void);

/* senders.c */
extern void pgmqc_sender_register(int32 topic_id);
extern void pgmqc_senders_xact_end(bool prepared);
extern bool pgmqc_senders_ended_before(int32 topic_id, TransactionId xid);

#endif							/* PGMQ_C_SHMEM_H */
