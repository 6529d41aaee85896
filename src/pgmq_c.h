/*-------------------------------------------------------------------------
 *
 * pgmq_c.h
 *		Declarations shared by the pgmq_c source files.
 *
 * A queue is a row in pgmq_c.queues plus three tables named after its
 * queue_id, never after the user's name:
 *
 *	pgmq_c.q_<id>		live messages (visible or leased), pk msg_id
 *	pgmq_c.d_<id>		delayed messages not yet due, pk msg_id, index on
 *						deliver_at
 *	pgmq_c.a_<id>		archived messages, pk msg_id
 *	pgmq_c.q_<id>_seq	msg_id sequence shared by the three
 *
 * docs/design.md explains the storage design, in particular the per-backend
 * low watermark that keeps reads off the dead tuples left by consumed
 * messages while the xmin horizon is pinned.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/pgmq_c.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQ_C_H
#define PGMQ_C_H

#include "datatype/timestamp.h"
#include "utils/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"

/* limits of the API, documented in README.md */
#define PGMQC_MAX_NAME_LEN		80
#define PGMQC_MAX_BATCH			10000
#define PGMQC_MAX_VT_SECS		(12 * 60 * 60)

/* partitions of a topic's log exist at least this far past its last msg_id */
#define PGMQC_SEND_MARGIN		(2 * PGMQC_MAX_BATCH)

/* GUCs (pgmq_c.c, wait.c) */
extern int	pgmqc_max_message_size;
extern int	pgmqc_metrics_exact_limit;
extern int	pgmqc_max_wait_ms;
extern int	pgmqc_wait_slice_ms;
extern int	pgmqc_poll_interval_ms;

/* The statements kept per queue; see queue_cache.c for their text. */
typedef enum PgmqcStmt
{
	STMT_SEND,
	STMT_SEND_DELAYED,
	STMT_SEND_BATCH,
	STMT_SEND_BATCH_DELAYED,
	STMT_DUE_PROBE,
	STMT_MATURE,
	STMT_CLAIM,
	STMT_POP,
	STMT_LWM_SCAN,
	STMT_SEQ_LAST,
	STMT_DELETE,
	STMT_DELETE_DELAYED,
	STMT_DELETE_MANY,
	STMT_DELETE_MANY_DELAYED,
	STMT_ARCHIVE,
	STMT_ARCHIVE_DELAYED,
	STMT_ARCHIVE_MANY,
	STMT_ARCHIVE_MANY_DELAYED,
	STMT_SET_VT,
	STMT_SET_VT_DELAYED,
	STMT_READ_ARCHIVE,
	STMT_METRICS,
	STMT_NEXT_DUE,
	/* topics (topic_read.c, topic_metrics.c) */
	STMT_T_SEND_BATCH,
	STMT_T_BOUNDS,
	STMT_T_FIRST_AT,
	STMT_T_METRICS,
	NUM_PGMQC_STMTS
} PgmqcStmt;

/*
 * Backend-local state for one queue.  Entries live in CacheMemoryContext and
 * are looked up by queue name.  A relcache invalidation of the queue's
 * message table marks the entry for re-validation against pgmq_c.queues.
 */
typedef struct PgmqcQueue
{
	char		name[PGMQC_MAX_NAME_LEN + 1];	/* hash key */
	int32		queue_id;
	char		kind;			/* PGMQC_KIND_QUEUE or PGMQC_KIND_TOPIC */
	Oid			relid;			/* pgmq_c.q_<id>, or a topic's log t_<id> */
	int64		partition_size; /* topics: msg_ids per partition */
	Interval	default_vt;
	bool		notify;			/* enable_notify() is on */
	bool		valid;			/* false: re-check pgmq_c.queues */
	Oid			owner;			/* the queue's owner (queues.owner) */

	/* the caller's privileges on the queue, as last computed (access.c) */
	Oid			access_role;
	uint64		access_generation;
	int			access_mask;
	SPIPlanPtr	plans[NUM_PGMQC_STMTS];

	/* low watermark state (queue_read.c) */
	int64		lwm;			/* committed: no live message below */
	int64		lwm_tentative;	/* advanced inside the current xact */
	bool		has_tentative;
	int64		safe_id;		/* every msg_id <= safe_id is final */
	int64		pend_id;		/* candidate for safe_id ... */
	TransactionId pend_xid;		/* ... once every xid < pend_xid ended */
	bool		pend_valid;
	TimestampTz last_advance;
	int64		part_hi;		/* topics: end of the last partition, or 0 */
	Oid			seqid;			/* topics: the msg_id sequence */
	SPIPlanPtr	part_plan;		/* topics: send into partition part_plan_k */
	int64		part_plan_k;
} PgmqcQueue;

