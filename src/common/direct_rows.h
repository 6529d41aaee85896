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
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "storage/lockdefs.h"
#include "utils/snapshot.h"
#include "utils/relcache.h"

/*
 * A column of a row written directly: its name and type, whether the table
 * must have it (tables made by older versions lack some), and its value.
 * no_default: the statement leaves the column out, to a default that
 * pgmq_c's tables do not give it, and the direct write leaves it NULL; a
 * table where a superuser gave it a default takes the statement.
 */
typedef struct PgmqcDirectColumn
{
	const char *name;
	Oid			type;
	bool		required;
	Datum		value;
	bool		isnull;
	bool		no_default;
} PgmqcDirectColumn;

/* what pgmqc_direct_change did */
typedef enum PgmqcDirectChange
{
	PGMQC_DIRECT_DONE,			/* updated or deleted */
	PGMQC_DIRECT_GONE,			/* the row was deleted meanwhile */
	PGMQC_DIRECT_RECHECK,		/* changed meanwhile: its newest version,
								 * locked, is in the slot */
}			PgmqcDirectChange;

/*
 * Rows inserted into one table directly, many at a time
 * (pgmqc_direct_batch_begin): the heap rows by pages, as COPY does, and
 * their index entries with the indexes opened once.
 */
typedef struct PgmqcDirectBatch PgmqcDirectBatch;

/* whether the row in slot is still the one to delete (pgmqc_direct_delete) */
typedef bool (*PgmqcDirectRecheck) (TupleTableSlot *slot, void *arg);

extern bool pgmqc_direct_heap_plain(Relation rel);
extern bool pgmqc_direct_index_plain(Relation index);
extern bool pgmqc_direct_index_insertable(Relation index);
extern bool pgmqc_direct_index_sorts_plain(Relation rel, Relation index);
extern bool pgmqc_direct_table_plain(Relation rel);
extern bool pgmqc_direct_indexes_insertable(Relation rel);
extern bool pgmqc_direct_has_primary_key(Oid relid);
extern bool pgmqc_direct_columns_named(Relation rel,
									   const char *const *columns,
									   const Oid *types, int ncolumns);
extern int *pgmqc_direct_columns_fit(Relation rel,
									 const PgmqcDirectColumn *columns,
									 int ncolumns);
extern void pgmqc_direct_insert_columns(Relation rel,
										const PgmqcDirectColumn *columns,
										const int *map);
extern void pgmqc_direct_insert(Relation rel, HeapTuple tuple);
extern PgmqcDirectBatch *pgmqc_direct_batch_begin(Relation rel, int capacity);
extern void pgmqc_direct_batch_add(PgmqcDirectBatch *batch, Datum *values,
								   bool *nulls);
extern void pgmqc_direct_batch_end(PgmqcDirectBatch *batch);
extern void pgmqc_direct_index_entry(Relation rel, Relation index,
									 IndexInfo *info, Datum *values,
									 bool *nulls, ItemPointer tid);
extern PgmqcDirectChange pgmqc_direct_change(Relation rel,
											 TupleTableSlot *slot,
											 Snapshot snapshot,
											 HeapTuple newtuple);
extern AttrNumber pgmqc_direct_column_number(Relation rel, const char *name,
											 Oid type);
extern Relation pgmqc_direct_open_int8_key(Relation rel, LOCKMODE lockmode);
extern Relation pgmqc_direct_open_column_index(Relation rel,
											   AttrNumber first,
											   AttrNumber second,
											   LOCKMODE lockmode);
extern bool pgmqc_direct_first(Relation rel, Relation index,
							   AttrNumber attnum, Datum *value, bool *isnull);
extern bool pgmqc_direct_delete(Relation rel, Relation index, int64 key,
								PgmqcDirectRecheck recheck, void *arg,
								TupleTableSlot *slot);

/* what pgmqc_direct_delete_receipt did */
typedef enum PgmqcReceiptDelete
{
	PGMQC_RECEIPT_UNABLE,		/* the table is not as pgmq_c made it */
	PGMQC_RECEIPT_ABSENT,		/* no such message (with that read_ct) */
	PGMQC_RECEIPT_DELETED,
} PgmqcReceiptDelete;

extern PgmqcReceiptDelete pgmqc_direct_delete_receipt(Oid relid, int64 msg_id,
													  bool has_read_ct,
													  int32 read_ct,
													  const char *text_column,
													  text **text_value);

#endif							/* PGMQC_DIRECT_ROWS_H */
