/*-------------------------------------------------------------------------
 *
 * send_message.h
 *		Sending one message or a batch, the bodies of pgmq_c.send and
 *		pgmq_c.send_batch, shared with pgmq_c_compat's pgmq.send and
 *		pgmq.send_batch (functions/queue_send_functions.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/send_message.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_SEND_MESSAGE_H
#define PGMQC_SEND_MESSAGE_H

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/* the messages of a batch and their headers, checked */
typedef struct PgmqcBatch
{
	ArrayType  *messages;
	ArrayType  *headers;		/* or NULL */
	Jsonb	  **message_elements;
	Jsonb	  **header_elements;	/* or NULL; NULL elements: none */
	int			n;
}			PgmqcBatch;

extern int64 pgmqc_send_message(const char *name, Jsonb *message,
								Jsonb *headers, Interval *delay, Datum key,
								Datum dedup_id);
extern void pgmqc_batch_arguments(FunctionCallInfo fcinfo,
								  const char *messages_name, int headers_arg,
								  PgmqcBatch * batch);
extern void pgmqc_send_batch_rows(FunctionCallInfo fcinfo, const char *name,
								  PgmqcBatch * batch, Interval *delay,
								  Datum *keys, bool *key_nulls,
								  Datum *ids, bool *id_nulls);

#endif							/* PGMQC_SEND_MESSAGE_H */
