/*-------------------------------------------------------------------------
 *
 * storage.c
 *		A queue's catalog row and tables: making them, dropping what is
 *		left of them, and emptying them (purge).
 *
 * The tables' shapes are statements of the catalogue
 * (STMT_CREATE_QUEUE_TABLES, common/statements.c), run once per queue with
 * the DDL settings pinned.  The caller holds the lock that serializes
 * creating and dropping (pgmqc_lock_catalog) for create and drop.  Drop,
 * purge and a change of durability take ACCESS EXCLUSIVE on the queue's
 * tables, waiting for the transactions that use the queue without holding
 * any of them meanwhile (common/relation_locks.c); purge then truncates
 * them.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/queue/storage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/dedup.h"
#include "common/free_ids.h"
#include "common/relation_locks.h"
#include "common/retired_names.h"
#include "common/security.h"
#include "common/statements.h"
#include "queue/queue.h"
#include "common/object_cache.h"

/* how many tables a queue has, its sequence and archive included */
#define QUEUE_TABLES	6

/*
 * Make a queue: its row in pgmq_c.queues (owned by the caller) and its
 * tables (owned by the extension owner).  Inside SPI, catalog locked, the
 * name checked and not taken.
 */
void
pgmqc_queue_create(const char *name, Interval *visibility_timeout)
{
	PgmqcStatementTarget target = {0, 0, -1, 0};
	Datum		args[3];
	bool		isnull;

	args[0] = CStringGetTextDatum(name);
	args[1] = IntervalPGetDatum(visibility_timeout);
	/* the caller owns the queue; the extension owner owns its tables */
	args[2] = ObjectIdGetDatum(pgmqc_caller());
	if (pgmqc_run_once(pgmqc_security_active() ?
					   STMT_INSERT_QUEUE_ROW : STMT_INSERT_QUEUE_ROW_0_3,
					   &target, args, NULL, SPI_OK_INSERT_RETURNING) != 1)
		elog(ERROR, "could not insert into pgmq_c.queues");
	target.queue_id = pgmqc_free_id(PGMQC_FREE_ID_QUEUE,
									DatumGetInt32(pgmqc_column(0, NEW_QUEUE_COL_QUEUE_ID,
															   &isnull)));

	(void) pgmqc_run_once(!pgmqc_templates_exist() ? STMT_CREATE_QUEUE_TABLES_0_4 :
						  pgmqc_ordering_exists() ? STMT_CREATE_QUEUE_TABLES :
						  STMT_CREATE_QUEUE_TABLES_0_6,
						  &target, NULL, NULL,
						  SPI_OK_UTILITY);
	/* a queue dropped under this name: go on from its msg_ids */
	(void) pgmqc_retired_start(name, pgmqc_relation_oid(REL_QUEUE_SEQUENCE,
														target.queue_id, 0));
}

/*
 * The tables of queue queue_id that exist (a queue of an old catalog lacks
 * some): the message, delayed, pending and keys tables, then the sequence
 * and the archive as asked; InvalidOid for the others.  The message table
 * comes first: sends, reads and acknowledgements lock it before the
 * others, so that they queue up behind an administrative call at once.
 */
static void
queue_tables(int32 queue_id, bool sequence, bool archive, Oid *relids)
{
	static const PgmqcRelation relations[QUEUE_TABLES] = {
		REL_MESSAGES, REL_DELAYED, REL_PENDING, REL_KEYS,
		REL_QUEUE_SEQUENCE, REL_ARCHIVE
	};
	int			i;

	for (i = 0; i < QUEUE_TABLES; i++)
		relids[i] = (relations[i] == REL_QUEUE_SEQUENCE && !sequence) ||
			(relations[i] == REL_ARCHIVE && !archive) ? InvalidOid :
			pgmqc_relation_oid(relations[i], queue_id, 0);
}

/*
 * ACCESS EXCLUSIVE on those tables, waiting with none of them held
 * (common/relation_locks.c).
 */
static void
lock_queue_tables(int32 queue_id, bool sequence, bool archive)
{
	Oid			relids[QUEUE_TABLES];

	queue_tables(queue_id, sequence, archive, relids);
	pgmqc_lock_relations(relids, QUEUE_TABLES, AccessExclusiveLock);
}

/*
 * ACCESS EXCLUSIVE on every table of queue queue_id, for drop_queue,
 * without waiting: false, with none of them locked and *busy the one
 * another transaction holds, when one is busy.
 */
