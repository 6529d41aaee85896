/*-------------------------------------------------------------------------
 *
 * queue.h
 *		The queue engine: a queue's tables, sending, claiming and popping,
 *		acknowledging, the low watermark, the archive and metrics.
 *
 * A queue is a row in pgmq_c.queues and the relations named after its
 * queue_id (common/statements.h): q_<id> (messages, visible or leased),
 * d_<id> (delayed messages, not yet due), a_<id> (the archive) and the
 * msg_id sequence q_<id>_seq.  The functions here take checked C values and
 * an open queue (common/security.h, pgmqc_open); they run inside SPI and
 * the extension context.  Those that return a row count leave the rows in
 * SPI_tuptable for the caller.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/queue.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_QUEUE_H
#define PGMQC_QUEUE_H

#include "datatype/timestamp.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

#include "common/metrics_row.h"
#include "common/object_cache.h"

/* storage.c: a queue's catalog row and tables */
extern void pgmqc_queue_create(const char *name, Interval *visibility_timeout);
extern bool pgmqc_queue_try_lock_tables(int32 queue_id, Oid *busy);
extern void pgmqc_queue_lock_for_durability(PgmqcQueue *queue);
extern void pgmqc_queue_drop_storage(int32 queue_id);
extern int64 pgmqc_queue_purge(PgmqcQueue *queue);

/* next_due.c: when something in the queue next becomes visible by itself */
extern TimestampTz pgmqc_next_due(PgmqcQueue *queue, int64 watermark,
								  TimestampTz since, bool *complete);

/* send.c */

/* a message's msg_id, drawn before its row is written (pgmqc_queue_draw) */
typedef struct PgmqcQueueDraw
{
	Relation	rel;			/* the message table, open and locked */
	int		   *map;			/* its columns (pgmqc_direct_columns_fit) */
	int64		msg_id;
} PgmqcQueueDraw;

extern bool pgmqc_queue_draw(PgmqcQueue *queue, PgmqcQueueDraw *draw);
extern int64 pgmqc_queue_send_drawn(PgmqcQueue *queue, PgmqcQueueDraw *draw,
									Jsonb *message, Jsonb *headers);
extern void pgmqc_queue_draw_unused(PgmqcQueueDraw *draw);
extern int64 pgmqc_queue_send(PgmqcQueue *queue, Jsonb *message,
							  Jsonb *headers, Interval *delay);
extern int	pgmqc_queue_send_batch(PgmqcQueue *queue, ArrayType *messages,
								   ArrayType *headers, Interval *delay);
extern void pgmqc_queue_batch_sent(PgmqcQueue *queue, int count,
								   Interval *delay);

/* ordering.c */
extern void pgmqc_queue_check_keys(PgmqcQueue *queue);
extern void pgmqc_queue_set_durability(PgmqcQueue *queue, bool unlogged);
extern Datum pgmqc_key_array(int n, int column, int *count);
extern int	pgmqc_queue_send_keyed(PgmqcQueue *queue, ArrayType *messages,
								   ArrayType *headers, Interval *delay,
								   ArrayType *keys);

/* the ordering keys of messages that left the queue, to release at once */
typedef struct PgmqcKeyRelease
{
	Datum	   *keys;			/* text, one per message (repeats) */
	int			nkeys;
	int			maxkeys;
	Datum	   *heads;			/* the keys of those that were heads */
	int			nheads;
	int			maxheads;
}			PgmqcKeyRelease;

extern void pgmqc_key_release_init(PgmqcKeyRelease * release);
extern void pgmqc_key_release_add_result(PgmqcKeyRelease * release, int n,
										 int column, bool heads);
extern void pgmqc_key_announce_promoted(PgmqcQueue *queue, int32 visible,
										bool has_due, Datum first_due);
extern void pgmqc_key_release_add_key(PgmqcKeyRelease * release, Datum key,
									  bool heads);
extern void pgmqc_key_release_add_ids(PgmqcQueue *queue,
									  PgmqcKeyRelease * release,
									  const int64 *ids, int n);
