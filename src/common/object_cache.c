/*-------------------------------------------------------------------------
 *
 * object_cache.c
 *		The backend-local cache of queues, topics and consumer groups, with
 *		their kept statements and low watermarks.
 *
 * Queues and topics are keyed by name, consumer groups by (topic id, group
 * name); both kinds of entry begin with a PgmqcCacheEntry, and one
 * machinery serves both: a relcache invalidation of an entry's table (DROP,
 * TRUNCATE, VACUUM statistics, ...) marks it for re-validation, and the
 * next use looks it up again in pgmq_c.queues or pgmq_c.groups.  An object
 * dropped or created again meanwhile starts afresh; the plans of one that
 * still exists are kept, since the plan cache re-plans them by itself after
 * DDL.  Watermark advances made inside a transaction are adopted or dropped
 * at its end.
 *
 * All functions here must be called inside an SPI connection.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/object_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/sequence.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/dedup.h"
#include "common/object_cache.h"
#include "common/statements.h"

/* a watermark is recomputed at most this often (milliseconds) */
#define WATERMARK_INTERVAL_MS	50

static HTAB *queue_cache = NULL;
static HTAB *group_cache = NULL;

/* some entry of either table has a tentative watermark */
static bool any_tentative = false;

/*
 * Kept statements are bounded (pgmq_c.cached_objects): the entries that
 * have some, and a count of plan uses that orders them by last use.
 */
static int	entries_with_plans = 0;
static uint64 use_count = 0;
static int	evicted_since_reset = 0;

static void dropped_meanwhile(PgmqcQueue *queue) pg_attribute_noreturn();

/* Call fn(entry, arg) for the common part of every cached queue and group. */
static void
for_each_entry(void (*fn) (PgmqcCacheEntry *entry, void *arg), void *arg)
{
	static const struct
	{
		HTAB	  **table;
		Size		offset;
	}			tables[] = {
		{&queue_cache, offsetof(PgmqcQueue, cache)},
		{&group_cache, offsetof(PgmqcGroup, cache)},
	};
	int			t;

	for (t = 0; t < lengthof(tables); t++)
	{
		HASH_SEQ_STATUS status;
		char	   *entry;

		if (*tables[t].table == NULL)
			continue;
		hash_seq_init(&status, *tables[t].table);
		while ((entry = hash_seq_search(&status)) != NULL)
			fn((PgmqcCacheEntry *) (entry + tables[t].offset), arg);
	}
}

/* An entry whose table is relid (InvalidOid: any) is to be validated again. */
static void
invalidate_entry(PgmqcCacheEntry *entry, void *arg)
{
	Oid			relid = *(Oid *) arg;

	if (relid == InvalidOid || entry->relid == relid)
		entry->valid = false;
}

/*
 * A relcache invalidation of the table of a cached object (or of every
 * relation) marks the entry so that the next use re-validates it; the
 * deduplication partitions a backend remembers are checked again too (one
 * callback for both: PostgreSQL has few slots for them).
 */
static void
relcache_callback(Datum arg, Oid relid)
{
	for_each_entry(invalidate_entry, &relid);
	pgmqc_dedup_relcache_changed(relid);
}

