/*-------------------------------------------------------------------------
 *
 * group_read.c
 *		SQL functions read_group and receive_group: a consumer group's
 *		messages handed to a reader.
 *
 * Argument checks and the result set; the topic engine claims, fills and
 * waits (topic/group_claims.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/group_read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"

#include "compat.h"
#include "pgmq_c.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "functions/arguments.h"
#include "topic/topic.h"
#include "functions/results.h"

PG_FUNCTION_INFO_V1(pgmqc_read_group);
PG_FUNCTION_INFO_V1(pgmqc_receive_group);

static void
check_group_args(FunctionCallInfo fcinfo, bool commits, Interval **vt,
				 int32 *qty, bool *waiting, TimestampTz *deadline)
{
	*qty = pgmqc_check_qty(fcinfo, 3);
	*vt = NULL;
	if (!PG_ARGISNULL(2))
	{
		*vt = PG_GETARG_INTERVAL_P(2);
		pgmqc_check_vt(*vt, "vt", true);
	}
	pgmqc_check_not_null(fcinfo, 4, "wait");
	*waiting = pgmqc_check_wait(PG_GETARG_INTERVAL_P(4), commits);
	*deadline = pgmqc_now_plus(PG_GETARG_INTERVAL_P(4));
}

/*
 * Acknowledge the n receipts (msg_ids ids, read_cts NULL or of the same
 * length) that a read acknowledges before it leases, in the group of the
 * topic, as ack(topic_name, group_name, msg_ids, read_cts) would: a stale
 * receipt is skipped.  Inside SPI.
 */
static void
ack_receipts(const char *topic_name, const char *group_name, ArrayType *ids,
			 ArrayType *read_cts, int n)
{
	PgmqcQueue *topic;
	PgmqcGroup *group;
	int			guard;

	if (ids == NULL || n == 0)
		return;
	topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_CONSUME);
	group = pgmqc_group_lookup(topic, group_name, false);
	(void) pgmqc_check_group_not_dropped(topic, group, false);
	/* planned for their index paths, as ack() plans them */
	guard = pgmqc_plan_guard_begin();
	if (n == 1)
		(void) pgmqc_group_ack(topic, group, ((int64 *) ARR_DATA_PTR(ids))[0],
							   read_cts != NULL,
							   read_cts ? ((int32 *) ARR_DATA_PTR(read_cts))[0] : 0);
	else
		pgmqc_group_ack_many(topic, group, ids, read_cts);
	pgmqc_plan_guard_end(guard);
}

/*
 * read_group(topic_name text, group_name text, vt interval, qty integer,
 *			  wait interval, ack_ids bigint[], ack_read_cts integer[])
 *		RETURNS SETOF message
 *
 * With ack_ids, those receipts are acknowledged first, in the same
 * transaction as the lease of the group's next messages.
 */
Datum
pgmqc_read_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	Interval   *vt;
	int32		qty;
	bool		waiting;
	TimestampTz deadline;
	ArrayType  *ack_ids;
	ArrayType  *ack_cts;
	int			nack;

	check_group_args(fcinfo, false, &vt, &qty, &waiting, &deadline);
	ack_ids = pgmqc_check_receipts(fcinfo, 5, 6, "ack_ids", "ack_read_cts",
								   &ack_cts, &nack);
	pgmqc_check_writable("read_group()");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	ack_receipts(topic_name, group_name, ack_ids, ack_cts, nack);
	(void) pgmqc_group_claim_or_wait(topic_name, group_name, qty, vt, waiting,
									 deadline, false);
	pgmqc_emit_rows(fcinfo, true);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}

/*
 * CALL receive_group(topic_name text, group_name text, vt interval,
 *					  qty integer, wait interval, INOUT messages message[],
 *					  ack_ids bigint[], ack_read_cts integer[])
 *
 * read_group() as a procedure that commits before it sleeps, as receive()
 * does for queues.  What it needs across a commit is copied out of the
 * call's arguments first; the receipts of ack_ids are acknowledged before
 * the first claim, and commit with the first commit.
 */
Datum
pgmqc_receive_group(PG_FUNCTION_ARGS)
{
	char		topic_name[PGMQC_MAX_NAME_LEN + 1];
	char		group_name[PGMQC_MAX_NAME_LEN + 1];
	Interval	vt_buf;
	Interval   *vt;
	int32		qty;
	bool		waiting;
	TimestampTz deadline;
	PgmqcReceiveCall call;
	ArrayType  *ack_ids;
	ArrayType  *ack_cts;
	int			nack;
	int			n;

	strlcpy(topic_name, pgmqc_arg_name_as(fcinfo, 0, "topic"), sizeof(topic_name));
	strlcpy(group_name, pgmqc_arg_name_as(fcinfo, 1, "group"), sizeof(group_name));
	check_group_args(fcinfo, pgmqc_call_commits(fcinfo), &vt, &qty, &waiting, &deadline);
	if (vt != NULL)
	{
		vt_buf = *vt;
		vt = &vt_buf;
	}
	ack_ids = pgmqc_check_receipts(fcinfo, 6, 7, "ack_ids", "ack_read_cts",
								   &ack_cts, &nack);
	pgmqc_check_writable("receive_group()");
	pgmqc_receive_begin(fcinfo, &call);
	ack_receipts(topic_name, group_name, ack_ids, ack_cts, nack);
	n = pgmqc_group_claim_or_wait(topic_name, group_name, qty, vt, waiting,
								  deadline, call.nonatomic);
	PG_RETURN_DATUM(pgmqc_receive_end(&call, n));
}
