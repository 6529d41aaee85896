/*-------------------------------------------------------------------------
 *
 * group_claims.c
 *		Claiming a consumer group's messages, and waiting for them: the
 *		engine of read_group() and receive_group().
 *
 * A reader claims the rows of the group's table g_<group id> that are due,
 * with FOR UPDATE SKIP LOCKED exactly as it claims a queue's messages; when
 * that is not enough it fills the group (group_fill.c), and while there is
 * nothing and its deadline has not passed it sleeps until a commit, a due
 * time or the deadline wakes it.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_claims.c
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
#include "common/object_cache.h"
#include "common/security.h"
#include "topic/topic.h"
#include "common/statements.h"

/* longest wait for the worker's fill, in milliseconds */
#define FILL_WAIT_MS			1000
/* ... and for another reader's */
#define FILL_BUSY_WAIT_MS		20

/*
 * The group's claim without a statement (common/direct_claim.c), under its
 * retry policy when retry is given, the bodies read from the log's
 * partitions (log_bodies.c); PGMQC_DIRECT_CLAIM_UNABLE when the group's
 * table or the topic's log is not as pgmq_c made it.
 */
static int
direct_claim_group(PgmqcQueue *topic, PgmqcGroup *group, int32 qty,
				   Interval *vt, int64 start, const PgmqcRetryPolicy *retry,
				   bool skipping)
{
	PgmqcLogBodies bodies;
	int			n;

	if (!group->retry.catalog_has_retries || topic->partition_size <= 0)
		return PGMQC_DIRECT_CLAIM_UNABLE;
	pgmqc_log_bodies_begin(&bodies, topic);
	n = pgmqc_direct_group_claim(group->cache.relid, qty, vt, start, retry,
								 skipping, pgmqc_log_body, &bodies);
	pgmqc_log_bodies_end(&bodies);
	return n;
}

/*
 * Claim up to qty of the messages already in the group's table, from msg_id
 * floor on (from past a leased head, for a while, when one was found:
 * common/claiming.c);
 * under a retry policy, move the dead messages the claim came across (and look
 * again when they, or messages now waiting for their backoff, took the
 * places of all the others).
 */
static int
claim_group(PgmqcQueue *topic, PgmqcGroup *group, int32 qty, Interval *vt,
			int64 floor)
{
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	PgmqcClaimOutcome outcome;
	PgmqcClaimRounds rounds = {0, false};
	int			n;

	for (;;)
	{
		int			budget;
		bool		skipping_head;
		int64		start;

		/* past a leased head, as a queue's claim (common/claiming.c) */
		start = pgmqc_claim_skip_start(&group->cache, topic->queue_id,
									   Max(pgmqc_group_watermark(group), floor),
									   &skipping_head);
		args[0] = Int32GetDatum(qty);
		args[1] = IntervalPGetDatum(vt);
		args[2] = Int64GetDatum(start);
		if (!pgmqc_retry_active(&group->retry))
		{
			/*
			 * No retry policy: every candidate is leased, without a statement
			 * when the group's table is as pgmq_c made it
			 * (common/direct_claim.c), the bodies read from the log's
			 * partitions (log_bodies.c).
			 */
			n = direct_claim_group(topic, group, qty, vt, start, NULL, false);
			if (n == PGMQC_DIRECT_CLAIM_UNABLE)
				n = pgmqc_group_run(group, group->retry.catalog_has_retries ?
									STMT_GROUP_CLAIM_PLAIN : STMT_GROUP_CLAIM_0_5,
									args, NULL, 0);
			if (n == 0 && skipping_head)
			{
				pgmqc_claim_skip_end(&group->cache, topic->queue_id, start);
				continue;
			}
			pgmqc_claim_skip_remember(&group->cache, topic->queue_id, start, n,
									  skipping_head);
			break;
		}
		/* the same under the policy, each row with its outcome */
		n = direct_claim_group(topic, group, qty, vt, start, &group->retry,
							   rounds.skipping);
		if (n == PGMQC_DIRECT_CLAIM_UNABLE)
		{
			pgmqc_retry_args(&group->retry, args + 3, nulls + 3);
			args[6] = BoolGetDatum(rounds.skipping);
			n = pgmqc_group_run(group, STMT_GROUP_CLAIM, args, nulls, 0);
		}
		pgmqc_claim_outcome(n, &outcome);
		n = outcome.claimed;
		if (n == 0 && outcome.dead + outcome.backed_off == 0 && skipping_head)
		{
			/* nothing past the leased head: look from the watermark */
			pgmqc_claim_skip_end(&group->cache, topic->queue_id, start);
			continue;
		}
		pgmqc_claim_skip_remember(&group->cache, topic->queue_id, start, n,
								  skipping_head);
		if (outcome.dead > 0)
		{
			pgmqc_group_move_dead(topic, group, outcome.dead_ids, outcome.dead);
			pgmqc_claim_result_restore(&outcome);
		}
		if (pgmqc_claim_round_ends(&rounds, &outcome, topic->queue_id, false))
			break;
		/* as a queue's claim does (queue/claim.c) */
		if ((budget = pgmqc_claim_head_budget(&rounds)) > 0)
			pgmqc_claim_head_dealt(&rounds, pgmqc_group_process_head(topic, group, budget));
	}
	/* the lease end matters to sleepers */
	if (n > 0)
		pgmqc_claim_wakeups(topic->queue_id, PGMQC_WAKE_ALL, vt, false);
	return n;
}

