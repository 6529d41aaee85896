/*-------------------------------------------------------------------------
 *
 * queue_admin_functions.c
 *		SQL functions create_queue, drop_queue and purge_queue.
 *
 * Locking: create_queue and drop_queue take SHARE ROW EXCLUSIVE on
 * pgmq_c.queues (pgmqc_lock_catalog), which conflicts with itself but not
 * with the ACCESS SHARE lock of queue look-ups, so two sessions cannot
 * create the same queue at once while senders and readers go on.
 * purge_queue takes ACCESS EXCLUSIVE on the queue's message and delayed
 * tables (queue/storage.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/queue_admin_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/inval.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/dedup.h"
#include "common/object_cache.h"
#include "common/relation_locks.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "functions/retry_settings.h"
#include "queue/queue.h"

PG_FUNCTION_INFO_V1(pgmqc_create_queue);
PG_FUNCTION_INFO_V1(pgmqc_drop_queue);
PG_FUNCTION_INFO_V1(pgmqc_purge_queue);

/*
 * create_queue(queue_name text, visibility_timeout interval,
 *		max_deliveries integer, dead_letter_queue text,
 *		retry_backoff interval, retry_backoff_max interval,
 *		archive_retention interval, dedup_window interval,
 *		durability text) RETURNS void
 *
 * The settings after visibility_timeout (from 0.6.0 on) are those of
 * alter_queue(), applied in the same transaction; an unlogged queue's
 * tables are made logged, then set unlogged (on empty tables, at once).
 */
Datum
pgmqc_create_queue(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *existing;
	Interval   *vt;
	PgmqcSettings settings;

	pgmqc_check_not_null(fcinfo, 1, "visibility_timeout");
	vt = PG_GETARG_INTERVAL_P(1);
	pgmqc_check_vt(vt, "visibility_timeout", false);
	memset(&settings, 0, sizeof(settings));
	if (PG_NARGS() > 2)
		pgmqc_settings_from_args(fcinfo, 2, true, &settings);
	pgmqc_check_writable("create_queue()");

	pgmqc_spi_connect(&cxt);
	pgmqc_lock_catalog();
	existing = pgmqc_lookup_kind(name, 0, true);
	if (existing != NULL && existing->kind == PGMQC_KIND_TOPIC)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("a topic named \"%s\" already exists", name),
				 errdetail("Topics and queues share one namespace.")));
	if (existing != NULL)
	{
		ereport(NOTICE,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("queue \"%s\" already exists, skipping", name)));
		pgmqc_spi_finish(&cxt);
		PG_RETURN_VOID();
	}
	cxt.action = psprintf("creating queue \"%s\"", name);
	pgmqc_queue_create(name, vt);
	cxt.action = NULL;
	if (pgmqc_settings_given(&settings))
	{
		PgmqcQueue *queue = pgmqc_lookup(name, false);

		pgmqc_apply_settings(queue, NULL, &settings);
		if (settings.unlogged)
			pgmqc_queue_set_durability(queue, true);
	}
	pgmqc_dedup_days_for_new();
	pgmqc_spi_finish(&cxt);
	PG_RETURN_VOID();
}

/*
 * The queues and groups whose dead-letter queue is queue, as
 * STMT_DEAD_LETTER_USERS gives them; returns how many.
 */
typedef struct DeadLetterUser
{
	char	   *label;			/* "queue 'x'", "group 'g' of topic 't'" */
	Oid			owner;			/* of the queue or topic */
	int32		source_id;		/* the queue's or topic's id */
	int32		group_id;		/* 0 for a queue */
} DeadLetterUser;

static int
dead_letter_users(PgmqcQueue *queue, DeadLetterUser **users)
{
	Datum		arg = Int32GetDatum(queue->queue_id);
	uint64		n;
	uint64		i;

	*users = NULL;
	if (!pgmqc_retries_exist())
		return 0;
	n = pgmqc_run_catalog(STMT_DEAD_LETTER_USERS, &arg, NULL, 0);
	*users = palloc0((n + 1) * sizeof(DeadLetterUser));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		(*users)[i].label = SPI_getvalue(SPI_tuptable->vals[i],
										 SPI_tuptable->tupdesc, USER_COL_NAME);
		(*users)[i].owner = DatumGetObjectId(pgmqc_column(i, USER_COL_OWNER, &isnull));
		(*users)[i].source_id = DatumGetInt32(pgmqc_column(i, USER_COL_QUEUE_ID, &isnull));
		(*users)[i].group_id = DatumGetInt32(pgmqc_column(i, USER_COL_GROUP_ID, &isnull));
	}
	return (int) n;
}

/*
 * A queue that is the dead-letter queue of a queue or group whose owner may
 * send to it is not dropped: their dead letters would have nowhere to go.
 * Those whose owner may no longer send to it (the privilege was revoked)
 * move none there any more (common/dead_letters.c) and do not stop the
 * drop, which makes them forget it (forget_dead_letter_users).  The one
 * that stops it is named only to a caller with a privilege on it.
 */
