/*-------------------------------------------------------------------------
 *
 * topic_read.c
 *		read_group and receive_group: handing a topic's messages out to the
 *		consumers of a group.
 *
 * A topic's messages are stored once, in its log.  A group reads the log in
 * msg_id order through its cursor (next_id in pgmq_c.c_<topic>): a reader
 * that finds nothing to claim in the group's table pgmq_c.g_<group> "fills"
 * it, copying the msg_ids of the next messages into it, as narrow rows, and
 * moving the cursor past them; readers then claim those rows with FOR
 * UPDATE SKIP LOCKED exactly as they claim a queue's messages, and ack
 * deletes them.  One reader fills at a time: the fill locks the group's
 * cursor row with SKIP LOCKED, so the others go on claiming what is there
 * and never wait for it.
 *
 * Commit order.  A fill copies only messages with msg_id <= safe_id, where
 * every msg_id <= safe_id belongs to a finished transaction, so a send that
 * took a lower msg_id and commits later is never passed over.  safe_id is
 * the sequence's last value V read before the next XID X, once no
 * transaction that sent to the topic with an XID below X is running
 * (senders take their XID and record it in shared memory before their
 * msg_id: queue_send.c, senders.c).  This backend's own transaction does
 * not count.  An open transaction that has sent to the topic therefore
 * holds back the messages sent after it, until it ends, as a Kafka
 * read_committed consumer stops at the first open transaction.
 *
 * Under REPEATABLE READ or SERIALIZABLE a reader's snapshot may not show
 * messages committed after it was taken; such a reader claims what was
 * already handed to the group but never fills.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic_read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "shared_memory/shared_memory.h"
#include "common/security.h"

PG_FUNCTION_INFO_V1(pgmqc_read_group);
PG_FUNCTION_INFO_V1(pgmqc_receive_group);

#define GROUP_LWM_INTERVAL_MS	50
#define FILL_MIN				256
#define FILL_ASKED				(-2)	/* fill_group: the worker will fill */
#define FILL_WAIT_MS			1000	/* longest wait for the worker's fill */
#define FILL_BUSY_WAIT_MS		20	/* ... and for another reader's */

/*
 * The topic's safe_id (see the file header).  With wait, wait until the
 * messages sent so far are all final, sleeping 1 ms at a time
 * (cancellable).
 */
int64
pgmqc_topic_settled_through(PgmqcQueue *topic, bool wait)
{
	for (;;)
	{
		bool		isnull;
		int64		last_value;
		bool		is_called;
		int64		v;
		TransactionId x;

		pgmqc_queue_run(topic, STMT_TOPIC_SEQUENCE_LAST, NULL, NULL, 1);
		last_value = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 1, &isnull));
		is_called = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 2, &isnull));
		v = is_called ? last_value : last_value - 1;
		x = XidFromFullTransactionId(ReadNextFullTransactionId());

		if (pgmqc_senders_ended_before(topic->queue_id, x))
		{
			topic->settled_through = Max(topic->settled_through, v);
			topic->has_candidate = false;
			return topic->settled_through;
		}
		/* not yet: an older candidate may have become safe meanwhile */
		if (topic->has_candidate &&
			pgmqc_senders_ended_before(topic->queue_id, topic->candidate_xid))
		{
			topic->settled_through = Max(topic->settled_through, topic->candidate_id);
			topic->has_candidate = false;
		}
		if (!topic->has_candidate)
		{
			topic->candidate_id = v;
			topic->candidate_xid = x;
			topic->has_candidate = true;
		}
		if (!wait)
			return topic->settled_through;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* The msg_id sequence's last value (0 before the first send), cheaply. */
static int64
sequence_last(PgmqcQueue *topic)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = ObjectIdGetDatum(topic->sequence_relid);
	fcinfo->args[0].isnull = false;
	result = pg_sequence_last_value(fcinfo);
	return fcinfo->isnull ? 0 : DatumGetInt64(result);
}

