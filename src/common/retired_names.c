/*-------------------------------------------------------------------------
 *
 * retired_names.c
 *		The next msg_id of a dropped queue or topic, kept under its name.
 *
 * A receipt names a queue (or topic) and a msg_id.  A queue dropped and
 * made again under its name would number its messages from 1 again, and a
 * consumer still holding a receipt of the old queue would delete, archive
 * or acknowledge a message of the new one that it never read.  So a drop
 * keeps the queue's next msg_id in pgmq_c.retired_names (0.8.0), and a
 * queue or topic made under that name starts its sequence there and
 * forgets the row.  Names dropped and never used again keep a row of a few
 * bytes.  A new timeline moves the rows on as it moves the sequences
 * (common/timelines.c).
 *
 * Before ALTER EXTENSION pgmq_c UPDATE to 0.8.0 there is no such table,
 * and queues made again start from 1, as they did.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/retired_names.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pgmq_c.h"
#include "common/retired_names.h"
#include "common/statements.h"

/* Whether the catalog has pgmq_c.retired_names (0.8.0). */
bool
pgmqc_retired_names_exist(void)
{
	return OidIsValid(get_relname_relid("retired_names",
										get_namespace_oid("pgmq_c", false)));
}

/*
 * Keep the next msg_id of queue or topic queue_id, drawn from sequence (its
 * msg_id sequence; InvalidOid when it is gone), under its name.  Before its
 * catalog row and its sequence are dropped; inside SPI.
 */
void
pgmqc_retire_name(int32 queue_id, Oid sequence)
{
	Datum		args[2];
	char		nulls[2] = {' ', ' '};

	if (!pgmqc_retired_names_exist())
		return;
	args[0] = Int32GetDatum(queue_id);
	args[1] = ObjectIdGetDatum(sequence);
	if (!OidIsValid(sequence))
		nulls[1] = 'n';
	(void) pgmqc_run_catalog(STMT_RETIRE_NAME, args, nulls, 0);
}

/*
 * For a queue or topic just made as name, with msg_id sequence sequence:
 * start the sequence where one dropped under that name left off, and
 * forget that.  Returns its first msg_id (1 when the name was not used).
 * Inside SPI.
 */
int64
pgmqc_retired_start(const char *name, Oid sequence)
{
	Datum		arg;
	Datum		args[2];
	bool		isnull;
	int64		start;

	if (!pgmqc_retired_names_exist())
		return 1;
	arg = CStringGetTextDatum(name);
	if (pgmqc_run_catalog(STMT_TAKE_RETIRED_NAME, &arg, NULL, 0) == 0)
		return 1;
	start = pgmqc_column_int64(0, VALUE_COL, &isnull);
	if (isnull || start <= 1)
		return 1;
	args[0] = ObjectIdGetDatum(sequence);
	args[1] = Int64GetDatum(start);
	(void) pgmqc_run_catalog(STMT_SEQUENCE_START, args, NULL, 0);
	return start;
}

/* Move every kept msg_id on by gap, as a new timeline moves the sequences. */
void
pgmqc_retired_names_advance(int64 gap)
{
	Datum		arg = Int64GetDatum(gap);

	if (!pgmqc_retired_names_exist())
		return;
	(void) pgmqc_run_catalog(STMT_ADVANCE_RETIRED_NAMES, &arg, NULL, 0);
}
