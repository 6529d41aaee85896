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

/* GUCs (pgmq_c.c) */
extern int	pgmqc_max_message_size;
extern int	pgmqc_metrics_exact_limit;
extern int	pgmqc_max_wait_ms;

#define PGMQC_KIND_QUEUE	'q'
#define PGMQC_KIND_TOPIC	't'


#endif							/* PGMQ_C_H */
