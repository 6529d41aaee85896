/*-------------------------------------------------------------------------
 *
 * topic_storage.c
 *		Making and dropping a topic's catalog row and tables, and switching
 *		its durability.
 *
 * A topic with id T owns:
 *
 *	pgmq_c.t_<T>		the log, range-partitioned on msg_id into
 *						pgmq_c.t_<T>_p<k> = [k * partition_size,
 *						(k + 1) * partition_size) (partitions.c); pk
 *						msg_id, BRIN on enqueued_at (for seek by time)
 *	pgmq_c.t_<T>_seq	its msg_id sequence
 *	pgmq_c.c_<T>		one row per group: next msg_id to hand out, seek
 *						count, messages missed to retention
 *
 * and each of its groups a table (group_storage.c).  The tables are named
 * after ids, never after the user's names.  The callers hold SHARE ROW
 * EXCLUSIVE on pgmq_c.queues (pgmqc_lock_catalog).
 *
 * An unlogged topic (0.8.0) has its partitions and its groups' tables
 * UNLOGGED; its log (a partitioned table, which has no storage), its
 * sequence and its cursor table stay logged, so that neither its msg_ids
 * nor its groups' positions go back after a crash.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/topic_storage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/dedup.h"
#include "common/free_ids.h"
#include "common/relation_locks.h"
#include "common/retired_names.h"
#include "common/security.h"
#include "common/statements.h"
#include "topic/topic.h"

/*
 * Make a topic: its row in pgmq_c.queues, owned by the caller, its
 * sequence, log, cursor table and first two partitions (unlogged for an
 * unlogged topic).  Returns its id.  Inside SPI, catalog locked.
 */
int32
pgmqc_topic_create(const char *name, Interval *retention, int64 partition_size,
				   bool unlogged)
{
	PgmqcStatementTarget target = {0, 0, -1, 0};
	Datum		args[4];
	bool		isnull;
	int32		id;
	int64		first;

	args[0] = CStringGetTextDatum(name);
	args[1] = IntervalPGetDatum(retention);
	args[2] = Int64GetDatum(partition_size);
	/* the caller owns the topic; the extension owner owns its tables */
	args[3] = ObjectIdGetDatum(pgmqc_caller());
	if (pgmqc_run_once(pgmqc_security_active() ?
					   STMT_TOPIC_INSERT_CATALOG : STMT_TOPIC_INSERT_CATALOG_0_3,
					   &target, args, NULL, SPI_OK_INSERT_RETURNING) != 1)
		elog(ERROR, "could not insert into pgmq_c.queues");
	id = pgmqc_free_id(PGMQC_FREE_ID_TOPIC,
					   DatumGetInt32(pgmqc_column(0, CREATED_TOPIC_COL_QUEUE_ID, &isnull)));

	target.queue_id = id;
	pgmqc_run_once(pgmqc_templates_exist() ? STMT_TOPIC_CREATE_STORAGE : STMT_TOPIC_CREATE_STORAGE_0_4,
				   &target, NULL, NULL, SPI_OK_UTILITY);
	/* a topic dropped under this name: go on from its msg_ids */
	first = pgmqc_retired_start(name, pgmqc_relation_oid(REL_LOG_SEQUENCE, id, 0));
	if (first > 1)
	{
		PgmqcStatementTarget start = {id, 0, first, 1};

		pgmqc_run_once(STMT_LOG_SEQUENCE_START_WITH, &start, NULL, NULL,
					   SPI_OK_UTILITY);
	}
	pgmqc_create_first_partitions(id, partition_size, first / partition_size,
								  unlogged);
	return id;
}

/* The group ids of a topic, as a palloc'd array; inside SPI. */
static int32 *
topic_group_ids(int32 topic_id, int *n)
{
	PgmqcStatementTarget target = {topic_id, 0, -1, 0};
	int32	   *ids;
	uint64		i;

	pgmqc_run_once(STMT_TOPIC_GROUP_IDS, &target, NULL, NULL, SPI_OK_SELECT);
	ids = palloc((SPI_processed + 1) * sizeof(int32));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		ids[i] = DatumGetInt32(pgmqc_column(i, GROUP_ID_COL_GROUP_ID, &isnull));
	}
	*n = (int) SPI_processed;
	return ids;
}

/* a topic's relations besides its groups' tables and its partitions */
static const PgmqcRelation topic_relations[] = {REL_LOG, REL_LOG_SEQUENCE, REL_CURSORS};

/*
 * The tables a drop of topic topic_id takes first: the cursor table (the
 * first lock of every call on the topic, object_cache.c), the log, its
 * groups' tables and the sequence (InvalidOid for one missing), as a
 * palloc'd array of *n.  Inside SPI.
 */
