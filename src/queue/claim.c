/*-------------------------------------------------------------------------
 *
 * claim.c
 *		Claiming a queue's visible messages for a lease (read, receive),
 *		waiting until some are visible, and popping them.
 *
 * A claim first moves due delayed messages into the message table
 * (delayed.c), then takes up to qty visible messages from the watermark on
 * (watermark.c) with FOR UPDATE SKIP LOCKED, so that readers never block
 * one another, and makes them invisible for the lease.  Its statements are
 * planned with sequential scans off (pgmqc_plan_guard_begin): a plan kept
 * from a moment the queue was small would scan the whole table on every
 * read once it has grown.  While none is
 * visible, a waiting claim sleeps on the queue's wake-up slot (wait.c)
 * until a commit may have made one visible, or until the next due time.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/claim.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/claiming.h"
#include "common/dead_letters.h"
#include "common/direct_claim.h"
#include "common/security.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/object_cache.h"

/*
 * Whether a pop of queue passes its keyed messages through the key gate
 * (common/direct_claim.c, STMT_POP_KEYS, STMT_CLAIM_POP_KEYS): it locks a
 * key's row before it knows whether it will take the key's head, and keeps
 * the lock to the transaction's end.  An autocommit pop ends at once and
 * waits for nothing, so that costs nothing.  Inside a transaction block
 * (a prepared one: until COMMIT PREPARED) a lock kept for a head it did not
 * take would hold back the key's sends and deletes, and could close a
 * deadlock (review h35); there the pop does without the gate and waits, as
 * delete does, for a send of a key whose head it takes.
 */
static bool
pop_key_gate(PgmqcQueue *queue, bool for_pop)
{
	return for_pop && queue->has_keys && !IsTransactionBlock();
}

/*
 * What the direct claim of queue must respect (common/direct_claim.c): the
 * key gate of a pop, and the due messages this read moved for it.
 */
static PgmqcClaimTerms
claim_terms(PgmqcQueue *queue, bool for_pop, const PgmqcMovedDue *moved)
{
	PgmqcClaimTerms terms;

	terms.gate_queue_id = pop_key_gate(queue, for_pop) ? queue->queue_id : 0;
	terms.reserved = moved->ids;
	terms.nreserved = moved->n;
	return terms;
}

/*
 * One attempt to claim up to qty messages for vt; returns how many (rows in
 * SPI_tuptable).  Registers the wake-ups that the claim implies.  Sets
 * *head_left when it dealt with as many dead messages and expired leases as
 * one call may and left the rest for the next call.
 */
static int
claim_once(PgmqcQueue *queue, int32 qty, Interval *vt, bool for_pop,
		   bool *head_left)
{
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	PgmqcClaimOutcome outcome;
	PgmqcClaimRounds rounds = {0, false};
	int			n;

	for (;;)
	{
		int			budget;
		bool		skipping_head;
		int64		start;
		PgmqcMovedDue moved;
		PgmqcClaimTerms terms;

		start = pgmqc_claim_skip_start(&queue->cache, queue->queue_id,
									   pgmqc_queue_advance_watermark(queue),
									   &skipping_head);
		pgmqc_queue_mature_due(queue, qty, start, &moved);
		terms = claim_terms(queue, for_pop, &moved);
		values[0] = Int32GetDatum(qty);
		values[1] = IntervalPGetDatum(vt);
		values[2] = Int64GetDatum(start);
		if (!pgmqc_retry_active(&queue->retry))
		{
			/*
			 * No retry policy: every candidate is leased, without a statement
			 * when the table is as pgmq_c made it (common/direct_claim.c).
			 */
			n = PGMQC_DIRECT_CLAIM_UNABLE;
			if (queue->retry.catalog_has_retries)
				n = pgmqc_direct_claim(queue->cache.relid, qty, vt, start,
									   NULL, false, &terms);
			if (n == PGMQC_DIRECT_CLAIM_UNABLE)
				n = pgmqc_queue_run(queue, queue->retry.catalog_has_retries ?
									STMT_CLAIM_PLAIN : STMT_CLAIM_0_5,
									values, NULL, 0);
			if (n == 0 && skipping_head)
			{
				pgmqc_claim_skip_end(&queue->cache, queue->queue_id, start);
				continue;
			}
			pgmqc_claim_skip_remember(&queue->cache, queue->queue_id, start, n,
									  skipping_head);
			break;
		}
		/* the same under the policy, each row with its outcome */
		n = pgmqc_direct_claim(queue->cache.relid, qty, vt, start,
							   &queue->retry, rounds.skipping, &terms);
		if (n == PGMQC_DIRECT_CLAIM_UNABLE)
		{
			pgmqc_retry_args(&queue->retry, values + 3, nulls + 3);
			values[6] = BoolGetDatum(rounds.skipping);
			n = pgmqc_queue_run(queue, pop_key_gate(queue, for_pop) ?
								STMT_CLAIM_POP_KEYS : STMT_CLAIM,
								values, nulls, 0);
		}
		pgmqc_claim_outcome(n, &outcome);
		n = outcome.claimed;
		if (n == 0 && outcome.dead + outcome.backed_off == 0 && skipping_head)
		{
			/* nothing past the leased head: look from the watermark */
			pgmqc_claim_skip_end(&queue->cache, queue->queue_id, start);
			continue;
		}
		pgmqc_claim_skip_remember(&queue->cache, queue->queue_id, start, n,
								  skipping_head);
		if (outcome.dead > 0)
		{
			pgmqc_queue_move_dead(queue, outcome.dead_ids, outcome.dead, true);
			pgmqc_claim_result_restore(&outcome);
		}
		if (pgmqc_claim_round_ends(&rounds, &outcome, queue->queue_id,
								   queue->notify))
			break;
		if ((budget = pgmqc_claim_head_budget(&rounds)) > 0)
			pgmqc_claim_head_dealt(&rounds, pgmqc_queue_process_head(queue, budget));
	}
	*head_left = rounds.skipping;
	/* the lease end matters to sleepers and to notifications */
	if (n > 0)
		pgmqc_claim_wakeups(queue->queue_id, n, vt, queue->notify);
	return n;
}

