/*-------------------------------------------------------------------------
 *
 * retry_settings.h
 *		The settings of alter_queue() and alter_group(), which
 *		create_queue() and create_group() accept too
 *		(functions/retry_settings.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/retry_settings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_RETRY_SETTINGS_H
#define PGMQC_RETRY_SETTINGS_H

#include "fmgr.h"
#include "datatype/timestamp.h"

#include "common/object_cache.h"

/*
 * Settings as given: NULL pointers (has_... false) leave a setting as it
 * is; zero (an empty dead-letter queue name) clears it.
 */
typedef struct PgmqcSettings
{
	Interval   *visibility_timeout;
	bool		has_max_deliveries;
	int32		max_deliveries;
	char	   *dead_letter_queue;
	Interval   *retry_backoff;
	Interval   *retry_backoff_max;
	Interval   *archive_retention;	/* queues only */
	Interval   *dedup_window;	/* queues and topics (0.7.0) */
	bool		has_durability; /* queues and topics (0.8.0) */
	bool		unlogged;
} PgmqcSettings;

extern void pgmqc_settings_from_args(FunctionCallInfo fcinfo, int first_argno,
									 bool with_archive_retention,
									 PgmqcSettings *settings);
extern bool pgmqc_settings_given(const PgmqcSettings *settings);
extern void pgmqc_apply_settings(PgmqcQueue *queue, PgmqcGroup *group,
								 const PgmqcSettings *settings);
extern Interval *pgmqc_dedup_window_arg(FunctionCallInfo fcinfo, int argno);
extern bool pgmqc_durability_arg(FunctionCallInfo fcinfo, int argno,
								 bool *unlogged);
extern void pgmqc_apply_dedup_window(PgmqcQueue *queue, Interval *window);

#endif							/* PGMQC_RETRY_SETTINGS_H */
