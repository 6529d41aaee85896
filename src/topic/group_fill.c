/*-------------------------------------------------------------------------
 *
 * group_fill.c
 *		Fills: handing a topic's next messages to a consumer group.
 *
 * A topic's messages are stored once, in its log.  A group reads the log in
 * msg_id order through its cursor (next_id in pgmq_c.c_<topic id>): a
 * reader that finds nothing to claim in the group's table g_<group id>
 * "fills" it, copying the msg_ids of the next messages into it, as narrow
 * rows, and moving the cursor past them; readers then claim those rows
 * (group_claims.c).  One reader fills at a time: the fill locks the
 * group's cursor row with SKIP LOCKED, so the others go on claiming what is
 * there and never wait for it.  A fill copies only settled messages
 * (settled_ids.c).
 *
 * Under REPEATABLE READ or SERIALIZABLE a reader's snapshot may not show
 * messages committed after it was taken; such a reader claims what was
 * already handed to the group and never fills: it asks the worker to fill,
 * and its next transaction finds what the worker handed out (without the
 * worker, such readers get only what readers in READ COMMITTED handed out).
 *
 * The background worker fills too (pgmqc_fill_all_groups): for readers
 * inside transaction blocks, and ahead of any reader that claims past the
 * first quarter of the last fill.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_fill.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/elog.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/guarded.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "topic/topic.h"
#include "common/statements.h"

/* messages a fill examines at least (see pgmqc_group_fill) */
#define FILL_MIN				256
/*
 * ... a fill of the worker's, and the fewest ready messages it leaves alone
 * (2,048: what a fill costs whatever its size, its transaction, watermark
 * and cursor, is spread over that many messages)
 */
#define WORKER_FILL				(8 * FILL_MIN)
/* messages one fill examines at most, in all its rounds */
#define FILL_MAX				(5 * PGMQC_MAX_BATCH)

/*
 * Run one of a fill's statements: stmt_0_5 on a catalog from before 0.6's
 * retry columns; otherwise stmt where the topic has ordering keys, and
 * stmt_0_6 (the statement without them) where it has none.  Its first row
 * holds examined, last_examined and handed_out in three consecutive
 * columns from first_col.
 */
static void
run_fill_statement(PgmqcQueue *topic, PgmqcGroup *group,
				   PgmqcStatement stmt_0_5, PgmqcStatement stmt,
				   PgmqcStatement stmt_0_6, Datum *args, const char *nulls,
				   long count, int first_col, int64 *examined,
				   int64 *last_examined, int64 *handed_out)
{
	bool		isnull;

	pgmqc_group_run(group, !group->retry.catalog_has_retries ? stmt_0_5 :
					topic->has_keys ? stmt : stmt_0_6, args, nulls, count);
	*examined = pgmqc_column_int64(0, first_col, &isnull);
	*last_examined = pgmqc_column_int64(0, first_col + 1, &isnull);
	*handed_out = pgmqc_column_int64(0, first_col + 2, &isnull);
}

/*
 * Hand the group's next messages to its table, leasing up to "lease" of
 * them to this reader for vt at once (they are then in SPI_tuptable, a
 * message row per lease, with the FILL_COL_* columns after it).  Returns
 * how many it leased, PGMQC_FILL_BUSY when another reader is filling the
 * group right now, PGMQC_FILL_ASKED when the worker was asked to, or
 * PGMQC_FILL_MORE when it leased nothing in FILL_MAX messages and more are
 * settled.  *added tells how many it handed to the group in all.
 *
 * A fill examines FILL_MIN messages, or as many as it leases when that is a
 * quarter of FILL_MIN or more (a big batch is handed out and leased in one
 * insert, with no update), and eight times the lease when readers found
 * the group being filled lately: what it does not lease stays in the
 * group's table for its other readers.  While that finds nothing it may
 * lease (for the worker: nothing that passes the group's filter), it goes
 * on through the settled messages, examining twice as many each round, up
 * to FILL_MAX messages in all: a group far behind a topic of millions of
 * delayed or filtered-out messages moves through them in transactions of
 * bounded size, each committing its progress.  A waiting reader then fills
 * again at once (group_claims.c); the worker asks itself for another fill.
 *
 * The fill holds the group's cursor row locked until the transaction ends,
 * and the rows it adds are visible to the group's other readers only then.
 * A reader inside a transaction block (BEGIN ... COMMIT) may keep its
 * transaction open for long, so it asks the background worker to fill in a
 * transaction of its own, and is woken at the worker's commit; it fills
 * itself only when there is no worker.
 */
