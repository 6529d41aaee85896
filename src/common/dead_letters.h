/*-------------------------------------------------------------------------
 *
 * dead_letters.h
 *		What the retry policies of queues and consumer groups share: sorting
 *		out what a claim did with each message it came across, and sending
 *		dead letters to a dead-letter queue (common/dead_letters.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/dead_letters.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_DEAD_LETTERS_H
#define PGMQC_DEAD_LETTERS_H

#include "datatype/timestamp.h"
#include "executor/spi.h"

#include "common/object_cache.h"

/*
 * A read deals with at most this many dead messages and expired leases
 * waiting for their backoff (common/dead_letters.c); past them, its claim
 * looks only for messages it may deliver.
 */
#define PGMQC_HEAD_LIMIT	1000

/* the headers key of a dead letter that says where it came from */
#define PGMQC_DEAD_LETTER_KEY	"pgmq_c_dead_letter"

/*
 * What a claim (STMT_CLAIM, STMT_GROUP_CLAIM) did besides leasing: the
 * msg_ids of the dead messages it marked, to be moved in the same
 * transaction, and the messages it made wait for their backoff.
 */
typedef struct PgmqcClaimOutcome
{
	int			claimed;		/* messages leased, left in the result */
	int			dead;			/* dead messages marked */
	int64	   *dead_ids;		/* their msg_ids (palloc'd) */
	int			backed_off;		/* messages now waiting for their backoff */
	TimestampTz first_retry;	/* the earliest end of those backoffs */
	SPITupleTable *result;		/* the claim's result, claimed rows only */
} PgmqcClaimOutcome;

/*
 * The rounds of one claim call: how many dead messages and expired leases
 * it dealt with, and whether it now looks past them (the claim's $7).
 */
typedef struct PgmqcClaimRounds
{
	int			processed;
	bool		skipping;
} PgmqcClaimRounds;

extern void pgmqc_claim_outcome(int n, PgmqcClaimOutcome *outcome);
extern bool pgmqc_claim_round_ends(PgmqcClaimRounds *rounds,
								   const PgmqcClaimOutcome *outcome,
								   int32 queue_id, bool notify);
extern int	pgmqc_claim_head_budget(PgmqcClaimRounds *rounds);
extern void pgmqc_claim_head_dealt(PgmqcClaimRounds *rounds, int dealt);
extern void pgmqc_claim_result_restore(const PgmqcClaimOutcome *outcome);
extern Datum pgmqc_id_array(const int64 *ids, int n);
extern int64 pgmqc_send_dead_letters(const char *dead_letter_queue);
extern bool pgmqc_dead_letter_queue_shown(const char *dead_letter_queue);
extern bool pgmqc_dead_letters_allowed(const char *dead_letter_queue,
									   Oid source_owner);

#define NACK_NUM_ARGS		7
#define BACKOFF_NUM_ARGS	5
extern void pgmqc_nack_args(const PgmqcRetryPolicy *retry, int64 msg_id,
							Interval *delay, bool has_read_ct, int32 read_ct,
							text *reason, Datum *values, char *nulls);
extern void pgmqc_backoff_args(const PgmqcRetryPolicy *retry, int64 watermark,
							   int limit, Datum *values, char *nulls);
extern int	pgmqc_backoff_done(int32 queue_id, bool notify);
extern int64 *pgmqc_id_array_result(int *n);

#endif							/* PGMQC_DEAD_LETTERS_H */
