/*-------------------------------------------------------------------------
 *
 * claiming.c
 *		What the claims of queues (queue/claim.c) and of consumer groups
 *		(topic/group_claims.c) arrange around themselves: the wake-ups a
 *		claim implies, the sleep between two attempts, the quiet look
 *		that lets a wait skip its first look, and where a claim
 *		starts past a leased head.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/claiming.c
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
#include "common/intervals.h"
#include "common/security.h"
#include "common/statements.h"

/*
 * After a claim that leased messages of wake-up slot queue_id for vt:
 * rolled back, the claim makes them available again, so abort_wakeups
 * sleepers are woken then (and at a commit after the lease has ended, when
 * they were locked at its end); and the lease end is published as a due
 * time, to sleepers and notifications.
 *
 * The lease end is published even when nobody sleeps on the slot now: a
 * reader whose look skipped the rows this claim holds locked cannot see
 * their new lease end (its next-due statement sees them as they were), and
 * may go to sleep after this check.  Only the published due time wakes it
 * when the lease ends unacknowledged.  Publishing costs an atomic read when
 * an earlier due time is already published, and a worker wake-up per lease
 * period otherwise.
 */
void
pgmqc_claim_wakeups(int32 queue_id, int abort_wakeups, Interval *vt,
					bool notify)
{
	TimestampTz lease_end;

	if (pgmqc_shared == NULL)
		return;
	lease_end = pgmqc_now_plus(vt);

	/*
	 * A read with a lease of 0 (a peek) leaves the messages visible: its
	 * commit wakes the readers that passed over the rows it held, and is no
	 * news to announce; nor is there a lease end for the worker to look at.
	 */
	if (pgmqc_interval_is_zero(vt))
	{
		pgmqc_wake_on_commit(queue_id, abort_wakeups, false);
		pgmqc_wake_on_abort(queue_id, abort_wakeups);
		return;
	}
	pgmqc_wake_on_abort_or_late_commit(queue_id, abort_wakeups, lease_end,
									   notify);
	pgmqc_publish_due(queue_id, lease_end);
}

/*
 * Sleep on wake-up slot queue_id until a wake-up after generation seen, or
 * until "until", when a claim found nothing.  Due times need the worker,
 * which is started if it is not running.  With commit_between (a
 * non-atomic CALL) the transaction is committed first: the new one has no
 * snapshot, so the sleeper holds back nothing.  probed: a queue's reader,
 * for which the worker may look into the tables at the end of the slice
 * (pgmqc_sleep).
 *
 * Returns false when the caller's wait is over with nothing new to look at
 * ("until" was its deadline and no wake-up came: pgmqc_sleep); the caller
 * then ends its wait without another claim, and the SPI result is left
 * empty, as that claim's would be.  Returns true when the caller should
 * claim again.
 */
bool
pgmqc_claim_sleep(int32 queue_id, uint64 seen, TimestampTz until,
				  TimestampTz deadline, bool commit_between, bool probed)
{
	bool		look;

	(void) pgmqc_my_worker(true);
	if (commit_between)
		pgmqc_spi_commit();
	look = pgmqc_sleep(queue_id, seen, until, probed);
	CHECK_FOR_INTERRUPTS();
	if (look || until < deadline)
		return true;
	SPI_processed = 0;
	SPI_tuptable = NULL;
	return false;
}

/*
 * A waiting reader's look found nothing to claim on queue_id's slot, whose
 * generation it read as "seen" before the look, and the next due time of
 * what it looked at is next_due.  Remember it for the next wait
 * (pgmqc_quiet_look_holds) until next_due or the end of a wait slice,
 * whichever comes first: the slice bounds how late rows written into the
 * tables directly are found, as it does for a sleep.  With probed (a
 * queue's reader), past the slice too while the worker looks into the
 * queue's tables for its sleepers (pgmqc_slot_probed): a look of the
 * worker's that finds something wakes the slot, which ends the quiet look.
 * A look under a transaction snapshot may not have seen everything
 * committed before "seen" was read, so it is not remembered.
 */
void
pgmqc_quiet_look_record(PgmqcQuietLook *look, int32 queue_id, uint64 seen,
						TimestampTz next_due, bool probed)
{
	look->valid = !IsolationUsesXactSnapshot() && pgmqc_shared != NULL;
	look->queue_id = queue_id;
	look->generation = seen;
	look->local_wakes = pgmqc_local_wakes();
	look->next_due = next_due;
	look->slice_end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  pgmqc_wait_slice_ms);
	look->probed = probed;
}