/* Where the topic's last partition ends (exclusive), from the catalog. */
static void
load_part_hi(PgmqcQueue *topic)
{
	int64		lowest;
	int64		highest;

	if (pgmqc_partition_range(topic->queue_id, &lowest, &highest))
		topic->partition_end = (highest + 1) * topic->partition_size;
	else
		topic->partition_end = 0;
}

/*
 * Before a send of count messages to a topic: make sure partitions exist
 * for the msg_ids it may draw.  Those are at most last + count, plus what
 * concurrent senders draw meanwhile, for which one more batch is allowed.
 * Normally the worker keeps PGMQC_SEND_MARGIN msg_ids ahead and this is one
 * comparison; near the end the sender asks the worker and waits for it (up
 * to 5 s), or, without a worker, makes the partitions in its own
 * transaction, where other senders wait for its commit.
 */
void
pgmqc_topic_before_send(PgmqcQueue *topic, int count)
{
	int64		need = sequence_last(topic) + count + PGMQC_MAX_BATCH;
	int64		need_part = need / topic->partition_size;
	int64		k;
	int			i;

	if (topic->partition_end == 0)
		load_part_hi(topic);
	if (need < topic->partition_end)
		return;

	if (pgmqc_request_maintenance())
	{
		for (i = 0; i < 5000; i++)
		{
			AcceptInvalidationMessages();
			if (pgmqc_partition_exists(topic->queue_id, need_part))
				break;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 1, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
	for (k = Max(topic->partition_end / topic->partition_size, 0); k <= need_part; k++)
		pgmqc_create_partition(topic->queue_id, topic->partition_size, k);
	topic->partition_end = 0;
}

/*
 * After a send of count messages to a topic, the last with last_id: wake
 * the readers of every group at commit (or the worker's timer at the due
 * time of a delayed message), and make sure the next partition is made in
 * time.
 */
void
pgmqc_topic_sent(PgmqcQueue *topic, int64 last_id, int count, Interval *delay)
{
	if (pgmqc_shared != NULL)
	{
		if (pgmqc_interval_is_zero(delay))
			pgmqc_wake_on_commit(topic, PGMQC_WAKE_ALL, false);	/* all groups */
		else
		{
			TimestampTz due = pgmqc_now_plus(delay);

			pgmqc_publish_due(topic->queue_id, due);
			pgmqc_due_on_commit(topic, due);
		}
	}

	/* the worker wakes readers at due times and makes partitions */
	(void) pgmqc_my_worker(true);

	/* in the last partition's second half: have the worker make more */
	if (topic->partition_end == 0)
		load_part_hi(topic);
	if (last_id >= topic->partition_end - topic->partition_size / 2)
	{
		(void) pgmqc_request_maintenance();
		topic->partition_end = 0;		/* look again next time */
	}
}

/* Move the group's watermark forward if it is time; returns it. */
static int64
advance_group_lwm(PgmqcGroup *group)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		cur = group->cache.watermark.committed;
	Datum		args[2];
	bool		isnull;
	Datum		d;
	int64		epoch;

	if (group->cache.watermark.has_tentative && group->cache.watermark.tentative > cur)
		cur = group->cache.watermark.tentative;
	if (IsolationUsesXactSnapshot())
		return cur;
	if (group->cache.watermark.last_advance != 0 &&
		!TimestampDifferenceExceeds(group->cache.watermark.last_advance, now, GROUP_LWM_INTERVAL_MS))
		return cur;
	group->cache.watermark.last_advance = now;

	args[0] = Int64GetDatum(cur);
	args[1] = Int32GetDatum(group->group_id);
	if (pgmqc_group_run(group, STMT_GROUP_WATERMARK_SCAN, args, NULL, 1) != 1)
		return cur;
	epoch = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 2, &isnull));
	group->cursor_seen = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 3, &isnull));
	if (epoch != group->seek_count)
	{
		/* a seek moved the cursor back: start again from the beginning */
		group->seek_count = epoch;
		group->cache.watermark.committed = 0;
		group->cache.watermark.has_tentative = false;
		args[0] = Int64GetDatum(0);
		if (pgmqc_group_run(group, STMT_GROUP_WATERMARK_SCAN, args, NULL, 1) != 1)
			return 0;
		cur = 0;
	}
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull && DatumGetInt64(d) > cur)
	{
		pgmqc_watermark_set_tentative(&group->cache.watermark, DatumGetInt64(d));
		cur = DatumGetInt64(d);
	}
	return cur;
}

