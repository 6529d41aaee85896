/*-------------------------------------------------------------------------
 *
 * direct_claim.c
 *		A queue's claim without a statement.
 *
 * A read's claim ran STMT_CLAIM_PLAIN: "UPDATE q SET vt = now + lease,
 * read_ct = read_ct + 1, leased = true WHERE msg_id = ANY (ARRAY(SELECT
 * msg_id ... WHERE msg_id >= start AND vt <= now ORDER BY msg_id LIMIT
 * qty FOR UPDATE SKIP LOCKED)) RETURNING ...".  Its executor start-up and
 * end, the second index descent of the outer UPDATE and SPI's copy of the
 * result were about half of a read's CPU.  pgmqc_direct_claim() does the
 * same with index and heap access, as the executor's nodes would:
 *
 *	- a new snapshot after a CommandCounterIncrement (SPI's steps for a
 *	  statement that writes), so that rows this transaction moved or deleted
 *	  a moment before are seen as they are now;
 *	- the message table's primary key walked from start in msg_id order;
 *	  rows whose vt is still ahead are passed over;
 *	- each candidate locked as FOR UPDATE SKIP LOCKED locks it
 *	  (ExecLockRows): a row another transaction holds is skipped; under READ
 *	  COMMITTED a row changed by a transaction that committed since the
 *	  snapshot is locked in its newest version and checked again (vt), as
 *	  EvalPlanQual does; under REPEATABLE READ or SERIALIZABLE that is a
 *	  serialization failure;
 *	- the locked version updated in place of the UPDATE (a HOT update when
 *	  the page has room, as the table's fillfactor leaves it), new index
 *	  entries otherwise (common/direct_rows.c).
 *
 * Rows this command updates are not seen again by its own scan (their
 * cmin is the command's id, which the snapshot does not see).  A pop
 * (STMT_POP: "DELETE ... WHERE msg_id = ANY (ARRAY(... FOR UPDATE SKIP
 * LOCKED)) RETURNING ...") takes its messages the same way and deletes
 * them instead.  Only a table
 * as pgmq_c made it is claimed this way (pgmqc_direct_table_plain: no
 * trigger, rule, row security or CHECK constraint; the primary key one int8
 * column; the claim's columns with their types); the caller runs the
 * statement otherwise, so that what a superuser added fires.  The claimed
 * rows are left in SPI_tuptable as the statement's RETURNING would leave
 * them: msg_id, read_ct, enqueued_at, vt, message, headers, ordering_key.
 *
 * An autocommit pop of a queue with ordering keys (and the lease such a
 * pop takes under a retry policy) also has a key gate (queue/claim.c says
 * why only autocommit pops): taking a key's head changes the key's
 * row in the keys table k_<id> (queue/key_release.c), which a send of the
 * key in progress holds until it ends.  So before it locks a keyed
 * candidate, the claim locks its key's row as FOR UPDATE SKIP LOCKED
 * would; a row held by another transaction leaves the message where it is
 * for a later pop, and the pop never waits for a sender (STMT_POP_KEYS is
 * the statement's form of the same).
 *
 * Under a retry policy the claim does what STMT_CLAIM's SET list does with
 * each candidate: one read max_deliveries times is marked dead (vt
 * infinity, to be moved by the caller), one whose lease expired waits for
 * its backoff (the lease end plus the policy's doubling backoff, with the
 * same jitter), any other is leased; each result row then has an eighth
 * column, the outcome ('c', 'd' or 'b'), and a skipping claim passes over
 * the dead and the expired leases as the statement's filter does.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/direct_claim.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#if PG_VERSION_NUM >= 150000
#include "common/pg_prng.h"
#endif
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "common/direct_claim.h"
#include "common/direct_rows.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/statements.h"

/* the columns of a message table a claim reads or writes */
typedef enum ClaimColumn
{
	CLAIM_MSG_ID,
	CLAIM_READ_CT,
	CLAIM_ENQUEUED_AT,
	CLAIM_VT,
	CLAIM_MESSAGE,
	CLAIM_HEADERS,
	CLAIM_ORDERING_KEY,			/* the last column of the result */
	CLAIM_LEASED,
	CLAIM_COLUMNS
} ClaimColumn;

#define CLAIM_RESULT_COLUMNS	(CLAIM_ORDERING_KEY + 1)
StaticAssertDecl(CLAIM_RESULT_COLUMNS == PGMQC_CLAIM_RESULT_COLUMNS,
				 "a claim's result columns");
/* ... and under a retry policy, the outcome after them */
#define CLAIM_OUTCOME_COLUMNS	(CLAIM_RESULT_COLUMNS + 1)

