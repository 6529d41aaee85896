/*-------------------------------------------------------------------------
 *
 * topic_publish.c
 *		Sending to a topic: appending messages to its log.
 *
 * A topic's log t_<id> is partitioned by msg_id range.  Before a send the
 * partitions for the ids about to be drawn must exist
 * (pgmqc_topic_before_send); a single message is then inserted straight
 * into its partition, its msg_id drawn here, because routing a row through
 * the partitioned log costs more than the insert itself: written directly
 * (heap and index inserts, common/direct_rows.c), or by a kept statement
 * when the partition is not as pgmq_c made it (a trigger, a CHECK
 * constraint, a column added by a superuser).  A batch goes through the
 * log.  deliver_at is NULL unless the message is delayed.
 *
 * Ordering rules relied on by the settled ids of topics: the sending
 * transaction has its XID assigned before it draws a msg_id
 * (pgmqc_send_begin, common/sending.c), and it is
 * registered as a sender of the topic (senders.c) before that, so that a
 * reader can tell when every transaction that may still add to the log
 * has ended.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/topic_publish.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/direct_rows.h"
#include "common/intervals.h"
#include "common/sending.h"
#include "common/statements.h"
#include "topic/topic.h"
#include "common/object_cache.h"

/*
 * The kept statement that inserts into the partition of msg_id, made first
 * if it is missing.
 */
static SPIPlanPtr
partition_plan(PgmqcQueue *topic, int64 msg_id)
{
	int64		partition = msg_id / topic->partition_size;
	Oid			relid = pgmqc_relation_oid(REL_LOG_PARTITION, topic->queue_id,
										   partition);
	SPIPlanPtr	plan;

	/*
	 * A partition detached by hand still has its name: a row written there
	 * would be in no group's reach.  Refuse as routing through the log would
	 * (send_batch does).
	 */
	if (OidIsValid(relid) &&
		!(get_rel_relispartition(relid) &&
#if PG_VERSION_NUM >= 140000
		  get_partition_parent(relid, true) == topic->cache.relid
#else
		  get_partition_parent(relid) == topic->cache.relid
#endif
		  ))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("no partition of relation \"%s\" found for row",
						get_rel_name(topic->cache.relid)),
				 errdetail("Table \"pgmq_c.%s\", where msg_id " INT64_FORMAT " of topic \"%s\" belongs, is not a partition of the topic's log.",
						   get_rel_name(relid), msg_id, topic->name),
				 errhint("Attach it again with ALTER TABLE ... ATTACH PARTITION, or drop it.")));
	plan = pgmqc_partition_send_plan(topic, partition);

	if (plan != NULL)
		return plan;
	/* made after pgmqc_topic_before_send looked: only in a race */
	pgmqc_create_partition(topic->queue_id, topic->partition_size, partition);
	plan = pgmqc_partition_send_plan(topic, partition);
	if (plan == NULL)
		elog(ERROR, "could not make the partition for msg_id " INT64_FORMAT " of topic \"%s\"",
			 msg_id, topic->name);
	return plan;
}

/* The columns of a topic's log (0.7.0 added ordering_key). */
typedef enum PublishColumn
{
	PUBLISH_COLUMN_MSG_ID,
	PUBLISH_COLUMN_ENQUEUED_AT,
	PUBLISH_COLUMN_DELIVER_AT,
	PUBLISH_COLUMN_MESSAGE,
	PUBLISH_COLUMN_HEADERS,
	PUBLISH_COLUMN_ORDERING_KEY,
	PUBLISH_NUM_COLUMNS
} PublishColumn;

/*
 * Partition partno of topic's log, opened RowExclusiveLock for a direct
 * row; NULL when it does not exist (yet).
 */
static Relation
open_partition(PgmqcQueue *topic, int64 partno)
{
	char		name[NAMEDATALEN];
	Relation	rel;

	pgmqc_relation_name(name, REL_LOG_PARTITION, topic->queue_id, partno);
	if (topic->partition_relid_number != partno)
	{
		topic->partition_relid = pgmqc_relation_oid(REL_LOG_PARTITION,
													topic->queue_id, partno);
		topic->partition_relid_number = OidIsValid(topic->partition_relid) ?
			partno : -1;
	}
	rel = OidIsValid(topic->partition_relid) ?
		try_table_open(topic->partition_relid, RowExclusiveLock) : NULL;
	if (rel != NULL &&
		(!rel->rd_rel->relispartition ||
		 strcmp(RelationGetRelationName(rel), name) != 0))
	{
		/* dropped, and its OID taken by another relation since */
		table_close(rel, RowExclusiveLock);
		rel = NULL;
	}
	if (rel == NULL)
		topic->partition_relid_number = -1;
	return rel;
}

/*
 * Append message msg_id (headers and ordering_key may be NULL) due after
 * delay by inserting its row into its partition directly; false when the
 * partition does not exist or is not as pgmq_c made it (the caller then
 * runs the statement).
 */
