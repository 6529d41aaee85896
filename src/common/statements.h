/*-------------------------------------------------------------------------
 *
 * statements.h
 *		The statement catalogue: every statement pgmq_c keeps prepared, the
 *		names of the relations it runs on, and the columns of its results.
 *
 * A statement is a template whose placeholders, written {word}, stand for
 * the relations of one queue, topic or consumer group (see statements.c
 * for the list).  The text is made from ids only: no user-supplied text
 * ever becomes part of an identifier.  Result columns are named by the
 * constants below, as PostgreSQL's catalogs name theirs (Anum_*): column
 * numbers start at 1, as SPI_getbinval() wants them.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/statements.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_STATEMENTS_H
#define PGMQC_STATEMENTS_H

#include "executor/spi.h"

/*
 * The relations of a queue, a topic and a consumer group, named after ids,
 * never after the user's names (docs/design.md, section 2 "Objects" and section 8 "Storage"):
 *
 *	q_<queue id>		a queue's messages (visible or leased)
 *	d_<queue id>		a queue's delayed messages, not yet due
 *	a_<queue id>		a queue's archive
 *	q_<queue id>_seq	a queue's msg_id sequence
 *	t_<topic id>		a topic's log, partitioned by msg_id range
 *	t_<topic id>_p<n>	partition n of the log
 *	t_<topic id>_seq	a topic's msg_id sequence
 *	c_<topic id>		a topic's group cursors, one row per group
 *	g_<group id>		a consumer group's handed-out messages
 *	a_<queue id>_p<n>	day n (since 1970) of a queue's archive, once it is
 *						partitioned by day (archive_retention, 0.6.0)
 *	a_<queue id>_default	what no day partition of the archive takes
 *	a_<queue id>_before	what was archived before it was partitioned
 *	p_<queue id>		a queue's pending messages: those waiting behind an
 *						earlier message of their ordering key (0.7.0)
 *	k_<queue id>		a queue's ordering keys with messages, and how many
 *	dedup_ids_p<n>		day n (since 1970) of pgmq_c.dedup_ids
 */
typedef enum PgmqcRelation
{
	REL_MESSAGES,
	REL_DELAYED,
	REL_ARCHIVE,
	REL_QUEUE_SEQUENCE,
	REL_LOG,
	REL_LOG_PARTITION,
	REL_LOG_SEQUENCE,
	REL_CURSORS,
	REL_GROUP,
	REL_ARCHIVE_PARTITION,
	REL_ARCHIVE_DEFAULT,
	REL_ARCHIVE_BEFORE,
	REL_PENDING,
	REL_KEYS,
	REL_DEDUP_PARTITION,
} PgmqcRelation;

/* The ids a statement's placeholders are made from. */
typedef struct PgmqcStatementTarget
{
	int32		queue_id;		/* a queue's or a topic's id */
	int32		group_id;		/* a consumer group's id, or 0 */
	int64		partition;		/* a log partition's number, or -1 */
	int64		partition_size; /* msg_ids per partition, for
								 * {partition_start} */
} PgmqcStatementTarget;

/* Which kind of object a statement runs on (which cache entry keeps it). */
typedef enum PgmqcStatementOwner
{
	ON_QUEUE,					/* kept per queue (PgmqcQueue) */
	ON_TOPIC,					/* kept per topic (PgmqcQueue of kind topic) */
	ON_GROUP,					/* kept per consumer group (PgmqcGroup) */
	ON_CATALOG,					/* kept once per backend */
	RUN_ONCE,					/* never kept: DDL and rare statements, made
								 * and run anew each time */
} PgmqcStatementOwner;

