/*-------------------------------------------------------------------------
 *
 * object_cache.h
 *		The backend-local cache of queues, topics and consumer groups: what
 *		the catalog says of each, its kept statements and its low watermark.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/object_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_OBJECT_CACHE_H
#define PGMQC_OBJECT_CACHE_H

#include "access/transam.h"
#include "datatype/timestamp.h"
#include "storage/lockdefs.h"
#include "utils/jsonb.h"

#include "pgmq_c.h"
#include "common/statements.h"

/*
 * The low watermark of a table of messages (a queue's q_<id>, a group's
 * g_<id>): no live message has a lower msg_id, so scans start there and
 * never walk the dead index entries left below it by consumed messages
 * (docs/design.md, section 5).  An advance made inside a transaction
 * is tentative until the transaction commits: a rollback can bring back the
 * messages it consumed.
 */
typedef struct PgmqcWatermark
{
	int64		committed;		/* no live message below, for certain */
	int64		tentative;		/* advanced inside the current transaction */
	bool		has_tentative;
	TimestampTz last_advance;	/* when the watermark was last recomputed */
} PgmqcWatermark;

/*
 * What a waiting reader's last look found: nothing it could claim, while
 * queue_id's wake-up slot had generation "generation" and this backend had
 * registered local_wakes wake-ups (common/claiming.c).  Until the look's
 * next due time and the end of its wait slice (past the slice while the
 * worker looks into a queue's tables for its readers), a new wait may
 * trust it and sleep at once, as long as no wake-up came since.
 */
typedef struct PgmqcQuietLook
{
	bool		valid;
	int32		queue_id;		/* of the slot */
	uint64		generation;
	uint64		local_wakes;
	TimestampTz next_due;		/* of what the look saw */
	TimestampTz slice_end;		/* the look's time plus a wait slice */
	bool		probed;			/* a queue's: the worker may look instead */
} PgmqcQuietLook;

/*
 * Where this backend's claims start while leased messages fill the head of
 * a queue or group (common/claiming.c): from "from" instead of the
 * watermark, until "until".
 */
typedef struct PgmqcClaimSkip
{
	int64		from;
	TimestampTz until;
} PgmqcClaimSkip;

/*
 * What every cache entry has: validity, the table whose relcache
 * invalidation re-validates the entry, kept statements, watermark, and what
 * the last waiting look found.
 */
typedef struct PgmqcCacheEntry
{
	bool		valid;			/* false: look the catalog up again */
	Oid			relid;			/* q_<id>, t_<id> or g_<id> */
	PgmqcWatermark watermark;
	SPIPlanPtr	plans[PGMQC_NUM_STATEMENTS];
	bool		has_plans;		/* some of plans[] is prepared */
	bool		tables_checked; /* its table has this version's columns */
	uint64		last_used;		/* when a plan was last run (a use count) */
	PgmqcQuietLook quiet;
	PgmqcClaimSkip skip;
} PgmqcCacheEntry;

/*
 * The retry policy of a queue or consumer group (0.6.0): a message read
 * max_deliveries times is dead-lettered rather than delivered again, to
 * dead_letter_queue (or, for a queue without one, its archive); a message
 * given back waits backoff seconds, doubled with each delivery after the
 * first, at most backoff_max.
 */
typedef struct PgmqcRetryPolicy
{
	bool		catalog_has_retries;	/* the catalog is 0.6.0 or later */
	int32		max_deliveries; /* 0: none */
	char		dead_letter_queue[PGMQC_MAX_NAME_LEN + 1];	/* "": none */
	double		backoff;		/* seconds; 0: none */
	double		backoff_max;	/* seconds */
	Interval	backoff_interval;	/* as set (zero: none) */
	Interval	backoff_max_interval;	/* as set (zero: none) */
} PgmqcRetryPolicy;

/* the deduplication window when the catalog has none: 5 minutes */
#define PGMQC_DEFAULT_DEDUP_WINDOW	(5 * 60.0)

/* the longest retry backoff when retry_backoff_max is not set: 7 days */
#define PGMQC_DEFAULT_BACKOFF_MAX	(7 * 24 * 60 * 60.0)

/*
 * A queue or topic, keyed by name.  A message with an id at or below
 * settled_through can no longer appear: every transaction that drew an id
 * up to there has ended (docs/design.md, sections 5 and 8, "Commit order").  It advances by
 * way of a candidate: the last id drawn when the candidate was taken,
 * settled once every transaction older than candidate_xid has ended.
 */
typedef struct PgmqcQueue
{
	char		name[PGMQC_MAX_NAME_LEN + 1];	/* hash key */
	PgmqcCacheEntry cache;
	int32		queue_id;
	char		kind;			/* PGMQC_KIND_QUEUE or PGMQC_KIND_TOPIC */
	Interval	default_vt;
	bool		notify;			/* enable_notify() is on */
	Oid			owner;			/* the queue's owner (queues.owner) */
	PgmqcRetryPolicy retry;		/* queues only */
	Interval	archive_retention;	/* queues only; zero: none */
	bool		has_keys;		/* the catalog is 0.7.0 or later: ordering
								 * keys, pending and keys tables */
	double		dedup_window_secs;	/* deduplication window, seconds */

	/* the delayed table d_<id>, once looked up (queue/delayed.c) */
	Oid			delayed_relid;

	/* the caller's privileges on the queue, as last computed (access.c) */
	Oid			access_role;
	uint64		access_generation;
	int			access_mask;

	/* settled ids (queue/watermark.c, topic/settled_ids.c) */
	int64		settled_through;
	int64		candidate_id;
	TransactionId candidate_xid;
	bool		has_candidate;

	/* topics only */
	int64		partition_size; /* msg_ids per partition of the log */
	int64		partition_end;	/* end of the last partition known, or 0 */
	Oid			sequence_relid; /* the msg_id sequence */
	Oid			cursors_relid;	/* c_<id>: the first lock of every call */
	int64		partition_plan_number;	/* partition that
										 * STMT_TOPIC_SEND_PARTITION is kept
										 * for */
	Oid			partition_relid;	/* partition of the last direct send */
	int64		partition_relid_number; /* its number, or -1 */
} PgmqcQueue;

