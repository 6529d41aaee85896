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

#include "common/dead_letters.h"
#include "common/security.h"
#include "common/statements.h"

/* a listing has at most this many columns */
#define MAX_LISTING_COLUMNS		16

/* where list_queues() shows the owner */
#define LIST_QUEUES_OWNER_COLUMN	4
/* list_queues() from 0.8.0 on */
#define LIST_QUEUES_COLUMNS		12
/* list_topics() (0.7.0): owner, then dedup_window */
#define LIST_TOPICS_OWNER_COLUMN	6
/* list_topics() from 0.8.0 on */
#define LIST_TOPICS_COLUMNS		9

PG_FUNCTION_INFO_V1(pgmqc_list_queues);
PG_FUNCTION_INFO_V1(pgmqc_list_notifications);
PG_FUNCTION_INFO_V1(pgmqc_list_topics);

/*
 * Run a catalog statement whose first two columns are queue_id and the
 * owner (as oid), and put the remaining columns of every row the caller may
 * see into the result, with the owner's name in result column owner_column
 * (counted from 0; the last one when -1).
 */
static void
list_rows(FunctionCallInfo fcinfo, PgmqcStatement stmt, int owner_column)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PgmqcContext cxt;
	SPITupleTable *rows;
	uint64		nrows;
	int			ncols;
	int			dead_letter_column = -1;
	int			c;
	uint64		i;

	InitMaterializedSRF(fcinfo, 0);
	ncols = rsinfo->setDesc->natts;
	if (owner_column < 0)
		owner_column = ncols - 1;
	for (c = 0; c < ncols; c++)
		if (strcmp(NameStr(TupleDescAttr(rsinfo->setDesc, c)->attname),
				   "dead_letter_queue") == 0)
			dead_letter_column = c;

	pgmqc_spi_connect(&cxt);
	/* read-only (see the statement): in the snapshot of the caller */
	(void) pgmqc_run_catalog(stmt, NULL, NULL, 0);
	rows = SPI_tuptable;
	nrows = SPI_processed;
	/* the columns shown, then the owner's name, which is made here */
	if (rows->tupdesc->natts - (LISTING_COL_FIRST_SHOWN - 1) != ncols - 1)
		elog(ERROR, "pgmq_c listing returns %d columns, expected %d",
			 rows->tupdesc->natts - (LISTING_COL_FIRST_SHOWN - 1) + 1, ncols);

	for (i = 0; i < nrows; i++)
	{
		HeapTuple	row = rows->vals[i];
		Datum		values[MAX_LISTING_COLUMNS];
		bool		nulls[MAX_LISTING_COLUMNS];
		bool		isnull;
		int32		queue_id;
		Oid			owner;

		Assert(ncols <= lengthof(values));
		queue_id = DatumGetInt32(SPI_getbinval(row, rows->tupdesc,
											   LISTING_COL_QUEUE_ID, &isnull));
		owner = DatumGetObjectId(SPI_getbinval(row, rows->tupdesc,
											   LISTING_COL_OWNER, &isnull));
		if (isnull)
			owner = InvalidOid;
		if (pgmqc_access_mask_by_id(queue_id, owner) == 0)
			continue;
		for (c = 0; c < ncols - 1; c++)
		{
			int			to = c < owner_column ? c : c + 1;

			values[to] = SPI_getbinval(row, rows->tupdesc,
									   LISTING_COL_FIRST_SHOWN + c, &nulls[to]);
		}
		/* a dead-letter queue is named to those who may see it only */
		if (dead_letter_column >= 0 && !nulls[dead_letter_column] &&
			!pgmqc_dead_letter_queue_shown(TextDatumGetCString(values[dead_letter_column])))
			nulls[dead_letter_column] = true;
		if (OidIsValid(owner))
		{
			char	   *rolname = GetUserNameFromId(owner, true);

			values[owner_column] = CStringGetTextDatum(rolname ? rolname :
													   psprintf("%u", owner));
			nulls[owner_column] = false;
		}
		else
		{
			values[owner_column] = (Datum) 0;
			nulls[owner_column] = true;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pgmqc_spi_finish(&cxt);
}

/*
 * list_queues() RETURNS TABLE (queue_name text, queue_id integer,
 *		visibility_timeout interval, created_at timestamptz, owner text,
 *		max_deliveries integer, dead_letter_queue text,
 *		retry_backoff interval, retry_backoff_max interval,
 *		archive_retention interval, dedup_window interval, durability text)
 *
 * The retry columns are there from 0.6.0 on, dedup_window from 0.7.0 on,
 * durability from 0.8.0 on (the functions' result, not the catalog, tells).
 */
Datum
pgmqc_list_queues(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		with_durability = rsinfo != NULL && rsinfo->expectedDesc != NULL &&
	rsinfo->expectedDesc->natts == LIST_QUEUES_COLUMNS;

	list_rows(fcinfo, with_durability ? STMT_LIST_QUEUES :
			  pgmqc_ordering_exists() ? STMT_LIST_QUEUES_0_7 :
			  pgmqc_retries_exist() ? STMT_LIST_QUEUES_0_6 : STMT_LIST_QUEUES_0_5,
			  LIST_QUEUES_OWNER_COLUMN);
	PG_RETURN_NULL();
}

/*
 * list_notifications() RETURNS TABLE (queue_name text, throttle interval,
 *		channel text, owner text): 0.8.0 on, where the catalog has channels.
 */
Datum
pgmqc_list_notifications(PG_FUNCTION_ARGS)
{
	list_rows(fcinfo, STMT_LIST_NOTIFICATIONS, -1);
	PG_RETURN_NULL();
}

/*
 * list_topics() RETURNS TABLE (topic_name text, topic_id integer,
 *		retention interval, partition_size bigint, groups bigint,
 *		created_at timestamptz, owner text, dedup_window interval,
 *		durability text)
 *
 * dedup_window is there from 0.7.0 on, durability from 0.8.0 on (the
 * functions' result, not the catalog, tells).
 */
Datum
pgmqc_list_topics(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		with_durability = rsinfo != NULL && rsinfo->expectedDesc != NULL &&
	rsinfo->expectedDesc->natts == LIST_TOPICS_COLUMNS;

	if (with_durability)
		list_rows(fcinfo, STMT_LIST_TOPICS, LIST_TOPICS_OWNER_COLUMN);
	else if (pgmqc_ordering_exists())
		list_rows(fcinfo, STMT_LIST_TOPICS_0_7, LIST_TOPICS_OWNER_COLUMN);
	else
		list_rows(fcinfo, STMT_LIST_TOPICS_0_6, -1);
	PG_RETURN_NULL();
}
