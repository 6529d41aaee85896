/*-------------------------------------------------------------------------
 *
 * group_admin.c
 *		SQL functions create_group, drop_group and seek.
 *
 * Argument checks and privilege checks (each needs the admin privilege on
 * the topic); the topic engine makes and drops a group's table and cursor
 * (topic/group_storage.c) and moves the cursor (topic/group_seek.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/group_admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/object_cache.h"
#include "common/relation_locks.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "functions/retry_settings.h"
#include "topic/topic.h"

PG_FUNCTION_INFO_V1(pgmqc_create_group);
PG_FUNCTION_INFO_V1(pgmqc_drop_group);
PG_FUNCTION_INFO_V1(pgmqc_seek_id);
PG_FUNCTION_INFO_V1(pgmqc_seek_time);

/* Whether the group exists already; says so in a NOTICE. */
static bool
group_exists_notice(PgmqcQueue *topic, const char *group_name)
{
	if (pgmqc_group_lookup(topic, group_name, true) == NULL)
		return false;
	ereport(NOTICE,
			(errcode(ERRCODE_DUPLICATE_OBJECT),
			 errmsg("consumer group \"%s\" of topic \"%s\" already exists, skipping",
					group_name, topic->name)));
	return true;
}

/*
 * create_group(topic_name text, group_name text, start_at text,
 *				visibility_timeout interval, filter jsonb,
 *				max_deliveries integer, dead_letter_queue text,
 *				retry_backoff interval, retry_backoff_max interval)
 *		RETURNS void
 *
 * The settings after filter (from 0.6.0 on) are those of alter_group(),
 * applied in the same transaction.
 *
 * 'latest': every message whose send commits after the call.  Sends still
 * in progress when the call begins may commit later with a lower msg_id,
 * so the call first waits until they have ended (as CREATE INDEX
 * CONCURRENTLY waits for older transactions); the group then starts after
 * the last msg_id taken by then.  A message that committed just before the
 * call may be delivered too.  'earliest': every message still retained.
 */
Datum
pgmqc_create_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	char	   *start_at;
	Interval   *vt;
	Jsonb	   *filter = NULL;
	PgmqcQueue *topic;
	bool		latest;
	int64		start;
	PgmqcSettings settings;

	pgmqc_check_not_null(fcinfo, 2, "start_at");
	start_at = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (strcmp(start_at, "latest") == 0)
		latest = true;
	else if (strcmp(start_at, "earliest") == 0)
		latest = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid start_at \"%s\"", pgmqc_clip_for_message(start_at)),
				 errhint("Use 'latest' or 'earliest', then pgmq_c.seek() to start elsewhere.")));
	pgmqc_check_not_null(fcinfo, 3, "visibility_timeout");
	vt = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_vt(vt, "visibility_timeout", false);
	if (!PG_ARGISNULL(4))
	{
		Size		size = toast_raw_datum_size(PG_GETARG_DATUM(4));

		/* headers larger than a message may be are never sent */
		if (size > (Size) pgmqc_max_message_size)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("filter is too large"),
					 errdetail("The filter takes %zu bytes; no message's headers may take more than %d bytes (\"%s\"), so it could match none.",
							   size, pgmqc_max_message_size, "pgmq_c.max_message_size")));
		filter = PG_GETARG_JSONB_P(4);
		if (!JB_ROOT_IS_OBJECT(filter) || JB_ROOT_IS_SCALAR(filter))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("filter must be a JSON object"),
					 errhint("The group sees the messages whose headers contain the object, as with headers @> filter.")));
		/* every message matches an empty filter, those without headers too */
		if (JB_ROOT_COUNT(filter) == 0)
			filter = NULL;
	}
	memset(&settings, 0, sizeof(settings));
	if (PG_NARGS() > 5)
		pgmqc_settings_from_args(fcinfo, 5, false, &settings);
	pgmqc_check_writable("create_group()");

	pgmqc_spi_connect(&cxt);
	/* the topic's first lock before its sequence (common/object_cache.c) */
	topic = pgmqc_open_locked(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_ADMIN);
	if (group_exists_notice(topic, group_name))
	{
		pgmqc_spi_finish(&cxt);
		PG_RETURN_VOID();
	}

	/* before the catalog lock: this may wait for sends in progress */
	start = latest ? pgmqc_topic_settled_through(topic, true) + 1 : 0;

	pgmqc_lock_catalog();
	topic = pgmqc_open(topic_name, PGMQC_KIND_TOPIC, PGMQC_PRIV_ADMIN);
	if (group_exists_notice(topic, group_name))
	{
		pgmqc_spi_finish(&cxt);
		PG_RETURN_VOID();
	}
	cxt.action = psprintf("creating consumer group \"%s\" of topic \"%s\"",
						  group_name, topic_name);
	(void) pgmqc_group_create(topic->queue_id, group_name, start_at, vt,
							  filter, start);
	cxt.action = NULL;
	if (pgmqc_settings_given(&settings))
		pgmqc_apply_settings(topic, pgmqc_group_lookup(topic, group_name, false),
							 &settings);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_VOID();
}

