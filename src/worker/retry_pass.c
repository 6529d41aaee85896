/*-------------------------------------------------------------------------
 *
 * retry_pass.c
 *		The worker's pass over the retry policies of a database: dead
 *		messages nobody reads are moved to their dead-letter queues,
 *		archived messages past archive_retention are removed, and the days
 *		of pgmq_c.dedup_ids are made and dropped.
 *
 * A reader moves the dead messages it comes across itself; this pass makes
 * a dead letter appear even when nobody reads its source.  Once a minute it
 * also cares for the day partitions of the deduplication ids
 * (common/dedup.c).  Each queue and
 * group is done in a subtransaction of its own: one that fails (its tables
 * damaged, say) is reported at most once a minute and the others go on.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/worker/retry_pass.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/dedup.h"
#include "common/direct_rows.h"
#include "common/guarded.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "topic/topic.h"
#include "worker/worker.h"

/* A queue (no topic) or a consumer group (of topic) with a policy. */
typedef struct RetryTarget
{
	int32		id;
	char	   *topic;
	char	   *name;
} RetryTarget;

/* The rows of STMT_RETRY_QUEUES or STMT_RETRY_GROUPS. */
static RetryTarget *
read_targets(PgmqcStatement stmt, uint64 *n)
{
	RetryTarget *targets;
	uint64		i;

	*n = pgmqc_run_catalog(stmt, NULL, NULL, 0);
	targets = palloc0((*n + 1) * sizeof(RetryTarget));
	for (i = 0; i < *n; i++)
	{
		bool		isnull;
		Datum		topic;

		targets[i].id = DatumGetInt32(pgmqc_column(i, RETRY_COL_ID, &isnull));
		topic = pgmqc_column(i, RETRY_COL_TOPIC_NAME, &isnull);
		targets[i].topic = isnull ? NULL : TextDatumGetCString(topic);
		targets[i].name = TextDatumGetCString(pgmqc_column(i, RETRY_COL_NAME,
														   &isnull));
	}
	return targets;
}

/*
 * May dead letters move from the table source_relid to dead_letter_queue
 * (a queue's own archive when empty)?  Not while either has no primary key:
 * between the data and post-data sections of a pg_restore the catalog, with
 * its retry policies, is back, but the tables' keys are not, and the
 * dead-letter queue's msg_id sequence may not be set yet, so a dead letter
 * sent then could take a msg_id restored, or still to be restored.  Nor,
 * for now, while another transaction holds the dead-letter queue's lock:
 * the look at its key would wait for it, for every queue that names it.
 */
static bool
keys_in_place(Oid source_relid, const char *dead_letter_queue)
{
	PgmqcQueue *dlq;

	if (!pgmqc_direct_has_primary_key(source_relid))
		return false;
	if (dead_letter_queue[0] == '\0')
		return true;
	dlq = pgmqc_lookup_kind(dead_letter_queue, PGMQC_KIND_QUEUE, true);
	return dlq == NULL ||
		(pgmqc_lock_if_free(dlq, AccessShareLock) == PGMQC_LOCK_TAKEN &&
		 pgmqc_direct_has_primary_key(dlq->cache.relid));
}

/* One queue's or group's dead letters, run guarded. */
static void
pass_dead_letters(void *arg)
{
	RetryTarget *target = (RetryTarget *) arg;

	if (target->topic == NULL)
	{
		PgmqcQueue *queue = pgmqc_lookup_kind(target->name, PGMQC_KIND_QUEUE, true);

		/* the gate first, as every call (common/relation_locks.c) */
		if (queue != NULL && queue->queue_id == target->id &&
			queue->retry.max_deliveries > 0 &&
			pgmqc_lock_if_free(queue, AccessShareLock) == PGMQC_LOCK_TAKEN &&
			keys_in_place(queue->cache.relid, queue->retry.dead_letter_queue))
			(void) pgmqc_queue_dead_letter_pass(queue);
	}
	else
	{
		PgmqcQueue *topic = pgmqc_lookup_kind(target->topic, PGMQC_KIND_TOPIC, true);
		PgmqcGroup *group = topic ? pgmqc_group_lookup(topic, target->name, true) : NULL;

		if (group != NULL && group->group_id == target->id &&
			group->retry.max_deliveries > 0 &&
			pgmqc_lock_if_free(topic, AccessShareLock) == PGMQC_LOCK_TAKEN &&
			pgmqc_lock_relation_if_free(group->cache.relid,
										AccessShareLock) == PGMQC_LOCK_TAKEN &&
			pgmqc_check_group_not_dropped(topic, group, true) &&
			keys_in_place(group->cache.relid, group->retry.dead_letter_queue))
			(void) pgmqc_group_retry_pass(topic, group);
	}
}