/*
 * Hand the group's next messages to its table, leasing up to "lease" of
 * them to this reader for vt at once (they are then in SPI_tuptable, with
 * three more columns).  Returns how many it leased, -1 when another reader
 * is filling the group right now, or FILL_ASKED when the worker was asked
 * to.  *added tells how many it handed to the group in all.
 *
 * A fill examines FILL_MIN messages, or as many as it leases when that is a
 * quarter of FILL_MIN or more (a big batch is handed out and leased in one
 * insert, with no update), and four times that when readers found the
 * group being filled lately: what it does not lease stays in the group's
 * table for its other readers.
 *
 * The fill holds the group's cursor row locked until the transaction ends,
 * and the rows it adds are visible to the group's other readers only then.
 * A reader inside a transaction block (BEGIN ... COMMIT) may keep its
 * transaction open for long, so it asks the background worker to fill in a
 * transaction of its own, and is woken at the worker's commit; it fills
 * itself only when there is no worker.
 */
static int
fill_group(PgmqcQueue *topic, PgmqcGroup *group, int32 lease, Interval *vt,
		   bool in_worker, int64 *added)
{
	int64		safe_id;
	int64		next_id;
	int64		examined;
	int32		limit;
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	bool		none_leased;
	bool		contended;
	Interval	zero;

	*added = 0;
	if (IsolationUsesXactSnapshot())
		return 0;
	safe_id = pgmqc_topic_settled_through(topic, false);
	if (group->cursor_seen > safe_id)
		return 0;				/* nothing new since we last looked */
	if (!in_worker && IsTransactionBlock())
	{
		/* is there anything to fill?  (no lock: the cursor as committed) */
		args[0] = Int32GetDatum(group->group_id);
		if (pgmqc_group_run(group, STMT_GROUP_CURSOR, args, NULL, 1) == 1)
			group->cursor_seen = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc, 1, &isnull));
		if (group->cursor_seen > safe_id)
			return 0;
		if (pgmqc_request_fill())
			return FILL_ASKED;
	}

	args[0] = Int32GetDatum(group->group_id);
	if (pgmqc_group_run(group, STMT_GROUP_LOCK_CURSOR, args, NULL, 1) == 0)
	{
		/* tell the one filling that others want messages too */
		if (pgmqc_shared != NULL)
			pg_atomic_write_u32(&pgmqc_slot(topic->queue_id)->fill_skipped, 1);
		return -1;
	}
	next_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	group->cursor_seen = next_id;
	if (next_id > safe_id)
		return 0;

	limit = lease >= FILL_MIN / 4 ? lease : FILL_MIN;
	if (in_worker)
		limit = 4 * FILL_MIN;	/* readers in transaction blocks wait for it */
	contended = pgmqc_shared != NULL &&
		pg_atomic_exchange_u32(&pgmqc_slot(topic->queue_id)->fill_skipped, 0) != 0;
	if (contended)
		limit = Max(limit, 8 * lease);
	limit = Min(limit, PGMQC_MAX_BATCH);

	memset(&zero, 0, sizeof(zero));
	args[0] = Int64GetDatum(next_id);
	args[1] = Int64GetDatum(safe_id);
	args[2] = Int32GetDatum(limit);
	args[3] = group->filter ? JsonbPGetDatum(group->filter) : (Datum) 0;
	if (group->filter == NULL)
		nulls[3] = 'n';
	args[4] = Int32GetDatum(lease);
	args[5] = IntervalPGetDatum(vt ? vt : &zero);
	pgmqc_group_run(group, STMT_GROUP_FILL, args, nulls, 0);
	examined = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 7, &isnull));
	if (examined < limit)
		next_id = safe_id + 1;	/* every message up to safe_id was seen */
	else
		next_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 8, &isnull)) + 1;
	*added = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 9, &isnull));
	(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &none_leased);

	/* keep the leased rows in SPI_tuptable across the cursor update */
	{
		SPITupleTable *leased = SPI_tuptable;
		uint64		nleased = none_leased ? 0 : SPI_processed;

		args[0] = Int32GetDatum(group->group_id);
		args[1] = Int64GetDatum(next_id);
		pgmqc_group_run(group, STMT_GROUP_SET_CURSOR, args, NULL, 0);
		group->cursor_seen = next_id;
		SPI_tuptable = leased;
		SPI_processed = nleased;
	}

	if (pgmqc_shared != NULL && SPI_processed > 0)
	{
		/* rolled back, the lease makes the messages available again */
		pgmqc_wake_on_abort(topic, PGMQC_WAKE_ALL);
		if (pg_atomic_read_u32(&pgmqc_slot(topic->queue_id)->waiters) > 0)
			pgmqc_publish_due(topic->queue_id, pgmqc_now_plus(vt));
	}
	/*
	 * What this reader does not take, the group's other readers may; and
	 * those who found the group being filled wait for this commit.
	 */
	if ((*added > (int64) SPI_processed || contended) && pgmqc_shared != NULL)
		pgmqc_wake_on_commit(topic, PGMQC_WAKE_ALL, false);
	return (int) SPI_processed;
}

