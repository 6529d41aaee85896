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

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/dead_letters.h"
#include "common/object_cache.h"
#include "common/security.h"
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
 * After a claim round (its dead letters moved): the worker's timer at the
 * end of the backoffs it began, and whether the call is done: it delivered
 * messages, or came across none that it had to deal with.  Otherwise those
 * took the places of visible messages that may come after them, and the
 * caller deals with the head in bulk (pgmqc_claim_head_budget) and claims
 * again.
 */
bool
pgmqc_claim_round_ends(PgmqcClaimRounds *rounds, const PgmqcClaimOutcome *outcome,
					   int32 queue_id, bool notify)
{
	if (outcome->backed_off > 0 && pgmqc_shared != NULL)
		pgmqc_due_on_commit(queue_id, outcome->first_retry, notify);
	rounds->processed += outcome->dead + outcome->backed_off;
	return outcome->claimed > 0 || outcome->dead + outcome->backed_off == 0;
}

/*
 * How many more dead messages and expired leases at the head the call may
 * deal with in bulk (up to PGMQC_HEAD_LIMIT a call); 0 once it has dealt
 * with that many: it then looks past the rest.  Inside a transaction block
 * none: what a claim changes stays locked until the transaction ends, so
 * messages whose backoff it began would wait for its commit after their
 * backoff, and dead letters it moved would not be seen in the dead-letter
 * queue.  Such a claim deals only with those among its candidates (no more
 * than it asked for), and looks past the rest, which autocommit readers
 * and the worker deal with.
 */
int
pgmqc_claim_head_budget(PgmqcClaimRounds *rounds)
{
	if (rounds->processed < PGMQC_HEAD_LIMIT && !IsTransactionBlock())
		return PGMQC_HEAD_LIMIT - rounds->processed;
	rounds->skipping = true;
	return 0;
}