/*
 * drop_group(topic_name text, group_name text) RETURNS boolean
 */
Datum
pgmqc_drop_group(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	char	   *group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
	PgmqcQueue *topic;
	int32		group_id;

	pgmqc_check_writable("drop_group()");

	pgmqc_spi_connect(&cxt);
	for (;;)
	{
		Oid			relid;
		Oid			busy;

		pgmqc_lock_catalog();
		/* found even if its tables, or the group's, are missing */
		topic = pgmqc_lookup_for_drop(topic_name, PGMQC_KIND_TOPIC, false);
		pgmqc_check_access(topic, topic_name, PGMQC_PRIV_ADMIN);
		group_id = pgmqc_group_id_for_drop(topic->queue_id, group_name);
		if (group_id < 0)
		{
			pgmqc_spi_finish(&cxt);
			PG_RETURN_BOOL(false);
		}
		relid = pgmqc_relation_oid(REL_GROUP, group_id, 0);
		if (pgmqc_try_lock_relations(&relid, 1, AccessExclusiveLock, &busy))
			break;

		/*
		 * A reader of the group is in its transaction: wait for it without
		 * the catalog lock, which it may ask for next (as drop_queue does),
		 * and keep the group's table.
		 */
		pgmqc_unlock_catalog();
		pgmqc_wait_for_busy(busy, relid, AccessExclusiveLock);
	}
	cxt.action = psprintf("dropping consumer group \"%s\" of topic \"%s\"",
						  group_name, topic_name);
	pgmqc_group_drop_storage(topic->queue_id, group_id);
	pgmqc_spi_finish(&cxt);
	PG_RETURN_BOOL(true);
}

/*
 * What a seek works on: the group named by the first two arguments, its
 * topic, and the range of msg_ids the topic retains.
 */
typedef struct SeekCall
{
	PgmqcContext cxt;
	char	   *topic_name;
	char	   *group_name;
	PgmqcQueue *topic;
	PgmqcGroup *group;
	PgmqcRetainedRange range;
} SeekCall;

/* The topic and group names of a seek, checked before anything else. */
static void
seek_names(FunctionCallInfo fcinfo, SeekCall *call)
{
	call->topic_name = pgmqc_arg_name_as(fcinfo, 0, "topic");
	call->group_name = pgmqc_arg_name_as(fcinfo, 1, "group");
}

/*
 * The start of a seek, once its target is checked: SPI connected, the
 * topic and group opened (admin privilege) and the retained range read.
 */
