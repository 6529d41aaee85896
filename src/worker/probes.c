/*-------------------------------------------------------------------------
 *
 * probes.c
 *		The worker's looks into the tables of queues whose readers sleep
 *		past their wait slice.
 *
 * A reader waiting on a queue sleeps until a wake-up, its deadline or a due
 * time.  Rows written into the queue's tables behind the API (COPY,
 * INSERT, UPDATE) wake nobody; pgmq_c.wait_slice bounds how late waiting
 * readers find them.  Rather than every reader waking at the end of each
 * slice to look, a reader whose wake-up slot is its queue's alone asks the
 * worker to look for it (PgmqcSlot.probe_at, shared_memory/wait.c), and
 * sleeps on.  At that time the worker looks into the queue's tables once
 * for all of the queue's readers: when a message is visible or a delayed
 * one is due, it wakes the slot, and the readers look themselves;
 * otherwise it publishes the next due time it found (a delayed message, a
 * lease end), at which it wakes the slot as for any due time.  While
 * readers still sleep there it looks again every probe_every_ms (the
 * shortest slice they asked with).  A slot where readers of several queues
 * of the database slept names no queue: the worker looks into every queue
 * of the database that maps onto it.  A slot where readers of several
 * databases slept is no worker's: its sleepers look themselves, and a
 * request left there from before is answered by waking them.  When the
 * worker cannot look (the step failed, or the worker stops offering the
 * looks), it wakes the sleepers it was asked for, so that they look
 * themselves.
 *
 * The looks are the queue engine's kept statements that the notifications
 * use (STMT_VISIBLE_NOW, STMT_NEXT_DUE), run as the extension's owner with
 * search_path pinned (database_worker.c), each queue in a subtransaction
 * of its own, at most PGMQC_WORKER_BATCH queues per transaction.  The list
 * of queues asked for is the worker's own memory.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/worker/probes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/attnum.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common/dead_letters.h"
#include "common/guarded.h"
#include "common/object_cache.h"
#include "common/statements.h"
#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "worker/worker.h"

/* the queue ids asked for in this pass, in TopMemoryContext */
static int32 *asked = NULL;
static int	n_asked = 0;
static int	asked_size = 0;
static int	asked_next = 0;

/*
 * slots of several of the database's queues asked for in this pass, to be
 * turned into their queues by the next probe step (indexed by slot, in
 * TopMemoryContext)
 */
static bool *mixed_asked = NULL;
static int	n_mixed_asked = 0;

/* one queue's look, in a subtransaction */
typedef struct ProbeQueue
{
	const char *name;
	int32		queue_id;
	TimestampTz now;
} ProbeQueue;

/*
 * May this worker offer its looks: does the catalog know which of its rows
 * are queues?  (A catalog older than 0.3.0 has no kind.)  In a
 * transaction.
 */
bool
pgmqc_probes_possible(void)
{
	Oid			schema = get_namespace_oid("pgmq_c", true);
	Oid			queues;

	if (!OidIsValid(schema))
		return false;
	queues = get_relname_relid("queues", schema);
	return OidIsValid(queues) &&
		get_attnum(queues, "kind") != InvalidAttrNumber;
}

/*
 * Offer the looks, or stop offering them (entry->probes); a worker that
 * stops wakes every sleeper of its database, which then look themselves
 * at the end of their slices again.  Never fails.
 */
void
pgmqc_probes_offer(PgmqcDbWorker *entry, bool offer)
{
	uint32		offered = pg_atomic_exchange_u32(&entry->probes, offer ? 1 : 0);
	int			i;

	if (offer || offered == 0)
		return;
	for (i = 0; i < pgmqc_shared->nslots; i++)
	{
		PgmqcSlot  *s = &pgmqc_shared->slots[i];
		uint32		database = pg_atomic_read_u32(&s->sleeper_database);

		if (database == (uint32) MyDatabaseId ||
			database == PGMQC_SLOT_MIXED_DATABASES)
		{
			pg_atomic_write_u64(&s->probe_at, (uint64) PGMQC_NO_DUE);
			if (pg_atomic_read_u32(&s->waiters) > 0)
				pgmqc_wake_slot_now(s);
		}
	}
}

/* Remember queue_id as asked for in this pass. */
static void
remember(int32 queue_id)
{
	if (n_asked == asked_size)
	{
		asked_size = Max(64, 2 * asked_size);
		if (asked == NULL)
			asked = MemoryContextAlloc(TopMemoryContext,
									   asked_size * sizeof(int32));
		else
			asked = repalloc(asked, asked_size * sizeof(int32));
	}
	asked[n_asked++] = queue_id;
}

