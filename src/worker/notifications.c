/*-------------------------------------------------------------------------
 *
 * notifications.c
 *		The NOTIFY state machine of a database worker.
 *
 * For queues with enable_notify(), the database's worker sends
 * NOTIFY pgmq_c, '<queue>' when sends or nacks commit (the committing
 * backend sets the queue's bit in PgmqcDbWorker.notify_bits: wakeups.c) and
 * when delayed messages or expired leases make messages visible, at most
 * once per queue per throttle interval (at least NOTIFY_MIN_GAP_US).  Producers never NOTIFY themselves,
 * so they never take the cluster-wide lock that NOTIFY takes at commit.
 *
 * Per queue the worker keeps (NotifyQueue): whether something became
 * visible and is still to be announced (pending), the next time something
 * becomes visible by itself (due), and when it last sent.  A due time that
 * passed, or a wake-up of the queue's slot at a due time, is no news by
 * itself: the worker then checks that a committed message is visible
 * (check) and computes the next due time (recheck).  Those checks are
 * statements, run in the notification step (pgmqc_notify_step), each
 * queue's in a subtransaction of its own: a queue whose tables are missing
 * or damaged fails alone, is reported at most once a minute (failures.c)
 * and is looked at again after the next reload of the settings.  A step
 * that fails as a whole is not tried again for NOTIFY_RETRY_MS.
 *
 * The settings (pgmq_c.queues.notify_throttle) are reloaded when a backend
 * changes them (PgmqcDbWorker.config_changed) and periodically
 * (database_worker.c); a reload keeps what the worker knew of each queue,
 * and looks at RECHECKS_PER_RELOAD of them again in turn.  A step looks
 * into PGMQC_WORKER_BATCH queues per transaction.  All of this is the
 * worker's own memory: nothing here is shared.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/worker/notifications.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/attnum.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common/guarded.h"
#include "pgmq_c.h"
#include "worker/worker.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "shared_memory/shared_memory.h"

/* after a notification step failed as a whole, no new one for this long */
#define NOTIFY_RETRY_MS		1000

/*
 * The shortest throttle window: with throttle 0, the commits of the same
 * 5 ms share one notification, so that the worker's NOTIFY transactions
 * follow the clock, not the producers' commit rate (at thousands of
 * commits a second they took the CPU the producers needed: with a 1-ms
 * window the worker still woke 1,100 times a second).  The first
 * notification after a quiet window goes at once.
 */
#define NOTIFY_MIN_GAP_US	5000

/* A queue with notifications on, as the worker sees it. */
typedef struct NotifyQueue
{
	int32		queue_id;
	char		name[PGMQC_MAX_NAME_LEN + 1];
	char		channel[NAMEDATALEN];	/* "pgmq_c", or the queue's own */
	int64		throttle_us;
	TimestampTz last_sent;
	TimestampTz due;			/* next time something becomes visible */
	bool		pending;		/* something became visible */
	bool		check;			/* a due time passed: is anything visible? */
	bool		recheck;		/* recompute due */
	bool		failed;			/* its checks failed: retried after a reload */
	TimestampTz checked_at;		/* lease ends up to then are no news */
	TimestampTz delayed_checked_at; /* ... delayed messages due up to then */
	bool		sent_in_step;	/* notified by the step now running; if its
								 * transaction fails, pending again with: */
	TimestampTz saved_last_sent;
	TimestampTz saved_checked_at;
	TimestampTz saved_delayed_checked_at;
} NotifyQueue;

/* the queues with notifications on, in TopMemoryContext */
static NotifyQueue *notify_queues = NULL;
static int	n_notify_queues = 0;

/* whether this worker loaded the settings before */
static bool loaded_before = false;

/* queues looked at again at each reload of the settings, in turn */
#define RECHECKS_PER_RELOAD		20
static int	recheck_next = 0;

/* after a failed notification step, no new one before this time */
static TimestampTz notify_retry_at = 0;

