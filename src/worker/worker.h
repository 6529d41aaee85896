/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The background processes of pgmq_c and the ProcessUtility hook:
 *		what the files of src/worker/ export to each other and to pgmq_c.c.
 *
 *	launcher.c			the cluster-wide launcher, which starts the workers
 *	database_worker.c	the per-database worker's main loop and its steps
 *	notifications.c		the worker's NOTIFY state machine
 *	probes.c			its looks into queues for readers sleeping past their slice
 *	failures.c			reporting a worker's failures, at most once a minute
 *	utility_hook.c		stops a database's worker before DROP DATABASE & co.
 *
 * All of it needs shared_preload_libraries (shared_memory.h).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/worker/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_WORKER_H
#define PGMQC_WORKER_H

#include "shared_memory/shared_memory.h"

/* launcher.c: started from _PG_init (pgmq_c.c); GUC pgmq_c.worker */
extern bool pgmqc_worker_enabled;
extern void pgmqc_register_launcher(void);

/* the background workers' entry points, found by name (bgw_function_name) */
PGDLLEXPORT void pgmqc_launcher_main(Datum main_arg);
PGDLLEXPORT void pgmqc_worker_main(Datum main_arg);

/* utility_hook.c: installed from _PG_init */
extern void pgmqc_install_utility_hook(void);
extern void pgmqc_utility_xact_end(bool commit);

/*
 * failures.c: report that "what" failed in the worker of database
 * "database", for the queue queue_name (id its queue_id) or, with
 * queue_name NULL, as a whole (id the step), unless the same was reported
 * less than a minute ago.
 */
extern void pgmqc_worker_report_failure(const char *database,
										const char *what, int32 id,
										const char *queue_name,
										ErrorData *edata);

/* the name of the notification step, in the worker's activity and reports */
#define PGMQC_NOTIFY_STEP_NAME	"notifications"

/*
 * The argument of a step that looks into queues one batch per transaction
 * (the notification step, the probe step): run again while it sets more.
 */
typedef struct PgmqcBatchStep
{
	TimestampTz now;			/* the pass's current time */
	const char *database;		/* for failure reports */
	bool		more;			/* set: queues are left for another step */
} PgmqcBatchStep;

/*
 * notifications.c, called by database_worker.c.  A pass of the worker's
 * loop calls pgmqc_notify_begin_pass; when that returns true, the
 * notification step (pgmqc_notify_step, in a transaction with SPI, arg a
 * PgmqcBatchStep) and, if that step failed as a whole,
 * pgmqc_notify_step_failed; then pgmqc_notify_end_pass.
 * pgmqc_notify_load_settings is the step that (re)loads the notify
 * settings.
 */

/*
 * The most queues or groups a step of the worker looks into in one
 * transaction: each one's tables stay locked until the transaction ends,
 * and a database with thousands of queues would fill the lock table
 * (max_locks_per_transaction).  A step that has more to do says so, and is
 * run again at once in a new transaction.
 */
#define PGMQC_WORKER_BATCH		200

/*
 * probes.c, called by database_worker.c: looks into the tables of queues
 * whose readers sleep past their wait slice.  A pass of the worker's loop
 * calls pgmqc_probe_begin_pass; when that returns true, the probe step
 * (pgmqc_probe_step, in a transaction with SPI, arg a PgmqcBatchStep),
 * again while it says there is more, and pgmqc_probe_step_failed if it
 * failed as a whole.
 */
#define PGMQC_PROBE_STEP_NAME	"looks for waiting readers"

extern bool pgmqc_probes_possible(void);
extern void pgmqc_probes_offer(PgmqcDbWorker *entry, bool offer);
extern bool pgmqc_probe_begin_pass(TimestampTz now, TimestampTz *next);
extern void pgmqc_probe_step(void *arg);
extern void pgmqc_probe_step_failed(void);

extern void pgmqc_notify_load_settings(void *arg);
extern bool pgmqc_notify_begin_pass(PgmqcDbWorker *entry, const bool *fired,
									TimestampTz now, TimestampTz *next);
extern void pgmqc_notify_step(void *arg);
extern void pgmqc_notify_step_failed(TimestampTz now);

/*
 * retry_pass.c: the step that moves dead messages nobody reads and removes
 * archived messages past retention (in a transaction with SPI, inside the
 * extension context); arg is a bool set when the pass is not over (it
 * resumes where it stopped when called again)
 */
extern void pgmqc_worker_retry_pass(void *arg);
extern TimestampTz pgmqc_notify_end_pass(PgmqcDbWorker *entry,
										 TimestampTz next);

#endif							/* PGMQC_WORKER_H */
