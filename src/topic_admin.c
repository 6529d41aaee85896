/*-------------------------------------------------------------------------
 *
 * topic_admin.c
 *		create_topic, drop_topic, create_group, drop_group and seek.
 *
 * A topic with id T owns:
 *
 *	pgmq_c.t_<T>		the log, range-partitioned on msg_id into
 *						pgmq_c.t_<T>_p<k> = [k * partition_size,
 *						(k + 1) * partition_size); pk msg_id, BRIN on
 *						enqueued_at (for seek by time)
 *	pgmq_c.t_<T>_seq	its msg_id sequence
 *	pgmq_c.c_<T>		one row per group: next msg_id to hand out, seek
 *						counter, messages missed to retention
 *
 * and each of its groups G a table pgmq_c.g_<G> of the messages handed to
 * the group and not yet acknowledged (topic_cache.c).  Like queues, the
 * tables are named after ids, never after the user's names, and creating
 * or dropping takes SHARE ROW EXCLUSIVE on pgmq_c.queues.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic_admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/jsonb.h"

#include "pgmq_c.h"
#include "common/security.h"
#include "shared_memory/shared_memory.h"

PG_FUNCTION_INFO_V1(pgmqc_create_topic);
PG_FUNCTION_INFO_V1(pgmqc_drop_topic);
PG_FUNCTION_INFO_V1(pgmqc_create_group);
PG_FUNCTION_INFO_V1(pgmqc_drop_group);
PG_FUNCTION_INFO_V1(pgmqc_seek_id);
PG_FUNCTION_INFO_V1(pgmqc_seek_time);

static void drop_topic_storage(int32 topic_id);
static int32 group_id_for_drop(int32 topic_id, const char *group_name);
static void drop_group_storage(int32 topic_id, int32 group_id);

#define MIN_PARTITION_SIZE	INT64CONST(1000)
#define MAX_PARTITION_SIZE	INT64CONST(1000000000000)

/*
 * create_topic(topic_name text, retention interval, partition_size bigint)
 *		RETURNS void
 */
Datum
pgmqc_create_topic(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	Interval   *retention;
	int64		partition_size;
	PgmqcQueue *existing;
	Datum		args[4];
	Oid			argtypes[4] = {TEXTOID, INTERVALOID, INT8OID, OIDOID};
	bool		isnull;
	int32		id;
	int			rc;

	pgmqc_check_not_null(fcinfo, 1, "retention");
	retention = PG_GETARG_INTERVAL_P(1);
	if (pgmqc_now_plus(retention) <= GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention must be positive")));
	pgmqc_check_not_null(fcinfo, 2, "partition_size");
	partition_size = PG_GETARG_INT64(2);
	if (partition_size < MIN_PARTITION_SIZE || partition_size > MAX_PARTITION_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partition_size must be between " INT64_FORMAT " and " INT64_FORMAT,
						MIN_PARTITION_SIZE, MAX_PARTITION_SIZE)));
	pgmqc_check_writable("create_topic()");

	pgmqc_spi_connect(&cxt);
	pgmqc_lock_catalog();
	existing = pgmqc_lookup_kind(name, 0, true);
	if (existing != NULL)
	{
		if (existing->kind != PGMQC_KIND_TOPIC)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("a queue named \"%s\" already exists", name),
					 errdetail("Topics and queues share one namespace.")));
		ereport(NOTICE,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("topic \"%s\" already exists, skipping", name)));
		pgmqc_spi_finish(&cxt);
		PG_RETURN_VOID();
	}

	args[0] = CStringGetTextDatum(name);
	args[1] = IntervalPGetDatum(retention);
	args[2] = Int64GetDatum(partition_size);
	/* the caller owns the topic; the extension owner owns its tables */
	args[3] = ObjectIdGetDatum(pgmqc_caller());
	if (pgmqc_security_active())
		rc = SPI_execute_with_args("INSERT INTO pgmq_c.queues (queue_name, visibility_timeout, "
								   "kind, retention, partition_size, owner) "
								   "VALUES ($1, '0'::pg_catalog.interval, 't', $2, $3, "
								   "$4::pg_catalog.regrole) RETURNING queue_id",
								   4, argtypes, args, NULL, false, 1);
	else
		rc = SPI_execute_with_args("INSERT INTO pgmq_c.queues (queue_name, visibility_timeout, "
								   "kind, retention, partition_size) "
								   "VALUES ($1, '0'::pg_catalog.interval, 't', $2, $3) RETURNING queue_id",
								   3, argtypes, args, NULL, false, 1);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not insert into pgmq_c.queues: %s",
			 SPI_result_code_string(rc));
	id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 1, &isnull));

	pgmqc_run_ddl(psprintf("CREATE SEQUENCE pgmq_c.t_%d_seq AS bigint;"
					 "CREATE TABLE pgmq_c.t_%d ("
					 " msg_id bigint NOT NULL"
					 "  DEFAULT pg_catalog.nextval('pgmq_c.t_%d_seq'::pg_catalog.regclass),"
					 " enqueued_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),"
					 " deliver_at timestamptz,"
					 " message jsonb NOT NULL,"
					 " headers jsonb,"
					 " PRIMARY KEY (msg_id)"
					 ") PARTITION BY RANGE (msg_id);"
					 "CREATE INDEX t_%d_enqueued_at ON pgmq_c.t_%d USING brin (enqueued_at);"
					 "CREATE INDEX t_%d_deliver_at ON pgmq_c.t_%d (deliver_at)"
					 " WHERE deliver_at IS NOT NULL;"
					 "ALTER SEQUENCE pgmq_c.t_%d_seq OWNED BY pgmq_c.t_%d.msg_id;"
					 "CREATE TABLE pgmq_c.c_%d ("
					 " group_id integer PRIMARY KEY,"
					 " next_id bigint NOT NULL,"
					 " epoch bigint NOT NULL DEFAULT 0,"
					 " missed bigint NOT NULL DEFAULT 0"
					 ") WITH (fillfactor = 50);"
					 "COMMENT ON TABLE pgmq_c.t_%d IS %s;"
					 "COMMENT ON TABLE pgmq_c.c_%d IS %s;",
					 id, id, id, id, id, id, id, id, id, id,
					 id, quote_literal_cstr(psprintf("pgmq_c topic %s: messages", name)),
					 id, quote_literal_cstr(psprintf("pgmq_c topic %s: group cursors", name))),
			SPI_OK_UTILITY);
	pgmqc_create_partition(id, partition_size, 0);
	pgmqc_create_partition(id, partition_size, 1);

	pgmqc_spi_finish(&cxt);
	PG_RETURN_VOID();
}

