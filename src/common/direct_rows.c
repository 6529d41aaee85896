/*-------------------------------------------------------------------------
 *
 * direct_rows.c
 *		Rows written into pgmq_c's own tables without SQL.
 *
 * Two hot paths -- remembering a deduplication id (common/dedup.c) and
 * sending one message to a queue (queue/send.c) -- write their row with
 * heap_insert and index_insert, as PostgreSQL's catalog code does, instead
 * of running a statement: a statement's executor start-up costs more than
 * the row.  That is safe only on a table that is as pgmq_c made it: no
 * triggers, rules, row security or CHECK constraints, which a direct insert
 * would not fire or check; plain indexes only, since index expressions,
 * predicates and exclusion constraints would need an executor to evaluate;
 * the columns the caller expects.  pgmqc_direct_table_plain() and
 * pgmqc_direct_writable() check this on the open relation (its relcache
 * entry: no catalog reads); a caller whose table fails the check runs its
 * statement instead, or refuses.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/direct_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "nodes/pg_list.h"
#include "utils/rel.h"

#include "common/direct_rows.h"

/*
 * Whether rows can be written into rel directly, whatever its columns: an
 * ordinary table without triggers, rules, row security or CHECK
 * constraints (an executor would fire or check them), whose indexes are all
 * valid and plain: no expressions, no predicate, no exclusion constraint,
 * no deferred uniqueness.  The caller holds a lock on rel.
 */
bool
pgmqc_direct_table_plain(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *indexes;
	ListCell   *lc;
	bool		plain = true;

	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->trigdesc != NULL ||
		rel->rd_rules != NULL || rel->rd_rel->relrowsecurity ||
		(desc->constr != NULL && desc->constr->num_check > 0))
		return false;

	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);

		plain = index->rd_index->indisvalid && index->rd_index->indisready &&
			index->rd_index->indimmediate &&
			!index->rd_index->indisexclusion &&
			RelationGetIndexExpressions(index) == NIL &&
			RelationGetIndexPredicate(index) == NIL;
		index_close(index, AccessShareLock);
		if (!plain)
			break;
	}
	list_free(indexes);
	return plain;
}

/*
 * Whether rows can be written into rel directly: a plain table (above)
 * whose columns are columns[0..ncolumns-1], in that order.  The caller
 * holds a lock on rel.
 */
bool
pgmqc_direct_writable(Relation rel, const char *const *columns, int ncolumns)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (desc->natts != ncolumns)
		return false;
	for (i = 0; i < ncolumns; i++)
		if (TupleDescAttr(desc, i)->attisdropped ||
			strcmp(NameStr(TupleDescAttr(desc, i)->attname), columns[i]) != 0)
			return false;
	return pgmqc_direct_table_plain(rel);
}

/*
 * Insert tuple into rel and into each of its indexes, as CatalogTupleInsert
 * does.  rel must have passed pgmqc_direct_writable() and be locked
 * RowExclusiveLock; the caller makes the row visible to the commands that
 * follow (CommandCounterIncrement).
 */
void
pgmqc_direct_insert(Relation rel, HeapTuple tuple)
{
	TupleTableSlot *slot;
	List	   *indexes;
	ListCell   *lc;

	simple_heap_insert(rel, tuple);

	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);
	ExecStoreHeapTuple(tuple, slot, false);
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		IndexInfo  *info = BuildIndexInfo(index);
		Datum		values[INDEX_MAX_KEYS];
		bool		nulls[INDEX_MAX_KEYS];

		FormIndexDatum(info, slot, NULL, values, nulls);
		(void) index_insert(index, values, nulls, &tuple->t_self, rel,
							info->ii_Unique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
#if PG_VERSION_NUM >= 140000
							false,
#endif
							info);
		index_close(index, NoLock);
	}
	list_free(indexes);
	ExecDropSingleTupleTableSlot(slot);
}
