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
 * would not fire or check; no exclusion constraints or deferred uniqueness,
 * which its index inserts would not check (index expressions and
 * predicates it does evaluate); the columns the caller expects.
 * pgmqc_direct_table_plain() and pgmqc_direct_columns_fit() check this on
 * the open relation (its relcache entry: no catalog reads); a caller whose
 * table fails the check runs its statement instead, or refuses.
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
#include "access/stratnum.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/pg_list.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "common/direct_rows.h"

/*
 * Whether rows can be written into rel itself directly, its indexes left
 * aside: an ordinary heap table without triggers, rules, row security,
 * CHECK constraints or stored generated columns (an executor would fire,
 * check or compute them), and without inheritance children (whose rows
 * the statements, without ONLY, would see).  The caller holds a lock on
 * rel.
 */
bool
pgmqc_direct_heap_plain(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	return rel->rd_rel->relkind == RELKIND_RELATION &&
		!rel->rd_rel->relhassubclass &&
		rel->rd_rel->relam == HEAP_TABLE_AM_OID && rel->trigdesc == NULL &&
		rel->rd_rules == NULL && !rel->rd_rel->relrowsecurity &&
		(desc->constr == NULL ||
		 (desc->constr->num_check == 0 && !desc->constr->has_generated_stored));
}

/*
 * Whether entries can be inserted into index directly: it is valid and
 * ready, without an exclusion constraint or deferred uniqueness.
 */
bool
pgmqc_direct_index_plain(Relation index)
{
	return index->rd_index->indisvalid && index->rd_index->indisready &&
		pgmqc_direct_index_insertable(index);
}

/*
 * Whether pgmqc_direct_insert() can maintain index as the executor would,
 * whether or not it is valid and ready yet (an index being made or remade
 * concurrently): without an exclusion constraint or deferred uniqueness.
 */
bool
pgmqc_direct_index_insertable(Relation index)
{
	return index->rd_index->indimmediate && !index->rd_index->indisexclusion;
}

/*
 * Whether the key columns of index, an index of rel, sort as those of
 * pgmq_c's own btree indexes do: ascending, nulls last, each with its
 * type's default operator family, and with a deterministic collation
 * (pgmq_c's walks compare text keys for equality only, and the lookup
 * index of deduplication ids is COLLATE "C").  A walk in another order
 * (DESC, text_pattern_ops) would not be the statements' order, nor would a
 * case-insensitive collation's equality be theirs; and a superuser's index
 * on the same columns may come first in rel's index list, since REINDEX
 * CONCURRENTLY gives pgmq_c's own a newer OID.
 */
bool
pgmqc_direct_index_sorts_plain(Relation rel, Relation index)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (index->rd_rel->relam != BTREE_AM_OID)
		return false;
	for (i = 0; i < index->rd_index->indnkeyatts; i++)
	{
		AttrNumber	attnum = index->rd_index->indkey.values[i];
		Oid			collation = index->rd_indcollation[i];
		Form_pg_attribute att;

		if (attnum <= 0 || attnum > desc->natts)
			return false;		/* an expression */
		att = TupleDescAttr(desc, attnum - 1);
		if (index->rd_indoption[i] != 0 ||
			index->rd_opfamily[i] !=
			lookup_type_cache(att->atttypid, TYPECACHE_BTREE_OPFAMILY)->btree_opf)
			return false;
		if (OidIsValid(collation) && collation != C_COLLATION_OID &&
			collation != DEFAULT_COLLATION_OID &&
			!get_collation_isdeterministic(collation))
			return false;
	}
	return true;
}

/*
 * Whether every index of rel passes test.  The caller holds a lock on rel.
 */
static bool
indexes_all(Relation rel, bool (*test) (Relation index))
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		passed = true;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);

		passed = test(index);
		index_close(index, AccessShareLock);
		if (!passed)
			break;
	}
	list_free(indexes);
	return passed;
}

/*
 * Whether rows can be written into rel directly, whatever its columns: a
 * plain table (pgmqc_direct_heap_plain) whose indexes are all plain
 * (pgmqc_direct_index_plain).  The caller holds a lock on rel.
 */
bool
pgmqc_direct_table_plain(Relation rel)
{
	return pgmqc_direct_heap_plain(rel) &&
		indexes_all(rel, pgmqc_direct_index_plain);
}

