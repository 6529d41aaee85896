/*-------------------------------------------------------------------------
 *
 * receipts.c
 *		Receipts put in the order their messages are locked.
 *
 * A call that deletes, archives or acknowledges several messages locks
 * their rows one after the other until its transaction ends.  Two such
 * calls that lock the same rows in different orders can deadlock, and they
 * do meet on the same rows even when every consumer passes only its own
 * receipts: a receipt whose lease expired while the message was delivered
 * again is stale, but the statement that finds the row changed since its
 * snapshot locks the row's newest version before it sees that the read_ct
 * no longer matches (READ COMMITTED's recheck), and keeps that lock until
 * its transaction ends.
 *
 * So every such call locks in ascending msg_id order: its receipts are
 * sorted here, and its statement runs under pgmqc_plan_guard_ordered_begin
 * (no bitmap scan, which visits rows in their physical order), so that
 * whichever way the join of the receipts to the table is planned, rows
 * reach the delete in msg_id order.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/receipts.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"

#include "common/receipts.h"

/* a receipt, and where it was in the arrays (a stable sort) */
typedef struct Receipt
{
	int64		msg_id;
	int32		read_ct;
	int			position;
}			Receipt;

static int
compare_receipts(const void *a, const void *b)
{
	const		Receipt *x = (const Receipt *) a;
	const		Receipt *y = (const Receipt *) b;

	if (x->msg_id != y->msg_id)
		return (x->msg_id > y->msg_id) ? 1 : -1;
	return (x->position > y->position) - (x->position < y->position);
}

/*
 * Sort *msg_ids (a one-dimensional bigint[] without NULLs) ascending, and
 * *read_cts (NULL, or an integer[] of the same length without NULLs) along
 * with it.  Arrays already in order are left as they are (the common case:
 * consumers acknowledge what they read, in the order read returned it);
 * else both are replaced by sorted copies.
 */
void
pgmqc_receipts_in_lock_order(ArrayType **msg_ids, ArrayType **read_cts)
{
	int64	   *ids = (int64 *) ARR_DATA_PTR(*msg_ids);
	int32	   *cts = *read_cts ? (int32 *) ARR_DATA_PTR(*read_cts) : NULL;
	int			n = ArrayGetNItems(ARR_NDIM(*msg_ids), ARR_DIMS(*msg_ids));
	Receipt    *receipts;
	Datum	   *id_datums;
	Datum	   *ct_datums;
	int			i;

	Assert(!ARR_HASNULL(*msg_ids));
	Assert(*read_cts == NULL || !ARR_HASNULL(*read_cts));
	for (i = 1; i < n; i++)
		if (ids[i] < ids[i - 1])
			break;
	if (i >= n)
		return;

	receipts = palloc(n * sizeof(Receipt));
	for (i = 0; i < n; i++)
	{
		receipts[i].msg_id = ids[i];
		receipts[i].read_ct = cts ? cts[i] : 0;
		receipts[i].position = i;
	}
	qsort(receipts, n, sizeof(Receipt), compare_receipts);

	id_datums = palloc(n * sizeof(Datum));
	ct_datums = palloc(n * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		id_datums[i] = Int64GetDatum(receipts[i].msg_id);
		ct_datums[i] = Int32GetDatum(receipts[i].read_ct);
	}
	*msg_ids = construct_array(id_datums, n, INT8OID, sizeof(int64),
							   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	if (cts)
		*read_cts = construct_array(ct_datums, n, INT4OID, sizeof(int32),
									true, TYPALIGN_INT);
	pfree(receipts);
	pfree(id_datums);
	pfree(ct_datums);
}