void
pgmqc_object_cache_init(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = PGMQC_MAX_NAME_LEN + 1;
	ctl.entrysize = sizeof(PgmqcQueue);
	ctl.hcxt = CacheMemoryContext;
	queue_cache = hash_create("pgmq_c queue cache", 16, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(PgmqcGroupKey);
	ctl.entrysize = sizeof(PgmqcGroup);
	ctl.hcxt = CacheMemoryContext;
	group_cache = hash_create("pgmq_c group cache", 16, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
}

/* Free an entry's kept statements. */
void
pgmqc_forget_plans(PgmqcCacheEntry *entry)
{
	int			i;

	if (!entry->has_plans)
		return;
	for (i = 0; i < PGMQC_NUM_STATEMENTS; i++)
	{
		if (entry->plans[i] != NULL)
			SPI_freeplan(entry->plans[i]);
		entry->plans[i] = NULL;
	}
	entry->has_plans = false;
	entries_with_plans--;
}

/* An entry, in the array of those with kept statements collect_entry fills */
typedef struct EntriesWithPlans
{
	PgmqcCacheEntry **entries;
	int			n;
	int			size;
}			EntriesWithPlans;

static void
collect_entry(PgmqcCacheEntry *entry, void *arg)
{
	EntriesWithPlans *found = (EntriesWithPlans *) arg;

	if (entry->has_plans && found->n < found->size)
		found->entries[found->n++] = entry;
}

static int
compare_last_used(const void *a, const void *b)
{
	uint64		x = (*(PgmqcCacheEntry *const *) a)->last_used;
	uint64		y = (*(PgmqcCacheEntry *const *) b)->last_used;

	return (x > y) - (x < y);
}

/*
 * Keep the statements of at most pgmq_c.cached_objects queues, topics and
 * groups.  A plan costs tens of kilobytes (its plan tree, query tree and
 * source), so a backend that touched thousands of objects -- a pooled
 * connection serving every queue -- would otherwise keep hundreds of
 * megabytes.  When over the limit, the plans of the least recently used
 * entries are freed, down to three quarters of it so that a backend cycling
 * through many objects does not pay a sort on every call; the entries stay
 * (their watermarks with them), and their statements are prepared again on
 * next use.
 *
 * PostgreSQL's own caches grow the same way: each queue touched leaves
 * tens of kilobytes of relation and catalog cache entries (its tables and
 * their indexes), which PostgreSQL keeps until they are invalidated.  So
 * once as many entries were evicted as the limit, the backend's system
 * caches are reset, as a shared invalidation queue overflow resets them
 * (InvalidateSystemCaches); what is in use is rebuilt, the rest freed.  A
 * backend that stays within the limit never resets them.
 *
 * Called where no plan of ours is in use: as a call enters pgmq_c from
 * outside (pgmqc_enter) and at the top of the worker's rounds.
 */
void
pgmqc_object_cache_trim(void)
{
	EntriesWithPlans found;
	int			keep;
	int			i;

	if (entries_with_plans <= pgmqc_cached_objects)
		return;
	found.size = entries_with_plans;
	found.n = 0;
	found.entries = palloc(found.size * sizeof(PgmqcCacheEntry *));
	for_each_entry(collect_entry, &found);
	qsort(found.entries, found.n, sizeof(PgmqcCacheEntry *), compare_last_used);
	keep = pgmqc_cached_objects - pgmqc_cached_objects / 4;
	for (i = 0; i < found.n - keep; i++)
		pgmqc_forget_plans(found.entries[i]);
	pfree(found.entries);

	evicted_since_reset += Max(found.n - keep, 0);
	if (evicted_since_reset >= pgmqc_cached_objects)
	{
		evicted_since_reset = 0;
		InvalidateSystemCaches();
	}
}

/* Make an entry's common part as new: no plans, no watermark. */
static void
reset_cache_entry(PgmqcCacheEntry *entry)
{
	pgmqc_forget_plans(entry);
	memset(&entry->watermark, 0, sizeof(entry->watermark));
	entry->quiet.valid = false;
	entry->skip.from = 0;
	entry->skip.until = 0;
	entry->tables_checked = false;
}

static void
reset_queue(PgmqcQueue *entry)
{
	reset_cache_entry(&entry->cache);
	entry->settled_through = 0;
	entry->candidate_id = 0;
	entry->candidate_xid = InvalidTransactionId;
	entry->has_candidate = false;
	entry->kind = PGMQC_KIND_QUEUE;
	entry->partition_size = 0;
	entry->partition_end = 0;
	entry->partition_plan_number = -1;
	entry->partition_relid = InvalidOid;
	entry->partition_relid_number = -1;
	entry->cursors_relid = InvalidOid;
	entry->has_keys = false;
	entry->delayed_relid = InvalidOid;
}

static void
reset_group(PgmqcGroup *entry)
{
	reset_cache_entry(&entry->cache);
	if (entry->filter != NULL)
		pfree(entry->filter);
	entry->filter = NULL;
	entry->seek_count = -1;
	entry->cursor_seen = 0;
	entry->has_blocks = false;
	entry->blocks_first_until = 0;
	entry->blocks_from = 0;
	entry->blocks_from_seek = -1;
	entry->blocks_held_xid = InvalidTransactionId;
	entry->blocks_changed_xid = InvalidTransactionId;
}

/*
 * Look the queue up in pgmq_c.queues; the result is the current SPI result.
 * Returns false when there is no such queue.
 */
static bool
fetch_queue_row(const char *name)
{
	Datum		arg = CStringGetTextDatum(name);
	Oid			namespace = get_namespace_oid("pgmq_c", true);
	Oid			queues;
	PgmqcStatement stmt;

	/*
	 * The extension dropped since this call began (a reader that waited
	 * through DROP EXTENSION pgmq_c): then no queue exists.
	 */
	if (!OidIsValid(namespace))
		return false;
	queues = get_relname_relid("queues", namespace);
	if (!OidIsValid(queues))
		return false;

	/*
	 * Versions 0.1.0 to 0.3.0 of the extension lack columns: this library
	 * serves them until ALTER EXTENSION pgmq_c UPDATE.
	 */
	if (get_attnum(queues, "dedup_window") != InvalidAttrNumber)
		stmt = STMT_LOOKUP_QUEUE;
	else if (get_attnum(queues, "max_deliveries") != InvalidAttrNumber)
		stmt = STMT_LOOKUP_QUEUE_0_6;
	else if (get_attnum(queues, "owner") != InvalidAttrNumber)
		stmt = STMT_LOOKUP_QUEUE_0_5;
	else if (get_attnum(queues, "kind") != InvalidAttrNumber)
		stmt = STMT_LOOKUP_QUEUE_0_3;
	else if (get_attnum(queues, "notify_throttle") != InvalidAttrNumber)
		stmt = STMT_LOOKUP_QUEUE_0_2;
	else
		stmt = STMT_LOOKUP_QUEUE_0_1;
	return pgmqc_run_catalog(stmt, &arg, NULL, 1) > 0;
}

/* An interval in seconds, a month taken as 30 days. */
static double
interval_seconds(const Interval *interval)
{
	return interval->time / (double) USECS_PER_SEC +
		(interval->day + interval->month * (double) DAYS_PER_MONTH) * SECS_PER_DAY;
}

/*
 * The retry policy in row 0 of the current SPI result, whose columns
 * max_deliveries, dead-letter queue name, backoff and backoff_max (in
 * seconds) start at first_column; a catalog older than 0.6.0 has none.
 */
static void
read_retry_policy(PgmqcRetryPolicy *retry, int first_column)
{
	bool		isnull;
	Datum		value;

	memset(retry, 0, sizeof(*retry));
	retry->backoff_max = PGMQC_DEFAULT_BACKOFF_MAX;
	if (SPI_tuptable->tupdesc->natts < first_column + 3)
		return;
	retry->catalog_has_retries = true;
	value = pgmqc_column(0, first_column, &isnull);
	if (!isnull)
		retry->max_deliveries = DatumGetInt32(value);
	value = pgmqc_column(0, first_column + 1, &isnull);
	if (!isnull)
		text_to_cstring_buffer(DatumGetTextPP(value), retry->dead_letter_queue,
							   sizeof(retry->dead_letter_queue));
	value = pgmqc_column(0, first_column + 2, &isnull);
	if (!isnull)
	{
		retry->backoff_interval = *DatumGetIntervalP(value);
		retry->backoff = interval_seconds(&retry->backoff_interval);
	}
	value = pgmqc_column(0, first_column + 3, &isnull);
	if (!isnull)
	{
		retry->backoff_max_interval = *DatumGetIntervalP(value);
		retry->backoff_max = interval_seconds(&retry->backoff_max_interval);
	}
}

/*
 * Whether a retry policy is set (max_deliveries or a backoff): claims
 * then run the statements that apply it.  Never on a catalog older than
 * 0.6.0, which has none.
 */
bool
pgmqc_retry_active(const PgmqcRetryPolicy *retry)
{
	return retry->max_deliveries > 0 || retry->backoff > 0;
}

/*
 * The parameters of a statement that applies a retry policy, three from
 * values[0] on: max_deliveries, backoff and backoff_max, each NULL when
 * the policy has none.
 */
void
pgmqc_retry_args(const PgmqcRetryPolicy *retry, Datum *values, char *nulls)
{
	values[0] = Int32GetDatum(retry->max_deliveries);
	nulls[0] = retry->max_deliveries > 0 ? ' ' : 'n';
	values[1] = Float8GetDatum(retry->backoff);
	nulls[1] = retry->backoff > 0 ? ' ' : 'n';
	values[2] = Float8GetDatum(retry->backoff_max);
	nulls[2] = retry->backoff > 0 ? ' ' : 'n';
}

static void
unknown_object(const char *name, char kind)
{
	if (kind == PGMQC_KIND_TOPIC)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("topic \"%s\" does not exist", name),
				 errhint("Create it with pgmq_c.create_topic().")));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("queue \"%s\" does not exist", name),
			 errhint("Create it with pgmq_c.create_queue().")));
}