/*
 * Whether rel's indexes all take entries as an INSERT or UPDATE would give
 * them (pgmqc_direct_index_insertable): an index a CREATE INDEX
 * CONCURRENTLY made, or left invalid when it was cancelled, too.  The
 * caller holds a lock on rel.
 */
bool
pgmqc_direct_indexes_insertable(Relation rel)
{
	return indexes_all(rel, pgmqc_direct_index_insertable);
}

/*
 * Whether rel's columns are columns[0..ncolumns-1], in that order, none
 * dropped, of types[0..ncolumns-1].
 */
bool
pgmqc_direct_columns_named(Relation rel, const char *const *columns,
						   const Oid *types, int ncolumns)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (desc->natts != ncolumns)
		return false;
	for (i = 0; i < ncolumns; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != types[i] ||
			strcmp(NameStr(att->attname), columns[i]) != 0)
			return false;
	}
	return true;
}

/*
 * Whether a row of columns[0..ncolumns-1] can be written into rel directly,
 * by name: rel is a plain table (above) each of whose columns is one of
 * them, with its type, and which has the required ones.  Returns, for each
 * of rel's columns, which of columns it is (-1: a dropped column, left
 * NULL), for pgmqc_direct_insert_columns(); NULL when the row does not fit.
 * The caller holds a lock on rel.
 */
int *
pgmqc_direct_columns_fit(Relation rel, const PgmqcDirectColumn *columns,
						 int ncolumns)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int		   *map = palloc(Max(desc->natts, 1) * sizeof(int));
	bool	   *seen = palloc0(ncolumns * sizeof(bool));
	int			i;
	int			c;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		map[i] = -1;
		if (att->attisdropped)
			continue;
		for (c = 0; c < ncolumns; c++)
			if (strcmp(NameStr(att->attname), columns[c].name) == 0)
				break;
		if (c == ncolumns || seen[c] || att->atttypid != columns[c].type ||
			att->attgenerated || (columns[c].no_default && att->atthasdef))
			goto no_fit;
		seen[c] = true;
		map[i] = c;
	}
	for (c = 0; c < ncolumns; c++)
		if (columns[c].required && !seen[c])
			goto no_fit;
	if (!pgmqc_direct_table_plain(rel))
		goto no_fit;
	pfree(seen);
	return map;

no_fit:
	pfree(seen);
	pfree(map);
	return NULL;
}

/*
 * Refuse a row with a NULL in a NOT NULL column of rel, as an INSERT would
 * (the executor's ExecConstraints): pgmq_c leaves NULL only columns its
 * tables allow to be, but a superuser may have altered one.
 */
static void
check_not_null(Relation rel, const bool *nulls)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (desc->constr == NULL || !desc->constr->has_not_null)
		return;
	for (i = 0; i < desc->natts; i++)
		if (nulls[i] && TupleDescAttr(desc, i)->attnotnull)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
							NameStr(TupleDescAttr(desc, i)->attname),
							RelationGetRelationName(rel)),
					 errtablecol(rel, i + 1)));
}

/*
 * Insert the row of columns (their values now set) into rel, as mapped by
 * pgmqc_direct_columns_fit(); see pgmqc_direct_insert() for the rest.
 */
void
pgmqc_direct_insert_columns(Relation rel, const PgmqcDirectColumn *columns,
							const int *map)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Datum	   *values = palloc(Max(desc->natts, 1) * sizeof(Datum));
	bool	   *nulls = palloc(Max(desc->natts, 1) * sizeof(bool));
	HeapTuple	tuple;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		values[i] = map[i] < 0 ? (Datum) 0 : columns[map[i]].value;
		nulls[i] = map[i] < 0 || columns[map[i]].isnull;
	}
	check_not_null(rel, nulls);
	tuple = heap_form_tuple(desc, values, nulls);
	pgmqc_direct_insert(rel, tuple);
	heap_freetuple(tuple);
	pfree(values);
	pfree(nulls);
}

/*
 * Insert the entry values/nulls (the index's columns, as FormIndexDatum
 * makes them) for heap row tid of rel into index, whose IndexInfo is info,
 * checking uniqueness at once if the index is unique.
 */
