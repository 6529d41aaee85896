/*-------------------------------------------------------------------------
 *
 * timelines.c
 *		msg_ids of a new timeline start past the old one's.
 *
 * A standby promoted after asynchronous replication may lack the last
 * transactions of the old primary, and with them the WAL records of its
 * sequences (a sequence logs 32 values ahead, so up to 32 msg_ids can be
 * drawn past what a standby has seen; with a replication lag, any number).
 * The new primary would then hand out msg_ids the old one already gave to
 * messages a consumer may still hold a receipt for: (msg_id, read_ct) of a
 * lost message could delete a new one.  A point-in-time recovery makes the
 * same fork.  Both begin a new timeline; so the first pgmq_c call of each
 * backend that can write checks the timeline against the sequence
 * pgmq_c.timeline_marker (0.8.0; a sequence, so that reading and setting it
 * take no row lock and are not undone by a rollback), and when the
 * timeline is newer moves the msg_id sequence of every queue and topic on
 * by PGMQC_TIMELINE_GAP (2^32: more msg_ids than a lag of an hour at a
 * million a second), then sets the marker.  The moves are written to the WAL before the marker, so
 * whoever sees the new marker sees them; two backends moving at once move
 * twice, which costs nothing but ids.  A backend that checked keeps the
 * timeline it saw.
 *
 * A crash does the same to sends committed with synchronous_commit off:
 * their commit returned before their WAL, and their sequence's, reached
 * the disk, and a crash within the next few wal_writer_delay loses both.
 * So after each start that followed a crash (the postmaster reads the
 * control file as it makes pgmq_c's shared memory, pgmqc_unclean_start)
 * the sequences move on once more, the sequence pgmq_c.restart_marker
 * remembering the start.  Every move is flushed to disk before an id is
 * drawn.  Without shared_preload_libraries no crash is seen.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/timelines.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "utils/lsyscache.h"

#include "pgmq_c.h"
#include "common/statements.h"
#include "common/timelines.h"
#include "shared_memory/shared_memory.h"

/* the timeline and the unclean start this backend checked (0: none yet) */
static TimeLineID checked_timeline = 0;
static TimestampTz checked_unclean_start = 0;

#if PG_VERSION_NUM >= 150000
/*
 * Whether relation pgmq_c.name exists (the markers come with 0.8.0).
 */
static bool
marker_exists(const char *name)
{
	return OidIsValid(get_relname_relid(name, get_namespace_oid("pgmq_c", false)));
}

/* The value of the marker sequence read by statement. */
static int64
marker_value(PgmqcStatement statement)
{
	bool		isnull;

	(void) pgmqc_run_catalog(statement, NULL, NULL, 1);
	return pgmqc_column_int64(0, VALUE_COL, &isnull);
}

/*
 * Move every msg_id sequence of this database on by PGMQC_TIMELINE_GAP, and
 * flush the moves to disk before an id is drawn: with synchronous_commit
 * off, a send's commit does not flush, and a move lost in a crash would be
 * made again from the old values, onto ids already handed out.  Returns
 * how many sequences moved.
 */
static int64
move_sequences(void)
{
	Datum		arg = Int64GetDatum(PGMQC_TIMELINE_GAP);
	bool		isnull;
	int64		moved;

	(void) pgmqc_run_catalog(STMT_ADVANCE_SEQUENCES, &arg, NULL, 1);
	moved = pgmqc_column_int64(0, VALUE_COL, &isnull);
	XLogFlush(GetXLogInsertRecPtr());
	return moved;
}

static void
set_marker(PgmqcStatement statement, int64 value)
{
	Datum		arg = Int64GetDatum(value);

	(void) pgmqc_run_catalog(statement, &arg, NULL, 1);
	XLogFlush(GetXLogInsertRecPtr());
}
#endif

/*
 * Move every sequence of pgmq_c past the values that may have been handed
 * out and lost (see the file header): once a new timeline began, and once
 * after each start that followed a crash.  Called when a pgmq_c entry
 * point has entered the extension context, inside SPI.  Nothing to do on a
 * standby, in a read-only transaction (which draws no msg_id; a later one
 * checks), or with a catalog from before 0.8.0.
 */
void
pgmqc_check_timeline(void)
{
#if PG_VERSION_NUM >= 150000
	TimeLineID	current;
	TimestampTz unclean_start;
	bool		moved_now = false;

	if (RecoveryInProgress() || XactReadOnly)
		return;
	current = GetWALInsertionTimeLine();
	unclean_start = pgmqc_unclean_start();
	if (current == checked_timeline && unclean_start == checked_unclean_start)
		return;

	if (current != checked_timeline && marker_exists("timeline_marker"))
	{
		int64		marker = marker_value(STMT_TIMELINE_MARKER);

		if (marker < (int64) current)
		{
			int64		moved = move_sequences();

			moved_now = true;
			set_marker(STMT_SET_TIMELINE_MARKER, (int64) current);
			ereport(LOG,
					(errmsg("pgmq_c: timeline %u began: the msg_ids of " INT64_FORMAT " queues and topics moved on by " INT64_FORMAT,
							current, moved, PGMQC_TIMELINE_GAP),
					 errdetail("The last timeline pgmq_c saw was " INT64_FORMAT ".", marker)));
		}
	}
	checked_timeline = current;

	if (unclean_start != checked_unclean_start && unclean_start != 0 &&
		marker_exists("restart_marker"))
	{
		if (marker_value(STMT_RESTART_MARKER) < (int64) unclean_start)
		{
			int64		moved = moved_now ? 0 : move_sequences();

			set_marker(STMT_SET_RESTART_MARKER, (int64) unclean_start);
			if (moved > 0)
				ereport(LOG,
						(errmsg("pgmq_c: the server started after a crash: the msg_ids of " INT64_FORMAT " queues and topics moved on by " INT64_FORMAT,
								moved, PGMQC_TIMELINE_GAP),
						 errdetail("Sends committed with synchronous_commit off may have been lost with their msg_ids.")));
		}
	}
	checked_unclean_start = unclean_start;
#endif
}