int
pgmqc_group_fill(PgmqcQueue *topic, PgmqcGroup *group, int32 lease,
				 Interval *vt, bool in_worker, int64 *added)
{
	int64		settled;
	int64		next_id;
	int64		first_id;
	int64		examined;
	int64		examined_in_all = 0;
	int64		last_examined;
	int32		limit;
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	bool		none_leased;
	bool		contended;
	bool		stopped_short = false;
	int32		block_size = 0;
	Interval	zero;

	*added = 0;
	if (in_worker && IsolationUsesXactSnapshot())
		return 0;
	settled = pgmqc_topic_settled_through(topic, false);

	/*
	 * Nothing new since we last looked.  The watermark's look reads the
	 * cursor again once WATERMARK_INTERVAL_MS has passed, under a transaction
	 * snapshot too (group_watermark.c): a seek may have moved it back.
	 */
	if (group->cursor_seen > settled)
		return 0;
	if (!in_worker && (IsTransactionBlock() || IsolationUsesXactSnapshot()))
	{
		/* is there anything to fill?  (no lock: the cursor as committed) */
		args[0] = Int32GetDatum(group->group_id);
		if (pgmqc_group_run(group, STMT_GROUP_CURSOR, args, NULL, 1) == 1)
			group->cursor_seen = pgmqc_column_int64(0, CURSOR_COL_NEXT_ID, &isnull);
		if (group->cursor_seen > settled)
			return 0;
		if (IsolationUsesXactSnapshot())
		{
			/*
			 * This snapshot may not show messages committed after it was
			 * taken behind the settled id, and a fill would move the cursor
			 * past them: the worker fills, for this reader's next transaction
			 * (this one would not see the rows; no wait).
			 */
			(void) pgmqc_request_fill(topic->queue_id, group->group_id, true);
			return 0;
		}
		if (pgmqc_request_fill(topic->queue_id, group->group_id, true))
			return PGMQC_FILL_ASKED;
	}

	args[0] = Int32GetDatum(group->group_id);
	if (pgmqc_group_run(group, STMT_GROUP_LOCK_CURSOR, args, NULL, 1) == 0)
	{
		/* tell the one filling that others want messages too */
		if (pgmqc_shared != NULL)
			pg_atomic_write_u32(&pgmqc_slot(topic->queue_id)->fill_contended, 1);
		return PGMQC_FILL_BUSY;
	}
	next_id = pgmqc_column_int64(0, CURSOR_COL_NEXT_ID, &isnull);
	group->cursor_seen = next_id;
	if (next_id > settled)
		return 0;

	limit = lease >= FILL_MIN / 4 ? lease : FILL_MIN;
	if (in_worker)
	{
		limit = WORKER_FILL;	/* readers in transaction blocks wait for it */

		/*
		 * Blocks of the readers' size (group_blocks.c): whole ones, so that a
		 * reader does not end its batch on the fill's last, part block.
		 */
		block_size = pgmqc_group_block_size(topic->queue_id);
		if (block_size > 0)
			limit = (limit + block_size - 1) / block_size * block_size;
	}
	contended = pgmqc_shared != NULL &&
		pg_atomic_exchange_u32(&pgmqc_slot(topic->queue_id)->fill_contended, 0) != 0;
	if (contended)
		limit = Max(limit, 8 * lease);
	limit = Min(limit, PGMQC_MAX_BATCH);

	memset(&zero, 0, sizeof(zero));
	args[1] = Int64GetDatum(settled);
	args[3] = group->filter ? JsonbPGetDatum(group->filter) : (Datum) 0;
	if (group->filter == NULL)
		nulls[3] = 'n';
	args[4] = Int32GetDatum(lease);
	args[5] = IntervalPGetDatum(vt ? vt : &zero);
	first_id = next_id;

	/*
	 * Until it finds what it is for (a message it may lease; for the worker,
	 * one that passes the filter) or has seen every settled message: a reader
	 * must not come back empty-handed while a message it could claim lies
	 * behind messages the group's filter leaves out, or behind delayed
	 * messages and the later ones of busy ordering keys. What it examines is
	 * handed out once, so the cursor never walks it again; the examined range
	 * doubles each round.
	 */
	for (;;)
	{
		int64		handed_out;

		args[0] = Int64GetDatum(next_id);
		args[2] = Int32GetDatum(limit);
		if (lease > 0)
		{
			run_fill_statement(topic, group, STMT_GROUP_FILL_0_5, STMT_GROUP_FILL,
							   STMT_GROUP_FILL_0_6, args, nulls, 0,
							   FILL_COL_EXAMINED, &examined, &last_examined,
							   &handed_out);
			(void) pgmqc_column(0, MESSAGE_COL_MSG_ID, &none_leased);
		}
		else
		{
			/*
			 * The worker's: no lease, no message bodies to read; without a
			 * statement when the tables are as pgmq_c makes them
			 * (group_hand_out.c).
			 */
			if (!group->retry.catalog_has_retries ||
				!pgmqc_group_hand_out(topic, group, next_id, settled, limit,
									  block_size,
									  &examined, &last_examined, &handed_out))
			{
				run_fill_statement(topic, group, STMT_GROUP_HAND_OUT_0_5,
								   STMT_GROUP_HAND_OUT, STMT_GROUP_HAND_OUT_0_6,
								   args, nulls, 1, HAND_OUT_COL_EXAMINED,
								   &examined, &last_examined, &handed_out);
			}
			none_leased = true;
		}
		*added += handed_out;
		if (examined < limit)
		{
			next_id = settled + 1;	/* every message up to the settled id was
									 * seen */
			break;
		}
		next_id = last_examined + 1;
		examined_in_all += examined;
		if (next_id > settled || (lease > 0 ? !none_leased : handed_out > 0))
			break;
		if (examined_in_all >= FILL_MAX)
		{
			stopped_short = true;
			break;
		}
		CHECK_FOR_INTERRUPTS();
		SPI_freetuptable(SPI_tuptable);
		limit = Min(Min(2 * limit, PGMQC_MAX_BATCH), FILL_MAX - examined_in_all);
	}

	/*
	 * The reader that claims the first quarter of what this fill leaves the
	 * group asks the worker for the next (shmem.c), so that the worker fills
	 * while the readers still have messages: those in transaction blocks wait
	 * for its fills, and autocommit ones need not fill themselves. (At the
	 * middle, until session 53, four block readers taking batches of 100
	 * still found the group empty now and then: 96.6-97.8 messages per call
	 * against 99.9-100 from the first quarter.)
	 */
	if (pgmqc_shared != NULL && *added > (none_leased ? 0 : (int64) SPI_processed))
		pgmqc_set_refill_mark(topic->queue_id, first_id + (next_id - first_id) / 4);

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
		pgmqc_wake_on_abort(topic->queue_id, PGMQC_WAKE_ALL);
		/* for every sleeper, even one to come (see pgmqc_claim_wakeups) */
		pgmqc_publish_due(topic->queue_id, pgmqc_now_plus(vt));
	}

	/*
	 * What this reader does not take, the group's other readers may; and
	 * those who found the group being filled wait for this commit.
	 */
	if ((*added > (int64) SPI_processed || contended) && pgmqc_shared != NULL)
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
	if (stopped_short)
	{
		/* the worker's next round goes on from here */
		if (in_worker)
			(void) pgmqc_request_fill(topic->queue_id, group->group_id, true);
		return PGMQC_FILL_MORE;
	}
	return (int) SPI_processed;
}