void
pgmqc_direct_index_entry(Relation rel, Relation index, IndexInfo *info,
						 Datum *values, bool *nulls, ItemPointer tid)
{
	(void) index_insert(index, values, nulls, tid, rel,
						info->ii_Unique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
#if PG_VERSION_NUM >= 140000
						false,
#endif
						info);
}

#if PG_VERSION_NUM >= 140000
/*
 * Whether an update from the row in old to tuple left the key columns of
 * the index of info as they were (no index expression, each key column's
 * value the same): the hint an UPDATE gives index_insert() (PostgreSQL 14
 * and later), with which a btree deletes the older versions' entries
 * before it splits a page for the new one.
 */
static bool
index_unchanged(IndexInfo *info, TupleTableSlot *old, HeapTuple tuple,
				TupleDesc desc)
{
	int			k;

	if (old == NULL || info->ii_Expressions != NIL)
		return false;
	for (k = 0; k < info->ii_NumIndexKeyAttrs; k++)
	{
		AttrNumber	attnum = info->ii_IndexAttrNumbers[k];
		Form_pg_attribute att;
		Datum		before;
		Datum		after;
		bool		before_null;
		bool		after_null;

		if (attnum <= 0)
			return false;
		att = TupleDescAttr(desc, attnum - 1);
		before = slot_getattr(old, attnum, &before_null);
		after = heap_getattr(tuple, attnum, desc, &after_null);
		if (before_null != after_null ||
			(!before_null && !datumIsEqual(before, after, att->attbyval,
										   att->attlen)))
			return false;
	}
	return true;
}
#endif

/*
 * Insert index entries for tuple (already in rel's heap) into each of rel's
 * indexes (only the summarizing ones, BRIN, if summarizing_only), as the
 * executor's ExecInsertIndexTuples does: an index with a predicate only
 * when the row satisfies it, index expressions evaluated, and for an
 * update (old: the row before it) the hint that the index's columns did
 * not change, where they did not.
 */
static void
insert_index_entries(Relation rel, HeapTuple tuple, bool summarizing_only,
					 TupleTableSlot *old)
{
	TupleTableSlot *slot;
	EState	   *estate = NULL;
	List	   *indexes;
	ListCell   *lc;

	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);
	ExecStoreHeapTuple(tuple, slot, false);
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		IndexInfo  *info = BuildIndexInfo(index);
		Datum		values[INDEX_MAX_KEYS];
		bool		nulls[INDEX_MAX_KEYS];

		/* an index being made (CREATE INDEX CONCURRENTLY) takes none yet */
		if (!info->ii_ReadyForInserts)
		{
			index_close(index, NoLock);
			continue;
		}

#if PG_VERSION_NUM >= 160000
		if (summarizing_only && !info->ii_Summarizing)
		{
			index_close(index, NoLock);
			continue;
		}
#endif
		if ((info->ii_Predicate != NIL || info->ii_Expressions != NIL) &&
			estate == NULL)
		{
			/* an executor state only to evaluate expressions */
			estate = CreateExecutorState();
			GetPerTupleExprContext(estate)->ecxt_scantuple = slot;
		}
		if (info->ii_Predicate != NIL)
		{
			ExprState  *predicate = ExecPrepareQual(info->ii_Predicate, estate);

			if (!ExecQual(predicate, GetPerTupleExprContext(estate)))
			{
				index_close(index, NoLock);
				continue;
			}
		}
		FormIndexDatum(info, slot, estate, values, nulls);
		(void) index_insert(index, values, nulls, &tuple->t_self, rel,
							info->ii_Unique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
#if PG_VERSION_NUM >= 140000
							index_unchanged(info, old, tuple, RelationGetDescr(rel)),
#endif
							info);
		index_close(index, NoLock);
	}
	list_free(indexes);
	if (estate != NULL)
		FreeExecutorState(estate);
	ExecDropSingleTupleTableSlot(slot);
}

/*
 * Insert tuple into rel and into each of its indexes, as an INSERT would.
 * rel must have passed pgmqc_direct_table_plain() and be locked
 * RowExclusiveLock; the caller makes the row visible to the commands that
 * follow (CommandCounterIncrement).
 */
void
pgmqc_direct_insert(Relation rel, HeapTuple tuple)
{
	simple_heap_insert(rel, tuple);
	insert_index_entries(rel, tuple, false, NULL);
}

