/*-------------------------------------------------------------------------
 *
 * topic.h
 *		The topic engine: settled ids, partitions of a topic's log, what a
 *		send does around its insert, consumer groups (storage, fills,
 *		claims, acks, seek, statistics) and maintenance (rotation,
 *		retention).
 *
 * Calls go one way inside the engine: group claims -> fills -> settled ids
 * and group watermarks; maintenance, send support, seek and topic storage
 * -> partitions.  The send path itself is topic_publish.c and a topic's
 * metrics row topic_statistics.c.  Everything here runs inside SPI and
 * the extension context, opened by an entry point (src/functions/) or the
 * background worker.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/topic.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_TOPIC_H
#define PGMQC_TOPIC_H

#include "datatype/timestamp.h"
#include "storage/lockdefs.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

#include "pgmq_c.h"
#include "common/object_cache.h"
#include "common/sending.h"

/* settled_ids.c */
extern int64 pgmqc_topic_settled_through(PgmqcQueue *topic, bool wait);

/* partitions.c */
extern void pgmqc_lock_partitions(int32 topic_id);
extern bool pgmqc_partition_exists(int32 topic_id, int64 partno);
extern bool pgmqc_partition_range(int32 topic_id, int64 *lowest, int64 *highest);
extern int64 *pgmqc_partition_numbers(int32 topic_id, int *count);
extern Relation pgmqc_log_partition_open(Oid relid, int ncolumns,
										 const char *const *columns,
										 const Oid *types, int nrequired,
										 AttrNumber *attnums, Relation *index,
										 bool *plain);
extern void pgmqc_create_partition(int32 topic_id, int64 partition_size,
								   int64 partno);
extern void pgmqc_create_first_partitions(int32 topic_id, int64 partition_size,
										  int64 first, bool unlogged);

/* send_support.c: called by the send path before and after its insert */
extern void pgmqc_topic_before_send(PgmqcQueue *topic, int count);
extern void pgmqc_topic_partitions_for(PgmqcQueue *topic, int64 before,
									   int64 last_id);
extern void pgmqc_topic_sent(PgmqcQueue *topic, int64 last_id, int count,
							 Interval *delay);

/* topic_storage.c */
extern int32 pgmqc_topic_create(const char *name, Interval *retention,
								int64 partition_size, bool unlogged);
extern void pgmqc_topic_set_durability(int32 topic_id, bool unlogged);
extern bool pgmqc_topic_try_lock_tables(int32 topic_id, bool durability,
										Oid *busy);
extern void pgmqc_topic_drop_storage(int32 topic_id);

/* group_storage.c */
extern int32 pgmqc_group_create(int32 topic_id, const char *group_name,
								const char *start_at, Interval *vt,
								Jsonb *filter, int64 start);
extern int32 pgmqc_group_id_for_drop(int32 topic_id, const char *group_name);
extern void pgmqc_group_drop_storage(int32 topic_id, int32 group_id);

/* group_watermark.c */
extern int64 pgmqc_group_watermark(PgmqcGroup *group);

/*
 * Reading the bodies of a topic's messages from its log's partitions
 * (log_bodies.c), for a group's direct claim.
 */
#define PGMQC_LOG_BODY_COLUMNS	3	/* enqueued_at, message, headers */

typedef struct PgmqcLogBodies
{
	int32		topic_id;
	int64		partition_size;
	int64		partno;			/* the partition last opened, or -1 */
	Relation	rel;			/* it, when it could be read */
	Relation	index;			/* its primary key */
	struct TupleTableSlot *slot;
	AttrNumber	attnums[PGMQC_LOG_BODY_COLUMNS];
	struct IndexScanDescData *scan; /* a walk of the primary key, or NULL */
	Snapshot	scan_snapshot;	/* the snapshot it reads with */
	int64		scan_end;		/* the last msg_id of its range */
	bool		scan_on_entry;	/* it stands on an entry not yet fetched */
	int64		scan_key;		/* that entry's msg_id */
} PgmqcLogBodies;

extern void pgmqc_log_bodies_begin(PgmqcLogBodies *bodies, PgmqcQueue *topic);
extern void pgmqc_log_bodies_end(PgmqcLogBodies *bodies);
extern bool pgmqc_log_body(int64 msg_id, Snapshot snapshot, Datum *values,
						   bool *nulls, void *arg);

