/*-------------------------------------------------------------------------
 *
 * dedup.c
 *		Deduplication ids of sends: which ids a queue or topic has seen
 *		within its dedup_window, and the day partitions that forget them.
 *
 * pgmq_c.dedup_ids holds (queue_id, dedup_id, msg_id, first_at) for every
 * send that carried an id, partitioned by the day of first_at.  A send
 * takes a lock on each of its ids (a transaction-level lock on a hash of
 * the queue and the id, in a lock space of its own that SQL's advisory
 * locks cannot reach), then looks the ids up as committed now
 * (SnapshotSelf, see lookup_snapshot): a second send of an id waits for
 * the first one's transaction, then finds its msg_id if it committed, or
 * sends anew if it rolled back.  Ids are
 * forgotten by whole partitions: the worker drops a day once it ended
 * before every queue's window, and makes the next days ahead, so that
 * remembering ids leaves no dead tuples behind and costs a send the same
 * with ten or ten million of them.
 *
 * Sends look ids up and remember them by reading and writing the day
 * partitions directly (an index probe; a heap and index insert), not
 * through SQL: a statement on the partitioned table would open, lock and
 * prune every partition and route every row, which cost a send with an id
 * a third more than one without.  The partitions are pgmq_c's own: their
 * shape is checked before use (common/direct_rows.c), and they carry no
 * triggers or constraints to honour.
 *
 * The default partition is opened only when a day of the window has no
 * partition.  Otherwise it cannot hold an id of the window: PostgreSQL
 * keeps out of it every row that another partition would take (a day's
 * partition is made only after the default one was scanned for that day's
 * rows, under a lock that waits for every writer of the default one), and
 * pgmq_c writes into it only ids of a day that has no partition, which it
 * looks for again once it holds the default partition's lock, so that the
 * worker cannot make the day between our seeing none and our writing.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/dedup.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/day_partitions.h"
#include "common/dedup.h"
#include "common/direct_rows.h"
#include "common/guarded.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "common/statements.h"

/*
 * The lock tag's last field, which tells lock kinds apart: SQL's advisory
 * locks use 1 and 2, so no role can take or hold these from SQL.
 */
#define DEDUP_LOCK_SPACE	0x7071

/* the worker keeps this many days made ahead */
#define DEDUP_DAYS_AHEAD		2

/* how long the worker waits for the table's lock */
#define DEDUP_LOCK_TIMEOUT	"200ms"

/* ids of the default partition removed per pass at most */
#define DEDUP_DEFAULT_EXPIRE_LIMIT	10000

/* the columns of pgmq_c.dedup_ids and of each of its partitions */
#define DEDUP_ATT_QUEUE_ID	1
#define DEDUP_ATT_DEDUP_ID	2
#define DEDUP_ATT_MSG_ID	3
#define DEDUP_ATT_FIRST_AT	4
#define DEDUP_NATTS			4

static const char *const dedup_columns[DEDUP_NATTS] = {
	"queue_id", "dedup_id", "msg_id", "first_at"
};
static const Oid dedup_types[DEDUP_NATTS] = {
	INT4OID, TEXTOID, INT8OID, TIMESTAMPTZOID
};

/* A partition of pgmq_c.dedup_ids, open, with its lookup index. */
typedef struct DedupPartition
{
	Relation	heap;
	Relation	index;			/* on (queue_id, dedup_id) */
	bool		index_only;		/* the lookup index is the only one */
	bool		unique;			/* the lookup index is unique (0.8.0) */
	struct KnownPartition *known;	/* its entry of known[] */
} DedupPartition;

/*
 * The partitions of pgmq_c.dedup_ids that a send to one queue or topic
 * looks its ids up in and remembers them in, opened once for the send:
 * the days from its window's start (cutoff) to the horizon, and the
 * default partition when one of them is missing (see the file header).
 * Each is locked RowExclusiveLock until the transaction ends, so that no
 * day is made or dropped while the send has it open.
 */
struct PgmqcDedupScope
{
	int32		queue_id;
	TimestampTz cutoff;			/* ids remembered after this count */
	TimestampTz horizon;		/* and before this */
	bool		fallback_tried; /* the default partition was looked for */
	bool		have_default;
	DedupPartition fallback;	/* the default partition, if have_default */
	int64		first_day;		/* the day of days[0] */
	int			ndays;
	DedupPartition *days;		/* heap NULL: no partition for that day */
	DedupPartition *claimable;	/* pgmqc_dedup_claimable()'s partition */
	TimestampTz claim_at;		/* and the time it is for */
	DedupPartition *claim;		/* that partition, once claimed in */
};

static int
compare_uint64(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return (x > y) - (x < y);
}

/*
 * Lock the n ids (text Datums) of a send to queue_id until the transaction
 * ends (or its subtransaction rolls back), in hash order so that two
 * batches never wait for each other in a circle.  The lock names the queue
 * and a 32-bit hash of the id, so that ids of two queues never share a
 * lock.  Before, it named a 64-bit hash of both, which can be inverted: a
 * role could work out an id for its own queue whose lock was that of
 * another role's queue and id, and hold it in an open or prepared
 * transaction to stop those sends (review h46).  Ids of one queue that
 * share a lock only make their sends take turns, and only roles that may
 * send to the queue take its locks.
 */