typedef enum PgmqcStatement
{
	/* queues: sending */
	STMT_SEND,
	STMT_SEND_DELAYED,
	STMT_SEND_BATCH,
	STMT_SEND_BATCH_DELAYED,
	STMT_SEND_KEYED,
	STMT_KEYS_ACQUIRE,
	STMT_KEYS_RELEASE,
	STMT_KEY_RELEASE,
	STMT_KEY_FORGET,
	STMT_KEY_TAKE_NEXT,
	STMT_KEY_PROMOTE_VISIBLE,
	STMT_KEY_PROMOTE_DELAYED,
	STMT_KEYS_FORGET,
	STMT_KEYS_PROMOTE,
	STMT_KEYS_OF,
	STMT_DEAD_LETTER_KEYS,
	/* queues: delayed messages and reading */
	STMT_DUE_PROBE,
	STMT_MATURE,
	STMT_MATURE_BOUNDED,
	STMT_MATURE_PAST_HELD,
	STMT_CANDIDATES_AHEAD,
	STMT_CLAIM,
	STMT_CLAIM_POP_KEYS,
	STMT_CLAIM_PLAIN,
	STMT_CLAIM_0_5,
	STMT_POP,
	STMT_POP_KEYS,
	STMT_WATERMARK_SCAN,
	STMT_WATERMARK_SCAN_0_6,
	STMT_NEXT_DUE,
	/* queues: acknowledging */
	STMT_DELETE,
	STMT_DELETE_DELAYED,
	STMT_DELETE_MANY,
	STMT_DELETE_MANY_DELAYED,
	STMT_ARCHIVE,
	STMT_ARCHIVE_DELAYED,
	STMT_ARCHIVE_MANY,
	STMT_ARCHIVE_MANY_DELAYED,
	STMT_DELETE_PENDING,
	STMT_ARCHIVE_PENDING,
	STMT_DELETE_MANY_PENDING,
	STMT_ARCHIVE_MANY_PENDING,
	STMT_SET_VT,
	STMT_SET_VT_DELAYED,
	STMT_NACK,
	STMT_DEAD_LETTER_IDS,
	STMT_BACKOFF_EXPIRED,
	STMT_DEAD_LETTER_TAKE,
	STMT_DEAD_LETTER_ARCHIVE,
	STMT_ARCHIVE_EXPIRE,
	STMT_ARCHIVE_PARTITION_CONVERT,
	STMT_ARCHIVE_PARTITION_CREATE,
	STMT_ARCHIVE_PARTITIONS,
	STMT_REDRIVE_TAKE,
	/* queues: inspecting */
	STMT_READ_ARCHIVE,
	STMT_METRICS,
	STMT_METRICS_0_6,
	/* deduplication ids (common/dedup.c) */
	STMT_DEDUP_PARTITIONS,
	STMT_DEDUP_PARTITION_CREATE,
	STMT_DEDUP_DEFAULT_ROWS,
	STMT_DEDUP_EXPIRE_DEFAULT,
	STMT_DEDUP_FORGET_BEFORE,
	STMT_DEDUP_LONGEST_WINDOW,
	STMT_TIMELINE_MARKER,
	STMT_ADVANCE_SEQUENCES,
	STMT_SET_TIMELINE_MARKER,
	/* retired names (common/retired_names.c) */
	STMT_RETIRE_NAME,
	STMT_TAKE_RETIRED_NAME,
	STMT_SEQUENCE_START,
	STMT_ADVANCE_RETIRED_NAMES,
	/* ids whose tables a restore left (common/free_ids.c) */
	STMT_QUEUE_ID_AGAIN,
	STMT_GROUP_ID_AGAIN,
	STMT_SET_DEDUP_WINDOW,
	/* topics */
	STMT_TOPIC_SEND_BATCH,
	STMT_TOPIC_SEND_PARTITION,
	STMT_TOPIC_BOUNDS,
	STMT_TOPIC_FIRST_AT,
	STMT_TOPIC_METRICS,
	/* consumer groups */
	STMT_GROUP_CLAIM,
	STMT_GROUP_CLAIM_PLAIN,
	STMT_GROUP_CLAIM_0_5,
	STMT_GROUP_LOCK_CURSOR,
	STMT_GROUP_CURSOR,
	STMT_GROUP_FILL,
	STMT_GROUP_FILL_0_5,
	STMT_GROUP_FILL_0_6,
	STMT_GROUP_HAND_OUT,
	STMT_GROUP_HAND_OUT_0_5,
	STMT_GROUP_HAND_OUT_0_6,
	STMT_GROUP_SET_CURSOR,
	STMT_GROUP_WATERMARK_SCAN,
	STMT_GROUP_NEXT_DUE,
	STMT_GROUP_AVAILABLE,
	STMT_GROUP_ACK,
	STMT_GROUP_ACK_MANY,
	STMT_GROUP_NACK,
	STMT_GROUP_NACK_0_5,
	STMT_GROUP_DEAD_LETTER_IDS,
	STMT_GROUP_BACKOFF_EXPIRED,
	STMT_GROUP_DEAD_LETTER_TAKE,
	STMT_GROUP_REDRIVE_LOCK,
	STMT_GROUP_REDRIVE,
	STMT_GROUP_CREATED_AT,
	STMT_GROUP_SET_VT,
	STMT_GROUP_STATS,
	/* the catalog, once per backend */
	STMT_QUEUE_ID_OWNER,
	STMT_LOOKUP_QUEUE,
	STMT_LOOKUP_QUEUE_0_6,
	STMT_LOOKUP_QUEUE_0_5,
	STMT_LOOKUP_QUEUE_0_3,
	STMT_LOOKUP_QUEUE_0_2,
	STMT_LOOKUP_QUEUE_0_1,
	STMT_LOOKUP_GROUP,
	STMT_LOOKUP_GROUP_0_5,
	STMT_ALTER_QUEUE,
	STMT_ALTER_GROUP,
	STMT_DEAD_LETTER_USERS,
	STMT_DEAD_LETTER_CYCLE,
	STMT_DEAD_LETTER_FORGET,
	STMT_GROUP_RELEASE_DEAD,
	STMT_RETRY_QUEUES,
	STMT_RETRY_GROUPS,
	STMT_LOCK_CATALOG,
	/* privileges (common/access.c, functions/access_functions.c) */
	STMT_READ_GRANTS,
	STMT_DROPPED_ROLES_EXIST,
	STMT_FORGET_DROPPED_ROLES,
	STMT_GRANT,
	STMT_REVOKE_DELETE,
	STMT_REVOKE_UPDATE,
	/* notifications (functions/notify_functions.c, worker/notifications.c) */
	STMT_SET_NOTIFY,
	STMT_SET_NOTIFY_0_7,
	STMT_NOTIFY_QUEUES,
	STMT_NOTIFY_QUEUES_0_7,
	STMT_VISIBLE_NOW,
	/* the worker's looks for sleeping readers (worker/probes.c) */
	STMT_PROBE_QUEUES,
	STMT_PROBE_ALL_QUEUES,
	/* ---- topic: begin ---- */
	/* topics and groups: creating and dropping (RUN_ONCE) */
	STMT_TOPIC_INSERT_CATALOG,
	STMT_TOPIC_INSERT_CATALOG_0_3,
	STMT_TOPIC_CREATE_STORAGE,
	STMT_TOPIC_CREATE_STORAGE_0_4,
	STMT_TOPIC_GROUP_IDS,
	STMT_TOPIC_DETACHED_PARTITIONS,
	STMT_TOPIC_DELETE_CATALOG,
	STMT_GROUP_INSERT_CATALOG,
	STMT_GROUP_CREATE_STORAGE,
	STMT_GROUP_CREATE_STORAGE_0_4,
	STMT_GROUP_SET_UNLOGGED,
	STMT_GROUP_SET_LOGGED,
	STMT_GROUP_INSERT_CURSOR,
	STMT_GROUP_DELETE_CURSOR,
	STMT_GROUP_DELETE_CATALOG,
	/* seek (RUN_ONCE) */
	STMT_SEEK_LOCK_CURSOR,
	STMT_GROUP_DELETE_BLOCKS,
	STMT_SEEK_EMPTY_GROUP,
	STMT_SEEK_MOVE_CURSOR,
	/* partitions of a topic's log (RUN_ONCE) */
	STMT_PARTITION_RANGE,
	STMT_PARTITION_NUMBERS,
	STMT_PARTITION_CREATE,
	STMT_PARTITION_CREATE_UNLOGGED,
	STMT_LOG_SEQUENCE_START_WITH,
	STMT_PARTITION_SET_UNLOGGED,
	STMT_PARTITION_SET_LOGGED,
	/* rotation and retention (RUN_ONCE) */
	STMT_PARTITION_FIRST_AT,
	STMT_PARTITION_LAST_AT,
	STMT_ROTATE_LOCK_LOG,
	STMT_ROTATE_MOVE_SEQUENCE,
	STMT_EXPIRE_GROUPS,
	STMT_EXPIRE_UNREAD,
	STMT_EXPIRE_UNREAD_FILTERED,
	STMT_EXPIRE_GROUP_BLOCKS,
	STMT_EXPIRE_GROUP_MESSAGES,
	STMT_EXPIRE_SKIP_CURSOR,
	STMT_EXPIRE_COUNT_MISSED,
	STMT_EXPIRE_DROP_PARTITION,
	/* the catalog, once per backend */
	STMT_ALL_GROUPS,
	STMT_TOPIC_GROUP_NAMES,
	STMT_MAINTAINED_TOPICS,
	/* ---- topic: end ---- */
	/* ---- queue: begin ---- */
	/* queues: creating, dropping and purging (RUN_ONCE) */
	STMT_INSERT_QUEUE_ROW,
	STMT_INSERT_QUEUE_ROW_0_3,
	STMT_CREATE_QUEUE_TABLES,
	STMT_CREATE_QUEUE_TABLES_0_6,
	STMT_QUEUE_SET_UNLOGGED,
	STMT_QUEUE_SET_LOGGED,
	STMT_CREATE_QUEUE_TABLES_0_4,
	STMT_DELETE_QUEUE_ROW,
	STMT_PURGE_COUNT,
	STMT_PURGE_TRUNCATE,
	STMT_PURGE_COUNT_0_6,
	STMT_PURGE_TRUNCATE_0_6,
	/* the catalog, once per backend: metrics_all() and the listings */
	STMT_QUEUE_ID_EXISTS,
	STMT_METRICS_ALL_LIST,
	STMT_METRICS_ALL_LIST_0_3,
	STMT_METRICS_ALL_LIST_0_2,
	STMT_LIST_QUEUES,
	STMT_LIST_NOTIFICATIONS,
	STMT_LIST_QUEUES_0_7,
	STMT_LIST_QUEUES_0_6,
	STMT_LIST_QUEUES_0_5,
	STMT_LIST_TOPICS,
	STMT_LIST_TOPICS_0_7,
	STMT_LIST_TOPICS_0_6,
	/* ---- queue: end ---- */
	PGMQC_NUM_STATEMENTS
} PgmqcStatement;

