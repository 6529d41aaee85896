/*-------------------------------------------------------------------------
 *
 * guarded.h
 *		Running a step in a subtransaction of its own, and reporting its
 *		failures at most once a minute (common/guarded.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/guarded.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_GUARDED_H
#define PGMQC_GUARDED_H

#include "utils/elog.h"

extern ErrorData *pgmqc_run_guarded(void (*fn) (void *arg), void *arg);
extern bool pgmqc_report_due(char kind, int32 id, int64 *unreported);

#endif							/* PGMQC_GUARDED_H */
