/*-------------------------------------------------------------------------
 *
 * redrive.c
 *		SQL function redrive: dead letters go back where they came from.
 *
 * redrive(dead_letter_queue, to_queue, max_messages) takes the visible
 * messages of a dead-letter queue, oldest first (those leased by one of its
 * own consumers stay), and moves each, in one transaction:
 *
 *	- with to_queue, to that queue, as a new message with its headers as
 *	  they are (they still say where it came from);
 *	- from a queue (headers key pgmq_c_dead_letter, "queue"), back to that
 *	  queue as a new message, its headers as they were before it was
 *	  dead-lettered;
 *	- from a consumer group ("topic" and "group"), back to that group only:
 *	  the topic still holds the message, and the group reads it again with
 *	  read_ct from 0.
 *
 * A dead letter that had an ordering key (pgmq_c_dead_letter's
 * "ordering_key") is sent to a queue with that key, as the key's last
 * message: it waits behind the key's messages in flight and pending.  To
 * its group it goes back under its own msg_id, the key's first row; while
 * a message of its key is in flight in the group, it stays in the
 * dead-letter queue instead (a NOTICE counts it), so that two messages of
 * a key are never leased at once.
 *
 * A dead letter whose origin is gone (the queue or group dropped, the
 * topic's message past retention), that says no origin, or whose origin
 * the caller may not send to (a queue) or consume from (a topic) stays in
 * the dead-letter queue; a NOTICE counts them.  Moving needs the consume
 * privilege on the dead-letter queue and the send privilege on to_queue.
 * Messages are taken with FOR UPDATE SKIP LOCKED: a redrive running beside
 * another, or beside the queue's consumers, moves each message once.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/redrive.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"

#include "pgmq_c.h"
#include "common/dead_letters.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "queue/queue.h"
#include "topic/topic.h"

PG_FUNCTION_INFO_V1(pgmqc_redrive);

/* dead letters taken per statement */
#define REDRIVE_BATCH	1000

/* One dead letter taken from the dead-letter queue. */
typedef struct DeadLetter
{
	int64		msg_id;			/* in the dead-letter queue */
	Jsonb	   *message;
	Jsonb	   *headers;		/* as they are */
	Jsonb	   *original_headers;	/* as they were before */
	char	   *queue;			/* origin: a queue, or */
	char	   *topic;			/* a topic and */
	char	   *group;			/* a group */
	int64		original_id;	/* its msg_id there (topics only), or -1 */
	TimestampTz original_at;	/* when it was sent there, */
	bool		original_at_known;	/* if the headers say */
	TimestampTz dead_at;		/* when it was dead-lettered, */
	bool		dead_at_known;	/* if the headers say */
	text	   *ordering_key;	/* its ordering key there, or NULL */
	bool		handled;		/* with its group, earlier in the batch */
	bool		moved;
} DeadLetter;

/* What a redrive left in place, and why. */
typedef struct RedriveCounts
{
	int64		moved;
	int64		no_origin;		/* no (readable) origin in the headers */
	int64		origin_gone;	/* queue, topic or group dropped */
	int64		not_permitted;	/* the caller may not write there */
	int64		past_retention; /* the topic no longer holds the message */
	int64		key_busy;		/* its key is in flight in its group */
} RedriveCounts;

/*
 * The time in text, as a dead letter's headers hold its enqueued_at (JSON's
 * form of a timestamptz); false, without an error, when it is not a finite
 * time: headers are the sender's to write.
 */