/*
 * Result columns.  A "message row" is what read(), pop(), set_vt() and
 * read_group() return: STMT_CLAIM, STMT_POP(_KEYS), STMT_SET_VT(_DELAYED),
 * STMT_GROUP_CLAIM, STMT_GROUP_SET_VT and the first six columns of
 * STMT_GROUP_FILL.
 */
#define MESSAGE_COL_MSG_ID			1
#define MESSAGE_COL_READ_CT			2
#define MESSAGE_COL_ENQUEUED_AT		3
#define MESSAGE_COL_VT				4
#define MESSAGE_COL_MESSAGE			5
#define MESSAGE_COL_HEADERS			6
#define MESSAGE_COL_ORDERING_KEY	7	/* NULL before 0.7.0 */
#define MESSAGE_NUM_COLS			7
/*
 * STMT_CLAIM and STMT_GROUP_CLAIM (0.6.0): a message row, then what the
 * claim did with it (PGMQC_CLAIMED, PGMQC_DEAD, PGMQC_BACKED_OFF)
 */
#define MESSAGE_COL_OUTCOME			8
#define PGMQC_CLAIMED				'c'
#define PGMQC_DEAD					'd'
#define PGMQC_BACKED_OFF			'b'

/* STMT_NACK, STMT_GROUP_NACK(_0_5) */
#define NACK_COL_VT					1
#define NACK_COL_DEAD				2

