/*-------------------------------------------------------------------------
 *
 * queue_send_functions.c
 *		SQL functions send and send_batch, to a queue or a topic, with
 *		ordering keys and deduplication ids.
 *
 * The arguments are checked here; the name may be a queue's or a topic's,
 * and the send goes to the queue engine (queue/send.c, queue/ordering.c)
 * or the topic engine (topic/topic_publish.c) by the kind found.  A send
 * with deduplication ids first finds those already sent within the
 * window (common/dedup.c) and stores the other messages only.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/queue_send_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/dead_letters.h"
#include "common/dedup.h"
#include "common/intervals.h"
#include "common/object_cache.h"
#include "common/security.h"
#include "common/statements.h"
#include "functions/arguments.h"
#include "functions/results.h"
#include "functions/send_message.h"
#include "queue/queue.h"
#include "topic/topic.h"

PG_FUNCTION_INFO_V1(pgmqc_send);
PG_FUNCTION_INFO_V1(pgmqc_send_batch);

/*
 * The delay, the fourth argument of send() and send_batch(), checked; then
 * whether "function" may write.
 */
static Interval *
check_delay_arg(FunctionCallInfo fcinfo, const char *function)
{
	Interval   *delay;

	pgmqc_check_not_null(fcinfo, 3, "delay");
	delay = PG_GETARG_INTERVAL_P(3);
	pgmqc_check_delay(delay);
	pgmqc_check_writable(function);
	return delay;
}

/*
 * Field "name" of a JSON object, as text the way ->> gives it (strings,
 * numbers and booleans; NULL for anything else or when it is missing).
 */
static char *
origin_field(JsonbContainer *object, const char *name)
{
	JsonbValue	key;
	JsonbValue *value;

	key.type = jbvString;
	key.val.string.val = (char *) name;
	key.val.string.len = strlen(name);
	value = findJsonbValueFromContainer(object, JB_FOBJECT, &key);
	if (value == NULL)
		return NULL;
	switch (value->type)
	{
		case jbvString:
			return pnstrdup(value->val.string.val, value->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(value->val.numeric)));
		case jbvBool:
			return pstrdup(value->val.boolean ? "true" : "false");
		default:
			return NULL;
	}
}

/* the detail and hint of each refusal of check_dead_letter_origin */
#define ORIGIN_DETAIL_HINT(what) \
	errdetail("redrive() " what " that headers key \"%s\" names.", \
			  PGMQC_DEAD_LETTER_KEY), \
	errhint("Leave out key \"%s\": pgmq_c writes it when it moves a message to a dead-letter queue.", \
			PGMQC_DEAD_LETTER_KEY)

/*
 * Field "name" of a JSON object when it is an object itself, else NULL.
 */
static JsonbContainer *
object_field(JsonbContainer *object, const char *name)
{
	JsonbValue	key;
	JsonbValue *value;

	key.type = jbvString;
	key.val.string.val = (char *) name;
	key.val.string.len = strlen(name);
	value = findJsonbValueFromContainer(object, JB_FOBJECT, &key);
	if (value == NULL || value->type != jbvBinary ||
		!JsonContainerIsObject(value->val.binary.data))
		return NULL;
	return value->val.binary.data;
}

/*
 * One origin a dead letter's headers name (see check_dead_letter_origin):
 * refused unless the caller could give it a message itself.
 */