/* see direct_rows.h */
struct PgmqcDirectBatch
{
	Relation	rel;
	TupleDesc	desc;			/* a copy of rel's, not reference-counted */
	CommandId	cid;
	int			nindexes;
	Relation   *indexes;
	IndexInfo **infos;
	ExprState **predicates;		/* each index's, or NULL */
	EState	   *estate;			/* for predicates and expressions, or NULL */
	TupleTableSlot **slots;		/* rows not yet inserted */
	int			nslots;
	int			capacity;
};

/*
 * Has table relid a valid primary key?  Not between the data and post-data
 * sections of a pg_restore, when its rows are back and its msg_id sequence
 * perhaps not yet: a msg_id drawn then may be one restored, or still to
 * be.  False too when relid is gone.
 */
bool
pgmqc_direct_has_primary_key(Oid relid)
{
	Relation	rel;
	bool		has;

	if (!OidIsValid(relid) || (rel = try_table_open(relid, AccessShareLock)) == NULL)
		return false;
	list_free(RelationGetIndexList(rel));	/* sets rd_pkindex */
	has = OidIsValid(rel->rd_pkindex);
	table_close(rel, NoLock);
	return has;
}

/*
 * Start inserting rows into rel directly, up to capacity at a time.  rel
 * must have passed pgmqc_direct_table_plain() and be locked
 * RowExclusiveLock; its indexes are opened here, once.  Add the rows with
 * pgmqc_direct_batch_add(), and finish with pgmqc_direct_batch_end(),
 * after which the caller makes them visible to the commands that follow
 * (CommandCounterIncrement).
 */
PgmqcDirectBatch *
pgmqc_direct_batch_begin(Relation rel, int capacity)
{
	PgmqcDirectBatch *batch = palloc0(sizeof(PgmqcDirectBatch));
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	int			i = 0;

	batch->rel = rel;

	/*
	 * The slots share a copy of rel's descriptor: slots of a
	 * reference-counted descriptor each register with the resource owner,
	 * whose lists are searched linearly (thousands of slots).
	 */
	batch->desc = CreateTupleDescCopy(RelationGetDescr(rel));
	batch->cid = GetCurrentCommandId(true);
	batch->nindexes = list_length(indexes);
	batch->indexes = palloc0((batch->nindexes + 1) * sizeof(Relation));
	batch->infos = palloc0((batch->nindexes + 1) * sizeof(IndexInfo *));
	batch->predicates = palloc0((batch->nindexes + 1) * sizeof(ExprState *));
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		IndexInfo  *info = BuildIndexInfo(index);

		/* an index being made (CREATE INDEX CONCURRENTLY) takes none yet */
		if (!info->ii_ReadyForInserts)
		{
			index_close(index, NoLock);
			continue;
		}
		if ((info->ii_Predicate != NIL || info->ii_Expressions != NIL) &&
			batch->estate == NULL)
			batch->estate = CreateExecutorState();
		if (info->ii_Predicate != NIL)
			batch->predicates[i] = ExecPrepareQual(info->ii_Predicate,
												   batch->estate);
		batch->indexes[i] = index;
		batch->infos[i++] = info;
	}
	batch->nindexes = i;
	list_free(indexes);
	batch->capacity = Max(capacity, 1);
	batch->slots = palloc0(batch->capacity * sizeof(TupleTableSlot *));
	return batch;
}

/* Insert the rows added so far: the heap rows by pages, then their entries. */
static void
batch_flush(PgmqcDirectBatch *batch)
{
	int			r;
	int			i;

	if (batch->nslots == 0)
		return;
	table_multi_insert(batch->rel, batch->slots, batch->nslots, batch->cid, 0,
					   NULL);
	for (r = 0; r < batch->nslots; r++)
	{
		TupleTableSlot *slot = batch->slots[r];

		if (batch->estate != NULL)
		{
			ResetPerTupleExprContext(batch->estate);
			GetPerTupleExprContext(batch->estate)->ecxt_scantuple = slot;
		}
		for (i = 0; i < batch->nindexes; i++)
		{
			Datum		values[INDEX_MAX_KEYS];
			bool		nulls[INDEX_MAX_KEYS];

			if (batch->predicates[i] != NULL &&
				!ExecQual(batch->predicates[i],
						  GetPerTupleExprContext(batch->estate)))
				continue;
			FormIndexDatum(batch->infos[i], slot, batch->estate, values, nulls);
			pgmqc_direct_index_entry(batch->rel, batch->indexes[i],
									 batch->infos[i], values, nulls,
									 &slot->tts_tid);
		}
		ExecClearTuple(slot);
	}
	batch->nslots = 0;
}