/* The highest msg_id of the n claimed rows in SPI_tuptable (0: none). */
static int64
last_claimed(int n)
{
	int64		last = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		bool		isnull;
		int64		msg_id = pgmqc_column_int64(i, MESSAGE_COL_MSG_ID, &isnull);

		if (!isnull && msg_id > last)
			last = msg_id;
	}
	return last;
}

/*
 * Having claimed messages up to msg_id last (0: none), ask the worker for
 * the next fill once the claims reach a quarter of the way into the last
 * one (group_fill.c), so that it comes before the group runs dry.  A reader
 * inside a transaction block leaves filling to the worker and would
 * otherwise wait for it; an autocommit reader would fill itself, with the
 * group's other readers waiting for its commit.
 */
static void
refill_ahead(PgmqcQueue *topic, PgmqcGroup *group, int64 last)
{
	if (pgmqc_shared == NULL || last == 0)
		return;
	pgmqc_refill_if_due(topic->queue_id, group->group_id, last);
}

/*
 * Put the rows of two tuple tables of the claim statement into one, as
 * SPI_tuptable with SPI_processed rows.
 */
static void
merge_tables(SPITupleTable **tables, int *counts)
{
	SPITupleTable *merged;
	int			i;

	if (counts[1] == 0)
	{
		SPI_tuptable = tables[0];
		SPI_processed = counts[0];
		return;
	}
	if (counts[0] == 0)
	{
		SPI_tuptable = tables[1];
		SPI_processed = counts[1];
		return;
	}
	merged = palloc(sizeof(SPITupleTable));
	memcpy(merged, tables[0], sizeof(SPITupleTable));
	merged->vals = palloc((counts[0] + counts[1]) * sizeof(HeapTuple));
	for (i = 0; i < counts[0]; i++)
		merged->vals[i] = tables[0]->vals[i];
	for (i = 0; i < counts[1]; i++)
		merged->vals[counts[0] + i] = tables[1]->vals[i];
	merged->numvals = counts[0] + counts[1];
	SPI_tuptable = merged;
	SPI_processed = counts[0] + counts[1];
}

/*
 * Claim up to qty of the group's messages from msg_id floor on: the rows of
 * the group's table first, then leases straight from the group's blocks
 * (group_blocks.c).  Leaves the rows in SPI_tuptable and returns how many;
 * *last the highest msg_id claimed (0: none).
 *
 * A claim of rows that finds none walks the index entries of the leases of
 * the group's other readers and of the rows acknowledged since the last
 * vacuum: for batch readers that live on blocks, a sixth of what a read
 * cost (session 57's profile).  So once a claim inside a transaction block
 * found no row ready and the blocks gave messages, this backend takes
 * blocks first for up to
 * pgmq_c.leased_head_skip, as its claims start past a leased head for as
 * long (common/claiming.c): a row that becomes ready meanwhile (a lease
 * that ended, a delayed or keyed message) waits at most that long while
 * there are blocks, and is claimed at once when they run short.  (Autocommit
 * readers, which fill the group themselves when it runs dry, came back
 * empty more often that way, one read in 17, and gained nothing.)
 */
