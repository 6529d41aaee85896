/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *		Topic maintenance: partitions made ahead, rotation, and partitions
 *		dropped past retention.
 *
 * A topic's log is range-partitioned on msg_id (partitions.c).  The
 * background worker (or pgmq_c.maintain_topics()) keeps in place every
 * partition up to the one after that holding msg_id last +
 * PGMQC_SEND_MARGIN, and a sender that comes that close to the end of the
 * last partition asks the worker for more and waits for them
 * (send_support.c), or makes them itself when there is no worker.
 *
 * Rotation.  A quiet topic could take weeks to fill a partition, and
 * retention works on whole partitions; so once the current partition's
 * first message is older than a tenth of the retention, its remaining
 * msg_ids are skipped: the sequence is moved to the next partition's
 * start.  That is done under a SHARE ROW EXCLUSIVE lock on the log taken
 * with NOWAIT, which no send holds while it draws a msg_id: the move cannot
 * go backwards, and it is skipped when any send is in progress.
 *
 * Retention.  A partition older than the current one whose newest message
 * is older than the retention is dropped whole (no row-by-row delete, no
 * dead tuples), once every msg_id in it is settled (settled_ids.c).  In
 * the same transaction every group whose cursor is still inside it moves
 * past it, drops its outstanding messages there, and counts what it did not
 * acknowledge as missed.  The locks are taken with a short lock_timeout
 * (MAINTENANCE_LOCK_TIMEOUT), in a subtransaction per partition: when
 * readers or senders hold them, the partition waits for the next round.
 * A round waits that long MAINTENANCE_LOCK_WAITS times at most, and then
 * 1 ms: transactions left open on many topics (a role's own) would
 * otherwise cost the worker's round, which comes before its timers, 200 ms
 * a topic.  Each round starts at another topic, so that every topic has
 * its turn at the longer waits.
 *
 * Maintenance works from the topics' ids, as pgmq_c.queues lists them, not
 * through the object cache: a topic whose tables are damaged fails alone,
 * with an error that names what is missing.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/maintenance.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/guarded.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "topic/topic.h"
#include "common/security.h"
#include "common/statements.h"

/* how long a maintenance step queues for a lock before it gives up */
#define MAINTENANCE_LOCK_TIMEOUT	"200ms"

/* lock waits that ran out a round takes before the others wait 1 ms */
#define MAINTENANCE_LOCK_WAITS		3
#define MAINTENANCE_LOCK_TIMEOUT_SHORT	"1ms"

/* what is left of this round's MAINTENANCE_LOCK_WAITS */
static int	lock_waits_left = MAINTENANCE_LOCK_WAITS;

/* rotation: the current partition is closed at this fraction of retention */
#define ROTATION_RETENTION_DIVISOR	10.0

/* partitions made ahead in one round at most */
#define MAX_CREATE					100

typedef struct TopicInfo
{
	int32		id;
	char		name[PGMQC_MAX_NAME_LEN + 1];
	int64		partition_size;
	Interval	retention;
	int64		dropped;		/* partitions dropped this round */
	bool		failed;			/* its maintenance failed this round */
} TopicInfo;

/*
 * Run a maintenance statement on a topic (partition partno, group
 * group_id, as the statement needs); returns SPI_processed.
 */
static int
run_on_topic(PgmqcStatement stmt, TopicInfo *t, int32 group_id, int64 partno,
			 Datum *values, int expected)
{
	PgmqcStatementTarget target = {t->id, group_id, partno, t->partition_size};

	return pgmqc_run_once(stmt, &target, values, NULL, expected);
}

/* The single value of a maintenance statement's result; NULL: *isnull. */
static Datum
result_value(bool *isnull)
{
	if (SPI_processed == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return pgmqc_column(0, MAINTENANCE_COL_VALUE, isnull);
}

/* The first (or, if newest, the last) enqueued_at of a partition, if any. */
static TimestampTz
partition_enqueued_at(TopicInfo *t, int64 partno, bool newest, bool *isnull)
{
	Datum		value;

	run_on_topic(newest ? STMT_PARTITION_LAST_AT : STMT_PARTITION_FIRST_AT,
				 t, 0, partno, NULL, SPI_OK_SELECT);
	value = result_value(isnull);
	return *isnull ? 0 : DatumGetTimestampTz(value);
}

/* The last msg_id drawn from a topic's sequence. */
static int64
topic_last_id(TopicInfo *t)
{
	return pgmqc_last_id_drawn_by_id(PGMQC_KIND_TOPIC, t->id);
}

/* Skip the rest of the current partition if it is old enough. */
static void
rotate(TopicInfo *t, TimestampTz now)
{
	int64		last = topic_last_id(t);
	int64		current = last / t->partition_size;
	int64		next_start = (current + 1) * t->partition_size;
	Interval   *rotation_age;
	bool		isnull;
	TimestampTz first_at;
	Datum		new_last;

	/*
	 * Empty (msg_ids start at 1: only partition 0 can be), or full anyway.  A
	 * partition that holds its first msg_id only is neither: until session 49
	 * it was taken as empty, and a quiet topic whose last message had that
	 * msg_id kept it past its retention for good.
	 */
	if (last < Max(current * t->partition_size, 1) || last >= next_start - 1)
		return;

	/*
	 * A batch draws its msg_ids before it makes sure of their partitions
	 * (topic_publish.c): the last msg_id's may not be made yet, or not
	 * committed.  Nothing to rotate then.
	 */
	if (!pgmqc_partition_exists(t->id, current))
		return;
	first_at = partition_enqueued_at(t, current, false, &isnull);
	if (isnull)
		return;
	rotation_age = DatumGetIntervalP(DirectFunctionCall2(interval_div,
														 IntervalPGetDatum(&t->retention),
														 Float8GetDatum(ROTATION_RETENTION_DIVISOR)));
	if (pgmqc_ts_plus(first_at, rotation_age) > now)
		return;

	pgmqc_create_partition(t->id, t->partition_size, current + 1);
	run_on_topic(STMT_ROTATE_LOCK_LOG, t, 0, -1, NULL, SPI_OK_UTILITY);
	/* no msg_id can be drawn now: read the sequence again and move it on */
	last = topic_last_id(t);
	if (last < next_start - 1)
	{
		new_last = Int64GetDatum(next_start - 1);
		run_on_topic(STMT_ROTATE_MOVE_SEQUENCE, t, 0, -1, &new_last, SPI_OK_SELECT);
	}
}

/*
 * Drop partition partno if it is past retention; returns whether it was
 * dropped.  Errors (a lock not granted in time) propagate to the caller's
 * subtransaction.
 */
static bool
expire_partition(TopicInfo *t, int64 partno, int64 settled, TimestampTz now)
{
	int64		partition_end = (partno + 1) * t->partition_size;
	bool		isnull;
	TimestampTz newest_at;
	uint64		i;
	uint64		ngroups;
	int32	   *groups;
	int64	   *next_ids;
	bool	   *filtered;
	int64		removed_in_all = 0;
	bool		has_blocks = pgmqc_group_blocks_exist();

	if (partition_end - 1 > settled)
		return false;			/* a send may still land in it */
	newest_at = partition_enqueued_at(t, partno, true, &isnull);
	if (!isnull && pgmqc_ts_plus(newest_at, &t->retention) > now)
		return false;			/* not yet */

	/* every group, its cursor row locked (see STMT_EXPIRE_GROUPS) */
	run_on_topic(STMT_EXPIRE_GROUPS, t, 0, partno, NULL, SPI_OK_SELECT);
	ngroups = SPI_processed;
	groups = palloc((ngroups + 1) * sizeof(int32));
	next_ids = palloc((ngroups + 1) * sizeof(int64));
	filtered = palloc((ngroups + 1) * sizeof(bool));
	for (i = 0; i < ngroups; i++)
	{
		groups[i] = DatumGetInt32(pgmqc_column(i, EXPIRE_GROUPS_COL_GROUP_ID, &isnull));
		next_ids[i] = pgmqc_column_int64(i, EXPIRE_GROUPS_COL_NEXT_ID, &isnull);
		filtered[i] = DatumGetBool(pgmqc_column(i, EXPIRE_GROUPS_COL_FILTERED, &isnull));
	}
	for (i = 0; i < ngroups; i++)
	{
		int64		outstanding = 0;
		int64		removed;

		/*
		 * Handed out and not taken by a reader yet: the group's blocks
		 * (0.8.0) lose the partition's messages, which it missed.  Before the
		 * group's table, as in a seek (group_seek.c): a reader taking
		 * messages from a block holds it locked, and not the cursor, whose
		 * lock this holds; the blocks' statement waits for it, and the
		 * table's, with a new snapshot, then finds the leases it committed.
		 */
		if (has_blocks)
		{
			Datum		value;

			run_on_topic(STMT_EXPIRE_GROUP_BLOCKS, t, groups[i], partno, NULL,
						 SPI_OK_SELECT);
			value = result_value(&isnull);
			outstanding = isnull ? 0 : DatumGetInt64(value);
		}
		/* handed out but not acknowledged: removed from the group's table */
		removed = run_on_topic(STMT_EXPIRE_GROUP_MESSAGES, t, groups[i],
							   partno, NULL, SPI_OK_DELETE);
		removed_in_all += removed;
		outstanding += removed;
		if (next_ids[i] < partition_end)
		{
			/* still inside the partition: skip it, count what it misses */
			Datum		from = Int64GetDatum(next_ids[i]);
			Datum		value;
			Datum		missed;
			int64		unread;

			run_on_topic(filtered[i] ? STMT_EXPIRE_UNREAD_FILTERED : STMT_EXPIRE_UNREAD,
						 t, groups[i], partno, &from, SPI_OK_SELECT);
			value = result_value(&isnull);
			unread = isnull ? 0 : DatumGetInt64(value);
			missed = Int64GetDatum(unread + outstanding);
			run_on_topic(STMT_EXPIRE_SKIP_CURSOR, t, groups[i], partno, &missed,
						 SPI_OK_UPDATE);
		}
		else if (outstanding > 0)
		{
			/* past it, with messages of it still outstanding */
			Datum		missed = Int64GetDatum(outstanding);

			run_on_topic(STMT_EXPIRE_COUNT_MISSED, t, groups[i], partno, &missed,
						 SPI_OK_UPDATE);
		}
	}
	run_on_topic(STMT_EXPIRE_DROP_PARTITION, t, 0, partno, NULL, SPI_OK_UTILITY);

	/*
	 * A message removed from a group's table may have been the leased head of
	 * its ordering key: the key's next message is free from this commit on,
	 * so the topic's waiting readers look again then.
	 */
	if (removed_in_all > 0)
		pgmqc_wake_on_commit(t->id, PGMQC_WAKE_ALL, false);
	return true;
}

/*
 * Report an error in the maintenance of a topic.  A lock not granted in
 * time only postpones the work to the next round (LOG); anything else is a
 * WARNING naming the topic.  The background worker reports each at most
 * once a minute per topic; maintain_topics() every time.
 */
static void
report_topic_error(TopicInfo *t, ErrorData *edata)
{
	bool		postponed = (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE);

	if (IsBackgroundWorker && !pgmqc_report_due(postponed ? 'p' : 't', t->id, NULL))
		return;
	if (postponed)
		ereport(LOG,
				(errmsg("pgmq_c: maintenance of topic \"%s\" postponed: %s",
						t->name, edata->message)));
	else
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pgmq_c: maintenance of topic \"%s\" failed: %s",
						t->name, edata->message),
				 IsBackgroundWorker ?
				 errhint("The other topics are maintained; this one is tried again every round and this failure is reported at most once a minute. "
						 "A topic whose tables are missing can be dropped with pgmq_c.drop_topic().") :
				 errhint("The other topics are maintained. "
						 "A topic whose tables are missing can be dropped with pgmq_c.drop_topic().")));
}