/*
 * A column a claim uses: its name, its type, whether the table must have it
 * (a body column: a queue's table must; a group's has none, its bodies are
 * in the topic's log).
 */
typedef struct ClaimColumnDef
{
	const char *name;
	Oid			type;
	bool		required;		/* ordering_key: since 0.7.0 */
	bool		body;
} ClaimColumnDef;

static const ClaimColumnDef claim_columns[CLAIM_COLUMNS] = {
	{"msg_id", INT8OID, true, false},
	{"read_ct", INT4OID, true, false},
	{"enqueued_at", TIMESTAMPTZOID, true, true},
	{"vt", TIMESTAMPTZOID, true, false},
	{"message", JSONBOID, true, true},
	{"headers", JSONBOID, true, true},
	{"ordering_key", TEXTOID, false, false},
	{"leased", BOOLOID, true, false},
};

/*
 * An autocommit pop's gate on ordering keys: the queue's keys table, opened
 * at the first keyed candidate (a queue whose messages have no keys never
 * opens it).
 */
typedef struct KeyGate
{
	int32		queue_id;		/* 0: no gate */
	bool		opened;			/* looked for the table already */
	Relation	keys;			/* k_<id>; NULL: none usable, no gate */
	Relation	keys_index;		/* its unique index on ordering_key */
	TupleTableSlot *slot;
} KeyGate;

/* what one claim works with (pgmqc_direct_claim, pgmqc_direct_group_claim) */
typedef struct ClaimScan
{
	Relation	rel;
	Relation	index;			/* the primary key, msg_id */
	Relation	key_index;		/* a group's (ordering_key, msg_id), or NULL */
	TupleTableSlot *key_slot;	/* for key_head's probes, made at the first */
	AttrNumber	attnums[CLAIM_COLUMNS];
	Snapshot	snapshot;
	CommandId	cid;
	TimestampTz now;
	TimestampTz lease_end;
	bool		pop;
	const PgmqcRetryPolicy *retry;	/* an active retry policy, or NULL */
	bool		skipping;		/* pass over the dead and expired leases */
	PgmqcDirectBodyFetch fetch; /* a group's bodies, or NULL */
	void	   *fetch_arg;
	KeyGate		gate;			/* a pop's, of a queue with keys */
	const int64 *reserved;		/* rows it must take (ascending msg_ids) */
	int			nreserved;
	int			next_reserved;	/* the first of them not passed yet */
} ClaimScan;

/*
 * The shapes of the rows left in SPI_tuptable, made once per backend:
 * without and with the outcome column.
 */
static TupleDesc result_descs[2] = {NULL, NULL};

static TupleDesc
claim_result_desc(bool outcome)
{
	if (result_descs[outcome] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		int			natts = outcome ? CLAIM_OUTCOME_COLUMNS : CLAIM_RESULT_COLUMNS;
		TupleDesc	desc = CreateTemplateTupleDesc(natts);
		int			i;

		for (i = 0; i < CLAIM_RESULT_COLUMNS; i++)
			TupleDescInitEntry(desc, (AttrNumber) (i + 1), claim_columns[i].name,
							   claim_columns[i].type, -1, 0);
		if (outcome)
			TupleDescInitEntry(desc, (AttrNumber) CLAIM_OUTCOME_COLUMNS, "outcome",
							   CHAROID, -1, 0);
		MemoryContextSwitchTo(old);
		result_descs[outcome] = desc;
	}
	return result_descs[outcome];
}

/*
 * Find the claim's columns of rel (attnums[i], 0 for an optional one that
 * is missing, and for the body columns of a group's table); false when a
 * required one is missing.
 */
static bool
claim_columns_found(Relation rel, AttrNumber *attnums, bool group)
{
	int			i;

	for (i = 0; i < CLAIM_COLUMNS; i++)
	{
		attnums[i] = 0;
		if (group && claim_columns[i].body)
			continue;
		attnums[i] = pgmqc_direct_column_number(rel, claim_columns[i].name,
												claim_columns[i].type);
		if (attnums[i] == 0 && claim_columns[i].required)
			return false;
	}
	return true;
}

/*
 * A group table's index on (ordering_key, msg_id), a btree whose predicate
 * is at most "ordering_key IS NOT NULL" (its template's) and which sorts as
 * the template's does (pgmqc_direct_index_sorts_plain), opened; NULL when
 * there is none.
 */