/* An interval as microseconds, months counting 30 days. */
static int64
interval_usecs(Interval *iv)
{
	return iv->time + (int64) iv->day * USECS_PER_DAY +
		(int64) iv->month * DAYS_PER_MONTH * USECS_PER_DAY;
}

/*
 * The settings step: (re)load the notify settings, keeping the state of the
 * queues that stay.  In a transaction, with SPI, in the extension context.
 */
void
pgmqc_notify_load_settings(void *arg)
{
	Oid			queues;
	MemoryContext old;
	NotifyQueue *fresh;
	uint64		i;
	int			j;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz resume_from = now;
	TimestampTz resume_delayed_from = now;
	PgmqcDbWorker *entry = pgmqc_my_worker(false);

	/*
	 * The first load of this worker takes over from the last one of this
	 * database (0: there was none since the server started: every delayed
	 * message that came due is news, and every lease that ended since the
	 * start).
	 */
	if (!loaded_before && entry != NULL)
	{
		uint64		leases = pg_atomic_read_u64(&entry->leases_checked_through);
		uint64		delayed = pg_atomic_read_u64(&entry->delayed_checked_through);

		resume_from = Min(leases != 0 ? (TimestampTz) leases : PgStartTime, now);
		resume_delayed_from = delayed != 0 ? Min((TimestampTz) delayed, now) :
			DT_NOBEGIN;
	}

	queues = get_relname_relid("queues", get_namespace_oid("pgmq_c", false));
	if (!OidIsValid(queues) ||
		get_attnum(queues, "notify_throttle") == InvalidAttrNumber)
	{
		/* before version 0.2.0: no notifications */
		n_notify_queues = 0;
		return;
	}
	pgmqc_run_catalog(get_attnum(queues, "notify_channel") != InvalidAttrNumber ?
					  STMT_NOTIFY_QUEUES : STMT_NOTIFY_QUEUES_0_7, NULL, NULL, 0);
	loaded_before = true;
	old = MemoryContextSwitchTo(TopMemoryContext);
	fresh = palloc0((SPI_processed + 1) * sizeof(NotifyQueue));
	MemoryContextSwitchTo(old);
	j = 0;
	for (i = 0; i < SPI_processed; i++)
	{
		NotifyQueue *nq = &fresh[i];
		bool		isnull;
		char	   *name;

		nq->queue_id = DatumGetInt32(pgmqc_column(i, NOTIFY_COL_QUEUE_ID, &isnull));
		name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
							NOTIFY_COL_QUEUE_NAME);
		strlcpy(nq->name, name, sizeof(nq->name));
		name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
							NOTIFY_COL_CHANNEL);
		strlcpy(nq->channel, name ? name : "pgmq_c", sizeof(nq->channel));
		nq->throttle_us =
			Max(interval_usecs(DatumGetIntervalP(pgmqc_column(i, NOTIFY_COL_THROTTLE,
															  &isnull))),
				NOTIFY_MIN_GAP_US);
		nq->due = DT_NOEND;
		nq->recheck = true;

		/*
		 * A queue loaded for the first time is checked at once: a delayed
		 * message that came due while no worker ran is news that nobody
		 * announced, and no due time ahead would ever make us look
		 * (recheck_due counts only those).  What came due (or whose lease
		 * ended) is news from the time the last worker of this database had
		 * looked at; after the server started, every delayed message that
		 * came due, and every lease that ended since the start.
		 */
		nq->check = true;
		nq->checked_at = resume_from;
		nq->delayed_checked_at = resume_delayed_from;

		/*
		 * A reload keeps the throttle window, what is pending and the due
		 * time of the queues that stay (both lists are in queue_id order):
		 * with thousands of queues, computing every due time again at each
		 * periodic reload would keep the worker busy.  A queue whose checks
		 * failed is tried afresh.
		 */
		while (j < n_notify_queues && notify_queues[j].queue_id < nq->queue_id)
			j++;
		if (j < n_notify_queues && notify_queues[j].queue_id == nq->queue_id)
		{
			NotifyQueue *was = &notify_queues[j];

			nq->last_sent = was->last_sent;
			nq->pending = was->pending;
			nq->checked_at = was->checked_at;
			nq->delayed_checked_at = was->delayed_checked_at;
			if (!was->failed)
			{
				nq->due = was->due;
				nq->check = was->check;
				nq->recheck = was->recheck;
			}
		}
	}
	if (notify_queues != NULL)
		pfree(notify_queues);
	notify_queues = fresh;
	n_notify_queues = (int) SPI_processed;

	/*
	 * And a few of them, in turn, are looked at again anyway: a queue whose
	 * tables were damaged by hand is reported even while nothing happens to
	 * it, and a missed wake-up is made good.  With up to RECHECKS_PER_RELOAD
	 * queues, that is every queue at every reload.
	 */
	for (j = 0; j < Min(n_notify_queues, RECHECKS_PER_RELOAD); j++)
		notify_queues[(recheck_next + j) % n_notify_queues].recheck = true;
	if (n_notify_queues > 0)
		recheck_next = (recheck_next + RECHECKS_PER_RELOAD) % n_notify_queues;
}

