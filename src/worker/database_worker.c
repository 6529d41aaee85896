/*-------------------------------------------------------------------------
 *
 * database_worker.c
 *		The per-database background worker of pgmq_c: its start and its
 *		main loop.
 *
 * The launcher (launcher.c) starts one worker per database.  The worker
 * does the database's time-driven and background work, pass after pass:
 *	- it fills the consumer groups of topics when a reader asks (one inside
 *	  a transaction block, or one whose claims reached the refill mark, a
 *	  quarter of the way into the last fill: PgmqcDbWorker.fill_wanted), in a transaction
 *	  of its own that commits at once, so that the group's cursor is not
 *	  held locked by the reader's long transaction (topic/group_fill.c);
 *	- it maintains topics every MAINTENANCE_INTERVAL_MS and when a sender
 *	  asks (PgmqcDbWorker.maint_wanted): partitions made ahead, rotation,
 *	  retention (topic/maintenance.c); and it forgets grants to dropped roles and
 *	  gives the queues of a dropped owner to the extension's owner
 *	  (access.c);
 *	- at the due time of a delayed message or of a lease end published in a
 *	  wake-up slot, it wakes that slot's sleepers (they then move due
 *	  messages themselves);
 *	- for queues with enable_notify(), it sends their NOTIFY
 *	  (notifications.c);
 *	- for readers of a queue that sleep past their wait slice, it looks
 *	  into the queue's tables once a slice and wakes them when it finds
 *	  something (probes.c).
 * It sleeps on its latch until the earliest due time, a request from a
 * backend, or the next periodic check (settings every SETTINGS_CHECK_MS,
 * topics every MAINTENANCE_INTERVAL_MS).
 *
 * The worker pins search_path before its first statement, and does its
 * work as the role that owns the extension (security.h), logging in as
 * that role when it may log in (check_login_role), never doing the work as
 * the superuser it may connect as.  Each step runs in a transaction of its
 * own (worker_xact), and the work on each queue, topic and group in a
 * subtransaction of its own: a queue or topic whose tables are missing or
 * damaged fails alone, the failure is logged at most once a minute
 * (failures.c), and the other queues and topics go on.  A worker that finds
 * no pgmq_c in its database exits, and is started again only when a
 * backend asks for one.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/worker/database_worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "common/security.h"
#include "pgmq_c.h"
#include "topic/topic.h"
#include "worker/worker.h"
#include "shared_memory/shared_memory.h"

/* the notify settings are reloaded at least this often */
#define SETTINGS_CHECK_MS		10000

/* topics are maintained at least this often */
#define MAINTENANCE_INTERVAL_MS 5000

/* how often the retry policies are served (retry_pass.c), milliseconds */
#define RETRY_PASS_INTERVAL_MS	1000

/* room for "pgmq_c worker: <step>", the worker's activity */
#define ACTIVITY_LEN			64

static char my_dbname[NAMEDATALEN];
static char my_rolename[NAMEDATALEN];	/* the role we logged in as */
static PgmqcDbWorker *my_entry = NULL;

/* may the worker look into queues for their sleeping readers (probes.c)? */
static bool probes_possible = false;

/*
 * The worker's steps.  Each runs in a transaction of its own, and the work
 * on each queue, topic and group inside it in a subtransaction of its own
 * (notifications.c, topic/group_fill.c, topic/maintenance.c): an object whose tables
 * are missing or damaged fails alone, and the worker goes on with the
 * others.  Failures are reported at most once a minute per step or object
 * (guarded.c), so that an object failing on every pass does not flood the
 * log.
 */
typedef enum WorkerStep
{
	STEP_SETTINGS = 1,
	STEP_FILL,
	STEP_MAINTENANCE,
	STEP_RETRIES,
	STEP_NOTIFY,
	STEP_PROBES
} WorkerStep;

static const char *const step_names[] = {
	[STEP_SETTINGS] = "loading settings",
	[STEP_FILL] = "filling consumer groups",
	[STEP_MAINTENANCE] = "topic maintenance",
	[STEP_RETRIES] = "dead letters and archive retention",
	[STEP_NOTIFY] = PGMQC_NOTIFY_STEP_NAME,
	[STEP_PROBES] = PGMQC_PROBE_STEP_NAME,
};