/* A queue given where a topic is expected, or the reverse. */
static void
wrong_kind(const char *name, char found)
{
	if (found == PGMQC_KIND_TOPIC)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a topic, not a queue", name),
				 errhint("Read a topic with pgmq_c.read_group(), acknowledge with pgmq_c.ack(), drop it with pgmq_c.drop_topic().")));
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("\"%s\" is a queue, not a topic", name),
			 errhint("Read a queue with pgmq_c.read(), delete with pgmq_c.delete(), drop it with pgmq_c.drop_queue().")));
}

/*
 * Find a queue or topic by name.  The name must have been validated.  kind
 * is PGMQC_KIND_QUEUE, PGMQC_KIND_TOPIC or 0 for either; a name of the other
 * kind is an error even with missing_ok.  Raises an error for an unknown
 * name unless missing_ok.
 */
PgmqcQueue *
pgmqc_lookup_kind(const char *name, char kind, bool missing_ok)
{
	PgmqcQueue *entry;
	bool		found;
	bool		isnull;
	int32		queue_id;
	char		found_kind;
	char		relname[NAMEDATALEN];
	Oid			relid;

	entry = hash_search(queue_cache, name, HASH_FIND, NULL);
	if (entry != NULL && entry->cache.valid)
	{
		if (kind != 0 && entry->kind != kind)
			wrong_kind(name, entry->kind);
		return entry;
	}

	if (!fetch_queue_row(name))
	{
		if (entry != NULL)
		{
			reset_queue(entry);
			hash_search(queue_cache, name, HASH_REMOVE, NULL);
		}
		if (missing_ok)
			return NULL;
		unknown_object(name, kind);
	}
	queue_id = DatumGetInt32(pgmqc_column(0, LOOKUP_COL_QUEUE_ID, &isnull));
	found_kind = DatumGetChar(pgmqc_column(0, LOOKUP_COL_KIND, &isnull));
	if (kind != 0 && found_kind != kind)
		wrong_kind(name, found_kind);
	pgmqc_relation_name(relname,
						found_kind == PGMQC_KIND_TOPIC ? REL_LOG : REL_MESSAGES,
						queue_id, 0);
	relid = get_relname_relid(relname, get_namespace_oid("pgmq_c", false));

	if (entry == NULL)
	{
		entry = hash_search(queue_cache, name, HASH_ENTER, &found);
		memset(entry->cache.plans, 0, sizeof(entry->cache.plans));
		entry->cache.has_plans = false;
		entry->cache.last_used = 0;
		reset_queue(entry);
		entry->queue_id = queue_id;
	}
	else if (entry->queue_id != queue_id || entry->cache.relid != relid)
	{
		/*
		 * Dropped and created again: nothing of the old queue applies, its
		 * watermark least of all.  The id alone does not tell: DROP
		 * EXTENSION, or a restore with --clean, makes ids start again.
		 */
		reset_queue(entry);
		entry->queue_id = queue_id;
	}
	entry->kind = found_kind;
	entry->partition_size = pgmqc_column_int64(0, LOOKUP_COL_PARTITION_SIZE,
											   &isnull);
	entry->partition_end = 0;
	entry->sequence_relid =
		pgmqc_relation_oid(found_kind == PGMQC_KIND_TOPIC ?
						   REL_LOG_SEQUENCE : REL_QUEUE_SEQUENCE, queue_id, 0);
	entry->cursors_relid = found_kind == PGMQC_KIND_TOPIC ?
		pgmqc_relation_oid(REL_CURSORS, queue_id, 0) : InvalidOid;
	entry->default_vt =
		*DatumGetIntervalP(pgmqc_column(0, LOOKUP_COL_VISIBILITY_TIMEOUT, &isnull));
	entry->notify = DatumGetBool(pgmqc_column(0, LOOKUP_COL_NOTIFY, &isnull));
	entry->owner = DatumGetObjectId(pgmqc_column(0, LOOKUP_COL_OWNER, &isnull));
	read_retry_policy(&entry->retry, LOOKUP_COL_MAX_DELIVERIES);

	/*
	 * Statements made for a catalog from before ALTER EXTENSION pgmq_c UPDATE
	 * to 0.7.0 leave the ordering keys out: made again after it.
	 */
	if (entry->has_keys != pgmqc_ordering_exists())
	{
		pgmqc_forget_plans(&entry->cache);
		entry->has_keys = !entry->has_keys;
	}
	entry->dedup_window_secs = PGMQC_DEFAULT_DEDUP_WINDOW;
	if (entry->has_keys && SPI_tuptable->tupdesc->natts >= LOOKUP_COL_DEDUP_WINDOW)
	{
		Datum		window = pgmqc_column(0, LOOKUP_COL_DEDUP_WINDOW, &isnull);

		if (!isnull)
			entry->dedup_window_secs = interval_seconds(DatumGetIntervalP(window));
	}
	memset(&entry->archive_retention, 0, sizeof(Interval));
	if (entry->retry.catalog_has_retries)
	{
		Datum		retention = pgmqc_column(0, LOOKUP_COL_ARCHIVE_RETENTION,
											 &isnull);

		if (!isnull)
			entry->archive_retention = *DatumGetIntervalP(retention);
	}

	entry->cache.relid = relid;
	if (!OidIsValid(entry->cache.relid))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("table \"pgmq_c.%s\" of \"%s\" is missing", relname, name),
				 errhint("Drop it with pgmq_c.drop_queue() or pgmq_c.drop_topic() and create it again.")));
	entry->access_generation = 0;	/* privileges are computed again */
	entry->cache.valid = true;
	return entry;
}