/*
 * The columns of a group's table g_<id> that the worker's hand-out
 * (group_hand_out.c) and the takers of blocks (group_blocks.c) write, in
 * the order of their PgmqcDirectColumn arrays
 */
enum
{
	GROUP_COL_MSG_ID,
	GROUP_COL_READ_CT,
	GROUP_COL_VT,
	GROUP_COL_LEASED,
	GROUP_COL_REASON,
	GROUP_COL_ORDERING_KEY,
	GROUP_COLUMNS
};

/* group_hand_out.c */
extern Oid	pgmqc_next_log_partition(int32 topic_id, int64 *partno,
									 int64 last_partno, int64 **numbers,
									 int *count);
extern bool pgmqc_group_hand_out(PgmqcQueue *topic, PgmqcGroup *group,
								 int64 next_id, int64 settled, int32 limit,
								 int32 block_size, int64 *examined,
								 int64 *last_examined, int64 *handed_out);

/* group_blocks.c */
typedef struct PgmqcBlocks
{
	Relation	rel;			/* pgmq_c.group_blocks */
	Relation	index;			/* its primary key (group_id, first_id) */
	AttrNumber	attnums[5];		/* group_id, first_id, next_id, last_id,
								 * messages */
} PgmqcBlocks;

extern bool pgmqc_group_blocks_enabled;
extern bool pgmqc_blocks_open(PgmqcBlocks *blocks, LOCKMODE lockmode);
extern void pgmqc_blocks_close(PgmqcBlocks *blocks, LOCKMODE lockmode);
extern void pgmqc_blocks_add(PgmqcBlocks *blocks, int32 group_id,
							 int64 first_id, int64 last_id, int32 messages);
extern void pgmqc_group_note_batch(int32 topic_id, int32 qty);
extern int32 pgmqc_group_block_size(int32 topic_id);
extern bool pgmqc_group_takes_blocks(int32 qty);
extern bool pgmqc_group_ask_unblock(int32 topic_id, int32 group_id);
extern bool pgmqc_group_unblock_wanted(int32 topic_id);
extern bool pgmqc_group_has_blocks(PgmqcGroup *group);
extern int	pgmqc_group_take_blocks(PgmqcQueue *topic, PgmqcGroup *group,
									int32 qty, Interval *vt, int64 *last);
extern int	pgmqc_group_take_blocks_without_worker(PgmqcQueue *topic,
												   PgmqcGroup *group,
												   int32 qty, Interval *vt,
												   int64 *last);
extern int	pgmqc_group_unblock(PgmqcQueue *topic, PgmqcGroup *group,
								int32 limit);

/* group_fill.c: what pgmqc_group_fill returns besides a count of leases */
#define PGMQC_FILL_BUSY		(-1)	/* another reader is filling the group */
#define PGMQC_FILL_ASKED	(-2)	/* the worker was asked to fill it */
#define PGMQC_FILL_MORE		(-3)	/* leased nothing, stopped at its limit
									 * with more settled messages to examine */

extern int	pgmqc_group_fill(PgmqcQueue *topic, PgmqcGroup *group, int32 lease,
							 Interval *vt, bool in_worker, int64 *added);
extern void pgmqc_fill_all_groups(void);

/* group_claims.c */
extern int	pgmqc_group_claim_or_wait(const char *topic_name,
									  const char *group_name, int32 qty,
									  Interval *vt, bool waiting,
									  TimestampTz deadline, bool commit_between);

/* group_acks.c */
extern bool pgmqc_group_ack(PgmqcQueue *topic, PgmqcGroup *group,
							int64 msg_id, bool has_read_ct, int32 read_ct);
extern void pgmqc_group_ack_many(PgmqcQueue *topic, PgmqcGroup *group,
								 ArrayType *msg_ids, ArrayType *read_cts);
extern bool pgmqc_group_nack(PgmqcQueue *topic, PgmqcGroup *group,
							 int64 msg_id, Interval *delay, bool has_read_ct,
							 int32 read_ct, text *reason);
extern int	pgmqc_group_set_vt(PgmqcQueue *topic, PgmqcGroup *group,
							   int64 msg_id, Interval *vt, bool has_read_ct,
							   int32 read_ct);