/*
 * Add a row of rel (values/nulls in its columns' order) to the batch,
 * inserting the batch when it is full.
 */
void
pgmqc_direct_batch_add(PgmqcDirectBatch *batch, Datum *values, bool *nulls)
{
	TupleTableSlot *slot;

	check_not_null(batch->rel, nulls);
	if (batch->nslots == batch->capacity)
		batch_flush(batch);
	slot = batch->slots[batch->nslots];
	if (slot == NULL)
		slot = batch->slots[batch->nslots] =
			MakeSingleTupleTableSlot(batch->desc, &TTSOpsHeapTuple);
	ExecStoreHeapTuple(heap_form_tuple(batch->desc, values, nulls), slot, true);
	batch->nslots++;
}

/* Insert what is left of the batch, and close its indexes (locks kept). */
void
pgmqc_direct_batch_end(PgmqcDirectBatch *batch)
{
	int			i;

	batch_flush(batch);
	for (i = 0; i < batch->capacity; i++)
		if (batch->slots[i] != NULL)
			ExecDropSingleTupleTableSlot(batch->slots[i]);
	for (i = 0; i < batch->nindexes; i++)
		index_close(batch->indexes[i], NoLock);
	if (batch->estate != NULL)
		FreeExecutorState(batch->estate);
	FreeTupleDesc(batch->desc);
	pfree(batch->slots);
	pfree(batch->indexes);
	pfree(batch->infos);
	pfree(batch->predicates);
	pfree(batch);
}

/*
 * Update the row in slot to newtuple, or delete it (newtuple NULL), as an
 * UPDATE or DELETE statement would: the row was found with snapshot, a
 * transaction in progress that changes it is waited for, and one that
 * committed a change since the snapshot is a serialization failure under
 * REPEATABLE READ or SERIALIZABLE; under READ COMMITTED the row's newest
 * version is then locked and left in slot, and PGMQC_DIRECT_RECHECK asks
 * the caller to look at it again and call once more (the executor's
 * EvalPlanQual; the lock lasts to the end of the transaction, as the
 * statement's would).  PGMQC_DIRECT_GONE: the row was deleted meanwhile.
 * An updated row gets new index entries unless the update was HOT.  rel
 * must have passed pgmqc_direct_table_plain() and be locked
 * RowExclusiveLock; the caller makes the change visible to the commands
 * that follow.
 */
PgmqcDirectChange
pgmqc_direct_change(Relation rel, TupleTableSlot *slot, Snapshot snapshot,
					HeapTuple newtuple)
{
	CommandId	cid = GetCurrentCommandId(true);
	ItemPointerData tid = slot->tts_tid;
	TM_FailureData failure;
	TM_Result	result;

	/* a table published without a replica identity refuses, as for SQL */
	CheckCmdReplicaIdentity(rel, newtuple == NULL ? CMD_DELETE : CMD_UPDATE);
	if (newtuple == NULL)
		result = heap_delete(rel, &tid, cid, InvalidSnapshot, true, &failure,
							 false);
	else
	{
		LockTupleMode lockmode;
#if PG_VERSION_NUM >= 160000
		TU_UpdateIndexes update_indexes;

		result = heap_update(rel, &tid, newtuple, cid, InvalidSnapshot, true,
							 &failure, &lockmode, &update_indexes);
		if (result == TM_Ok && update_indexes != TU_None)
			insert_index_entries(rel, newtuple,
								 update_indexes == TU_Summarizing, slot);
#else
		result = heap_update(rel, &tid, newtuple, cid, InvalidSnapshot, true,
							 &failure, &lockmode);
		if (result == TM_Ok && !HeapTupleIsHeapOnly(newtuple))
			insert_index_entries(rel, newtuple, false, slot);
#endif
	}
	if (result == TM_Ok)
		return PGMQC_DIRECT_DONE;
	if (result != TM_Updated && result != TM_Deleted)
		return PGMQC_DIRECT_GONE;	/* changed by this transaction already */
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to concurrent %s",
						result == TM_Deleted ? "delete" : "update")));
	if (result == TM_Deleted)
		return PGMQC_DIRECT_GONE;

	/* changed since the snapshot: lock the newest version, look again */
	result = table_tuple_lock(rel, &failure.ctid, snapshot, slot, cid,
							  LockTupleExclusive, LockWaitBlock,
							  TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &failure);
	return result == TM_Ok ? PGMQC_DIRECT_RECHECK : PGMQC_DIRECT_GONE;
}