/*
 * The queue named, with its gate locked as every call on it takes it first
 * (common/relation_locks.c): a drop or purge waiting for its tables never
 * waits for the worker in a circle.  NULL when it is gone, or when another
 * transaction holds its lock (*busy): the worker does not wait for it, at
 * the cost of lock_timeout for each such queue before every other queue's
 * notifications, but looks again a moment later.
 */
static PgmqcQueue *
open_notify_queue(NotifyQueue *nq, bool *busy)
{
	PgmqcQueue *queue = pgmqc_lookup(nq->name, true);

	*busy = false;
	if (queue == NULL)
		return NULL;
	switch (pgmqc_lock_if_free(queue, AccessShareLock))
	{
		case PGMQC_LOCK_TAKEN:
			return queue;
		case PGMQC_LOCK_BUSY:
			*busy = true;
			break;
		case PGMQC_LOCK_GONE:
			break;
	}
	return NULL;
}

/*
 * Recompute when something in a notify queue next becomes visible by
 * itself: only future times count, so a due message that nobody has read
 * yet is notified once, not again and again.
 */
static void
recheck_due(NotifyQueue *nq, PgmqcQueue *queue, TimestampTz now)
{
	Datum		args[2];
	bool		isnull;
	Datum		due;

	nq->due = DT_NOEND;
	if (queue == NULL)
	{
		nq->recheck = false;	/* dropped: the next reload forgets it */
		return;
	}
	args[0] = Int64GetDatum(0); /* from the first message on */
	args[1] = TimestampTzGetDatum(now);
	pgmqc_queue_run(queue, STMT_NEXT_DUE, args, NULL, 1);
	due = pgmqc_column(0, VALUE_COL, &isnull);
	if (!isnull)
		nq->due = DatumGetTimestampTz(due);
	nq->recheck = false;
}

/*
 * Did a committed message of the queue become visible by itself (a delayed
 * one came due, a lease ended) since the queue's last check?
 */
static bool
visible_now(NotifyQueue *nq, PgmqcQueue *queue, TimestampTz now)
{
	Datum		args[3];
	bool		visible;

	args[0] = TimestampTzGetDatum(now);
	args[1] = TimestampTzGetDatum(nq->checked_at);
	args[2] = TimestampTzGetDatum(nq->delayed_checked_at);
	visible = queue != NULL &&
		pgmqc_queue_run(queue, STMT_VISIBLE_NOW, args, NULL, 1) == 1;
	nq->checked_at = now;
	nq->delayed_checked_at = now;
	return visible;
}

/* what the notification step does for one queue, in a subtransaction */
typedef struct NotifyCheck
{
	NotifyQueue *nq;
	TimestampTz now;
} NotifyCheck;