/* group_retries.c */
extern int64 pgmqc_group_move_dead(PgmqcQueue *topic, PgmqcGroup *group,
								   const int64 *ids, int n);
extern int	pgmqc_group_process_head(PgmqcQueue *topic, PgmqcGroup *group,
									 int limit);
extern int64 pgmqc_group_retry_pass(PgmqcQueue *topic, PgmqcGroup *group);
extern void pgmqc_group_redrive(PgmqcQueue *topic, PgmqcGroup *group,
								const int64 *ids, const TimestampTz *enqueued_at,
								const bool *at_known, int n);

/* group_seek.c */
typedef struct PgmqcRetainedRange
{
	int64		first;			/* first msg_id retained (last + 1: none) */
	int64		last;			/* last msg_id drawn */
	TimestampTz first_at;		/* when the first was sent; DT_NOEND: none */
	bool		removed;		/* retention has removed messages already */
	TimestampTz kept_from;		/* now - retention: every message removed was
								 * sent before (DT_NOBEGIN: unknown) */
} PgmqcRetainedRange;

extern void pgmqc_topic_retained_range(PgmqcQueue *topic,
									   PgmqcRetainedRange *range);
extern bool pgmqc_topic_first_id_at(PgmqcQueue *topic, TimestampTz at,
									int64 *msg_id);
extern int64 pgmqc_group_seek(PgmqcQueue *topic, PgmqcGroup *group, int64 to,
							  bool not_past_open_sends);

/* group_statistics.c */
typedef struct PgmqcGroupStatistics
{
	int64		lag;			/* not acknowledged: handed out or pending */
	bool		lag_is_exact;	/* false: counting stopped at the limit */
	int64		in_flight;		/* leased to a reader now */
	bool		has_oldest;		/* some message is not acknowledged */
	TimestampTz oldest_at;		/* when the oldest of them was sent */
	TimestampTz now;			/* when the statistics were taken */
	int64		missed;			/* messages retention removed unread */
	int64		next_id;		/* the cursor */
} PgmqcGroupStatistics;

extern char **pgmqc_topic_group_names(int32 topic_id, uint64 *n);
extern bool pgmqc_group_statistics(PgmqcGroup *group, int64 limit,
								   int64 last_id, PgmqcGroupStatistics *stats);

/* maintenance.c */
/* topics the worker maintains per transaction (maintenance.c) */
#define PGMQC_MAINTENANCE_TOPICS_PER_TRANSACTION	8
extern int64 pgmqc_maintain_topics_internal(uint64 max_topics, uint64 *visited,
											uint64 *ntopics);

/* topic_publish.c */

/* a message's msg_id, drawn before its row is written (pgmqc_topic_draw) */
typedef struct PgmqcTopicDraw
{
	Datum		values[SEND_NUM_ARGS + 2];	/* the send statement's parameters */
	char		nulls[SEND_NUM_ARGS + 2];
	int64		msg_id;
} PgmqcTopicDraw;

extern void pgmqc_topic_draw(PgmqcQueue *topic, Jsonb *message,
							 Jsonb *headers, Interval *delay,
							 PgmqcTopicDraw *draw);
extern void pgmqc_topic_draw_unused(PgmqcQueue *topic, PgmqcTopicDraw *draw);
extern int64 pgmqc_topic_publish_drawn(PgmqcQueue *topic, PgmqcTopicDraw *draw,
									   Jsonb *message, Jsonb *headers,
									   Interval *delay, text *ordering_key);
extern int64 pgmqc_topic_publish(PgmqcQueue *topic, Jsonb *message,
								 Jsonb *headers, Interval *delay,
								 text *ordering_key);
extern int	pgmqc_topic_publish_batch(PgmqcQueue *topic, ArrayType *messages,
									  ArrayType *headers, int count,
									  Interval *delay,
									  ArrayType *ordering_keys);
extern void pgmqc_topic_batch_published(PgmqcQueue *topic, int64 *msg_ids,
										int count, Interval *delay);

/* topic_statistics.c */
extern void pgmqc_topic_metrics_row(PgmqcQueue *topic, Datum *values,
									bool *nulls);

#endif							/* PGMQC_TOPIC_H */