/* The number of rel's column "name" of type "type", or 0 when none. */
AttrNumber
pgmqc_direct_column_number(Relation rel, const char *name, Oid type)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && att->atttypid == type &&
			strcmp(NameStr(att->attname), name) == 0)
			return (AttrNumber) (i + 1);
	}
	return 0;
}

/*
 * The primary key of rel when it is one int8 column (a btree without
 * predicate, in the default order), opened with lockmode; NULL otherwise.
 */
Relation
pgmqc_direct_open_int8_key(Relation rel, LOCKMODE lockmode)
{
	Relation	index;

	list_free(RelationGetIndexList(rel));	/* sets rd_pkindex */
	if (!OidIsValid(rel->rd_pkindex))
		return NULL;
	index = index_open(rel->rd_pkindex, lockmode);
	if (index->rd_rel->relam != BTREE_AM_OID ||
		index->rd_index->indnkeyatts != 1 ||
		index->rd_index->indkey.values[0] == 0 ||
		TupleDescAttr(RelationGetDescr(rel),
					  index->rd_index->indkey.values[0] - 1)->atttypid != INT8OID ||
		RelationGetIndexPredicate(index) != NIL ||
		!pgmqc_direct_index_sorts_plain(rel, index))
	{
		index_close(index, lockmode);
		return NULL;
	}
	return index;
}

/*
 * Delete the row of rel whose key (in rel's int8 primary key "index") is
 * key and that recheck(slot, arg) accepts, as "DELETE FROM rel WHERE key =
 * $1 AND <recheck>" would: under READ COMMITTED, a row changed by a
 * transaction that committed since the snapshot is locked in its newest
 * version and checked again (the executor's EvalPlanQual; the lock stays
 * to the end of the transaction, as the statement's would); under
 * REPEATABLE READ or SERIALIZABLE such a row is a serialization failure.
 * Returns whether a row was deleted; then slot holds it as it was.  rel
 * must have passed pgmqc_direct_table_plain() and be locked
 * RowExclusiveLock.  The deletion is made visible to the commands that
 * follow.
 */
bool
pgmqc_direct_delete(Relation rel, Relation index, int64 key,
					PgmqcDirectRecheck recheck, void *arg,
					TupleTableSlot *slot)
{
	Snapshot	snapshot;
	IndexScanDesc scan;
	ScanKeyData scankey;
	bool		found;
	bool		deleted = false;

	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	ScanKeyInit(&scankey, 1, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(key));
	scan = index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &scankey, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);

	while (found && recheck(slot, arg))
	{
		PgmqcDirectChange change;

		ExecMaterializeSlot(slot);	/* the row as it was, for the caller */
		change = pgmqc_direct_change(rel, slot, snapshot, NULL);
		if (change != PGMQC_DIRECT_RECHECK)
		{
			deleted = change == PGMQC_DIRECT_DONE;
			break;
		}
	}

	UnregisterSnapshot(snapshot);
	if (deleted)
		CommandCounterIncrement();
	return deleted;
}

/* the receipt a row must still match to be deleted: read_ct, if given */
typedef struct DirectReceipt
{
	AttrNumber	read_ct_attnum;
	bool		has_read_ct;
	int32		read_ct;
} DirectReceipt;

/* the row in slot is still the delivery of the receipt (arg) */
static bool
receipt_holds(TupleTableSlot *slot, void *arg)
{
	DirectReceipt *receipt = (DirectReceipt *) arg;
	bool		isnull;
	Datum		value;

	if (!receipt->has_read_ct)
		return true;
	value = slot_getattr(slot, receipt->read_ct_attnum, &isnull);
	return !isnull && DatumGetInt32(value) == receipt->read_ct;
}

