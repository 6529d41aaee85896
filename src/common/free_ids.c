/*-------------------------------------------------------------------------
 *
 * free_ids.c
 *		A new queue, topic or group takes an id whose tables do not exist.
 *
 * A queue's, topic's or group's tables are named after its id (q_<id>,
 * t_<id>, g_<id>, ...), which the identity column of pgmq_c.queues or
 * pgmq_c.groups hands out.  A restore of a dump made with pg_dump
 * --schema-only brings those tables back without the catalog rows that
 * name them (rows are data) and with the identities at 1 again, so the
 * next create_queue would make tables whose names are taken and fail on
 * an internal statement.  The new catalog row then takes the identity's
 * next id instead, as often as needed, and the caller is told which ids
 * were passed over.  The tables left are not touched: they may hold data
 * the DBA wants.  Only the extension owner and superusers can create
 * tables in schema pgmq_c, so no other role can make pgmq_c skip ids.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/free_ids.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgmq_c.h"
#include "common/free_ids.h"
#include "common/statements.h"

/* ids passed over in one call at most, before giving up */
#define FREE_ID_TRIES	1000

/* A queue's tables and sequence, as create_queue and alter_queue make them. */
static const PgmqcRelation queue_relations[] = {
	REL_MESSAGES, REL_DELAYED, REL_ARCHIVE, REL_QUEUE_SEQUENCE, REL_PENDING,
	REL_KEYS, REL_ARCHIVE_DEFAULT, REL_ARCHIVE_BEFORE
};

/* A topic's log, its sequence and its cursor table. */
static const PgmqcRelation topic_relations[] = {
	REL_LOG, REL_LOG_SEQUENCE, REL_CURSORS
};

/* A group's table. */
static const PgmqcRelation group_relations[] = {REL_GROUP};

/* Whether one of the n relations named after id exists. */
static bool
id_taken(const PgmqcRelation *relations, int n, int32 id)
{
	int			i;

	for (i = 0; i < n; i++)
		if (OidIsValid(pgmqc_relation_oid(relations[i], id, -1)))
			return true;
	return false;
}

/*
 * The id a new queue, topic or group (kind) takes, its catalog row just
 * inserted with id: id itself when no table is named after it, else the
 * next id of the row's identity that none is, given to the row by an
 * UPDATE that sets the id to its default.  Inside SPI, the catalog locked.
 */
int32
pgmqc_free_id(PgmqcFreeIdKind kind, int32 id)
{
	const PgmqcRelation *relations;
	int			n;
	PgmqcStatement renumber;
	int32		first = id;
	int32		last = id;
	int			tries = 0;

	switch (kind)
	{
		case PGMQC_FREE_ID_QUEUE:
			relations = queue_relations;
			n = lengthof(queue_relations);
			renumber = STMT_QUEUE_ID_AGAIN;
			break;
		case PGMQC_FREE_ID_TOPIC:
			relations = topic_relations;
			n = lengthof(topic_relations);
			renumber = STMT_QUEUE_ID_AGAIN;
			break;
		default:
			relations = group_relations;
			n = lengthof(group_relations);
			renumber = STMT_GROUP_ID_AGAIN;
			break;
	}

	while (id_taken(relations, n, id))
	{
		Datum		arg = Int32GetDatum(id);
		bool		isnull;

		if (++tries > FREE_ID_TRIES)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("pgmq_c found no free id in %d tries", FREE_ID_TRIES),
					 errdetail("Ids %d to %d are taken by tables in schema pgmq_c that no row of its catalog names.",
							   first, id),
					 errhint("Such tables are left by restoring a dump made with pg_dump --schema-only. Drop them, or restore the dump's data too.")));
		if (pgmqc_run_catalog(renumber, &arg, NULL, 0) != 1)
			elog(ERROR, "pgmq_c could not give a new row another id");
		last = id;
		id = DatumGetInt32(pgmqc_column(0, VALUE_COL, &isnull));
	}
	if (id != first)
		ereport(NOTICE,
				(first == last ?
				 errmsg("pgmq_c passed over id %d, whose tables exist without a row in its catalog",
						first) :
				 errmsg("pgmq_c passed over ids %d to %d, whose tables exist without a row in its catalog",
						first, last),
				 errhint("Such tables are left by restoring a dump made with pg_dump --schema-only. Drop them, or restore the dump's data too.")));
	return id;
}