/* The statements kept per consumer group; see topic_cache.c. */
typedef enum PgmqcGroupStmt
{
	GSTMT_CLAIM,
	GSTMT_LOCK_CURSOR,
	GSTMT_CURSOR,
	GSTMT_FILL,
	GSTMT_SET_CURSOR,
	GSTMT_LWM_SCAN,
	GSTMT_NEXT_DUE,
	GSTMT_AVAILABLE,
	GSTMT_ACK,
	GSTMT_ACK_MANY,
	GSTMT_NACK,
	GSTMT_SET_VT,
	GSTMT_STATS,
	NUM_PGMQC_GSTMTS
} PgmqcGroupStmt;

typedef struct PgmqcGroupKey
{
	int32		topic_id;
	char		name[PGMQC_MAX_NAME_LEN + 1];
} PgmqcGroupKey;

/*
 * Backend-local state for one consumer group, in CacheMemoryContext, keyed
 * by (topic id, group name).  A relcache invalidation of the group's table
 * pgmq_c.g_<id> marks it for re-validation against pgmq_c.groups.
 */
typedef struct PgmqcGroup
{
	PgmqcGroupKey key;			/* hash key */
	int32		group_id;
	Oid			relid;			/* pgmq_c.g_<id> */
	Interval	default_vt;
	Jsonb	   *filter;			/* NULL: every message */
	bool		valid;
	SPIPlanPtr	plans[NUM_PGMQC_GSTMTS];

	/* low watermark of the group's table, as for a queue */
	int64		lwm;
	int64		lwm_tentative;
	bool		has_tentative;
	int64		epoch;			/* the group's seek counter last seen */
	int64		known_next;		/* the group's cursor, as last seen */
	TimestampTz last_advance;
} PgmqcGroup;

#define PGMQC_KIND_QUEUE	'q'
#define PGMQC_KIND_TOPIC	't'

/* validate.c */
extern void pgmqc_check_name(const char *name);
extern void pgmqc_check_name_as(const char *name, const char *what);
extern char *pgmqc_arg_name(FunctionCallInfo fcinfo, int argno);
extern char *pgmqc_arg_name_as(FunctionCallInfo fcinfo, int argno,
							   const char *what);
extern void pgmqc_check_not_null(FunctionCallInfo fcinfo, int argno,
								 const char *argname);
extern void pgmqc_check_vt(Interval *vt, const char *argname, bool allow_zero);
extern void pgmqc_check_delay(Interval *delay);
extern int32 pgmqc_check_qty(FunctionCallInfo fcinfo, int argno);
extern void pgmqc_check_message(Jsonb *message);
extern void pgmqc_check_headers(Jsonb *headers);
extern void pgmqc_check_size(Jsonb *message, Jsonb *headers);
extern void pgmqc_check_writable(const char *funcname);
extern bool pgmqc_interval_is_zero(Interval *iv);
extern TimestampTz pgmqc_now_plus(Interval *iv);
extern TimestampTz pgmqc_ts_plus(TimestampTz ts, Interval *iv);
extern ArrayType *pgmqc_check_array(FunctionCallInfo fcinfo, int argno,
									const char *argname, bool allow_empty);
extern void pgmqc_check_not_dropped(PgmqcQueue *queue);
extern bool pgmqc_check_group_not_dropped(PgmqcQueue *topic, PgmqcGroup *group,
										  bool missing_ok);