typedef enum WorkerXactResult
{
	XACT_DONE,
	XACT_FAILED,
	XACT_NOT_INSTALLED,			/* pgmq_c is not installed here */
	XACT_CATALOG_TOO_OLD		/* its catalog predates 0.4.0: no work */
} WorkerXactResult;

/* whether this worker said that it waits for ALTER EXTENSION UPDATE */
static bool said_catalog_too_old = false;

/* At exit: leave the registry entry, if it is still ours. */
static void
worker_detach(int code, Datum arg)
{
	bool		ours;
	Latch	   *launcher = NULL;

	SpinLockAcquire(&pgmqc_shared->mutex);
	ours = my_entry != NULL && my_entry->pid == MyProcPid;
	if (ours)
	{
		my_entry->pid = 0;
		my_entry->latch = NULL;
		if (my_entry->wanted)
			launcher = pgmqc_shared->launcher_latch;
	}
	SpinLockRelease(&pgmqc_shared->mutex);

	/* readers that left their looks to us look themselves again */
	if (ours)
		pgmqc_probes_offer(my_entry, false);

	/*
	 * A worker still wanted is started again by the launcher.  The launcher
	 * that started us hears of our exit (bgw_notify_pid), but a launcher
	 * started since (the old one was terminated) holds no handle of ours and
	 * would not look before its next database scan, up to a minute away: tell
	 * whichever launcher runs now (last, so that the next worker's offer of
	 * looks comes after our withdrawal of ours).
	 */
	if (launcher != NULL)
		SetLatch(launcher);
}

/*
 * The worker logs in as the extension's owner.  The first start in a
 * database (as the bootstrap superuser, since nothing is known yet), and a
 * start after the extension was created again by another role, learn the
 * owner here, remember it in the worker's shared entry and exit: the
 * launcher starts the worker again at once, logged in as the owner.  An
 * owner that may not log in is served by the bootstrap superuser's session,
 * acting as the owner all the same (pgmqc_enter); so is one that may log in
 * but not connect to this database (no CONNECT privilege and no superuser):
 * before, the worker went back and forth each second between the
 * superuser's start and the owner's refused login, and never worked
 * (review h49).
 */
static void
check_login_role(void)
{
	Oid			owner;
	bool		canlogin = false;
	HeapTuple	tuple;

	StartTransactionCommand();
	owner = pgmqc_extension_owner();
	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner));
	if (HeapTupleIsValid(tuple))
	{
		canlogin = ((Form_pg_authid) GETSTRUCT(tuple))->rolcanlogin;
		ReleaseSysCache(tuple);
	}
	if (canlogin && !superuser_arg(owner) &&
		pg_database_aclcheck(MyDatabaseId, owner, ACL_CONNECT) != ACLCHECK_OK)
		canlogin = false;
	CommitTransactionCommand();
	if (owner == GetSessionUserId() || !canlogin)
		return;

	SpinLockAcquire(&pgmqc_shared->mutex);
	my_entry->role = owner;
	SpinLockRelease(&pgmqc_shared->mutex);
	ereport(LOG,
			(errmsg("pgmq_c worker for database \"%s\" restarts to log in as the extension's owner",
					my_dbname)));
	proc_exit(0);
}

/*
 * Run work(arg) in a transaction of its own, with SPI connected and inside
 * the extension context (security.h): search_path pinned, acting as the
 * extension's owner.  An error rolls the transaction back and is reported
 * (failures.c); the worker goes on.  Nothing runs when pgmq_c is not
 * installed in the database.
 */
