/*-------------------------------------------------------------------------
 *
 * pgmq_c.h
 *		What every layer of pgmq_c shares: the limits of the API, the
 *		configuration parameters and the two kinds of object.
 *
 * docs/architecture.md maps the layers and files; each folder of src/ has
 * its own header (common/object_cache.h for queues, topics and groups,
 * common/statements.h for the relations named after their ids and the
 * statements run on them).
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
#define PGMQC_MAX_REASON_LEN	1000	/* bytes of a nack's reason */
#define PGMQC_MAX_KEY_LEN		256 /* bytes of an ordering key or dedup id */

/* partitions of a topic's log exist at least this far past its last msg_id */
#define PGMQC_SEND_MARGIN		(2 * PGMQC_MAX_BATCH)

/* GUCs (pgmq_c.c) */
extern int	pgmqc_max_message_size;
extern int	pgmqc_metrics_exact_limit;
extern int	pgmqc_max_wait_ms;
extern int	pgmqc_max_receive_wait_ms;
extern int	pgmqc_cached_objects;
extern int	pgmqc_leased_head_skip_ms;

#define PGMQC_KIND_QUEUE	'q'
#define PGMQC_KIND_TOPIC	't'


#endif							/* PGMQ_C_H */