static void
lock_ids(int32 queue_id, Datum *ids, int n)
{
	uint64	   *hashes = palloc((n + 1) * sizeof(uint64));
	int			i;

	for (i = 0; i < n; i++)
	{
		text	   *id = DatumGetTextPP(ids[i]);

		hashes[i] = (uint32) hash_bytes_extended((const unsigned char *) VARDATA_ANY(id),
												 VARSIZE_ANY_EXHDR(id),
												 (uint64) (uint32) queue_id);
	}
	qsort(hashes, n, sizeof(uint64), compare_uint64);
	for (i = 0; i < n; i++)
	{
		LOCKTAG		tag;

		if (i > 0 && hashes[i] == hashes[i - 1])
			continue;
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) queue_id,
							 (uint32) hashes[i], DEDUP_LOCK_SPACE);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
	pfree(hashes);
}

/*
 * The partitions of pgmq_c.dedup_ids this backend opened lately: a send
 * opens the same few each time (the days of its window, at most 10 with
 * the default one), and finding them by name and checking their shape
 * again at each send cost a tenth of what an id costs.  An entry keeps a
 * partition's OID by its day (its name checked again at each opening,
 * against a drop and a rename) and, until an invalidation of the partition
 * or of its lookup index, what its shape check found and its lookup
 * index's IndexInfo.
 */
#define DEDUP_KNOWN_PARTITIONS	16

typedef struct KnownPartition
{
	Oid			heap;			/* InvalidOid: a free entry */
	int64		day;			/* -1: the default partition */
	NameData	name;			/* its name, made from day */
	bool		checked;		/* its shape passed since the last
								 * invalidation: */
	Oid			index;			/* its lookup index */
	bool		index_only;
	bool		unique;
	IndexInfo  *index_info;		/* the lookup index's, NULL until an insert;
								 * in: */
	MemoryContext context;		/* reset with the shape check */
} KnownPartition;

static KnownPartition known[DEDUP_KNOWN_PARTITIONS];
static int	known_next;			/* the entry to reuse next */
static uint64 known_invalidations;	/* relcache invalidations seen */
static Oid	known_namespace = InvalidOid;	/* pgmq_c's, for the names */

/* Forget what entry's shape check found. */
static void
forget_shape(KnownPartition *entry)
{
	entry->checked = false;
	entry->index_info = NULL;
	if (entry->context != NULL)
		MemoryContextReset(entry->context);
}

/*
 * A relcache invalidation of relid (InvalidOid: of every relation): forget
 * the shape checks it voids.  Called by the object cache's callback
 * (common/object_cache.c), registered in every backend that loads pgmq_c.
 */
void
pgmqc_dedup_relcache_changed(Oid relid)
{
	int			i;

	known_invalidations++;
	for (i = 0; i < DEDUP_KNOWN_PARTITIONS; i++)
		if (!OidIsValid(relid) || known[i].heap == relid ||
			known[i].index == relid)
			forget_shape(&known[i]);
}

/*
 * Open the partition of day (-1: the default one), locked
 * RowExclusiveLock: through its entry of known[] if it has one and the
 * relation still bears its name in pgmq_c, else by name.  NULL if there is
 * no such partition.  *entry is its entry.
 */
static Relation
open_day(int64 day, KnownPartition **entry)
{
	Relation	heap;
	Oid			relid;
	char		name[NAMEDATALEN];
	int			i;

	for (i = 0; i < DEDUP_KNOWN_PARTITIONS; i++)
	{
		if (!OidIsValid(known[i].heap) || known[i].day != day)
			continue;
		heap = try_relation_open(known[i].heap, RowExclusiveLock);
		if (heap != NULL && RelationGetNamespace(heap) == known_namespace &&
			strcmp(RelationGetRelationName(heap), NameStr(known[i].name)) == 0)
		{
			*entry = &known[i];
			return heap;
		}
		if (heap != NULL)
			relation_close(heap, RowExclusiveLock);
		known[i].heap = InvalidOid;
		break;
	}

	if (day < 0)
		strlcpy(name, "dedup_ids_default", sizeof(name));
	else
		pgmqc_relation_name(name, REL_DEDUP_PARTITION, 0, day);
	known_namespace = get_namespace_oid("pgmq_c", false);
	relid = get_relname_relid(name, known_namespace);
	heap = OidIsValid(relid) ? try_relation_open(relid, RowExclusiveLock) : NULL;
	if (heap == NULL)
		return NULL;
	*entry = &known[known_next];
	known_next = (known_next + 1) % DEDUP_KNOWN_PARTITIONS;
	(*entry)->heap = relid;
	(*entry)->day = day;
	namestrcpy(&(*entry)->name, name);
	forget_shape(*entry);
	(*entry)->index = InvalidOid;
	return heap;
}

