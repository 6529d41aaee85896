/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The launcher and the per-database background workers.
 *
 * The launcher (one per cluster, registered in _PG_init when the library
 * is preloaded) connects to no database.  It starts one worker per
 * database that allows connections and is not a template, and again
 * whenever a backend of a database without a running worker asks for one
 * (pgmqc_my_worker(true), called by pgmq_c functions).  A worker that finds
 * no pgmq_c extension in its database exits and is not restarted until
 * asked; a worker that dies otherwise is started again.  Nothing runs on a
 * hot standby (BgWorkerStart_RecoveryFinished): the launcher starts after
 * promotion.
 *
 * A database worker owns time-driven work and writes no queue data:
 *	- at the due time of a delayed message or of a lease end published in a
 *	  wake-up slot, it wakes that slot's sleepers (they then move due
 *	  messages themselves);
 *	- for queues with enable_notify(), it sends NOTIFY pgmq_c, '<queue>'
 *	  after sends commit, and when delayed messages or expired leases make
 *	  messages visible, at most once per queue per throttle interval.
 * It sleeps on its latch until the earliest due time: an idle cluster costs
 * it no CPU.  Producers never NOTIFY themselves, so they never take the
 * cluster-wide lock that NOTIFY takes at commit.
 *
 * The launcher and the workers pin search_path before their first
 * statement, and a worker does its work as the role that owns the
 * extension (security.h), never as the superuser it connects as.  Each
 * step runs in a transaction of its own, and the work on each queue and
 * topic in a subtransaction of its own: a queue or topic whose tables are
 * missing or damaged fails alone, the failure is logged at most once a
 * minute, and the other queues and topics go on.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "common/security.h"
#include "shmem.h"

PGDLLEXPORT void pgmqc_launcher_main(Datum main_arg);
PGDLLEXPORT void pgmqc_worker_main(Datum main_arg);

bool		pgmqc_worker_enabled = true;

/* how often the launcher and idle workers look around anyway */
#define LAUNCHER_NAP_MS		10000
#define WORKER_CHECK_MS		10000
#define MAINT_INTERVAL_MS	5000
#define RESTART_DELAY_MS	1000

void
pgmqc_register_launcher(void)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 10;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "pgmq_c");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "pgmqc_launcher_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "pgmq_c launcher");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "pgmq_c launcher");
	RegisterBackgroundWorker(&bgw);
}

/*
 * Mark every database that allows connections and is not a template as
 * wanting a worker, and forget entries of databases that are gone.
 */
static void
scan_databases(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	Oid			dbs[PGMQC_MAX_DATABASES];
	int			ndbs = 0;
	int			i,
				j;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (db->datallowconn && !db->datistemplate && ndbs < PGMQC_MAX_DATABASES)
			dbs[ndbs++] = db->oid;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();

	SpinLockAcquire(&pgmqc_shared->mutex);
	/* databases dropped meanwhile: free their entries */
	for (i = 0; i < PGMQC_MAX_DATABASES; i++)
	{
		PgmqcDbWorker *w = &pgmqc_shared->workers[i];
		bool		exists = false;

		if (w->dboid == InvalidOid || w->pid != 0)
			continue;
		for (j = 0; j < ndbs; j++)
			exists |= (dbs[j] == w->dboid);
		if (!exists)
		{
			w->dboid = InvalidOid;
			w->wanted = false;
		}
	}
	for (j = 0; j < ndbs; j++)
	{
		PgmqcDbWorker *found = NULL;
		PgmqcDbWorker *free_entry = NULL;

		for (i = 0; i < PGMQC_MAX_DATABASES; i++)
		{
			PgmqcDbWorker *w = &pgmqc_shared->workers[i];

			if (w->dboid == dbs[j])
				found = w;
			else if (w->dboid == InvalidOid && free_entry == NULL)
				free_entry = w;
		}
		if (found == NULL && free_entry != NULL)
		{
			free_entry->dboid = dbs[j];
			free_entry->pid = 0;
			free_entry->latch = NULL;
			free_entry->role = InvalidOid;
			free_entry->connecting = false;
			free_entry->wanted = true;
		}
	}
	SpinLockRelease(&pgmqc_shared->mutex);
}