/*
 * Pop under a retry policy: claim as read() does, so that dead messages are
 * moved and expired leases wait for their backoff, then delete what was
 * claimed.  The claimed rows stay the current SPI result.
 */
static int
pop_with_retries(PgmqcQueue *queue, int32 qty)
{
	Interval	lease;
	PgmqcClaimOutcome claimed;
	int64	   *ids;
	Datum		args[2];
	char		nulls[2] = {' ', 'n'};
	bool		head_left;
	int			n;
	int			i;

	memset(&lease, 0, sizeof(lease));
	lease.time = USECS_PER_SEC;
	n = claim_once(queue, qty, &lease, true, &head_left);
	if (n == 0)
		return 0;
	pgmqc_claim_outcome(n, &claimed);
	ids = palloc(n * sizeof(int64));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = pgmqc_column_int64(i, MESSAGE_COL_MSG_ID, &isnull);
	}
	args[0] = pgmqc_id_array(ids, n);
	args[1] = (Datum) 0;
	pgmqc_queue_release_result(queue,
							   pgmqc_queue_run(queue, STMT_DELETE_MANY, args, nulls, 0),
							   ID_COL_ORDERING_KEY, true);
	pgmqc_claim_result_restore(&claimed);
	return n;
}

int
pgmqc_queue_claim(const char *name, int32 qty, Interval *vt_arg,
				  bool waiting, TimestampTz deadline, bool commit_between)
{
	bool		first = true;

	for (;;)
	{
		PgmqcQueue *queue;
		Interval   *vt;
		uint64		seen;
		TimestampTz until;
		TimestampTz look_start;
		bool		complete;
		bool		head_left;
		int			n;
		int			guard;

		/* after a sleep, the queue may have been dropped meanwhile */
		queue = pgmqc_open_locked(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
		vt = vt_arg ? vt_arg : &queue->default_vt;
		seen = pgmqc_generation(queue->queue_id);
		look_start = GetCurrentTimestamp();

		/*
		 * A wait that starts where this backend's last wait found nothing,
		 * with nothing come since, sleeps at once: idle consumers that call
		 * again and again do not look into the tables each time.
		 */
		if (first && waiting &&
			pgmqc_quiet_look_holds(&queue->cache.quiet, queue->queue_id,
								   seen, deadline))
		{
			first = false;
			if (!pgmqc_claim_sleep(queue->queue_id, seen, deadline, deadline,
								   commit_between, true))
				return 0;
			continue;
		}
		first = false;

		guard = pgmqc_plan_guard_begin();
		n = claim_once(queue, qty, vt, false, &head_left);
		pgmqc_wake_taken();
		pgmqc_plan_guard_end(guard);
		if (n > 0)
			queue->cache.quiet.valid = false;
		if (n > 0 || !waiting || GetCurrentTimestamp() >= deadline)
			return n;
		SPI_freetuptable(SPI_tuptable);

		/*
		 * From the look's start: a lease that ended during the claim is due,
		 * not forgotten.  A look that left leases or expired ones unseen
		 * (past the statement's limit, or a head left for the next claim) is
		 * not remembered.
		 */
		until = pgmqc_next_due(queue,
							   pgmqc_effective_watermark(&queue->cache.watermark),
							   look_start, &complete);
		if (complete && !head_left)
			pgmqc_quiet_look_record(&queue->cache.quiet, queue->queue_id, seen,
									until, true);
		else
			queue->cache.quiet.valid = false;
		if (until > deadline)
			until = deadline;
		if (!pgmqc_claim_sleep(queue->queue_id, seen, until, deadline,
							   commit_between, true))
			return 0;
	}
}

/*
 * Delete up to qty visible messages and return them; returns how many
 * (rows in SPI_tuptable).
 */
int
pgmqc_queue_pop(PgmqcQueue *queue, int32 qty)
{
	Datum		values[2];
	int			n;
	int			guard;
	PgmqcMovedDue moved;
	PgmqcClaimTerms terms;

	if (pgmqc_retry_active(&queue->retry))
	{
		/* ordered: it runs STMT_DELETE_MANY (common/receipts.c) */
		guard = pgmqc_plan_guard_ordered_begin();
		n = pop_with_retries(queue, qty);
		pgmqc_plan_guard_end(guard);
		return n;
	}
	guard = pgmqc_plan_guard_begin();
	values[0] = Int32GetDatum(qty);
	values[1] = Int64GetDatum(pgmqc_queue_advance_watermark(queue));
	pgmqc_queue_mature_due(queue, qty, DatumGetInt64(values[1]), &moved);
	terms = claim_terms(queue, true, &moved);
	n = PGMQC_DIRECT_CLAIM_UNABLE;
	if (queue->retry.catalog_has_retries)
		n = pgmqc_direct_claim(queue->cache.relid, qty, NULL,
							   DatumGetInt64(values[1]), NULL, false, &terms);
	if (n == PGMQC_DIRECT_CLAIM_UNABLE)
		n = pgmqc_queue_run(queue,
							pop_key_gate(queue, true) ? STMT_POP_KEYS : STMT_POP,
							values, NULL, 0);
	pgmqc_plan_guard_end(guard);
	if (n > 0)
		pgmqc_wake_on_abort(queue->queue_id, n);
	pgmqc_queue_release_result(queue, n, MESSAGE_COL_ORDERING_KEY, true);
	return n;
}
