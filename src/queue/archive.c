/*-------------------------------------------------------------------------
 *
 * archive.c
 *		Reading a queue's archive (a_<id>), in msg_id order.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/archive.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgmq_c.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/object_cache.h"

/*
 * Up to qty archived messages with a msg_id above after_msg_id; returns how
 * many (rows in SPI_tuptable, pgmq_c.archived_message columns).
 */
int
pgmqc_queue_read_archive(PgmqcQueue *queue, int64 after_msg_id, int32 qty)
{
	Datum		values[2];

	values[0] = Int64GetDatum(after_msg_id);
	values[1] = Int32GetDatum(qty);
	return pgmqc_queue_run(queue, STMT_READ_ARCHIVE, values, NULL, 0);
}