/*
 * Take the looks that are due now: the slots of this database's queues
 * whose probe_at has come (remembered for pgmqc_probe_step: one queue's,
 * or every queue that maps onto a slot of several), and slots shared by
 * several databases, whose sleepers are woken at once.  Lowers
 * *next to the earliest look still ahead.  Returns whether the probe step
 * must run.  Never fails, except for memory.
 */
bool
pgmqc_probe_begin_pass(TimestampTz now, TimestampTz *next)
{
	int			i;

	n_asked = 0;
	asked_next = 0;
	if (mixed_asked == NULL)
		mixed_asked = MemoryContextAllocZero(TopMemoryContext,
											 pgmqc_shared->nslots * sizeof(bool));
	for (i = 0; i < pgmqc_shared->nslots; i++)
	{
		PgmqcSlot  *s = &pgmqc_shared->slots[i];
		uint64		at = pg_atomic_read_u64(&s->probe_at);
		uint32		database;
		uint64		key;

		if ((int64) at == PGMQC_NO_DUE)
			continue;
		database = pg_atomic_read_u32(&s->sleeper_database);
		if (database != (uint32) MyDatabaseId &&
			database != PGMQC_SLOT_MIXED_DATABASES)
			continue;			/* another database's worker looks */
		if ((int64) at > now)
		{
			*next = Min(*next, (TimestampTz) at);
			continue;
		}
		if (!pg_atomic_compare_exchange_u64(&s->probe_at, &at,
											(uint64) PGMQC_NO_DUE))
		{
			*next = Min(*next, (TimestampTz) at);	/* asked for again */
			continue;
		}
		key = pg_atomic_read_u64(&s->sleeper_key);
		if (database == PGMQC_SLOT_MIXED_DATABASES)
			pgmqc_wake_slot_now(s);
		else if (key == PGMQC_SLOT_MIXED)
		{
			if (!mixed_asked[i])
				n_mixed_asked++;
			mixed_asked[i] = true;
		}
		else
			remember((int32) (uint32) key);
	}
	return n_asked > 0 || n_mixed_asked > 0;
}

/*
 * The queues of the database that map onto the slots of several queues
 * asked for (mixed_asked) join the queues asked for; a slot none of whose
 * queues is left is woken.  Inside SPI.
 */
static void
expand_mixed(void)
{
	int			n = pgmqc_run_catalog(STMT_PROBE_ALL_QUEUES, NULL, NULL, 0);
	bool	   *matched = palloc0(pgmqc_shared->nslots * sizeof(bool));
	int			i;

	for (i = 0; i < n; i++)
	{
		bool		isnull;
		int32		queue_id = DatumGetInt32(pgmqc_column(i, PROBE_COL_QUEUE_ID,
														  &isnull));
		int			slotno = pgmqc_slot(queue_id) - pgmqc_shared->slots;

		if (mixed_asked[slotno])
		{
			remember(queue_id);
			matched[slotno] = true;
		}
	}
	for (i = 0; i < pgmqc_shared->nslots; i++)
	{
		if (mixed_asked[i] && !matched[i])
			pgmqc_wake_slot_now(&pgmqc_shared->slots[i]);
		mixed_asked[i] = false;
	}
	n_mixed_asked = 0;
	pfree(matched);
}

/*
 * After a look at the queue of slot s: while readers sleep there, look
 * again in probe_every_ms (or a slice of the worker's); otherwise forget
 * the slot until a reader asks again.  A reader that starts sleeping
 * meanwhile is counted before it asks (wait.c), so either it is seen here
 * or its request comes after the one taken.
 */
static void
ask_again(PgmqcSlot *s)
{
	uint32		every;

	pg_memory_barrier();
	if (pg_atomic_read_u32(&s->waiters) == 0)
		return;
	every = pg_atomic_read_u32(&s->probe_every_ms);
	if (every == 0)
		every = (uint32) pgmqc_wait_slice_ms;
	pgmqc_publish_probe(s, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   every),
						(int) every);
}