static Relation
open_key_index(Relation rel, AttrNumber key_attnum, AttrNumber id_attnum)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Relation	found = NULL;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		int2vector *keys = &index->rd_index->indkey;
		List	   *predicate = RelationGetIndexPredicate(index);
		bool		fits = index->rd_rel->relam == BTREE_AM_OID &&
		index->rd_index->indisvalid &&
		index->rd_index->indnkeyatts == 2 &&
		keys->values[0] == key_attnum && keys->values[1] == id_attnum &&
		pgmqc_direct_index_sorts_plain(rel, index);

		if (fits && predicate != NIL)
		{
			NullTest   *test = (NullTest *) linitial(predicate);

			fits = list_length(predicate) == 1 && IsA(test, NullTest) &&
				test->nulltesttype == IS_NOT_NULL && IsA(test->arg, Var) &&
				((Var *) test->arg)->varattno == key_attnum;
		}
		if (fits)
		{
			found = index;
			break;
		}
		index_close(index, RowExclusiveLock);
	}
	list_free(indexes);
	return found;
}

/*
 * Whether the group row in slot is the head of its ordering key: no row of
 * its key with a lower msg_id in snapshot (the statement's "NOT EXISTS
 * (SELECT 1 FROM g x WHERE x.ordering_key = h.ordering_key AND x.msg_id <
 * h.msg_id)").  A row without a key is always a head.
 */
static bool
key_head_in(ClaimScan *claim, TupleTableSlot *slot, Snapshot snapshot)
{
	AttrNumber	key_attnum = claim->attnums[CLAIM_ORDERING_KEY];
	TupleTableSlot *other;
	IndexScanDesc scan;
	ScanKeyData keys[2];
	bool		isnull;
	Datum		key;
	Datum		msg_id;
	bool		earlier;

	if (claim->key_index == NULL || key_attnum == 0)
		return true;
	key = slot_getattr(slot, key_attnum, &isnull);
	if (isnull)
		return true;
	msg_id = slot_getattr(slot, claim->attnums[CLAIM_MSG_ID], &isnull);

	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   claim->key_index->rd_indcollation[0], F_TEXTEQ, key);
	ScanKeyInit(&keys[1], 2, BTLessStrategyNumber, F_INT8LT, msg_id);
	if (claim->key_slot == NULL)
		claim->key_slot = table_slot_create(claim->rel, NULL);
	other = claim->key_slot;
	scan = index_beginscan(claim->rel, claim->key_index, snapshot, 2, 0);
	index_rescan(scan, keys, 2, NULL, 0);
	earlier = index_getnext_slot(scan, ForwardScanDirection, other);
	index_endscan(scan);
	ExecClearTuple(other);
	return !earlier;
}

/* key_head_in() in the claim's snapshot */
static bool
key_head(ClaimScan *claim, TupleTableSlot *slot)
{
	return key_head_in(claim, slot, claim->snapshot);
}

/*
 * key_head_in() in a snapshot taken now, for a row changed since the
 * claim's snapshot: a group's redrive puts a key's dead letter back below
 * the key's first row, which it changes (STMT_GROUP_REDRIVE) so that a
 * claim whose snapshot is older than the redrive looks again here.
 */
static bool
key_head_now(ClaimScan *claim, TupleTableSlot *slot)
{
	Snapshot	latest = RegisterSnapshot(GetLatestSnapshot());
	bool		head = key_head_in(claim, slot, latest);

	UnregisterSnapshot(latest);
	return head;
}

/*
 * What a retry policy does with the row in slot: PGMQC_DEAD when it was
 * read max_deliveries times (the statement's "COALESCE(read_ct >= $4,
 * false)"), PGMQC_BACKED_OFF when its lease expired under a backoff policy
 * ("$5 IS NOT NULL AND leased"), PGMQC_CLAIMED otherwise (and always
 * without a policy).
 */
static char
retry_outcome(ClaimScan *claim, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		value;

	if (claim->retry == NULL)
		return PGMQC_CLAIMED;
	if (claim->retry->max_deliveries > 0)
	{
		value = slot_getattr(slot, claim->attnums[CLAIM_READ_CT], &isnull);
		if (!isnull && DatumGetInt32(value) >= claim->retry->max_deliveries)
			return PGMQC_DEAD;
	}
	if (claim->retry->backoff > 0)
	{
		value = slot_getattr(slot, claim->attnums[CLAIM_LEASED], &isnull);
		if (!isnull && DatumGetBool(value))
			return PGMQC_BACKED_OFF;
	}
	return PGMQC_CLAIMED;
}

/*
 * The row in slot is a candidate: visible at "now" (vt <= now) and, for a
 * skipping claim, one it may lease.
 */
