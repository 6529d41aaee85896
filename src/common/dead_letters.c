/*-------------------------------------------------------------------------
 *
 * dead_letters.c
 *		What the retry policies of queues (queue/retries.c) and consumer
 *		groups (topic/group_retries.c) share: sorting out what a claim did
 *		with each message it came across, and sending dead letters to a
 *		dead-letter queue.
 *
 * A claim under a retry policy does one of three things with a visible
 * message: leases it, marks it dead (it was read max_deliveries times; the
 * claim sets its vt to infinity, so that nobody else comes across it, and
 * the engine moves it before the transaction ends), or, when its lease
 * expired and a backoff applies, makes it wait for its backoff.  The claim
 * returns a row for each, with its outcome in column MESSAGE_COL_OUTCOME;
 * the caller only gets the leased ones.
 *
 * A dead letter is sent to its dead-letter queue as a new message of that
 * queue (its own msg_id, read_ct 0), in the transaction that deletes it
 * from its source, so that it is always in exactly one place.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/dead_letters.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/dead_letters.h"
#include "common/object_cache.h"
#include "common/sending.h"
#include "common/statements.h"

/*
 * Sort out the n rows of a claim's result (SPI_tuptable): the leased rows
 * stay, in their order; the dead ones' msg_ids and the earliest end of the
 * backoffs go to *outcome.  A result without the outcome column (a catalog
 * older than 0.6.0) is all leased rows.
 */
void
pgmqc_claim_outcome(int n, PgmqcClaimOutcome *outcome)
{
	SPITupleTable *tt = SPI_tuptable;
	int			kept = 0;
	int			i;

	memset(outcome, 0, sizeof(*outcome));
	outcome->result = tt;
	if (n == 0 || tt->tupdesc->natts < MESSAGE_COL_OUTCOME)
	{
		outcome->claimed = n;
		return;
	}
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		char		what = DatumGetChar(pgmqc_column(i, MESSAGE_COL_OUTCOME, &isnull));

		if (what == PGMQC_CLAIMED)
		{
			tt->vals[kept++] = tt->vals[i];
			continue;
		}
		if (what == PGMQC_DEAD)
		{
			if (outcome->dead_ids == NULL)
				outcome->dead_ids = palloc(n * sizeof(int64));
			outcome->dead_ids[outcome->dead++] =
				pgmqc_column_int64(i, MESSAGE_COL_MSG_ID, &isnull);
		}
		else
		{
			TimestampTz vt = DatumGetTimestampTz(pgmqc_column(i, MESSAGE_COL_VT,
															  &isnull));

			if (outcome->backed_off++ == 0 || vt < outcome->first_retry)
				outcome->first_retry = vt;
		}
	}
	outcome->claimed = kept;
	tt->numvals = kept;
	SPI_processed = kept;
}

/*
 * Make the claim's result, claimed rows only, the current SPI result again
 * (after moving its dead letters ran other statements).
 */
void
pgmqc_claim_result_restore(const PgmqcClaimOutcome *outcome)
{
	SPI_tuptable = outcome->result;
	SPI_processed = outcome->claimed;
}

/* A bigint[] of n msg_ids. */
Datum
pgmqc_id_array(const int64 *ids, int n)
{
	Datum	   *elems = palloc((n + 1) * sizeof(Datum));
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(ids[i]);
	return PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * Send the dead letters taken out of their source by the statement just
 * run (STMT_DEAD_LETTER_TAKE, STMT_GROUP_DEAD_LETTER_TAKE: their messages
 * and headers as two arrays, and how many) to the dead-letter queue, and
 * wake its readers at commit.  Returns how many were sent.
 */
int64
pgmqc_send_dead_letters(const char *dead_letter_queue)
{
	PgmqcQueue *dlq;
	Datum		values[SEND_NUM_ARGS];
	char		nulls[SEND_NUM_ARGS];
	Interval	no_delay;
	bool		isnull;
	Datum		messages;
	Datum		headers;
	int64		count;

	if (SPI_processed != 1)
		return 0;
	count = pgmqc_column_int64(0, TAKE_COL_COUNT, &isnull);
	if (count == 0)
		return 0;
	messages = pgmqc_column(0, TAKE_COL_MESSAGES, &isnull);
	headers = pgmqc_column(0, TAKE_COL_HEADERS, &isnull);

	dlq = pgmqc_lookup_kind(dead_letter_queue, PGMQC_KIND_QUEUE, false);
	memset(&no_delay, 0, sizeof(no_delay));
	pgmqc_send_begin(values, nulls, messages, DatumGetPointer(headers),
					 &no_delay);
	(void) pgmqc_queue_run(dlq, STMT_SEND_BATCH, values, nulls, 0);
	if (pgmqc_shared != NULL)
	{
		pgmqc_wake_on_commit(dlq->queue_id, (int) Min(count, INT_MAX),
							 dlq->notify);
		(void) pgmqc_my_worker(true);
	}
	return count;
}