/* STMT_DEAD_LETTER_TAKE, STMT_GROUP_DEAD_LETTER_TAKE */
#define TAKE_COL_MESSAGES			1
#define TAKE_COL_HEADERS			2
#define TAKE_COL_COUNT				3

/* STMT_REDRIVE_TAKE */
#define REDRIVE_COL_MSG_ID			1
#define REDRIVE_COL_MESSAGE			2
#define REDRIVE_COL_HEADERS			3
#define REDRIVE_COL_ORIGINAL_HEADERS	4
#define REDRIVE_COL_QUEUE			5
#define REDRIVE_COL_TOPIC			6
#define REDRIVE_COL_GROUP			7
#define REDRIVE_COL_ORIGINAL_ID		8
#define REDRIVE_COL_ORIGINAL_AT		9
#define REDRIVE_COL_ORDERING_KEY	10
#define REDRIVE_COL_DEAD_AT			11

/* STMT_GROUP_REDRIVE: a row per msg_id given (ID_COL_MSG_ID), in order */
#define GROUP_REDRIVE_COL_ANY_BACK	2
#define GROUP_REDRIVE_COL_THERE		3
#define GROUP_REDRIVE_COL_SAME		4
#define GROUP_REDRIVE_COL_KEY_BUSY	5

/* STMT_BACKOFF_EXPIRED, STMT_GROUP_BACKOFF_EXPIRED */
#define BACKOFF_COL_COUNT			1
#define BACKOFF_COL_FIRST_RETRY		2

