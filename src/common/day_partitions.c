/*-------------------------------------------------------------------------
 *
 * day_partitions.c
 *		What tables partitioned by UTC day share: the day of a time, and
 *		which partitions are past a cutoff.
 *
 * A queue's archive under archive_retention (queue/archive_partitions.c)
 * and pgmq_c.dedup_ids (common/dedup.c) have one partition per UTC day,
 * named <prefix><day since 1970>, which the worker makes ahead and drops
 * whole once past their retention.  Their partitions are listed by a
 * statement with the columns ARCHIVE_PARTITION_COL_* (the partition's name,
 * the end of its range, its day when it is a day partition).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/day_partitions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "common/day_partitions.h"
#include "common/statements.h"

/* The day (since 1970, UTC) of a time. */
int64
pgmqc_day_of(TimestampTz ts)
{
	/* the Unix epoch, as a timestamp */
	const TimestampTz epoch = (TimestampTz) (UNIX_EPOCH_JDATE - POSTGRES_EPOCH_JDATE) *
	SECS_PER_DAY * USECS_PER_SEC;
	int64		secs = (ts - epoch) / USECS_PER_SEC;

	return secs >= 0 ? secs / PGMQC_DAY_SECS :
		-((-secs + PGMQC_DAY_SECS - 1) / PGMQC_DAY_SECS);
}

/*
 * Of the n partitions listed in the current SPI result: the names of those
 * whose range ends at or before cutoff (*nexpired of them; one whose end
 * could not be read is never among them), and in
 * *last_day the latest day made (left as it is when it is later).
 */
char	  **
pgmqc_expired_days(int n, TimestampTz cutoff, int64 *last_day, int *nexpired)
{
	char	  **expired = palloc((n + 1) * sizeof(char *));
	int			i;

	*nexpired = 0;
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		value = pgmqc_column(i, ARCHIVE_PARTITION_COL_DAY, &isnull);
		Datum		end;

		if (!isnull)
			*last_day = Max(*last_day, DatumGetInt64(value));

		/*
		 * A bound the statement could not read (not one of ours) is never
		 * taken as past the cutoff: better a partition kept than one dropped
		 * by mistake.
		 */
		end = pgmqc_column(i, ARCHIVE_PARTITION_COL_END, &isnull);
		if (!isnull && DatumGetTimestampTz(end) <= cutoff)
			expired[(*nexpired)++] =
				TextDatumGetCString(pgmqc_column(i, ARCHIVE_PARTITION_COL_NAME, &isnull));
	}
	return expired;
}