static void
check_no_dead_letter_users(PgmqcQueue *queue)
{
	DeadLetterUser *users;
	int			n = dead_letter_users(queue, &users);
	int			i;

	for (i = 0; i < n; i++)
	{
		bool		named;

		if ((pgmqc_role_access_mask(queue->queue_id, queue->owner, users[i].owner) &
			 PGMQC_PRIV_SEND) == 0)
			continue;
		named = pgmqc_access_mask_by_id(users[i].source_id, users[i].owner) != 0;
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("queue \"%s\" is a dead-letter queue", queue->name),
				 named ?
				 errdetail("It is the dead-letter queue of %s.", users[i].label) :
				 errdetail("It is the dead-letter queue of a queue or consumer group you hold no privilege on, whose owner may send to it."),
				 !named ?
				 errhint("Revoke the \"send\" privilege on this queue (pgmq_c.revoke_access()) from the role you granted it to, then drop it.") :
				 users[i].owner == queue->owner ?
				 errhint("Clear that setting first with pgmq_c.alter_queue() or pgmq_c.alter_group() and dead_letter_queue => ''.") :
				 errhint("Clear that setting first with pgmq_c.alter_queue() or pgmq_c.alter_group() and dead_letter_queue => '', or revoke the \"send\" privilege on this queue from its owner.")));
	}
}

/*
 * The drop goes ahead: the queues and groups that still name the queue as
 * their dead-letter queue (their owners may not send to it) forget it, and
 * their backends read their settings again.  A group's messages that were
 * marked dead but stayed (common/dead_letters.c) are delivered again: the
 * group has no max_deliveries any more.
 */
static void
forget_dead_letter_users(PgmqcQueue *queue)
{
	DeadLetterUser *users;
	int			n = dead_letter_users(queue, &users);
	int			i;

	for (i = 0; i < n; i++)
	{
		Datum		args[2];
		Oid			relid;

		args[0] = Int32GetDatum(users[i].source_id);
		args[1] = Int32GetDatum(users[i].group_id);
		(void) pgmqc_run_catalog(STMT_DEAD_LETTER_FORGET, args, NULL, 0);
		relid = users[i].group_id != 0 ?
			pgmqc_relation_oid(REL_GROUP, users[i].group_id, 0) :
			pgmqc_relation_oid(REL_MESSAGES, users[i].source_id, 0);
		if (!OidIsValid(relid))
			continue;
		if (users[i].group_id != 0)
		{
			PgmqcStatementTarget target = {users[i].source_id, users[i].group_id, -1, 0};

			(void) pgmqc_run_once(STMT_GROUP_RELEASE_DEAD, &target, NULL, NULL,
								  SPI_OK_UPDATE);
		}
		CacheInvalidateRelcacheByRelid(relid);
	}
}

/*
 * drop_queue(queue_name text) RETURNS boolean
 */
Datum
pgmqc_drop_queue(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;

	pgmqc_check_writable("drop_queue()");

	pgmqc_spi_connect(&cxt);
	for (;;)
	{
		Oid			busy;

		pgmqc_lock_catalog();
		/* found even if its tables are missing */
		queue = pgmqc_lookup_for_drop(name, PGMQC_KIND_QUEUE, true);
		if (queue == NULL)
		{
			pgmqc_spi_finish(&cxt);
			PG_RETURN_BOOL(false);
		}
		pgmqc_check_access(queue, name, PGMQC_PRIV_ADMIN);
		check_no_dead_letter_users(queue);
		if (pgmqc_queue_try_lock_tables(queue->queue_id, &busy))
			break;

		/*
		 * A transaction uses the queue: wait for it without the catalog lock,
		 * which it may be about to ask for (to create or drop something
		 * else), keeping the queue's gate once it is ours (relation_locks.c);
		 * then look again.
		 */
		pgmqc_unlock_catalog();
		pgmqc_wait_for_busy(busy, queue->cache.relid, AccessExclusiveLock);
	}
	cxt.action = psprintf("dropping queue \"%s\"", name);
	forget_dead_letter_users(queue);
	pgmqc_queue_drop_storage(queue->queue_id);
	pgmqc_forget(name);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_BOOL(true);
}

/*
 * purge_queue(queue_name text) RETURNS bigint
 *
 * Removes every message that is visible, leased or delayed (not the
 * archive); returns how many there were.
 */
Datum
pgmqc_purge_queue(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcQueue *queue;
	int64		count;

	pgmqc_check_writable("purge_queue()");

	pgmqc_spi_connect(&cxt);
	queue = pgmqc_open(name, PGMQC_KIND_QUEUE, PGMQC_PRIV_ADMIN);
	cxt.action = psprintf("purging queue \"%s\"", name);
	count = pgmqc_queue_purge(queue);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_INT64(count);
}