/* STMT_ARCHIVE_PARTITIONS */
#define ARCHIVE_PARTITION_COL_NAME	1
#define ARCHIVE_PARTITION_COL_END	2
#define ARCHIVE_PARTITION_COL_DAY	3

/* STMT_DEAD_LETTER_USERS */
#define USER_COL_NAME				1
#define USER_COL_OWNER				2
#define USER_COL_QUEUE_ID			3
#define USER_COL_GROUP_ID			4

/* STMT_DEAD_LETTER_CYCLE */
#define CYCLE_COL_QUEUE_ID			1
#define CYCLE_COL_OWNER				2
#define CYCLE_COL_NAME				3

/* STMT_RETRY_QUEUES, STMT_RETRY_GROUPS */
#define RETRY_COL_ID				1
#define RETRY_COL_TOPIC_NAME		2
#define RETRY_COL_NAME				3

/* STMT_SEND*, STMT_DELETE*, STMT_ARCHIVE*, STMT_GROUP_ACK*: one msg_id */
#define ID_COL_MSG_ID				1
/* STMT_DELETE*, STMT_ARCHIVE* (queues): then its ordering key */
#define ID_COL_ORDERING_KEY			2

/* STMT_DEAD_LETTER_TAKE: after the TAKE_COL_* columns, the keys moved */
#define TAKE_COL_KEYS				4

/* STMT_KEYS_ACQUIRE, STMT_KEYS_OF */
#define KEYS_COL_KEY				1

/* STMT_DEAD_LETTER_KEYS: a row per keyed dead message */
#define DEAD_KEYS_COL_MSG_ID		1
#define DEAD_KEYS_COL_KEY			2
#define DEAD_KEYS_COL_LEFT_UNTIL	3

/* STMT_KEYS_RELEASE */
#define RELEASE_COL_KEY				1
#define RELEASE_COL_MESSAGES		2
#define RELEASE_COL_PROMOTED		3
#define RELEASE_COL_VISIBLE			4
#define RELEASE_COL_FIRST_DUE		5

/* STMT_KEY_RELEASE */
#define KEY_RELEASE_COL_MESSAGES	1
#define KEY_RELEASE_COL_MOVED		2

/*
 * STMT_KEY_TAKE_NEXT, in the order of the parameters of
 * STMT_KEY_PROMOTE_VISIBLE and STMT_KEY_PROMOTE_DELAYED
 */
#define TAKE_NEXT_COL_DELIVER_AT	3
#define TAKE_NEXT_COLUMNS			6