/*
 * Find a queue or topic to drop.  As pgmqc_lookup_kind, except that a queue
 * or topic whose main table (q_<id>, or the log t_<id>) is missing is found
 * too: then the result is a stand-in made from its row in pgmq_c.queues,
 * not cached, with no relid and no plans, good for pgmqc_check_access and
 * for dropping what is left of it.
 */
PgmqcQueue *
pgmqc_lookup_for_drop(const char *name, char kind, bool missing_ok)
{
	int32		queue_id;
	char		found_kind;
	bool		isnull;
	PgmqcQueue *queue;

	if (!fetch_queue_row(name))
		return pgmqc_lookup_kind(name, kind, missing_ok);	/* NULL, or 42704 */
	queue_id = DatumGetInt32(pgmqc_column(0, LOOKUP_COL_QUEUE_ID, &isnull));
	found_kind = DatumGetChar(pgmqc_column(0, LOOKUP_COL_KIND, &isnull));
	if ((kind != 0 && found_kind != kind) ||
		OidIsValid(pgmqc_relation_oid(found_kind == PGMQC_KIND_TOPIC ?
									  REL_LOG : REL_MESSAGES, queue_id, 0)))
		return pgmqc_lookup_kind(name, kind, missing_ok);	/* as usual */

	queue = palloc0(sizeof(PgmqcQueue));
	strlcpy(queue->name, name, sizeof(queue->name));
	queue->queue_id = queue_id;
	queue->kind = found_kind;
	queue->owner = DatumGetObjectId(pgmqc_column(0, LOOKUP_COL_OWNER, &isnull));
	queue->cache.valid = false;
	return queue;
}

/* Find a queue (not a topic) by name. */
PgmqcQueue *
pgmqc_lookup(const char *name, bool missing_ok)
{
	return pgmqc_lookup_kind(name, PGMQC_KIND_QUEUE, missing_ok);
}

/* Remove a queue or topic from this backend's cache (after a drop). */
void
pgmqc_forget(const char *name)
{
	PgmqcQueue *entry = hash_search(queue_cache, name, HASH_FIND, NULL);

	if (entry != NULL)
	{
		reset_queue(entry);
		hash_search(queue_cache, name, HASH_REMOVE, NULL);
	}
}

/* Forget every cached group of a topic (after drop_topic). */
void
pgmqc_group_forget_topic(int32 topic_id)
{
	HASH_SEQ_STATUS status;
	PgmqcGroup *entry;

	if (group_cache == NULL)
		return;
	hash_seq_init(&status, group_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.topic_id == topic_id)
		{
			reset_group(entry);
			hash_search(group_cache, &entry->key, HASH_REMOVE, NULL);
		}
	}
}