static WorkerXactResult
worker_xact(WorkerStep step, void (*work) (void *), void *arg)
{
	static char activity[ACTIVITY_LEN];
	MemoryContext oldcontext = CurrentMemoryContext;
	volatile WorkerXactResult result = XACT_DONE;

	snprintf(activity, sizeof(activity), "pgmq_c worker: %s", step_names[step]);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	debug_query_string = activity;
	pgstat_report_activity(STATE_RUNNING, activity);
	PG_TRY();
	{
		if (step == STEP_FILL)
		{
			/*
			 * A fill need not wait for its commit to reach the disk: whoever
			 * uses what it handed out (a reader's lease, an acknowledgement)
			 * commits after it, and that commit's flush covers the fill's
			 * WAL. A crash before loses the fill and its cursor move
			 * together, and the group is filled again.
			 */
			(void) set_config_option("synchronous_commit", "off", PGC_SUSET,
									 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0,
									 false);
		}
		if (!OidIsValid(get_extension_oid("pgmq_c", true)))
			result = XACT_NOT_INSTALLED;
		else if (step != STEP_SETTINGS && !pgmqc_security_active())
		{
			/*
			 * A catalog older than 0.4.0 (this library installed, ALTER
			 * EXTENSION UPDATE not run yet): the tables of a queue or topic
			 * belong to whoever created it, who may have given them triggers,
			 * defaults or rules.  Nothing is written or read in them until
			 * the update takes them over.
			 */
			result = XACT_CATALOG_TOO_OLD;
			if (!said_catalog_too_old)
				ereport(LOG,
						(errmsg("pgmq_c worker for database \"%s\" waits for ALTER EXTENSION pgmq_c UPDATE",
								my_dbname),
						 errdetail("The extension's catalog predates version 0.4.0, whose tables only the extension's owner may change.")));
			said_catalog_too_old = true;
		}
		else
		{
			PgmqcContext cxt;

			if (said_catalog_too_old && step != STEP_SETTINGS)
			{
				ereport(LOG,
						(errmsg("pgmq_c worker for database \"%s\" resumes: the extension was updated",
								my_dbname)));
				said_catalog_too_old = false;
			}
			SPI_connect();
			PushActiveSnapshot(GetTransactionSnapshot());
			pgmqc_enter(&cxt);
			work(arg);
			pgmqc_leave(&cxt);
			SPI_finish();
			PopActiveSnapshot();
		}
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		MemoryContextSwitchTo(oldcontext);
		pgmqc_worker_report_failure(my_dbname, step_names[step], step, NULL,
									edata);
		FreeErrorData(edata);
		result = XACT_FAILED;
	}
	PG_END_TRY();
	debug_query_string = NULL;
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

/* The settings step: notify settings, and whether looks are possible. */
static void
settings_work(void *arg)
{
	pgmqc_notify_load_settings(arg);
	probes_possible = pgmqc_probes_possible();
}

/*
 * Is pgmq_c still installed here?  Also (re)loads the notify settings; if
 * that fails, the old ones stay.  Then offers the looks for sleeping
 * readers (probes.c) when the catalog allows them.
 */
static bool
load_settings(void)
{
	WorkerXactResult result = worker_xact(STEP_SETTINGS, settings_work, NULL);

	if (result == XACT_NOT_INSTALLED)
	{
		pgmqc_probes_offer(my_entry, false);
		return false;
	}
	pgmqc_probes_offer(my_entry, probes_possible);
	return true;
}

/* The fill step: every consumer group of every topic (topic/group_fill.c). */
static void
fill_work(void *arg)
{
	pgmqc_fill_all_groups();
}

/* where the worker's maintenance of one round stands */
typedef struct MaintenanceRound
{
	bool		first;			/* the round's first transaction */
	uint64		visited;		/* topics its last transaction maintained */
	uint64		ntopics;		/* topics there were then */
} MaintenanceRound;

/*
 * The maintenance step: the next topics, PGMQC_MAINTENANCE_TOPICS_PER_-
 * TRANSACTION of them, then (in a round's first transaction) the grants and
 * owners of dropped roles.
 */
static void
maintenance_work(void *arg)
{
	MaintenanceRound *round = (MaintenanceRound *) arg;

	(void) pgmqc_maintain_topics_internal(PGMQC_MAINTENANCE_TOPICS_PER_TRANSACTION,
										  &round->visited, &round->ntopics);
	if (round->first)
		pgmqc_forget_dropped_roles();
}

/*
 * One round of maintenance: every topic once, in transactions of
 * PGMQC_MAINTENANCE_TOPICS_PER_TRANSACTION topics, so that the locks one
 * transaction holds until it ends stay few however many topics there are.
 */
static void
maintenance_round(void)
{
	MaintenanceRound round = {true, 0, 0};
	uint64		done = 0;

	for (;;)
	{
		if (worker_xact(STEP_MAINTENANCE, maintenance_work, &round) != XACT_DONE)
			break;
		round.first = false;
		done += round.visited;
		if (round.visited == 0 || done >= round.ntopics)
			break;
		CHECK_FOR_INTERRUPTS();
	}
}

/* Leave for good: the launcher starts no worker until a backend asks. */
static void
stop_unwanted(void)
{
	SpinLockAcquire(&pgmqc_shared->mutex);
	my_entry->wanted = false;
	SpinLockRelease(&pgmqc_shared->mutex);
	proc_exit(0);
}

/* The worker's main function; main_arg is the database's oid. */
void
pgmqc_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	bool	   *fired;
	TimestampTz last_check;
	TimestampTz last_maint = 0;
	TimestampTz last_retry_pass = 0;
	long		retry_interval_ms = RETRY_PASS_INTERVAL_MS;
	bool		retry_more = false;
	char	   *dbname;
	int			i;

	Oid			role = InvalidOid;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/*
	 * Log in as the extension's owner once an earlier start has learned who
	 * that is (check_login_role); until then, or when the last attempt to log
	 * in as it failed (the role lost LOGIN, say), as the bootstrap superuser.
	 * Either way every statement runs as the extension owner.
	 */
	SpinLockAcquire(&pgmqc_shared->mutex);
	for (i = 0; i < PGMQC_MAX_DATABASES; i++)
	{
		if (pgmqc_shared->workers[i].dboid == dboid)
		{
			my_entry = &pgmqc_shared->workers[i];
			if (my_entry->connecting)
				my_entry->role = InvalidOid;
			role = my_entry->role;
			my_entry->connecting = OidIsValid(role);
			break;
		}
	}
	SpinLockRelease(&pgmqc_shared->mutex);
	if (my_entry == NULL)
		proc_exit(0);

	BackgroundWorkerInitializeConnectionByOid(dboid, role, 0);
	/* search_path and friends, before anything runs in the database */
	pgmqc_pin_worker_settings();
	pgstat_report_appname("pgmq_c worker");

	/*
	 * While this connected, a backend of another database may have taken the
	 * entry, had it looked dormant (pgmqc_my_worker: not wanted any more, no
	 * pid yet): then it is not ours to fill in.
	 */
	SpinLockAcquire(&pgmqc_shared->mutex);
	if (my_entry->dboid != dboid)
	{
		SpinLockRelease(&pgmqc_shared->mutex);
		proc_exit(0);
	}
	my_entry->connecting = false;
	my_entry->pid = MyProcPid;
	my_entry->latch = MyLatch;
	SpinLockRelease(&pgmqc_shared->mutex);
	before_shmem_exit(worker_detach, (Datum) 0);

	StartTransactionCommand();
	dbname = get_database_name(MyDatabaseId);
	strlcpy(my_dbname, dbname ? dbname : "?", sizeof(my_dbname));
	dbname = GetUserNameFromId(GetSessionUserId(), true);
	strlcpy(my_rolename, dbname ? dbname : "?", sizeof(my_rolename));
	CommitTransactionCommand();

	if (!load_settings())
	{
		/* no pgmq_c here: stay away until a backend asks for a worker */
		stop_unwanted();
	}
	check_login_role();
	ereport(LOG, (errmsg("pgmq_c worker started for database \"%s\" as role \"%s\"",
						 my_dbname, my_rolename)));

	fired = MemoryContextAllocZero(TopMemoryContext,
								   pgmqc_shared->nslots * sizeof(bool));
	last_check = GetCurrentTimestamp();

	for (;;)
	{
		TimestampTz now;
		TimestampTz next;
		long		timeout;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (!pgmqc_worker_enabled)
			{
				/*
				 * Turned off: leave, still wanted, so that the launcher
				 * starts this database's worker again when it is turned on.
				 */
				ereport(LOG,
						(errmsg("pgmq_c worker stops: \"%s\" was turned off",
								"pgmq_c.worker")));
				proc_exit(0);
			}
		}

		now = GetCurrentTimestamp();
		if (pg_atomic_exchange_u32(&my_entry->config_changed, 0) != 0 ||
			TimestampDifferenceExceeds(last_check, now, SETTINGS_CHECK_MS))
		{
			last_check = now;
			if (!load_settings())
			{
				ereport(LOG, (errmsg("pgmq_c worker stops: the extension is not installed in database \"%s\"",
									 my_dbname)));
				stop_unwanted();
			}
		}

		/* consumer groups whose readers are inside transaction blocks */
		if (pg_atomic_exchange_u32(&my_entry->fill_wanted, 0) != 0)
			(void) worker_xact(STEP_FILL, fill_work, NULL);

		/* topics: partitions ahead, rotation, retention; dropped roles */
		if (pg_atomic_exchange_u32(&my_entry->maint_wanted, 0) != 0 ||
			TimestampDifferenceExceeds(last_maint, now, MAINTENANCE_INTERVAL_MS))
		{
			last_maint = now;
			maintenance_round();
			now = GetCurrentTimestamp();
		}

		/* dead letters nobody reads; archive retention */

		/*
		 * A pass goes one batch of queues per round of this loop, so that
		 * notifications and timers are served between batches; the next pass
		 * starts a second after this one started, or four times its length
		 * later if that is longer (with thousands of queues under a policy,
		 * the worker spends at most a fifth of its time on passes).
		 */
		if (retry_more ||
			TimestampDifferenceExceeds(last_retry_pass, now, retry_interval_ms))
		{
			if (!retry_more)
				last_retry_pass = now;
			if (worker_xact(STEP_RETRIES, pgmqc_worker_retry_pass, &retry_more) != XACT_DONE)
				retry_more = false;
			now = GetCurrentTimestamp();
			if (!retry_more)
				retry_interval_ms = Max(RETRY_PASS_INTERVAL_MS,
										4 * (now - last_retry_pass) / 1000);
		}

		/* timers of delayed messages and lease ends */
		pg_atomic_write_u64(&my_entry->timer, (uint64) PGMQC_NO_DUE);
		next = pgmqc_wake_due_slots(now, fired);

		/* looks into queues for readers sleeping past their slice */
		if (pgmqc_probe_begin_pass(now, &next))
		{
			PgmqcBatchStep step;

			step.now = now;
			step.database = my_dbname;
			do
			{
				CHECK_FOR_INTERRUPTS();
				step.more = false;
				if (worker_xact(STEP_PROBES, pgmqc_probe_step, &step) != XACT_DONE)
				{
					pgmqc_probe_step_failed();
					break;
				}
			} while (step.more);
			now = GetCurrentTimestamp();
		}

		/* notifications */
		if (pgmqc_notify_begin_pass(my_entry, fired, now, &next))
		{
			PgmqcBatchStep step;

			step.now = now;
			step.database = my_dbname;
			do
			{
				CHECK_FOR_INTERRUPTS();
				step.more = false;
				if (worker_xact(STEP_NOTIFY, pgmqc_notify_step, &step) == XACT_FAILED)
				{
					pgmqc_notify_step_failed(now);
					break;
				}
			} while (step.more);
		}
		next = pgmqc_notify_end_pass(my_entry, next);

		/* sleep until the next due time, a latch, or the periodic check */
		now = GetCurrentTimestamp();
		timeout = Min(Min(SETTINGS_CHECK_MS, MAINTENANCE_INTERVAL_MS),
					  RETRY_PASS_INTERVAL_MS);
		if (next != PGMQC_NO_DUE)
			timeout = Max(1, Min(timeout, (next - now + 999) / 1000));
		if (retry_more)
			timeout = 0;		/* the pass goes on at once */
		pg_atomic_write_u64(&my_entry->timer, (uint64) next);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