/* STMT_KEYS_PROMOTE */
#define PROMOTE_COL_VISIBLE			1
#define PROMOTE_COL_FIRST_DUE		2

/* STMT_DEDUP_PARTITIONS: as STMT_ARCHIVE_PARTITIONS */

/*
 * STMT_DEDUP_LONGEST_WINDOW: the longest dedup_window (VALUE_COL), and how
 * many queues and topics there are
 */
#define LONGEST_WINDOW_COL_OBJECTS	2

/*
 * STMT_NEXT_DUE, STMT_GROUP_NEXT_DUE: the next due time (VALUE_COL), and
 * how many leases it looked at, at most PGMQC_NEXT_DUE_LEASES (all there
 * are if fewer)
 */
#define NEXT_DUE_COL_LEASES			2
#define PGMQC_NEXT_DUE_LEASES		1000

/* STMT_WATERMARK_SCAN, STMT_DUE_PROBE, STMT_NEXT_DUE, STMT_GROUP_NEXT_DUE,
 * STMT_GROUP_AVAILABLE, STMT_TOPIC_FIRST_AT, STMT_GROUP_NACK: a single
 * value */
#define VALUE_COL					1

/* STMT_CANDIDATES_AHEAD: how many (VALUE_COL), and the last one */
#define CANDIDATES_COL_LAST			2

/* how many due messages a read in a transaction block looks at (STMT_MATURE_BOUNDED) */
#define PGMQC_MATURE_LOOK			1000

/* STMT_METRICS */
#define METRICS_COL_LENGTH			1
#define METRICS_COL_VISIBLE			2
#define METRICS_COL_DELAYED			3
#define METRICS_COL_ARCHIVED		4
#define METRICS_COL_OLDEST_AT		5
#define METRICS_COL_NEWEST_AT		6
#define METRICS_COL_MESSAGES_ESTIMATE	7
#define METRICS_COL_DELAYED_ESTIMATE	8
#define METRICS_COL_ARCHIVED_ESTIMATE	9
#define METRICS_COL_NOW				10
#define METRICS_COL_DUE				11

/* STMT_TOPIC_BOUNDS */
#define BOUNDS_COL_FIRST_ID			1
#define BOUNDS_COL_FIRST_AT			2
#define BOUNDS_COL_RETENTION		3

/* STMT_TOPIC_METRICS */
#define TOPIC_METRICS_COL_LENGTH		1
#define TOPIC_METRICS_COL_DELAYED		2
#define TOPIC_METRICS_COL_OLDEST_AT		3
#define TOPIC_METRICS_COL_NEWEST_AT		4
#define TOPIC_METRICS_COL_LENGTH_ESTIMATE	5
#define TOPIC_METRICS_COL_PARTITIONS	6
#define TOPIC_METRICS_COL_GROUPS		7
#define TOPIC_METRICS_COL_SIZE			8
#define TOPIC_METRICS_COL_NOW			9
#define TOPIC_METRICS_COL_RETENTION		10

/* STMT_GROUP_LOCK_CURSOR, STMT_GROUP_CURSOR */
#define CURSOR_COL_NEXT_ID			1
#define CURSOR_COL_SEEK_COUNT		2

/* STMT_GROUP_FILL: a message row, then (these three consecutive: group_fill.c) */
#define FILL_COL_EXAMINED			8
#define FILL_COL_LAST_EXAMINED		9
#define FILL_COL_HANDED_OUT			10

/* STMT_GROUP_HAND_OUT: a fill that leases nothing (the same three, consecutive) */
#define HAND_OUT_COL_EXAMINED		1
#define HAND_OUT_COL_LAST_EXAMINED	2
#define HAND_OUT_COL_HANDED_OUT		3

/* STMT_GROUP_WATERMARK_SCAN */
#define GROUP_SCAN_COL_WATERMARK	1
#define GROUP_SCAN_COL_SEEK_COUNT	2
#define GROUP_SCAN_COL_NEXT_ID		3