/* Whether an index on (queue_id, dedup_id) is unique on them, at once. */
static inline bool
unique_on_id(Form_pg_index form)
{
	return form->indisunique && form->indimmediate && form->indnkeyatts == 2;
}

/*
 * Check the shape of partition part->heap, and open its index on
 * (queue_id, dedup_id) into part->index.  Errors out on a partition of
 * another shape than pgmq_c makes.  Its indexes are looked at once, here:
 * each must take direct inserts, and when the lookup index is the only
 * one, ids are inserted into it without opening it again.
 */
static void
check_partition(DedupPartition *part)
{
	List	   *indexes;
	ListCell   *lc;
	bool		plain;

	plain = part->heap->rd_rel->relispartition &&
		pgmqc_direct_columns_named(part->heap, dedup_columns, dedup_types,
								   DEDUP_NATTS) &&
		pgmqc_direct_heap_plain(part->heap);

	/*
	 * The index that serves lookups; every index must take direct inserts. An
	 * index being made or remade concurrently (CREATE INDEX or REINDEX
	 * CONCURRENTLY) takes them as the executor gives them: none while it is
	 * not ready, every one once it is, before it is valid
	 * (pgmqc_direct_insert does so); it serves no lookup until it is valid.
	 */
	indexes = plain ? RelationGetIndexList(part->heap) : NIL;
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		Form_pg_index form = index->rd_index;

		plain = pgmqc_direct_index_insertable(index);

		/*
		 * The first that fits, or a unique one that fits after a plain one (a
		 * superuser's index, or pgmq_c's remade by REINDEX CONCURRENTLY and
		 * so later in the list): records into a partition with a unique index
		 * must settle the id's earlier row first (remember_in).
		 */
		if (plain && (part->index == NULL ||
					  (!unique_on_id(part->index->rd_index) && unique_on_id(form))) &&
			form->indisvalid &&
			form->indisready && index->rd_rel->relam == BTREE_AM_OID &&
			form->indnkeyatts >= 2 &&
			form->indkey.values[0] == DEDUP_ATT_QUEUE_ID &&
			form->indkey.values[1] == DEDUP_ATT_DEDUP_ID &&
			RelationGetIndexPredicate(index) == NIL &&
			pgmqc_direct_index_sorts_plain(part->heap, index))
		{
			if (part->index != NULL)
				index_close(part->index, NoLock);
			part->index = index;
		}
		else
			index_close(index, NoLock);
		if (!plain)
			break;
	}
	part->index_only = plain && part->index != NULL &&
		list_length(indexes) == 1 && part->index->rd_index->indnatts == 2;
	part->unique = plain && part->index != NULL &&
		unique_on_id(part->index->rd_index);
	list_free(indexes);
	if (!plain || part->index == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("\"%s\" is not a deduplication partition as pgmq_c makes them",
						RelationGetRelationName(part->heap)),
				 errdetail("pgmq_c reads and writes the partitions of pgmq_c.dedup_ids directly: they must keep the columns, the index on (queue_id, dedup_id) without a predicate, and the lack of triggers, rules, row security and CHECK constraints that pgmq_c gave them.")));
}

/*
 * Open the partition of pgmq_c.dedup_ids for day (-1: the default one),
 * locked RowExclusiveLock, and its index on (queue_id, dedup_id); false if
 * it does not exist.
 */
static bool
open_partition(int64 day, DedupPartition *part)
{
	KnownPartition *entry;
	uint64		invalidations;

	part->heap = open_day(day, &entry);
	part->index = NULL;
	part->index_only = false;
	part->unique = false;
	part->known = NULL;
	if (part->heap == NULL)
		return false;
	if (entry->checked)
	{
		part->index = index_open(entry->index, RowExclusiveLock);
		part->index_only = entry->index_only;
		part->unique = entry->unique;
		part->known = entry;
		return true;
	}
	invalidations = known_invalidations;
	check_partition(part);
	entry->index = RelationGetRelid(part->index);
	entry->index_only = part->index_only;
	entry->unique = part->unique;
	/* an invalidation during the check (its opening of indexes) voids it */
	entry->checked = known_invalidations == invalidations;
	part->known = entry;
	return true;
}

/* Close what open_partition() opened; the locks stay. */
static void
close_partition(DedupPartition *part)
{
	if (part->heap == NULL)
		return;
	index_close(part->index, NoLock);
	relation_close(part->heap, NoLock);
	part->heap = NULL;
}

/*
 * Open the default partition into the scope, if it is not open yet, then
 * the days of its window that were missing: a day may have been made
 * between our seeing none and our lock on the default partition, which
 * keeps any more from being made until the transaction ends.
 */
static void
open_default(PgmqcDedupScope *scope)
{
	int			i;

	if (scope->have_default || scope->fallback_tried)
		return;
	scope->fallback_tried = true;
	scope->have_default = open_partition(-1, &scope->fallback);
	for (i = 0; i < scope->ndays; i++)
		if (scope->days[i].heap == NULL)
			(void) open_partition(scope->first_day + i, &scope->days[i]);
}