typedef struct PgmqcGroupKey
{
	int32		topic_id;
	char		name[PGMQC_MAX_NAME_LEN + 1];
} PgmqcGroupKey;

/*
 * A consumer group, keyed by (topic id, group name).  The group's cursor
 * row in c_<topic id> says which msg_id the group hands out next and how
 * many times it has been moved by seek (its seek count, column "epoch").
 */
typedef struct PgmqcGroup
{
	PgmqcGroupKey key;			/* hash key */
	PgmqcCacheEntry cache;
	int32		group_id;
	Interval	default_vt;
	Jsonb	   *filter;			/* NULL: every message */
	PgmqcRetryPolicy retry;
	int64		seek_count;		/* the cursor's seek count last seen */
	int64		cursor_seen;	/* the cursor's next_id, as last seen */
	bool		has_blocks;		/* its plans were made for a catalog with
								 * pgmq_c.group_blocks (0.8.0) */
	int64		blocks_from;	/* no block of the group starts below this
								 * msg_id, as this backend last saw them
								 * (topic/group_blocks.c) */
	int64		blocks_from_seek;	/* ... at this seek count */
	TimestampTz blocks_first_until; /* this backend's claims take blocks
									 * before rows until then
									 * (topic/group_claims.c) */
	TransactionId blocks_held_xid;	/* the top transaction that holds what it
									 * left of a block of the group
									 * (topic/group_blocks.c) */
	TransactionId blocks_changed_xid;	/* the top transaction that last took
										 * or moved a block of the group */
} PgmqcGroup;

extern void pgmqc_object_cache_init(void);
extern void pgmqc_object_cache_xact_end(bool commit);

extern PgmqcQueue *pgmqc_lookup_kind(const char *name, char kind,
									 bool missing_ok);
extern PgmqcQueue *pgmqc_lookup(const char *name, bool missing_ok);
extern PgmqcQueue *pgmqc_lookup_for_drop(const char *name, char kind,
										 bool missing_ok);
extern void pgmqc_forget(const char *name);
extern void pgmqc_forget_plans(PgmqcCacheEntry *entry);
extern void pgmqc_object_cache_trim(void);

extern PgmqcGroup *pgmqc_group_lookup(PgmqcQueue *topic, const char *name,
									  bool missing_ok);
extern void pgmqc_group_forget_topic(int32 topic_id);

extern int	pgmqc_queue_run(PgmqcQueue *queue, PgmqcStatement stmt,
							Datum *values, const char *nulls, long count);
extern int64 pgmqc_last_id_drawn(PgmqcQueue *queue);
extern int64 pgmqc_last_id_drawn_by_id(char kind, int32 id);
extern SPIPlanPtr pgmqc_partition_send_plan(PgmqcQueue *topic, int64 partno);
extern int	pgmqc_group_run(PgmqcGroup *group, PgmqcStatement stmt,
							Datum *values, const char *nulls, long count);

extern int64 pgmqc_effective_watermark(PgmqcWatermark *watermark);
extern void pgmqc_watermark_set_tentative(PgmqcWatermark *watermark,
										  int64 value);
extern bool pgmqc_watermark_due(PgmqcWatermark *watermark);
extern bool pgmqc_watermark_look_due(PgmqcWatermark *watermark);
extern int64 pgmqc_watermark_advance(PgmqcWatermark *watermark, int64 current,
									 int64 candidate);

extern bool pgmqc_retry_active(const PgmqcRetryPolicy *retry);
extern void pgmqc_retry_args(const PgmqcRetryPolicy *retry, Datum *values,
							 char *nulls);

extern void pgmqc_check_not_dropped(PgmqcQueue *queue);
extern void pgmqc_report_dropped(char kind, const char *name) pg_attribute_noreturn();
extern void pgmqc_lock_not_dropped(PgmqcQueue *queue, LOCKMODE mode);
extern bool pgmqc_lock_if_exists(PgmqcQueue *queue, LOCKMODE mode);
extern bool pgmqc_lock_if_not_dropped(PgmqcQueue *queue, LOCKMODE mode);

/* what pgmqc_lock_if_free found */
typedef enum PgmqcLockTry
{
	PGMQC_LOCK_TAKEN,			/* locked, and it exists */
	PGMQC_LOCK_GONE,			/* dropped meanwhile */
	PGMQC_LOCK_BUSY				/* another transaction holds or awaits it */
}			PgmqcLockTry;

extern PgmqcLockTry pgmqc_lock_if_free(PgmqcQueue *queue, LOCKMODE mode);
extern PgmqcLockTry pgmqc_lock_relation_if_free(Oid relid, LOCKMODE mode);
extern void pgmqc_check_tables_current(PgmqcQueue *queue);
extern bool pgmqc_check_group_not_dropped(PgmqcQueue *topic, PgmqcGroup *group,
										  bool missing_ok);

#endif							/* PGMQC_OBJECT_CACHE_H */