/* A step of a topic's maintenance, run by in_subtransaction. */
typedef bool (*MaintenanceStep) (TopicInfo *t, int64 a, int64 b, TimestampTz now);

static bool
step_rotate(TopicInfo *t, int64 unused1, int64 unused2, TimestampTz now)
{
	rotate(t, now);
	return true;
}

/*
 * Every partition from the last one that exists up to the one after that
 * holding msg_id last + PGMQC_SEND_MARGIN (see pgmqc_topic_before_send), at
 * most MAX_CREATE a round.
 */
static bool
step_ensure(TopicInfo *t, int64 last, int64 unused, TimestampTz now)
{
	int64		needed = (last + PGMQC_SEND_MARGIN) / t->partition_size;
	int64		lowest;
	int64		highest;
	int64		partno;

	if (!pgmqc_partition_range(t->id, &lowest, &highest) || highest >= needed + 1)
		return true;
	if (highest < last / t->partition_size - 1)
		highest = last / t->partition_size - 1;
	for (partno = highest + 1;
		 partno <= needed + 1 && partno <= highest + MAX_CREATE; partno++)
		pgmqc_create_partition(t->id, t->partition_size, partno);
	return true;
}

static bool
step_expire(TopicInfo *t, int64 partno, int64 settled, TimestampTz now)
{
	return expire_partition(t, partno, settled, now);
}

