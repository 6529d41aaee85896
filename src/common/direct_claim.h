/*-------------------------------------------------------------------------
 *
 * direct_claim.h
 *		A queue's claim without a statement (common/direct_claim.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/direct_claim.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_DIRECT_CLAIM_H
#define PGMQC_DIRECT_CLAIM_H

#include "datatype/timestamp.h"

/* pgmqc_direct_claim could not claim: run the statement instead */
#define PGMQC_DIRECT_CLAIM_UNABLE	(-1)

extern int	pgmqc_direct_claim(Oid relid, int32 qty, Interval *vt, int64 start);

#endif							/* PGMQC_DIRECT_CLAIM_H */