static bool
parse_time(const char *text, TimestampTz *result)
{
	char		workbuf[MAXDATELEN + 1];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
#if PG_VERSION_NUM >= 160000
	DateTimeErrorExtra extra;
#endif

	if (strlen(text) > MAXDATELEN ||
		ParseDateTime(text, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0 ||
#if PG_VERSION_NUM >= 160000
		DecodeDateTime(field, ftype, nf, &dtype, &tm, &fsec, &tz, &extra) != 0 ||
#else
		DecodeDateTime(field, ftype, nf, &dtype, &tm, &fsec, &tz) != 0 ||
#endif
		dtype != DTK_DATE)
		return false;
	return tm2timestamp(&tm, fsec, &tz, result) == 0 && IS_VALID_TIMESTAMP(*result);
}

static char *
text_column(int row, int column)
{
	bool		isnull;
	Datum		value = pgmqc_column(row, column, &isnull);

	return isnull ? NULL : TextDatumGetCString(value);
}

static Jsonb *
jsonb_column(int row, int column)
{
	bool		isnull;
	Datum		value = pgmqc_column(row, column, &isnull);

	return isnull ? NULL : DatumGetJsonbP(value);
}

/* The rows of STMT_REDRIVE_TAKE, in SPI_tuptable. */
static DeadLetter *
read_batch(int n)
{
	DeadLetter *letters = palloc0(n * sizeof(DeadLetter));
	int			i;

	for (i = 0; i < n; i++)
	{
		DeadLetter *d = &letters[i];
		bool		isnull;
		char	   *id;

		d->msg_id = pgmqc_column_int64(i, REDRIVE_COL_MSG_ID, &isnull);
		d->message = jsonb_column(i, REDRIVE_COL_MESSAGE);
		d->headers = jsonb_column(i, REDRIVE_COL_HEADERS);
		d->original_headers = jsonb_column(i, REDRIVE_COL_ORIGINAL_HEADERS);
		d->queue = text_column(i, REDRIVE_COL_QUEUE);
		d->topic = text_column(i, REDRIVE_COL_TOPIC);
		d->group = text_column(i, REDRIVE_COL_GROUP);
		id = text_column(i, REDRIVE_COL_ORIGINAL_ID);
		d->original_id = -1;
		if (id != NULL)
		{
			char	   *end;
			long long	value;

			errno = 0;
			value = strtoll(id, &end, 10);
			if (errno == 0 && *end == '\0' && end != id && value > 0)
				d->original_id = value;
		}
		id = text_column(i, REDRIVE_COL_ORIGINAL_AT);
		d->original_at_known = id != NULL && parse_time(id, &d->original_at);
		id = text_column(i, REDRIVE_COL_DEAD_AT);
		d->dead_at_known = id != NULL && parse_time(id, &d->dead_at);
		d->ordering_key = NULL;
		id = text_column(i, REDRIVE_COL_ORDERING_KEY);
		/* headers are the sender's to write: a key as send() takes it */
		if (id != NULL && strlen(id) >= 1 && strlen(id) <= PGMQC_MAX_KEY_LEN)
			d->ordering_key = cstring_to_text(id);
	}
	return letters;
}

/* A name from a header: present and valid. */
static bool
valid_name(const char *name)
{
	return name != NULL && pgmqc_name_is_valid(name);
}

/*
 * Send one dead letter to a queue; headers as given.  With its ordering key
 * (unless the queue's catalog is from before keys), as a send of that key:
 * behind the key's messages in the queue.
 */
static void
send_to(PgmqcQueue *queue, DeadLetter *d, Jsonb *headers)
{
	Interval	no_delay;

	memset(&no_delay, 0, sizeof(no_delay));
	if (d->ordering_key != NULL && queue->has_keys)
	{
		Datum		message = JsonbPGetDatum(d->message);
		Datum		header = PointerGetDatum(headers);
		bool		header_null = headers == NULL;
		Datum		key = PointerGetDatum(d->ordering_key);
		int			dims[1] = {1};
		int			lbs[1] = {1};

		pgmqc_queue_send_keyed(queue,
							   construct_array(&message, 1, JSONBOID, -1, false,
											   TYPALIGN_INT),
							   construct_md_array(&header, &header_null, 1, dims,
												  lbs, JSONBOID, -1, false,
												  TYPALIGN_INT),
							   &no_delay,
							   construct_array(&key, 1, TEXTOID, -1, false,
											   TYPALIGN_INT));
		pgmqc_queue_batch_sent(queue, 1, &no_delay);
	}
	else
		(void) pgmqc_queue_send(queue, d->message, headers, &no_delay);
	d->moved = true;
}

/*
 * Back to its queue of origin, if it may.  An origin that is the
 * dead-letter queue dlq itself (headers are the sender's to write) is no
 * origin: the letter stays, as redrive(dlq, dlq) is refused.
 */
static void
to_origin_queue(PgmqcQueue *dlq, DeadLetter *d, RedriveCounts *counts)
{
	PgmqcQueue *queue;

	if (!valid_name(d->queue) || strcmp(d->queue, dlq->name) == 0)
	{
		counts->no_origin++;
		return;
	}
	queue = pgmqc_lookup_kind(d->queue, 0, true);
	/* locked as a send locks it: a drop in progress is waited for */
	if (queue == NULL || queue->kind != PGMQC_KIND_QUEUE ||
		!pgmqc_lock_if_not_dropped(queue, RowExclusiveLock))
		counts->origin_gone++;
	else if ((pgmqc_access_mask(queue) & PGMQC_PRIV_SEND) == 0)
		counts->not_permitted++;
	else
		send_to(queue, d, d->original_headers);
}

/*
 * When group group_id was made: a dead letter of a group of its name
 * dead-lettered before then came from a group since dropped (its messages
 * were its own, its filter may not be this one's), and stays.
 */
static TimestampTz
group_created_at(int32 group_id)
{
	Datum		arg = Int32GetDatum(group_id);
	bool		isnull;
	Datum		value;

	if (pgmqc_run_catalog(STMT_GROUP_CREATED_AT, &arg, NULL, 1) != 1)
		return DT_NOBEGIN;
	value = pgmqc_column(0, VALUE_COL, &isnull);
	return isnull ? DT_NOBEGIN : DatumGetTimestampTz(value);
}

/*
 * Back to its group of origin, with every other dead letter of the batch
 * from the same group (from letters[first] on).
 */
static void
to_origin_group(DeadLetter *letters, int n, int first, RedriveCounts *counts)
{
	DeadLetter *d = &letters[first];
	PgmqcQueue *topic = NULL;
	PgmqcGroup *group = NULL;
	int64	   *ids = palloc(n * sizeof(int64));
	TimestampTz *ats = palloc(n * sizeof(TimestampTz));
	bool	   *at_known = palloc(n * sizeof(bool));
	int		   *which = palloc(n * sizeof(int));	/* the letter of each id */
	TimestampTz created_at = DT_NOBEGIN;
	int			nids = 0;
	int			i;
	int			j;

	if (valid_name(d->topic) && valid_name(d->group))
	{
		topic = pgmqc_lookup_kind(d->topic, 0, true);
		if (topic != NULL && topic->kind == PGMQC_KIND_TOPIC)
			group = pgmqc_group_lookup(topic, d->group, true);
		/* a drop of either in progress is waited for */
		if (group != NULL &&
			!pgmqc_check_group_not_dropped(topic, group, true))
			group = NULL;
		if (group != NULL)
			created_at = group_created_at(group->group_id);
	}
	for (i = first; i < n; i++)
	{
		if (letters[i].handled || letters[i].queue != NULL ||
			letters[i].topic == NULL || letters[i].group == NULL ||
			strcmp(letters[i].topic, d->topic) != 0 ||
			strcmp(letters[i].group, d->group) != 0)
			continue;
		letters[i].handled = true;
		if (group == NULL ||
			(letters[i].dead_at_known && letters[i].dead_at < created_at))
			counts->origin_gone++;
		else if ((pgmqc_access_mask(topic) & PGMQC_PRIV_CONSUME) == 0)
			counts->not_permitted++;
		else if (letters[i].original_id < 0)
			counts->no_origin++;
		else
		{
			which[nids] = i;
			ids[nids] = letters[i].original_id;
			ats[nids] = letters[i].original_at;
			at_known[nids++] = letters[i].original_at_known;
			letters[i].moved = true;	/* unless the topic lost it */
		}
	}
	if (nids == 0)
		return;

	pgmqc_group_redrive(topic, group, ids, ats, at_known, nids);
	for (j = 0; j < nids; j++)	/* a row per id, in order */
	{
		bool		isnull;

		if (DatumGetBool(pgmqc_column(j, GROUP_REDRIVE_COL_KEY_BUSY, &isnull)))
		{
			letters[which[j]].moved = false;
			counts->key_busy++;
			continue;
		}
		if (DatumGetBool(pgmqc_column(j, GROUP_REDRIVE_COL_SAME, &isnull)))
			continue;
		letters[which[j]].moved = false;
		if (DatumGetBool(pgmqc_column(j, GROUP_REDRIVE_COL_THERE, &isnull)))
			counts->origin_gone++;	/* another message under its msg_id: the
									 * topic was made anew */
		else
			counts->past_retention++;
	}
}

/*
 * Move one batch of n dead letters; returns how many moved and deletes
 * them from the dead-letter queue.
 */
static int64
move_batch(PgmqcQueue *dlq, PgmqcQueue *target, DeadLetter *letters, int n,
		   RedriveCounts *counts)
{
	int64	   *moved = palloc(n * sizeof(int64));
	int			nmoved = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		DeadLetter *d = &letters[i];

		CHECK_FOR_INTERRUPTS();
		if (target != NULL)
			send_to(target, d, d->headers);
		else if (d->handled)
			continue;
		else if (d->queue != NULL)
			to_origin_queue(dlq, d, counts);
		else if (d->topic != NULL && d->group != NULL)
			to_origin_group(letters, n, i, counts);
		else
			counts->no_origin++;
	}
	for (i = 0; i < n; i++)
		if (letters[i].moved)
			moved[nmoved++] = letters[i].msg_id;
	if (nmoved > 0)
	{
		ArrayType  *ids = DatumGetArrayTypeP(pgmqc_id_array(moved, nmoved));

		(void) pgmqc_queue_remove_many(dlq, false, ids, NULL);
	}
	counts->moved += nmoved;
	return nmoved;
}

