/*-------------------------------------------------------------------------
 *
 * launcher.c
 *		The pgmq_c launcher: one background worker per cluster that starts
 *		a database worker (database_worker.c) for each database.
 *
 * The launcher is registered in _PG_init when the library is preloaded.
 * It connects to no database.  It starts one worker per database that
 * allows connections and is not a template (up to PGMQC_MAX_DATABASES of
 * them), and again whenever a backend of a database without a running
 * worker asks for one (pgmqc_my_worker(true), called by pgmq_c functions).
 * A worker that finds no pgmq_c extension in its database, or that
 * utility_hook.c stopped, is not started again until asked; a worker that
 * exits or dies otherwise is started again, at most once per
 * RESTART_DELAY_MS.  With pgmq_c.worker off it starts none.  Nothing runs
 * on a hot standby (BgWorkerStart_RecoveryFinished): the launcher starts
 * after promotion.
 *
 * The registry of workers is in shared memory (PgmqcShared.workers, under
 * PgmqcShared.mutex): the launcher fills in the databases it finds and
 * clears the pid of a worker that stopped; a worker records its pid and
 * latch; backends mark their database as wanting a worker.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/worker/launcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "common/security.h"
#include "worker/worker.h"
#include "shared_memory/shared_memory.h"

/* GUC pgmq_c.worker: off, the launcher starts no worker */
bool		pgmqc_worker_enabled = true;

/* the postmaster restarts a launcher that died after this many seconds */
#define LAUNCHER_RESTART_SECS	10

/* the launcher looks for new and dropped databases this often */
#define DATABASE_SCAN_MS		60000

/* a database's worker is started again at most this often */
#define RESTART_DELAY_MS		1000

/*
 * Describe a pgmq_c background worker: one that connects (to a database or
 * none), starts once recovery is finished, and runs the function of this
 * library named "function".
 */
static void
describe_worker(BackgroundWorker *bgw, const char *function, int restart_time)
{
	memset(bgw, 0, sizeof(*bgw));
	bgw->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw->bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw->bgw_restart_time = restart_time;
	snprintf(bgw->bgw_library_name, BGW_MAXLEN, "pgmq_c");
	snprintf(bgw->bgw_function_name, BGW_MAXLEN, "%s", function);
}

/* Register the launcher; from _PG_init, while the library is preloaded. */
void
pgmqc_register_launcher(void)
{
	BackgroundWorker bgw;

	describe_worker(&bgw, "pgmqc_launcher_main", LAUNCHER_RESTART_SECS);
	snprintf(bgw.bgw_name, BGW_MAXLEN, "pgmq_c launcher");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "pgmq_c launcher");
	RegisterBackgroundWorker(&bgw);
}

/*
 * One pass over pg_database, in a transaction of its own (the launcher is
 * connected to no database; pg_database is shared): into dbs (when not
 * NULL), the databases that allow connections and are not templates, at
 * most PGMQC_MAX_DATABASES, counted in *ndbs; into name (when not NULL),
 * the name of database want, or "?" once it is gone.
 */
static void
read_databases(Oid *dbs, int *ndbs, Oid want, char *name)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	if (name != NULL)
		strlcpy(name, "?", NAMEDATALEN);
	if (ndbs != NULL)
		*ndbs = 0;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (dbs != NULL && db->datallowconn && !db->datistemplate &&
			*ndbs < PGMQC_MAX_DATABASES)
			dbs[(*ndbs)++] = db->oid;
		if (name != NULL && db->oid == want)
			strlcpy(name, NameStr(db->datname), NAMEDATALEN);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
}

/* The name of database dboid, for messages: "?" once it is gone. */
static const char *
database_name(Oid dboid, char *name)
{
	read_databases(NULL, NULL, dboid, name);
	return name;
}

/*
 * Give every database that allows connections and is not a template, and
 * has no entry yet, an entry that wants a worker (while entries are free:
 * at most PGMQC_MAX_DATABASES); a database already known keeps its state,
 * so one whose worker found no pgmq_c waits for a backend to ask.  Free the
 * entries of databases that are gone and have no worker running.
 */
static void
scan_databases(void)
{
	Oid			dbs[PGMQC_MAX_DATABASES];
	int			ndbs;
	int			i,
				j;

	read_databases(dbs, &ndbs, InvalidOid, NULL);

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
			pg_atomic_write_u64(&free_entry->leases_checked_through, 0);
			pg_atomic_write_u64(&free_entry->delayed_checked_through, 0);
		}
	}
	SpinLockRelease(&pgmqc_shared->mutex);
}

/*
 * Start the worker of one database; false when no background worker slot
 * is free (max_worker_processes).
 */
static bool
start_worker(Oid dboid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker bgw;

	/* the launcher, not the postmaster, starts it again */
	describe_worker(&bgw, "pgmqc_worker_main", BGW_NEVER_RESTART);
	snprintf(bgw.bgw_name, BGW_MAXLEN, "pgmq_c worker for database %u", dboid);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "pgmq_c worker");
	bgw.bgw_main_arg = ObjectIdGetDatum(dboid);
	bgw.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&bgw, handle);
}

/*
 * At exit: the latch is no longer ours to be woken by (it belongs to the
 * process that takes this PGPROC next).  Workers wake the next launcher.
 */
static void
launcher_detach(int code, Datum arg)
{
	SpinLockAcquire(&pgmqc_shared->mutex);
	if (pgmqc_shared->launcher_pid == MyProcPid)
	{
		pgmqc_shared->launcher_latch = NULL;
		pgmqc_shared->launcher_pid = 0;
	}
	SpinLockRelease(&pgmqc_shared->mutex);
}

/* The launcher's main loop. */
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
	before_shmem_exit(launcher_detach, (Datum) 0);

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
			TimestampDifferenceExceeds(last_scan, now, DATABASE_SCAN_MS))
		{
			scan_databases();
			last_scan = now;
		}

		for (i = 0; i < PGMQC_MAX_DATABASES; i++)
		{
			PgmqcDbWorker *w = &pgmqc_shared->workers[i];
			Oid			dboid;
			bool		wanted;
			bool		failed;
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
			failed = !start_worker(dboid, &handles[i]);
			SpinLockAcquire(&pgmqc_shared->mutex);
			if (w->dboid == dboid)
				w->start_failed = failed;
			SpinLockRelease(&pgmqc_shared->mutex);
			if (failed)
			{
				char		name[NAMEDATALEN];

				handles[i] = NULL;
				ereport(LOG,
						(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
						 errmsg("pgmq_c could not start a worker for database \"%s\" (OID %u)",
								database_name(dboid, name), dboid),
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
						 delayed_restart ? RESTART_DELAY_MS : DATABASE_SCAN_MS,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
