/*-------------------------------------------------------------------------
 *
 * delayed.c
 *		Moving a queue's delayed messages that are due into its message
 *		table, where readers find them.
 *
 * Readers do it (claim.c) before they claim: a delayed message waits in
 * d_<id> until its deliver_at, and the first read after that moves it, up
 * to MATURE_BATCH at a time.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/delayed.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/object_cache.h"

/* due delayed messages moved by one read, at most */
#define MATURE_BATCH		1000

/*
 * Move due delayed messages into the message table.  The probe reads the
 * head of the deliver_at index and the time is compared here: a volatile
 * "deliver_at <= clock_timestamp()" could not be an index condition, and a
 * filtered scan would walk every future message when none is due.
 */
void
pgmqc_queue_mature_due(PgmqcQueue *queue)
{
	TimestampTz now;
	TimestampTz head;
	bool		isnull;
	Datum		args[2];

	if (pgmqc_queue_run(queue, STMT_DUE_PROBE, NULL, NULL, 1) == 0)
		return;
	head = DatumGetTimestampTz(pgmqc_column(0, VALUE_COL, &isnull));
	now = GetCurrentTimestamp();
	if (head > now)
		return;
	args[0] = Int32GetDatum(MATURE_BATCH);
	args[1] = TimestampTzGetDatum(now);
	if (pgmqc_queue_run(queue, STMT_MATURE, args, NULL, 0) > 0 && pgmqc_shared != NULL)
	{
		/* other sleepers may take what this reader does not */
		pgmqc_wake_on_commit(queue->queue_id, (int) SPI_processed, queue->notify);
	}
}
