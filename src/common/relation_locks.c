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
 * So the administrative call holds none of them while it waits: it takes
 * every table it can without waiting; at the first one another
 * transaction holds, it lets go of those it took and waits for that one
 * alone, then tries them all again, keeping the one it waited for until
 * it has to wait again.  A transaction in its way never waits for it,
 * finishes, and lets it through.  Letting go of a lock before the end of the transaction is
 * safe here because nothing was read or written under it yet.
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
 * Wait until no other transaction holds a lock on relid that conflicts
 * with mode, and hold none after.
 */
void
pgmqc_wait_for_relation(Oid relid, LOCKMODE mode)
{
	CHECK_FOR_INTERRUPTS();
	LockRelationOid(relid, mode);
	UnlockRelationOid(relid, mode);
}

/*
 * Lock each relation of relids[0..n-1] (InvalidOid ones are skipped) in
 * mode, waiting for others' locks one relation at a time with none of the
 * others held.  The one waited for is kept while the others are tried
 * again (without waiting), and let go before the next wait.  A relation
 * dropped meanwhile is locked by its OID all the same: the caller checks
 * what still exists afterwards.
 */
void
pgmqc_lock_relations(const Oid *relids, int n, LOCKMODE mode)
{
	Oid			kept = InvalidOid;
	Oid			busy = InvalidOid;

	while (!pgmqc_try_lock_relations(relids, n, mode, &busy))
	{
		if (OidIsValid(kept))
			UnlockRelationOid(kept, mode);
		CHECK_FOR_INTERRUPTS();
		LockRelationOid(busy, mode);
		kept = busy;
	}
}
