/*-------------------------------------------------------------------------
 *
 * utility_hook.c
 *		The ProcessUtility hook of pgmq_c: stop a database's worker before
 *		a statement that needs the database to itself, and hand a prepared
 *		transaction's wake-ups to the session that finishes it.
 *
 * DROP DATABASE, ALTER DATABASE ... RENAME and CREATE DATABASE ... TEMPLATE
 * need the database to have no other connections: the hook stops our
 * worker there first (SIGTERM, then waits for it to exit), and marks the
 * database as not wanting a worker, so that the launcher does not start it
 * again until a backend of that database asks for one.
 *
 * PREPARE TRANSACTION, COMMIT PREPARED and ROLLBACK PREPARED tell
 * shared_memory/prepared_wakes.c the transaction's gid, which the
 * transaction callback is not told.  Installed only when the library is
 * preloaded.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/worker/utility_hook.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/htup_details.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/syscache.h"

#include "worker/worker.h"
#include "shared_memory/shared_memory.h"

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* CREATE or ALTER EXTENSION pgmq_c ran: ask for the worker at commit */
static bool worker_wanted_at_commit = false;

/* how long to wait for a stopped worker to exit, and how often to look */
#define STOP_WAIT_MS		5000
#define STOP_POLL_MS		10

/* what the statement needs of its caller besides the database to itself */
typedef enum StopCheck
{
	STOP_IF_OWNER,				/* DROP DATABASE: its owner */
	STOP_IF_OWNER_CREATEDB,		/* ALTER DATABASE ... RENAME: and CREATEDB */
	STOP_IF_MAY_COPY			/* CREATE DATABASE ... TEMPLATE: CREATEDB, and
								 * the template is one or the caller owns it */
}			StopCheck;

static bool
caller_owns_database(Oid dboid)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(DatabaseRelationId, dboid, GetUserId());
#else
	return pg_database_ownercheck(dboid, GetUserId());
#endif
}

static bool
is_template_database(Oid dboid)
{
	HeapTuple	tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
	bool		result = false;

	if (HeapTupleIsValid(tuple))
	{
		result = ((Form_pg_database) GETSTRUCT(tuple))->datistemplate;
		ReleaseSysCache(tuple);
	}
	return result;
}

/*
 * Would the statement pass its own permission checks?  Only then is the
 * worker stopped: a role that may not drop, rename or copy a database must
 * not be able to stop its worker by trying.
 */
static bool
caller_may(Oid dboid, StopCheck check)
{
	switch (check)
	{
		case STOP_IF_OWNER:
			return caller_owns_database(dboid);
		case STOP_IF_OWNER_CREATEDB:
			return caller_owns_database(dboid) && have_createdb_privilege();
		case STOP_IF_MAY_COPY:
			return have_createdb_privilege() &&
				(is_template_database(dboid) || caller_owns_database(dboid));
	}
	return false;
}

/*
 * The database whose worker this transaction stopped, and whether for a
 * DROP DATABASE: at the transaction's end the worker is asked for again,
 * unless the database was dropped (pgmqc_utility_xact_end).
 */
static Oid	stopped_database = InvalidOid;
static bool stopped_for_drop = false;

/*
 * Stop the worker of the database named dbname, if any and if the caller
 * may run the statement (check; dropping: the statement drops it), and wait until it has exited (at most
 * STOP_WAIT_MS); the launcher does not start it again until the statement's
 * transaction ends (and not at all once the database is dropped).  Before,
 * only a backend of that database asked for it again: a DROP DATABASE that
 * failed (another session was connected), a rename or a CREATE DATABASE
 * from it as a template left the database without its worker, its
 * notifications and time-driven work stopped, until a pgmq_c call there
 * (review h49).
 */
static void
stop_worker_for(const char *dbname, StopCheck check, bool dropping)
{
	Oid			dboid;
	PgmqcDbWorker *w = NULL;
	pid_t		pid = 0;
	int			i;

	if (dbname == NULL || pgmqc_shared == NULL)
		return;
	dboid = get_database_oid(dbname, true);
	if (!OidIsValid(dboid) || !caller_may(dboid, check))
		return;

	SpinLockAcquire(&pgmqc_shared->mutex);
	for (i = 0; i < PGMQC_MAX_DATABASES; i++)
	{
		if (pgmqc_shared->workers[i].dboid == dboid)
		{
			w = &pgmqc_shared->workers[i];
			w->wanted = false;
			pid = w->pid;
			stopped_database = dboid;
			stopped_for_drop = dropping;
			break;
		}
	}
	SpinLockRelease(&pgmqc_shared->mutex);
	if (w == NULL || pid == 0)
		return;

	(void) kill(pid, SIGTERM);
	/* as DROP DATABASE itself waits up to 5 s for other backends */
	for (i = 0; i < STOP_WAIT_MS / STOP_POLL_MS; i++)
	{
		bool		gone;

		SpinLockAcquire(&pgmqc_shared->mutex);
		gone = (w->pid != pid);
		SpinLockRelease(&pgmqc_shared->mutex);
		if (gone)
			break;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(STOP_POLL_MS * 1000L);
	}
}