/*
 * Look a group of a topic up.  The name must have been validated.  Raises
 * an error for an unknown group unless missing_ok.
 */
PgmqcGroup *
pgmqc_group_lookup(PgmqcQueue *topic, const char *name, bool missing_ok)
{
	PgmqcGroupKey key;
	PgmqcGroup *entry;
	Datum		args[2];
	bool		isnull;
	bool		found;
	int32		group_id;
	Datum		filter;
	char		relname[NAMEDATALEN];
	Oid			relid;

	memset(&key, 0, sizeof(key));
	key.topic_id = topic->queue_id;
	strlcpy(key.name, name, sizeof(key.name));

	entry = hash_search(group_cache, &key, HASH_FIND, NULL);
	if (entry != NULL && entry->cache.valid)
		return entry;

	args[0] = Int32GetDatum(topic->queue_id);
	args[1] = CStringGetTextDatum(name);
	if (pgmqc_run_catalog(pgmqc_retries_exist() ?
						  STMT_LOOKUP_GROUP : STMT_LOOKUP_GROUP_0_5,
						  args, NULL, 1) == 0)
	{
		if (entry != NULL)
		{
			reset_group(entry);
			hash_search(group_cache, &key, HASH_REMOVE, NULL);
		}
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("consumer group \"%s\" of topic \"%s\" does not exist",
						name, topic->name),
				 errhint("Create it with pgmq_c.create_group().")));
	}
	group_id = DatumGetInt32(pgmqc_column(0, LOOKUP_GROUP_COL_GROUP_ID, &isnull));
	pgmqc_relation_name(relname, REL_GROUP, group_id, 0);
	relid = get_relname_relid(relname, get_namespace_oid("pgmq_c", false));

	if (entry == NULL)
	{
		entry = hash_search(group_cache, &key, HASH_ENTER, &found);
		memset(entry->cache.plans, 0, sizeof(entry->cache.plans));
		entry->cache.has_plans = false;
		entry->cache.last_used = 0;
		entry->filter = NULL;
		reset_group(entry);
		entry->group_id = group_id;
	}
	else
	{
		/*
		 * The filter may have changed; a re-created group starts afresh (by
		 * its table: ids start again after DROP EXTENSION)
		 */
		if (entry->group_id != group_id || entry->cache.relid != relid)
		{
			reset_group(entry);
			entry->group_id = group_id;
		}
		else if (entry->filter != NULL)
		{
			pfree(entry->filter);
			entry->filter = NULL;
		}
	}
	entry->default_vt =
		*DatumGetIntervalP(pgmqc_column(0, LOOKUP_GROUP_COL_VISIBILITY_TIMEOUT,
										&isnull));
	filter = pgmqc_column(0, LOOKUP_GROUP_COL_FILTER, &isnull);
	if (!isnull)
	{
		Jsonb	   *j = DatumGetJsonbP(filter);

		entry->filter = MemoryContextAlloc(CacheMemoryContext, VARSIZE(j));
		memcpy(entry->filter, j, VARSIZE(j));
	}
	read_retry_policy(&entry->retry, LOOKUP_GROUP_COL_MAX_DELIVERIES);

	/*
	 * Statements that read blocks ({group_blocks}) were prepared for the
	 * catalog as it was: after ALTER EXTENSION pgmq_c UPDATE to 0.8.0, which
	 * changes every group's table (so that every backend's entry is looked up
	 * again), they are prepared anew with pgmq_c.group_blocks.
	 */
	if (entry->has_blocks != pgmqc_group_blocks_exist())
	{
		pgmqc_forget_plans(&entry->cache);
		entry->has_blocks = !entry->has_blocks;
	}

	entry->cache.relid = relid;
	if (!OidIsValid(entry->cache.relid))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("table \"pgmq_c.%s\" of consumer group \"%s\" is missing",
						relname, name),
				 errhint("Drop the group with pgmq_c.drop_group() and create it again.")));
	entry->cache.valid = true;
	return entry;
}

/*
 * Before a queue's, topic's or group's entry is first used: has its table
 * the columns that the catalog's version gives such tables (leased in 0.6.0,
 * ordering_key in 0.7.0)?  pg_dump writes CREATE EXTENSION without a
 * version and the tables are not the extension's members, so a dump of an
 * older version restored where a newer one is installed brings back old
 * tables under the new catalog; the statements would fail on a column or
 * table that is not there, with a message that names neither the cause nor
 * the way out.
 */
static void
check_table_version(PgmqcCacheEntry *entry, bool leased, const char *what,
					const char *name)
{
	static const struct
	{
		const char *column;
		const char *version;
	}			added[] = {
		{"leased", "0.6.0"},
		{"ordering_key", "0.7.0"},
	};
	int			i;

	if (entry->tables_checked || !OidIsValid(entry->relid))
		return;					/* checked, or a stand-in
								 * (pgmqc_lookup_for_drop) */
	for (i = 0; i < lengthof(added); i++)
	{
		if (i == 0 ? !leased || !pgmqc_retries_exist() : !pgmqc_ordering_exists())
			continue;
		if (get_attnum(entry->relid, added[i].column) != InvalidAttrNumber)
			continue;
		/* dropped meanwhile (not locked yet): its lock will tell */
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(entry->relid)))
			return;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s \"%s\" has tables of an older version of pgmq_c", what, name),
				 errdetail("Its table \"pgmq_c.%s\" has no column \"%s\", which pgmq_c %s added; "
						   "a dump of an older version restored where a newer one is installed leaves such tables.",
						   get_rel_name(entry->relid), added[i].column, added[i].version),
				 errhint("Restore the dump into a database where CREATE EXTENSION pgmq_c VERSION '<the version it was made with>' ran first, then run ALTER EXTENSION pgmq_c UPDATE.")));
	}
	entry->tables_checked = true;
}

