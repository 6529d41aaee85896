/*-------------------------------------------------------------------------
 *
 * topic_metrics.c
 *		list_groups: where each consumer group of a topic stands.
 *
 * A group's lag is what it has not acknowledged: the messages handed to it
 * and not acknowledged (its table) plus the retained messages after its
 * cursor that its filter lets through.  Messages its filter rejects never
 * count.  As with metrics(), counting stops at pgmq_c.metrics_exact_limit;
 * above it the lag is estimated from the msg_id range and lag_is_exact is
 * false.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic_metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "pgmq_c.h"
#include "common/security.h"

PG_FUNCTION_INFO_V1(pgmqc_list_groups);

#define NUM_GROUP_COLS 9

/*
 * list_groups(topic_name text) RETURNS SETOF record (group_name, lag,
 *		in_flight, oldest_unacked_age_sec, missed, next_msg_id, lag_is_exact,
 *		visibility_timeout, filter)
 */
Datum
pgmqc_list_groups(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PgmqcQueue *topic;
	char	  **names;
	uint64		n;
	uint64		i;
	int64		limit = pgmqc_metrics_exact_limit;
	int64		last_id;
	bool		isnull;
	Datum		arg;
	int			rc;
	int			guard;

	InitMaterializedSRF(fcinfo, 0);
	pgmqc_spi_connect(&cxt);
	guard = pgmqc_plan_guard_begin();
	topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_MONITOR);
	pgmqc_check_not_dropped(topic);

	pgmqc_queue_run(topic, STMT_TOPIC_SEQUENCE_LAST, NULL, NULL, 1);
	last_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									SPI_tuptable->tupdesc, 2, &isnull)))
		last_id--;

	arg = Int32GetDatum(topic->queue_id);
	rc = SPI_execute_with_args("SELECT group_name FROM pgmq_c.groups "
							   "WHERE topic_id OPERATOR(pg_catalog.=) $1 "
							   "ORDER BY group_name COLLATE \"C\"",
							   1, (Oid[]) {INT4OID}, &arg, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	n = SPI_processed;
	names = palloc((n + 1) * sizeof(char *));
	for (i = 0; i < n; i++)
		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

	for (i = 0; i < n; i++)
	{
		PgmqcGroup *group = pgmqc_group_lookup(topic, names[i], true);
		Datum		args[3];
		char		nulls3[3] = {' ', ' ', ' '};
		Datum		r[7];
		bool		rn[7];
		Datum		values[NUM_GROUP_COLS];
		bool		nulls[NUM_GROUP_COLS];
		int64		outstanding,
					in_flight,
					pending,
					next_id;
		bool		exact = true;
		int			j;

		if (group == NULL || !pgmqc_check_group_not_dropped(topic, group, true))
			continue;			/* dropped meanwhile */
		args[0] = Int64GetDatum(limit + 1);
		args[1] = Int32GetDatum(group->group_id);
		args[2] = group->filter ? JsonbPGetDatum(group->filter) : (Datum) 0;
		if (group->filter == NULL)
			nulls3[2] = 'n';
		if (pgmqc_group_run(group, STMT_GROUP_STATS, args, nulls3, 1) != 1)
			continue;
		for (j = 0; j < 7; j++)
			r[j] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								 j + 1, &rn[j]);
		next_id = DatumGetInt64(r[0]);
		outstanding = DatumGetInt64(r[2]);
		in_flight = DatumGetInt64(r[3]);
		pending = DatumGetInt64(r[4]);
		if (outstanding > limit || in_flight > limit)
			exact = false;
		if (pending > limit)
		{
			exact = false;
			if (group->filter == NULL)
				pending = Max(limit, last_id - next_id + 1);
			else
				pending = limit;
		}

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(names[i]);
		values[1] = Int64GetDatum(outstanding + pending);
		values[2] = Int64GetDatum(in_flight);
		if (rn[5])
			nulls[3] = true;
		else
			values[3] = Float8GetDatum((double) (DatumGetTimestampTz(r[6]) -
												 DatumGetTimestampTz(r[5])) / USECS_PER_SEC);
		values[4] = r[1];
		values[5] = Int64GetDatum(Max(next_id, 0));
		values[6] = BoolGetDatum(exact);
		values[7] = IntervalPGetDatum(&group->default_vt);
		if (group->filter)
			values[8] = JsonbPGetDatum(group->filter);
		else
			nulls[8] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pgmqc_plan_guard_end(guard);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}