/*
 * Delete message msg_id of table relid (a queue's message table, a
 * group's table: msg_id its int8 primary key, and read_ct) without a
 * statement, as "DELETE ... WHERE msg_id = $1 AND ($2 IS NULL OR read_ct =
 * $2)" would (pgmqc_direct_delete).  With text_column, *text_value is a
 * copy of that column of the deleted row (NULL when it is NULL or the
 * table has no such column).  PGMQC_RECEIPT_UNABLE when the table is gone
 * or not as pgmq_c made it: the caller runs its statement, which says so
 * or fires what was added.
 */
PgmqcReceiptDelete
pgmqc_direct_delete_receipt(Oid relid, int64 msg_id, bool has_read_ct,
							int32 read_ct, const char *text_column,
							text **text_value)
{
	Relation	rel = try_table_open(relid, RowExclusiveLock);
	Relation	index = NULL;
	DirectReceipt receipt;
	AttrNumber	text_attnum = 0;
	TupleTableSlot *slot;
	bool		deleted;

	if (text_value != NULL)
		*text_value = NULL;
	if (rel == NULL)
		return PGMQC_RECEIPT_UNABLE;
	receipt.read_ct_attnum = pgmqc_direct_column_number(rel, "read_ct", INT4OID);
	receipt.has_read_ct = has_read_ct;
	receipt.read_ct = read_ct;
	if (text_column != NULL)
		text_attnum = pgmqc_direct_column_number(rel, text_column, TEXTOID);
	if (receipt.read_ct_attnum == 0 || !pgmqc_direct_table_plain(rel) ||
		(index = pgmqc_direct_open_int8_key(rel, RowExclusiveLock)) == NULL ||
		index->rd_index->indkey.values[0] != pgmqc_direct_column_number(rel, "msg_id", INT8OID))
	{
		if (index != NULL)
			index_close(index, RowExclusiveLock);
		table_close(rel, RowExclusiveLock);
		return PGMQC_RECEIPT_UNABLE;
	}

	slot = table_slot_create(rel, NULL);
	deleted = pgmqc_direct_delete(rel, index, msg_id, receipt_holds, &receipt,
								  slot);
	if (deleted && text_attnum != 0 && text_value != NULL)
	{
		bool		isnull;
		Datum		value = slot_getattr(slot, text_attnum, &isnull);

		if (!isnull)
			*text_value = DatumGetTextPCopy(value);
	}
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	return deleted ? PGMQC_RECEIPT_DELETED : PGMQC_RECEIPT_ABSENT;
}

/*
 * The btree index of rel whose key columns are first and then second (0:
 * first only), without predicate, sorting as pgmq_c's own indexes do
 * (pgmqc_direct_index_sorts_plain), opened with lockmode; NULL when there
 * is none.
 */
Relation
pgmqc_direct_open_column_index(Relation rel, AttrNumber first,
							   AttrNumber second, LOCKMODE lockmode)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Relation	found = NULL;
	int			nkeys = second != 0 ? 2 : 1;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), lockmode);
		int2vector *keys = &index->rd_index->indkey;

		if (index->rd_rel->relam == BTREE_AM_OID &&
			index->rd_index->indisvalid &&
			index->rd_index->indnkeyatts == nkeys &&
			keys->values[0] == first &&
			(nkeys == 1 || keys->values[1] == second) &&
			RelationGetIndexPredicate(index) == NIL &&
			pgmqc_direct_index_sorts_plain(rel, index))
		{
			found = index;
			break;
		}
		index_close(index, lockmode);
	}
	list_free(indexes);
	return found;
}

/*
 * Column attnum of the first row of rel in the order of its btree index
 * "index" that the statement's snapshot sees, as "SELECT column FROM rel
 * ORDER BY <index key> LIMIT 1" would give it: false when rel has no row.
 * The caller holds locks on rel and index.
 */
bool
pgmqc_direct_first(Relation rel, Relation index, AttrNumber attnum,
				   Datum *value, bool *isnull)
{
	Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan = index_beginscan(rel, index, snapshot, 0, 0);
	bool		found;

	index_rescan(scan, NULL, 0, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
	{
		*value = slot_getattr(slot, attnum, isnull);
		/* a by-reference value outlives the slot: copy it */
		if (!*isnull)
		{
			Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel),
												  attnum - 1);

			*value = datumCopy(*value, att->attbyval, att->attlen);
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snapshot);
	return found;
}