static bool
candidate(ClaimScan *claim, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		vt = slot_getattr(slot, claim->attnums[CLAIM_VT], &isnull);

	if (isnull || DatumGetTimestampTz(vt) > claim->now)
		return false;
	return !claim->skipping || retry_outcome(claim, slot) == PGMQC_CLAIMED;
}

/*
 * Open the keys table of the gate's queue and its unique index on
 * ordering_key.  A table not found, or without that index (a superuser
 * dropped it), leaves the gate open: the release then waits for the key's
 * row, as a delete does.
 */
static void
key_gate_open(KeyGate *gate)
{
	char		name[NAMEDATALEN];
	Oid			relid = pgmqc_relation_oid(REL_KEYS, gate->queue_id, -1);
	AttrNumber	key_column = 0;

	gate->opened = true;
	if (!OidIsValid(relid) ||
		(gate->keys = try_table_open(relid, RowExclusiveLock)) == NULL)
		return;
	pgmqc_relation_name(name, REL_KEYS, gate->queue_id, -1);
	if (strcmp(RelationGetRelationName(gate->keys), name) == 0)
		key_column = pgmqc_direct_column_number(gate->keys, "ordering_key",
												TEXTOID);
	if (key_column != 0)
		gate->keys_index = pgmqc_direct_open_column_index(gate->keys,
														  key_column, 0,
														  RowExclusiveLock);
	if (gate->keys_index != NULL && !gate->keys_index->rd_index->indisunique)
	{
		index_close(gate->keys_index, RowExclusiveLock);
		gate->keys_index = NULL;
	}
	if (gate->keys_index == NULL)
	{
		table_close(gate->keys, RowExclusiveLock);
		gate->keys = NULL;
		return;
	}
	gate->slot = table_slot_create(gate->keys, NULL);
}

static void
key_gate_close(KeyGate *gate)
{
	if (gate->keys == NULL)
		return;
	ExecDropSingleTupleTableSlot(gate->slot);
	index_close(gate->keys_index, NoLock);
	table_close(gate->keys, NoLock);
}

/*
 * Whether a pop may take the candidate in slot: a message without a key
 * may; a keyed one once its key's row is locked, as FOR UPDATE SKIP LOCKED
 * locks it (the newest version under READ COMMITTED).  A row another
 * transaction holds (a send of the key in progress, even a prepared one;
 * a delete of one of the key's messages): false, the message is left for
 * a later pop.  No row (the key gone since): true, nothing to wait for.
 * The lock is kept to the transaction's end, as the release that follows
 * keeps it: when the candidate itself turns out not to be taken (another
 * reader holds it), sends of its key wait for this transaction, an
 * autocommit pop's (queue/claim.c), which ends at once.
 */
static bool
key_gate_passes(ClaimScan *claim, TupleTableSlot *slot)
{
	KeyGate    *gate = &claim->gate;
	AttrNumber	key_attnum = claim->attnums[CLAIM_ORDERING_KEY];
	ScanKeyData scankey;
	IndexScanDesc scan;
	ItemPointerData tid;
	TM_FailureData failure;
	TM_Result	result;
	int			flags = TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS;
	bool		isnull;
	bool		found;
	Datum		key;

	if (gate->queue_id == 0 || key_attnum == 0)
		return true;
	key = slot_getattr(slot, key_attnum, &isnull);
	if (isnull)
		return true;
	if (!gate->opened)
		key_gate_open(gate);
	if (gate->keys == NULL)
		return true;

	ScanKeyEntryInitialize(&scankey, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   gate->keys_index->rd_indcollation[0], F_TEXTEQ, key);
	scan = index_beginscan(gate->keys, gate->keys_index, claim->snapshot, 1, 0);
	index_rescan(scan, &scankey, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, gate->slot);
	index_endscan(scan);
	if (!found)
		return true;
	tid = gate->slot->tts_tid;
	if (!IsolationUsesXactSnapshot())
		flags |= TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
	result = table_tuple_lock(gate->keys, &tid, claim->snapshot, gate->slot,
							  claim->cid, LockTupleExclusive, LockWaitSkip,
							  flags, &failure);
	ExecClearTuple(gate->slot);

	/*
	 * Updated or deleted since a transaction snapshot: the release that
	 * follows fails with a serialization failure, as a delete would.
	 */
	return result != TM_WouldBlock;
}