static int
claim_rows_and_blocks(PgmqcQueue *topic, PgmqcGroup *group, int32 qty,
					  Interval *vt, int64 floor, int64 *last)
{
	SPITupleTable *tables[2] = {NULL, NULL};
	int			counts[2] = {0, 0};
	int64		block_last = 0;
	TimestampTz now = 0;
	bool		blocks_first = false;

	*last = 0;
	if (group->blocks_first_until != 0)
	{
		now = GetCurrentTimestamp();
		blocks_first = now < group->blocks_first_until;
		if (!blocks_first)
			group->blocks_first_until = 0;
	}
	if (!blocks_first)
	{
		counts[0] = claim_group(topic, group, qty, vt, floor);
		*last = last_claimed(counts[0]);
		if (counts[0] >= qty)
			return counts[0];
		tables[0] = SPI_tuptable;
	}
	counts[1] = pgmqc_group_take_blocks(topic, group, qty - counts[0], vt,
										&block_last);
	tables[1] = SPI_tuptable;
	if (blocks_first && counts[1] < qty)
	{
		/* the blocks ran short: the rows too (the table above is ours) */
		group->blocks_first_until = 0;
		counts[0] = claim_group(topic, group, qty - counts[1], vt, floor);
		*last = last_claimed(counts[0]);
		tables[0] = SPI_tuptable;
	}
	else if (!blocks_first && counts[0] == 0 && counts[1] > 0 &&
			 pgmqc_leased_head_skip_ms > 0 && IsTransactionBlock())
		group->blocks_first_until =
			TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										pgmqc_leased_head_skip_ms);
	merge_tables(tables, counts);
	*last = Max(*last, block_last);
	return counts[0] + counts[1];
}

/*
 * Claim up to qty of the group's messages: those already in the group's
 * table and its blocks first, then, if that is not enough, more after a fill; and while
 * there are none and the deadline has not passed, sleep until there may
 * be.  vt NULL: the group's visibility timeout.  Leaves the claimed rows
 * (message rows) in SPI_tuptable and returns how many.  With
 * commit_between (a non-atomic CALL) the transaction is committed before
 * each sleep.  The topic and group are opened (and the caller's privilege
 * checked) again after each sleep.  A wait that starts where this
 * backend's last wait on the group found nothing, with nothing come since,
 * sleeps without looking, as a queue's does (queue/claim.c).  Inside SPI.
 */
