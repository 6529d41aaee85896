/*-------------------------------------------------------------------------
 *
 * sending.c
 *		What every send, to a queue or a topic, does before it draws a
 *		msg_id: its statement's first parameters, and the sending
 *		transaction's XID.
 *
 * Ordering rule relied on by the settled ids (queue/watermark.c,
 * topic/settled_ids.c): the sending transaction has its XID assigned before
 * it draws a msg_id.  So any msg_id that a reader sees already handed out
 * belongs to a transaction whose XID is below the next XID the reader reads
 * afterwards.
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

/*
 * Set the parameters SEND_ARG_* of a send statement: the message (a jsonb,
 * or a jsonb[] for a batch), the headers (the same, or NULL) and the delay;
 * then assign the transaction's XID, before any msg_id is drawn.
 */
void
pgmqc_send_begin(Datum *values, char *nulls, Datum messages, Pointer headers,
				 Interval *delay)
{
	values[SEND_ARG_MESSAGES] = messages;
	nulls[SEND_ARG_MESSAGES] = ' ';
	values[SEND_ARG_HEADERS] = PointerGetDatum(headers);
	nulls[SEND_ARG_HEADERS] = headers == NULL ? 'n' : ' ';
	values[SEND_ARG_DELAY] = IntervalPGetDatum(delay);
	nulls[SEND_ARG_DELAY] = ' ';

	/* XID first, then msg_id: see the file header */
	(void) GetTopTransactionId();
}
