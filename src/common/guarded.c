/*-------------------------------------------------------------------------
 *
 * guarded.c
 *		Work that must fail alone: run a piece of work in a subtransaction
 *		of its own, and report its failures at most once a minute.
 *
 * The background worker (and maintain_topics) work through every queue,
 * topic and group of a database in one transaction.  One damaged object --
 * a table dropped by hand, a lock not granted in time -- must not stop the
 * others, nor fill the server log with the same error every second.  So
 * each object's work runs in an internal subtransaction, as a PL/pgSQL
 * block with an exception handler does: an error rolls back only that
 * object's work and comes back to the caller as data, and the caller asks
 * pgmqc_report_due whether to report it now.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/guarded.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/guarded.h"
#include "common/security.h"

/* each failure is reported at most once per this interval */
#define REPORT_INTERVAL_MS	60000

/* the table of last reports is forgotten when it grows past this */
#define MAX_REPORT_ENTRIES	1000

typedef struct ReportKey
{
	char		kind;			/* what failed: the caller's own letters */
	int32		id;				/* of which object */
} ReportKey;

typedef struct ReportEntry
{
	ReportKey	key;			/* hash key */
	TimestampTz last_report;
	int64		unreported;		/* failures since last_report */
} ReportEntry;

static HTAB *reports = NULL;

/*
 * Run fn(arg) in an internal subtransaction of the current transaction.
 * Returns NULL when it succeeded.  Otherwise the subtransaction has been
 * rolled back (and with it the locks and changes fn made) and the error
 * comes back, copied into the caller's memory context; free it with
 * FreeErrorData.  Inside SPI when fn uses SPI.
 */
ErrorData *
pgmqc_run_guarded(void (*fn) (void *arg), void *arg)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;

		/*
		 * A short lock_timeout the step set for itself in the worker
		 * (pgmqc_lock_timeout_begin) is not undone by the rollback there:
		 * back to the worker's own.
		 */
		pgmqc_worker_lock_timeout_reset();
	}
	PG_END_TRY();

	/*
	 * A cancel (pg_cancel_backend, statement_timeout) or a shutdown is meant
	 * for the whole call, not for this piece of work: raised again, after the
	 * piece was rolled back, so that the caller stops (review h48:
	 * maintain_topics() ran on for seconds past its statement_timeout).
	 */
	if (edata != NULL &&
		(edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		 ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION))
		ReThrowError(edata);
	return edata;
}

/*
 * Should a failure of (kind, id) be reported now?  True the first time and
 * then at most once per REPORT_INTERVAL_MS; *unreported (when not NULL)
 * gets how many failures went unreported since the last report.
 */
bool
pgmqc_report_due(char kind, int32 id, int64 *unreported)
{
	ReportKey	key;
	ReportEntry *entry;
	bool		found;
	TimestampTz now = GetCurrentTimestamp();

	/* forget old failures now and then: objects come and go */
	if (reports != NULL && hash_get_num_entries(reports) >= MAX_REPORT_ENTRIES)
	{
		hash_destroy(reports);
		reports = NULL;
	}
	if (reports == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(ReportKey);
		ctl.entrysize = sizeof(ReportEntry);
		ctl.hcxt = TopMemoryContext;
		reports = hash_create("pgmq_c failure reports", 16, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	memset(&key, 0, sizeof(key));
	key.kind = kind;
	key.id = id;
	entry = hash_search(reports, &key, HASH_ENTER, &found);
	if (found &&
		!TimestampDifferenceExceeds(entry->last_report, now, REPORT_INTERVAL_MS))
	{
		entry->unreported++;
		return false;
	}
	if (unreported != NULL)
		*unreported = found ? entry->unreported : 0;
	entry->last_report = now;
	entry->unreported = 0;
	return true;
}
