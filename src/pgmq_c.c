/*-------------------------------------------------------------------------
 *
 * pgmq_c.c
 *		Module entry point: module magic, configuration parameters and the
 *		callbacks the other files rely on.
 *
 * Everything in pgmq_c works without shared_preload_libraries; the library
 * is loaded by the first call of one of its functions.  Loading it through
 * shared_preload_libraries only matters for later capabilities (background
 * worker, in-server waiting).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/pgmq_c.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "common/security.h"
#include "shared_memory/shared_memory.h"
#include "topic/topic.h"
#include "worker/worker.h"
#include "common/object_cache.h"

PG_MODULE_MAGIC;

int			pgmqc_max_message_size = 1024 * 1024;
int			pgmqc_metrics_exact_limit = 100000;
int			pgmqc_max_wait_ms = 30000;
int			pgmqc_max_receive_wait_ms = 600000;
int			pgmqc_cached_objects = 100;
int			pgmqc_leased_head_skip_ms = 1000;


void		_PG_init(void);

static void
pgmqc_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			pgmqc_object_cache_xact_end(true);
			pgmqc_wake_xact_end(true);
			pgmqc_prepared_wakes_xact_end(true);
			pgmqc_senders_xact_end(false);
			pgmqc_utility_xact_end(true);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			pgmqc_object_cache_xact_end(false);
			pgmqc_wake_pass_on();
			pgmqc_wake_xact_end(false);
			pgmqc_prepared_wakes_xact_end(false);
			pgmqc_senders_xact_end(false);
			pgmqc_utility_xact_end(false);
			break;
		case XACT_EVENT_PRE_PREPARE:
			pgmqc_senders_xact_preparing();
			break;
		case XACT_EVENT_PREPARE:

			/*
			 * COMMIT PREPARED runs in another session: the wake-ups wait for
			 * it in shared memory (shared_memory/prepared_wakes.c).
			 */
			pgmqc_object_cache_xact_end(false);
			pgmqc_wake_xact_prepared();
			pgmqc_prepared_wakes_xact_end(false);
			pgmqc_senders_xact_end(true);
			pgmqc_utility_xact_end(false);
			break;
		default:
			break;
	}
}

static void
pgmqc_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	/*
	 * A watermark advanced inside a subtransaction that rolls back may have
	 * counted on deletes that are now undone: drop every tentative advance.
	 */
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		pgmqc_object_cache_xact_end(false);
		pgmqc_wake_pass_on();
		pgmqc_wake_subxact_abort();
	}
}

void
_PG_init(void)
{
	DefineCustomIntVariable("pgmq_c.max_message_size",
							"Largest message plus headers accepted by send, in bytes.",
							"Measured on the binary jsonb values.",
							&pgmqc_max_message_size,
							1024 * 1024,
							1024,
							256 * 1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	/*
	 * Who may change what: settings that let one caller hold resources that
	 * others need are PGC_SUSET (a superuser, or a role granted SET on the
	 * parameter, may change them; ALTER ROLE/DATABASE ... SET by a superuser
	 * applies them to others).  metrics_exact_limit bounds how many rows a
	 * metrics(), metrics_all() or list_groups() call scans in each table,
	 * holding its snapshot (so the xmin horizon) and the queue's table locks
	 * that purge_queue and drop_queue wait for; max_wait bounds how long a
	 * read(..., wait) holds its snapshot and locks; max_receive_wait how long
	 * a receive that holds neither keeps its backend from noticing a vanished
	 * client; wait_slice and poll_interval, set small, turn idle waiters into
	 * busy pollers of shared queues.  README.md, "Configuration", has the
	 * table.
	 */
	DefineCustomIntVariable("pgmq_c.metrics_exact_limit",
							"Queues holding up to this many messages get exact counts from metrics().",
							"Above it, lengths are estimated from table statistics.",
							&pgmqc_metrics_exact_limit,
							100000,
							0,
							INT_MAX / 2,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	/*
	 * Each backend's own memory: a user setting.  See
	 * pgmqc_object_cache_trim.
	 */
	DefineCustomIntVariable("pgmq_c.cached_objects",
							"Queues, topics and consumer groups whose prepared statements a backend keeps.",
							"The least recently used beyond it have their statements freed, and prepared again when next used.",
							&pgmqc_cached_objects,
							100,
							1,
							1000000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	/*
	 * How long one backend's claims may pass over what lies behind a leased
	 * head (common/claiming.c): it orders that backend's own claims only.
	 */
	DefineCustomIntVariable("pgmq_c.leased_head_skip",
							"How long a reader's claims may start past the leased messages at the head of a queue or group.",
							"Messages behind that start (expired leases, rolled-back reads, late commits) are delivered at most this late while newer ones are read; 0: every claim starts at the oldest message that may be live.",
							&pgmqc_leased_head_skip_ms,
							1000,
							0,
							3600000,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("pgmq_c.max_wait",
							"Longest wait accepted by read(..., wait) and read_group(..., wait), and by receive() and receive_group() inside a transaction block.",
							"Such a wait holds its snapshot, and so the xmin horizon, for the whole wait.",
							&pgmqc_max_wait_ms,
							30000,
							0,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("pgmq_c.max_receive_wait",
							"Longest wait accepted by receive() and receive_group() called by a top-level CALL outside a transaction block.",
							"Such a call commits before it sleeps and holds no snapshot; pgmq_c.max_wait bounds the wait of every other call.",
							&pgmqc_max_receive_wait_ms,
							600000,
							0,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("pgmq_c.wait_slice",
							"Longest a waiting reader goes without looking into the tables.",
							"Bounds how late a message that came without a wake-up (rows written into the tables directly) is found; idle waiters whose waits are shorter than it look once per slice, not once per call.",
							&pgmqc_wait_slice_ms,
							30000,
							1,
							3600000,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("pgmq_c.poll_interval",
							"Sleep between looks of a waiting reader when pgmq_c is not preloaded.",
							NULL,
							&pgmqc_poll_interval_ms,
							20,
							1,
							10000,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("pgmq_c.group_blocks",
							 "Lets the worker hand a consumer group its messages in blocks, which readers lease straight from the topic's log.",
							 "Off: a row for each message, as before 0.8.0. Readers take the blocks already handed out either way.",
							 &pgmqc_group_blocks_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("pgmq_c.worker",
							 "Runs the pgmq_c background workers (needs shared_preload_libraries).",
							 NULL,
							 &pgmqc_worker_enabled,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	if (process_shared_preload_libraries_in_progress)
	{
		DefineCustomIntVariable("pgmq_c.wait_slots",
								"Number of shared wake-up slots that queues are hashed onto.",
								NULL,
								&pgmqc_wait_slots,
								1024,
								16,
								1024 * 1024,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);
		pgmqc_shmem_init_hooks();
		pgmqc_register_launcher();
		pgmqc_install_utility_hook();
	}

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("pgmq_c");
#else
	EmitWarningsOnPlaceholders("pgmq_c");
#endif

	pgmqc_object_cache_init();
	pgmqc_access_init();
	RegisterXactCallback(pgmqc_xact_callback, NULL);
	RegisterSubXactCallback(pgmqc_subxact_callback, NULL);
}