/* The look into one queue's tables, in a subtransaction. */
static void
probe_queue(void *arg)
{
	ProbeQueue *p = (ProbeQueue *) arg;
	PgmqcQueue *queue = pgmqc_lookup(p->name, true);
	Datum		args[2];
	bool		isnull;
	Datum		due;
	int			guard;

	/*
	 * The gate first, as every call on the queue (common/relation_locks.c).
	 * Dropped: its drop woke the readers.  Held by another transaction: left
	 * for the next look the sleepers ask for, not waited for.
	 */
	if (queue == NULL || queue->queue_id != p->queue_id ||
		pgmqc_lock_if_free(queue, AccessShareLock) != PGMQC_LOCK_TAKEN)
		return;
	guard = pgmqc_plan_guard_begin();
	args[0] = TimestampTzGetDatum(p->now);
	/* any lease end up to now: the readers asleep found nothing to take */
	args[1] = TimestampTzGetDatum(DT_NOBEGIN);
	if (pgmqc_queue_run(queue, STMT_VISIBLE_NOW, args, NULL, 1) == 1)
		pgmqc_wake_slot_now(pgmqc_slot(p->queue_id));
	else
	{
		args[0] = Int64GetDatum(0); /* from the first message on */
		args[1] = TimestampTzGetDatum(p->now);
		pgmqc_queue_run(queue, STMT_NEXT_DUE, args, NULL, 1);
		due = pgmqc_column(0, VALUE_COL, &isnull);
		if (!isnull)
			pgmqc_publish_due(p->queue_id, DatumGetTimestampTz(due));
	}
	pgmqc_plan_guard_end(guard);
}

/*
 * The probe step: look into the next PGMQC_WORKER_BATCH queues asked for.
 * In a transaction, with SPI, in the extension context; arg is a
 * PgmqcBatchStep.
 */
void
pgmqc_probe_step(void *arg)
{
	PgmqcBatchStep *step = (PgmqcBatchStep *) arg;
	int			n;
	int64	   *ids;
	int32	   *found_ids;
	char	  **names;
	int			found;
	Datum		arg_ids;
	int			i;
	int			j;

	if (n_mixed_asked > 0)
		expand_mixed();
	n = Min(n_asked - asked_next, PGMQC_WORKER_BATCH);
	step->more = false;
	if (n == 0)
		return;
	ids = palloc(n * sizeof(int64));
	for (i = 0; i < n; i++)
		ids[i] = asked[asked_next + i];
	arg_ids = pgmqc_id_array(ids, n);
	found = pgmqc_run_catalog(STMT_PROBE_QUEUES, &arg_ids, NULL, 0);
	found_ids = palloc(Max(found, 1) * sizeof(int32));
	names = palloc(Max(found, 1) * sizeof(char *));
	for (j = 0; j < found; j++)
	{
		bool		isnull;

		found_ids[j] = DatumGetInt32(pgmqc_column(j, PROBE_COL_QUEUE_ID, &isnull));
		names[j] = SPI_getvalue(SPI_tuptable->vals[j], SPI_tuptable->tupdesc,
								PROBE_COL_QUEUE_NAME);
	}
	for (i = 0; i < n; i++)
	{
		int32		queue_id = asked[asked_next + i];
		PgmqcSlot  *s = pgmqc_slot(queue_id);

		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < found && found_ids[j] != queue_id; j++)
			;
		if (j < found)
		{
			ProbeQueue	p;
			ErrorData  *edata;

			p.name = names[j];
			p.queue_id = queue_id;
			p.now = step->now;
			edata = pgmqc_run_guarded(probe_queue, &p);
			if (edata != NULL)
			{
				/* its readers look themselves */
				pgmqc_wake_slot_now(s);
				pgmqc_worker_report_failure(step->database,
											PGMQC_PROBE_STEP_NAME,
											queue_id, names[j], edata);
				FreeErrorData(edata);
			}
		}
		ask_again(s);
	}
	asked_next += n;
	step->more = asked_next < n_asked;
}

/*
 * The probe step failed as a whole: wake the sleepers of the queues it did
 * not look into, which then look themselves.
 */
void
pgmqc_probe_step_failed(void)
{
	int			i;

	for (i = 0; n_mixed_asked > 0 && i < pgmqc_shared->nslots; i++)
	{
		if (mixed_asked[i])
		{
			pgmqc_wake_slot_now(&pgmqc_shared->slots[i]);
			mixed_asked[i] = false;
		}
	}
	n_mixed_asked = 0;
	for (; asked_next < n_asked; asked_next++)
	{
		PgmqcSlot  *s = pgmqc_slot(asked[asked_next]);

		pgmqc_wake_slot_now(s);
		ask_again(s);
	}
}