/* The bulk step dealt with "dealt" messages; none left: look past them. */
void
pgmqc_claim_head_dealt(PgmqcClaimRounds *rounds, int dealt)
{
	rounds->processed += dealt;
	rounds->skipping = dealt == 0;
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
 * May the dead letters of a queue or topic owned by source_owner go to
 * dead_letter_queue now?  Naming a dead-letter queue needs the privilege to
 * send to it (functions/retry_settings.c), and moving dead letters into it
 * is sending on the source owner's behalf, so the owner must still hold it
 * (or own the queue): a revoke takes effect at the next move.  False too
 * when the queue is gone.
 *
 * The send's first lock on the dead-letter queue is taken here, before the
 * answer: a drop or a revoke in progress is waited for, and the answer is
 * the one after it.  Before, the move waited for the drop at its insert
 * and then failed with 42P01 on the dropped table (review h45).  A queue
 * made anew under the name in the drop's transaction is looked up again.
 */
bool
pgmqc_dead_letters_allowed(const char *dead_letter_queue, Oid source_owner)
{
	PgmqcQueue *dlq;

	if (dead_letter_queue[0] == '\0')
		return false;
	dlq = pgmqc_lookup_kind(dead_letter_queue, PGMQC_KIND_QUEUE, true);
	if (dlq != NULL && !pgmqc_lock_if_not_dropped(dlq, RowExclusiveLock))
	{
		dlq = pgmqc_lookup_kind(dead_letter_queue, PGMQC_KIND_QUEUE, true);
		if (dlq != NULL && !pgmqc_lock_if_not_dropped(dlq, RowExclusiveLock))
			dlq = NULL;
	}
	return dlq != NULL &&
		(pgmqc_role_access_mask(dlq->queue_id, dlq->owner, source_owner) &
		 PGMQC_PRIV_SEND) != 0;
}

/*
 * May the caller see the name of dead_letter_queue in a listing of the
 * queue or group that names it?  Only with some privilege on it, as for
 * the queue's own row in list_queues().  From the catalog alone, as the
 * listings read it: a queue whose tables are damaged is still listed.
 */
bool
pgmqc_dead_letter_queue_shown(const char *dead_letter_queue)
{
	Datum		args[1];
	bool		isnull;
	int32		queue_id;
	Oid			owner;

	args[0] = CStringGetTextDatum(dead_letter_queue);
	if (pgmqc_run_catalog(STMT_QUEUE_ID_OWNER, args, NULL, 1) == 0)
		return false;
	queue_id = DatumGetInt32(pgmqc_column(0, 1, &isnull));
	owner = DatumGetObjectId(pgmqc_column(0, 2, &isnull));
	if (isnull)
		owner = InvalidOid;
	return pgmqc_access_mask_by_id(queue_id, owner) != 0;
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
	pgmqc_send_begin(dlq, values, nulls, messages,
					 DatumGetPointer(headers), &no_delay);
	(void) pgmqc_queue_run(dlq, STMT_SEND_BATCH, values, nulls, 0);
	if (pgmqc_shared != NULL)
	{
		pgmqc_wake_on_commit(dlq->queue_id, (int) Min(count, INT_MAX),
							 dlq->notify);
		(void) pgmqc_my_worker(true);
	}
	return count;
}

/*
 * The parameters of a nack (STMT_NACK, STMT_GROUP_NACK): the message, the
 * delay (NULL: the backoff), the receipt (has_read_ct), the reason (may be
 * NULL) and the policy.  values and nulls hold NACK_NUM_ARGS.
 */
void
pgmqc_nack_args(const PgmqcRetryPolicy *retry, int64 msg_id, Interval *delay,
				bool has_read_ct, int32 read_ct, text *reason,
				Datum *values, char *nulls)
{
	values[0] = Int64GetDatum(msg_id);
	values[1] = PointerGetDatum(delay);
	nulls[0] = ' ';
	nulls[1] = delay ? ' ' : 'n';
	values[2] = Int32GetDatum(read_ct);
	nulls[2] = has_read_ct ? ' ' : 'n';
	values[3] = PointerGetDatum(reason);
	nulls[3] = reason ? ' ' : 'n';
	pgmqc_retry_args(retry, values + 4, nulls + 4);
}

/*
 * The parameters of STMT_BACKOFF_EXPIRED and STMT_GROUP_BACKOFF_EXPIRED:
 * the head's watermark, the policy and the most rows to deal with.
 * values and nulls hold BACKOFF_NUM_ARGS.
 */
void
pgmqc_backoff_args(const PgmqcRetryPolicy *retry, int64 watermark, int limit,
				   Datum *values, char *nulls)
{
	Datum		policy[3];
	char		policy_nulls[3];

	/* $1 watermark, $2 max_deliveries, $3 limit, $4 and $5 the backoff */
	pgmqc_retry_args(retry, policy, policy_nulls);
	values[0] = Int64GetDatum(watermark);
	nulls[0] = ' ';
	values[1] = policy[0];
	nulls[1] = policy_nulls[0];
	values[2] = Int32GetDatum(limit);
	nulls[2] = ' ';
	values[3] = policy[1];
	nulls[3] = policy_nulls[1];
	values[4] = policy[2];
	nulls[4] = policy_nulls[2];
}

/*
 * After STMT_(GROUP_)BACKOFF_EXPIRED ran for queue or topic queue_id: the
 * worker's timer at the earliest end of the backoffs; returns how many
 * messages now wait.
 */
int
pgmqc_backoff_done(int32 queue_id, bool notify)
{
	bool		isnull;
	int64		count = pgmqc_column_int64(0, BACKOFF_COL_COUNT, &isnull);

	if (count > 0 && pgmqc_shared != NULL)
		pgmqc_due_on_commit(queue_id,
							DatumGetTimestampTz(pgmqc_column(0, BACKOFF_COL_FIRST_RETRY,
															 &isnull)),
							notify);
	return (int) count;
}

/*
 * The bigint[] of msg_ids in column VALUE_COL of the current result's
 * first row (STMT_DEAD_LETTER_IDS): its elements, and how many (*n); NULL
 * when there are none.
 */
int64 *
pgmqc_id_array_result(int *n)
{
	bool		isnull;
	Datum		ids = pgmqc_column(0, VALUE_COL, &isnull);
	ArrayType  *array;

	*n = 0;
	if (isnull)
		return NULL;
	array = DatumGetArrayTypeP(ids);
	*n = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	return (int64 *) ARR_DATA_PTR(array);
}
