/*-------------------------------------------------------------------------
 *
 * listing.c
 *		list_queues() and list_topics(): the catalog as the caller may see
 *		it.
 *
 * Nobody but the extension owner can read pgmq_c's catalog tables, so the
 * listings read them inside the extension context and show a row only when
 * the caller holds some privilege on the queue or topic (superusers see
 * everything).  They take no lock on any queue's tables, so they work with
 * any number of queues.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/listing.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "common/security.h"

PG_FUNCTION_INFO_V1(pgmqc_list_queues);
PG_FUNCTION_INFO_V1(pgmqc_list_topics);

/*
 * Run a catalog query whose first two columns are queue_id and the owner
 * (as oid), and put the remaining columns of every row the caller may see
 * into the result, followed by the owner's name.
 */
static void
list_rows(FunctionCallInfo fcinfo, const char *sql)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PgmqcContext cxt;
	SPITupleTable *rows;
	uint64		nrows;
	int			ncols;
	uint64		i;
	int			rc;

	InitMaterializedSRF(fcinfo, 0);
	ncols = rsinfo->setDesc->natts;

	pgmqc_spi_connect(&cxt);
	rc = SPI_execute(sql, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	rows = SPI_tuptable;
	nrows = SPI_processed;
	if (rows->tupdesc->natts != ncols + 1)
		elog(ERROR, "pgmq_c listing returns %d columns, expected %d",
			 rows->tupdesc->natts - 1, ncols);

	for (i = 0; i < nrows; i++)
	{
		HeapTuple	row = rows->vals[i];
		Datum		values[16];
		bool		nulls[16];
		bool		isnull;
		int32		queue_id;
		Oid			owner;
		int			c;

		Assert(ncols <= lengthof(values));
		queue_id = DatumGetInt32(SPI_getbinval(row, rows->tupdesc, 1, &isnull));
		owner = DatumGetObjectId(SPI_getbinval(row, rows->tupdesc, 2, &isnull));
		if (isnull)
			owner = InvalidOid;
		if (pgmqc_access_mask_by_id(queue_id, owner) == 0)
			continue;
		for (c = 0; c < ncols - 1; c++)
			values[c] = SPI_getbinval(row, rows->tupdesc, c + 3, &nulls[c]);
		if (OidIsValid(owner))
		{
			char	   *rolname = GetUserNameFromId(owner, true);

			values[ncols - 1] = CStringGetTextDatum(rolname ? rolname :
													psprintf("%u", owner));
			nulls[ncols - 1] = false;
		}
		else
		{
			values[ncols - 1] = (Datum) 0;
			nulls[ncols - 1] = true;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pgmqc_spi_finish(&cxt);
}

/*
 * list_queues() RETURNS TABLE (queue_name text, queue_id integer,
 *		visibility_timeout interval, created_at timestamptz, owner text)
 */
Datum
pgmqc_list_queues(PG_FUNCTION_ARGS)
{
	list_rows(fcinfo,
			  "SELECT q.queue_id, q.owner::pg_catalog.oid, "
			  "q.queue_name, q.queue_id, q.visibility_timeout, q.created_at "
			  "FROM pgmq_c.queues q "
			  "WHERE q.kind OPERATOR(pg_catalog.=) 'q' "
			  "ORDER BY q.queue_name COLLATE \"C\"");
	PG_RETURN_NULL();
}

/*
 * list_topics() RETURNS TABLE (topic_name text, topic_id integer,
 *		retention interval, partition_size bigint, groups bigint,
 *		created_at timestamptz, owner text)
 */
Datum
pgmqc_list_topics(PG_FUNCTION_ARGS)
{
	list_rows(fcinfo,
			  "SELECT q.queue_id, q.owner::pg_catalog.oid, "
			  "q.queue_name, q.queue_id, q.retention, q.partition_size, "
			  "(SELECT pg_catalog.count(*) FROM pgmq_c.groups g "
			  " WHERE g.topic_id OPERATOR(pg_catalog.=) q.queue_id), "
			  "q.created_at "
			  "FROM pgmq_c.queues q "
			  "WHERE q.kind OPERATOR(pg_catalog.=) 't' "
			  "ORDER BY q.queue_name COLLATE \"C\"");
	PG_RETURN_NULL();
}
