/*-------------------------------------------------------------------------
 *
 * arguments.h
 *		Checks of the arguments of pgmq_c's SQL functions
 *		(functions/arguments.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/arguments.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_ARGUMENTS_H
#define PGMQC_ARGUMENTS_H

#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/* how much of a caller's string an error message shows */
#define PGMQC_MESSAGE_CLIP 64

extern char *pgmqc_clip_for_message(const char *s);
extern bool pgmqc_name_is_valid(const char *name);
extern void pgmqc_check_name(const char *name);
extern void pgmqc_check_name_as(const char *name, const char *what);
extern char *pgmqc_arg_name(FunctionCallInfo fcinfo, int argno);
extern char *pgmqc_arg_name_as(FunctionCallInfo fcinfo, int argno,
							   const char *what);
extern void pgmqc_check_not_null(FunctionCallInfo fcinfo, int argno,
								 const char *argname);
extern void pgmqc_check_interval_parts(Interval *interval, const char *argname);
extern void pgmqc_check_vt(Interval *vt, const char *argname, bool allow_zero);
extern void pgmqc_check_delay(Interval *delay);
extern int32 pgmqc_check_qty(FunctionCallInfo fcinfo, int argno);
extern void pgmqc_check_message(Jsonb *message);
extern void pgmqc_check_headers(Jsonb *headers);
extern void pgmqc_check_size(Jsonb *message, Jsonb *headers);
extern void pgmqc_check_writable(const char *funcname);
extern ArrayType *pgmqc_check_array_nulls(FunctionCallInfo fcinfo, int argno,
										  const char *argname,
										  bool allow_empty, bool allow_nulls);
extern ArrayType *pgmqc_check_array(FunctionCallInfo fcinfo, int argno,
									const char *argname, bool allow_empty);

extern void pgmqc_check_read_ct(int32 read_ct);
extern ArrayType *pgmqc_check_read_cts(FunctionCallInfo fcinfo, int argno,
									   int n);
extern ArrayType *pgmqc_check_receipts(FunctionCallInfo fcinfo, int ids_arg,
									   int cts_arg, const char *ids_name,
									   const char *cts_name,
									   ArrayType **read_cts, int *n);
extern void pgmqc_check_reason(text *reason);
extern void pgmqc_check_key(text *key, const char *argname);
extern Datum *pgmqc_check_key_array(FunctionCallInfo fcinfo, int argno,
									const char *argname, const char *elemname,
									int n, bool **elem_nulls);

/* functions/wait_argument.c */
extern bool pgmqc_check_wait_length(Interval *wait, bool commits);
extern bool pgmqc_check_wait(Interval *wait, bool commits);

#endif							/* PGMQC_ARGUMENTS_H */
