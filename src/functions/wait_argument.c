/*-------------------------------------------------------------------------
 *
 * wait_argument.c
 *		The check of the wait argument of read(), receive(), read_group()
 *		and receive_group().
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/wait_argument.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/intervals.h"
#include "functions/arguments.h"

/*
 * Check the length of a wait argument; returns whether the call is to wait
 * at all.  "commits" tells whether the call commits before it sleeps (a
 * receive procedure called by a top-level CALL outside a transaction
 * block): such a wait holds no snapshot, and pgmq_c.max_receive_wait bounds
 * it instead of pgmq_c.max_wait.  Any isolation level: see
 * pgmqc_check_wait().
 */
bool
pgmqc_check_wait_length(Interval *wait, bool commits)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz end = pgmqc_ts_plus(now, wait); /* one clock reading */
	int			limit = commits ? pgmqc_max_receive_wait_ms : pgmqc_max_wait_ms;

	if (end < now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait must not be negative")));
	if (end == now)
		return false;
	if (end > TimestampTzPlusMilliseconds(now, limit))
	{
		if (commits)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("wait must not exceed %d ms", limit),
					 errhint("Wait in several shorter calls, or have a superuser raise \"%s\".",
							 "pgmq_c.max_receive_wait")));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait must not exceed %d ms", limit),
				 errhint("Wait with CALL pgmq_c.receive() outside a transaction block, which holds no snapshot while it waits and may wait up to \"%s\", or have a superuser raise \"%s\".",
						 "pgmq_c.max_receive_wait", "pgmq_c.max_wait")));
	}
	return true;
}

/*
 * Check a wait argument as pgmqc_check_wait_length() does; and waiting
 * needs READ COMMITTED: a transaction snapshot never shows what commits
 * later, so such a wait could never succeed.
 */
bool
pgmqc_check_wait(Interval *wait, bool commits)
{
	if (!pgmqc_check_wait_length(wait, commits))
		return false;
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("cannot wait for messages in a %s transaction",
						IsolationIsSerializable() ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errdetail("The transaction's snapshot would never show a message committed later."),
				 errhint("Wait in a READ COMMITTED transaction, or read without wait.")));
	return true;
}