static void
check_one_origin(JsonbContainer *object)
{
	char	   *queue_name;
	char	   *topic_name;
	char	   *group_name;
	PgmqcQueue *target;

	queue_name = origin_field(object, "queue");
	if (queue_name != NULL)
	{
		if (!pgmqc_name_is_valid(queue_name))
			return;
		target = pgmqc_lookup_kind(queue_name, 0, true);
		if (target == NULL || target->kind != PGMQC_KIND_QUEUE)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("headers name queue \"%s\" as the origin of a dead letter, but it does not exist",
							queue_name),
					 ORIGIN_DETAIL_HINT("sends a dead letter back to the origin")));
		if ((pgmqc_access_mask(target) & PGMQC_PRIV_SEND) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("headers name queue \"%s\" as the origin of a dead letter, but you may not send to it",
							queue_name),
					 ORIGIN_DETAIL_HINT("sends a dead letter back to the origin")));
		return;
	}

	topic_name = origin_field(object, "topic");
	group_name = origin_field(object, "group");
	if (topic_name == NULL || group_name == NULL ||
		!pgmqc_name_is_valid(topic_name) || !pgmqc_name_is_valid(group_name))
		return;
	target = pgmqc_lookup_kind(topic_name, 0, true);
	if (target == NULL || target->kind != PGMQC_KIND_TOPIC ||
		pgmqc_group_lookup(target, group_name, true) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("headers name group \"%s\" of topic \"%s\" as the origin of a dead letter, but it does not exist",
						group_name, topic_name),
				 ORIGIN_DETAIL_HINT("gives a dead letter back to the group")));
	if ((pgmqc_access_mask(target) & PGMQC_PRIV_CONSUME) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("headers name group \"%s\" of topic \"%s\" as the origin of a dead letter, but you may not consume from the topic",
						group_name, topic_name),
				 ORIGIN_DETAIL_HINT("gives a dead letter back to the group")));
}

/*
 * The headers of a message the caller sends may name an origin under
 * PGMQC_DEAD_LETTER_KEY only if the caller could give that origin a message
 * itself: send on a queue, consume on a topic with that group.  redrive()
 * sends a dead letter back to the origin its headers name, as whoever runs
 * it; without this check a role allowed to send to a dead-letter queue
 * could have the queue owner's redrive put its message into a queue it may
 * not send to, or make a group read an old message again.  The origins
 * nested under "previous" (a dead letter dead-lettered again keeps its
 * earlier origin there, and redrive to the origin puts it back) are
 * checked alike, each of them: otherwise a role could send its own queue a
 * message whose redrive there gives it, as its header, an origin of
 * another role's (review h46).  Dead letters pgmq_c makes itself are not
 * sent through here.  A name that is not valid is no origin to redrive (it
 * counts as none) and passes.  Inside SPI.
 */
static void
check_dead_letter_origin(Jsonb *headers)
{
	JsonbContainer *object;

	if (headers == NULL || !JB_ROOT_IS_OBJECT(headers))
		return;
	for (object = object_field(&headers->root, PGMQC_DEAD_LETTER_KEY);
		 object != NULL;
		 object = object_field(object, "previous"))
	{
		CHECK_FOR_INTERRUPTS();
		check_one_origin(object);
	}
}

/*
 * SPI connected, and queue or topic "name" opened to send to.  A queue's
 * message table is locked first of its tables, whichever of them the send
 * writes to, and a topic's first lock taken (common/object_cache.c): the
 * tables that drop_queue, purge_queue, drop_topic and the changes of
 * durability take first.  A queue or topic dropped while this waited is
 * looked up again: one made anew under its name (in the drop's
 * transaction) takes the message, as it would a moment later; otherwise it
 * is reported by name.
 */
static PgmqcQueue *
connect_to_send(PgmqcContext *cxt, const char *name)
{
	PgmqcQueue *queue;

	pgmqc_spi_connect(cxt);
	queue = pgmqc_open(name, 0, PGMQC_PRIV_SEND);
	if (!pgmqc_lock_if_not_dropped(queue, RowExclusiveLock))
	{
		char		kind = queue->kind;

		if (pgmqc_lookup_kind(name, 0, true) == NULL)
			pgmqc_report_dropped(kind, name);
		queue = pgmqc_open(name, 0, PGMQC_PRIV_SEND);
		if (!pgmqc_lock_if_not_dropped(queue, RowExclusiveLock))
			pgmqc_report_dropped(queue->kind, name);
	}
	return queue;
}

/*
 * Deduplication of the n messages of a send: ids[i] (unless id_nulls[i])
 * is message i's dedup_id.  Locks the ids, then opens the partitions that
 * remember them (returned, for pgmqc_dedup_record(); NULL when no message
 * has an id) and finds those the queue or topic remembers: such a message
 * is not stored (store[i] false), its msg_id (result[i]) is that of the
 * message the id stored last within the window.  A message whose id an earlier message of the same send has is
 * not stored either: first[i] is that message (else -1).
 */
