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
#include "utils/timestamp.h"

#include "common/sending.h"
#include "shared_memory/shared_memory.h"

/*
 * Set the parameters SEND_ARG_* of a send statement to queue or topic
 * target_id: the message (a jsonb, or a jsonb[] for a batch), the headers
 * (the same, or NULL) and the delay; then assign the transaction's XID and
 * record it as a sender of target_id, before any msg_id is drawn.
 */
void
pgmqc_send_begin(int32 target_id, Datum *values, char *nulls, Datum messages,
				 Pointer headers, Interval *delay)
{
	values[SEND_ARG_MESSAGES] = messages;
	nulls[SEND_ARG_MESSAGES] = ' ';
	values[SEND_ARG_HEADERS] = PointerGetDatum(headers);
	nulls[SEND_ARG_HEADERS] = headers == NULL ? 'n' : ' ';
	values[SEND_ARG_DELAY] = IntervalPGetDatum(delay);
	nulls[SEND_ARG_DELAY] = ' ';

	/* XID and sender first, then msg_id: see the file header */
	(void) GetTopTransactionId();
	pgmqc_sender_register(target_id);
}