/* The arguments and result of a MaintenanceStep run by in_subtransaction. */
typedef struct MaintenanceCall
{
	MaintenanceStep fn;
	TopicInfo  *t;
	int64		a;
	int64		b;
	TimestampTz now;
	bool		result;
} MaintenanceCall;

static void
run_maintenance_call(void *arg)
{
	MaintenanceCall *call = (MaintenanceCall *) arg;

	/* do not queue for long behind the topic's readers and senders */
	int			save_nestlevel =
	pgmqc_lock_timeout_begin(lock_waits_left > 0 ? MAINTENANCE_LOCK_TIMEOUT :
							 MAINTENANCE_LOCK_TIMEOUT_SHORT);

	call->result = call->fn(call->t, call->a, call->b, call->now);
	pgmqc_lock_timeout_end(save_nestlevel);
}

/*
 * Run fn(t, a, b, now) in a subtransaction, with a short lock_timeout; an
 * error is reported (report_topic_error) and swallowed.  Returns what fn
 * returned, or false after an error.
 */
static bool
in_subtransaction(MaintenanceStep fn, TopicInfo *t, int64 a, int64 b,
				  TimestampTz now)
{
	MaintenanceCall call = {fn, t, a, b, now, false};
	ErrorData  *edata = pgmqc_run_guarded(run_maintenance_call, &call);

	if (edata == NULL)
		return call.result;
	if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE && lock_waits_left > 0)
		lock_waits_left--;
	report_topic_error(t, edata);
	FreeErrorData(edata);
	return false;
}

