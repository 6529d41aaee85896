/*-------------------------------------------------------------------------
 *
 * timelines.h
 *		msg_ids of a new timeline start past the old one's
 *		(common/timelines.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/timelines.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_TIMELINES_H
#define PGMQC_TIMELINES_H

/* how far every sequence moves on when a new timeline begins */
#define PGMQC_TIMELINE_GAP	(INT64CONST(1) << 32)

extern void pgmqc_check_timeline(void);

#endif							/* PGMQC_TIMELINES_H */