/*
 * Fill one group if it has fewer than WORKER_FILL messages ready to claim.
 * Those are counted only when they may be so many: the rows a fill handed
 * out and no claim has reached lie between the group's claim front (the
 * highest msg_id its claims leased, in shared memory) and its cursor, so
 * when fewer ids than WORKER_FILL lie there, the group is filled without a
 * count; and the count starts at the front, not at the group's watermark,
 * so that it does not walk the rows leased now.  (Rows behind the front
 * whose lease ended are in neither: such a group may be handed its next
 * messages a little early, which costs only their earlier insert.)  A
 * request from a reader whose claim came back short (short_read) is filled
 * without a count: rows that other readers' open transactions have leased
 * still look ready to the worker's snapshot, and readers in transaction
 * blocks, who never fill themselves, would get nothing while those
 * transactions last.
 */
static void
fill_one_group(const char *topic_name, const char *group_name, bool short_read)
{
	PgmqcQueue *topic = pgmqc_lookup_kind(topic_name, PGMQC_KIND_TOPIC, true);
	PgmqcGroup *group;
	Datum		args[3];
	bool		isnull;
	int64		watermark;
	int64		front;
	int64		seek_count;

	if (topic == NULL)
		return;
	group = pgmqc_group_lookup(topic, group_name, true);
	if (group == NULL || !pgmqc_check_group_not_dropped(topic, group, true))
		return;
	watermark = pgmqc_group_watermark(group);
	front = Max(watermark, pgmqc_shared_claim_front(topic->queue_id,
													group->cache.relid));
	if (!short_read && group->cursor_seen - front >= WORKER_FILL)
	{
		args[0] = Int64GetDatum(front);
		args[1] = Int32GetDatum(WORKER_FILL);
		/* a count, not a bound: the blocks' start whatever its seek count */
		args[2] = Int64GetDatum(pgmqc_shared_blocks_from(topic->queue_id,
														 group->group_id,
														 group->cache.relid,
														 &seek_count));
		pgmqc_group_run(group, STMT_GROUP_AVAILABLE, args, NULL, 1);
	}

	/*
	 * A reader found nothing to claim: the blocks nobody holds become rows
	 * (group_blocks.c) for readers of few messages inside transaction blocks,
	 * which take no block, when one of them asked (the slot's flag: not the
	 * block size the slot suggests, which is the last reader's of any group
	 * of the slot's topics, of any database, and which batch readers of
	 * another group could keep at their size, review h56) or the slot's
	 * readers ask for few.  Not for a batch reader that ran short: it would
	 * then claim rows, the dearer way (in session 57's profile a worker that
	 * turned blocks into rows at every short read made the batch readers'
	 * claims of rows cost twice the block takes').
	 */
	if (short_read && pgmqc_group_unblock_wanted(topic->queue_id))
		(void) pgmqc_group_unblock(topic, group, WORKER_FILL);
	if (short_read || group->cursor_seen - front < WORKER_FILL ||
		pgmqc_column_int64(0, VALUE_COL, &isnull) < WORKER_FILL)
	{
		int64		added;

		(void) pgmqc_group_fill(topic, group, 0, NULL, true, &added);
	}
	/* whoever asked waits for this commit, filled or not */
	pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
}

