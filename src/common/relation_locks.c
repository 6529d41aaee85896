/*-------------------------------------------------------------------------
 *
 * relation_locks.c
 *		Taking several of a queue's or topic's tables at once for an
 *		administrative call, without waiting in a circle with the calls
 *		that use them.
 *
 * drop_queue, purge_queue, a change of durability and drop_topic need
 * ACCESS EXCLUSIVE on several tables of one queue or topic.  The calls
 * that use those tables do not all take them in one order: a delayed send
 * takes the delayed table and then the sequence, a plain send the message
 * table, a keyed send the keys table first, a delete the message table
 * and then the keys table, a topic's send its sequence and then a
 * partition, a group's read the group's table and then the log; and a
 * client's transaction may make several such calls, each after the
 * other.  Whatever one order an administrative call took its tables in,
 * some transaction holding a later table and asking for an earlier one
 * would wait for it while it waited for them: a deadlock, and one of the
 * two fails with 40P01.
 *
 * One table of each is the gate: a queue's message table, a topic's cursor
 * table (common/object_cache.c).  Every call on the queue or topic takes
 * its gate first, before any other of its tables, and an administrative
 * call takes the gate first as well, waiting for it with nothing else
 * held, and keeps it: from then on no call holds any other of the tables
 * (it would hold the gate), new calls wait for the administrative one, and
 * the rest is free but for the background worker, which gives up after
 * its short lock_timeout.  The rest is taken the same way without the
 * gate's help, in case: every table it can without waiting; at the first
 * busy one, it lets go of those it took and waits for that one alone,
 * then tries them all again.  Letting go of a lock before the end of the
 * transaction is safe here because nothing was read or written under it.
 * Without the gate kept, a topic's readers and senders, which take its
 * other tables in both orders, could keep such a call going round for as
 * long as they came.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/relation_locks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/lmgr.h"

#include "common/relation_locks.h"

/*
 * Lock each relation of relids[0..n-1] (InvalidOid ones are skipped) in
 * mode without waiting.  True when every one is locked; otherwise none of
 * them is (those taken are let go), and *busy is the one another
 * transaction holds.
 */
bool
pgmqc_try_lock_relations(const Oid *relids, int n, LOCKMODE mode, Oid *busy)
{
	int			i;
	int			j;

	for (i = 0; i < n; i++)
	{
		if (!OidIsValid(relids[i]) ||
			ConditionalLockRelationOid(relids[i], mode))
			continue;
		*busy = relids[i];
		for (j = 0; j < i; j++)
			if (OidIsValid(relids[j]))
				UnlockRelationOid(relids[j], mode);
		return false;
	}
	return true;
}

/*
 * After pgmqc_try_lock_relations() found busy: wait for it, holding none
 * of the list.  The list's first relation, the gate, is then kept; any
 * other is let go at once.
 */
void
pgmqc_wait_for_busy(Oid busy, Oid gate, LOCKMODE mode)
{
	CHECK_FOR_INTERRUPTS();
	LockRelationOid(busy, mode);
	if (busy != gate)
		UnlockRelationOid(busy, mode);
}

/*
 * Lock each relation of relids[0..n-1] (InvalidOid ones are skipped) in
 * mode.  The first is the gate, which every call that uses the others
 * takes before them: it is waited for with nothing else of the list held,
 * and kept.  Then the others, waiting for them one at a time with none of
 * them held; the one waited for is kept while the rest are tried again
 * (without waiting), and let go before the next wait.  A relation dropped
 * meanwhile is locked by its OID all the same: the caller checks what
 * still exists afterwards.
 */
void
pgmqc_lock_relations(const Oid *relids, int n, LOCKMODE mode)
{
	Oid			kept = InvalidOid;
	Oid			busy = InvalidOid;

	if (n <= 0)
		return;
	if (OidIsValid(relids[0]))
	{
		CHECK_FOR_INTERRUPTS();
		LockRelationOid(relids[0], mode);
	}
	while (!pgmqc_try_lock_relations(relids + 1, n - 1, mode, &busy))
	{
		if (OidIsValid(kept))
			UnlockRelationOid(kept, mode);
		CHECK_FOR_INTERRUPTS();
		LockRelationOid(busy, mode);
		kept = busy;
	}
}
