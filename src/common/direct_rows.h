/*-------------------------------------------------------------------------
 *
 * direct_rows.h
 *		Rows written into pgmq_c's own tables without SQL
 *		(common/direct_rows.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/direct_rows.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_DIRECT_ROWS_H
#define PGMQC_DIRECT_ROWS_H

#include "access/htup.h"
#include "utils/relcache.h"

extern bool pgmqc_direct_table_plain(Relation rel);
extern bool pgmqc_direct_writable(Relation rel, const char *const *columns,
								  int ncolumns);
extern void pgmqc_direct_insert(Relation rel, HeapTuple tuple);

#endif							/* PGMQC_DIRECT_ROWS_H */
