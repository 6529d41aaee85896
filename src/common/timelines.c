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
 * timeline differs (newer, or older, as pg_upgrade leaves it: it starts
 * the new cluster at timeline 1 and copies the marker) moves the msg_id
 * sequence of every queue and topic on
 * by PGMQC_TIMELINE_GAP (2^32: more msg_ids than a lag of an hour at a
 * million a second), then sets the marker.  The moves are written to the WAL
 * before the marker, so whoever sees the new marker sees them.  Backends
 * that find the marker old take turns on a lock of the marker and read it
 * again, so that exactly one moves.  A backend that checked keeps the
 * timeline it saw.
 *
 * The move is flushed to disk before an id is drawn: with
 * synchronous_commit off a send's commit does not flush, and a move lost
 * in a crash would be made again from the old values, onto ids already
 * handed out.  (A crash alone can do that to sends committed with
 * synchronous_commit off, whose sequence's WAL may be lost with them: see
 * README, "Asynchronous commit".)
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
#include "storage/lmgr.h"
#include "utils/lsyscache.h"

#include "pgmq_c.h"
#include "common/retired_names.h"
#include "common/statements.h"
#include "common/timelines.h"

/* the timeline this backend checked (0: none yet) */
static TimeLineID checked_timeline = 0;

#if PG_VERSION_NUM >= 150000
/*
 * The OID of relation pgmq_c.name, InvalidOid if it does not exist (the
 * markers come with 0.8.0).
 */
static Oid
marker_relid(const char *name)
{
	return get_relname_relid(name, get_namespace_oid("pgmq_c", false));
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
	/* and where queues and topics made again under a dropped name start */
	pgmqc_retired_names_advance(PGMQC_TIMELINE_GAP);
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
 * Move every sequence of pgmq_c past the old timeline's values once a new
 * timeline began (see the file header).  Called when a pgmq_c entry point
 * has entered the extension context, inside SPI.  Nothing to do on a
 * standby, in a read-only transaction (which draws no msg_id; a later one
 * checks), or with a catalog from before 0.8.0.
 */
void
pgmqc_check_timeline(void)
{
#if PG_VERSION_NUM >= 150000
	TimeLineID	current;
	Oid			relid;

	if (RecoveryInProgress() || XactReadOnly)
		return;
	current = GetWALInsertionTimeLine();
	if (current == checked_timeline)
		return;
	relid = marker_relid("timeline_marker");
	if (OidIsValid(relid) &&
		marker_value(STMT_TIMELINE_MARKER) != (int64) current)
	{
		int64		marker;

		/*
		 * One backend moves, the others wait for it and find the marker set:
		 * sends that draw between two moves would otherwise leave a gap
		 * behind ids already handed out on the new timeline.  A
		 * self-conflicting lock on the marker, held only for the move (the
		 * move and the marker are not transactional), so that nothing is
		 * waited for while it is held.
		 */
		LockRelationOid(relid, ShareUpdateExclusiveLock);
		marker = marker_value(STMT_TIMELINE_MARKER);
		if (marker != (int64) current)
		{
			int64		moved = move_sequences();

			set_marker(STMT_SET_TIMELINE_MARKER, (int64) current);
			ereport(LOG,
					(errmsg("pgmq_c: timeline %u began: the msg_ids of " INT64_FORMAT " queues and topics moved on by " INT64_FORMAT,
							current, moved, PGMQC_TIMELINE_GAP),
					 errdetail("The last timeline pgmq_c saw was " INT64_FORMAT ".", marker)));
		}
		UnlockRelationOid(relid, ShareUpdateExclusiveLock);
	}
	checked_timeline = current;
#endif
}
