/*-------------------------------------------------------------------------
 *
 * receipts.h
 *		Receipts put in the order their messages are locked
 *		(common/receipts.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/receipts.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_RECEIPTS_H
#define PGMQC_RECEIPTS_H

#include "utils/array.h"

extern void pgmqc_receipts_in_lock_order(ArrayType **msg_ids,
										 ArrayType **read_cts);

#endif							/* PGMQC_RECEIPTS_H */