/*
 * A topic's maintenance but rotation: partitions ahead, then retention,
 * oldest partition first.  Each step in a subtransaction of its own inside
 * the topic's: a lock not granted postpones one step.
 */
static bool
step_topic(TopicInfo *t, int64 unused1, int64 unused2, TimestampTz now)
{
	int64		last = topic_last_id(t);

	/*
	 * The partition the next msg_id goes to: a partition filled to its last
	 * msg_id, or closed by rotation (which moves the sequence there), is
	 * behind it.  Until session 49 it was the last msg_id's, and a quiet
	 * topic kept its last messages past its retention for good.
	 */
	int64		current = (last + 1) / t->partition_size;
	int64	   *numbers;
	int			count;
	int			i;
	PgmqcQueue *entry;
	int64		settled;

	t->dropped = 0;
	(void) in_subtransaction(step_ensure, t, last, 0, now);

	/* partitions before the current one, oldest first */
	numbers = pgmqc_partition_numbers(t->id, &count);
	if (count == 0)
		return true;
	entry = pgmqc_lookup_kind(t->name, PGMQC_KIND_TOPIC, true);
	if (entry == NULL || entry->queue_id != t->id)
		return true;			/* dropped meanwhile */
	settled = pgmqc_topic_settled_through(entry, false);
	for (i = 0; i < count && numbers[i] < current; i++)
	{
		if (!pgmqc_partition_exists(t->id, numbers[i]))
			continue;
		if (in_subtransaction(step_expire, t, numbers[i], settled, now))
			t->dropped++;
		else
			break;				/* keep the order: older partitions go first */
	}
	return true;
}