static int
claim_group(PgmqcQueue *topic, PgmqcGroup *group, int32 qty, Interval *vt)
{
	Datum		args[3];
	int			n;

	args[0] = Int32GetDatum(qty);
	args[1] = IntervalPGetDatum(vt);
	args[2] = Int64GetDatum(advance_group_lwm(group));
	n = pgmqc_group_run(group, STMT_GROUP_CLAIM, args, NULL, 0);
	if (n > 0 && pgmqc_shared != NULL)
	{
		/* rolled back, the claim makes the messages available again */
		pgmqc_wake_on_abort(topic, PGMQC_WAKE_ALL);
		/* the lease end matters to sleepers */
		if (pg_atomic_read_u32(&pgmqc_slot(topic->queue_id)->waiters) > 0)
			pgmqc_publish_due(topic->queue_id, pgmqc_now_plus(vt));
	}
	return n;
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
 * Claim up to qty of the group's messages: those already in the group's
 * table first, then, if that is not enough, more after a fill; and while
 * there are none and the deadline has not passed, sleep until there may
 * be.  Leaves the claimed rows in SPI_tuptable.  With commit_between (a
 * non-atomic CALL) the transaction is committed before each sleep.
 */
static int
claim_or_wait(const char *topic_name, const char *group_name, int32 qty,
			  Interval *vt_arg, bool waiting, TimestampTz deadline,
			  bool commit_between)
{
	SPITupleTable *tables[2];
	int			counts[2];

	for (;;)
	{
		PgmqcQueue *topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_CONSUME);
		PgmqcGroup *group = pgmqc_group_lookup(topic, group_name, false);
		Interval   *vt;
		uint64		seen;
		TimestampTz until;
		int			n;
		int			filled;
		Datum		args[2];
		bool		isnull;
		int			guard;

		/* after a sleep, the group or topic may have been dropped meanwhile */
		(void) pgmqc_check_group_not_dropped(topic, group, false);
		vt = vt_arg ? vt_arg : &group->default_vt;
		seen = pgmqc_generation(topic);
		guard = pgmqc_plan_guard_begin();

		tables[0] = tables[1] = NULL;
		counts[0] = counts[1] = 0;

		n = claim_group(topic, group, qty, vt);
		tables[0] = SPI_tuptable;
		counts[0] = n;
		if (n < qty)
		{
			uint64		before_fill = pgmqc_generation(topic);
			int64		added;

			filled = fill_group(topic, group, qty - n, vt, false, &added);
			if (filled == FILL_ASKED)
			{
				/* the worker's commit wakes us; then claim what it added */
				pgmqc_sleep(topic, before_fill,
							TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														FILL_WAIT_MS));
				counts[1] = claim_group(topic, group, qty - n, vt);
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
			else if (filled < 0 && n == 0 && pgmqc_shared != NULL)
			{
				/*
				 * Another reader is filling the group: its commit, which
				 * comes soon, leaves messages for us too.
				 */
				pgmqc_sleep(topic, before_fill,
							TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														FILL_BUSY_WAIT_MS));
				counts[1] = claim_group(topic, group, qty, vt);
				tables[1] = SPI_tuptable;
				n += counts[1];
			}
		}
		if (n > 0 || !waiting || GetCurrentTimestamp() >= deadline)
		{
			pgmqc_plan_guard_end(guard);
			merge_tables(tables, counts);
			return n;
		}

		/* sleep until a commit, a due time or the deadline */
		args[0] = Int64GetDatum(advance_group_lwm(group));
		args[1] = TimestampTzGetDatum(GetCurrentTimestamp());
		until = deadline;
		if (pgmqc_group_run(group, STMT_GROUP_NEXT_DUE, args, NULL, 1) == 1)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull && DatumGetTimestampTz(d) < until)
				until = DatumGetTimestampTz(d);
		}
		pgmqc_plan_guard_end(guard);
		(void) pgmqc_my_worker(true);
		if (commit_between)
			pgmqc_spi_commit();
		pgmqc_sleep(topic, seen, until);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
