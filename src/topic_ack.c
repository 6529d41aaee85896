/*-------------------------------------------------------------------------
 *
 * topic_ack.c
 *		ack, nack and the group form of set_vt.
 *
 * Each works on one group's table only: an ack removes the message from
 * that group's outstanding messages and changes nothing for another group.
 * Acks may come in any order.  The message itself stays in the topic's log
 * until retention removes its partition.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic_ack.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/array.h"
#include "utils/builtins.h"

#include "compat.h"
#include "shared_memory/shared_memory.h"
#include "common/security.h"

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
	Datum		arg;
	bool		done;

	check_names(fcinfo);
	pgmqc_check_not_null(fcinfo, 2, "msg_id");
	pgmqc_check_writable("ack()");

	pgmqc_spi_connect(&cxt);
	guard = pgmqc_plan_guard_begin();
	group = group_of_args(fcinfo, &topic);
	arg = PG_GETARG_DATUM(2);
	done = pgmqc_group_run(group, STMT_GROUP_ACK, &arg, NULL, 0) > 0;
	pgmqc_plan_guard_end(guard);
	pgmqc_spi_finish(&cxt);
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
	Datum		arg;
	int64	   *acked;
	int			n;

	check_names(fcinfo);
	ids = pgmqc_check_array(fcinfo, 2, "msg_ids", true);
	pgmqc_check_writable("ack()");
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	pgmqc_spi_connect(&cxt);
	guard = pgmqc_plan_guard_begin();
	group = group_of_args(fcinfo, &topic);
	arg = PointerGetDatum(ids);
	pgmqc_group_run(group, STMT_GROUP_ACK_MANY, &arg, NULL, 0);
	acked = pgmqc_collect_ids(&n);
	pgmqc_emit_ids(fcinfo, acked, n);
	pgmqc_plan_guard_end(guard);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}

/* Wake-ups for a message of the group available again after "after". */
static void
announce_release(PgmqcQueue *topic, Interval *after)
{
	if (pgmqc_shared == NULL)
		return;
	if (pgmqc_interval_is_zero(after))
		pgmqc_wake_on_commit(topic, PGMQC_WAKE_ALL, false);
	else
		pgmqc_due_on_commit(topic, pgmqc_now_plus(after));
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
	Datum		args[2];
	bool		done;

	check_names(fcinfo);
	pgmqc_check_not_null(fcinfo, 2, "msg_id");
	pgmqc_check_not_null(fcinfo, 3, "delay");
	delay = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_vt(delay, "delay", true);
	pgmqc_check_writable("nack()");

	pgmqc_spi_connect(&cxt);
	guard = pgmqc_plan_guard_begin();
	group = group_of_args(fcinfo, &topic);
	args[0] = PG_GETARG_DATUM(2);
	args[1] = IntervalPGetDatum(delay);
	done = pgmqc_group_run(group, STMT_GROUP_NACK, args, NULL, 0) > 0;
	if (done)
		announce_release(topic, delay);
	pgmqc_plan_guard_end(guard);
	pgmqc_spi_finish(&cxt);
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
	Datum		args[2];

	check_names(fcinfo);
	pgmqc_check_not_null(fcinfo, 2, "msg_id");
	pgmqc_check_not_null(fcinfo, 3, "vt");
	vt = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_vt(vt, "vt", true);
	pgmqc_check_writable("set_vt()");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	guard = pgmqc_plan_guard_begin();
	group = group_of_args(fcinfo, &topic);
	args[0] = PG_GETARG_DATUM(2);
	args[1] = IntervalPGetDatum(vt);
	if (pgmqc_group_run(group, STMT_GROUP_SET_VT, args, NULL, 0) > 0)
		announce_release(topic, vt);
	pgmqc_emit_rows(fcinfo, false);
	pgmqc_plan_guard_end(guard);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
