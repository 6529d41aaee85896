/*-------------------------------------------------------------------------
 *
 * claiming.c
 *		What the claims of queues (queue/claim.c) and of consumer groups
 *		(topic/group_claims.c) arrange around themselves: the wake-ups a
 *		claim implies, and the sleep between two attempts.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/claiming.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/claiming.h"
#include "common/intervals.h"
#include "common/security.h"

/*
 * After a claim that leased messages of wake-up slot queue_id for vt:
 * rolled back, the claim makes them available again, so abort_wakeups
 * sleepers are woken then; and the lease end is published as a due time
 * when it matters (notify: to notifications; always: to sleepers).
 */
void
pgmqc_claim_wakeups(int32 queue_id, int abort_wakeups, bool notify,
					Interval *vt)
{
	if (pgmqc_shared == NULL)
		return;
	pgmqc_wake_on_abort(queue_id, abort_wakeups);
	if (notify || pg_atomic_read_u32(&pgmqc_slot(queue_id)->waiters) > 0)
		pgmqc_publish_due(queue_id, pgmqc_now_plus(vt));
}

/*
 * Sleep on wake-up slot queue_id until a wake-up after generation seen, or
 * until "until", when a claim found nothing.  Due times need the worker,
 * which is started if it is not running.  With commit_between (a
 * non-atomic CALL) the transaction is committed first: the new one has no
 * snapshot, so the sleeper holds back nothing.
 *
 * Returns false when the caller's wait is over with nothing new to look at
 * ("until" was its deadline and no wake-up came: pgmqc_sleep); the caller
 * then ends its wait without another claim, and the SPI result is left
 * empty, as that claim's would be.  Returns true when the caller should
 * claim again.
 */
bool
pgmqc_claim_sleep(int32 queue_id, uint64 seen, TimestampTz until,
				  TimestampTz deadline, bool commit_between)
{
	bool		look;

	(void) pgmqc_my_worker(true);
	if (commit_between)
		pgmqc_spi_commit();
	look = pgmqc_sleep(queue_id, seen, until);
	CHECK_FOR_INTERRUPTS();
	if (look || until < deadline)
		return true;
	SPI_processed = 0;
	SPI_tuptable = NULL;
	return false;
}