static void
notify_check_queue(void *arg)
{
	NotifyCheck *c = (NotifyCheck *) arg;
	NotifyQueue *nq = c->nq;

	bool		busy;
	PgmqcQueue *queue = open_notify_queue(nq, &busy);
	int			guard;

	if (busy)
	{
		/* both checks again at the retry time, from the same checked_at */
		nq->check = false;
		nq->recheck = false;
		nq->due = TimestampTzPlusMilliseconds(c->now, NOTIFY_RETRY_MS);
		return;
	}
	/* planned for their index paths, whatever the tables' statistics */
	guard = pgmqc_plan_guard_begin();
	if (nq->check)
	{
		/* a due time is no news unless a committed message is visible */
		if (visible_now(nq, queue, c->now))
			nq->pending = true;
		nq->check = false;
	}
	if (nq->recheck)
		recheck_due(nq, queue, c->now);
	pgmqc_plan_guard_end(guard);
}

/*
 * Run one queue's checks in a subtransaction of the current transaction,
 * as a PL/pgSQL block with an exception handler does: on error, roll the
 * subtransaction back, report the error (failures.c) and return false.
 * Inside SPI.
 */
static bool
check_queue_guarded(NotifyCheck *c, const char *database)
{
	ErrorData  *edata = pgmqc_run_guarded(notify_check_queue, c);

	if (edata == NULL)
		return true;
	pgmqc_worker_report_failure(database, PGMQC_NOTIFY_STEP_NAME,
								c->nq->queue_id, c->nq->name, edata);
	FreeErrorData(edata);
	return false;
}

/*
 * Take the news of this pass: queues whose bit a commit set, and queues
 * whose due time passed or whose slot the worker woke (fired, indexed by
 * slot).  Lowers *next to the end of a throttle window that holds a
 * notification back, or to the retry time after a failed step.  Returns
 * whether the notification step must run now.
 */
bool
pgmqc_notify_begin_pass(PgmqcDbWorker *entry, const bool *fired,
						TimestampTz now, TimestampTz *next)
{
	uint64		bits = pg_atomic_exchange_u64(&entry->notify_bits, 0);
	bool		recheck_all = pg_atomic_exchange_u32(&entry->recheck_all, 0) != 0;
	bool		need_spi = false;
	int			i;

	for (i = 0; i < n_notify_queues; i++)
	{
		NotifyQueue *nq = &notify_queues[i];
		int			slotno = pgmqc_slot(nq->queue_id) - pgmqc_shared->slots;

		nq->sent_in_step = false;
		if (bits & PGMQC_NOTIFY_BIT(nq->queue_id))
			nq->pending = true;
		if (fired[slotno] || nq->due <= now || recheck_all)
		{
			nq->check = true;
			nq->recheck = true;
		}
		if (nq->pending &&
			!TimestampDifferenceExceeds(nq->last_sent, now, nq->throttle_us / 1000) &&
			nq->throttle_us > 0)
		{
			/* throttled: send when the window ends */
			*next = Min(*next, nq->last_sent + nq->throttle_us);
			continue;
		}
		if (nq->pending || nq->check || nq->recheck)
			need_spi = true;
	}
	if (need_spi && now < notify_retry_at)
	{
		/* the last try failed as a whole: not in a busy loop */
		need_spi = false;
		*next = Min(*next, notify_retry_at);
	}
	return need_spi;
}

/*
 * The notification step: check the queues that need it and send the
 * notifications that are due and not throttled.  In a transaction, with
 * SPI, in the extension context; arg is a PgmqcBatchStep.
 */
