/*-------------------------------------------------------------------------
 *
 * queue_admin.c
 *		create_queue, drop_queue and purge_queue.
 *
 * Locking: create_queue and drop_queue take SHARE ROW EXCLUSIVE on
 * pgmq_c.queues, which conflicts with itself but not with the ACCESS SHARE
 * lock of queue look-ups, so two sessions cannot create the same queue at
 * once while senders and readers go on.  purge_queue takes ACCESS EXCLUSIVE
 * on the queue's message and delayed tables, waiting for transactions that
 * use the queue, and then truncates them.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue_admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pgmq_c.h"
#include "common/security.h"

PG_FUNCTION_INFO_V1(pgmqc_create_queue);
PG_FUNCTION_INFO_V1(pgmqc_drop_queue);
PG_FUNCTION_INFO_V1(pgmqc_purge_queue);

static void drop_queue_storage(int32 queue_id);


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
	Datum		args[3];
	Oid			argtypes[3] = {TEXTOID, INTERVALOID, OIDOID};
	bool		isnull;
	int32		queue_id;
	int			rc;
	char	   *sql;

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

	args[0] = CStringGetTextDatum(name);
	args[1] = IntervalPGetDatum(vt);
	/* the caller owns the queue; the extension owner owns its tables */
	args[2] = ObjectIdGetDatum(pgmqc_caller());
	if (pgmqc_security_active())
		rc = SPI_execute_with_args("INSERT INTO pgmq_c.queues (queue_name, visibility_timeout, owner) "
								   "VALUES ($1, $2, $3::pg_catalog.regrole) RETURNING queue_id",
								   3, argtypes, args, NULL, false, 1);
	else
		rc = SPI_execute_with_args("INSERT INTO pgmq_c.queues (queue_name, visibility_timeout) "
								   "VALUES ($1, $2) RETURNING queue_id",
								   2, argtypes, args, NULL, false, 1);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not insert into pgmq_c.queues: %s",
			 SPI_result_code_string(rc));
	queue_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));

	/*
	 * The tables are named after queue_id; the user's name appears only in
	 * the comments, as a quoted literal.  fillfactor leaves room on each page
	 * so that the lease update of a read stays a HOT update; vt is not
	 * indexed for the same reason.
	 */
	sql = psprintf("CREATE SEQUENCE pgmq_c.q_%d_seq AS bigint;"
				   "CREATE TABLE pgmq_c.q_%d ("
				   " msg_id bigint PRIMARY KEY"
				   "  DEFAULT pg_catalog.nextval('pgmq_c.q_%d_seq'::pg_catalog.regclass),"
				   " read_ct integer NOT NULL DEFAULT 0,"
				   " enqueued_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),"
				   " vt timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),"
				   " message jsonb NOT NULL,"
				   " headers jsonb"
				   ") WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05,"
				   " autovacuum_vacuum_cost_delay = 0);"
				   "ALTER SEQUENCE pgmq_c.q_%d_seq OWNED BY pgmq_c.q_%d.msg_id;"
				   "CREATE TABLE pgmq_c.d_%d ("
				   " msg_id bigint PRIMARY KEY,"
				   " enqueued_at timestamptz NOT NULL,"
				   " deliver_at timestamptz NOT NULL,"
				   " message jsonb NOT NULL,"
				   " headers jsonb"
				   ");"
				   "CREATE INDEX d_%d_deliver_at ON pgmq_c.d_%d (deliver_at);"
				   "CREATE TABLE pgmq_c.a_%d ("
				   " msg_id bigint PRIMARY KEY,"
				   " read_ct integer NOT NULL,"
				   " enqueued_at timestamptz NOT NULL,"
				   " archived_at timestamptz NOT NULL,"
				   " vt timestamptz NOT NULL,"
				   " message jsonb NOT NULL,"
				   " headers jsonb"
				   ");"
				   "COMMENT ON TABLE pgmq_c.q_%d IS %s;"
				   "COMMENT ON TABLE pgmq_c.d_%d IS %s;"
				   "COMMENT ON TABLE pgmq_c.a_%d IS %s;",
				   queue_id, queue_id, queue_id, queue_id, queue_id, queue_id,
				   queue_id, queue_id, queue_id,
				   queue_id, quote_literal_cstr(psprintf("pgmq_c queue %s: messages", name)),
				   queue_id, quote_literal_cstr(psprintf("pgmq_c queue %s: delayed messages", name)),
				   queue_id, quote_literal_cstr(psprintf("pgmq_c queue %s: archive", name)));
	pgmqc_run_ddl(sql, SPI_OK_UTILITY);

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
	drop_queue_storage(queue->queue_id);
	pgmqc_forget(name);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_BOOL(true);
}

/*
 * purge_queue(queue_name text) RETURNS bigint
 *
 * Removes every message that is visible, leased or delayed (not the
 * archive).  TRUNCATE leaves no dead tuples behind; like every TRUNCATE it
 * is transactional but not MVCC-safe for REPEATABLE READ transactions of
 * other sessions that already hold a snapshot.
 */
Datum
pgmqc_purge_queue(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;
	int32		id;
	int64		count;
	bool		isnull;

	pgmqc_check_writable("purge_queue()");

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_ADMIN);
	id = queue->queue_id;
	pgmqc_run_sql(psprintf("LOCK TABLE pgmq_c.q_%d, pgmq_c.d_%d IN ACCESS EXCLUSIVE MODE",
					 id, id), SPI_OK_UTILITY);
	pgmqc_run_sql(psprintf("SELECT (SELECT pg_catalog.count(*) FROM pgmq_c.q_%d) "
					 "OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pgmq_c.d_%d)",
					 id, id), SPI_OK_SELECT);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	pgmqc_run_sql(psprintf("TRUNCATE pgmq_c.q_%d, pgmq_c.d_%d", id, id), SPI_OK_UTILITY);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_INT64(count);
}



/*
 * Drop what is left of queue queue_id, its tables and sequence (each if it
 * still exists), and its catalog row.  Inside SPI, catalog locked.
 */
static void
drop_queue_storage(int32 queue_id)
{
	static const char *const rels[] = {"q_%d", "d_%d", "a_%d", "q_%d_seq"};
	char		relname[NAMEDATALEN];
	int			i;

	for (i = 0; i < lengthof(rels); i++)
	{
		snprintf(relname, sizeof(relname), rels[i], queue_id);
		pgmqc_drop_relation(relname);
	}
	pgmqc_run_sql(psprintf("DELETE FROM pgmq_c.queues WHERE queue_id OPERATOR(pg_catalog.=) %d",
						   queue_id), SPI_OK_DELETE);
}
