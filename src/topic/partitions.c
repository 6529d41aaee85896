/*-------------------------------------------------------------------------
 *
 * partitions.c
 *		The partitions of a topic's log: whether one exists, which exist,
 *		and making one.
 *
 * A topic's log t_<id> is range-partitioned on msg_id, partition k,
 * t_<id>_p<k>, holding [k * partition_size, (k + 1) * partition_size).
 * Partitions are made ahead of the senders (send_support.c, by the sender
 * itself when there is no worker) and by maintenance (maintenance.c), and
 * dropped by retention (maintenance.c).  Two sessions making the same
 * partition are serialized by a transaction-scoped lock of the advisory
 * kind keyed by PGMQC_PARTITION_LOCK_CLASS and the topic id, in a lock
 * space of pgmq_c's own (pgmqc_lock_partitions).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/partitions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/inval.h"

#include "pgmq_c.h"
#include "common/direct_rows.h"
#include "common/security.h"
#include "common/statements.h"
#include "topic/topic.h"

/*
 * Whether partition partno of a topic's log exists.  A relation of that name
 * that is not a partition of the log is an error.
 */
bool
pgmqc_partition_exists(int32 topic_id, int64 partno)
{
	char		relname[NAMEDATALEN];
	char		logname[NAMEDATALEN];
	Oid			relid;
	Oid			logid;
	HeapTuple	tuple;
	bool		ours = false;

	pgmqc_relation_name(relname, REL_LOG_PARTITION, topic_id, partno);
	relid = pgmqc_relation_oid(REL_LOG_PARTITION, topic_id, partno);
	if (!OidIsValid(relid))
		return false;

	/*
	 * Only pgmq_c makes relations in its schema, but check anyway: a table of
	 * that name that is not this log's partition, owned by the extension
	 * owner, is never taken for one.
	 */
	pgmqc_relation_name(logname, REL_LOG, topic_id, 0);
	logid = pgmqc_relation_oid(REL_LOG, topic_id, 0);
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		ours = form->relkind == RELKIND_RELATION && form->relispartition &&
			(!pgmqc_security_active() ||
			 form->relowner == pgmqc_extension_owner());
		ReleaseSysCache(tuple);
	}
#if PG_VERSION_NUM >= 140000
	if (ours)
		ours = OidIsValid(logid) && get_partition_parent(relid, true) == logid;
#else
	if (ours)
		ours = OidIsValid(logid) && get_partition_parent(relid) == logid;
#endif
	if (!ours)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"pgmq_c.%s\" already exists and is not a partition of topic log \"pgmq_c.%s\"",
						relname, logname),
				 errhint("pgmq_c makes the partitions of a topic itself; drop that relation.")));
	return true;
}

/*
 * Where the partition number starts in the name of a topic's partition
 * (1-based, for substr): after the prefix t_<id>_p.
 */
static Datum
partition_number_start(int32 topic_id)
{
	char		prefix[NAMEDATALEN];

	pgmqc_relation_name(prefix, REL_LOG_PARTITION, topic_id, 0);
	prefix[strlen(prefix) - 1] = '\0';	/* drop the number 0 */
	return Int32GetDatum((int32) strlen(prefix) + 1);
}

/*
 * The numbers of a topic's partitions, ascending, palloc'd, *count of them.
 * They need not be consecutive: a new timeline moves the msg_ids on by far
 * more than a partition (timelines.c), and no partition is made for the
 * ids skipped.  Inside SPI.
 */
int64 *
pgmqc_partition_numbers(int32 topic_id, int *count)
{
	PgmqcStatementTarget target = {topic_id, 0, -1, 0};
	Datum		number_start = partition_number_start(topic_id);
	int64	   *numbers;
	uint64		i;

	pgmqc_run_once(STMT_PARTITION_NUMBERS, &target, &number_start, NULL,
				   SPI_OK_SELECT);
	numbers = palloc((SPI_processed + 1) * sizeof(int64));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		numbers[i] = pgmqc_column_int64(i, PARTITION_NUMBERS_COL_NUMBER, &isnull);
	}
	*count = (int) SPI_processed;
	return numbers;
}

/*
 * The lowest and highest partition numbers of a topic's log; false when it
 * has none.  Inside SPI.
 */
bool
pgmqc_partition_range(int32 topic_id, int64 *lowest, int64 *highest)
{
	PgmqcStatementTarget target = {topic_id, 0, -1, 0};
	Datum		number_start = partition_number_start(topic_id);
	bool		isnull;

	pgmqc_run_once(STMT_PARTITION_RANGE, &target, &number_start, NULL,
				   SPI_OK_SELECT);
	*lowest = pgmqc_column_int64(0, PARTITION_RANGE_COL_LOWEST, &isnull);
	if (isnull)
		return false;
	*highest = pgmqc_column_int64(0, PARTITION_RANGE_COL_HIGHEST, &isnull);
	return true;
}