/*
 * Whether the row in slot is one the claim must take (terms' reserved:
 * due delayed messages a read in a transaction block moved for it,
 * queue/delayed.c); *left gets how many reserved rows lie ahead of it,
 * itself excluded.  The scan walks msg_ids upwards: a reserved msg_id it
 * has passed (gone, or no candidate) is given up.
 */
static bool
reserved_row(ClaimScan *claim, TupleTableSlot *slot, int *left)
{
	bool		isnull;
	int64		msg_id;
	bool		found;

	*left = 0;
	if (claim->next_reserved >= claim->nreserved)
		return false;
	msg_id = DatumGetInt64(slot_getattr(slot, claim->attnums[CLAIM_MSG_ID],
										&isnull));
	while (claim->next_reserved < claim->nreserved &&
		   claim->reserved[claim->next_reserved] < msg_id)
		claim->next_reserved++;
	found = claim->next_reserved < claim->nreserved &&
		claim->reserved[claim->next_reserved] == msg_id;
	*left = claim->nreserved - claim->next_reserved - (found ? 1 : 0);
	return found;
}

/*
 * Lock the row found in scanslot as FOR UPDATE SKIP LOCKED would, its
 * newest version then in lockslot.  false: skip it (locked by another
 * transaction, gone, changed by this transaction already, or changed since
 * the snapshot into a row that is no candidate).
 */
static bool
lock_candidate(ClaimScan *claim, TupleTableSlot *scanslot,
			   TupleTableSlot *lockslot)
{
	ItemPointerData tid = scanslot->tts_tid;
	TM_FailureData failure;
	TM_Result	result;
	int			flags = TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS;

	if (!IsolationUsesXactSnapshot())
		flags |= TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
	result = table_tuple_lock(claim->rel, &tid, claim->snapshot, lockslot,
							  claim->cid, LockTupleExclusive, LockWaitSkip,
							  flags, &failure);
	switch (result)
	{
		case TM_Ok:
			/* a newer version than the snapshot's: is it still a candidate? */
			return !failure.traversed ||
				(candidate(claim, lockslot) && key_head_now(claim, lockslot));
		case TM_WouldBlock:
		case TM_SelfModified:
			return false;
		case TM_Updated:
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
			return false;
		default:
			elog(ERROR, "unexpected result %d locking a message row",
				 (int) result);
	}
	return false;				/* keep the compiler quiet */
}

/*
 * The end of the backoff of a message whose lease ended at vt after
 * read_ct deliveries: vt plus "backoff seconds doubled with each delivery
 * after the first, times a jitter of 0.9 to 1.1, at most backoff_max", as
 * the BACKOFF() expression of STMT_CLAIM computes it.
 */
static TimestampTz
backoff_end(const PgmqcRetryPolicy *retry, TimestampTz vt, int32 read_ct)
{
	double		doublings = Max(Min((double) read_ct - 1, 60), 0);
	double		jitter;
	double		seconds;
	TimestampTz result;

#if PG_VERSION_NUM >= 150000
	jitter = pg_prng_double(&pg_global_prng_state);
#else
	jitter = (double) random() / ((double) MAX_RANDOM_VALUE + 1);
#endif
	seconds = Min(retry->backoff_max,
				  retry->backoff * ldexp(1.0, (int) doublings) * (0.9 + 0.2 * jitter));
	if (TIMESTAMP_NOT_FINITE(vt))
		return vt;
	if (pg_add_s64_overflow(vt, (int64) (seconds * USECS_PER_SEC), &result) ||
		!IS_VALID_TIMESTAMP(result))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return result;
}

/*
 * Lease the row locked in lockslot until lease_end (vt, read_ct + 1,
 * leased), or delete it (pop), and return the result row for it: the row
 * as leased, or as it was with read_ct + 1 (pop's delivery).  Under a
 * retry policy a dead message is marked (vt infinity, not leased) and one
 * whose lease expired waits for its backoff (vt, not leased), read_ct
 * unchanged in both, and the result row ends with the outcome.
 */