/* queue_cache.c */
extern void pgmqc_cache_init(void);
extern PgmqcQueue *pgmqc_lookup(const char *name, bool missing_ok);
extern PgmqcQueue *pgmqc_lookup_kind(const char *name, char kind,
									 bool missing_ok);
extern void pgmqc_forget(const char *name);
extern SPIPlanPtr pgmqc_plan(PgmqcQueue *queue, PgmqcStmt stmt);
extern SPIPlanPtr pgmqc_partition_send_plan(PgmqcQueue *topic, int64 partno);
extern int	pgmqc_exec(PgmqcQueue *queue, PgmqcStmt stmt, Datum *values,
					   const char *nulls, long count);
extern void pgmqc_lwm_xact_end(bool commit);
extern void pgmqc_lwm_set_tentative(PgmqcQueue *queue, int64 lwm);

/* topic_read.c */
extern int64 pgmqc_topic_safe_id(PgmqcQueue *topic, bool wait);
extern void pgmqc_topic_before_send(PgmqcQueue *topic, int count);
extern void pgmqc_topic_sent(PgmqcQueue *topic, int64 last_id, int count,
							 Interval *delay);
extern void pgmqc_fill_all_groups(void);

/* topic_cache.c */
extern void pgmqc_group_cache_init(void);
extern PgmqcGroup *pgmqc_group_lookup(PgmqcQueue *topic, const char *name,
									  bool missing_ok);
extern int	pgmqc_gexec(PgmqcGroup *group, PgmqcGroupStmt stmt, Datum *values,
						const char *nulls, long count);
extern void pgmqc_group_set_tentative(PgmqcGroup *group, int64 lwm);
extern int	pgmqc_plan_guard_begin(void);
extern void pgmqc_plan_guard_end(int level);
extern void pgmqc_group_lwm_xact_end(bool commit);
extern void pgmqc_group_forget_topic(int32 topic_id);

/* topic_maint.c */
extern int64 pgmqc_maintain_topics_internal(void);
extern bool pgmqc_partition_exists(int32 topic_id, int64 partno);
extern bool pgmqc_partition_range(int32 topic_id, int64 *lowest, int64 *highest);
extern void pgmqc_create_partition(int32 topic_id, int64 partition_size,
								   int64 partno);

/* guarded.c */
extern ErrorData *pgmqc_run_guarded(void (*fn) (void *arg), void *arg);
extern bool pgmqc_report_due(char kind, int32 id, int64 *unreported);

/* queue_admin.c */
extern void pgmqc_run_sql(const char *sql, int expected);
extern void pgmqc_run_ddl(const char *sql, int expected);
extern void pgmqc_lock_catalog(void);

/*
 * Dropping what is damaged: pgmqc_lookup_kind refuses a queue or topic whose
 * main table is missing (XX001), but drop_queue, drop_topic and drop_group
 * must still remove it (queue_admin.c).
 */
extern PgmqcQueue *pgmqc_lookup_for_drop(const char *name, char kind,
										 bool missing_ok);
extern void pgmqc_drop_relation(const char *relname);

/* queue_read.c */
extern int64 pgmqc_effective_lwm(PgmqcQueue *queue);

/* wait.c */
extern uint64 pgmqc_generation(PgmqcQueue *queue);
extern void pgmqc_sleep(PgmqcQueue *queue, uint64 seen, TimestampTz until);
extern TimestampTz pgmqc_next_due(PgmqcQueue *queue, int64 lwm);

/* result sets and waiting (queue_read.c) */
extern bool pgmqc_check_wait(Interval *wait);
extern TupleDesc pgmqc_call_result_desc(FunctionCallInfo fcinfo, bool *nonatomic);
extern Datum pgmqc_message_array(TupleDesc desc, int n,
								 MemoryContext result_cxt);
extern void pgmqc_emit_rows(FunctionCallInfo fcinfo, bool sort_by_first);
extern void pgmqc_emit_ids(FunctionCallInfo fcinfo, int64 *ids, int n);
extern int64 *pgmqc_collect_ids(int *n);

#endif							/* PGMQ_C_H */
