/*-------------------------------------------------------------------------
 *
 * group_storage.c
 *		Making and dropping a consumer group's catalog row, table and
 *		cursor.
 *
 * A group with id G of topic T has a row in pgmq_c.groups, a table
 * pgmq_c.g_<G> of the messages handed to the group and not yet
 * acknowledged, a cursor row in pgmq_c.c_<T>, and from 0.8.0 rows in
 * pgmq_c.group_blocks for the messages handed to it that no reader has
 * taken yet (group_blocks.c).  The callers hold SHARE
 * ROW EXCLUSIVE on pgmq_c.queues (pgmqc_lock_catalog).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/topic/group_storage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "pgmq_c.h"
#include "shared_memory/shared_memory.h"
#include "common/free_ids.h"
#include "common/statements.h"
#include "topic/topic.h"

/*
 * Make a group of a topic: its row in pgmq_c.groups, its table (unlogged if
 * the topic is, 0.8.0), and its cursor at msg_id start.  filter may be
 * NULL.  Returns its id.  Inside SPI, catalog locked.
 */
int32
pgmqc_group_create(int32 topic_id, const char *group_name,
				   const char *start_at, Interval *vt, Jsonb *filter,
				   int64 start)
{
	PgmqcStatementTarget target = {topic_id, 0, -1, 0};
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	Datum		start_arg = Int64GetDatum(start);
	bool		isnull;
	int32		group_id;

	args[0] = Int32GetDatum(topic_id);
	args[1] = CStringGetTextDatum(group_name);
	args[2] = IntervalPGetDatum(vt);
	args[3] = filter ? JsonbPGetDatum(filter) : (Datum) 0;
	if (filter == NULL)
		nulls[3] = 'n';
	args[4] = CStringGetTextDatum(start_at);
	if (pgmqc_run_once(STMT_GROUP_INSERT_CATALOG, &target, args, nulls,
					   SPI_OK_INSERT_RETURNING) != 1)
		elog(ERROR, "could not insert into pgmq_c.groups");
	group_id = pgmqc_free_id(PGMQC_FREE_ID_GROUP,
							 DatumGetInt32(pgmqc_column(0, CREATED_GROUP_COL_GROUP_ID, &isnull)));

	target.group_id = group_id;
	pgmqc_run_once(pgmqc_templates_exist() ? STMT_GROUP_CREATE_STORAGE : STMT_GROUP_CREATE_STORAGE_0_4,
				   &target, NULL, NULL, SPI_OK_UTILITY);
	/* a group of an unlogged topic is unlogged (empty: nothing to rewrite) */
	if (pgmqc_topic_unlogged(topic_id))
		pgmqc_run_once(STMT_GROUP_SET_UNLOGGED, &target, NULL, NULL,
					   SPI_OK_UTILITY);
	pgmqc_run_once(STMT_GROUP_INSERT_CURSOR, &target, &start_arg, NULL,
				   SPI_OK_INSERT);
	return group_id;
}

/*
 * The group_id of a topic's group, read from pgmq_c.groups (not from the
 * group cache, which refuses a group whose table is missing); -1 if there
 * is no such group.  Inside SPI.
 */
int32
pgmqc_group_id_for_drop(int32 topic_id, const char *group_name)
{
	Datum		args[2];
	bool		isnull;

	args[0] = Int32GetDatum(topic_id);
	args[1] = CStringGetTextDatum(group_name);
	if (pgmqc_run_catalog(STMT_LOOKUP_GROUP, args, NULL, 1) == 0)
		return -1;
	return DatumGetInt32(pgmqc_column(0, LOOKUP_GROUP_COL_GROUP_ID, &isnull));
}

/*
 * Drop a group's table if it still exists, its cursor row if the topic's
 * cursor table still exists, its blocks and its catalog row.  Inside SPI,
 * catalog locked; the caller holds the group's table in ACCESS EXCLUSIVE
 * mode (or it is gone), so no reader is taking messages from a block: the
 * reader locked the table before the block, and inserts into it.  A group
 * made later may get the same id (free_ids.c): its blocks must not be
 * these.
 */
void
pgmqc_group_drop_storage(int32 topic_id, int32 group_id)
{
	PgmqcStatementTarget target = {topic_id, group_id, -1, 0};
	char		relname[NAMEDATALEN];

	/* its waiting readers look again at commit, and find it gone */
	pgmqc_wake_on_commit(topic_id, PGMQC_WAKE_ALL, false);

	pgmqc_relation_name(relname, REL_GROUP, group_id, 0);
	pgmqc_drop_relation(relname);
	if (OidIsValid(pgmqc_relation_oid(REL_CURSORS, topic_id, 0)))
		pgmqc_run_once(STMT_GROUP_DELETE_CURSOR, &target, NULL, NULL,
					   SPI_OK_DELETE);
	if (pgmqc_group_blocks_exist())
		pgmqc_run_once(STMT_GROUP_DELETE_BLOCKS, &target, NULL, NULL,
					   SPI_OK_DELETE);
	pgmqc_run_once(STMT_GROUP_DELETE_CATALOG, &target, NULL, NULL, SPI_OK_DELETE);
}