static bool
start_worker(Oid dboid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "pgmq_c");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "pgmqc_worker_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "pgmq_c worker for database %u", dboid);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "pgmq_c worker");
	bgw.bgw_main_arg = ObjectIdGetDatum(dboid);
	bgw.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&bgw, handle);
}

void
pgmqc_launcher_main(Datum main_arg)
{
	BackgroundWorkerHandle *handles[PGMQC_MAX_DATABASES];
	TimestampTz started[PGMQC_MAX_DATABASES];
	TimestampTz last_scan = 0;

	memset(handles, 0, sizeof(handles));
	memset(started, 0, sizeof(started));

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	/* it reads only pg_database, but pins the settings all the same */
	pgmqc_pin_worker_settings();
	pgstat_report_appname("pgmq_c launcher");

	SpinLockAcquire(&pgmqc_shared->mutex);
	pgmqc_shared->launcher_latch = MyLatch;
	pgmqc_shared->launcher_pid = MyProcPid;
	SpinLockRelease(&pgmqc_shared->mutex);

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		bool		delayed_restart = false;
		int			i;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (last_scan == 0 ||
			TimestampDifferenceExceeds(last_scan, now, LAUNCHER_NAP_MS * 6))
		{
			scan_databases();
			last_scan = now;
		}

		for (i = 0; i < PGMQC_MAX_DATABASES; i++)
		{
			PgmqcDbWorker *w = &pgmqc_shared->workers[i];
			Oid			dboid;
			bool		wanted;
			pid_t		pid;

			if (handles[i] != NULL &&
				GetBackgroundWorkerPid(handles[i], &pid) == BGWH_STOPPED)
			{
				pfree(handles[i]);
				handles[i] = NULL;
				SpinLockAcquire(&pgmqc_shared->mutex);
				w->pid = 0;
				w->latch = NULL;
				SpinLockRelease(&pgmqc_shared->mutex);
			}

			SpinLockAcquire(&pgmqc_shared->mutex);
			dboid = w->dboid;
			wanted = w->wanted && w->pid == 0;
			SpinLockRelease(&pgmqc_shared->mutex);

			if (!pgmqc_worker_enabled || dboid == InvalidOid || !wanted ||
				handles[i] != NULL)
				continue;
			if (started[i] != 0 &&
				!TimestampDifferenceExceeds(started[i], now, RESTART_DELAY_MS))
			{
				delayed_restart = true;
				continue;
			}
			started[i] = now;
			if (!start_worker(dboid, &handles[i]))
			{
				handles[i] = NULL;
				ereport(LOG,
						(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
						 errmsg("pgmq_c could not start a worker for database %u", dboid),
						 errhint("Consider increasing the configuration parameter \"%s\".",
								 "max_worker_processes")));
			}
		}

		/*
		 * Workers stopping (bgw_notify_pid) and backends asking for one set
		 * our latch; the timeout only serves a restart held back by
		 * RESTART_DELAY_MS and the periodic database scan.
		 */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 delayed_restart ? RESTART_DELAY_MS : LAUNCHER_NAP_MS * 6,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* A queue with notifications on, as the worker sees it. */
typedef struct NotifyQueue
{
	int32		queue_id;
	char		name[PGMQC_MAX_NAME_LEN + 1];
	int64		throttle_us;
	TimestampTz last_sent;
	TimestampTz due;			/* next time something becomes visible */
	bool		pending;		/* something became visible */
	bool		check;			/* a due time passed: is anything visible? */
	bool		recheck;		/* recompute due */
} NotifyQueue;

static NotifyQueue *notify_queues = NULL;
static int	n_notify_queues = 0;
static char my_dbname[NAMEDATALEN];
static char my_rolename[NAMEDATALEN];	/* the role we logged in as */
static PgmqcDbWorker *my_entry = NULL;

/* after a failed notification step, no new one before this time */
static TimestampTz notify_retry_at = 0;

#define NOTIFY_RETRY_MS		1000

/*
 * The worker's steps.  Each runs in a transaction of its own, and the work
 * on each queue and topic inside it in a subtransaction of its own (topic
 * maintenance: topic_maint.c): an object whose tables are missing or
 * damaged fails alone, and the worker goes on with the others.  Failures
 * are reported at most once a minute per step or queue (guarded.c), so
 * that an object failing on every pass does not flood the log.
 */
typedef enum WorkerStep
{
	STEP_SETTINGS = 1,
	STEP_FILL,
	STEP_MAINTENANCE,
	STEP_NOTIFY
} WorkerStep;

static const char *const step_names[] = {
	[STEP_SETTINGS] = "loading settings",
	[STEP_FILL] = "filling consumer groups",
	[STEP_MAINTENANCE] = "topic maintenance",
	[STEP_NOTIFY] = "notifications",
};

typedef enum WorkerXactResult
{
	XACT_DONE,
	XACT_FAILED,
	XACT_NOT_INSTALLED			/* pgmq_c is not installed here */
} WorkerXactResult;

static void
worker_detach(int code, Datum arg)
{
	SpinLockAcquire(&pgmqc_shared->mutex);
	if (my_entry != NULL && my_entry->pid == MyProcPid)
	{
		my_entry->pid = 0;
		my_entry->latch = NULL;
	}
	SpinLockRelease(&pgmqc_shared->mutex);
}

/*
 * Report that step "what" failed, for the queue "name" (kind 'q', id its
 * queue_id) or as a whole (kind 'w', id the WorkerStep, name NULL), unless
 * the same was reported less than a minute ago.
 */
static void
report_failure(char kind, int32 id, const char *what, const char *name,
			   ErrorData *edata)
{
	int64		unreported;

	if (!pgmqc_report_due(kind, id, &unreported))
		return;

	if (name != NULL)
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pgmq_c worker: %s of queue \"%s\" in database \"%s\" failed: %s",
						what, name, my_dbname, edata->message),
				 unreported > 0 ?
				 errdetail("It failed " INT64_FORMAT " more times since it was last reported.",
						   unreported) : 0,
				 errhint("The worker goes on with the other queues and tries this one again; it reports the failure at most once a minute. "
						 "A queue whose tables are missing can be dropped with pgmq_c.drop_queue().")));
	else
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pgmq_c worker: %s in database \"%s\" failed: %s",
						what, my_dbname, edata->message),
				 unreported > 0 ?
				 errdetail("It failed " INT64_FORMAT " more times since it was last reported.",
						   unreported) : 0,
				 errhint("The worker tries again; it reports the failure at most once a minute.")));
}