static HeapTuple
take_row(ClaimScan *claim, TupleTableSlot *lockslot)
{
	Relation	rel = claim->rel;
	const AttrNumber *attnums = claim->attnums;
	TupleDesc	desc = RelationGetDescr(rel);
	Datum	   *values = palloc(desc->natts * sizeof(Datum));
	bool	   *nulls = palloc(desc->natts * sizeof(bool));
	Datum		result_values[CLAIM_OUTCOME_COLUMNS];
	bool		result_nulls[CLAIM_OUTCOME_COLUMNS];
	bool		with_outcome = claim->retry != NULL;
	char		outcome = retry_outcome(claim, lockslot);
	HeapTuple	newtuple;
	HeapTuple	result;
	int32		read_ct;
	int			i;

	Assert(!claim->pop || outcome == PGMQC_CLAIMED);
	slot_getallattrs(lockslot);
	memcpy(values, lockslot->tts_values, desc->natts * sizeof(Datum));
	memcpy(nulls, lockslot->tts_isnull, desc->natts * sizeof(bool));
	if (outcome != PGMQC_CLAIMED)
	{
		/* dead or backing off: read_ct as it is, not leased */
		TimestampTz vt = DT_NOEND;

		if (outcome == PGMQC_BACKED_OFF)
			vt = backoff_end(claim->retry,
							 DatumGetTimestampTz(values[attnums[CLAIM_VT] - 1]),
							 DatumGetInt32(values[attnums[CLAIM_READ_CT] - 1]));
		values[attnums[CLAIM_VT] - 1] = TimestampTzGetDatum(vt);
		values[attnums[CLAIM_LEASED] - 1] = BoolGetDatum(false);
		nulls[attnums[CLAIM_LEASED] - 1] = false;
		newtuple = heap_form_tuple(desc, values, nulls);
	}
	else
	{
		if (nulls[attnums[CLAIM_READ_CT] - 1])
			read_ct = 1;		/* NULL + 1 would be NULL; the column is NOT
								 * NULL as pgmq_c makes it */
		else if (pg_add_s32_overflow(DatumGetInt32(values[attnums[CLAIM_READ_CT] - 1]),
									 1, &read_ct))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("integer out of range")));
		values[attnums[CLAIM_READ_CT] - 1] = Int32GetDatum(read_ct);
		nulls[attnums[CLAIM_READ_CT] - 1] = false;
		newtuple = NULL;
		if (!claim->pop)
		{
			values[attnums[CLAIM_VT] - 1] = TimestampTzGetDatum(claim->lease_end);
			nulls[attnums[CLAIM_VT] - 1] = false;
			values[attnums[CLAIM_LEASED] - 1] = BoolGetDatum(true);
			nulls[attnums[CLAIM_LEASED] - 1] = false;
			newtuple = heap_form_tuple(desc, values, nulls);
		}
	}

	/* RETURNING's row, formed while the locked row's values are pinned */
	for (i = 0; i < CLAIM_RESULT_COLUMNS; i++)
	{
		if (attnums[i] == 0)
		{
			result_values[i] = (Datum) 0;
			result_nulls[i] = true;
			continue;
		}
		result_values[i] = values[attnums[i] - 1];
		result_nulls[i] = nulls[attnums[i] - 1];
	}
	result_values[CLAIM_RESULT_COLUMNS] = CharGetDatum(outcome);
	result_nulls[CLAIM_RESULT_COLUMNS] = false;
	result = NULL;
	if (claim->fetch == NULL || outcome != PGMQC_CLAIMED)
	{
		/*
		 * A queue's row; or a group's that is not delivered (the caller needs
		 * only its msg_id and vt): no body from the log, as the statement's
		 * outer join leaves it NULL when the log has none.
		 */
		result = heap_form_tuple(claim_result_desc(with_outcome),
								 result_values, result_nulls);
	}
	else
	{
		Datum		body[3];
		bool		body_nulls[3];

		/* a group's row: the body from the topic's log, when it is there */
		if (claim->fetch(DatumGetInt64(result_values[CLAIM_MSG_ID]),
						 claim->snapshot, body, body_nulls, claim->fetch_arg))
		{
			result_values[CLAIM_ENQUEUED_AT] = body[0];
			result_nulls[CLAIM_ENQUEUED_AT] = body_nulls[0];
			result_values[CLAIM_MESSAGE] = body[1];
			result_nulls[CLAIM_MESSAGE] = body_nulls[1];
			result_values[CLAIM_HEADERS] = body[2];
			result_nulls[CLAIM_HEADERS] = body_nulls[2];
			result = heap_form_tuple(claim_result_desc(with_outcome),
									 result_values, result_nulls);
		}
	}

	/* we hold the row's lock: the change cannot meet a concurrent one */
	if (pgmqc_direct_change(rel, lockslot, claim->snapshot, newtuple) != PGMQC_DIRECT_DONE)
		elog(ERROR, "could not change a locked message row");
	if (newtuple != NULL)
		heap_freetuple(newtuple);
	pfree(values);
	pfree(nulls);
	return result;
}

/*
 * Leave the n rows of tuples in SPI_tuptable and SPI_processed, as a
 * statement would (in the current memory context, SPI's procedure context:
 * gone at SPI_finish, as a statement's result).  The table is not in SPI's
 * own list: it must not be passed to SPI_freetuptable.
 */
