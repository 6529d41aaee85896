/*-------------------------------------------------------------------------
 *
 * next_due.c
 *		When something in a queue next becomes visible by itself.
 *
 * A waiting reader (queue/claim.c) sleeps on the queue's wake-up slot at most
 * until the queue's next due time: the earliest future delivery time of a
 * delayed message or lease end.  Finding it is a statement on the queue's
 * tables (STMT_NEXT_DUE); the result is published to the slot
 * (shared_memory.h) so that the database's worker wakes every sleeper of the
 * slot then.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/next_due.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "queue/queue.h"

/*
 * The next time after "since" that something in the queue becomes visible
 * by itself: the earliest delivery time of a delayed message, or lease end
 * (looking at the first PGMQC_NEXT_DUE_LEASES leased messages only), or
 * DT_NOEND.  Published to the slot so that the worker wakes every sleeper
 * then.  *complete tells whether every lease was looked at.
 */
TimestampTz
pgmqc_next_due(PgmqcQueue *queue, int64 watermark, TimestampTz since,
			   bool *complete)
{
	Datum		args[2];
	Datum		d;
	bool		isnull;
	int64		leases;

	args[0] = Int64GetDatum(watermark);
	args[1] = TimestampTzGetDatum(since);
	pgmqc_queue_run(queue, STMT_NEXT_DUE, args, NULL, 1);
	leases = pgmqc_column_int64(0, NEXT_DUE_COL_LEASES, &isnull);
	*complete = leases < PGMQC_NEXT_DUE_LEASES;
	d = pgmqc_column(0, VALUE_COL, &isnull);
	SPI_freetuptable(SPI_tuptable);
	if (isnull)
		return DT_NOEND;
	pgmqc_publish_due(queue->queue_id, DatumGetTimestampTz(d));
	return DatumGetTimestampTz(d);
}