extern int	pgmqc_key_release_add_movable(PgmqcQueue *queue,
										  PgmqcKeyRelease * release,
										  int64 *ids, int n);
extern void pgmqc_key_release_finish(PgmqcQueue *queue,
									 PgmqcKeyRelease * release);
extern void pgmqc_queue_release_result(PgmqcQueue *queue, int n, int column,
									   bool heads);

/* key_release.c */
extern bool pgmqc_key_release_direct(PgmqcQueue *queue, Datum key,
									 int64 count, bool head);

/* watermark.c */
extern int64 pgmqc_queue_advance_watermark(PgmqcQueue *queue);

/* delayed.c */
/* due delayed messages moved by one read, at most */
#define PGMQC_MATURE_BATCH	1000

/*
 * Due delayed messages a read in a transaction block moved for its claim
 * (queue/delayed.c): never more than the read asked for.
 */
typedef struct PgmqcMovedDue
{
	int			n;
	int64		ids[PGMQC_MATURE_BATCH];
} PgmqcMovedDue;

extern void pgmqc_queue_mature_due(PgmqcQueue *queue, int32 qty, int64 start,
								   PgmqcMovedDue *reserve);
extern void pgmqc_queue_mature_all_due(PgmqcQueue *queue, int64 max);

/* claim.c */
extern int	pgmqc_queue_claim(const char *name, int32 qty, Interval *vt,
							  bool waiting, TimestampTz deadline,
							  bool commit_between);
extern int	pgmqc_queue_pop(PgmqcQueue *queue, int32 qty);

/* acknowledge.c */
typedef enum PgmqcQueueTable
{
	QUEUE_TABLE_MESSAGES,		/* visible or leased: q_<id> */
	QUEUE_TABLE_DELAYED,		/* delayed: d_<id> */
	QUEUE_TABLE_PENDING,		/* behind their ordering key's head: p_<id> */
} PgmqcQueueTable;

extern bool pgmqc_queue_remove(PgmqcQueue *queue, bool archive, int64 msg_id,
							   bool has_read_ct, int32 read_ct);
extern int64 *pgmqc_queue_remove_all(PgmqcQueue *queue, bool archive,
									 ArrayType *msg_ids, ArrayType *read_cts,
									 int n, int *removed);
extern int	pgmqc_queue_remove_many(PgmqcQueue *queue, bool archive,
									ArrayType *msg_ids, ArrayType *read_cts);
extern int	pgmqc_queue_set_vt(PgmqcQueue *queue, int64 msg_id, Interval *vt,
							   bool has_read_ct, int32 read_ct);

/* retries.c */
extern int64 pgmqc_queue_move_dead(PgmqcQueue *queue, const int64 *ids, int n,
								   bool skip_locked_keys);
extern bool pgmqc_queue_nack(PgmqcQueue *queue, int64 msg_id, Interval *delay,
							 bool has_read_ct, int32 read_ct, text *reason);
extern int	pgmqc_queue_process_head(PgmqcQueue *queue, int limit);
extern int64 pgmqc_queue_dead_letter_pass(PgmqcQueue *queue);
extern int64 pgmqc_queue_archive_retention_pass(PgmqcQueue *queue);
extern int	pgmqc_queue_redrive_take(PgmqcQueue *queue, int64 after,
									 int32 max);

/* archive_partitions.c */
extern bool pgmqc_archive_is_partitioned(int32 queue_id);
extern void pgmqc_queue_partition_archive(PgmqcQueue *queue);
extern int	pgmqc_queue_archive_partitions(PgmqcQueue *queue, TimestampTz now,
										   TimestampTz cutoff);

/* archive.c */
extern int	pgmqc_queue_read_archive(PgmqcQueue *queue, int64 after_msg_id,
									 int32 qty);

/* metrics.c and metrics_scan.c */
extern void pgmqc_queue_metrics_row(PgmqcQueue *queue, Datum *values,
									bool *nulls);
extern bool pgmqc_queue_scanned_metrics_row(PgmqcQueue *queue, Datum *values,
											bool *nulls);

#endif							/* PGMQC_QUEUE_H */