/*
 * Lock the n ids (text Datums) of a send to queue (a queue or a topic),
 * then open the partitions it looks
 * them up in and remembers them in: the locks first, so that a second
 * sender of an id waits before it opens anything.  Close with
 * pgmqc_dedup_close().
 */
PgmqcDedupScope *
pgmqc_dedup_open(PgmqcQueue *queue, Datum *ids, int n)
{
	int32		queue_id = queue->queue_id;
	double		window_secs = queue->dedup_window_secs;
	PgmqcDedupScope *scope = palloc0(sizeof(PgmqcDedupScope));
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz trusted_from = pgmqc_writable_since() - 1;
	bool		missing = false;
	int			i;

	lock_ids(queue_id, ids, n);
	scope->queue_id = queue_id;

	/*
	 * The window from when this send began, so that a send of the id whose
	 * transaction this one waited for is found however long it stayed open.
	 */
	scope->cutoff = now - (TimestampTz) (window_secs * USECS_PER_SEC);

	/*
	 * A minute ahead, for the clocks of other sessions, from when the ids'
	 * locks came: a send of an id that held them for long (waiting for its
	 * ordering key, or for another id of its batch) remembered the id only
	 * after that wait, which may be more than a minute after this send began.
	 * Before, such a send's row lay past this one's horizon: it was not
	 * found, and was deleted as outside the window (review h39).
	 */
	scope->horizon = GetCurrentTimestamp() + 60 * USECS_PER_SEC;

	/*
	 * An unlogged queue's or topic's messages are gone after a crash or a
	 * promotion, its ids (logged) are not: trust only those remembered since
	 * (asked only while that is within the window).
	 */
	if (trusted_from > scope->cutoff &&
		(queue->kind == PGMQC_KIND_QUEUE ?
		 get_rel_persistence(queue->cache.relid) == RELPERSISTENCE_UNLOGGED :
		 pgmqc_topic_unlogged(queue_id)))
		scope->cutoff = trusted_from;

	scope->first_day = pgmqc_day_of(scope->cutoff);
	scope->ndays = (int) (pgmqc_day_of(scope->horizon) - scope->first_day + 1);
	scope->days = palloc0(Max(scope->ndays, 1) * sizeof(DedupPartition));
	for (i = 0; i < scope->ndays; i++)
		if (!open_partition(scope->first_day + i, &scope->days[i]))
			missing = true;
	/* the default partition only when a day is missing: see the file header */
	if (missing)
		open_default(scope);
	return scope;
}

/* Close the partitions of scope; their locks last to the transaction's end. */
void
pgmqc_dedup_close(PgmqcDedupScope *scope)
{
	int			i;

	for (i = 0; i < scope->ndays; i++)
		close_partition(&scope->days[i]);
	if (scope->have_default)
		close_partition(&scope->fallback);
	pfree(scope->days);
	pfree(scope);
}

/*
 * Whether btree index has no entries at all, read off its metapage: it has
 * no root page yet.  Most partitions a lookup scans are so -- the default
 * one, and the days ahead -- and this costs less than a scan.  An index
 * whose metapage the relcache holds has a root (btree caches it only then,
 * and a root is never removed but by a rebuild, which resets the cache).
 */
static bool
index_empty(Relation index)
{
	Buffer		buffer;
	bool		empty;

	if (index->rd_amcache != NULL)
		return false;
	buffer = ReadBuffer(index, BTREE_METAPAGE);
	LockBuffer(buffer, BUFFER_LOCK_SHARE);
	empty = BTPageGetMeta(BufferGetPage(buffer))->btm_root == P_NONE;
	UnlockReleaseBuffer(buffer);
	return empty;
}

/* Start a scan of id's entries for queue_id in partition part's lookup index. */
static IndexScanDesc
begin_id_scan(DedupPartition *part, int32 queue_id, text *id, Snapshot snapshot)
{
	ScanKeyData keys[2];
	IndexScanDesc scan;

	/* compare as the index does, in its collation */
	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   part->index->rd_indcollation[0], F_INT4EQ,
						   Int32GetDatum(queue_id));
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   part->index->rd_indcollation[1], F_TEXTEQ,
						   PointerGetDatum(id));
	scan = index_beginscan(part->heap, part->index, snapshot, 2, 0);
	index_rescan(scan, keys, 2, NULL, 0);
	return scan;
}

/*
 * The latest send with id to queue_id in partition part between cutoff and
 * horizon (exclusive) as seen by snapshot: true and *msg_id and *sent_at
 * if there is one later than *sent_at.  The caller skips partitions whose
 * index is empty.
 *
 * The latest, not the earliest: an id sent again once its window had passed
 * stored a new message, and that message is the id's from then on.  A
 * window lengthened afterwards may take both sends in; the earlier one's
 * row is gone where the second send replaced it (a day's unique index, the
 * same day) but stays in an earlier day or in the default partition, and
 * picking the earliest answered with a different message depending on
 * where the rows were kept.
 */