/* STMT_GROUP_STATS */
#define GROUP_STATS_COL_NEXT_ID		1
#define GROUP_STATS_COL_MISSED		2
#define GROUP_STATS_COL_PENDING		3
#define GROUP_STATS_COL_LEASED		4
#define GROUP_STATS_COL_WAITING		5
#define GROUP_STATS_COL_OLDEST_AT	6
#define GROUP_STATS_COL_NOW			7
#define GROUP_STATS_COL_BLOCKED		8
#define GROUP_STATS_NUM_COLS		8

/* STMT_LOOKUP_QUEUE and its older forms */
#define LOOKUP_COL_QUEUE_ID			1
#define LOOKUP_COL_VISIBILITY_TIMEOUT	2
#define LOOKUP_COL_NOTIFY			3
#define LOOKUP_COL_KIND				4
#define LOOKUP_COL_PARTITION_SIZE	5
#define LOOKUP_COL_OWNER			6
/* STMT_LOOKUP_QUEUE (0.6.0) and STMT_LOOKUP_GROUP: the retry policy */
#define LOOKUP_COL_MAX_DELIVERIES	7
#define LOOKUP_COL_DEAD_LETTER_QUEUE	8
#define LOOKUP_COL_BACKOFF			9
#define LOOKUP_COL_BACKOFF_MAX		10
#define LOOKUP_COL_ARCHIVE_RETENTION	11
/* STMT_LOOKUP_QUEUE (0.7.0) */
#define LOOKUP_COL_DEDUP_WINDOW		12

/* STMT_LOOKUP_GROUP */
#define LOOKUP_GROUP_COL_GROUP_ID	1
#define LOOKUP_GROUP_COL_VISIBILITY_TIMEOUT	2
#define LOOKUP_GROUP_COL_FILTER		3
#define LOOKUP_GROUP_COL_MAX_DELIVERIES	4
#define LOOKUP_GROUP_COL_DEAD_LETTER_QUEUE	5
#define LOOKUP_GROUP_COL_BACKOFF	6
#define LOOKUP_GROUP_COL_BACKOFF_MAX	7

/* STMT_READ_GRANTS */
#define GRANT_COL_ROLE				1
#define GRANT_COL_PRIVILEGES		2

/* STMT_NOTIFY_QUEUES, STMT_NOTIFY_QUEUES_0_7 */
#define NOTIFY_COL_QUEUE_ID			1
#define NOTIFY_COL_QUEUE_NAME		2
#define NOTIFY_COL_THROTTLE			3
#define NOTIFY_COL_CHANNEL			4

/* STMT_PROBE_QUEUES, STMT_PROBE_ALL_QUEUES */
#define PROBE_COL_QUEUE_ID			1
#define PROBE_COL_QUEUE_NAME		2

/* ---- topic: begin ---- */
/*
 * First key of the lock that serializes partition creation
 * (pgmqc_lock_partitions), with the topic id as second key: 0x70676d71,
 * 'pgmq' in ASCII.
 */
#define PGMQC_PARTITION_LOCK_CLASS	1885826417

/* STMT_TOPIC_INSERT_CATALOG(_0_3) */
#define CREATED_TOPIC_COL_QUEUE_ID	1

/* STMT_GROUP_INSERT_CATALOG */
#define CREATED_GROUP_COL_GROUP_ID	1

/* STMT_TOPIC_GROUP_IDS */
#define GROUP_ID_COL_GROUP_ID		1

/* STMT_TOPIC_DETACHED_PARTITIONS */
#define DETACHED_COL_RELNAME		1

/* STMT_PARTITION_RANGE */
#define PARTITION_RANGE_COL_LOWEST	1
#define PARTITION_RANGE_COL_HIGHEST	2
/* STMT_PARTITION_NUMBERS */
#define PARTITION_NUMBERS_COL_NUMBER	1

/*
 * STMT_PARTITION_FIRST_AT, STMT_PARTITION_LAST_AT,
 * STMT_EXPIRE_UNREAD(_FILTERED): a single value
 */
#define MAINTENANCE_COL_VALUE		1