/* The arguments of fill_one_group, run guarded. */
typedef struct FillCall
{
	const char *topic;
	const char *group;
	bool		short_read;
} FillCall;

static void
run_fill_call(void *arg)
{
	FillCall   *call = (FillCall *) arg;

	fill_one_group(call->topic, call->group, call->short_read);
}

/*
 * The background worker's part (see pgmqc_group_fill): fill every group
 * whose readers asked since the last call (shmem.c) that has fewer than
 * WORKER_FILL messages ready to claim.  Each group in a subtransaction of its own: a group or topic
 * whose tables are missing fails alone (a WARNING at most once a minute per
 * group), and the others are filled.  Inside SPI, in a transaction.
 */
void
pgmqc_fill_all_groups(void)
{
	char	  **topics;
	char	  **groups;
	int32	   *ids;
	int32	   *topic_ids;
	bool	   *wanted;
	bool	   *short_read;
	uint64		n;
	uint64		i;
	int			guard = pgmqc_plan_guard_begin();

	/* read-only (see the statement): as the worker's snapshot shows it */
	n = pgmqc_run_catalog(STMT_ALL_GROUPS, NULL, NULL, 0);
	topics = palloc((n + 1) * sizeof(char *));
	groups = palloc((n + 1) * sizeof(char *));
	ids = palloc((n + 1) * sizeof(int32));
	topic_ids = palloc((n + 1) * sizeof(int32));
	wanted = palloc((n + 1) * sizeof(bool));
	short_read = palloc((n + 1) * sizeof(bool));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		topics[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
								 ALL_GROUPS_COL_TOPIC_NAME);
		groups[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
								 ALL_GROUPS_COL_GROUP_NAME);
		ids[i] = DatumGetInt32(pgmqc_column(i, ALL_GROUPS_COL_GROUP_ID, &isnull));
		topic_ids[i] = DatumGetInt32(pgmqc_column(i, ALL_GROUPS_COL_TOPIC_ID, &isnull));
	}
	pgmqc_take_fill_requests(topic_ids, ids, (int) n, wanted, short_read);
	for (i = 0; i < n; i++)
	{
		FillCall	call = {topics[i], groups[i], short_read[i]};
		ErrorData  *edata;

		CHECK_FOR_INTERRUPTS();
		if (!wanted[i])
			continue;
		edata = pgmqc_run_guarded(run_fill_call, &call);
		if (edata == NULL)
			continue;
		if (pgmqc_report_due('g', ids[i], NULL))
			ereport(edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ? LOG : WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("pgmq_c worker: filling consumer group \"%s\" of topic \"%s\" failed: %s",
							groups[i], topics[i], edata->message),
					 errhint("The other groups are filled; this one is tried again and this failure is reported at most once a minute. "
							 "A group or topic whose tables are missing can be dropped with pgmq_c.drop_group() or pgmq_c.drop_topic().")));
		FreeErrorData(edata);
	}
	pgmqc_plan_guard_end(guard);
}
