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

extern TupleDesc pgmqc_call_result_desc(FunctionCallInfo fcinfo, bool *nonatomic);
extern Datum pgmqc_message_array(TupleDesc desc, int n,
								 MemoryContext result_cxt);
extern void pgmqc_emit_rows(FunctionCallInfo fcinfo, bool sort_by_first);
extern void pgmqc_emit_ids(FunctionCallInfo fcinfo, int64 *ids, int n);
extern int64 *pgmqc_collect_ids(int *n);

#endif							/* PGMQC_RESULTS_H */