/* STMT_EXPIRE_GROUPS */
#define EXPIRE_GROUPS_COL_GROUP_ID	1
#define EXPIRE_GROUPS_COL_NEXT_ID	2
#define EXPIRE_GROUPS_COL_FILTERED	3

/* STMT_ALL_GROUPS */
#define ALL_GROUPS_COL_TOPIC_NAME	1
#define ALL_GROUPS_COL_GROUP_NAME	2
#define ALL_GROUPS_COL_GROUP_ID		3
#define ALL_GROUPS_COL_TOPIC_ID		4

/* STMT_TOPIC_GROUP_NAMES */
#define GROUP_NAMES_COL_GROUP_NAME	1

/* STMT_MAINTAINED_TOPICS */
#define MAINTAINED_COL_QUEUE_ID		1
#define MAINTAINED_COL_QUEUE_NAME	2
#define MAINTAINED_COL_PARTITION_SIZE	3
#define MAINTAINED_COL_RETENTION	4
/* ---- topic: end ---- */

/* ---- queue: begin ---- */
/* STMT_INSERT_QUEUE_ROW(_0_3) */
#define NEW_QUEUE_COL_QUEUE_ID		1

/* STMT_PURGE_COUNT */
#define PURGE_COL_COUNT				1

/* STMT_METRICS_ALL_LIST and its older forms */
#define METRICS_ALL_COL_QUEUE_ID	1
#define METRICS_ALL_COL_NAME		2
#define METRICS_ALL_COL_KIND		3
#define METRICS_ALL_COL_OWNER		4

/* STMT_LIST_QUEUES, STMT_LIST_TOPICS: then the columns shown, in order */
#define LISTING_COL_QUEUE_ID		1
#define LISTING_COL_OWNER			2
#define LISTING_COL_FIRST_SHOWN		3
/* ---- queue: end ---- */

/* for statements that name no object */
extern const PgmqcStatementTarget pgmqc_no_target;

extern void pgmqc_relation_name(char *buf, PgmqcRelation rel, int32 id,
								int64 partition);
extern Oid	pgmqc_relation_oid(PgmqcRelation rel, int32 id, int64 partition);
extern bool pgmqc_queue_unlogged(int32 queue_id);
extern bool pgmqc_topic_unlogged(int32 topic_id);
extern bool pgmqc_unlogged(char kind, int32 id);
extern char *pgmqc_expand(const char *template,
						  const PgmqcStatementTarget *target);
extern bool pgmqc_templates_exist(void);
extern bool pgmqc_retries_exist(void);
extern bool pgmqc_ordering_exists(void);
extern bool pgmqc_group_blocks_exist(void);
extern PgmqcStatementOwner pgmqc_statement_owner(PgmqcStatement stmt);
extern SPIPlanPtr pgmqc_statement_prepare(PgmqcStatement stmt,
										  const PgmqcStatementTarget *target);
extern SPIPlanPtr pgmqc_catalog_plan(PgmqcStatement stmt);
extern int	pgmqc_run_plan(SPIPlanPtr plan, PgmqcStatement stmt,
						   Datum *values, const char *nulls, long count);
extern int	pgmqc_run_once(PgmqcStatement stmt, const PgmqcStatementTarget *target,
						   Datum *values, const char *nulls, int expected);
extern int	pgmqc_run_catalog(PgmqcStatement stmt, Datum *values,
							  const char *nulls, long count);

/* the lock that makes creating and dropping objects take turns; dropping a
 * relation of pgmq_c's, whatever its kind now */
extern void pgmqc_lock_catalog(void);
extern void pgmqc_unlock_catalog(void);
extern void pgmqc_drop_relation(const char *relname);

/* planner settings while topic statements run */
extern int	pgmqc_plan_guard_begin(void);
extern int	pgmqc_plan_guard_ordered_begin(void);
extern void pgmqc_plan_guard_end(int level);

/* reading a result column of the current SPI result */
extern Datum pgmqc_column(int row, int column, bool *isnull);
extern int64 pgmqc_column_int64(int row, int column, bool *isnull);

#endif							/* PGMQC_STATEMENTS_H */