bool
pgmqc_queue_try_lock_tables(int32 queue_id, Oid *busy)
{
	Oid			relids[QUEUE_TABLES];

	queue_tables(queue_id, true, true, relids);
	return pgmqc_try_lock_relations(relids, QUEUE_TABLES, AccessExclusiveLock,
									busy);
}

/*
 * ACCESS EXCLUSIVE on the tables a change of the queue's durability
 * rewrites, and the sequence, whose owner the change takes away and gives
 * back (STMT_QUEUE_SET_UNLOGGED), waiting with none of them held; a queue
 * dropped meanwhile is an error.
 * alter_queue() calls it before it changes the catalog row, which a
 * transaction in its way may be about to change too.
 */
void
pgmqc_queue_lock_for_durability(PgmqcQueue *queue)
{
	lock_queue_tables(queue->queue_id, true, false);
	pgmqc_check_not_dropped(queue);
}

/*
 * Make the queue's tables unlogged, or logged again (0.8.0): ALTER TABLE,
 * which rewrites them under an exclusive lock.  A no-op when they already
 * are.  Inside SPI.
 */
void
pgmqc_queue_set_durability(PgmqcQueue *queue, bool unlogged)
{
	PgmqcStatementTarget target = {queue->queue_id, 0, -1, 0};

	pgmqc_queue_lock_for_durability(queue);
	if (pgmqc_queue_unlogged(queue->queue_id) == unlogged)
		return;
	(void) pgmqc_run_once(unlogged ? STMT_QUEUE_SET_UNLOGGED : STMT_QUEUE_SET_LOGGED,
						  &target, NULL, NULL, SPI_OK_UTILITY);
	if (!unlogged)
		pgmqc_dedup_forget_untrusted(queue->queue_id);
}

/*
 * Drop what is left of queue queue_id, its tables and sequence (each if it
 * still exists), and its catalog row.  Inside SPI, catalog locked.
 */
void
pgmqc_queue_drop_storage(int32 queue_id)
{
	static const PgmqcRelation relations[] = {
		REL_MESSAGES, REL_DELAYED, REL_ARCHIVE, REL_QUEUE_SEQUENCE,
		REL_PENDING, REL_KEYS
	};
	PgmqcStatementTarget target = {queue_id, 0, -1, 0};
	char		relname[NAMEDATALEN];
	int			i;

	/*
	 * First the tables, so that no send is in progress when the sequence is
	 * read below.
	 */
	lock_queue_tables(queue_id, true, true);

	/* its waiting readers look again at commit, and find it gone */
	pgmqc_wake_on_commit(queue_id, PGMQC_WAKE_ALL, false);
	/* a queue made again under its name goes on from its msg_ids */
	pgmqc_retire_name(queue_id, pgmqc_relation_oid(REL_QUEUE_SEQUENCE, queue_id, 0));

	for (i = 0; i < lengthof(relations); i++)
	{
		pgmqc_relation_name(relname, relations[i], queue_id, 0);
		pgmqc_drop_relation(relname);
	}
	(void) pgmqc_run_once(STMT_DELETE_QUEUE_ROW, &target, NULL, NULL,
						  SPI_OK_DELETE);
}

/*
 * Remove every message of a queue that is visible, leased or delayed (not
 * the archive); returns how many there were.  TRUNCATE leaves no dead
 * tuples behind; like every TRUNCATE it is transactional but not MVCC-safe
 * for REPEATABLE READ transactions of other sessions that already hold a
 * snapshot.
 */
int64
pgmqc_queue_purge(PgmqcQueue *queue)
{
	PgmqcStatementTarget target = {queue->queue_id, 0, -1, 0};
	bool		isnull;
	int64		count;
	bool		keys = queue->has_keys;

	/* with the pending messages and the keys' counts, from 0.7.0 on */
	lock_queue_tables(queue->queue_id, false, false);
	pgmqc_check_not_dropped(queue);
	(void) pgmqc_run_once(keys ? STMT_PURGE_COUNT : STMT_PURGE_COUNT_0_6,
						  &target, NULL, NULL, SPI_OK_SELECT);
	count = DatumGetInt64(pgmqc_column(0, PURGE_COL_COUNT, &isnull));
	(void) pgmqc_run_once(keys ? STMT_PURGE_TRUNCATE : STMT_PURGE_TRUNCATE_0_6,
						  &target, NULL, NULL, SPI_OK_UTILITY);
	return count;
}