/*
 * May a new wait on queue_id's slot, which has generation "seen" now and
 * ends at deadline, sleep at once without looking, because the last look
 * found nothing and nothing can have come since?  That needs: no wake-up of
 * the slot since that look (a commit that makes a message visible wakes it,
 * and so does the worker at a due time), no wake-up registered by this
 * backend since (its own transaction's messages are visible to it before
 * any commit), the look's next due time and slice end not before the
 * deadline (a wait that would have to look before its end looks at once:
 * a look at the start of a call costs less than a wake-up in its middle),
 * and no reason to look early (pgmqc_slot_quiet).
 */
bool
pgmqc_quiet_look_holds(PgmqcQuietLook *look, int32 queue_id, uint64 seen,
					   TimestampTz deadline)
{
	return look->valid && look->queue_id == queue_id &&
		look->generation == seen &&
		look->local_wakes == pgmqc_local_wakes() &&
		!IsolationUsesXactSnapshot() &&
		look->next_due >= deadline &&
		(look->slice_end >= deadline ||
		 (look->probed && pgmqc_slot_probed(queue_id))) &&
		pgmqc_slot_quiet(queue_id, seen);
}

/*
 * Leased messages at the head of a queue or group (the heads of busy
 * ordering keys, slow consumers' messages, the messages that many
 * consumers hold at once) are walked by every claim from the watermark.
 * When a claim found its first message more than CLAIM_SKIP_GAP msg_ids
 * past where it started, this backend's claims start past the head for the
 * next pgmq_c.leased_head_skip (1 s): at that message, or at the table's
 * claim front (the highest msg_id any backend claimed from it:
 * shared_watermarks.c) when that is further on, so that each of many consumers does not walk the
 * leases the others took since its last claim.  A claim that finds nothing
 * from there looks from the watermark again (pgmqc_claim_skip_end).
 * Messages behind the start (leases that expire, claims rolled back, late
 * commits) wait at most that long while messages after them are read.
 */
#define CLAIM_SKIP_GAP		64

/*
 * Where a claim of the table of cache entry "entry" (of wake-up slot
 * queue_id) starts: the watermark, or past the leased head.
 */
int64
pgmqc_claim_skip_start(PgmqcCacheEntry *entry, int32 queue_id,
					   int64 watermark, bool *skipping)
{
	PgmqcClaimSkip *skip = &entry->skip;

	*skipping = skip->from > watermark && pgmqc_leased_head_skip_ms > 0 &&
		GetCurrentTimestamp() < skip->until;
	if (!*skipping)
		return watermark;
	return Max(skip->from, pgmqc_shared_claim_front(queue_id, entry->relid));
}

/*
 * After a claim from start found n messages (rows of SPI_tuptable);
 * skipping: start was past the leased head.  Raises the claim front to the
 * last message claimed.  A claim that skipped moves the start on when it
 * walked leases again, but not the end of the skip: leases that expire
 * behind it still wait at most pgmq_c.leased_head_skip.
 */
void
pgmqc_claim_skip_remember(PgmqcCacheEntry *entry, int32 queue_id,
						  int64 start, int n, bool skipping)
{
	PgmqcClaimSkip *skip = &entry->skip;
	int64		first = PG_INT64_MAX;
	int64		last = 0;
	int			i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		int64		id = pgmqc_column_int64(i, MESSAGE_COL_MSG_ID, &isnull);

		first = Min(first, id);
		last = Max(last, id);
	}
	pgmqc_shared_claim_front_raise(queue_id, entry->relid, last);
	if (first - start > CLAIM_SKIP_GAP && pgmqc_leased_head_skip_ms > 0)
	{
		skip->from = first;
		if (!skipping)
			skip->until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													  pgmqc_leased_head_skip_ms);
	}
}

/*
 * A claim from start, past the leased head, found nothing from there: the
 * next claim looks from the watermark, and the table's claim front is
 * forgotten unless a claim moved it beyond start meanwhile (start
 * PG_INT64_MAX: forgotten in any case, as after a seek).
 */
void
pgmqc_claim_skip_end(PgmqcCacheEntry *entry, int32 queue_id, int64 start)
{
	entry->skip.from = 0;
	pgmqc_shared_claim_front_forget(queue_id, entry->relid, start);
}