static PgmqcDedupScope *
deduplicate(PgmqcQueue *queue, int n, Datum *ids, bool *id_nulls,
			int64 *result, bool *store, int *first)
{
	typedef struct SeenId
	{
		char		id[PGMQC_MAX_KEY_LEN + 1];
		int64		msg_id;		/* remembered from an earlier send, or -1 */
		int			first;		/* the first message of this send with it */
	} SeenId;
	Datum	   *given = palloc((n + 1) * sizeof(Datum));
	int			ngiven = 0;
	PgmqcDedupScope *scope;
	HASHCTL		ctl;
	HTAB	   *seen;
	int			i;

	for (i = 0; i < n; i++)
	{
		store[i] = true;
		first[i] = -1;
		if (!id_nulls[i])
			given[ngiven++] = ids[i];
	}
	if (ngiven == 0)
		return NULL;
	scope = pgmqc_dedup_open(queue, given, ngiven);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = PGMQC_MAX_KEY_LEN + 1;
	ctl.entrysize = sizeof(SeenId);
	ctl.hcxt = CurrentMemoryContext;
	seen = hash_create("pgmq_c dedup ids", ngiven, &ctl,
					   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	for (i = 0; i < n; i++)
	{
		char	   *id;
		SeenId	   *entry;
		bool		known;

		if (id_nulls[i])
			continue;
		id = TextDatumGetCString(ids[i]);
		entry = hash_search(seen, id, HASH_ENTER, &known);
		if (!known)
		{
			/* the first message of this send with the id */
			entry->msg_id = pgmqc_dedup_find(scope, ids[i]);
			entry->first = i;
			if (entry->msg_id < 0)
				continue;
		}
		store[i] = false;
		if (entry->msg_id >= 0)
			result[i] = entry->msg_id;
		else
			first[i] = entry->first;
	}
	hash_destroy(seen);
	return scope;
}

/* Elements keep[0..n-1] of elems (with nulls, may be NULL) as an array. */
static ArrayType *
kept_array(Datum *elems, bool *nulls, const bool *keep, int n, Oid type)
{
	Datum	   *values = palloc((n + 1) * sizeof(Datum));
	bool	   *value_nulls = palloc((n + 1) * sizeof(bool));
	int			dims[1];
	int			lbs[1] = {1};
	int			k = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!keep[i])
			continue;
		values[k] = elems[i];
		value_nulls[k] = nulls != NULL && nulls[i];
		k++;
	}
	dims[0] = k;
	return construct_md_array(values, value_nulls, 1, dims, lbs, type, -1,
							  false, TYPALIGN_INT);
}

/*
 * Send n messages (headers NULL or one per message) after delay, with
 * ordering keys and deduplication ids (either NULL, or one per message
 * with NULL elements for none): the general form of send and send_batch.
 * result[i] gets message i's msg_id.  Inside SPI.
 */