/* The group ids of a topic, as a palloc'd array; inside SPI. */
static int32 *
topic_group_ids(int32 topic_id, int *n)
{
	int32	   *ids;
	uint64		i;

	pgmqc_run_sql(psprintf("SELECT group_id FROM pgmq_c.groups "
					 "WHERE topic_id OPERATOR(pg_catalog.=) %d ORDER BY group_id",
					 topic_id), SPI_OK_SELECT);
	ids = palloc((SPI_processed + 1) * sizeof(int32));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		ids[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
											 SPI_tuptable->tupdesc, 1, &isnull));
	}
	*n = (int) SPI_processed;
	return ids;
}

/*
 * drop_topic(topic_name text) RETURNS boolean
 */
Datum
pgmqc_drop_topic(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	PgmqcQueue *topic;
	int32		id;

	pgmqc_check_writable("drop_topic()");

	pgmqc_spi_connect(&cxt);
	pgmqc_lock_catalog();
	/* found even if its tables are missing */
	topic = pgmqc_lookup_for_drop(name, PGMQC_KIND_TOPIC, true);
	if (topic == NULL)
	{
		pgmqc_spi_finish(&cxt);
		PG_RETURN_BOOL(false);
	}
	pgmqc_check_access(topic, name, PGMQC_PRIV_ADMIN);
	id = topic->queue_id;
	drop_topic_storage(id);
	pgmqc_group_forget_topic(id);
	pgmqc_forget(name);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_BOOL(true);
}

/* Whether the group exists already; says so in a NOTICE. */
static bool
group_exists_notice(PgmqcQueue *topic, const char *group_name)
{
	if (pgmqc_group_lookup(topic, group_name, true) == NULL)
		return false;
	ereport(NOTICE,
			(errcode(ERRCODE_DUPLICATE_OBJECT),
			 errmsg("consumer group \"%s\" of topic \"%s\" already exists, skipping",
					group_name, topic->name)));
	return true;
}

/*
 * create_group(topic_name text, group_name text, start_at text,
 *				visibility_timeout interval, filter jsonb) RETURNS void
 *
 * 'latest': every message whose send commits after the call.  Sends still
 * in progress when the call begins may commit later with a lower msg_id,
 * so the call first waits until they have ended (as CREATE INDEX
 * CONCURRENTLY waits for older transactions); the group then starts after
 * the last msg_id taken by then.  A message that committed just before the
 * call may be delivered too.  'earliest': every message still retained.
 */