/*
 * redrive(dead_letter_queue text, to_queue text, max_messages integer)
 *		RETURNS bigint
 */
Datum
pgmqc_redrive(PG_FUNCTION_ARGS)
{
	PgmqcContext cxt;
	char	   *dlq_name;
	char	   *target_name = NULL;
	int64		remaining = PG_INT64_MAX;
	PgmqcQueue *dlq;
	PgmqcQueue *target = NULL;
	RedriveCounts counts;
	int64		after = 0;
	int64		left;

	pgmqc_check_not_null(fcinfo, 0, "dead_letter_queue");
	dlq_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	pgmqc_check_name_as(dlq_name, "dead-letter queue");
	if (!PG_ARGISNULL(1))
	{
		target_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
		pgmqc_check_name_as(target_name, "queue");
		if (strcmp(target_name, dlq_name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot redrive queue \"%s\" into itself", dlq_name)));
	}
	if (!PG_ARGISNULL(2))
	{
		remaining = PG_GETARG_INT32(2);
		if (remaining < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_messages must be positive"),
					 errdetail("max_messages was " INT64_FORMAT ".", remaining),
					 errhint("NULL moves every dead letter.")));
	}
	pgmqc_check_writable("redrive()");

	pgmqc_spi_connect(&cxt);
	dlq = pgmqc_open_locked(dlq_name, PGMQC_KIND_QUEUE, PGMQC_PRIV_CONSUME);
	if (target_name != NULL)
		target = pgmqc_open(target_name, PGMQC_KIND_QUEUE, PGMQC_PRIV_SEND);
	memset(&counts, 0, sizeof(counts));

	/*
	 * Dead letters parked with a delay that has passed are visible too.  All
	 * of them first (as many as may move): a batch takes msg_ids past the
	 * last one taken, and those moved later keep their lower msg_ids.
	 */
	pgmqc_queue_mature_all_due(dlq, remaining);

	while (remaining > 0)
	{
		SPITupleTable *batch;
		DeadLetter *letters;
		int32		want = (int32) Min(remaining, REDRIVE_BATCH);
		int			n;

		CHECK_FOR_INTERRUPTS();
		n = pgmqc_queue_redrive_take(dlq, after, want);
		if (n == 0)
			break;
		batch = SPI_tuptable;
		letters = read_batch(n);
		after = letters[n - 1].msg_id + 1;
		remaining -= move_batch(dlq, target, letters, n, &counts);
		SPI_freetuptable(batch);
		if (n < want)
			break;				/* no more visible dead letters */
	}

	left = counts.no_origin + counts.origin_gone + counts.not_permitted +
		counts.past_retention + counts.key_busy;
	if (left > 0)
		ereport(NOTICE,
				(errmsg_plural("%lld dead letter was left in queue \"%s\"",
							   "%lld dead letters were left in queue \"%s\"",
							   (unsigned long) left,
							   (long long) left, dlq_name),
				 counts.key_busy == 0 ?
				 errdetail("No origin: %lld; origin dropped: %lld; not permitted: %lld; past the topic's retention: %lld.",
						   (long long) counts.no_origin, (long long) counts.origin_gone,
						   (long long) counts.not_permitted, (long long) counts.past_retention) :
				 errdetail("No origin: %lld; origin dropped: %lld; not permitted: %lld; past the topic's retention: %lld; ordering key in flight in its group: %lld.",
						   (long long) counts.no_origin, (long long) counts.origin_gone,
						   (long long) counts.not_permitted, (long long) counts.past_retention,
						   (long long) counts.key_busy),
				 counts.key_busy > 0 ?
				 errhint("Redrive them again once their keys' messages in flight are acknowledged.") : 0));
	pgmqc_spi_finish(&cxt);
	PG_RETURN_INT64(counts.moved);
}