/*
 * check_table_version for a queue or topic a call opens (common/access.c):
 * sends, deletes and purges, which may run no kept statement, fail there
 * too instead of writing into tables no read can use.
 */
void
pgmqc_check_tables_current(PgmqcQueue *queue)
{
	check_table_version(&queue->cache, queue->kind != PGMQC_KIND_TOPIC,
						queue->kind == PGMQC_KIND_TOPIC ? "topic" : "queue",
						queue->name);
}

/* The kept plan of a statement for an entry, prepared on first use. */
static SPIPlanPtr
entry_plan(PgmqcCacheEntry *entry, PgmqcStatement stmt,
		   const PgmqcStatementTarget *target)
{
	entry->last_used = ++use_count;
	if (entry->plans[stmt] == NULL)
	{
		entry->plans[stmt] = pgmqc_statement_prepare(stmt, target);
		if (!entry->has_plans)
		{
			entry->has_plans = true;
			entries_with_plans++;
		}
	}
	return entry->plans[stmt];
}

/* Execute one of a queue's or topic's statements; returns SPI_processed. */
int
pgmqc_queue_run(PgmqcQueue *queue, PgmqcStatement stmt, Datum *values,
				const char *nulls, long count)
{
	PgmqcStatementTarget target = {queue->queue_id, 0, -1, 0};

	Assert(pgmqc_statement_owner(stmt) ==
		   (queue->kind == PGMQC_KIND_TOPIC ? ON_TOPIC : ON_QUEUE));
	pgmqc_check_tables_current(queue);
	return pgmqc_run_plan(entry_plan(&queue->cache, stmt, &target), stmt,
						  values, nulls, count);
}

/*
 * The kept statement that sends one message straight into partition partno
 * of a topic's log (STMT_TOPIC_SEND_PARTITION).  One partition's plan is
 * kept at a time; NULL when the partition does not exist (the caller then
 * sends through the log itself).
 */
SPIPlanPtr
pgmqc_partition_send_plan(PgmqcQueue *topic, int64 partno)
{
	SPIPlanPtr *plan = &topic->cache.plans[STMT_TOPIC_SEND_PARTITION];
	PgmqcStatementTarget target = {topic->queue_id, 0, partno, 0};

	if (*plan != NULL && topic->partition_plan_number == partno)
		return *plan;
	if (!OidIsValid(pgmqc_relation_oid(REL_LOG_PARTITION, topic->queue_id, partno)))
		return NULL;
	if (*plan != NULL)
		SPI_freeplan(*plan);
	*plan = NULL;
	*plan = pgmqc_statement_prepare(STMT_TOPIC_SEND_PARTITION, &target);
	topic->partition_plan_number = partno;
	topic->cache.last_used = ++use_count;
	if (!topic->cache.has_plans)
	{
		topic->cache.has_plans = true;
		entries_with_plans++;
	}
	return *plan;
}

/*
 * The last msg_id drawn from a sequence (0 before the first): the one
 * place that reads it.  A drawn id may belong to a transaction still in
 * progress, or to one that rolled back.  Sends and reads do this often, so
 * it reads the sequence's one tuple from its page, as sequence.c does,
 * without SPI; and it locks the sequence in the current (sub)transaction
 * only, unlike pg_sequence_last_value(), whose lock lasts until the end of
 * the top transaction (metrics_all() reads thousands of sequences, each in
 * a subtransaction of its own).  A missing sequence is reported by name.
 */
static int64
sequence_last_drawn(Oid sequence, PgmqcRelation rel, int32 id)
{
	Relation	seqrel;
	Buffer		buffer;
	Page		page;
	ItemId		item;
	HeapTupleData tuple;
	Form_pg_sequence_data data;
	int64		last;

	if (OidIsValid(sequence))
	{
		/* a sequence dropped since it was cached counts as missing */
		LockRelationOid(sequence, AccessShareLock);
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(sequence)))
			sequence = InvalidOid;
	}
	if (!OidIsValid(sequence))
	{
		char		name[NAMEDATALEN];

		pgmqc_relation_name(name, rel, id, 0);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"pgmq_c.%s\" does not exist", name)));
	}

	seqrel = relation_open(sequence, NoLock);	/* locked above */
	if (seqrel->rd_rel->relkind != RELKIND_SEQUENCE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"pgmq_c.%s\" is not a sequence",
						RelationGetRelationName(seqrel))));
	buffer = ReadBuffer(seqrel, 0);
	LockBuffer(buffer, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buffer);
	item = PageGetItemId(page, FirstOffsetNumber);
	tuple.t_data = (HeapTupleHeader) PageGetItem(page, item);
	tuple.t_len = ItemIdGetLength(item);
	data = (Form_pg_sequence_data) GETSTRUCT(&tuple);
	/* our sequences start at 1: before the first call, nothing was drawn */
	last = data->is_called ? data->last_value : data->last_value - 1;
	UnlockReleaseBuffer(buffer);
	relation_close(seqrel, NoLock);
	return last;
}