static void
set_spi_result(HeapTuple *tuples, int n, bool with_outcome)
{
	SPITupleTable *table;

	if (n == 0)
	{
		SPI_tuptable = NULL;
		SPI_processed = 0;
		return;
	}
	table = palloc0(sizeof(SPITupleTable));
	table->tuptabcxt = CurrentMemoryContext;
	table->tupdesc = claim_result_desc(with_outcome);
	table->vals = tuples;
	table->alloced = n;
	table->numvals = n;
	table->subid = GetCurrentSubTransactionId();
	SPI_tuptable = table;
	SPI_processed = n;
}

/* The shape of a claim's result rows, without the outcome column. */
TupleDesc
pgmqc_direct_claim_result_desc(void)
{
	return claim_result_desc(false);
}

/*
 * Leave n result rows formed with pgmqc_direct_claim_result_desc() in
 * SPI_tuptable, as a claim does.
 */
void
pgmqc_direct_claim_set_result(HeapTuple *tuples, int n)
{
	set_spi_result(tuples, n, false);
}

/*
 * Claim up to qty rows of relid from msg_id start on (see the top of this
 * file): leased for vt, deleted when vt is NULL; under retry policy retry
 * (NULL: none), skipping or not, what the policy says; a group's table
 * (fetch given) only the heads of their keys, and its bodies from fetch.
 */
static int
claim_rows(Oid relid, int32 qty, Interval *vt, int64 start,
		   const PgmqcRetryPolicy *retry, bool skipping,
		   const PgmqcClaimTerms *terms,
		   PgmqcDirectBodyFetch fetch, void *fetch_arg)
{
	ClaimScan	claim;
	TupleTableSlot *scanslot;
	TupleTableSlot *lockslot;
	IndexScanDesc scan;
	ScanKeyData scankey;
	HeapTuple  *tuples;
	bool		group = fetch != NULL;
	int			n = 0;
	int			taken = 0;		/* rows changed, returned or not */

	Assert(qty > 0);
	memset(&claim, 0, sizeof(claim));
	claim.rel = try_table_open(relid, RowExclusiveLock);
	if (claim.rel == NULL)
		return PGMQC_DIRECT_CLAIM_UNABLE;
	if (!claim_columns_found(claim.rel, claim.attnums, group) ||
		!pgmqc_direct_table_plain(claim.rel) ||
		(claim.index = pgmqc_direct_open_int8_key(claim.rel, RowExclusiveLock)) == NULL ||
		claim.index->rd_index->indkey.values[0] != claim.attnums[CLAIM_MSG_ID] ||
		(group && claim.attnums[CLAIM_ORDERING_KEY] != 0 &&
		 (claim.key_index = open_key_index(claim.rel,
										   claim.attnums[CLAIM_ORDERING_KEY],
										   claim.attnums[CLAIM_MSG_ID])) == NULL))
	{
		if (claim.index != NULL)
			index_close(claim.index, RowExclusiveLock);
		table_close(claim.rel, RowExclusiveLock);
		return PGMQC_DIRECT_CLAIM_UNABLE;
	}
	claim.fetch = fetch;
	claim.fetch_arg = fetch_arg;
	if (terms != NULL)
	{
		claim.gate.queue_id = terms->gate_queue_id;
		claim.reserved = terms->reserved;
		claim.nreserved = terms->nreserved;
	}
	claim.pop = vt == NULL;
	claim.retry = retry != NULL && pgmqc_retry_active(retry) ? retry : NULL;
	claim.skipping = claim.retry != NULL && skipping;
	claim.now = GetCurrentTimestamp();
	claim.lease_end = vt != NULL ? pgmqc_ts_plus(claim.now, vt) : 0;

	/* as SPI before a statement that writes */
	CommandCounterIncrement();
	claim.snapshot = RegisterSnapshot(GetTransactionSnapshot());
	claim.cid = GetCurrentCommandId(true);
	/* as the statement's, for what index expressions of the table call */
	PushActiveSnapshot(claim.snapshot);

	tuples = palloc(qty * sizeof(HeapTuple));
	scanslot = table_slot_create(claim.rel, NULL);
	lockslot = table_slot_create(claim.rel, NULL);
	ScanKeyInit(&scankey, 1, BTGreaterEqualStrategyNumber, F_INT8GE,
				Int64GetDatum(start));
	scan = index_beginscan(claim.rel, claim.index, claim.snapshot, 1, 0);
	index_rescan(scan, &scankey, 1, NULL, 0);

	/*
	 * Up to qty rows changed, as the statement's LIMIT counted them: a
	 * group's row leased whose body is not in the log counts, though it is
	 * not returned.
	 */
	while (taken < qty &&
		   index_getnext_slot(scan, ForwardScanDirection, scanslot))
	{
		HeapTuple	row;
		bool		reserved;
		int			reserved_left;

		CHECK_FOR_INTERRUPTS();
		if (!candidate(&claim, scanslot) || !key_head(&claim, scanslot))
			continue;

		/*
		 * Room is kept for the reserved rows ahead: a lease that ended, or a
		 * lower msg_id's send that committed, since the move does not take a
		 * moved message's place (it would stay hidden until this transaction
		 * ends).  A reserved row (inside a transaction block, where pops have
		 * no key gate) needs none: it must be taken.
		 */
		reserved = reserved_row(&claim, scanslot, &reserved_left);
		if (!reserved &&
			(taken + reserved_left >= qty || !key_gate_passes(&claim, scanslot)))
			continue;
		if (!lock_candidate(&claim, scanslot, lockslot))
			continue;
		if (reserved)
			claim.next_reserved++;
		taken++;
		if ((row = take_row(&claim, lockslot)) != NULL)
			tuples[n++] = row;
	}
	index_endscan(scan);
	key_gate_close(&claim.gate);
	if (claim.key_slot != NULL)
		ExecDropSingleTupleTableSlot(claim.key_slot);
	ExecDropSingleTupleTableSlot(lockslot);
	ExecDropSingleTupleTableSlot(scanslot);
	PopActiveSnapshot();
	UnregisterSnapshot(claim.snapshot);
	if (claim.key_index != NULL)
		index_close(claim.key_index, NoLock);
	index_close(claim.index, NoLock);
	table_close(claim.rel, NoLock);

	/* the leases or deletions are seen by the statements that follow */
	if (taken > 0)
		CommandCounterIncrement();
	if (n == 0)
		pfree(tuples);			/* a waiting reader claims again and again */
	set_spi_result(tuples, n, claim.retry != NULL);
	return n;
}

