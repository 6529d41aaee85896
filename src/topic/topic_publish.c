/*-------------------------------------------------------------------------
 *
 * topic_publish.c
 *		Sending to a topic: appending messages to its log.
 *
 * A topic's log t_<id> is partitioned by msg_id range.  Before a send the
 * partitions for the ids about to be drawn must exist
 * (pgmqc_topic_before_send); a single message is then inserted straight
 * into its partition, its msg_id drawn here, because routing a row through
 * the partitioned log costs more than the insert itself.  A batch goes
 * through the log.  deliver_at is NULL unless the message is delayed.
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

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
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
	SPIPlanPtr	plan = pgmqc_partition_send_plan(topic, partition);

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
	pgmqc_send_begin(topic->queue_id, values, nulls, messages, headers, delay);
	if (pgmqc_interval_is_zero(delay))
		nulls[SEND_ARG_DELAY] = 'n';
	pgmqc_topic_before_send(topic, count);
}

/*
 * Append one message (headers may be NULL) to a topic's log, due after
 * delay; returns its msg_id.
 */
int64
pgmqc_topic_publish(PgmqcQueue *topic, Jsonb *message, Jsonb *headers,
					Interval *delay, text *ordering_key)
{
	Datum		values[SEND_NUM_ARGS + 2];
	char		nulls[SEND_NUM_ARGS + 2];
	int64		msg_id;

	begin_publish(topic, values, nulls, JsonbPGetDatum(message),
				  (Pointer) headers, delay, 1);
	msg_id = DatumGetInt64(DirectFunctionCall1(nextval_oid,
											   ObjectIdGetDatum(topic->sequence_relid)));
	values[SEND_NUM_ARGS] = Int64GetDatum(msg_id);
	nulls[SEND_NUM_ARGS] = ' ';
	values[SEND_NUM_ARGS + 1] = PointerGetDatum(ordering_key);
	nulls[SEND_NUM_ARGS + 1] = ordering_key ? ' ' : 'n';
	if (SPI_execute_plan(partition_plan(topic, msg_id), values, nulls,
						 false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not send to topic \"%s\"", topic->name);

	pgmqc_topic_sent(topic, msg_id, 1, delay);
	return msg_id;
}

/*
 * Append a batch of count messages (jsonb[]; headers, if not NULL, a
 * jsonb[] of the same length) to a topic's log, due after delay.  Returns how many;
 * their msg_ids are the rows of SPI_tuptable.  The caller then passes them,
 * sorted, to pgmqc_topic_batch_published().
 */
int
pgmqc_topic_publish_batch(PgmqcQueue *topic, ArrayType *messages,
						  ArrayType *headers, int count, Interval *delay,
						  ArrayType *ordering_keys)
{
	Datum		values[SEND_NUM_ARGS + 1];
	char		nulls[SEND_NUM_ARGS + 1];

	begin_publish(topic, values, nulls, PointerGetDatum(messages),
				  (Pointer) headers, delay, count);
	values[SEND_NUM_ARGS] = PointerGetDatum(ordering_keys);
	nulls[SEND_NUM_ARGS] = ordering_keys ? ' ' : 'n';
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
		pgmqc_topic_sent(topic, msg_ids[count - 1], count, delay);
}