static Oid *
topic_tables(int32 topic_id, int *n)
{
	int32	   *groups;
	int			ngroups;
	Oid		   *relids;
	int			i;

	groups = topic_group_ids(topic_id, &ngroups);
	relids = palloc((ngroups + 4) * sizeof(Oid));
	relids[0] = pgmqc_relation_oid(REL_CURSORS, topic_id, 0);
	relids[1] = pgmqc_relation_oid(REL_LOG, topic_id, 0);
	for (i = 0; i < ngroups; i++)
		relids[2 + i] = pgmqc_relation_oid(REL_GROUP, groups[i], 0);
	relids[2 + ngroups] = pgmqc_relation_oid(REL_LOG_SEQUENCE, topic_id, 0);
	*n = ngroups + 3;
	return relids;
}

/*
 * The tables a change of durability of topic topic_id rewrites, after the
 * cursor table (the first lock of every call on the topic): its partitions
 * and its groups' tables, as a palloc'd array of *n.  Inside SPI.
 */
static Oid *
durability_tables(int32 topic_id, int *n)
{
	int64	   *numbers;
	int			count;
	int32	   *groups;
	int			ngroups;
	Oid		   *relids;
	int			i;

	numbers = pgmqc_partition_numbers(topic_id, &count);
	groups = topic_group_ids(topic_id, &ngroups);
	relids = palloc((count + ngroups + 2) * sizeof(Oid));
	relids[0] = pgmqc_relation_oid(REL_CURSORS, topic_id, 0);
	for (i = 0; i < count; i++)
		relids[1 + i] = pgmqc_relation_oid(REL_LOG_PARTITION, topic_id, numbers[i]);
	for (i = 0; i < ngroups; i++)
		relids[1 + count + i] = pgmqc_relation_oid(REL_GROUP, groups[i], 0);
	*n = 1 + count + ngroups;
	return relids;
}

/*
 * ACCESS EXCLUSIVE on the tables of topic topic_id that a drop (durability
 * false) or a change of durability (true) takes first, without waiting:
 * false, with none of them locked and *busy the one another transaction
 * holds, when one is busy.  Inside SPI.
 */
bool
pgmqc_topic_try_lock_tables(int32 topic_id, bool durability, Oid *busy)
{
	int			n;
	Oid		   *relids = durability ? durability_tables(topic_id, &n) :
	topic_tables(topic_id, &n);
	bool		locked = pgmqc_try_lock_relations(relids, n,
												  AccessExclusiveLock, busy);

	pfree(relids);
	return locked;
}

/* Run one of the statements that switch a relation's durability. */
static void
set_relation_durability(PgmqcRelation rel, PgmqcStatementTarget *target,
						int32 id, int64 partno, bool unlogged)
{
	Oid			relid = pgmqc_relation_oid(rel, id, partno);
	char		persistence = unlogged ? RELPERSISTENCE_UNLOGGED :
	RELPERSISTENCE_PERMANENT;

	/* gone meanwhile, or already so: nothing to lock and rewrite */
	if (!OidIsValid(relid) || get_rel_persistence(relid) == persistence)
		return;
	if (rel == REL_GROUP)
		pgmqc_run_once(unlogged ? STMT_GROUP_SET_UNLOGGED : STMT_GROUP_SET_LOGGED,
					   target, NULL, NULL, SPI_OK_UTILITY);
	else
		pgmqc_run_once(unlogged ? STMT_PARTITION_SET_UNLOGGED : STMT_PARTITION_SET_LOGGED,
					   target, NULL, NULL, SPI_OK_UTILITY);
}

/*
 * Make a topic's partitions and its groups' tables unlogged, or logged
 * again (0.8.0): ALTER TABLE on each, which rewrites it under an exclusive
 * lock (and writes it to the WAL when going to logged).  Each table already
 * at that level is left alone, so that this also mends a topic whose tables
 * disagree.  The partition lock keeps partitions from being made meanwhile
 * at the old level (they take the level of the others, read under that
 * lock); the caller holds the catalog lock, which keeps groups from being
 * made meanwhile.  Inside SPI.
 */
