/*-------------------------------------------------------------------------
 *
 * dedup.h
 *		Deduplication ids of sends (common/dedup.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/dedup.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_DEDUP_H
#define PGMQC_DEDUP_H

#include "datatype/timestamp.h"
#include "common/object_cache.h"

/* the partitions a send looks its ids up in and remembers them in */
typedef struct PgmqcDedupScope PgmqcDedupScope;

extern PgmqcDedupScope *pgmqc_dedup_open(PgmqcQueue *queue, Datum *ids,
										 int n);
extern int64 pgmqc_dedup_find(PgmqcDedupScope *scope, Datum id);
extern bool pgmqc_dedup_claimable(PgmqcDedupScope *scope);
extern int64 pgmqc_dedup_claim(PgmqcDedupScope *scope, Datum id,
							   int64 msg_id);
extern void pgmqc_dedup_record(PgmqcDedupScope *scope, const Datum *ids,
							   const int64 *msg_ids, int n);
extern void pgmqc_dedup_close(PgmqcDedupScope *scope);
extern int	pgmqc_dedup_maintain(void);
extern void pgmqc_dedup_days_for_new(void);
extern void pgmqc_dedup_relcache_changed(Oid relid);
extern void pgmqc_dedup_forget_untrusted(int32 queue_id);

#endif							/* PGMQC_DEDUP_H */