static bool
find_in(DedupPartition *part, int32 queue_id, text *id, TimestampTz cutoff,
		TimestampTz horizon, Snapshot snapshot, int64 *msg_id,
		TimestampTz *sent_at)
{
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		found = false;

	slot = table_slot_create(part->heap, NULL);
	scan = begin_id_scan(part, queue_id, id, snapshot);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		TimestampTz at = DatumGetTimestampTz(slot_getattr(slot, DEDUP_ATT_FIRST_AT,
														  &isnull));

		if (isnull || at <= cutoff || at >= horizon || at <= *sent_at)
			continue;
		*msg_id = DatumGetInt64(slot_getattr(slot, DEDUP_ATT_MSG_ID, &isnull));
		*sent_at = at;
		found = true;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	return found;
}

/*
 * The snapshot an id's rows are read in, once the send holds the id's
 * lock: every row of the id is then committed, rolled back, or this
 * transaction's own.  SnapshotSelf sees them as committed now, so that a
 * REPEATABLE READ or SERIALIZABLE transaction too sees the sends it waited
 * for on the lock.  Not an MVCC snapshot, it takes no predicate locks: under
 * SERIALIZABLE, a lookup's read of an index page no longer made resends of
 * other ids, whose entries go into that page, fail with 40001 (the ids'
 * locks already order the sends of one id), and it needs no snapshot of
 * the running transactions.
 */
#define lookup_snapshot() SnapshotSelf

/*
 * The msg_id of the latest send with id (text) to the scope's queue or
 * topic within its window (find_in()), or -1 if there was none, read in
 * lookup_snapshot() after the id's lock (taken by pgmqc_dedup_open), and
 * its time in *sent_at.  The partition of pgmqc_dedup_claim(), if any, is
 * left to it.
 */
static int64
find_latest(PgmqcDedupScope *scope, Datum id, TimestampTz *sent_at)
{
	text	   *key = DatumGetTextPP(id);
	int64		msg_id = -1;
	int			i;

	*sent_at = DT_NOBEGIN;
	for (i = -1; i < scope->ndays; i++)
	{
		DedupPartition *part = i < 0 ? &scope->fallback : &scope->days[i];

		if (part->heap == NULL || part == scope->claim ||
			index_empty(part->index))
			continue;
		(void) find_in(part, scope->queue_id, key, scope->cutoff,
					   scope->horizon, lookup_snapshot(), &msg_id, sent_at);
	}
	return msg_id;
}

/*
 * The msg_id of the latest send with id (text) to the scope's queue or
 * topic within its window, or -1 if there was none: see find_latest().
 */
int64
pgmqc_dedup_find(PgmqcDedupScope *scope, Datum id)
{
	TimestampTz sent_at;

	return find_latest(scope, id, &sent_at);
}

/*
 * The IndexInfo of partition part's lookup index, built once and kept with
 * its entry of known[] until an invalidation of the partition or the index
 * (the shape check's lifetime): building it at each send cost 400
 * instructions.  Btree keeps nothing in it (ii_AmCache) between inserts.
 */
static IndexInfo *
lookup_index_info(DedupPartition *part)
{
	KnownPartition *entry = part->known;

	/* an entry taken over by another partition since: build one for now */
	if (entry->heap != RelationGetRelid(part->heap) || !entry->checked ||
		entry->index != RelationGetRelid(part->index))
		return BuildIndexInfo(part->index);
	if (entry->index_info == NULL)
	{
		MemoryContext old;

		if (entry->context == NULL)
			entry->context = AllocSetContextCreate(TopMemoryContext,
												   "pgmq_c deduplication partition",
												   ALLOCSET_SMALL_SIZES);
		old = MemoryContextSwitchTo(entry->context);
		entry->index_info = BuildIndexInfo(part->index);
		MemoryContextSwitchTo(old);
	}
	return entry->index_info;
}

/*
 * Insert one id's row into partition part, and into each of its indexes:
 * into the lookup index directly when it is the only one.  *tid is the
 * row's.  Returns false when the partition's unique lookup index already
 * held a live entry of the id (its entry is inserted all the same; see
 * settle_id()); true otherwise.
 */
