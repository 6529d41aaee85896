/*-------------------------------------------------------------------------
 *
 * sending.c
 *		What every send, to a queue or a topic, does before it draws a
 *		msg_id: its statement's first parameters, the sending transaction's
 *		XID, and the transaction recorded as a sender of the queue or topic.
 *
 * Ordering rule relied on by the settled ids (queue/watermark.c,
 * topic/settled_ids.c): the sending transaction has its XID assigned, and
 * recorded among the senders of its queue or topic
 * (shared_memory/senders.c), before it draws a msg_id.  So any msg_id that
 * a reader sees already handed out belongs to a transaction whose XID is
 * below the next XID the reader reads afterwards, and which the reader
 * finds among the senders of that queue or topic: only those transactions
 * hold back its watermark, not every transaction of the cluster.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/sending.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "catalog/pg_sequence.h"
#include "utils/syscache.h"

#include "common/object_cache.h"
#include "common/sending.h"
#include "shared_memory/shared_memory.h"

/*
 * Refuse to draw msg_ids from a sequence that hands them out in advance
 * (ALTER SEQUENCE ... CACHE n): a backend would then send, in a later
 * transaction, an id below those that readers already count as settled
 * (queue/watermark.c, topic/settled_ids.c), and the message would never be
 * read.
 */
static void
check_sequence_cache(PgmqcQueue *target)
{
	HeapTuple	tuple;
	int64		cache = 1;

	if (!OidIsValid(target->sequence_relid))
		return;
	tuple = SearchSysCache1(SEQRELID, ObjectIdGetDatum(target->sequence_relid));
	if (!HeapTupleIsValid(tuple))
		return;					/* dropped: reported when it is used */
	cache = ((Form_pg_sequence) GETSTRUCT(tuple))->seqcache;
	ReleaseSysCache(tuple);
	if (cache > 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the msg_id sequence of %s \"%s\" caches " INT64_FORMAT " values",
						target->kind == PGMQC_KIND_TOPIC ? "topic" : "queue",
						target->name, cache),
				 errdetail("A msg_id drawn in advance by one session and sent later would fall behind the ids readers have passed, and its message would never be read."),
				 errhint("Run ALTER SEQUENCE %s CACHE 1.",
						 quote_qualified_identifier("pgmq_c",
													get_rel_name(target->sequence_relid)))));
}

/*
 * Set the parameters SEND_ARG_* of a send statement to queue or topic
 * target: the message (a jsonb, or a jsonb[] for a batch), the headers (the
 * same, or NULL) and the delay; then assign the transaction's XID and
 * record it as a sender of target, before any msg_id is drawn.
 */
void
pgmqc_send_begin(PgmqcQueue *target, Datum *values, char *nulls,
				 Datum messages, Pointer headers, Interval *delay)
{
	values[SEND_ARG_MESSAGES] = messages;
	nulls[SEND_ARG_MESSAGES] = ' ';
	values[SEND_ARG_HEADERS] = PointerGetDatum(headers);
	nulls[SEND_ARG_HEADERS] = headers == NULL ? 'n' : ' ';
	values[SEND_ARG_DELAY] = IntervalPGetDatum(delay);
	nulls[SEND_ARG_DELAY] = ' ';

	check_sequence_cache(target);

	/* XID and sender first, then msg_id: see the file header */
	(void) GetTopTransactionId();
	pgmqc_sender_register(target->queue_id);
}