/*
 * Run step(arg) in a subtransaction of the current transaction, as a
 * PL/pgSQL block with an exception handler does: on error, roll the
 * subtransaction back, report the error (report_failure) and return false.
 * Inside SPI.
 */
static bool
try_in_subxact(void (*step) (void *), void *arg,
			   char kind, int32 id, const char *what, const char *name)
{
	ErrorData  *edata = pgmqc_run_guarded(step, arg);

	if (edata == NULL)
		return true;
	report_failure(kind, id, what, name, edata);
	FreeErrorData(edata);
	return false;
}

/*
 * The worker logs in as the extension's owner.  The first start in a
 * database (as the bootstrap superuser, since nothing is known yet), and a
 * start after the extension was created again by another role, learn the
 * owner here, remember it in the worker's shared entry and exit: the
 * launcher starts the worker again at once, logged in as the owner.  An
 * owner that may not log in is served by the bootstrap superuser's session,
 * acting as the owner all the same (pgmqc_enter).
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
 * (report_failure); the worker goes on.  Nothing runs when pgmq_c is not
 * installed in the database.
 */
static WorkerXactResult
worker_xact(WorkerStep step, void (*work) (void *), void *arg)
{
	static char activity[64];
	MemoryContext oldcontext = CurrentMemoryContext;
	volatile WorkerXactResult result = XACT_DONE;

	snprintf(activity, sizeof(activity), "pgmq_c worker: %s", step_names[step]);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	debug_query_string = activity;
	pgstat_report_activity(STATE_RUNNING, activity);
	PG_TRY();
	{
		if (!OidIsValid(get_extension_oid("pgmq_c", true)))
			result = XACT_NOT_INSTALLED;
		else
		{
			PgmqcContext cxt;

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
		report_failure('w', step, step_names[step], NULL, edata);
		FreeErrorData(edata);
		result = XACT_FAILED;
	}
	PG_END_TRY();
	debug_query_string = NULL;
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

/* An interval as microseconds, months counting 30 days. */
static int64
interval_usecs(Interval *iv)
{
	return iv->time + (int64) iv->day * USECS_PER_DAY +
		(int64) iv->month * DAYS_PER_MONTH * USECS_PER_DAY;
}

/* (Re)load the notify settings. */
static void
load_config_work(void *arg)
{
	Oid			queues;
	MemoryContext old;
	NotifyQueue *fresh;
	uint64		i;
	int			j;

	queues = get_relname_relid("queues", get_namespace_oid("pgmq_c", false));
	if (!OidIsValid(queues) ||
		get_attnum(queues, "notify_throttle") == InvalidAttrNumber)
	{
		/* before version 0.2.0: no notifications */
		n_notify_queues = 0;
		return;
	}
	if (SPI_execute("SELECT queue_id, queue_name, notify_throttle "
					"FROM pgmq_c.queues WHERE notify_throttle IS NOT NULL "
					"ORDER BY queue_id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pgmq_c.queues");
	old = MemoryContextSwitchTo(TopMemoryContext);
	fresh = palloc0((SPI_processed + 1) * sizeof(NotifyQueue));
	MemoryContextSwitchTo(old);
	for (i = 0; i < SPI_processed; i++)
	{
		NotifyQueue *nq = &fresh[i];
		bool		isnull;
		char	   *name;

		nq->queue_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
												   SPI_tuptable->tupdesc, 1, &isnull));
		name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		strlcpy(nq->name, name, sizeof(nq->name));
		nq->throttle_us =
			interval_usecs(DatumGetIntervalP(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 3, &isnull)));
		nq->due = DT_NOEND;
		nq->recheck = true;
		/* a reload keeps the throttle window and what is pending */
		for (j = 0; j < n_notify_queues; j++)
		{
			if (notify_queues[j].queue_id == nq->queue_id)
			{
				nq->last_sent = notify_queues[j].last_sent;
				nq->pending = notify_queues[j].pending;
				break;
			}
		}
	}
	if (notify_queues != NULL)
		pfree(notify_queues);
	notify_queues = fresh;
	n_notify_queues = (int) SPI_processed;
}