static bool
insert_into(DedupPartition *part, int32 queue_id, Datum id, int64 msg_id,
			TimestampTz first_at, ItemPointer tid)
{
	Datum		values[DEDUP_NATTS];
	bool		nulls[DEDUP_NATTS] = {false, false, false, false};
	HeapTuple	tuple;
	bool		alone = true;

	values[DEDUP_ATT_QUEUE_ID - 1] = Int32GetDatum(queue_id);
	values[DEDUP_ATT_DEDUP_ID - 1] = id;
	values[DEDUP_ATT_MSG_ID - 1] = Int64GetDatum(msg_id);
	values[DEDUP_ATT_FIRST_AT - 1] = TimestampTzGetDatum(first_at);
	tuple = heap_form_tuple(RelationGetDescr(part->heap), values, nulls);
	if (part->index_only)
	{
		IndexInfo  *index_info;

		simple_heap_insert(part->heap, tuple);

		/*
		 * Kept until an invalidation resets it: a btree insert processes none
		 * (it takes no heavyweight lock but the relation extension lock,
		 * which does not accept invalidations).
		 */
		index_info = lookup_index_info(part);

		/*
		 * The index's two columns are the row's first two.  A unique index
		 * checks in the descent that inserts the entry whether the id has
		 * another live one, without waiting and without an error (as for a
		 * deferred constraint): the id's lock (lock_ids) already keeps other
		 * sends of the id out.
		 */
		if (part->unique)
			alone = index_insert(part->index, values, nulls, &tuple->t_self,
								 part->heap, UNIQUE_CHECK_PARTIAL,
#if PG_VERSION_NUM >= 140000
								 false,
#endif
								 index_info);
		else
			pgmqc_direct_index_entry(part->heap, part->index, index_info,
									 values, nulls, &tuple->t_self);
	}
	else
		pgmqc_direct_insert(part->heap, tuple);
	*tid = tuple->t_self;
	heap_freetuple(tuple);
	return alone;
}

/*
 * The rows of id for queue_id in partition part but the one at ours (NULL
 * for none), read in lookup_snapshot(): returns the msg_id of the latest
 * within the window (cutoff, horizon), as find_in() picks it, or -1 if none
 * is; those outside it are deleted.  A partition whose lookup index is unique keeps one live row
 * per id: an id sent again after its window (an hour's window, twice in a
 * day) replaces its earlier row.  The id's lock keeps other sends of it
 * out, so every such row is committed, or this transaction's own.
 */
static int64
settle_id(DedupPartition *part, int32 queue_id, text *id, ItemPointer ours,
		  TimestampTz cutoff, TimestampTz horizon)
{
	TupleTableSlot *slot = table_slot_create(part->heap, NULL);
	IndexScanDesc scan = begin_id_scan(part, queue_id, id, lookup_snapshot());
	ItemPointerData *stale = NULL;
	int			nstale = 0;
	int			capacity = 0;
	TimestampTz sent_at = DT_NOBEGIN;
	int64		msg_id = -1;
	int			i;

	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		TimestampTz at;

		if (ours != NULL && ItemPointerEquals(&slot->tts_tid, ours))
			continue;
		at = DatumGetTimestampTz(slot_getattr(slot, DEDUP_ATT_FIRST_AT, &isnull));
		if (!isnull && at > cutoff && at < horizon)
		{
			if (at > sent_at)
			{
				msg_id = DatumGetInt64(slot_getattr(slot, DEDUP_ATT_MSG_ID,
													&isnull));
				sent_at = at;
			}
			continue;
		}
		if (nstale == capacity)
		{
			capacity = Max(4, capacity * 2);
			stale = stale == NULL ? palloc(capacity * sizeof(ItemPointerData)) :
				repalloc(stale, capacity * sizeof(ItemPointerData));
		}
		stale[nstale++] = slot->tts_tid;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	for (i = 0; i < nstale; i++)
		simple_heap_delete(part->heap, &stale[i]);
	if (stale != NULL)
		pfree(stale);
	return msg_id;
}

/*
 * Remember id (text) as sent with msg_id at first_at in partition part,
 * whose window is (cutoff, horizon), after pgmqc_dedup_find() found it in
 * none.  In a partition with a unique lookup index, an earlier row of the
 * id (outside the window) is deleted.
 */
static void
remember_in(DedupPartition *part, int32 queue_id, Datum id, int64 msg_id,
			TimestampTz first_at, TimestampTz cutoff, TimestampTz horizon)
{
	ItemPointerData tid;

	/*
	 * The earlier row goes first where other indexes check uniqueness at
	 * once, and where changes are decoded for logical replication: an insert
	 * of a second live entry before the delete of the first would be applied
	 * in that order by a subscriber, whose unique index refuses it.
	 */
	if (part->unique && (!part->index_only || XLogLogicalInfoActive()))
		(void) settle_id(part, queue_id, DatumGetTextPP(id), NULL, cutoff,
						 horizon);
	if (insert_into(part, queue_id, id, msg_id, first_at, &tid))
		return;
	CommandCounterIncrement();
	if (settle_id(part, queue_id, DatumGetTextPP(id), &tid, cutoff,
				  horizon) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("deduplication id of queue or topic %d was remembered after its lookup",
						queue_id)));
}

/*
 * The scope's partition for day, NULL if it is not made: one of its window,
 * or past its horizon (the scope was opened the day before), opened into
 * *later.
 */
static DedupPartition *
day_partition(PgmqcDedupScope *scope, int64 day, DedupPartition *later)
{
	if (day >= scope->first_day && day < scope->first_day + scope->ndays)
		return scope->days[day - scope->first_day].heap != NULL ?
			&scope->days[day - scope->first_day] : NULL;
	if (later->heap == NULL)
		(void) open_partition(day, later);
	return later->heap != NULL ? later : NULL;
}