check_group_args(FunctionCallInfo fcinfo, Interval **vt, int32 *qty,
				 bool *waiting, TimestampTz *deadline)
{
	*qty = pgmqc_check_qty(fcinfo, 3);
	*vt = NULL;
	if (!PG_ARGISNULL(2))
	{
		*vt = PG_GETARG_INTERVAL_P(2);
		pgmqc_check_vt(*vt, "vt", true);
	}
	pgmqc_check_not_null(fcinfo, 4, "wait");
	*waiting = pgmqc_check_wait(PG_GETARG_INTERVAL_P(4));
	*deadline = pgmqc_now_plus(PG_GETARG_INTERVAL_P(4));
}

/*
 * read_group(topic_name text, group_name text, vt interval, qty integer,
 *			  wait interval) RETURNS SETOF message
 */
Datum
pgmqc_read_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	Interval   *vt;
	int32		qty;
	bool		waiting;
	TimestampTz deadline;

	check_group_args(fcinfo, &vt, &qty, &waiting, &deadline);
	pgmqc_check_writable("read_group()");
	InitMaterializedSRF(fcinfo, 0);

	pgmqc_spi_connect(&cxt);
	claim_or_wait(topic_name, group_name, qty, vt, waiting, deadline, false);
	pgmqc_emit_rows(fcinfo, true);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_NULL();
}

/*
 * CALL receive_group(topic_name text, group_name text, vt interval,
 *					  qty integer, wait interval, INOUT messages message[])
 *
 * read_group() as a procedure that commits before it sleeps, as receive()
 * does for queues.
 */
Datum
pgmqc_receive_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char		topic_name[PGMQC_MAX_NAME_LEN + 1];
	char		group_name[PGMQC_MAX_NAME_LEN + 1];
	Interval	vt_buf;
	Interval   *vt;
	int32		qty;
	bool		waiting;
	TimestampTz deadline;
	bool		nonatomic;
	TupleDesc	desc;
	Datum		result;
	bool		result_null = false;
	MemoryContext caller_cxt = CurrentMemoryContext;
	int			n;

	strlcpy(topic_name, pgmqc_arg_name_as(fcinfo, 0, "topic"), sizeof(topic_name));
	strlcpy(group_name, pgmqc_arg_name_as(fcinfo, 1, "group"), sizeof(group_name));
	check_group_args(fcinfo, &vt, &qty, &waiting, &deadline);
	if (vt != NULL)
	{
		vt_buf = *vt;
		vt = &vt_buf;
	}
	pgmqc_check_writable("receive_group()");
	desc = pgmqc_call_result_desc(fcinfo, &nonatomic);

	pgmqc_spi_connect_ext(&cxt, nonatomic ? SPI_OPT_NONATOMIC : 0);
	n = claim_or_wait(topic_name, group_name, qty, vt, waiting, deadline, nonatomic);
	result = pgmqc_message_array(desc, n, caller_cxt);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, &result, &result_null)));
}

