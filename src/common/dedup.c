/*-------------------------------------------------------------------------
 *
 * dedup.c
 *		Deduplication ids of sends: which ids a queue or topic has seen
 *		within its dedup_window, and the day partitions that forget them.
 *
 * pgmq_c.dedup_ids holds (queue_id, dedup_id, msg_id, first_at) for every
 * send that carried an id, partitioned by the day of first_at.  A send
 * takes a lock on each of its ids (a transaction-level lock on a hash of
 * the queue and the id, in a lock space of its own that SQL's advisory
 * locks cannot reach), then looks the ids up in the latest snapshot: a
 * second send of an id waits for the first one's transaction, then finds
 * its msg_id if it committed, or sends anew if it rolled back.  Ids are
 * forgotten by whole partitions: the worker drops a day once it ended
 * before every queue's window, and makes the next days ahead, so that
 * remembering ids leaves no dead tuples behind and costs a send the same
 * with ten or ten million of them.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/dedup.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/day_partitions.h"
#include "common/dedup.h"
#include "common/intervals.h"
#include "common/statements.h"

/*
 * The lock tag's last field, which tells lock kinds apart: SQL's advisory
 * locks use 1 and 2, so no role can take or hold these from SQL.
 */
#define DEDUP_LOCK_SPACE	0x7071

/* the worker keeps this many days made ahead */
#define DEDUP_DAYS_AHEAD		2

/* how long the worker waits for the table's lock */
#define DEDUP_LOCK_TIMEOUT	"200ms"

/* ids of the default partition removed per pass at most */
#define DEDUP_DEFAULT_EXPIRE_LIMIT	10000

static int
compare_uint64(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return (x > y) - (x < y);
}

/*
 * Lock the n ids (text Datums) of a send to queue_id until the transaction
 * ends (or its subtransaction rolls back), in hash order so that two
 * batches never wait for each other in a circle.
 */
void
pgmqc_dedup_lock(int32 queue_id, Datum *ids, int n)
{
	uint64	   *hashes = palloc((n + 1) * sizeof(uint64));
	int			i;

	for (i = 0; i < n; i++)
	{
		text	   *id = DatumGetTextPP(ids[i]);

		hashes[i] = hash_bytes_extended((const unsigned char *) VARDATA_ANY(id),
										VARSIZE_ANY_EXHDR(id),
										(uint64) (uint32) queue_id);
	}
	qsort(hashes, n, sizeof(uint64), compare_uint64);
	for (i = 0; i < n; i++)
	{
		LOCKTAG		tag;

		if (i > 0 && hashes[i] == hashes[i - 1])
			continue;
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (hashes[i] >> 32),
							 (uint32) hashes[i], DEDUP_LOCK_SPACE);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
	pfree(hashes);
}

/*
 * Which of ids (a text[]) queue_id remembers from the last window_secs,
 * with the msg_id of the first send of each: rows (DEDUP_COL_*) of
 * SPI_tuptable; returns how many.  Read in the latest snapshot, so that a
 * REPEATABLE READ transaction too sees the sends it waited for.
 */
int
pgmqc_dedup_lookup(int32 queue_id, double window_secs, Datum ids)
{
	Datum		values[4];
	int			rc;
	int			guard;

	values[0] = Int32GetDatum(queue_id);
	values[1] = ids;
	values[2] = TimestampTzGetDatum(pgmqc_dedup_cutoff(window_secs));
	values[3] = TimestampTzGetDatum(pgmqc_dedup_horizon());
	guard = pgmqc_plan_guard_begin();	/* as STMT_SEND_DEDUP */
	rc = SPI_execute_snapshot(pgmqc_catalog_plan(STMT_DEDUP_LOOKUP), values,
							  NULL, GetLatestSnapshot(), InvalidSnapshot,
							  true, false, 0);
	pgmqc_plan_guard_end(guard);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(rc));
	return (int) SPI_processed;
}