static bool
publish_direct(PgmqcQueue *topic, int64 msg_id, Jsonb *message,
			   Jsonb *headers, Interval *delay, text *ordering_key)
{
	PgmqcDirectColumn columns[PUBLISH_NUM_COLUMNS] = {
		[PUBLISH_COLUMN_MSG_ID] = {"msg_id", INT8OID, true},
		[PUBLISH_COLUMN_ENQUEUED_AT] = {"enqueued_at", TIMESTAMPTZOID, true},
		[PUBLISH_COLUMN_DELIVER_AT] = {"deliver_at", TIMESTAMPTZOID, true},
		[PUBLISH_COLUMN_MESSAGE] = {"message", JSONBOID, true},
		[PUBLISH_COLUMN_HEADERS] = {"headers", JSONBOID, true},
		[PUBLISH_COLUMN_ORDERING_KEY] = {"ordering_key", TEXTOID,
		ordering_key != NULL},
	};
	Relation	rel = open_partition(topic, msg_id / topic->partition_size);
	int		   *map;
	TimestampTz now;

	if (rel == NULL)
		return false;
	map = pgmqc_direct_columns_fit(rel, columns, PUBLISH_NUM_COLUMNS);
	if (map == NULL)
	{
		table_close(rel, RowExclusiveLock);
		return false;
	}

	now = GetCurrentTimestamp();
	columns[PUBLISH_COLUMN_MSG_ID].value = Int64GetDatum(msg_id);
	columns[PUBLISH_COLUMN_ENQUEUED_AT].value = TimestampTzGetDatum(now);
	if (pgmqc_interval_is_zero(delay))
		columns[PUBLISH_COLUMN_DELIVER_AT].isnull = true;
	else
		columns[PUBLISH_COLUMN_DELIVER_AT].value =
			DirectFunctionCall2(timestamptz_pl_interval,
								TimestampTzGetDatum(now),
								IntervalPGetDatum(delay));
	columns[PUBLISH_COLUMN_MESSAGE].value = JsonbPGetDatum(message);
	columns[PUBLISH_COLUMN_HEADERS].value = PointerGetDatum(headers);
	columns[PUBLISH_COLUMN_HEADERS].isnull = headers == NULL;
	columns[PUBLISH_COLUMN_ORDERING_KEY].value = PointerGetDatum(ordering_key);
	columns[PUBLISH_COLUMN_ORDERING_KEY].isnull = ordering_key == NULL;
	pgmqc_direct_insert_columns(rel, columns, map);
	pfree(map);
	table_close(rel, NoLock);

	/* the statements that follow in this transaction see the message */
	CommandCounterIncrement();
	return true;
}

/*
 * Before a send of count messages: the send statement's first parameters
 * (SEND_ARG_*; the delay NULL when there is none) and the transaction's
 * XID, recorded as a sender of the topic; then its partitions ready.
 */
static void
begin_publish(PgmqcQueue *topic, Datum *values, char *nulls, Datum messages,
			  Pointer headers, Interval *delay, int count)
{
	/*
	 * From the moment it is a sender of the topic, the transaction holds back
	 * the messages sent after it (settled_ids.c): rolled back, even by an
	 * error in this send, it must wake their readers.
	 */
	pgmqc_wake_on_abort(topic->queue_id, PGMQC_WAKE_ALL);

	/*
	 * The log's lock before any msg_id is drawn, held to the end of the
	 * transaction: rotation (maintenance.c) moves the sequence on to the next
	 * partition under LOCK ... SHARE ROW EXCLUSIVE NOWAIT on the log, which
	 * must mean that no msg_id is being drawn.  A batch's insert took it only
	 * after the batch drew its msg_ids (since session 54: before, nextval ran
	 * in the insert), and a single send, which writes straight into its
	 * partition, not at all: a rotation between its read of the sequence and
	 * its setval could move the sequence back below msg_ids just drawn, which
	 * were then handed out twice (review h43).
	 */
	if (OidIsValid(topic->cache.relid))
		LockRelationOid(topic->cache.relid, RowExclusiveLock);
	pgmqc_send_begin(topic, values, nulls, messages, headers, delay);
	if (pgmqc_interval_is_zero(delay))
		nulls[SEND_ARG_DELAY] = 'n';
	pgmqc_topic_before_send(topic, count);
}

/*
 * Draw the msg_id of one message (headers may be NULL) due after delay, to
 * be appended with pgmqc_topic_publish_drawn() (or, when it is not sent
 * after all, left unused: the id is then skipped, as a rolled-back send's
 * is).
 */
void
pgmqc_topic_draw(PgmqcQueue *topic, Jsonb *message, Jsonb *headers,
				 Interval *delay, PgmqcTopicDraw *draw)
{
	begin_publish(topic, draw->values, draw->nulls, JsonbPGetDatum(message),
				  (Pointer) headers, delay, 1);
	draw->msg_id = DatumGetInt64(DirectFunctionCall1(nextval_oid,
													 ObjectIdGetDatum(topic->sequence_relid)));
	pgmqc_sender_drew(topic->queue_id, draw->msg_id);
}