Datum
pgmqc_create_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	char	   *start_at;
	Interval   *vt;
	Jsonb	   *filter = NULL;
	PgmqcQueue *topic;
	bool		latest;
	int64		start;
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	Oid			argtypes[6] = {INT4OID, TEXTOID, INTERVALOID, JSONBOID, TEXTOID, INT8OID};
	bool		isnull;
	int32		group_id;
	int			rc;

	pgmqc_check_not_null(fcinfo, 2, "start_at");
	start_at = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (strcmp(start_at, "latest") == 0)
		latest = true;
	else if (strcmp(start_at, "earliest") == 0)
		latest = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid start_at \"%s\"", start_at),
				 errhint("Use 'latest' or 'earliest', then pgmq_c.seek() to start elsewhere.")));
	pgmqc_check_not_null(fcinfo, 3, "visibility_timeout");
	vt = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_vt(vt, "visibility_timeout", false);
	if (!PG_ARGISNULL(4))
	{
		filter = PG_GETARG_JSONB_P(4);
		if (!JB_ROOT_IS_OBJECT(filter) || JB_ROOT_IS_SCALAR(filter))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("filter must be a JSON object"),
					 errhint("The group sees the messages whose headers contain the object, as with headers @> filter.")));
	}
	pgmqc_check_writable("create_group()");

	pgmqc_spi_connect(&cxt);
	topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_ADMIN);
	if (group_exists_notice(topic, group_name))
	{
		pgmqc_spi_finish(&cxt);
		PG_RETURN_VOID();
	}

	/* before the catalog lock: this may wait for sends in progress */
	start = latest ? pgmqc_topic_settled_through(topic, true) + 1 : 0;

	pgmqc_lock_catalog();
	topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_ADMIN);
	if (group_exists_notice(topic, group_name))
	{
		pgmqc_spi_finish(&cxt);
		PG_RETURN_VOID();
	}

	args[0] = Int32GetDatum(topic->queue_id);
	args[1] = CStringGetTextDatum(group_name);
	args[2] = IntervalPGetDatum(vt);
	args[3] = filter ? JsonbPGetDatum(filter) : (Datum) 0;
	if (filter == NULL)
		nulls[3] = 'n';
	args[4] = CStringGetTextDatum(start_at);
	rc = SPI_execute_with_args("INSERT INTO pgmq_c.groups (topic_id, group_name, "
							   "visibility_timeout, filter, start_at) "
							   "VALUES ($1, $2, $3, $4, $5) RETURNING group_id",
							   5, argtypes, args, nulls, false, 1);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not insert into pgmq_c.groups: %s",
			 SPI_result_code_string(rc));
	group_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));

	/* vt is not indexed and fillfactor leaves room: leases are HOT updates */
	pgmqc_run_ddl(psprintf("CREATE TABLE pgmq_c.g_%d ("
					 " msg_id bigint PRIMARY KEY,"
					 " read_ct integer NOT NULL,"
					 " vt timestamptz NOT NULL"
					 ") WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05,"
					 " autovacuum_vacuum_cost_delay = 0);"
					 "COMMENT ON TABLE pgmq_c.g_%d IS %s;"
					 "INSERT INTO pgmq_c.c_%d (group_id, next_id) VALUES (%d, " INT64_FORMAT ")",
					 group_id, group_id,
					 quote_literal_cstr(psprintf("pgmq_c topic %s, group %s: messages handed out, not acknowledged",
												 topic_name, group_name)),
					 topic->queue_id, group_id, start),
			SPI_OK_INSERT);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_VOID();
}

/*
 * drop_group(topic_name text, group_name text) RETURNS boolean
 */
Datum
pgmqc_drop_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	PgmqcQueue *topic;
	int32		group_id;

	pgmqc_check_writable("drop_group()");

	pgmqc_spi_connect(&cxt);
	pgmqc_lock_catalog();
	/* found even if its tables, or the group's, are missing */
	topic = pgmqc_lookup_for_drop(topic_name, PGMQC_KIND_TOPIC, false);
	pgmqc_check_access(topic, topic_name, PGMQC_PRIV_ADMIN);
	group_id = group_id_for_drop(topic->queue_id, group_name);
	if (group_id < 0)
	{
		pgmqc_spi_finish(&cxt);
		PG_RETURN_BOOL(false);
	}
	drop_group_storage(topic->queue_id, group_id);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_BOOL(true);
}