/*
 * Maintenance of the topics of this database, at most max_topics of them
 * (0: all), starting after those the last call of this backend did; returns
 * the number of partitions dropped, and sets *visited to the number of
 * topics maintained and *ntopics to the number there are.  Inside SPI, in a
 * transaction (for the worker and maintain_topics(), inside the extension
 * context).  Each topic's work runs in a subtransaction of its own: a topic
 * whose tables are missing or damaged fails alone, and the others are
 * maintained.  The locks of every topic done are held until the
 * transaction ends, some ten per topic: the worker commits every
 * PGMQC_MAINTENANCE_TOPICS_PER_TRANSACTION topics, so that thousands of
 * topics do not fill the cluster's lock table (review h48: 150 topics
 * filled it at max_connections 30, and other databases' sessions failed;
 * a topic whose partitions ahead are made takes some forty).
 */
int64
pgmqc_maintain_topics_internal(uint64 max_topics, uint64 *visited,
							   uint64 *ntopics_out)
{
	static uint64 next_first = 0;
	TopicInfo  *topics;
	uint64		ntopics;
	uint64		count;
	uint64		i;
	uint64		first;
	int64		dropped = 0;
	TimestampTz now = GetCurrentTimestamp();

	*visited = 0;
	*ntopics_out = 0;
	if (get_attnum(get_relname_relid("queues", get_namespace_oid("pgmq_c", false)),
				   "kind") == InvalidAttrNumber)
		return 0;				/* before ALTER EXTENSION pgmq_c UPDATE */
	pgmqc_run_catalog(STMT_MAINTAINED_TOPICS, NULL, NULL, 0);
	ntopics = SPI_processed;
	topics = palloc0((ntopics + 1) * sizeof(TopicInfo));
	for (i = 0; i < ntopics; i++)
	{
		bool		isnull;

		topics[i].id = DatumGetInt32(pgmqc_column(i, MAINTAINED_COL_QUEUE_ID, &isnull));
		strlcpy(topics[i].name,
				SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
							 MAINTAINED_COL_QUEUE_NAME),
				sizeof(topics[i].name));
		topics[i].partition_size = pgmqc_column_int64(i, MAINTAINED_COL_PARTITION_SIZE,
													  &isnull);
		topics[i].retention = *DatumGetIntervalP(pgmqc_column(i, MAINTAINED_COL_RETENTION,
															  &isnull));
	}

	lock_waits_left = MAINTENANCE_LOCK_WAITS;
	count = max_topics > 0 ? Min(max_topics, ntopics) : ntopics;
	first = ntopics > 0 ? next_first % ntopics : 0;
	next_first = first + Max(count, 1);
	for (i = 0; i < count; i++)
	{
		TopicInfo  *t = &topics[(first + i) % ntopics];

		CHECK_FOR_INTERRUPTS();
		if (in_subtransaction(step_topic, t, 0, 0, now))
			dropped += t->dropped;
		else
			t->failed = true;
	}

	/*
	 * Rotation last: its lock on a log blocks that topic's sends until this
	 * transaction commits, so nothing slow may come after it.
	 */
	for (i = 0; i < count; i++)
	{
		TopicInfo  *t = &topics[(first + i) % ntopics];

		CHECK_FOR_INTERRUPTS();
		if (!t->failed)
			(void) in_subtransaction(step_rotate, t, 0, 0, now);
	}
	*visited = count;
	*ntopics_out = ntopics;
	return dropped;
}
