/*-------------------------------------------------------------------------
 *
 * failures.c
 *		Reporting what failed in a database worker.
 *
 * A database worker runs each step in a transaction of its own and the
 * notification work on each queue in a subtransaction of its own
 * (database_worker.c, notifications.c): a failure rolls that back and the
 * worker goes on.  An object that fails on every pass must not fill the
 * server log, so each failure is reported as a WARNING at most once a
 * minute per step or queue (guarded.c counts what was not reported); a
 * lock the worker did not get within its lock_timeout, as a LOG message.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/worker/failures.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/guarded.h"
#include "worker/worker.h"

/*
 * What failed, as pgmqc_report_due tells objects apart: (kind, id).  The
 * other callers use other letters ('g' in topic/group_fill.c, 't' and 'p' in
 * topic/maintenance.c).
 */
#define FAILED_QUEUE	'q'		/* id: a queue_id */
#define FAILED_STEP		'w'		/* id: a step of database_worker.c */

void
pgmqc_worker_report_failure(const char *database, const char *what, int32 id,
							const char *queue_name, ErrorData *edata)
{
	int64		unreported;

	/* a lock a client held past the worker's lock_timeout: not a fault */
	int			elevel = edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ?
	LOG : WARNING;

	if (!pgmqc_report_due(queue_name != NULL ? FAILED_QUEUE : FAILED_STEP,
						  id, &unreported))
		return;

	if (queue_name != NULL)
		ereport(elevel,
				(errcode(edata->sqlerrcode),
				 errmsg("pgmq_c worker: %s of queue \"%s\" in database \"%s\" failed: %s",
						what, queue_name, database, edata->message),
				 unreported > 0 ?
				 errdetail("It failed " INT64_FORMAT " more times since it was last reported.",
						   unreported) : 0,
				 errhint("The worker goes on with the other queues and tries this one again; it reports the failure at most once a minute. "
						 "A queue whose tables are missing can be dropped with pgmq_c.drop_queue().")));
	else
		ereport(elevel,
				(errcode(edata->sqlerrcode),
				 errmsg("pgmq_c worker: %s in database \"%s\" failed: %s",
						what, database, edata->message),
				 unreported > 0 ?
				 errdetail("It failed " INT64_FORMAT " more times since it was last reported.",
						   unreported) : 0,
				 errhint("The worker tries again; it reports the failure at most once a minute.")));
}
