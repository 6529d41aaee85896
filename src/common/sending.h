/*-------------------------------------------------------------------------
 *
 * sending.h
 *		What every send does before it draws a msg_id (common/sending.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/sending.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_SENDING_H
#define PGMQC_SENDING_H

#include "datatype/timestamp.h"
#include "common/object_cache.h"

/*
 * The parameters that every send statement (STMT_SEND*, STMT_TOPIC_SEND*)
 * begins with, as indexes into its values and nulls arrays.
 */
typedef enum PgmqcSendArgument
{
	SEND_ARG_MESSAGES,			/* jsonb, or jsonb[] for a batch */
	SEND_ARG_HEADERS,			/* the same, or NULL */
	SEND_ARG_DELAY,				/* interval */
	SEND_NUM_ARGS
} PgmqcSendArgument;

extern void pgmqc_send_begin(PgmqcQueue *target, Datum *values,
							 char *nulls, Datum messages, Pointer headers,
							 Interval *delay);

#endif							/* PGMQC_SENDING_H */