/*
 * Claim up to qty messages of message table relid for the lease vt, from
 * msg_id start on, as STMT_CLAIM_PLAIN would (see the top of this file);
 * vt NULL: delete them instead, as STMT_POP would.  terms (NULL: none):
 * with a gate_queue_id, for a pop of a queue with ordering keys (or the
 * lease of one under a retry policy), a keyed message is taken only when
 * its key's row can be locked at once, as STMT_POP_KEYS does; the reserved
 * msg_ids are taken whatever else is visible, the others only while room
 * is left for them.  With an active retry
 * policy (retry not NULL; never with a pop) as STMT_CLAIM would, skipping
 * or not: the rows dead or backing off are in the result too, each row
 * with its outcome.  Returns how many, their rows in SPI_tuptable (none:
 * SPI_tuptable NULL), or PGMQC_DIRECT_CLAIM_UNABLE when the table is gone
 * or not as pgmq_c made it: then nothing was done, and the caller runs the
 * statement.  Inside SPI.
 */
int
pgmqc_direct_claim(Oid relid, int32 qty, Interval *vt, int64 start,
				   const PgmqcRetryPolicy *retry, bool skipping,
				   const PgmqcClaimTerms *terms)
{
	Assert(vt != NULL || retry == NULL);
	return claim_rows(relid, qty, vt, start, retry, skipping, terms,
					  NULL, NULL);
}

/*
 * Claim up to qty messages of consumer group table relid for the lease vt,
 * from msg_id start on, as STMT_GROUP_CLAIM_PLAIN would: only a row that is
 * the head of its ordering key (no row of its key with a lower msg_id in
 * the table), its body (enqueued_at, message, headers) from
 * fetch(msg_id, snapshot, values, nulls, fetch_arg); a row whose body
 * fetch does not find is leased but not returned, as the statement's join
 * leaves it out; under a retry policy, as STMT_GROUP_CLAIM would, the rows
 * dead or backing off are returned without their bodies.  Returns as
 * pgmqc_direct_claim does.
 */
int
pgmqc_direct_group_claim(Oid relid, int32 qty, Interval *vt, int64 start,
						 const PgmqcRetryPolicy *retry, bool skipping,
						 PgmqcDirectBodyFetch fetch, void *fetch_arg)
{
	Assert(vt != NULL && fetch != NULL);
	return claim_rows(relid, qty, vt, start, retry, skipping, NULL, fetch,
					  fetch_arg);
}