/*
 * Move a group's cursor to "to": its outstanding messages are dropped (a
 * later ack of one of them returns false) and it reads next from "to".
 */
static void
move_group(PgmqcQueue *topic, PgmqcGroup *group, int64 to)
{
	/* wait for a fill in progress, then start over */
	pgmqc_run_sql(psprintf("SELECT 1 FROM pgmq_c.c_%d WHERE group_id OPERATOR(pg_catalog.=) %d FOR UPDATE",
					 topic->queue_id, group->group_id), SPI_OK_SELECT);
	pgmqc_run_sql(psprintf("DELETE FROM pgmq_c.g_%d", group->group_id), SPI_OK_DELETE);
	pgmqc_run_sql(psprintf("UPDATE pgmq_c.c_%d SET next_id = " INT64_FORMAT ", "
					 "epoch = epoch OPERATOR(pg_catalog.+) 1 "
					 "WHERE group_id OPERATOR(pg_catalog.=) %d",
					 topic->queue_id, to, group->group_id), SPI_OK_UPDATE);
	group->cursor_seen = 0;
	group->cache.watermark.last_advance = 0;
	if (pgmqc_shared != NULL)
		pgmqc_wake_on_commit(topic, PGMQC_WAKE_ALL, false);
}

/*
 * The retained range of a topic: the first msg_id retained, the last msg_id
 * taken, when the first retained message was sent (DT_NOEND: none), and
 * whether retention has removed anything yet (partition 0 is gone).
 */
static bool
retained_range(PgmqcQueue *topic, int64 *first, int64 *last, TimestampTz *first_at)
{
	bool		isnull;
	Datum		d;

	pgmqc_queue_run(topic, STMT_TOPIC_BOUNDS, NULL, NULL, 1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*first = isnull ? -1 : DatumGetInt64(d);
	*last = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 2, &isnull));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
	*first_at = isnull ? DT_NOEND : DatumGetTimestampTz(d);
	if (*first < 0)
		*first = *last + 1;
	return !pgmqc_partition_exists(topic->queue_id, 0);
}

/*
 * seek(topic_name text, group_name text, to_msg_id bigint) RETURNS bigint
 */
Datum
pgmqc_seek_id(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int64		to;
	int64		first;
	int64		last;
	TimestampTz first_at;
	bool		removed;

	pgmqc_check_not_null(fcinfo, 2, "to_msg_id");
	to = PG_GETARG_INT64(2);
	pgmqc_check_writable("seek()");

	pgmqc_spi_connect(&cxt);
	topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_ADMIN);
	group = pgmqc_group_lookup(topic, group_name, false);
	removed = retained_range(topic, &first, &last, &first_at);
	/* before the first message is fine as long as nothing was removed */
	if ((removed && to < first) || to < 0 || to > last + 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("msg_id " INT64_FORMAT " is outside the retained range of topic \"%s\"",
						to, topic_name),
				 errdetail("The topic retains msg_ids " INT64_FORMAT " to " INT64_FORMAT
						   "; " INT64_FORMAT " is the position after the last message.",
						   first, last, last + 1)));
	move_group(topic, group, to);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_INT64(to);
}

/*
 * seek(topic_name text, group_name text, to_time timestamptz) RETURNS bigint
 *
 * To the first message sent at or after to_time (the position after the
 * last message if there is none).
 */
Datum
pgmqc_seek_time(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	PgmqcQueue *topic;
	PgmqcGroup *group;
	TimestampTz to_time;
	int64		first;
	int64		last;
	TimestampTz first_at;
	int64		to;
	Datum		arg;
	bool		isnull;
	Datum		d;

	pgmqc_check_not_null(fcinfo, 2, "to_time");
	to_time = PG_GETARG_TIMESTAMPTZ(2);
	if (TIMESTAMP_NOT_FINITE(to_time))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("to_time must be finite")));
	if (to_time > GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("to_time must not be in the future")));
	pgmqc_check_writable("seek()");

	pgmqc_spi_connect(&cxt);
	topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_ADMIN);
	group = pgmqc_group_lookup(topic, group_name, false);
	/* before the first message is fine as long as nothing was removed */
	if (retained_range(topic, &first, &last, &first_at) &&
		(first_at == DT_NOEND || to_time < first_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time %s is before the oldest message retained by topic \"%s\"",
						timestamptz_to_str(to_time), topic_name),
				 first_at == DT_NOEND ?
				 errdetail("Retention has removed every message sent so far.") :
				 errdetail("Retention has removed older messages; the oldest retained was sent at %s.",
						   timestamptz_to_str(first_at))));
	arg = TimestampTzGetDatum(to_time);
	pgmqc_queue_run(topic, STMT_TOPIC_FIRST_AT, &arg, NULL, 1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	to = isnull ? last + 1 : DatumGetInt64(d);
	move_group(topic, group, to);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_INT64(to);
}