/*
 * Append the message whose msg_id pgmqc_topic_draw() drew (the same
 * message, headers and delay), with ordering_key (may be NULL); returns its
 * msg_id.
 */
int64
pgmqc_topic_publish_drawn(PgmqcQueue *topic, PgmqcTopicDraw *draw,
						  Jsonb *message, Jsonb *headers, Interval *delay,
						  text *ordering_key)
{
	int64		msg_id = draw->msg_id;

	draw->values[SEND_NUM_ARGS] = Int64GetDatum(msg_id);
	draw->nulls[SEND_NUM_ARGS] = ' ';
	draw->values[SEND_NUM_ARGS + 1] = PointerGetDatum(ordering_key);
	draw->nulls[SEND_NUM_ARGS + 1] = ordering_key ? ' ' : 'n';
	if (!publish_direct(topic, msg_id, message, headers, delay, ordering_key) &&
		SPI_execute_plan(partition_plan(topic, msg_id), draw->values,
						 draw->nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not send to topic \"%s\"", topic->name);

	pgmqc_topic_sent(topic, msg_id, 1, delay);
	return msg_id;
}

/*
 * The message whose msg_id pgmqc_topic_draw() drew is not sent after all
 * (a resend of a known dedup id): the id is skipped.  The transaction was
 * made a sender of the topic by the draw, and so holds back the messages
 * sent after it until it ends: its commit wakes their readers, as its
 * rollback does (begin_publish).
 */
void
pgmqc_topic_draw_unused(PgmqcQueue *topic, PgmqcTopicDraw *draw)
{
	if (pgmqc_shared != NULL)
		pgmqc_wake_on_commit(topic->queue_id, PGMQC_WAKE_ALL, false);
}

/*
 * Append one message (headers may be NULL) to a topic's log, due after
 * delay; returns its msg_id.
 */
int64
pgmqc_topic_publish(PgmqcQueue *topic, Jsonb *message, Jsonb *headers,
					Interval *delay, text *ordering_key)
{
	PgmqcTopicDraw draw;

	pgmqc_topic_draw(topic, message, headers, delay, &draw);
	return pgmqc_topic_publish_drawn(topic, &draw, message, headers, delay,
									 ordering_key);
}

/*
 * Append a batch of count messages (jsonb[]; headers, if not NULL, a
 * jsonb[] of the same length) to a topic's log, due after delay.  Returns how many;
 * their msg_ids are the rows of SPI_tuptable.  The caller then passes them,
 * sorted, to pgmqc_topic_batch_published().
 *
 * The msg_ids are drawn first, and the partitions made for them if they
 * are not there, before the insert routes the rows: the check before the
 * draw (begin_publish) allows for one batch drawn meanwhile by others, and
 * several senders of large batches at once draw more than that (review
 * h42: four senders of 10,000 on a topic of 1,000 per partition failed
 * with "no partition of relation ... found for row" at every batch).
 */
int
pgmqc_topic_publish_batch(PgmqcQueue *topic, ArrayType *messages,
						  ArrayType *headers, int count, Interval *delay,
						  ArrayType *ordering_keys)
{
	Datum		values[SEND_NUM_ARGS + 2];
	char		nulls[SEND_NUM_ARGS + 2];
	Datum	   *ids;
	int64		before;
	int			i;

	begin_publish(topic, values, nulls, PointerGetDatum(messages),
				  (Pointer) headers, delay, count);
	values[SEND_NUM_ARGS] = PointerGetDatum(ordering_keys);
	nulls[SEND_NUM_ARGS] = ordering_keys ? ' ' : 'n';

	/* every msg_id drawn from here on, by anyone, is above before */
	before = pgmqc_last_id_drawn(topic);
	ids = palloc(count * sizeof(Datum));
	for (i = 0; i < count; i++)
		ids[i] = DirectFunctionCall1(nextval_oid,
									 ObjectIdGetDatum(topic->sequence_relid));
	if (count > 0)
		pgmqc_topic_partitions_for(topic, before,
								   DatumGetInt64(ids[count - 1]));
	values[SEND_NUM_ARGS + 1] = PointerGetDatum(construct_array(ids, count, INT8OID,
																sizeof(int64), FLOAT8PASSBYVAL,
																TYPALIGN_DOUBLE));
	nulls[SEND_NUM_ARGS + 1] = ' ';
	pfree(ids);
	return pgmqc_queue_run(topic, STMT_TOPIC_SEND_BATCH, values, nulls, 0);
}

/*
 * After a batch was appended: its msg_ids, ascending, count of them.
 * Arranges the wake-ups of the topic's readers and the next partitions.
 */
void
pgmqc_topic_batch_published(PgmqcQueue *topic, int64 *msg_ids, int count,
							Interval *delay)
{
	if (count > 0)
	{
		pgmqc_sender_drew(topic->queue_id, msg_ids[0]);
		pgmqc_topic_sent(topic, msg_ids[count - 1], count, delay);
	}
}