void
pgmqc_notify_step(void *arg)
{
	PgmqcBatchStep *step = (PgmqcBatchStep *) arg;
	TimestampTz now = step->now;
	int			checked = 0;
	int			i;

	step->more = false;
	/* (what an earlier step, committed, sent is not this one's) */
	for (i = 0; i < n_notify_queues; i++)
		notify_queues[i].sent_in_step = false;
	for (i = 0; i < n_notify_queues; i++)
	{
		NotifyQueue *nq = &notify_queues[i];

		CHECK_FOR_INTERRUPTS();
		if ((nq->check || nq->recheck) && checked >= PGMQC_WORKER_BATCH)
			step->more = true;	/* in the next transaction */
		else if (nq->check || nq->recheck)
		{
			NotifyCheck c;

			checked++;
			c.nq = nq;
			c.now = now;
			if (!check_queue_guarded(&c, step->database))
			{
				/* tried again at the next reload of the settings */
				nq->check = false;
				nq->recheck = false;
				nq->failed = true;
				nq->due = DT_NOEND;
			}
		}
		if (nq->pending &&
			(nq->throttle_us == 0 ||
			 TimestampDifferenceExceeds(nq->last_sent, now, nq->throttle_us / 1000)))
		{
			Async_Notify(nq->channel, nq->name);
			nq->sent_in_step = true;
			nq->saved_last_sent = nq->last_sent;
			nq->saved_checked_at = nq->checked_at;
			nq->saved_delayed_checked_at = nq->delayed_checked_at;
			nq->last_sent = now;
			nq->pending = false;

			/*
			 * What was visible by now is announced by this notification: a
			 * later look takes it as no news (a delayed message whose late
			 * commit announced it would otherwise be announced again when its
			 * due time, published at that commit, makes us look).
			 */
			nq->checked_at = Max(nq->checked_at, now);
			nq->delayed_checked_at = Max(nq->delayed_checked_at, now);
		}
	}
}

/* The notification step failed as a whole at "now": hold the next back. */
void
pgmqc_notify_step_failed(TimestampTz now)
{
	int			i;

	notify_retry_at = TimestampTzPlusMilliseconds(now, NOTIFY_RETRY_MS);

	/* its notifications were not sent: they are due again at the retry */
	for (i = 0; i < n_notify_queues; i++)
	{
		NotifyQueue *nq = &notify_queues[i];

		if (!nq->sent_in_step)
			continue;
		nq->sent_in_step = false;
		nq->pending = true;
		nq->last_sent = nq->saved_last_sent;
		nq->checked_at = nq->saved_checked_at;
		nq->delayed_checked_at = nq->saved_delayed_checked_at;
	}
}

/*
 * End of the pass: returns next lowered to the next due time of a notify
 * queue and to the end of the throttle window of a pending one (not before
 * the retry time), and keeps the bits of pending queues set, so that
 * commits to them do not wake the worker before the window ends.
 */
TimestampTz
pgmqc_notify_end_pass(PgmqcDbWorker *entry, TimestampTz next)
{
	uint64		bits = 0;
	TimestampTz leases_through = DT_NOEND;
	TimestampTz delayed_through = DT_NOEND;
	int			i;

	for (i = 0; i < n_notify_queues; i++)
	{
		NotifyQueue *nq = &notify_queues[i];

		/* (a queue whose checks failed too: it looks from there again) */
		leases_through = Min(leases_through, nq->checked_at);
		delayed_through = Min(delayed_through, nq->delayed_checked_at);
		if (nq->due != DT_NOEND)
			next = Min(next, Max(nq->due, notify_retry_at));
		if (nq->pending)
		{
			/* throttled: the window's end wakes us, commits need not */
			next = Min(next, Max(nq->last_sent + nq->throttle_us,
								 notify_retry_at));
			bits |= PGMQC_NOTIFY_BIT(nq->queue_id);
		}
	}
	if (bits != 0)
		pg_atomic_fetch_or_u64(&entry->notify_bits, bits);

	/*
	 * For the next worker of this database, should this one stop: what came
	 * due or whose lease ended after the earliest look of ours is news to it.
	 */
	if (leases_through != DT_NOEND)
		pg_atomic_write_u64(&entry->leases_checked_through,
							(uint64) leases_through);
	if (delayed_through != DT_NOEND)
		pg_atomic_write_u64(&entry->delayed_checked_through,
							(uint64) delayed_through);
	return next;
}