int
pgmqc_group_claim_or_wait(const char *topic_name, const char *group_name,
						  int32 qty, Interval *vt_arg, bool waiting,
						  TimestampTz deadline, bool commit_between)
{
	SPITupleTable *tables[2];
	int			counts[2];
	bool		first = true;

	for (;;)
	{
		PgmqcQueue *topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_CONSUME);
		PgmqcGroup *group = pgmqc_group_lookup(topic, group_name, false);
		Interval   *vt;
		uint64		seen;
		TimestampTz until;
		TimestampTz look_start;
		int			n;
		int64		last;
		int			filled = 0;
		Datum		args[2];
		bool		isnull;
		int			guard;

		/* after a sleep, the group or topic may have been dropped meanwhile */
		(void) pgmqc_check_group_not_dropped(topic, group, false);
		vt = vt_arg ? vt_arg : &group->default_vt;
		seen = pgmqc_generation(topic->queue_id);
		look_start = GetCurrentTimestamp();
		if (first && waiting &&
			pgmqc_quiet_look_holds(&group->cache.quiet, topic->queue_id,
								   seen, deadline))
		{
			first = false;
			if (!pgmqc_claim_sleep(topic->queue_id, seen, deadline, deadline,
								   commit_between, false))
				return 0;
			continue;
		}
		first = false;
		guard = pgmqc_plan_guard_begin();
		pgmqc_group_note_batch(topic->queue_id, qty);

		tables[0] = tables[1] = NULL;
		counts[0] = counts[1] = 0;

		/* last read now: the fill below runs statements of its own */
		n = claim_rows_and_blocks(topic, group, qty, vt, 0, &last);
		pgmqc_wake_taken();
		refill_ahead(topic, group, last);
		tables[0] = SPI_tuptable;
		counts[0] = n;
		if (n < qty)
		{
			uint64		before_fill = pgmqc_generation(topic->queue_id);
			int64		added;
			int64		block_last;
			bool		blocked = !pgmqc_group_takes_blocks(qty) &&
			pgmqc_group_has_blocks(group);

			/*
			 * A reader that takes no blocks (group_blocks.c) asks the worker
			 * to turn them into rows, when the group has some; with no worker
			 * to ask, it takes from them itself (as an autocommit reader, the
			 * rest of a block held until it ends), else they would wait for a
			 * reader of another kind.
			 */
			if (blocked && pgmqc_group_ask_unblock(topic->queue_id, group->group_id))
				filled = PGMQC_FILL_ASKED;
			else if (blocked &&
					 (filled = pgmqc_group_take_blocks_without_worker(topic, group,
																	  qty - n, vt,
																	  &block_last)) > 0)
				;				/* leased, in SPI_tuptable as a fill's */
			else
				filled = pgmqc_group_fill(topic, group, qty - n, vt, false, &added);
			if (filled == PGMQC_FILL_ASKED)
			{
				/*
				 * The worker's commit wakes us; then claim what it added:
				 * past what the first claim took, whose leases may have ended
				 * meanwhile (a lease shorter than the wait), so that no
				 * message is claimed twice in one call.
				 */
				int64		floor = last > 0 ? last + 1 : 0;
				int64		last_after;

				pgmqc_sleep(topic->queue_id, before_fill,
							TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														FILL_WAIT_MS), false);
				counts[1] = claim_rows_and_blocks(topic, group, qty - n, vt,
												  floor, &last_after);
				pgmqc_wake_taken();
				refill_ahead(topic, group, last_after);
				tables[1] = SPI_tuptable;
				n += counts[1];
			}
			else if (filled > 0)
			{
				/* leased by the fill itself */
				counts[1] = filled;
				tables[1] = SPI_tuptable;
				n += filled;
			}
			else if (filled == PGMQC_FILL_BUSY && n == 0 && pgmqc_shared != NULL)
			{
				int64		last_after;

				/*
				 * Another reader is filling the group: its commit, which
				 * comes soon, leaves messages for us too.
				 */
				pgmqc_sleep(topic->queue_id, before_fill,
							TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														FILL_BUSY_WAIT_MS), false);
				counts[1] = claim_rows_and_blocks(topic, group, qty, vt, 0,
												  &last_after);
				pgmqc_wake_taken();
				tables[1] = SPI_tuptable;
				n += counts[1];
			}
		}
		if (n > 0)
			group->cache.quiet.valid = false;
		if (n > 0 || !waiting || GetCurrentTimestamp() >= deadline)
		{
			pgmqc_plan_guard_end(guard);
			merge_tables(tables, counts);
			return n;
		}
		if (filled == PGMQC_FILL_MORE)
		{
			/*
			 * The fill stopped at its limit with more to examine: fill on at
			 * once (after committing what it did, when we may).
			 */
			pgmqc_plan_guard_end(guard);
			if (commit_between)
				pgmqc_spi_commit();
			CHECK_FOR_INTERRUPTS();
			continue;
		}

		/*
		 * Sleep until a commit, a due time or the deadline.  Due times from
		 * the look's start: a lease that ended during the look is due, not
		 * forgotten.  The look is remembered for the next wait when it saw
		 * all there was: the fill neither left it to the worker or another
		 * reader nor stopped short, and the due times of every lease.
		 */
		args[0] = Int64GetDatum(pgmqc_group_watermark(group));
		args[1] = TimestampTzGetDatum(look_start);
		until = PG_INT64_MAX;
		if (pgmqc_group_run(group, STMT_GROUP_NEXT_DUE, args, NULL, 1) == 1)
		{
			Datum		due = pgmqc_column(0, VALUE_COL, &isnull);

			if (!isnull)
				until = DatumGetTimestampTz(due);
			if (filled == 0 &&
				pgmqc_column_int64(0, NEXT_DUE_COL_LEASES, &isnull) < PGMQC_NEXT_DUE_LEASES)
				pgmqc_quiet_look_record(&group->cache.quiet, topic->queue_id,
										seen, until, false);
			else
				group->cache.quiet.valid = false;
		}
		pgmqc_plan_guard_end(guard);
		if (until > deadline)
			until = deadline;
		if (!pgmqc_claim_sleep(topic->queue_id, seen, until, deadline,
							   commit_between, false))
			return 0;
	}
}