static void
send_general(PgmqcQueue *queue, int n, Jsonb **messages, Jsonb **headers,
			 Interval *delay, Datum *keys, bool *key_nulls,
			 Datum *ids, bool *id_nulls, int64 *result)
{
	bool	   *store = palloc((n + 1) * sizeof(bool));
	int		   *first = palloc((n + 1) * sizeof(int));
	PgmqcDedupScope *scope = NULL;
	Datum	   *message_datums = palloc((n + 1) * sizeof(Datum));
	Datum	   *header_datums = NULL;
	ArrayType  *message_array;
	ArrayType  *header_array = NULL;
	ArrayType  *key_array = NULL;
	int64	   *sent;
	int			nsent;
	int			nstore = 0;
	bool		any_key = false;
	int			i;
	int			k;

	pgmqc_queue_check_keys(queue);
	if (ids != NULL)
		scope = deduplicate(queue, n, ids, id_nulls, result, store, first);
	else
		for (i = 0; i < n; i++)
		{
			store[i] = true;
			first[i] = -1;
		}
	for (i = 0; i < n; i++)
	{
		message_datums[i] = JsonbPGetDatum(messages[i]);
		if (store[i])
		{
			nstore++;
			any_key |= keys != NULL && !key_nulls[i];
		}
	}
	if (nstore > 0)
	{
		message_array = kept_array(message_datums, NULL, store, n, JSONBOID);
		if (headers != NULL)
		{
			bool	   *header_nulls = palloc((n + 1) * sizeof(bool));

			header_datums = palloc((n + 1) * sizeof(Datum));
			for (i = 0; i < n; i++)
			{
				header_datums[i] = PointerGetDatum(headers[i]);
				header_nulls[i] = headers[i] == NULL;
			}
			header_array = kept_array(header_datums, header_nulls, store, n,
									  JSONBOID);
		}
		if (any_key)
			key_array = kept_array(keys, key_nulls, store, n, TEXTOID);

		if (queue->kind == PGMQC_KIND_TOPIC)
		{
			pgmqc_topic_publish_batch(queue, message_array, header_array, nstore,
									  delay, key_array);
			sent = pgmqc_collect_ids(&nsent);
			pgmqc_topic_batch_published(queue, sent, nsent, delay);
		}
		else
		{
			if (key_array != NULL)
				pgmqc_queue_send_keyed(queue, message_array, header_array, delay,
									   key_array);
			else
				pgmqc_queue_send_batch(queue, message_array, header_array, delay);
			sent = pgmqc_collect_ids(&nsent);
			pgmqc_queue_batch_sent(queue, nsent, delay);
		}
		if (nsent != nstore)
			elog(ERROR, "pgmq_c sent %d messages of %d", nsent, nstore);
		for (i = 0, k = 0; i < n; i++)
			if (store[i])
				result[i] = sent[k++];
	}
	for (i = 0; i < n; i++)
		if (first[i] >= 0)
			result[i] = result[first[i]];

	/* remember the ids of the messages stored */
	if (scope != NULL && nstore > 0)
	{
		Datum	   *record_ids = palloc((n + 1) * sizeof(Datum));
		int64	   *record_msg_ids = palloc((n + 1) * sizeof(int64));
		int			nrecord = 0;

		for (i = 0; i < n; i++)
		{
			if (!store[i] || id_nulls[i])
				continue;
			record_ids[nrecord] = ids[i];
			record_msg_ids[nrecord++] = result[i];
		}
		if (nrecord > 0)
			pgmqc_dedup_record(scope, record_ids, record_msg_ids, nrecord);
	}
	if (scope != NULL)
		pgmqc_dedup_close(scope);
}

/*
 * Send one message (headers NULL for none) after delay, with ordering key
 * and deduplication id (each (Datum) 0 for none, both already checked) to
 * queue or topic "name": the body of send(), also behind pgmq_c_compat's
 * pgmq.send.  Checks the message, its headers and size and the delay, and
 * returns the msg_id.
 */
