/*-------------------------------------------------------------------------
 *
 * results.h
 *		Building the results of pgmq_c's SQL functions from the rows of the
 *		last SPI result (functions/results.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/results.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_RESULTS_H
#define PGMQC_RESULTS_H

#include "fmgr.h"
#include "access/tupdesc.h"

#include "common/security.h"

/*
 * A call of a receive procedure (receive, receive_group): its SPI
 * connection, whether it may commit, its result row type and the memory
 * context it was called in, where its result is built.
 */
typedef struct PgmqcReceiveCall
{
	PgmqcContext cxt;
	bool		nonatomic;
	TupleDesc	desc;
	MemoryContext caller_cxt;
} PgmqcReceiveCall;

extern bool pgmqc_call_commits(FunctionCallInfo fcinfo);
extern void pgmqc_receive_begin(FunctionCallInfo fcinfo,
								PgmqcReceiveCall *call);
extern Datum pgmqc_receive_end(PgmqcReceiveCall *call, int n);
extern void pgmqc_emit_rows(FunctionCallInfo fcinfo, bool sort_by_first);
extern void pgmqc_emit_ids(FunctionCallInfo fcinfo, int64 *ids, int n);
extern int64 *pgmqc_collect_ids(int *n);

#endif							/* PGMQC_RESULTS_H */
