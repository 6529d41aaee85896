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

/* The optional receipt argument argno: whether given, and its read_ct. */
static bool
receipt_arg(FunctionCallInfo fcinfo, int argno, int32 *read_ct)
{
	*read_ct = 0;
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return false;
	*read_ct = PG_GETARG_INT32(argno);
	pgmqc_check_read_ct(*read_ct);
	return true;
}

/* Validate the topic and group names before anything else. */
static void
check_names(FunctionCallInfo fcinfo)
{
	(void) pgmqc_arg_name_as(fcinfo, 0, "topic");
	(void) pgmqc_arg_name_as(fcinfo, 1, "group");
}

/*
 * ack(topic_name text, group_name text, msg_id bigint, read_ct integer)
 *		RETURNS boolean
 */
Datum
pgmqc_ack(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int			guard;
	bool		done;
	int32		read_ct;
	bool		has_read_ct;

	check_names(fcinfo);
	pgmqc_check_not_null(fcinfo, 2, "msg_id");
	has_read_ct = receipt_arg(fcinfo, 3, &read_ct);
	pgmqc_check_writable("ack()");

	group = begin_call(fcinfo, &cxt, &guard, &topic);
	done = pgmqc_group_ack(topic, group, PG_GETARG_INT64(2), has_read_ct, read_ct);
	end_call(&cxt, guard);
	PG_RETURN_BOOL(done);
}

/*
 * ack(topic_name text, group_name text, msg_ids bigint[], read_cts integer[])
 *		RETURNS SETOF bigint
 */
Datum
pgmqc_ack_many(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int			guard;
	ArrayType  *ids;
	ArrayType  *read_cts = NULL;
	int64	   *acked;
	int			n;

	check_names(fcinfo);
	ids = pgmqc_check_array(fcinfo, 2, "msg_ids", true);
	if (PG_NARGS() > 3)
		read_cts = pgmqc_check_read_cts(fcinfo, 3,
										ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids)));
	pgmqc_check_writable("ack()");
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	group = begin_call(fcinfo, &cxt, &guard, &topic);
	pgmqc_group_ack_many(topic, group, ids, read_cts);
	acked = pgmqc_collect_ids(&n);
	pgmqc_emit_ids(fcinfo, acked, n);
	end_call(&cxt, guard);
	PG_RETURN_NULL();
}

/*
 * nack(topic_name text, group_name text, msg_id bigint, delay interval,
 *		read_ct integer, reason text) RETURNS boolean
 *
 * The message goes back to the group, to be delivered again (with read_ct
 * counting on) once delay has passed (NULL: the group's retry backoff, or
 * at once without one); read max_deliveries times, it is dead-lettered
 * instead.  With read_ct, only if that delivery still holds it.  False
 * when the group does not hold it unacknowledged.
 */
Datum
pgmqc_nack(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int			guard;
	Interval   *delay = NULL;
	int32		read_ct;
	bool		has_read_ct;
	text	   *reason = NULL;
	bool		done;

	check_names(fcinfo);
	pgmqc_check_not_null(fcinfo, 2, "msg_id");
	if (!PG_ARGISNULL(3))
	{
		delay = PG_GETARG_INTERVAL_P(3);
		pgmqc_check_vt(delay, "delay", true);
	}
	has_read_ct = receipt_arg(fcinfo, 4, &read_ct);
	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
	{
		reason = PG_GETARG_TEXT_P(5);
		pgmqc_check_reason(reason);
	}
	pgmqc_check_writable("nack()");

	group = begin_call(fcinfo, &cxt, &guard, &topic);
	done = pgmqc_group_nack(topic, group, PG_GETARG_INT64(2), delay,
							has_read_ct, read_ct, reason);
	end_call(&cxt, guard);
	PG_RETURN_BOOL(done);
}

/*
 * set_vt(topic_name text, group_name text, msg_id bigint, vt interval,
 *		read_ct integer) RETURNS SETOF message
 *
 * The group's lease on the message ends vt from now: a longer vt extends
 * it, '0' ends it at once.  With read_ct, only if that delivery still
 * holds it.  No row when the group does not hold the message
 * unacknowledged.
 */
Datum
pgmqc_set_vt_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int			guard;
	Interval   *vt;
	int32		read_ct;
	bool		has_read_ct;

	check_names(fcinfo);
	pgmqc_check_not_null(fcinfo, 2, "msg_id");
	pgmqc_check_not_null(fcinfo, 3, "vt");
	vt = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_vt(vt, "vt", true);
	has_read_ct = receipt_arg(fcinfo, 4, &read_ct);
	pgmqc_check_writable("set_vt()");
	InitMaterializedSRF(fcinfo, 0);

	group = begin_call(fcinfo, &cxt, &guard, &topic);
	(void) pgmqc_group_set_vt(topic, group, PG_GETARG_INT64(2), vt,
							  has_read_ct, read_ct);
	pgmqc_emit_rows(fcinfo, false);
	end_call(&cxt, guard);
	PG_RETURN_NULL();
}