/*
 * The last msg_id drawn for a queue or topic: a cache entry, or a stand-in
 * made from the catalog (metrics_all), whose sequence is then looked up.
 */
int64
pgmqc_last_id_drawn(PgmqcQueue *queue)
{
	PgmqcRelation rel = queue->kind == PGMQC_KIND_TOPIC ?
	REL_LOG_SEQUENCE : REL_QUEUE_SEQUENCE;
	Oid			sequence = queue->sequence_relid;

	if (!OidIsValid(sequence))
		sequence = pgmqc_relation_oid(rel, queue->queue_id, 0);

	/*
	 * Gone with the queue or topic, dropped since it was looked up (perhaps
	 * while this waited for the lock): say so by name.  The sequence alone
	 * missing is reported by its own name (sequence_last_drawn).
	 */
	if (OidIsValid(sequence))
		LockRelationOid(sequence, AccessShareLock);
	if ((!OidIsValid(sequence) ||
		 !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(sequence))) &&
		OidIsValid(queue->cache.relid) &&
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(queue->cache.relid)))
		dropped_meanwhile(queue);
	return sequence_last_drawn(sequence, rel, queue->queue_id);
}

/*
 * The same for a queue or topic known by id only (maintenance works from
 * the catalog, without cache entries).
 */
int64
pgmqc_last_id_drawn_by_id(char kind, int32 id)
{
	PgmqcRelation rel = kind == PGMQC_KIND_TOPIC ?
	REL_LOG_SEQUENCE : REL_QUEUE_SEQUENCE;

	return sequence_last_drawn(pgmqc_relation_oid(rel, id, 0), rel, id);
}

/* Execute one of a group's statements; returns SPI_processed. */
int
pgmqc_group_run(PgmqcGroup *group, PgmqcStatement stmt, Datum *values,
				const char *nulls, long count)
{
	PgmqcStatementTarget target = {group->key.topic_id, group->group_id, -1, 0};

	Assert(pgmqc_statement_owner(stmt) == ON_GROUP);
	check_table_version(&group->cache, true, "consumer group", group->key.name);
	return pgmqc_run_plan(entry_plan(&group->cache, stmt, &target), stmt,
						  values, nulls, count);
}

/* The watermark to scan from: a tentative advance counts in its own xact. */
int64
pgmqc_effective_watermark(PgmqcWatermark *watermark)
{
	if (watermark->has_tentative && watermark->tentative > watermark->committed)
		return watermark->tentative;
	return watermark->committed;
}

/* Record a watermark advance made inside the current transaction. */
void
pgmqc_watermark_set_tentative(PgmqcWatermark *watermark, int64 value)
{
	watermark->tentative = value;
	watermark->has_tentative = true;
	any_tentative = true;
}

/*
 * Whether it is time to recompute a watermark: not under REPEATABLE READ or
 * SERIALIZABLE, whose snapshot is too old to advance from, and at most every
 * WATERMARK_INTERVAL_MS.  When it is, the recomputation counts as done now.
 */
bool
pgmqc_watermark_due(PgmqcWatermark *watermark)
{
	if (IsolationUsesXactSnapshot())
		return false;
	return pgmqc_watermark_look_due(watermark);
}

/*
 * Whether WATERMARK_INTERVAL_MS passed since the watermark was last looked
 * at, whatever the isolation level; when it did, the look counts as done
 * now.  A consumer group's readers under a transaction snapshot look at
 * the group's seek count this often, without advancing the watermark
 * (topic/group_watermark.c).
 */
bool
pgmqc_watermark_look_due(PgmqcWatermark *watermark)
{
	TimestampTz now = GetCurrentTimestamp();

	if (watermark->last_advance != 0 &&
		!TimestampDifferenceExceeds(watermark->last_advance, now,
									WATERMARK_INTERVAL_MS))
		return false;
	watermark->last_advance = now;
	return true;
}

/*
 * Advance a watermark that stands at current to candidate, tentatively, if
 * that is higher; returns the watermark to scan from.
 */
int64
pgmqc_watermark_advance(PgmqcWatermark *watermark, int64 current,
						int64 candidate)
{
	if (candidate <= current)
		return current;
	pgmqc_watermark_set_tentative(watermark, candidate);
	return candidate;
}

/* Adopt (commit) or drop an entry's tentative watermark. */
static void
settle_watermark(PgmqcCacheEntry *entry, void *arg)
{
	PgmqcWatermark *watermark = &entry->watermark;

	if (watermark->has_tentative)
	{
		if (*(bool *) arg && watermark->tentative > watermark->committed)
			watermark->committed = watermark->tentative;
		watermark->has_tentative = false;
	}
}

/*
 * At the end of every (sub)transaction: adopt the tentative watermarks on
 * commit, drop them on abort.
 */
void
pgmqc_object_cache_xact_end(bool commit)
{
	if (!any_tentative)
		return;
	for_each_entry(settle_watermark, &commit);
	any_tentative = false;
}

/*
 * Objects dropped while in use.  A queue, topic or group is cached per
 * backend, and the cache learns of a drop only when it processes
 * invalidation messages: at the start of a transaction, or when it locks a
 * relation.  So a call that uses a cache entry in a transaction that began
 * before another session dropped the object -- a receive() that committed
 * and slept, a delete() in a transaction block that read the message
 * earlier -- would reach its statements and fail on the missing internal
 * table (42P01, naming pgmq_c.q_<id>).  These checks lock the object's
 * table first, as its statements would (so the invalidations are processed
 * and no drop can commit from then on), and report an object that is gone
 * as unknown, 42704, by the name the caller gave, like a lookup does.
 */