/* One queue's archive retention, run guarded. */
static void
pass_archive(void *arg)
{
	RetryTarget *target = (RetryTarget *) arg;
	PgmqcQueue *queue = pgmqc_lookup_kind(target->name, PGMQC_KIND_QUEUE, true);

	if (queue != NULL && queue->queue_id == target->id &&
		!pgmqc_interval_is_zero(&queue->archive_retention) &&
		pgmqc_lock_if_free(queue, AccessShareLock) == PGMQC_LOCK_TAKEN)
		(void) pgmqc_queue_archive_retention_pass(queue);
}

/*
 * Run one step for a target in a subtransaction of its own; a failure is
 * reported at most once a minute ("kind" tells the steps apart).
 */
static void
run_step(void (*step) (void *), RetryTarget *target, char kind,
		 const char *what)
{
	ErrorData  *edata = pgmqc_run_guarded(step, target);

	if (edata == NULL)
		return;
	if (pgmqc_report_due(kind, target->id, NULL))
		ereport(edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ? LOG : WARNING,
				(errcode(edata->sqlerrcode),
				 target->topic ?
				 errmsg("pgmq_c: %s of consumer group \"%s\" of topic \"%s\" failed: %s",
						what, target->name, target->topic, edata->message) :
				 errmsg("pgmq_c: %s of queue \"%s\" failed: %s",
						what, target->name, edata->message),
				 errhint("The other queues and groups are served; this one is tried again every second and this failure is reported at most once a minute.")));
	FreeErrorData(edata);
}

/* how often the partitions of pgmq_c.dedup_ids are cared for, milliseconds */
#define DEDUP_PASS_INTERVAL_MS	60000

static void
pass_dedup(void *arg)
{
	(void) pgmqc_dedup_maintain();
}

/*
 * The days of pgmq_c.dedup_ids (common/dedup.c), once a minute: made ahead,
 * dropped past every window.
 */
static void
dedup_pass(void)
{
	static TimestampTz last_pass = 0;
	TimestampTz now = GetCurrentTimestamp();
	ErrorData  *edata;

	if (!pgmqc_ordering_exists() ||
		!TimestampDifferenceExceeds(last_pass, now, DEDUP_PASS_INTERVAL_MS))
		return;
	last_pass = now;
	edata = pgmqc_run_guarded(pass_dedup, NULL);
	if (edata == NULL)
		return;
	ereport(edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ? LOG : WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("pgmq_c: the partitions of pgmq_c.dedup_ids could not be made or dropped: %s",
					edata->message),
			 errhint("The worker tries again in a minute.")));
	FreeErrorData(edata);
}

/*
 * Where an unfinished pass resumes: queues (0) or groups (1), after which
 * queue_id or group_id (both listed in id order).
 */
static int	resume_list = 0;
static int32 resume_after = 0;

/*
 * The pass over every queue and group with a policy, PGMQC_WORKER_BATCH of
 * them per transaction: sets *(bool *) arg when it stopped before the end,
 * and the next call goes on from there.
 */
void
pgmqc_worker_retry_pass(void *arg)
{
	bool	   *more = (bool *) arg;
	RetryTarget *targets[2];
	uint64		counts[2];
	int			done = 0;
	int			t;
	uint64		i;

	*more = false;
	if (resume_list == 0 && resume_after == 0)
		dedup_pass();			/* once per pass */
	if (!pgmqc_retries_exist())
		return;					/* before ALTER EXTENSION pgmq_c UPDATE */
	targets[0] = read_targets(STMT_RETRY_QUEUES, &counts[0]);
	targets[1] = read_targets(STMT_RETRY_GROUPS, &counts[1]);
	for (t = resume_list; t < 2; t++)
	{
		for (i = 0; i < counts[t]; i++)
		{
			RetryTarget *target = &targets[t][i];

			if (t == resume_list && target->id <= resume_after)
				continue;
			if (done >= PGMQC_WORKER_BATCH)
			{
				*more = true;
				return;
			}
			CHECK_FOR_INTERRUPTS();
			run_step(pass_dead_letters, target, target->topic ? 'R' : 'r',
					 "moving the dead letters");
			if (target->topic == NULL)
				run_step(pass_archive, target, 'a', "archive retention");
			done++;
			resume_list = t;
			resume_after = target->id;
		}
		if (t == 0)
		{
			resume_list = 1;
			resume_after = 0;
		}
	}
	resume_list = 0;
	resume_after = 0;
}