/* The hook: stop the worker first, then run the statement. */
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
	TransactionStmt *finishing = NULL;
	bool		recovered_pending = false;

	if (IsA(parsetree, TransactionStmt))
	{
		TransactionStmt *stmt = (TransactionStmt *) parsetree;

		if (stmt->kind == TRANS_STMT_PREPARE)
			pgmqc_prepared_wakes_preparing(stmt->gid);
		else if (stmt->kind == TRANS_STMT_COMMIT_PREPARED ||
				 stmt->kind == TRANS_STMT_ROLLBACK_PREPARED)
		{
			finishing = stmt;
			/* (before the statement, which may end the last of them) */
			recovered_pending = pgmqc_senders_recovered_pending();
		}
	}
	else if (IsA(parsetree, DropdbStmt))
		stop_worker_for(((DropdbStmt *) parsetree)->dbname, STOP_IF_OWNER, true);
	else if (IsA(parsetree, DropStmt) &&
			 ((DropStmt *) parsetree)->removeType == OBJECT_EXTENSION)
	{
		ListCell   *lc;

		/*
		 * Readers waiting in this database learn at once that their queues
		 * are gone, instead of at the end of their wait.
		 */
		foreach(lc, ((DropStmt *) parsetree)->objects)
			if (strcmp(strVal(lfirst(lc)), "pgmq_c") == 0)
			pgmqc_wake_all_slots_on_commit();
	}
	else if (IsA(parsetree, RenameStmt) &&
			 ((RenameStmt *) parsetree)->renameType == OBJECT_DATABASE)
		stop_worker_for(((RenameStmt *) parsetree)->subname,
						STOP_IF_OWNER_CREATEDB, false);
	else if (IsA(parsetree, CreatedbStmt))
	{
		ListCell   *lc;

		foreach(lc, ((CreatedbStmt *) parsetree)->options)
		{
			DefElem    *opt = lfirst_node(DefElem, lc);

			if (strcmp(opt->defname, "template") == 0 && opt->arg != NULL)
				stop_worker_for(defGetString(opt), STOP_IF_MAY_COPY, false);
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

	/*
	 * COMMIT or ROLLBACK PREPARED has finished the prepared transaction: its
	 * wake-ups become this transaction's, sent when it commits.  Not before
	 * the statement ran: refused (inside a transaction block, the gid unknown
	 * or busy, a role that may not), it must leave the record alone, also
	 * when only a savepoint rolls back.
	 */
	if (finishing != NULL)
		pgmqc_prepared_wakes_finishing(finishing->gid,
									   finishing->kind == TRANS_STMT_COMMIT_PREPARED,
									   recovered_pending);

	/*
	 * The worker of a database found no extension when it started, and is not
	 * started again until asked: ask for it once the extension exists, so
	 * that its time-driven work (the days of pgmq_c.dedup_ids, ...) begins
	 * before the first send.
	 */
	if ((IsA(parsetree, CreateExtensionStmt) &&
		 strcmp(((CreateExtensionStmt *) parsetree)->extname, "pgmq_c") == 0) ||
		(IsA(parsetree, AlterExtensionStmt) &&
		 strcmp(((AlterExtensionStmt *) parsetree)->extname, "pgmq_c") == 0))
		worker_wanted_at_commit = true;
}

/* At the end of a transaction: ask for the worker if CREATE EXTENSION ran. */
void
pgmqc_utility_xact_end(bool commit)
{
	if (commit && worker_wanted_at_commit)
		(void) pgmqc_my_worker(true);
	worker_wanted_at_commit = false;

	/* the worker stopped for a statement that did not drop its database */
	if (OidIsValid(stopped_database) && !(commit && stopped_for_drop))
		pgmqc_want_worker_again(stopped_database);
	stopped_database = InvalidOid;
	stopped_for_drop = false;
}

/* From _PG_init, while the library is preloaded. */
void
pgmqc_install_utility_hook(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = pgmqc_ProcessUtility;
}
