/*-------------------------------------------------------------------------
 *
 * relation_locks.h
 *		Taking several of a queue's or topic's tables at once for an
 *		administrative call, without waiting in a circle with the calls
 *		that use them (common/relation_locks.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/relation_locks.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_RELATION_LOCKS_H
#define PGMQC_RELATION_LOCKS_H

#include "storage/lockdefs.h"

extern bool pgmqc_try_lock_relations(const Oid *relids, int n, LOCKMODE mode,
									 Oid *busy);
extern void pgmqc_wait_for_busy(Oid busy, Oid gate, LOCKMODE mode);
extern void pgmqc_lock_relations(const Oid *relids, int n, LOCKMODE mode);

#endif							/* PGMQC_RELATION_LOCKS_H */