/*
 * The lock tag's last field, which tells lock kinds apart: SQL's advisory
 * locks use 1 and 2, so that no role can take or hold this lock from SQL
 * (until session 49 it was pg_advisory_xact_lock's, and any role that
 * could connect held a topic's sends up by taking it: the topic id is in
 * its tables' names).  The deduplication locks use 0x7071.
 */
#define PARTITION_LOCK_SPACE	0x7072

/*
 * Take the lock that keeps a topic's partitions from being made by anyone
 * else until this transaction ends; waits for it as for a table's lock
 * (lock_timeout and cancels apply).
 */
void
pgmqc_lock_partitions(int32 topic_id)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, PGMQC_PARTITION_LOCK_CLASS,
						 (uint32) topic_id, PARTITION_LOCK_SPACE);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * Make partition partno of a topic's log unless it exists.  The table is
 * made first and then attached, which takes only SHARE UPDATE EXCLUSIVE on
 * the log: sends and reads go on.  It is unlogged when unlogged is 1, logged
 * when 0, and when -1 as the log's other partitions are (0.8.0: the
 * topic's durability), read once the lock is held, so that a switch of the
 * topic (pgmqc_topic_set_durability, which takes that lock too) is seen.
 * Inside SPI.
 */
static void
make_partition(int32 topic_id, int64 partition_size, int64 partno, int unlogged)
{
	PgmqcStatementTarget target = {topic_id, 0, partno, partition_size};

	if (pgmqc_partition_exists(topic_id, partno))
		return;
	pgmqc_lock_partitions(topic_id);

	/*
	 * A lock of the advisory kind, unlike a relation's, does not read the
	 * catalog invalidations: a partition another session made while this one
	 * waited would be unknown to the catalog caches, and made twice (42P07).
	 */
	AcceptInvalidationMessages();
	CommandCounterIncrement();
	if (pgmqc_partition_exists(topic_id, partno))
		return;
	if (unlogged < 0)
		unlogged = pgmqc_topic_unlogged(topic_id) ? 1 : 0;
	pgmqc_run_once(unlogged ? STMT_PARTITION_CREATE_UNLOGGED : STMT_PARTITION_CREATE,
				   &target, NULL, NULL, SPI_OK_UTILITY);
}

/*
 * Make partition partno of a topic's log unless it exists, logged or
 * unlogged as the others.  Inside SPI.
 */
void
pgmqc_create_partition(int32 topic_id, int64 partition_size, int64 partno)
{
	make_partition(topic_id, partition_size, partno, -1);
}

/*
 * Make the first partitions of a new topic's log, first and the next (0
 * and 1 unless the topic goes on from the msg_ids of one dropped under its
 * name), unlogged or logged: those made later follow them.  Inside SPI.
 */
void
pgmqc_create_first_partitions(int32 topic_id, int64 partition_size,
							  int64 first, bool unlogged)
{
	make_partition(topic_id, partition_size, first, unlogged ? 1 : 0);
	make_partition(topic_id, partition_size, first + 1, unlogged ? 1 : 0);
}

/*
 * Open partition relid of a topic's log to read it without a statement
 * (AccessShareLock): its primary key on msg_id in *index (an int8 key),
 * and in attnums the numbers of its columns[0..ncolumns-1] of types[...]
 * (0 for one it lacks; the first nrequired it must have).  NULL when it is
 * gone or no longer a partition (*plain true) or not as pgmq_c makes it
 * (*plain false).  Close the
 * index and the table with NoLock.
 */
Relation
pgmqc_log_partition_open(Oid relid, int ncolumns, const char *const *columns,
						 const Oid *types, int nrequired, AttrNumber *attnums,
						 Relation *index, bool *plain)
{
	Relation	rel;
	int			i;

	*plain = true;
	*index = NULL;
	if (!OidIsValid(relid) ||
		(rel = try_table_open(relid, AccessShareLock)) == NULL)
		return NULL;
	if (!rel->rd_rel->relispartition)
	{
		/*
		 * Detached from the log (ALTER TABLE ... DETACH PARTITION): its
		 * messages are gone from the topic, as for the statements, which read
		 * the log through its partitioned table.
		 */
		table_close(rel, AccessShareLock);
		return NULL;
	}
	*plain = rel->rd_rel->relkind == RELKIND_RELATION;
	for (i = 0; i < ncolumns; i++)
	{
		attnums[i] = pgmqc_direct_column_number(rel, columns[i], types[i]);
		if (i < nrequired && attnums[i] == 0)
			*plain = false;
	}
	if (*plain &&
		(*index = pgmqc_direct_open_int8_key(rel, AccessShareLock)) != NULL &&
		(*index)->rd_index->indkey.values[0] !=
		pgmqc_direct_column_number(rel, "msg_id", INT8OID))
	{
		index_close(*index, NoLock);
		*index = NULL;
	}
	if (*index == NULL)
	{
		*plain = false;
		table_close(rel, NoLock);
		return NULL;
	}
	return rel;
}