/*
 * Remember ids[0..n-1] (text) as sent to the scope's queue or topic with
 * msg_ids[0..n-1]: in today's partition, or while it is not made, the
 * default one.
 */
void
pgmqc_dedup_record(PgmqcDedupScope *scope, const Datum *ids,
				   const int64 *msg_ids, int n)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		today = pgmqc_day_of(now);
	DedupPartition later = {0};
	DedupPartition *into;
	int			i;

	into = day_partition(scope, today, &later);
	if (into == NULL)
	{
		/*
		 * no day takes them: the default partition, if the day is still
		 * missing under its lock
		 */
		open_default(scope);
		into = day_partition(scope, today, &later);
		if (into == NULL && scope->have_default)
			into = &scope->fallback;
	}
	if (into == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgmq_c.dedup_ids has no partition for today and no default partition"),
				 errhint("Run SELECT pgmq_c.maintain_topics() to make the days ahead.")));
	for (i = 0; i < n; i++)
		remember_in(into, scope->queue_id, ids[i], msg_ids[i], now,
					scope->cutoff, scope->horizon);
	/* later lookups of this transaction see these rows */
	CommandCounterIncrement();
	close_partition(&later);
}

/*
 * Whether a send of one id to the scope's queue can claim the id before
 * its message is written (pgmqc_dedup_claim): today's partition is made,
 * and its lookup index is unique and its only index, so that the descent
 * that remembers the id also tells whether it is new.
 */
bool
pgmqc_dedup_claimable(PgmqcDedupScope *scope)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		today = pgmqc_day_of(now);
	DedupPartition *part;

	if (today < scope->first_day || today >= scope->first_day + scope->ndays)
		return false;
	part = &scope->days[today - scope->first_day];
	if (part->heap == NULL || !part->unique || !part->index_only)
		return false;

	/*
	 * Not where changes are decoded for logical replication: a resend's claim
	 * inserts a second live entry of the id, then deletes it, which a
	 * subscriber would apply in that order and refuse (its partition's unique
	 * index).  The lookup, then the record, write no such pair.
	 */
	if (XLogLogicalInfoActive())
		return false;
	scope->claimable = part;
	scope->claim_at = now;
	return true;
}

/*
 * Claim id (text) for a message whose msg_id was drawn but whose row is
 * not written yet, after pgmqc_dedup_claimable(): returns -1 if the id is
 * new (it is now remembered with msg_id: write the message), or else the
 * msg_id of the latest send with it within the window (send nothing: the
 * drawn msg_id is skipped).  The other partitions of the window are looked
 * in first; when they hold the id, so may the claim's own, with a later
 * send (find_in()).
 */
int64
pgmqc_dedup_claim(PgmqcDedupScope *scope, Datum id, int64 msg_id)
{
	DedupPartition *part = scope->claimable;
	ItemPointerData tid;
	TimestampTz sent_at;
	int64		first;

	Assert(part != NULL);
	scope->claim = part;		/* find_latest() leaves it out */
	first = find_latest(scope, id, &sent_at);
	if (first >= 0)
	{
		if (!index_empty(part->index))
			(void) find_in(part, scope->queue_id, DatumGetTextPP(id),
						   scope->cutoff, scope->horizon, lookup_snapshot(),
						   &first, &sent_at);
		return first;
	}
	if (insert_into(part, scope->queue_id, id, msg_id, scope->claim_at, &tid))
	{
		/* later lookups of this transaction see the row */
		CommandCounterIncrement();
		return -1;
	}
	CommandCounterIncrement();
	first = settle_id(part, scope->queue_id, DatumGetTextPP(id), &tid,
					  scope->cutoff, scope->horizon);
	if (first >= 0)
	{
		/* a resend within the window: our row goes */
		simple_heap_delete(part->heap, &tid);
		CommandCounterIncrement();
	}
	return first;
}

/*
 * Queue or topic queue_id is made logged (0.8.0): forget the ids it
 * remembered before the server last became writable.  While it was
 * unlogged, sends trusted only the ids remembered since then
 * (pgmqc_dedup_open): a crash or a promotion empties unlogged tables, and
 * the messages of older ids may be gone.  Logged, it would trust them all
 * again, and answer a resend with a lost message's msg_id.  Inside SPI.
 */
void
pgmqc_dedup_forget_untrusted(int32 queue_id)
{
	Datum		args[2];

	args[0] = Int32GetDatum(queue_id);
	args[1] = TimestampTzGetDatum(pgmqc_writable_since());
	(void) pgmqc_run_catalog(STMT_DEDUP_FORGET_BEFORE, args, NULL, 0);
}


static int	maintain_days(bool new_object);

static void
make_days(void *arg)
{
	(void) maintain_days(true);
}

