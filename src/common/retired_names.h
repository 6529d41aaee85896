/*-------------------------------------------------------------------------
 *
 * retired_names.h
 *		The next msg_id of a dropped queue or topic, kept under its name so
 *		that one made again under that name never hands out a msg_id twice
 *		(common/retired_names.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/retired_names.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_RETIRED_NAMES_H
#define PGMQC_RETIRED_NAMES_H

extern bool pgmqc_retired_names_exist(void);
extern void pgmqc_retire_name(int32 queue_id, Oid sequence);
extern int64 pgmqc_retired_start(const char *name, Oid sequence);
extern void pgmqc_retired_names_advance(int64 gap);

#endif							/* PGMQC_RETIRED_NAMES_H */
