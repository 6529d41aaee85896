/*-------------------------------------------------------------------------
 *
 * queue_admin_functions.c
 *		SQL functions create_queue, drop_queue and purge_queue.
 *
 * Locking: create_queue and drop_queue take SHARE ROW EXCLUSIVE on
 * pgmq_c.queues (pgmqc_lock_catalog), which conflicts with itself but not
 * with the ACCESS SHARE lock of queue look-ups, so two sessions cannot
 * create the same queue at once while senders and readers go on.
 * purge_queue takes ACCESS EXCLUSIVE on the queue's message and delayed
 * tables (queue/storage.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/queue_admin_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "queue/queue.h"

PG_FUNCTION_INFO_V1(pgmqc_create_queue);
PG_FUNCTION_INFO_V1(pgmqc_drop_queue);
PG_FUNCTION_INFO_V1(pgmqc_purge_queue);

/*
 * create_queue(queue_name text, visibility_timeout interval) RETURNS void
 */
Datum
pgmqc_create_queue(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *existing;
	Interval   *vt;

	pgmqc_check_not_null(fcinfo, 1, "visibility_timeout");
	vt = PG_GETARG_INTERVAL_P(1);
	pgmqc_check_vt(vt, "visibility_timeout", false);
	pgmqc_check_writable("create_queue()");

	pgmqc_spi_connect(&cxt);
	pgmqc_lock_catalog();
	existing = pgmqc_lookup_kind(name, 0, true);
	if (existing != NULL && existing->kind == PGMQC_KIND_TOPIC)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("a topic named \"%s\" already exists", name),
				 errdetail("Topics and queues share one namespace.")));
	if (existing != NULL)
	{
		ereport(NOTICE,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("queue \"%s\" already exists, skipping", name)));
		pgmqc_spi_finish(&cxt);
		PG_RETURN_VOID();
	}
	pgmqc_queue_create(name, vt);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_VOID();
}

/*
 * drop_queue(queue_name text) RETURNS boolean
 */
Datum
pgmqc_drop_queue(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;

	pgmqc_check_writable("drop_queue()");

	pgmqc_spi_connect(&cxt);
	pgmqc_lock_catalog();
	/* found even if its tables are missing */
	queue = pgmqc_lookup_for_drop(name, PGMQC_KIND_QUEUE, true);
	if (queue == NULL)
	{
		pgmqc_spi_finish(&cxt);
		PG_RETURN_BOOL(false);
	}
	pgmqc_check_access(queue, name, PGMQC_PRIV_ADMIN);
	pgmqc_queue_drop_storage(queue->queue_id);
	pgmqc_forget(name);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_BOOL(true);
}

/*
 * purge_queue(queue_name text) RETURNS bigint
 *
 * Removes every message that is visible, leased or delayed (not the
 * archive); returns how many there were.
 */
Datum
pgmqc_purge_queue(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;
	int64		count;

	pgmqc_check_writable("purge_queue()");

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_ADMIN);
	count = pgmqc_queue_purge(queue);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_INT64(count);
}