/*
 * A queue or topic was just made (create_queue, create_topic): make
 * today's partition of pgmq_c.dedup_ids now if it is missing, rather than
 * at the worker's next pass (once a minute), so that the first ids sent
 * go into it and not into the default partition, whose ids of today would
 * keep today's from being made.  Only outside a transaction block: the
 * locks of the partition's making last until the caller's transaction
 * ends, and would hold up every send with an id meanwhile; nor before
 * ALTER EXTENSION pgmq_c UPDATE to 0.7.0, which made pgmq_c.dedup_ids.  A
 * failure (the table's lock not had in time) is left to the worker.
 * Inside SPI.
 */
void
pgmqc_dedup_days_for_new(void)
{
	ErrorData  *edata;

	if (IsTransactionBlock() || !pgmqc_ordering_exists() ||
		OidIsValid(pgmqc_relation_oid(REL_DEDUP_PARTITION, 0,
									  pgmqc_day_of(GetCurrentTimestamp()))))
		return;
	edata = pgmqc_run_guarded(make_days, NULL);
	if (edata == NULL)
		return;
	ereport(DEBUG1,
			(errmsg_internal("pgmq_c: today's partition of pgmq_c.dedup_ids was left to the worker: %s",
							 edata->message)));
	FreeErrorData(edata);
}

/*
 * The worker's care of pgmq_c.dedup_ids: drop the day partitions that
 * ended before the longest window of any queue or topic, make the days
 * ahead, and remove the ids past that window from the default partition
 * (where ids go while no day partition takes them).  Returns the number of
 * partitions dropped.  Waits at most DEDUP_LOCK_TIMEOUT for the table's
 * lock (an error then: the caller runs this in a subtransaction and tries
 * again at its next pass).
 */
int
pgmqc_dedup_maintain(void)
{
	return maintain_days(false);
}

/*
 * pgmqc_dedup_maintain(), with new_object when the caller has just made a
 * queue or topic (which the catalog statement, read in the statement's
 * snapshot, does not see yet).
 */
static int
maintain_days(bool new_object)
{
	int			save_nestlevel;
	TimestampTz now = GetCurrentTimestamp();
	int64		today = pgmqc_day_of(now);
	int64		last_day = today;
	TimestampTz cutoff;
	Datum		arg;
	bool		isnull;
	char	  **expired;
	int			dropped = 0;
	int64		objects;
	int			n;
	int			i;
	int64		day;

	save_nestlevel = pgmqc_lock_timeout_begin(DEDUP_LOCK_TIMEOUT);
	(void) pgmqc_run_catalog(STMT_DEDUP_LONGEST_WINDOW, NULL, NULL, 1);
	cutoff = now - (pgmqc_ts_plus(now, DatumGetIntervalP(pgmqc_column(0, VALUE_COL,
																	  &isnull))) - now);
	objects = new_object ? 1 :
		pgmqc_column_int64(0, LONGEST_WINDOW_COL_OBJECTS, &isnull);

	n = pgmqc_run_catalog(STMT_DEDUP_PARTITIONS, NULL, NULL, 0);
	expired = pgmqc_expired_days(n, cutoff, &last_day, &dropped);
	for (i = 0; i < dropped; i++)
		pgmqc_drop_relation(expired[i]);

	/*
	 * The days of the longest window and the days ahead that are missing,
	 * once there is a queue or topic to send ids to: not before, so that a
	 * restore (pg_dump's CREATE TABLE of the days it dumped, right after
	 * CREATE EXTENSION) does not race the worker for them; the catalog's rows
	 * are restored after every table.  The days of a window all made, sends
	 * need not look in the default partition (see the file header); the days
	 * before today matter on a fresh installation.  A day up to today is made
	 * only while the default partition holds nothing of it or after it (else
	 * it stays there, until its ids there are past the window).
	 */
	for (day = Min(today, pgmqc_day_of(cutoff));
		 objects > 0 && day <= today + DEDUP_DAYS_AHEAD; day++)
	{
		PgmqcStatementTarget target = {0, 0, day, PGMQC_DAY_SECS};

		if (OidIsValid(pgmqc_relation_oid(REL_DEDUP_PARTITION, 0, day)))
			continue;
		if (day <= today)
		{
			arg = TimestampTzGetDatum(SetEpochTimestamp() +
									  day * PGMQC_DAY_SECS * USECS_PER_SEC);
			if (pgmqc_run_catalog(STMT_DEDUP_DEFAULT_ROWS, &arg, NULL, 1) > 0)
				continue;
		}
		(void) pgmqc_run_once(STMT_DEDUP_PARTITION_CREATE, &target, NULL, NULL,
							  SPI_OK_UTILITY);
	}

	{
		Datum		args[2];

		args[0] = TimestampTzGetDatum(cutoff);
		args[1] = Int32GetDatum(DEDUP_DEFAULT_EXPIRE_LIMIT);
		(void) pgmqc_run_catalog(STMT_DEDUP_EXPIRE_DEFAULT, args, NULL, 0);
	}
	pgmqc_lock_timeout_end(save_nestlevel);
	return dropped;
}