/* Fill one group if it has fewer than FILL_MIN messages ready to claim. */
static void
fill_one_group(const char *topic_name, const char *group_name)
{
	PgmqcQueue *topic = pgmqc_lookup_kind(topic_name, PGMQC_KIND_TOPIC, true);
	PgmqcGroup *group;
	Datum		args[2];
	bool		isnull;

	if (topic == NULL)
		return;
	group = pgmqc_group_lookup(topic, group_name, true);
	if (group == NULL || !pgmqc_check_group_not_dropped(topic, group, true))
		return;
	args[0] = Int64GetDatum(advance_group_lwm(group));
	args[1] = Int32GetDatum(FILL_MIN);
	pgmqc_group_run(group, STMT_GROUP_AVAILABLE, args, NULL, 1);
	if (DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									SPI_tuptable->tupdesc, 1, &isnull)) < FILL_MIN)
	{
		int64		added;

		(void) fill_group(topic, group, 0, NULL, true, &added);
	}
	/* whoever asked waits for this commit, filled or not */
	pgmqc_wake_on_commit(topic, PGMQC_WAKE_ALL, false);
}

/*
 * The background worker's part (see fill_group): fill every group of every
 * topic of this database that has fewer than FILL_MIN messages ready to
 * claim.  Each group in a subtransaction of its own: a group or topic whose
 * tables are missing fails alone (a WARNING at most once a minute per
 * group), and the others are filled.  Inside SPI, in a transaction.
 */
typedef struct FillCall
{
	const char *topic;
	const char *group;
} FillCall;

static void
run_fill_call(void *arg)
{
	FillCall   *call = (FillCall *) arg;

	fill_one_group(call->topic, call->group);
}

void
pgmqc_fill_all_groups(void)
{
	char	  **topics;
	char	  **groups;
	int32	   *ids;
	uint64		n;
	uint64		i;
	int			guard = pgmqc_plan_guard_begin();

	if (SPI_execute("SELECT q.queue_name, g.group_name, g.group_id FROM pgmq_c.groups g "
					"JOIN pgmq_c.queues q ON q.queue_id OPERATOR(pg_catalog.=) g.topic_id "
					"ORDER BY g.group_id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pgmq_c.groups");
	n = SPI_processed;
	topics = palloc((n + 1) * sizeof(char *));
	groups = palloc((n + 1) * sizeof(char *));
	ids = palloc((n + 1) * sizeof(int32));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		topics[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		groups[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		ids[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
											 SPI_tuptable->tupdesc, 3, &isnull));
	}
	for (i = 0; i < n; i++)
	{
		FillCall	call = {topics[i], groups[i]};
		ErrorData  *edata;

		CHECK_FOR_INTERRUPTS();
		edata = pgmqc_run_guarded(run_fill_call, &call);
		if (edata == NULL)
			continue;
		if (pgmqc_report_due('g', ids[i], NULL))
			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("pgmq_c worker: filling consumer group \"%s\" of topic \"%s\" failed: %s",
							groups[i], topics[i], edata->message),
					 errhint("The other groups are filled; this one is tried again and this failure is reported at most once a minute. "
							 "A group or topic whose tables are missing can be dropped with pgmq_c.drop_group() or pgmq_c.drop_topic().")));
		FreeErrorData(edata);
	}
	pgmqc_plan_guard_end(guard);
}
