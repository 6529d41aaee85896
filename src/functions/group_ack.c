/*-------------------------------------------------------------------------
 *
 * group_ack.c
 *		SQL functions ack (one msg_id or an array), nack and the group form
 *		of set_vt.
 *
 * Argument checks, opening the topic and group (consume privilege) and the
 * results; the topic engine changes the group's table
 * (topic/group_acks.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/group_ack.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"

#include "compat.h"
#include "pgmq_c.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "topic/topic.h"
#include "functions/results.h"

PG_FUNCTION_INFO_V1(pgmqc_ack);
PG_FUNCTION_INFO_V1(pgmqc_ack_many);
PG_FUNCTION_INFO_V1(pgmqc_nack);
PG_FUNCTION_INFO_V1(pgmqc_set_vt_group);

/* The topic and group named by the first two arguments; inside SPI. */
static PgmqcGroup *
group_of_args(FunctionCallInfo fcinfo, PgmqcQueue **topic)
{
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	PgmqcGroup *group;

	*topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_CONSUME);
	group = pgmqc_group_lookup(*topic, group_name, false);
	/* a lease holder's group or topic may have been dropped meanwhile */
	(void) pgmqc_check_group_not_dropped(*topic, group, false);
	return group;
}

/*
 * The start of a call, once its arguments are checked: SPI connected, a
 * plan guard begun (*guard), and the topic and group named by the first
 * two arguments opened.
 */
static PgmqcGroup *
begin_call(FunctionCallInfo fcinfo, PgmqcContext *cxt, int *guard,
		   PgmqcQueue **topic)
{
	pgmqc_spi_connect(cxt);
	*guard = pgmqc_plan_guard_begin();
	return group_of_args(fcinfo, topic);
}

/* The end of a call begun with begin_call(). */
static void
end_call(PgmqcContext *cxt, int guard)
{
	pgmqc_plan_guard_end(guard);
	pgmqc_spi_finish(cxt);
}

/*
 * The msg_id and the interval (called "name") of nack() and set_vt(), the
 * third and fourth arguments, checked; then whether "function" may write.
 */
static Interval *
check_lease_args(FunctionCallInfo fcinfo, const char *name,
				 const char *function)
{
	Interval   *interval;

	pgmqc_check_not_null(fcinfo, 2, "msg_id");
	pgmqc_check_not_null(fcinfo, 3, name);
	interval = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_vt(interval, name, true);
	pgmqc_check_writable(function);
	return interval;
}

/* Validate the topic and group names before anything else. */
static void
check_names(FunctionCallInfo fcinfo)
{
	(void) pgmqc_arg_name_as(fcinfo, 0, "topic");
	(void) pgmqc_arg_name_as(fcinfo, 1, "group");
}

/*
 * ack(topic_name text, group_name text, msg_id bigint) RETURNS boolean
 */
Datum
pgmqc_ack(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int			guard;
	bool		done;

	check_names(fcinfo);
	pgmqc_check_not_null(fcinfo, 2, "msg_id");
	pgmqc_check_writable("ack()");

	group = begin_call(fcinfo, &cxt, &guard, &topic);
	done = pgmqc_group_ack(group, PG_GETARG_INT64(2));
	end_call(&cxt, guard);
	PG_RETURN_BOOL(done);
}

/*
 * ack(topic_name text, group_name text, msg_ids bigint[]) RETURNS SETOF bigint
 */
Datum
pgmqc_ack_many(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int			guard;
	ArrayType  *ids;
	int64	   *acked;
	int			n;

	check_names(fcinfo);
	ids = pgmqc_check_array(fcinfo, 2, "msg_ids", true);
	pgmqc_check_writable("ack()");
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	group = begin_call(fcinfo, &cxt, &guard, &topic);
	pgmqc_group_ack_many(group, ids);
	acked = pgmqc_collect_ids(&n);
	pgmqc_emit_ids(fcinfo, acked, n);
	end_call(&cxt, guard);
	PG_RETURN_NULL();
}

/*
 * nack(topic_name text, group_name text, msg_id bigint, delay interval)
 *		RETURNS boolean
 *
 * The message goes back to the group, to be delivered again (with read_ct
 * counting on) once delay has passed; false when the group does not hold it
 * unacknowledged.
 */
Datum
pgmqc_nack(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int			guard;
	Interval   *delay;
	bool		done;

	check_names(fcinfo);
	delay = check_lease_args(fcinfo, "delay", "nack()");

	group = begin_call(fcinfo, &cxt, &guard, &topic);
	done = pgmqc_group_nack(topic, group, PG_GETARG_INT64(2), delay);
	end_call(&cxt, guard);
	PG_RETURN_BOOL(done);
}

/*
 * set_vt(topic_name text, group_name text, msg_id bigint, vt interval)
 *		RETURNS SETOF message
 *
 * The group's lease on the message ends vt from now: a longer vt extends
 * it, '0' ends it at once (the same as nack).  No row when the group does
 * not hold the message unacknowledged.
 */
Datum
pgmqc_set_vt_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int			guard;
	Interval   *vt;

	check_names(fcinfo);
	vt = check_lease_args(fcinfo, "vt", "set_vt()");
	InitMaterializedSRF(fcinfo, 0);

	group = begin_call(fcinfo, &cxt, &guard, &topic);
	(void) pgmqc_group_set_vt(topic, group, PG_GETARG_INT64(2), vt);
	pgmqc_emit_rows(fcinfo, false);
	end_call(&cxt, guard);
	PG_RETURN_NULL();
}