/* Ids remembered since this time, for a window of window_secs, count. */
TimestampTz
pgmqc_dedup_cutoff(double window_secs)
{
	return GetCurrentTimestamp() - (TimestampTz) (window_secs * USECS_PER_SEC);
}

/*
 * No id was remembered after this time: the end of the days a lookup
 * scans (the days ahead, made by the worker, are empty).  A minute ahead
 * of now, for the clocks of other sessions.
 */
TimestampTz
pgmqc_dedup_horizon(void)
{
	return GetCurrentTimestamp() + 60 * USECS_PER_SEC;
}

/* Remember ids (text[]) as sent to queue_id with msg_ids (bigint[]). */
void
pgmqc_dedup_record(int32 queue_id, Datum ids, Datum msg_ids)
{
	Datum		values[3];

	values[0] = Int32GetDatum(queue_id);
	values[1] = ids;
	values[2] = msg_ids;
	(void) pgmqc_run_catalog(STMT_DEDUP_RECORD, values, NULL, 0);
}

/*
 * The worker's care of pgmq_c.dedup_ids: drop the day partitions that
 * ended before the longest window of any queue or topic, make the days
 * ahead, and remove the ids past that window from the default partition
 * (where ids go while no day partition takes them).  Returns the number of
 * partitions dropped.  Waits at most DEDUP_LOCK_TIMEOUT for the table's
 * lock (an error then: the caller runs this in a subtransaction and tries
 * again at its next pass).
 */
int
pgmqc_dedup_maintain(void)
{
	int			save_nestlevel = NewGUCNestLevel();
	TimestampTz now = GetCurrentTimestamp();
	int64		today = pgmqc_day_of(now);
	int64		last_day = today;
	TimestampTz cutoff;
	Datum		arg;
	bool		isnull;
	char	  **expired;
	int			dropped = 0;
	int			n;
	int			i;
	int64		day;

	(void) set_config_option("lock_timeout", DEDUP_LOCK_TIMEOUT, PGC_USERSET,
							 PGC_S_OVERRIDE, GUC_ACTION_SAVE, true, 0, false);
	(void) pgmqc_run_catalog(STMT_DEDUP_LONGEST_WINDOW, NULL, NULL, 1);
	cutoff = now - (pgmqc_ts_plus(now, DatumGetIntervalP(pgmqc_column(0, VALUE_COL,
																	  &isnull))) - now);

	n = pgmqc_run_catalog(STMT_DEDUP_PARTITIONS, NULL, NULL, 0);
	expired = pgmqc_expired_days(n, cutoff, &last_day, &dropped);
	for (i = 0; i < dropped; i++)
		pgmqc_drop_relation(expired[i]);

	/*
	 * The days ahead.  Today, when its partition is missing, is made only
	 * while the default partition holds nothing of it (else it stays there).
	 */
	if (last_day == today && n == 0)
	{
		arg = TimestampTzGetDatum(now - (now - SetEpochTimestamp()) %
								  ((int64) PGMQC_DAY_SECS * USECS_PER_SEC));
		if (pgmqc_run_catalog(STMT_DEDUP_DEFAULT_ROWS, &arg, NULL, 1) == 0)
			last_day = today - 1;
	}
	for (day = last_day + 1; day <= today + DEDUP_DAYS_AHEAD; day++)
	{
		PgmqcStatementTarget target = {0, 0, day, PGMQC_DAY_SECS, NULL};

		(void) pgmqc_run_once(STMT_DEDUP_PARTITION_CREATE, &target, NULL, NULL,
							  SPI_OK_UTILITY);
	}

	{
		Datum		args[2];

		args[0] = TimestampTzGetDatum(cutoff);
		args[1] = Int32GetDatum(DEDUP_DEFAULT_EXPIRE_LIMIT);
		(void) pgmqc_run_catalog(STMT_DEDUP_EXPIRE_DEFAULT, args, NULL, 0);
	}
	AtEOXact_GUC(true, save_nestlevel);
	return dropped;
}