static void
seek_begin(SeekCall *call)
{
	pgmqc_check_writable("seek()");
	pgmqc_spi_connect(&call->cxt);
	call->topic = pgmqc_open(call->topic_name, PGMQC_KIND_TOPIC,
							 PGMQC_PRIV_ADMIN);
	call->group = pgmqc_group_lookup(call->topic, call->group_name, false);
	/* locked as a group's read locks them; dropped meanwhile: by name */
	(void) pgmqc_check_group_not_dropped(call->topic, call->group, false);
	pgmqc_topic_retained_range(call->topic, &call->range);
}

/*
 * The end of a seek: the group's cursor moved to msg_id "to" (to a time:
 * not past a send that may be open, topic/group_seek.c); returns where.
 */
static int64
seek_end(SeekCall *call, int64 to, bool to_time)
{
	to = pgmqc_group_seek(call->topic, call->group, to, to_time);
	pgmqc_spi_finish(&call->cxt);
	return to;
}

/*
 * seek(topic_name text, group_name text, to_msg_id bigint) RETURNS bigint
 */
Datum
pgmqc_seek_id(PG_FUNCTION_ARGS)
{
	SeekCall	call;
	PgmqcRetainedRange *range = &call.range;
	int64		to;

	seek_names(fcinfo, &call);
	pgmqc_check_not_null(fcinfo, 2, "to_msg_id");
	to = PG_GETARG_INT64(2);

	seek_begin(&call);
	/* before the first message is fine as long as nothing was removed */
	if ((range->removed && to < range->first) || to < 0 ||
		to > range->last + 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("msg_id " INT64_FORMAT " is outside the retained range of topic \"%s\"",
						to, call.topic_name),
				 range->last < range->first ?
				 errdetail("The topic retains no message; " INT64_FORMAT
						   " is the position after the last message.",
						   range->last + 1) :
				 errdetail("The topic retains msg_ids " INT64_FORMAT " to " INT64_FORMAT
						   "; " INT64_FORMAT " is the position after the last message.",
						   range->first, range->last, range->last + 1)));
	PG_RETURN_INT64(seek_end(&call, to, false));
}

/*
 * seek(topic_name text, group_name text, to_time timestamptz) RETURNS bigint
 *
 * To the first message sent at or after to_time (the position after the
 * last message if there is none), or to the first whose send may still be
 * open, if that comes first.
 */
Datum
pgmqc_seek_time(PG_FUNCTION_ARGS)
{
	SeekCall	call;
	PgmqcRetainedRange *range = &call.range;
	TimestampTz to_time;
	int64		to;

	seek_names(fcinfo, &call);
	pgmqc_check_not_null(fcinfo, 2, "to_time");
	to_time = PG_GETARG_TIMESTAMPTZ(2);
	if (TIMESTAMP_NOT_FINITE(to_time))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("to_time must be finite")));
	if (to_time > GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("to_time must not be in the future")));

	seek_begin(&call);

	/*
	 * Before the first message is fine as long as nothing was removed, or
	 * nothing sent at or after to_time: every message retention removed was
	 * sent before now - retention.
	 */
	if (range->removed &&
		(range->first_at == DT_NOEND || to_time < range->first_at) &&
		to_time <= range->kept_from)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time %s is before the oldest message retained by topic \"%s\"",
						timestamptz_to_str(to_time), call.topic_name),
				 range->first_at == DT_NOEND ?
				 errdetail("Retention has removed every message sent so far.") :
				 errdetail("Retention has removed older messages; the oldest retained was sent at %s.",
						   timestamptz_to_str(range->first_at))));
	if (!pgmqc_topic_first_id_at(call.topic, to_time, &to))
		to = range->last + 1;

	/*
	 * A send still open may have drawn a lower msg_id and be sent at or after
	 * to_time: the look-up sees committed messages only.  Not past the first
	 * msg_id whose send may be open, so that the group delivers it once it
	 * commits (a few messages sent before to_time may come again).
	 */
	PG_RETURN_INT64(seek_end(&call, to, true));
}