int64
pgmqc_send_message(const char *name, Jsonb *message, Jsonb *headers,
				   Interval *delay, Datum key, Datum dedup_id)
{
	PgmqcContext cxt;
	PgmqcQueue *queue;
	int64		msg_id;

	pgmqc_check_message(message);
	if (headers != NULL)
		pgmqc_check_headers(headers);
	pgmqc_check_size(message, headers);
	pgmqc_check_delay(delay);
	pgmqc_check_writable("send()");

	queue = connect_to_send(&cxt, name);
	if (headers != NULL)
		check_dead_letter_origin(headers);
	if (key == (Datum) 0 && dedup_id != (Datum) 0)
	{
		/* one id: look it up after its lock; send and remember if new */
		PgmqcDedupScope *scope;
		PgmqcQueueDraw draw;
		PgmqcTopicDraw topic_draw;

		pgmqc_queue_check_keys(queue);
		scope = pgmqc_dedup_open(queue, &dedup_id, 1);

		/*
		 * The id's entry, inserted into today's partition once the msg_id is
		 * drawn, tells whether it is new (pgmqc_dedup_claim).
		 */
		if (queue->kind == PGMQC_KIND_TOPIC && pgmqc_dedup_claimable(scope))
		{
			pgmqc_topic_draw(queue, message, headers, delay, &topic_draw);
			msg_id = pgmqc_dedup_claim(scope, dedup_id, topic_draw.msg_id);
			if (msg_id < 0)
				msg_id = pgmqc_topic_publish_drawn(queue, &topic_draw, message,
												   headers, delay, NULL);
			else
				pgmqc_topic_draw_unused(queue, &topic_draw);
		}
		else if (queue->kind == PGMQC_KIND_QUEUE &&
				 pgmqc_interval_is_zero(delay) &&
				 pgmqc_dedup_claimable(scope) && pgmqc_queue_draw(queue, &draw))
		{
			msg_id = pgmqc_dedup_claim(scope, dedup_id, draw.msg_id);
			if (msg_id < 0)
				msg_id = pgmqc_queue_send_drawn(queue, &draw, message, headers);
			else
				pgmqc_queue_draw_unused(&draw);
		}
		else if ((msg_id = pgmqc_dedup_find(scope, dedup_id)) < 0)
		{
			if (queue->kind == PGMQC_KIND_TOPIC)
				msg_id = pgmqc_topic_publish(queue, message, headers, delay, NULL);
			else
				msg_id = pgmqc_queue_send(queue, message, headers, delay);
			pgmqc_dedup_record(scope, &dedup_id, &msg_id, 1);
		}
		pgmqc_dedup_close(scope);
	}
	else if (key != (Datum) 0)
	{
		bool		no_null = false;
		bool		key_null = false;

		send_general(queue, 1, &message, headers ? &headers : NULL, delay,
					 &key, &key_null,
					 dedup_id ? &dedup_id : NULL, &no_null, &msg_id);
	}
	else if (queue->kind == PGMQC_KIND_TOPIC)
		msg_id = pgmqc_topic_publish(queue, message, headers, delay, NULL);
	else
		msg_id = pgmqc_queue_send(queue, message, headers, delay);
	pgmqc_spi_finish(&cxt);
	return msg_id;
}

/*
 * send(queue_name text, message jsonb, headers jsonb, delay interval,
 *		ordering_key text, dedup_id text) RETURNS bigint
 */
Datum
pgmqc_send(PG_FUNCTION_ARGS)
{
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	Datum		key = (Datum) 0;
	Datum		dedup_id = (Datum) 0;

	pgmqc_check_not_null(fcinfo, 1, "message");
	pgmqc_check_not_null(fcinfo, 3, "delay");
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		key = PG_GETARG_DATUM(4);
		pgmqc_check_key(DatumGetTextPP(key), "ordering_key");
	}
	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
	{
		dedup_id = PG_GETARG_DATUM(5);
		pgmqc_check_key(DatumGetTextPP(dedup_id), "dedup_id");
	}
	PG_RETURN_INT64(pgmqc_send_message(name, PG_GETARG_JSONB_P(1),
									   PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2),
									   PG_GETARG_INTERVAL_P(3), key, dedup_id));
}

/*
 * Validate every element of a jsonb[] argument; returns the elements, *n of
 * them.
 */
static Jsonb **
check_elements(ArrayType *arr, bool are_headers, int *n)
{
	Datum	   *elems;
	bool	   *elem_nulls;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Jsonb	  **result;
	int			i;

	get_typlenbyvalalign(JSONBOID, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, JSONBOID, typlen, typbyval, typalign,
					  &elems, &elem_nulls, n);
	result = palloc((*n + 1) * sizeof(Jsonb *));
	for (i = 0; i < *n; i++)
	{
		Jsonb	   *j;

		if (elem_nulls[i])
		{
			/* a message's NULL was refused before; headers: none */
			result[i] = NULL;
			continue;
		}
		j = DatumGetJsonbP(elems[i]);
		if (are_headers)
			pgmqc_check_headers(j);
		else
			pgmqc_check_message(j);
		result[i] = j;
	}
	return result;
}

/*
 * Each message of a batch with its headers, if any, against
 * pgmq_c.max_message_size, as send() counts them.
 */
static void
check_batch_sizes(Jsonb **messages, Jsonb **headers, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		pgmqc_check_size(messages[i], headers ? headers[i] : NULL);
}

/*
 * The messages of a batch, argument 1 of the function called, and their
 * headers, argument headers_arg (none if -1 or NULL), checked into *batch;
 * messages_name names argument 1 in errors.
 */
