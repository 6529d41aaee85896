/*-------------------------------------------------------------------------
 *
 * archive_partitions.c
 *		A queue's archive partitioned by the day its messages were archived,
 *		so that archive_retention drops whole days, as a topic's retention
 *		drops whole partitions: no dead tuples are left behind.
 *
 * Setting archive_retention makes the archive a_<id> partitioned by range of
 * archived_at: the table as it was becomes the partition of what was
 * archived until then (a_<id>_before), a_<id>_p<n> takes day n (since 1970,
 * UTC) from then on, a_<id>_default takes what no partition does (while the
 * worker is away), and the worker keeps the next days made.  Each pass it
 * drops the partitions wholly past retention; the caller then deletes the
 * few messages past retention in the oldest partition still kept (and in
 * the default), so that nothing older than archive_retention stays and the
 * dead tuples of those deletes go with their partition.  Making and dropping a partition locks the archive briefly; the
 * worker waits for that lock at most PARTITION_LOCK_TIMEOUT and tries again
 * at its next pass.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/archive_partitions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/day_partitions.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "common/statements.h"
#include "queue/queue.h"

/* the worker keeps this many days made ahead of today */
#define ARCHIVE_DAYS_AHEAD		2

/* how long the worker waits for the archive's lock */
#define PARTITION_LOCK_TIMEOUT	"200ms"

/* Whether the queue's archive is partitioned. */
bool
pgmqc_archive_is_partitioned(int32 queue_id)
{
	Oid			relid = pgmqc_relation_oid(REL_ARCHIVE, queue_id, 0);

	return OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE;
}

static PgmqcStatementTarget
day_target(PgmqcQueue *queue, int64 day)
{
	PgmqcStatementTarget target = {queue->queue_id, 0, day,
	PGMQC_DAY_SECS};

	return target;
}

/*
 * Make the queue's archive partitioned by day (a no-op when it is).  Runs in
 * the caller's transaction, holding the archive's lock to its end.
 */
void
pgmqc_queue_partition_archive(PgmqcQueue *queue)
{
	PgmqcStatementTarget target;

	if (pgmqc_archive_is_partitioned(queue->queue_id))
		return;
	target = day_target(queue, pgmqc_day_of(GetCurrentTimestamp()));
	(void) pgmqc_run_once(STMT_ARCHIVE_PARTITION_CONVERT, &target, NULL, NULL,
						  SPI_OK_UTILITY);
}

/*
 * The worker's care of a partitioned archive: drop the partitions whose
 * range ends at or before cutoff (now - archive_retention), and make the
 * days ahead.  Returns the number of partitions dropped.  Waits at most
 * PARTITION_LOCK_TIMEOUT for the archive's lock (an error then: the caller
 * runs this in a subtransaction and the next pass tries again).
 */
int
pgmqc_queue_archive_partitions(PgmqcQueue *queue, TimestampTz now,
							   TimestampTz cutoff)
{
	int			save_nestlevel;
	int64		today = pgmqc_day_of(now);
	int64		last_day = today;
	char		prefix[NAMEDATALEN];
	Datum		args[2];
	char	  **expired;
	int			n;
	int			i;
	int64		day;
	int			dropped = 0;

	save_nestlevel = pgmqc_lock_timeout_begin(PARTITION_LOCK_TIMEOUT);
	pgmqc_relation_name(prefix, REL_ARCHIVE_PARTITION, queue->queue_id, 0);
	prefix[strlen(prefix) - 1] = '\0';	/* "a_<id>_p0" without the 0 */
	args[0] = ObjectIdGetDatum(pgmqc_relation_oid(REL_ARCHIVE, queue->queue_id, 0));
	args[1] = CStringGetTextDatum(prefix);
	n = pgmqc_run_catalog(STMT_ARCHIVE_PARTITIONS, args, NULL, 0);

	/* those whose range ends at or before cutoff; the last day made */
	expired = pgmqc_expired_days(n, cutoff, &last_day, &dropped);
	for (i = 0; i < dropped; i++)
		pgmqc_drop_relation(expired[i]);

	/* the days ahead; a day before them that is missing goes to the default */
	for (day = last_day + 1; day <= today + ARCHIVE_DAYS_AHEAD; day++)
	{
		PgmqcStatementTarget target = day_target(queue, day);

		(void) pgmqc_run_once(STMT_ARCHIVE_PARTITION_CREATE, &target, NULL, NULL,
							  SPI_OK_UTILITY);
	}
	pgmqc_lock_timeout_end(save_nestlevel);
	return dropped;
}
