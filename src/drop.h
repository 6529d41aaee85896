/*-------------------------------------------------------------------------
 *
 * drop.h
 *		Dropping queues, topics and groups whose tables are missing or
 *		damaged (queue_admin.c).
 *
 * pgmqc_lookup_kind refuses a queue or topic whose main table is missing
 * (XX001); drop_queue, drop_topic and drop_group must still remove it.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/drop.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_DROP_H
#define PGMQC_DROP_H

#include "pgmq_c.h"

extern PgmqcQueue *pgmqc_lookup_for_drop(const char *name, char kind,
										 bool missing_ok);
extern void pgmqc_drop_relation(const char *relname);

#endif							/* PGMQC_DROP_H */