void
pgmqc_topic_set_durability(int32 topic_id, bool unlogged)
{
	PgmqcStatementTarget target = {topic_id, 0, -1, 0};
	int64	   *numbers;
	int			count;
	int32	   *groups;
	int			ngroups;
	Oid		   *relids;
	int			nrelids;
	bool		was_unlogged;
	int			i;

	/*
	 * The tables first, waiting with none of them held: a send takes a
	 * partition, a group's read its group's table and then partitions, each
	 * after the cursor table (common/relation_locks.c).  Then the partition
	 * lock, which a sender that makes a partition takes while it holds the
	 * cursor table: taken before the tables, it would make a circle with that
	 * sender.
	 */
	relids = durability_tables(topic_id, &nrelids);
	pgmqc_lock_relations(relids, nrelids, AccessExclusiveLock);
	pgmqc_lock_partitions(topic_id);
	/* see the partitions made while this one waited (partitions.c) */
	AcceptInvalidationMessages();
	CommandCounterIncrement();
	numbers = pgmqc_partition_numbers(topic_id, &count);
	groups = topic_group_ids(topic_id, &ngroups);
	was_unlogged = pgmqc_topic_unlogged(topic_id);
	for (i = 0; i < count; i++)
	{
		if (!pgmqc_partition_exists(topic_id, numbers[i]))
			continue;
		target.partition = numbers[i];
		set_relation_durability(REL_LOG_PARTITION, &target, topic_id,
								numbers[i], unlogged);
	}
	target.partition = -1;

	for (i = 0; i < ngroups; i++)
	{
		target.group_id = groups[i];
		set_relation_durability(REL_GROUP, &target, groups[i], 0, unlogged);
	}
	if (was_unlogged && !unlogged)
		pgmqc_dedup_forget_untrusted(topic_id);
}

/*
 * Drop what is left of topic topic_id: its groups' tables, any partition
 * left detached, its log (with its partitions), its sequence and cursor
 * table, each if it still exists, and its catalog rows.  Inside SPI,
 * catalog locked.
 */
void
pgmqc_topic_drop_storage(int32 topic_id)
{
	PgmqcStatementTarget target = {topic_id, 0, -1, 0};
	char		relname[NAMEDATALEN];
	int32	   *groups;
	int			ngroups;
	char	  **partitions;
	uint64		npartitions;
	Datum		namespace;
	Oid		   *relids;
	int			nrelids;
	uint64		j;
	int			i;

	/*
	 * First its groups' tables, the log, the sequence and the cursor table,
	 * waiting with none of them held (common/relation_locks.c): a send takes
	 * the sequence and then a partition, a group's read its group's table and
	 * then the log.  No send is in progress when the sequence is read below.
	 */
	relids = topic_tables(topic_id, &nrelids);
	pgmqc_lock_relations(relids, nrelids, AccessExclusiveLock);
	groups = topic_group_ids(topic_id, &ngroups);

	/* its waiting readers look again at commit, and find it gone */
	pgmqc_wake_on_commit(topic_id, PGMQC_WAKE_ALL, false);
	/* a topic made again under its name goes on from its msg_ids */
	pgmqc_retire_name(topic_id, pgmqc_relation_oid(REL_LOG_SEQUENCE, topic_id, 0));

	for (i = 0; i < ngroups; i++)
	{
		pgmqc_relation_name(relname, REL_GROUP, groups[i], 0);
		pgmqc_drop_relation(relname);
		/* its blocks: no reader takes from them, its table is locked */
		if (pgmqc_group_blocks_exist())
		{
			PgmqcStatementTarget group_target = {topic_id, groups[i], -1, 0};

			pgmqc_run_once(STMT_GROUP_DELETE_BLOCKS, &group_target, NULL,
						   NULL, SPI_OK_DELETE);
		}
	}

	/*
	 * Partitions not attached to the log (detached by hand, or left by a log
	 * dropped by hand): first, since their msg_id default depends on the
	 * sequence that goes with the log.  The log takes the others along.
	 */
	namespace = ObjectIdGetDatum(get_namespace_oid("pgmq_c", false));
	pgmqc_run_once(STMT_TOPIC_DETACHED_PARTITIONS, &target, &namespace, NULL,
				   SPI_OK_SELECT);
	npartitions = SPI_processed;
	partitions = palloc((npartitions + 1) * sizeof(char *));
	for (j = 0; j < npartitions; j++)
		partitions[j] = SPI_getvalue(SPI_tuptable->vals[j], SPI_tuptable->tupdesc,
									 DETACHED_COL_RELNAME);
	for (j = 0; j < npartitions; j++)
		pgmqc_drop_relation(partitions[j]);

	for (i = 0; i < lengthof(topic_relations); i++)
	{
		pgmqc_relation_name(relname, topic_relations[i], topic_id, 0);
		pgmqc_drop_relation(relname);
	}
	pgmqc_run_once(STMT_TOPIC_DELETE_CATALOG, &target, NULL, NULL, SPI_OK_DELETE);
}
