/*-------------------------------------------------------------------------
 *
 * send_message.h
 *		Sending one message, the body of pgmq_c.send, shared with
 *		pgmq_c_compat's pgmq.send (functions/queue_send_functions.c).
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
#include "utils/jsonb.h"

extern int64 pgmqc_send_message(const char *name, Jsonb *message,
								Jsonb *headers, Interval *delay, Datum key,
								Datum dedup_id);

#endif							/* PGMQC_SEND_MESSAGE_H */