static bool
lock_if_exists(Oid relid, LOCKMODE mode)
{
	LockRelationOid(relid, mode);
	return SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid));
}

static void
dropped_meanwhile(PgmqcQueue *queue)
{
	pgmqc_report_dropped(queue->kind, queue->name);
}

/* The error for a queue or topic dropped while a call was using it. */
void
pgmqc_report_dropped(char kind, const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("%s \"%s\" does not exist",
					kind == PGMQC_KIND_TOPIC ? "topic" : "queue", name),
			 errdetail("It was dropped while this session was using it.")));
}

/*
 * A topic's first lock: every call on a topic takes its cursor table
 * AccessShareLock before any other of its tables, and drop_topic and a
 * change of its durability take it first as well (common/relation_locks.c),
 * so that they find no call holding some of the topic's tables without
 * it.  Not the log: the worker drops old partitions under ACCESS EXCLUSIVE
 * on the log, and a send in a long transaction would keep it waiting.
 * False when the topic was dropped meanwhile; true without a lock for a
 * topic whose cursor table is missing (stand-ins, tables dropped by hand).
 */
static bool
lock_topic_gate(PgmqcQueue *topic)
{
	if (!OidIsValid(topic->cursors_relid))
		return true;
	return lock_if_exists(topic->cursors_relid, AccessShareLock);
}

/*
 * Make sure a queue or topic just looked up (or kept across a sleep) was not
 * dropped since; lock its table (queues: the message table, which every
 * call on the queue locks first; topics: the log, after the topic's first
 * lock).
 */
void
pgmqc_check_not_dropped(PgmqcQueue *queue)
{
	pgmqc_lock_not_dropped(queue, AccessShareLock);
}

/*
 * The same in lock mode mode: a send to a queue takes its message table
 * RowExclusiveLock, which it needs anyway, first of the queue's tables,
 * whatever it then writes to (the delayed, pending or keys table).
 */
void
pgmqc_lock_not_dropped(PgmqcQueue *queue, LOCKMODE mode)
{
	if (!pgmqc_lock_if_exists(queue, mode))
		dropped_meanwhile(queue);
}

/* The same, false instead of the error for one dropped meanwhile. */
bool
pgmqc_lock_if_exists(PgmqcQueue *queue, LOCKMODE mode)
{
	return (queue->kind != PGMQC_KIND_TOPIC || lock_topic_gate(queue)) &&
		lock_if_exists(queue->cache.relid, mode);
}

/*
 * The first lock of a send: a queue's message table in mode, a topic's
 * first lock (its log is left alone).  False for a queue or topic dropped
 * meanwhile.
 */
bool
pgmqc_lock_if_not_dropped(PgmqcQueue *queue, LOCKMODE mode)
{
	if (queue->kind == PGMQC_KIND_TOPIC)
		return lock_topic_gate(queue);
	return lock_if_exists(queue->cache.relid, mode);
}

/*
 * pgmqc_lock_if_not_dropped without waiting, for the worker: a client that
 * holds a queue's lock (purge_queue() in an open transaction), or a drop
 * waiting for it, would otherwise cost each of the worker's steps
 * lock_timeout for each such queue, before every other queue's work.
 * Nothing is taken when it returns PGMQC_LOCK_BUSY.
 */
PgmqcLockTry
pgmqc_lock_if_free(PgmqcQueue *queue, LOCKMODE mode)
{
	Oid			relid = queue->cache.relid;

	if (queue->kind == PGMQC_KIND_TOPIC)
	{
		relid = queue->cursors_relid;
		mode = AccessShareLock;
		if (!OidIsValid(relid))
			return PGMQC_LOCK_TAKEN;	/* as lock_topic_gate */
	}
	return pgmqc_lock_relation_if_free(relid, mode);
}

/*
 * The same for one relation (a consumer group's table): its lock in mode
 * without waiting, and whether it still exists.
 */
PgmqcLockTry
pgmqc_lock_relation_if_free(Oid relid, LOCKMODE mode)
{
	if (!ConditionalLockRelationOid(relid, mode))
		return PGMQC_LOCK_BUSY;
	return SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) ?
		PGMQC_LOCK_TAKEN : PGMQC_LOCK_GONE;
}

/*
 * The same for a consumer group and its topic: the topic's first lock, the
 * group's table and the log.  A dropped topic is reported before a dropped
 * group.  With missing_ok, returns false instead of raising an error.
 */
bool
pgmqc_check_group_not_dropped(PgmqcQueue *topic, PgmqcGroup *group,
							  bool missing_ok)
{
	bool		gate_exists = lock_topic_gate(topic);
	bool		group_exists = lock_if_exists(group->cache.relid, AccessShareLock);
	bool		topic_exists = lock_if_exists(topic->cache.relid, AccessShareLock) &&
	gate_exists;

	if (topic_exists && group_exists)
		return true;
	if (missing_ok)
		return false;
	if (!topic_exists)
		dropped_meanwhile(topic);
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("consumer group \"%s\" of topic \"%s\" does not exist",
					group->key.name, topic->name),
			 errdetail("It was dropped while this session was using it.")));
	return false;				/* keep compiler quiet */
}
