/*-------------------------------------------------------------------------
 *
 * free_ids.h
 *		A new queue, topic or group takes an id whose tables do not exist
 *		(common/free_ids.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/free_ids.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_FREE_IDS_H
#define PGMQC_FREE_IDS_H

typedef enum PgmqcFreeIdKind
{
	PGMQC_FREE_ID_QUEUE,
	PGMQC_FREE_ID_TOPIC,
	PGMQC_FREE_ID_GROUP,
} PgmqcFreeIdKind;

extern int32 pgmqc_free_id(PgmqcFreeIdKind kind, int32 id);

#endif							/* PGMQC_FREE_IDS_H */
