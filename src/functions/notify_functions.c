/*-------------------------------------------------------------------------
 *
 * notify_functions.c
 *		SQL functions enable_notify, disable_notify and status.
 *
 * Notifications for clients that cannot wait inside a call: the background
 * worker of the database sends NOTIFY on channel "pgmq_c" with the queue
 * name as payload, after sends or nacks commit and when delayed messages or
 * expired leases make messages visible, at most once per queue per
 * throttle interval.  The setting is the column notify_throttle of
 * pgmq_c.queues (NULL: off); changing it invalidates other backends' cached
 * queue entries and tells the worker at commit (the worker's side:
 * src/worker/notifications.c).  status() shows the shared memory and this
 * database's worker.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/notify_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "common/security.h"
#include "functions/arguments.h"
#include "shared_memory/shared_memory.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "pgmq_c.h"

PG_FUNCTION_INFO_V1(pgmqc_enable_notify);
PG_FUNCTION_INFO_V1(pgmqc_disable_notify);
PG_FUNCTION_INFO_V1(pgmqc_status);

/*
 * Set the queue's notify_throttle (NULL: notifications off), and make sure
 * the database has a worker to send them.
 */
static void
set_notify(const char *name, Interval *throttle, text *channel)
{
	PgmqcContext cxt;
	PgmqcQueue *queue;
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	Oid			queues;
	bool		has_channels;

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_ADMIN);
	args[0] = Int32GetDatum(queue->queue_id);
	if (throttle)
		args[1] = IntervalPGetDatum(throttle);
	else
		nulls[1] = 'n';
	if (channel)
		args[2] = PointerGetDatum(channel);
	else
		nulls[2] = 'n';
	/* a catalog from before 0.8.0 (no channel can be given there) */
	queues = get_relname_relid("queues", get_namespace_oid("pgmq_c", false));
	has_channels = get_attnum(queues, "notify_channel") != InvalidAttrNumber;
	if (pgmqc_run_catalog(has_channels ? STMT_SET_NOTIFY : STMT_SET_NOTIFY_0_7,
						  args, nulls, 0) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("queue \"%s\" does not exist", name),
				 errdetail("It was dropped while this call waited for it.")));
	/* other backends re-read the queue entry, which carries the flag */
	CacheInvalidateRelcacheByRelid(queue->cache.relid);
	queue->cache.valid = false;
	pgmqc_config_changed_on_commit();
	(void) pgmqc_my_worker(true);
	pgmqc_spi_finish(&cxt);
}

/*
 * enable_notify(queue_name text, throttle interval, channel text) RETURNS
 * void; without channel (NULL, or before 0.8.0), on channel pgmq_c.
 */
Datum
pgmqc_enable_notify(PG_FUNCTION_ARGS)
{
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	Interval   *throttle;
	text	   *channel = NULL;

	pgmqc_check_not_null(fcinfo, 1, "throttle");
	throttle = PG_GETARG_INTERVAL_P(1);
	pgmqc_check_vt(throttle, "throttle", true);
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		int			len;

		channel = PG_GETARG_TEXT_PP(2);
		len = VARSIZE_ANY_EXHDR(channel);
		/* as pg_notify() checks a channel name */
		if (len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("channel must not be empty"),
					 errhint("Pass NULL for channel pgmq_c.")));
		if (len >= NAMEDATALEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("channel name too long"),
					 errdetail("A channel name has at most %d bytes; this one has %d.",
							   NAMEDATALEN - 1, len)));
	}
	pgmqc_check_writable("enable_notify()");
	if (pgmqc_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgmq_c must be loaded via \"shared_preload_libraries\" to send notifications"),
				 errdetail("Notifications come from the pgmq_c background worker.")));
	set_notify(name, throttle, channel);
	if (pgmqc_worker_unavailable())
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("no pgmq_c background worker runs for database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("Notifications are sent by the worker: none will be sent until one runs."),
				 errhint("Each database that uses pgmq_c needs a background worker process, and pgmq_c's launcher one more: raise \"max_worker_processes\" and restart the server.")));
	PG_RETURN_VOID();
}

/* disable_notify(queue_name text) RETURNS void */
Datum
pgmqc_disable_notify(PG_FUNCTION_ARGS)
{
	char	   *name = pgmqc_arg_name(fcinfo, 0);

	pgmqc_check_writable("disable_notify()");
	set_notify(name, NULL, NULL);
	PG_RETURN_VOID();
}

/* the columns of status() */
#define STATUS_COLUMNS	5

/*
 * status() RETURNS TABLE (preloaded boolean, worker_pid integer,
 *						   wait_slots integer, sleeping_readers bigint,
 *						   wakeups bigint)
 */
Datum
pgmqc_status(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[STATUS_COLUMNS];
	bool		nulls[STATUS_COLUMNS] = {false, false, false, false, false};
	PgmqcDbWorker *w;
	int64		sleeping = 0;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	desc = BlessTupleDesc(desc);

	values[0] = BoolGetDatum(pgmqc_shared != NULL);
	w = pgmqc_my_worker(false);
	if (w != NULL && w->pid != 0)
		values[1] = Int32GetDatum(w->pid);
	else
		nulls[1] = true;
	if (pgmqc_shared != NULL)
	{
		values[2] = Int32GetDatum(pgmqc_shared->nslots);
		for (i = 0; i < pgmqc_shared->nslots; i++)
			sleeping += pg_atomic_read_u32(&pgmqc_shared->slots[i].waiters);
		values[3] = Int64GetDatum(sleeping);
		values[4] = Int64GetDatum((int64) pg_atomic_read_u64(&pgmqc_shared->wakeups));
	}
	else
	{
		nulls[2] = true;
		nulls[3] = true;
		nulls[4] = true;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