/*
 * Is pgmq_c still installed here?  Also (re)loads the notify settings; if
 * that fails, the old ones stay.
 */
static bool
load_config(void)
{
	return worker_xact(STEP_SETTINGS, load_config_work, NULL) != XACT_NOT_INSTALLED;
}

/*
 * Recompute when something in a notify queue next becomes visible by
 * itself: only future times count, so a due message that nobody has read
 * yet is notified once, not again and again.
 */
static void
recheck_due(NotifyQueue *nq, TimestampTz now)
{
	char	   *sql;
	Oid			argtype = TIMESTAMPTZOID;
	Datum		arg = TimestampTzGetDatum(now);

	sql = psprintf("SELECT LEAST("
				   "(SELECT deliver_at FROM pgmq_c.d_%d WHERE deliver_at OPERATOR(pg_catalog.>) $1 "
				   " ORDER BY deliver_at LIMIT 1), "
				   "(SELECT pg_catalog.min(vt) FROM (SELECT vt FROM pgmq_c.q_%d "
				   " WHERE vt OPERATOR(pg_catalog.>) $1 ORDER BY msg_id LIMIT 1000) s))",
				   nq->queue_id, nq->queue_id);
	nq->due = DT_NOEND;
	if (SPI_execute_with_args(sql, 1, &argtype, &arg, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			nq->due = DatumGetTimestampTz(d);
	}
	nq->recheck = false;
	pfree(sql);
}

/* Is a committed message of the queue visible, or a delayed one due? */
static bool
visible_now(NotifyQueue *nq, TimestampTz now)
{
	char	   *sql;
	Oid			argtype = TIMESTAMPTZOID;
	Datum		arg = TimestampTzGetDatum(now);
	bool		found;

	sql = psprintf("SELECT 1 WHERE EXISTS "
				   "(SELECT 1 FROM pgmq_c.d_%d WHERE deliver_at OPERATOR(pg_catalog.<=) $1) "
				   "OR EXISTS (SELECT 1 FROM pgmq_c.q_%d WHERE vt OPERATOR(pg_catalog.<=) $1)",
				   nq->queue_id, nq->queue_id);
	found = SPI_execute_with_args(sql, 1, &argtype, &arg, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1;
	pfree(sql);
	return found;
}

/* what the notification step does for one queue, in a subtransaction */
typedef struct NotifyCheck
{
	NotifyQueue *nq;
	TimestampTz now;
} NotifyCheck;

static void
notify_check_queue(void *arg)
{
	NotifyCheck *c = (NotifyCheck *) arg;
	NotifyQueue *nq = c->nq;

	if (nq->check)
	{
		/* a due time is no news unless a committed message is visible */
		if (visible_now(nq, c->now))
			nq->pending = true;
		nq->check = false;
	}
	if (nq->recheck)
		recheck_due(nq, c->now);
}

/* The notification step: arg points to the current time. */
static void
notify_work(void *arg)
{
	TimestampTz now = *(TimestampTz *) arg;
	int			i;

	for (i = 0; i < n_notify_queues; i++)
	{
		NotifyQueue *nq = &notify_queues[i];

		CHECK_FOR_INTERRUPTS();
		if (nq->check || nq->recheck)
		{
			NotifyCheck c;

			c.nq = nq;
			c.now = now;
			if (!try_in_subxact(notify_check_queue, &c, 'q', nq->queue_id,
								step_names[STEP_NOTIFY], nq->name))
			{
				/* tried again at the next reload of the settings */
				nq->check = false;
				nq->recheck = false;
				nq->due = DT_NOEND;
			}
		}
		if (nq->pending &&
			(nq->throttle_us == 0 ||
			 TimestampDifferenceExceeds(nq->last_sent, now, nq->throttle_us / 1000)))
		{
			Async_Notify("pgmq_c", nq->name);
			nq->last_sent = now;
			nq->pending = false;
		}
	}
}

static void
fill_work(void *arg)
{
	pgmqc_fill_all_groups();
}

static void
maintenance_work(void *arg)
{
	(void) pgmqc_maintain_topics_internal();
	pgmqc_forget_dropped_roles();
}

/* Wake the sleepers of every slot whose due time has come; returns the next. */
static TimestampTz
fire_due_slots(TimestampTz now, bool *fired)
{
	TimestampTz next = PGMQC_NO_DUE;
	int			i;

	for (i = 0; i < pgmqc_shared->nslots; i++)
	{
		PgmqcSlot  *s = &pgmqc_shared->slots[i];
		uint64		due = pg_atomic_read_u64(&s->next_due);

		fired[i] = false;
		while ((int64) due <= now)
		{
			if (pg_atomic_compare_exchange_u64(&s->next_due, &due,
											   (uint64) PGMQC_NO_DUE))
			{
				pg_atomic_fetch_add_u64(&s->generation, 1);
				ConditionVariableBroadcast(&s->cv);
				fired[i] = true;
				due = PGMQC_NO_DUE;
				break;
			}
		}
		if ((int64) due < next)
			next = (int64) due;
	}
	return next;
}

void
pgmqc_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	bool	   *fired;
	TimestampTz last_check;
	TimestampTz last_maint = 0;
	char	   *dbname;
	int			i;

	Oid			role = InvalidOid;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/*
	 * Log in as the extension's owner once an earlier start has learned who
	 * that is (check_login_role); until then, or when the last attempt to
	 * log in as it failed (the role lost LOGIN, say), as the bootstrap
	 * superuser.  Either way every statement runs as the extension owner.
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

	SpinLockAcquire(&pgmqc_shared->mutex);
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

	if (!load_config())
	{
		/* no pgmq_c here: stay away until a backend asks for a worker */
		SpinLockAcquire(&pgmqc_shared->mutex);
		my_entry->wanted = false;
		SpinLockRelease(&pgmqc_shared->mutex);
		proc_exit(0);
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
		uint64		bits;
		bool		need_spi = false;
		long		timeout;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		now = GetCurrentTimestamp();
		if (pg_atomic_exchange_u32(&my_entry->config_changed, 0) != 0 ||
			TimestampDifferenceExceeds(last_check, now, WORKER_CHECK_MS))
		{
			last_check = now;
			if (!load_config())
			{
				ereport(LOG, (errmsg("pgmq_c worker stops: the extension is not installed in database \"%s\"",
									 my_dbname)));
				SpinLockAcquire(&pgmqc_shared->mutex);
				my_entry->wanted = false;
				SpinLockRelease(&pgmqc_shared->mutex);
				proc_exit(0);
			}
		}

		/* consumer groups whose readers are inside transaction blocks */
		if (pg_atomic_exchange_u32(&my_entry->fill_wanted, 0) != 0)
			(void) worker_xact(STEP_FILL, fill_work, NULL);

		/* topics: partitions ahead, rotation, retention */
		if (pg_atomic_exchange_u32(&my_entry->maint_wanted, 0) != 0 ||
			TimestampDifferenceExceeds(last_maint, now, MAINT_INTERVAL_MS))
		{
			last_maint = now;
			(void) worker_xact(STEP_MAINTENANCE, maintenance_work, NULL);
			now = GetCurrentTimestamp();
		}

		/* timers of delayed messages and lease ends */
		pg_atomic_write_u64(&my_entry->timer, (uint64) PGMQC_NO_DUE);
		next = fire_due_slots(now, fired);

		/* notifications */
		bits = pg_atomic_exchange_u64(&my_entry->notify_bits, 0);
		for (i = 0; i < n_notify_queues; i++)
		{
			NotifyQueue *nq = &notify_queues[i];
			int			slotno = pgmqc_slot(nq->queue_id) - pgmqc_shared->slots;

			if (bits & (UINT64CONST(1) << (nq->queue_id % 64)))
				nq->pending = true;
			if (fired[slotno] || nq->due <= now)
			{
				nq->check = true;
				nq->recheck = true;
			}
			if (nq->pending &&
				!TimestampDifferenceExceeds(nq->last_sent, now, nq->throttle_us / 1000) &&
				nq->throttle_us > 0)
			{
				/* throttled: send when the window ends */
				next = Min(next, nq->last_sent + nq->throttle_us);
				continue;
			}
			if (nq->pending || nq->check || nq->recheck)
				need_spi = true;
		}
		if (need_spi && now < notify_retry_at)
		{
			/* the last try failed as a whole: not in a busy loop */
			need_spi = false;
			next = Min(next, notify_retry_at);
		}
		if (need_spi &&
			worker_xact(STEP_NOTIFY, notify_work, &now) == XACT_FAILED)
			notify_retry_at = TimestampTzPlusMilliseconds(now, NOTIFY_RETRY_MS);
		bits = 0;
		for (i = 0; i < n_notify_queues; i++)
		{
			NotifyQueue *nq = &notify_queues[i];

			if (nq->due != DT_NOEND)
				next = Min(next, Max(nq->due, notify_retry_at));
			if (nq->pending)
			{
				/* throttled: the window's end wakes us, commits need not */
				next = Min(next, Max(nq->last_sent + nq->throttle_us,
									 notify_retry_at));
				bits |= UINT64CONST(1) << (nq->queue_id % 64);
			}
		}
		if (bits != 0)
			pg_atomic_fetch_or_u64(&my_entry->notify_bits, bits);

		/* sleep until the next due time, a latch, or the periodic check */
		now = GetCurrentTimestamp();
		timeout = Min(WORKER_CHECK_MS, MAINT_INTERVAL_MS);
		if (next != PGMQC_NO_DUE)
			timeout = Max(1, Min(timeout, (next - now + 999) / 1000));
		pg_atomic_write_u64(&my_entry->timer, (uint64) next);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * DROP DATABASE, ALTER DATABASE ... RENAME and CREATE DATABASE ... TEMPLATE
 * need the database to have no other connections: stop our worker there
 * first, and keep the launcher from starting it again until a backend of
 * that database asks for one.
 */
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

static void
stop_worker_for(const char *dbname)
{
	Oid			dboid;
	PgmqcDbWorker *w = NULL;
	pid_t		pid = 0;
	int			i;

	if (dbname == NULL || pgmqc_shared == NULL)
		return;
	dboid = get_database_oid(dbname, true);
	if (!OidIsValid(dboid))
		return;

	SpinLockAcquire(&pgmqc_shared->mutex);
	for (i = 0; i < PGMQC_MAX_DATABASES; i++)
	{
		if (pgmqc_shared->workers[i].dboid == dboid)
		{
			w = &pgmqc_shared->workers[i];
			w->wanted = false;
			pid = w->pid;
			break;
		}
	}
	SpinLockRelease(&pgmqc_shared->mutex);
	if (w == NULL || pid == 0)
		return;

	(void) kill(pid, SIGTERM);
	/* wait up to 5 s, as DROP DATABASE itself waits for other backends */
	for (i = 0; i < 500; i++)
	{
		bool		gone;

		SpinLockAcquire(&pgmqc_shared->mutex);
		gone = (w->pid != pid);
		SpinLockRelease(&pgmqc_shared->mutex);
		if (gone)
			break;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(10000L);
	}
}

static void
pgmqc_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
#if PG_VERSION_NUM >= 140000
					 bool readOnlyTree,
#endif
					 ProcessUtilityContext context, ParamListInfo params,
					 QueryEnvironment *queryEnv, DestReceiver *dest,
					 QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, DropdbStmt))
		stop_worker_for(((DropdbStmt *) parsetree)->dbname);
	else if (IsA(parsetree, RenameStmt) &&
			 ((RenameStmt *) parsetree)->renameType == OBJECT_DATABASE)
		stop_worker_for(((RenameStmt *) parsetree)->subname);
	else if (IsA(parsetree, CreatedbStmt))
	{
		ListCell   *lc;

		foreach(lc, ((CreatedbStmt *) parsetree)->options)
		{
			DefElem    *opt = lfirst_node(DefElem, lc);

			if (strcmp(opt->defname, "template") == 0 && opt->arg != NULL)
				stop_worker_for(defGetString(opt));
		}
	}

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString,
#if PG_VERSION_NUM >= 140000
							readOnlyTree,
#endif
							context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString,
#if PG_VERSION_NUM >= 140000
								readOnlyTree,
#endif
								context, params, queryEnv, dest, qc);
}

void
pgmqc_install_utility_hook(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = pgmqc_ProcessUtility;
}