/*
 * Drop what is left of topic topic_id: its groups' tables, any partition
 * left detached, its log (with its partitions), its sequence and cursor
 * table, each if it still exists, and its catalog rows.  Inside SPI,
 * catalog locked.
 */
static void
drop_topic_storage(int32 topic_id)
{
	static const char *const rels[] = {"t_%d", "t_%d_seq", "c_%d"};
	char		relname[NAMEDATALEN];
	int32	   *groups;
	int			ngroups;
	char	  **parts;
	uint64		nparts;
	uint64		j;
	int			i;

	groups = topic_group_ids(topic_id, &ngroups);
	for (i = 0; i < ngroups; i++)
	{
		snprintf(relname, sizeof(relname), "g_%d", groups[i]);
		pgmqc_drop_relation(relname);
	}

	/*
	 * Partitions not attached to the log (detached by hand, or left by a log
	 * dropped by hand): first, since their msg_id default depends on the
	 * sequence that goes with the log.  The log takes the others along.
	 */
	pgmqc_run_sql(psprintf("SELECT c.relname FROM pg_catalog.pg_class c "
						   "WHERE c.relnamespace OPERATOR(pg_catalog.=) '%u'::pg_catalog.oid "
						   "AND c.relname OPERATOR(pg_catalog.~) '^t_%d_p[0-9]+$' "
						   "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i "
						   "WHERE i.inhrelid OPERATOR(pg_catalog.=) c.oid) "
						   "ORDER BY c.relname",
						   get_namespace_oid("pgmq_c", false), topic_id),
				  SPI_OK_SELECT);
	nparts = SPI_processed;
	parts = palloc((nparts + 1) * sizeof(char *));
	for (j = 0; j < nparts; j++)
		parts[j] = SPI_getvalue(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 1);
	for (j = 0; j < nparts; j++)
		pgmqc_drop_relation(parts[j]);

	for (i = 0; i < lengthof(rels); i++)
	{
		snprintf(relname, sizeof(relname), rels[i], topic_id);
		pgmqc_drop_relation(relname);
	}
	pgmqc_run_sql(psprintf("DELETE FROM pgmq_c.groups WHERE topic_id OPERATOR(pg_catalog.=) %d;"
						   "DELETE FROM pgmq_c.queues WHERE queue_id OPERATOR(pg_catalog.=) %d",
						   topic_id, topic_id),
				  SPI_OK_DELETE);
}

/*
 * The group_id of a topic's group, read from pgmq_c.groups (not from the
 * group cache, which refuses a group whose table is missing); -1 if there
 * is no such group.  Inside SPI.
 */
static int32
group_id_for_drop(int32 topic_id, const char *group_name)
{
	Datum		args[2];
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	bool		isnull;
	int			rc;

	args[0] = Int32GetDatum(topic_id);
	args[1] = CStringGetTextDatum(group_name);
	rc = SPI_execute_with_args("SELECT group_id FROM pgmq_c.groups "
							   "WHERE topic_id OPERATOR(pg_catalog.=) $1 "
							   "AND group_name OPERATOR(pg_catalog.=) $2",
							   2, argtypes, args, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read pgmq_c.groups: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return -1;
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Drop a group's table if it still exists, its cursor row if the topic's
 * cursor table still exists, and its catalog row.  Inside SPI, catalog
 * locked.
 */
static void
drop_group_storage(int32 topic_id, int32 group_id)
{
	char		relname[NAMEDATALEN];

	snprintf(relname, sizeof(relname), "g_%d", group_id);
	pgmqc_drop_relation(relname);
	snprintf(relname, sizeof(relname), "c_%d", topic_id);
	if (OidIsValid(get_relname_relid(relname, get_namespace_oid("pgmq_c", false))))
		pgmqc_run_sql(psprintf("DELETE FROM pgmq_c.c_%d WHERE group_id OPERATOR(pg_catalog.=) %d",
							   topic_id, group_id), SPI_OK_DELETE);
	pgmqc_run_sql(psprintf("DELETE FROM pgmq_c.groups WHERE group_id OPERATOR(pg_catalog.=) %d",
						   group_id), SPI_OK_DELETE);
}