void
pgmqc_batch_arguments(FunctionCallInfo fcinfo, const char *messages_name,
					  int headers_arg, PgmqcBatch * batch)
{
	batch->messages = pgmqc_check_array(fcinfo, 1, messages_name, false);
	batch->message_elements = check_elements(batch->messages, false, &batch->n);
	batch->headers = NULL;
	batch->header_elements = NULL;
	if (headers_arg >= 0 && !PG_ARGISNULL(headers_arg))
	{
		int			nheaders;

		batch->headers = pgmqc_check_array_nulls(fcinfo, headers_arg, "headers",
												 true, true);
		batch->header_elements = check_elements(batch->headers, true, &nheaders);
		if (nheaders != batch->n)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s and headers must have the same number of elements",
							messages_name),
					 errdetail("%s has %d elements, headers has %d.",
							   messages_name, batch->n, nheaders)));
	}
	check_batch_sizes(batch->message_elements, batch->header_elements, batch->n);
}

/*
 * Send the checked batch to queue or topic "name" after delay (checked
 * too, and the caller allowed to write), with ordering keys and
 * deduplication ids (NULL: none), returning the msg_ids as the rows of the
 * function called, in array order: the body of send_batch(), also behind
 * pgmq_c_compat's pgmq.send_batch.
 */
void
pgmqc_send_batch_rows(FunctionCallInfo fcinfo, const char *name,
					  PgmqcBatch * batch, Interval *delay,
					  Datum *keys, bool *key_nulls, Datum *ids, bool *id_nulls)
{
	PgmqcContext cxt;
	PgmqcQueue *queue;
	int64	   *sent;
	int			nsent;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	queue = connect_to_send(&cxt, name);
	if (batch->header_elements != NULL)
	{
		int			i;

		for (i = 0; i < batch->n; i++)
			check_dead_letter_origin(batch->header_elements[i]);
	}
	if (keys != NULL || ids != NULL)
	{
		sent = palloc((batch->n + 1) * sizeof(int64));
		send_general(queue, batch->n, batch->message_elements,
					 batch->header_elements, delay,
					 keys, key_nulls, ids, id_nulls, sent);
		nsent = batch->n;
	}
	else if (queue->kind == PGMQC_KIND_TOPIC)
	{
		pgmqc_topic_publish_batch(queue, batch->messages, batch->headers,
								  batch->n, delay, NULL);
		sent = pgmqc_collect_ids(&nsent);
		pgmqc_topic_batch_published(queue, sent, nsent, delay);
	}
	else
	{
		pgmqc_queue_send_batch(queue, batch->messages, batch->headers, delay);
		sent = pgmqc_collect_ids(&nsent);
		pgmqc_queue_batch_sent(queue, nsent, delay);
	}
	pgmqc_emit_ids(fcinfo, sent, nsent);
	pgmqc_spi_finish(&cxt);
}

/*
 * send_batch(queue_name text, messages jsonb[], headers jsonb[],
 *			  delay interval, ordering_keys text[], dedup_ids text[])
 *		RETURNS SETOF bigint
 *
 * The msg_ids come back in array order (they are drawn in that order, so
 * ascending, but for those of messages deduplicated, which are the first
 * sends').
 */
Datum
pgmqc_send_batch(PG_FUNCTION_ARGS)
{
	char	   *name = pgmqc_arg_name(fcinfo, 0);
	PgmqcBatch	batch;
	Interval   *delay;
	Datum	   *keys = NULL;
	bool	   *key_nulls = NULL;
	Datum	   *ids = NULL;
	bool	   *id_nulls = NULL;

	pgmqc_batch_arguments(fcinfo, "messages", 2, &batch);
	if (PG_NARGS() > 5)
	{
		keys = pgmqc_check_key_array(fcinfo, 4, "ordering_keys", "ordering_key",
									 batch.n, &key_nulls);
		ids = pgmqc_check_key_array(fcinfo, 5, "dedup_ids", "dedup_id",
									batch.n, &id_nulls);
	}
	delay = check_delay_arg(fcinfo, "send_batch()");
	pgmqc_send_batch_rows(fcinfo, name, &batch, delay, keys, key_nulls,
						  ids, id_nulls);
	PG_RETURN_NULL();
}
