/*-------------------------------------------------------------------------
 *
 * topic_publish.h
 *		Sending to a topic's log (topic/topic_publish.c) and a topic's
 *		pgmq_c.queue_metrics row (topic/topic_statistics.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/topic_publish.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_TOPIC_PUBLISH_H
#define PGMQC_TOPIC_PUBLISH_H

#include "datatype/timestamp.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "common/object_cache.h"

/* topic_publish.c */
extern int64 pgmqc_topic_publish(PgmqcQueue *topic, Jsonb *message,
								 Jsonb *headers, Interval *delay);
extern int	pgmqc_topic_publish_batch(PgmqcQueue *topic, ArrayType *messages,
									  ArrayType *headers, int count,
									  Interval *delay);
extern void pgmqc_topic_batch_published(PgmqcQueue *topic, int64 *msg_ids,
										int count, Interval *delay);

/* topic_statistics.c */
extern void pgmqc_topic_metrics_row(PgmqcQueue *topic, Datum *values,
									bool *nulls);

#endif							/* PGMQC_TOPIC_PUBLISH_H */
