/*-------------------------------------------------------------------------
 *
 * statements.c
 *		The statement catalogue: the text of every statement pgmq_c keeps
 *		prepared, and the one way they are expanded, prepared and run.
 *
 * Placeholders, each expanded to a schema-qualified, quoted identifier
 * made from ids only (statements.h lists the relations):
 *
 *	{messages} {delayed} {archive}	a queue's tables q_, d_, a_<queue id>
 *	{sequence}						a queue's msg_id sequence q_<id>_seq
 *	{log} {log_sequence}			a topic's log t_<id> and its sequence
 *	{partition}						partition t_<id>_p<n> of a topic's log
 *	{cursors}						a topic's cursor table c_<topic id>
 *	{group}							a consumer group's table g_<group id>
 *
 *	{archive_partition} {archive_default} {archive_before}	partition n
 *						(day n), the default partition and the partition
 *						of what was archived before, of a queue's archive
 *						partitioned by day
 *
 *	{pending} {keys}	a queue's pending messages p_<id> and its ordering
 *						keys k_<id> (0.7.0)
 *	{dedup_partition}	day n of pgmq_c.dedup_ids
 *
 * Two placeholders follow the catalog's version, so that one statement
 * serves a catalog from before ALTER EXTENSION pgmq_c UPDATE too: {key:a}
 * is the ordering key of the row a (a.ordering_key; {key:} unqualified),
 * or NULL before 0.7.0; {if_keys:text} is text from 0.7.0 on, else nothing.
 * {group_blocks} is pgmq_c.group_blocks (0.8.0), or before 0.8.0 an empty
 * relation with its columns, to be given an alias: a catalog without blocks
 * has none to count.  A statement that writes blocks names the table and
 * runs only where it exists (pgmqc_group_blocks_exist).
 *
 * and, with the suffix _regclass ({messages_regclass}, {sequence_regclass},
 * ...), the same relation as a quoted literal cast to pg_catalog.regclass,
 * for functions that take a relation (nextval, pg_stat_get_live_tuples);
 * with the suffix _bare, its quoted name without the schema (RENAME TO).
 * Statements run once (DDL) may also use {queue_id}, {group_id},
 * {partition_start} and {partition_end} (the msg_id range of partition
 * {partition}).  Comments on tables name the queue, topic or group by its
 * id, never by its name: pg_description is readable by every role, the
 * catalog of names only through the API.
 *
 * Statements on a queue, topic or group are prepared once per backend and
 * object, kept with SPI_keepplan() in its cache entry (object_cache.c);
 * catalog statements once per backend, here.  Every statement qualifies
 * its operators and functions (OPERATOR(pg_catalog.=), pg_catalog.now())
 * although the search path is pinned (security.c).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/statements.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "common/statements.h"
#include "common/security.h"

typedef struct StatementDef
{
	PgmqcStatementOwner owner;	/* where its plan is kept */
	const char *sql;
	int			nargs;
	Oid			argtypes[8];
	bool		read_only;		/* SPI read_only: no new snapshot, no CCI */
} StatementDef;

/*
 * The retry backoff of a message read rc times, as an interval: $b seconds
 * doubled with each delivery after the first, times a random factor between
 * 0.9 and 1.1, at most $m seconds.  The exponent stops at 60, where $m has
 * long capped it.  (Every OPERATOR() has the same precedence and binds left
 * to right: products are bracketed.)
 */
#define BACKOFF(rc, b, m) \
	"pg_catalog.make_interval(secs => LEAST(" m ", (" b " OPERATOR(pg_catalog.*) " \
	"pg_catalog.power(2::pg_catalog.float8, GREATEST(LEAST(" rc " OPERATOR(pg_catalog.-) 1, 60), 0)))" \
	" OPERATOR(pg_catalog.*) (0.9::pg_catalog.float8 OPERATOR(pg_catalog.+) " \
	"(0.2::pg_catalog.float8 OPERATOR(pg_catalog.*) pg_catalog.random()))))"

/*
 * What a claim does with a message it comes across, in its SET list (of
 * the old row "alias"): one read max_deliveries ($4) times is dead (marked
 * with vt infinity, to be moved in the same transaction); one whose lease
 * expired, with a backoff policy ($5, $6), waits for its backoff; any other
 * is leased for $2.
 */
/*
 * When a batch sent after a delay ($3) is due: one time for the whole batch
 * (a scalar subquery without outer references, evaluated once per execution), so that
 * its messages come due together, as they were sent together.
 */
#define BATCH_DUE "(SELECT pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $3)"

#define CLAIM_DEAD(alias) "COALESCE(" alias ".read_ct OPERATOR(pg_catalog.>=) $4, false)"
#define CLAIM_BACKS_OFF(alias) "($5 IS NOT NULL AND " alias ".leased)"
#define CLAIM_SET(alias) \
	"vt = CASE WHEN " CLAIM_DEAD(alias) " THEN 'infinity'::pg_catalog.timestamptz " \
	"WHEN " CLAIM_BACKS_OFF(alias) " THEN " alias ".vt OPERATOR(pg_catalog.+) " \
	BACKOFF(alias ".read_ct", "$5", "$6") " " \
	"ELSE pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2 END, " \
	"read_ct = CASE WHEN " CLAIM_DEAD(alias) " OR " CLAIM_BACKS_OFF(alias) \
	" THEN " alias ".read_ct ELSE " alias ".read_ct OPERATOR(pg_catalog.+) 1 END, " \
	"leased = NOT (" CLAIM_DEAD(alias) " OR " CLAIM_BACKS_OFF(alias) ") "
/* ... and, in its RETURNING list (of the new row), what it did */
#define CLAIM_OUTCOME(alias) \
	"CASE WHEN " alias ".leased THEN 'c' WHEN " alias ".vt OPERATOR(pg_catalog.=) " \
	"'infinity'::pg_catalog.timestamptz THEN 'd' ELSE 'b' END::pg_catalog.\"char\""

/*
 * A group's candidates also leave out a message while an earlier message of
 * its ordering key is in the group's table: one message of a key at a time
 * (the table's rows alias h).
 */
#define CLAIM_KEY_HEADS \
	"AND ({key:h} IS NULL OR NOT EXISTS (SELECT 1 FROM {group} x " \
	"WHERE {key:x} OPERATOR(pg_catalog.=) {key:h} AND x.msg_id OPERATOR(pg_catalog.<) h.msg_id)) "

/*
 * A pop's key gate (queue/claim.c): a keyed candidate (the rows of the
 * message table aliased alias) only when its key's row can be locked at
 * once, and is, to the transaction's end; a key without a row has nothing
 * to wait for.  docs/design.md section 14, "A pop never waits".
 */
#define POP_KEY_GATE(alias) \
	"AND (" alias ".ordering_key IS NULL " \
	"OR EXISTS (SELECT 1 FROM {keys} y WHERE y.ordering_key OPERATOR(pg_catalog.=) " \
	alias ".ordering_key FOR UPDATE SKIP LOCKED) " \
	"OR NOT EXISTS (SELECT 1 FROM {keys} y WHERE y.ordering_key OPERATOR(pg_catalog.=) " \
	alias ".ordering_key)) "

/* the candidates of a claim: the first $1 visible messages from $3 on */
#define CLAIM_CANDIDATES(table, filter) \
	"SELECT msg_id FROM " table " WHERE msg_id OPERATOR(pg_catalog.>=) $3 " \
	"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() " filter \
	"ORDER BY msg_id LIMIT $1 FOR UPDATE SKIP LOCKED"
/*
 * ... and, with $7 (a claim that has dealt with as many dead messages and
 * expired leases as one call may), without those: they are left for the
 * next call and the worker.
 */
#define CLAIM_SKIPPING \
	"AND NOT ($7 AND (COALESCE(read_ct OPERATOR(pg_catalog.>=) $4, false) " \
	"OR ($5 IS NOT NULL AND leased))) "

/*
 * A nack's SET list: the message is visible again after $2, or without $2
 * after the backoff ($6, $7), or at once; $4 is the reason (NULL keeps the
 * one an earlier nack gave).
 */
#define NACK_SET(alias) \
	"vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) CASE " \
	"WHEN $2 IS NOT NULL THEN $2 WHEN $6 IS NOT NULL THEN " \
	BACKOFF(alias ".read_ct", "$6", "$7") " ELSE '0'::pg_catalog.interval END, " \
	"leased = false, reason = COALESCE($4, " alias ".reason) "
#define NACK_TYPES {INT8OID, INTERVALOID, INT4OID, TEXTOID, INT4OID, FLOAT8OID, FLOAT8OID}

/*
 * The headers of a dead letter "d": its own, with the key
 * pgmq_c_dead_letter saying where it came from ("origin": key, value
 * pairs), its msg_id and read_ct there, when it was sent and dead-lettered,
 * the reason of its last nack and, if it had one, its ordering key (which
 * redrive gives it back).  A message that already had the key (a dead
 * letter dead-lettered again, by its dead-letter queue's own policy or
 * after a redrive to another queue) keeps it inside the new one as
 * "previous", which redrive to the origin puts back: before, the new key
 * replaced it, and where the message first came from and its ordering key
 * were lost (review h45).
 */
#define DEAD_LETTER_HEADERS(origin) \
	"COALESCE(d.headers, pg_catalog.jsonb_build_object()) OPERATOR(pg_catalog.||) " \
	"pg_catalog.jsonb_build_object('pgmq_c_dead_letter', pg_catalog.jsonb_build_object(" \
	origin ", 'msg_id', d.msg_id, 'read_ct', d.read_ct, 'enqueued_at', d.enqueued_at, " \
	"'dead_lettered_at', pg_catalog.clock_timestamp(), 'reason', d.reason) " \
	"OPERATOR(pg_catalog.||) CASE WHEN d.ordering_key IS NULL THEN pg_catalog.jsonb_build_object() " \
	"ELSE pg_catalog.jsonb_build_object('ordering_key', d.ordering_key) END " \
	"OPERATOR(pg_catalog.||) CASE WHEN (d.headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter') IS NULL " \
	"THEN pg_catalog.jsonb_build_object() ELSE pg_catalog.jsonb_build_object('previous', " \
	"d.headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter') END)"

/* the messages of the dead letters "d" and their headers, as two arrays */
#define DEAD_LETTER_ARRAYS(origin) \
	"SELECT pg_catalog.array_agg(d.message ORDER BY d.msg_id), " \
	"pg_catalog.array_agg(" DEAD_LETTER_HEADERS(origin) " ORDER BY d.msg_id), " \
	"pg_catalog.count(*) FROM d"

/*
 * The head of a table of messages: the first 1000 live messages from $1 on
 * (read messages are there, near the watermark).  A range, not a list: the
 * scan stops at its end.
 */
#define HEAD_WINDOW(table) \
	"msg_id OPERATOR(pg_catalog.>=) $1 AND msg_id OPERATOR(pg_catalog.<=) " \
	"COALESCE((SELECT msg_id FROM " table " WHERE msg_id OPERATOR(pg_catalog.>=) $1 " \
	"ORDER BY msg_id OFFSET 999 LIMIT 1), 9223372036854775807) "

/*
 * the first $3 dead messages (read $2 times, visible) at the head, locked;
 * also those a claim marked dead (vt infinity) whose move did not happen (a
 * group's, while its topic's owner may not send to the dead-letter queue)
 */
#define DEAD_LETTER_IDS(table) \
	"SELECT pg_catalog.array_agg(s.msg_id) FROM (SELECT msg_id FROM " table " " \
	"WHERE " HEAD_WINDOW(table) \
	"AND read_ct OPERATOR(pg_catalog.>=) $2 " \
	"AND (vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() " \
	" OR vt OPERATOR(pg_catalog.=) 'infinity'::pg_catalog.timestamptz) " \
	"ORDER BY msg_id LIMIT $3 FOR UPDATE SKIP LOCKED) s"

/*
 * Make the first $3 expired leases at the head (not dead: read fewer than
 * $2 times) wait for their backoff ($4, $5); how many, and the earliest end
 * of those backoffs.
 */
#define BACKOFF_EXPIRED(table) \
	"WITH u AS (UPDATE " table " q SET vt = q.vt OPERATOR(pg_catalog.+) " \
	BACKOFF("q.read_ct", "$4", "$5") ", leased = false " \
	"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT msg_id FROM " table " " \
	"WHERE " HEAD_WINDOW(table) "AND leased " \
	"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() " \
	"AND NOT COALESCE(read_ct OPERATOR(pg_catalog.>=) $2, false) " \
	"ORDER BY msg_id LIMIT $3 FOR UPDATE SKIP LOCKED)) RETURNING q.vt) " \
	"SELECT pg_catalog.count(*), pg_catalog.min(vt) FROM u"

/*
 * Hand the next messages (up to $3 examined, from $1 to $2, those whose
 * headers contain $4) to the group, leasing the first $5 that are due to
 * this reader for $6.  Returns the leased messages, each row also
 * carrying how many messages were examined, the last one examined and how
 * many were handed out; a single row of NULL messages when none was
 * leased.  extra_columns and extra_values: more columns of the rows
 * inserted into the group table.
 */
#define GROUP_FILL(extra_columns, extra_values) \
	"WITH s AS (SELECT msg_id, enqueued_at, deliver_at, message, headers, {key:} AS ordering_key FROM {log} " \
	"WHERE msg_id OPERATOR(pg_catalog.>=) $1 AND msg_id OPERATOR(pg_catalog.<=) $2 " \
	"ORDER BY msg_id LIMIT $3), " \
	"e AS (SELECT s.*, (s.deliver_at IS NULL OR s.deliver_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()) " \
	"AND (s.ordering_key IS NULL OR (pg_catalog.row_number() OVER (PARTITION BY s.ordering_key ORDER BY s.msg_id) " \
	"OPERATOR(pg_catalog.=) 1 AND NOT EXISTS (SELECT 1 FROM {group} x WHERE {key:x} OPERATOR(pg_catalog.=) s.ordering_key))) " \
	"AS eligible FROM s WHERE $4 IS NULL OR s.headers OPERATOR(pg_catalog.@>) $4), " \
	"f AS (SELECT e.msg_id, e.enqueued_at, e.deliver_at, e.message, e.headers, e.ordering_key, " \
	"e.eligible AND pg_catalog.count(*) FILTER (WHERE e.eligible) OVER (ORDER BY e.msg_id) " \
	"OPERATOR(pg_catalog.<=) $5 AS lease FROM e), " \
	"ins AS (INSERT INTO {group} (msg_id, read_ct, vt" extra_columns ") " \
	"SELECT f.msg_id, CASE WHEN f.lease THEN 1 ELSE 0 END, " \
	"CASE WHEN f.lease THEN pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $6 " \
	"ELSE COALESCE(f.deliver_at, '-infinity'::pg_catalog.timestamptz) END" extra_values " " \
	"FROM f RETURNING msg_id, read_ct, vt), " \
	"a AS (SELECT (SELECT pg_catalog.count(*) FROM s) AS examined, " \
	"(SELECT pg_catalog.max(msg_id) FROM s) AS max_id, " \
	"(SELECT pg_catalog.count(*) FROM ins) AS added) " \
	"SELECT x.msg_id, x.read_ct, x.enqueued_at, x.vt, x.message, x.headers, x.ordering_key, " \
	"a.examined, a.max_id, a.added " \
	"FROM a LEFT JOIN (SELECT ins.msg_id, ins.read_ct, f.enqueued_at, ins.vt, f.message, f.headers, f.ordering_key " \
	"FROM ins JOIN f ON f.msg_id OPERATOR(pg_catalog.=) ins.msg_id " \
	"WHERE ins.read_ct OPERATOR(pg_catalog.=) 1) x ON true"

/*
 * A fill that leases nothing (the worker's): the same rows handed out as by
 * GROUP_FILL with no lease, without reading the messages' bodies.
 */
#define GROUP_HAND_OUT(extra_columns, extra_values) \
	"WITH s AS (SELECT msg_id, deliver_at, headers, {key:} AS ordering_key FROM {log} " \
	"WHERE msg_id OPERATOR(pg_catalog.>=) $1 AND msg_id OPERATOR(pg_catalog.<=) $2 " \
	"ORDER BY msg_id LIMIT $3), " \
	"ins AS (INSERT INTO {group} (msg_id, read_ct, vt" extra_columns ") " \
	"SELECT s.msg_id, 0, COALESCE(s.deliver_at, '-infinity'::pg_catalog.timestamptz)" extra_values " " \
	"FROM s WHERE $4 IS NULL OR s.headers OPERATOR(pg_catalog.@>) $4 RETURNING 1) " \
	"SELECT (SELECT pg_catalog.count(*) FROM s), (SELECT pg_catalog.max(msg_id) FROM s), " \
	"(SELECT pg_catalog.count(*) FROM ins)"

/*
 * Of a statement promoting the pending messages n (their msg_ids): move
 * them (m) to the message table (iq) or, while their delay lasts, the
 * delayed table (id).
 */
#define PROMOTE_MOVE \
	"m AS (DELETE FROM {pending} p USING n WHERE p.msg_id OPERATOR(pg_catalog.=) n.msg_id " \
	"RETURNING p.msg_id, p.ordering_key, p.enqueued_at, p.deliver_at, p.message, p.headers, " \
	"(p.deliver_at IS NULL OR p.deliver_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()) AS due), " \
	"iq AS (INSERT INTO {messages} (msg_id, read_ct, enqueued_at, vt, message, headers, ordering_key) " \
	"SELECT m.msg_id, 0, m.enqueued_at, pg_catalog.clock_timestamp(), m.message, m.headers, m.ordering_key " \
	"FROM m WHERE m.due RETURNING 1), " \
	"id AS (INSERT INTO {delayed} (msg_id, enqueued_at, deliver_at, message, headers, ordering_key) " \
	"SELECT m.msg_id, m.enqueued_at, m.deliver_at, m.message, m.headers, m.ordering_key " \
	"FROM m WHERE NOT m.due RETURNING deliver_at) "

/*
 * A queue's sequence, message, delayed and archive tables, shaped by their
 * templates (0.5.0), and the comments on those tables.
 */
#define QUEUE_TABLES_FROM_TEMPLATES \
	"CREATE SEQUENCE {sequence} AS bigint;" \
	"CREATE TABLE {messages} (LIKE pgmq_c.template_queue_messages INCLUDING ALL)" \
	"{with:template_queue_messages};" \
	"ALTER TABLE {messages} ALTER COLUMN msg_id" \
	" SET DEFAULT pg_catalog.nextval({sequence_regclass});" \
	"ALTER SEQUENCE {sequence} OWNED BY {messages}.msg_id;" \
	"CREATE TABLE {delayed} (LIKE pgmq_c.template_queue_delayed INCLUDING ALL)" \
	"{with:template_queue_delayed};" \
	"CREATE TABLE {archive} (LIKE pgmq_c.template_queue_archive INCLUDING ALL)" \
	"{with:template_queue_archive};"
#define QUEUE_TABLE_COMMENTS \
	"COMMENT ON TABLE {messages} IS 'pgmq_c queue {queue_id}: messages';" \
	"COMMENT ON TABLE {delayed} IS 'pgmq_c queue {queue_id}: delayed messages';" \
	"COMMENT ON TABLE {archive} IS 'pgmq_c queue {queue_id}: archive';"

/*
 * Tables without a primary key that pgmq_c deletes rows from (a partitioned
 * archive's day partitions, the deduplication ids) identify their rows by
 * all columns, so that deletes work under a publication FOR ALL TABLES
 * (logical replication, change data capture), which refuses deletes from a
 * table without a replica identity.
 */
#define PUBLISHABLE_DELETES(table) "ALTER TABLE " table " REPLICA IDENTITY FULL"

static const StatementDef statements[PGMQC_NUM_STATEMENTS] = {
	[STMT_SEND] = {
		ON_QUEUE,
		"INSERT INTO {messages} (msg_id, read_ct, enqueued_at, vt, message, headers) "
		"VALUES (pg_catalog.nextval({sequence_regclass}), 0, pg_catalog.clock_timestamp(), "
		"pg_catalog.clock_timestamp(), $1, $2) RETURNING msg_id",
		2, {JSONBOID, JSONBOID}
	},

	[STMT_SEND_DELAYED] = {
		ON_QUEUE,
		"INSERT INTO {delayed} (msg_id, enqueued_at, deliver_at, message, headers) "
		"VALUES (pg_catalog.nextval({sequence_regclass}), pg_catalog.clock_timestamp(), "
		"pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $3, $1, $2) RETURNING msg_id",
		3, {JSONBOID, JSONBOID, INTERVALOID}
	},
	[STMT_SEND_BATCH] = {
		ON_QUEUE,
		"INSERT INTO {messages} (msg_id, read_ct, enqueued_at, vt, message, headers) "
		"SELECT pg_catalog.nextval({sequence_regclass}), 0, pg_catalog.clock_timestamp(), "
		"pg_catalog.clock_timestamp(), u.m, u.h "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) WITH ORDINALITY AS u(m, h, o) "
		"ORDER BY u.o RETURNING msg_id",
		2, {JSONBARRAYOID, JSONBARRAYOID}
	},
	[STMT_SEND_BATCH_DELAYED] = {
		ON_QUEUE,
		"INSERT INTO {delayed} (msg_id, enqueued_at, deliver_at, message, headers) "
		"SELECT pg_catalog.nextval({sequence_regclass}), pg_catalog.clock_timestamp(), "
		BATCH_DUE ", u.m, u.h "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) WITH ORDINALITY AS u(m, h, o) "
		"ORDER BY u.o RETURNING msg_id",
		3, {JSONBARRAYOID, JSONBARRAYOID, INTERVALOID}
	},

	/*
	 * A batch ($1 messages, $2 headers) with ordering keys ($4, NULL elements
	 * for none) after a delay ($3): msg_ids drawn in array order; a message
	 * without a key, or the first of a key that had no messages ($5:
	 * STMT_KEYS_ACQUIRE's result), goes to the message table (or the delayed
	 * table), the others wait in the pending table.
	 */
	[STMT_SEND_KEYED] = {
		ON_QUEUE,
		"WITH s AS (SELECT pg_catalog.nextval({sequence_regclass}) AS msg_id, "
		"pg_catalog.clock_timestamp() AS at, u.m, u.h, u.k, u.o "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($4)) "
		"WITH ORDINALITY AS u(m, h, k, o) ORDER BY u.o), "
		"r AS (SELECT s.msg_id, s.at, " BATCH_DUE " AS due_at, s.m, s.h, s.k, s.o, "
		"(s.k IS NULL OR (COALESCE(s.k OPERATOR(pg_catalog.=) ANY ($5), false) AND "
		"pg_catalog.row_number() OVER (PARTITION BY s.k ORDER BY s.o) OPERATOR(pg_catalog.=) 1)) AS head, "
		"$3 OPERATOR(pg_catalog.=) '0'::pg_catalog.interval AS due FROM s), "
		"iq AS (INSERT INTO {messages} (msg_id, read_ct, enqueued_at, vt, message, headers, ordering_key) "
		"SELECT r.msg_id, 0, r.at, r.at, r.m, r.h, r.k FROM r WHERE r.head AND r.due), "
		"id AS (INSERT INTO {delayed} (msg_id, enqueued_at, deliver_at, message, headers, ordering_key) "
		"SELECT r.msg_id, r.at, r.due_at, r.m, r.h, r.k FROM r "
		"WHERE r.head AND NOT r.due), "
		"ip AS (INSERT INTO {pending} (msg_id, ordering_key, enqueued_at, deliver_at, message, headers) "
		"SELECT r.msg_id, r.k, r.at, CASE WHEN r.due THEN NULL ELSE r.due_at END, "
		"r.m, r.h FROM r WHERE NOT r.head) "
		"SELECT msg_id FROM s ORDER BY o",
		5, {JSONBARRAYOID, JSONBARRAYOID, INTERVALOID, TEXTARRAYOID, TEXTARRAYOID}
	},

	/*
	 * Count the messages of a send's ordering keys ($1, with repeats and
	 * NULLs), locking each key's row in key order; returns the keys that had
	 * no messages before (their first message is their head).  A send of a
	 * key waits here for the open transactions that sent the key or removed
	 * its head: msg_id order within a key is commit order.
	 */
	[STMT_KEYS_ACQUIRE] = {
		ON_QUEUE,
		"WITH c AS (SELECT k, pg_catalog.count(*) AS n FROM pg_catalog.unnest($1) AS k "
		"WHERE k IS NOT NULL GROUP BY k), "
		"u AS (INSERT INTO {keys} AS x (ordering_key, messages) "
		"SELECT c.k, c.n FROM c ORDER BY c.k COLLATE \"C\" "
		"ON CONFLICT (ordering_key) DO UPDATE SET messages = x.messages OPERATOR(pg_catalog.+) "
		"excluded.messages RETURNING x.ordering_key, x.messages) "
		"SELECT u.ordering_key FROM u JOIN c ON c.k OPERATOR(pg_catalog.=) u.ordering_key "
		"WHERE u.messages OPERATOR(pg_catalog.=) c.n",
		1, {TEXTARRAYOID}
	},

	/*
	 * Messages of keys $1 (with repeats) left the queue, the heads of keys $2
	 * among them: count them off their keys, whose rows are locked in key
	 * order, as STMT_KEYS_ACQUIRE locks them; for each key of $2 that has
	 * messages left, its first pending message becomes its head (as
	 * STMT_KEYS_PROMOTE).  Returns each key with the messages it has left and
	 * whether its next message was moved, and, on every row, how many became
	 * visible and the earliest due time of the others.  The statement's
	 * snapshot may be older than the sends it waited for on the keys' rows: a
	 * key left with messages and nothing moved is promoted again by a
	 * statement of its own (ordering.c).
	 */
	[STMT_KEYS_RELEASE] = {
		ON_QUEUE,
		"WITH c AS (SELECT k, pg_catalog.count(*) AS n FROM pg_catalog.unnest($1) AS k "
		"WHERE k IS NOT NULL GROUP BY k), "
		"l AS (SELECT y.ordering_key FROM {keys} y WHERE y.ordering_key OPERATOR(pg_catalog.=) ANY ($1) "
		"ORDER BY y.ordering_key COLLATE \"C\" FOR UPDATE), "
		"u AS (UPDATE {keys} x SET messages = x.messages OPERATOR(pg_catalog.-) c.n FROM c, l "
		"WHERE x.ordering_key OPERATOR(pg_catalog.=) ANY ($1) "
		"AND x.ordering_key OPERATOR(pg_catalog.=) c.k AND l.ordering_key OPERATOR(pg_catalog.=) c.k "
		"RETURNING x.ordering_key, x.messages), "
		"n AS (SELECT (SELECT p.msg_id FROM {pending} p WHERE p.ordering_key OPERATOR(pg_catalog.=) u.ordering_key "
		"ORDER BY p.msg_id LIMIT 1) AS msg_id FROM u "
		"WHERE u.messages OPERATOR(pg_catalog.>) 0 AND u.ordering_key OPERATOR(pg_catalog.=) ANY ($2)), "
		PROMOTE_MOVE
		"SELECT u.ordering_key, u.messages, pm.ordering_key IS NOT NULL, "
		"(SELECT pg_catalog.count(*)::pg_catalog.int4 FROM iq), (SELECT pg_catalog.min(deliver_at) FROM id) "
		"FROM u LEFT JOIN (SELECT DISTINCT m.ordering_key FROM m) pm "
		"ON pm.ordering_key OPERATOR(pg_catalog.=) u.ordering_key",
		2, {TEXTARRAYOID, TEXTARRAYOID}
	},

	/*
	 * $2 messages of key $1 left the queue, its head among them if $3: count
	 * them off the key's row (locking it, as a send of the key does) and, if
	 * the head left and the key has messages left, move its first pending
	 * message to the message table if it is due.  Returns the messages the
	 * key has left (NULL: no row) and how many moved (0 or 1).  The move's
	 * snapshot was taken before the wait for the key's row: when it misses a
	 * pending message a send it waited for made, or the next message is still
	 * delayed, nothing moves, and STMT_KEY_TAKE_NEXT does it (ordering.c).
	 */
	[STMT_KEY_RELEASE] = {
		ON_QUEUE,
		"WITH u AS (UPDATE {keys} SET messages = messages OPERATOR(pg_catalog.-) $2 "
		"WHERE ordering_key OPERATOR(pg_catalog.=) $1 RETURNING messages), "
		"m AS (DELETE FROM {pending} p WHERE p.msg_id OPERATOR(pg_catalog.=) "
		"(SELECT n.msg_id FROM {pending} n WHERE n.ordering_key OPERATOR(pg_catalog.=) $1 "
		"ORDER BY n.msg_id LIMIT 1) "
		"AND $3 AND (SELECT u.messages FROM u) OPERATOR(pg_catalog.>) 0 "
		"AND (p.deliver_at IS NULL OR p.deliver_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()) "
		"RETURNING p.msg_id, p.enqueued_at, p.message, p.headers, p.ordering_key), "
		"iq AS (INSERT INTO {messages} (msg_id, read_ct, enqueued_at, vt, message, headers, ordering_key) "
		"SELECT m.msg_id, 0, m.enqueued_at, pg_catalog.clock_timestamp(), m.message, m.headers, "
		"m.ordering_key FROM m RETURNING 1) "
		"SELECT (SELECT u.messages FROM u), (SELECT pg_catalog.count(*)::pg_catalog.int4 FROM iq)",
		3, {TEXTOID, INT8OID, BOOLOID}
	},
	/* key $1 has no messages left (after STMT_KEY_RELEASE) */
	[STMT_KEY_FORGET] = {
		ON_QUEUE,
		"DELETE FROM {keys} WHERE ordering_key OPERATOR(pg_catalog.=) $1 "
		"AND messages OPERATOR(pg_catalog.<=) 0",
		1, {TEXTOID}
	},

	/*
	 * The head of key $1 is gone and the key has messages left: take its
	 * first pending message out of the pending table, to become its head
	 * (STMT_KEY_PROMOTE_VISIBLE, or while its delay lasts
	 * STMT_KEY_PROMOTE_DELAYED).
	 */
	[STMT_KEY_TAKE_NEXT] = {
		ON_QUEUE,
		"DELETE FROM {pending} WHERE msg_id OPERATOR(pg_catalog.=) "
		"(SELECT p.msg_id FROM {pending} p WHERE p.ordering_key OPERATOR(pg_catalog.=) $1 "
		"ORDER BY p.msg_id LIMIT 1) "
		"RETURNING msg_id, enqueued_at, deliver_at, message, headers, ordering_key",
		1, {TEXTOID}
	},
	[STMT_KEY_PROMOTE_VISIBLE] = {
		ON_QUEUE,
		"INSERT INTO {messages} (msg_id, read_ct, enqueued_at, vt, message, headers, ordering_key) "
		"VALUES ($1, 0, $2, pg_catalog.clock_timestamp(), $4, $5, $6)",
		6, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, JSONBOID, TEXTOID}
	},
	[STMT_KEY_PROMOTE_DELAYED] = {
		ON_QUEUE,
		"INSERT INTO {delayed} (msg_id, enqueued_at, deliver_at, message, headers, ordering_key) "
		"VALUES ($1, $2, $3, $4, $5, $6)",
		6, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, JSONBOID, TEXTOID}
	},
	[STMT_KEYS_FORGET] = {
		ON_QUEUE,
		"DELETE FROM {keys} WHERE ordering_key OPERATOR(pg_catalog.=) ANY ($1) "
		"AND messages OPERATOR(pg_catalog.<=) 0",
		1, {TEXTARRAYOID}
	},

	/*
	 * The heads of keys $1 are gone, and keys $2 still have messages: the
	 * first pending message of each key of both becomes its head, in the
	 * message table (or, while its delay lasts, the delayed table).  Returns
	 * how many became visible and the earliest due time of the others.
	 */
	[STMT_KEYS_PROMOTE] = {
		ON_QUEUE,
		"WITH n AS (SELECT (SELECT p.msg_id FROM {pending} p WHERE p.ordering_key OPERATOR(pg_catalog.=) h.k "
		"ORDER BY p.msg_id LIMIT 1) AS msg_id FROM (SELECT DISTINCT k FROM pg_catalog.unnest($1) AS k "
		"WHERE k OPERATOR(pg_catalog.=) ANY ($2)) h), "
		PROMOTE_MOVE
		"SELECT (SELECT pg_catalog.count(*)::pg_catalog.int4 FROM iq), (SELECT pg_catalog.min(deliver_at) FROM id)",
		2, {TEXTARRAYOID, TEXTARRAYOID}
	},
	/* the ordering keys of messages $1 of the message table */
	[STMT_KEYS_OF] = {
		ON_QUEUE,
		"SELECT ordering_key FROM {messages} WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1) "
		"AND ordering_key IS NOT NULL",
		1, {INT8ARRAYOID}
	},

	/*
	 * Of the dead messages $1 about to leave the message table, the keyed
	 * ones, each with its key and, when its key's row is held by another
	 * transaction (a send of the key in progress, perhaps prepared), the time
	 * until which it is left where it is: the rows of the other keys are
	 * locked now, in key order, SKIP LOCKED, so that a read or the worker
	 * never waits for a sender; a message left is visible again a second
	 * later, for a later read or the worker's pass to move.
	 */
	[STMT_DEAD_LETTER_KEYS] = {
		ON_QUEUE,
		"WITH m AS (SELECT msg_id, ordering_key FROM {messages} "
		"WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1) AND ordering_key IS NOT NULL), "
		"l AS (SELECT y.ordering_key FROM {keys} y "
		"WHERE y.ordering_key OPERATOR(pg_catalog.=) ANY (SELECT m.ordering_key FROM m) "
		"ORDER BY y.ordering_key COLLATE \"C\" FOR UPDATE SKIP LOCKED), "
		"b AS (SELECT m.msg_id FROM m WHERE NOT EXISTS (SELECT 1 FROM l "
		"WHERE l.ordering_key OPERATOR(pg_catalog.=) m.ordering_key) "
		"AND EXISTS (SELECT 1 FROM {keys} y WHERE y.ordering_key OPERATOR(pg_catalog.=) m.ordering_key)), "
		"u AS (UPDATE {messages} q SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) "
		"'1 second'::pg_catalog.interval FROM b WHERE q.msg_id OPERATOR(pg_catalog.=) b.msg_id "
		"RETURNING q.msg_id, q.vt) "
		"SELECT m.msg_id, m.ordering_key, u.vt FROM m LEFT JOIN u "
		"ON u.msg_id OPERATOR(pg_catalog.=) m.msg_id",
		1, {INT8ARRAYOID}
	},
	[STMT_DUE_PROBE] = {
		ON_QUEUE,
		"SELECT deliver_at FROM {delayed} ORDER BY deliver_at LIMIT 1",
		0, {InvalidOid}
	},

	/* Move up to $1 messages due at $2 into the message table. */
	[STMT_MATURE] = {
		ON_QUEUE,
		"WITH due AS (DELETE FROM {delayed} d WHERE d.msg_id OPERATOR(pg_catalog.=) ANY "
		"(ARRAY(SELECT msg_id FROM {delayed} WHERE deliver_at OPERATOR(pg_catalog.<=) $2 "
		"ORDER BY deliver_at LIMIT $1 FOR UPDATE SKIP LOCKED)) "
		"RETURNING d.msg_id, d.enqueued_at, d.deliver_at, d.message, d.headers{if_keys:, d.ordering_key}) "
		"INSERT INTO {messages} (msg_id, read_ct, enqueued_at, vt, message, headers{if_keys:, ordering_key}) "
		"SELECT msg_id, 0, enqueued_at, deliver_at, message, headers{if_keys:, ordering_key} FROM due",
		2, {INT4OID, TIMESTAMPTZOID}
	},

	/*
	 * The same for a read in a transaction block (delayed.c), returning the
	 * msg_ids moved: only msg_ids from $3 on and below $4 (NULL: no upper
	 * bound), lowest first, among the first MATURE_LOOK messages due;
	 * nothing, at the cost of one probe of the primary key, when no delayed
	 * message lies below $4.  The walk is bounded: while a backlog of older
	 * messages holds them back, every read in a block would otherwise walk
	 * every due message.
	 */
	[STMT_MATURE_BOUNDED] = {
		ON_QUEUE,
		"WITH due AS (DELETE FROM {delayed} d WHERE d.msg_id OPERATOR(pg_catalog.=) ANY "
		"(ARRAY(SELECT y.msg_id FROM {delayed} y WHERE y.msg_id OPERATOR(pg_catalog.=) ANY "
		"(ARRAY(SELECT x.msg_id FROM {delayed} x WHERE x.deliver_at OPERATOR(pg_catalog.<=) $2 "
		"ORDER BY x.deliver_at LIMIT " CppAsString2(PGMQC_MATURE_LOOK) ")) "
		"AND y.msg_id OPERATOR(pg_catalog.>=) $3 "
		"AND ($4::pg_catalog.int8 IS NULL OR y.msg_id OPERATOR(pg_catalog.<) $4) "
		"AND (SELECT pg_catalog.min(z.msg_id) FROM {delayed} z) OPERATOR(pg_catalog.<) "
		"COALESCE($4, 9223372036854775807::pg_catalog.int8) "
		"ORDER BY y.msg_id LIMIT $1 FOR UPDATE SKIP LOCKED)) "
		"RETURNING d.msg_id, d.enqueued_at, d.deliver_at, d.message, d.headers{if_keys:, d.ordering_key}) "
		"INSERT INTO {messages} (msg_id, read_ct, enqueued_at, vt, message, headers{if_keys:, ordering_key}) "
		"SELECT msg_id, 0, enqueued_at, deliver_at, message, headers{if_keys:, ordering_key} FROM due "
		"RETURNING msg_id",
		4, {INT4OID, TIMESTAMPTZOID, INT8OID, INT8OID}
	},

	/*
	 * STMT_MATURE_BOUNDED past the rows other transactions hold: when its
	 * look found due messages in range that were not its to move (others'
	 * reads in transaction blocks moved them, not yet committed), the rest of
	 * the due messages in range, earliest due first, skipping the held ones
	 * as STMT_MATURE does.  Nothing, at the cost of the probe and the look,
	 * when no such message was there.
	 */
	[STMT_MATURE_PAST_HELD] = {
		ON_QUEUE,
		"WITH due AS (DELETE FROM {delayed} d WHERE d.msg_id OPERATOR(pg_catalog.=) ANY "
		"(ARRAY(SELECT y.msg_id FROM {delayed} y WHERE y.deliver_at OPERATOR(pg_catalog.<=) $2 "
		"AND y.msg_id OPERATOR(pg_catalog.>=) $3 "
		"AND ($4::pg_catalog.int8 IS NULL OR y.msg_id OPERATOR(pg_catalog.<) $4) "
		"AND (SELECT pg_catalog.min(z.msg_id) FROM {delayed} z) OPERATOR(pg_catalog.<) "
		"COALESCE($4, 9223372036854775807::pg_catalog.int8) "
		"AND EXISTS (SELECT FROM (SELECT x.msg_id FROM {delayed} x "
		"WHERE x.deliver_at OPERATOR(pg_catalog.<=) $2 "
		"ORDER BY x.deliver_at LIMIT " CppAsString2(PGMQC_MATURE_LOOK) ") w "
		"WHERE w.msg_id OPERATOR(pg_catalog.>=) $3 "
		"AND ($4::pg_catalog.int8 IS NULL OR w.msg_id OPERATOR(pg_catalog.<) $4)) "
		"ORDER BY y.deliver_at LIMIT $1 FOR UPDATE SKIP LOCKED)) "
		"RETURNING d.msg_id, d.enqueued_at, d.deliver_at, d.message, d.headers{if_keys:, d.ordering_key}) "
		"INSERT INTO {messages} (msg_id, read_ct, enqueued_at, vt, message, headers{if_keys:, ordering_key}) "
		"SELECT msg_id, 0, enqueued_at, deliver_at, message, headers{if_keys:, ordering_key} FROM due "
		"RETURNING msg_id",
		4, {INT4OID, TIMESTAMPTZOID, INT8OID, INT8OID}
	},

	/*
	 * Of the first $2 messages a claim from $1 on could take now: how many
	 * (VALUE_COL) and the last one's msg_id (CANDIDATES_COL_LAST).
	 */
	[STMT_CANDIDATES_AHEAD] = {
		ON_QUEUE,
		"SELECT pg_catalog.count(*)::pg_catalog.int4, pg_catalog.max(c.msg_id) FROM "
		"(SELECT msg_id FROM {messages} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() ORDER BY msg_id LIMIT $2) c",
		2, {INT8OID, INT4OID}, true
	},
	[STMT_CLAIM] = {
		ON_QUEUE,
		"UPDATE {messages} q SET " CLAIM_SET("q")
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(" CLAIM_CANDIDATES("{messages}", CLAIM_SKIPPING) ")) "
		"RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers, {key:q}, "
		CLAIM_OUTCOME("q"),
		7, {INT4OID, INTERVALOID, INT8OID, INT4OID, FLOAT8OID, FLOAT8OID, BOOLOID}
	},
	/* STMT_CLAIM for a pop of a queue with ordering keys: its key gate */
	[STMT_CLAIM_POP_KEYS] = {
		ON_QUEUE,
		"UPDATE {messages} q SET " CLAIM_SET("q")
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		CLAIM_CANDIDATES("{messages} m", CLAIM_SKIPPING POP_KEY_GATE("m")) ")) "
		"RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers, q.ordering_key, "
		CLAIM_OUTCOME("q"),
		7, {INT4OID, INTERVALOID, INT8OID, INT4OID, FLOAT8OID, FLOAT8OID, BOOLOID}
	},

	/*
	 * STMT_CLAIM for a queue without a retry policy ($4 and $5 NULL): every
	 * candidate is leased, so the SET list is STMT_CLAIM's ELSE branches and
	 * there is no outcome column.  It has a third of STMT_CLAIM's expression
	 * nodes, which a kept generic plan builds anew at each execution's start.
	 */
	[STMT_CLAIM_PLAIN] = {
		ON_QUEUE,
		"UPDATE {messages} q SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2, "
		"read_ct = q.read_ct OPERATOR(pg_catalog.+) 1, leased = true "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(" CLAIM_CANDIDATES("{messages}", "") ")) "
		"RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers, {key:q}",
		3, {INT4OID, INTERVALOID, INT8OID}
	},
	/* the claim of a catalog older than 0.6.0: no retry policy */
	[STMT_CLAIM_0_5] = {
		ON_QUEUE,
		"UPDATE {messages} q SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2, "
		"read_ct = q.read_ct OPERATOR(pg_catalog.+) 1 "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(" CLAIM_CANDIDATES("{messages}", "") ")) "
		"RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers, "
		"NULL::pg_catalog.text",
		3, {INT4OID, INTERVALOID, INT8OID}
	},
	[STMT_POP] = {
		ON_QUEUE,
		"DELETE FROM {messages} q "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"SELECT msg_id FROM {messages} WHERE msg_id OPERATOR(pg_catalog.>=) $2 "
		"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
		"ORDER BY msg_id LIMIT $1 FOR UPDATE SKIP LOCKED)) "
		"RETURNING q.msg_id, q.read_ct OPERATOR(pg_catalog.+) 1, q.enqueued_at, "
		"q.vt, q.message, q.headers, {key:q}",
		2, {INT4OID, INT8OID}
	},

	/*
	 * STMT_POP of a queue with ordering keys: a keyed message is taken only
	 * when its key's row in the keys table, which taking the key's head
	 * changes, can be locked at once, so that a pop never waits for a send of
	 * the key in progress; a message whose key's row is held is left for a
	 * later pop.
	 */
	[STMT_POP_KEYS] = {
		ON_QUEUE,
		"DELETE FROM {messages} q "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"SELECT m.msg_id FROM {messages} m WHERE m.msg_id OPERATOR(pg_catalog.>=) $2 "
		"AND m.vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
		POP_KEY_GATE("m")
		"ORDER BY m.msg_id LIMIT $1 FOR UPDATE OF m SKIP LOCKED)) "
		"RETURNING q.msg_id, q.read_ct OPERATOR(pg_catalog.+) 1, q.enqueued_at, "
		"q.vt, q.message, q.headers, q.ordering_key",
		2, {INT4OID, INT8OID}
	},

	/*
	 * The smallest msg_id present from the current watermark $1 on: no
	 * message below it can be present (a delayed or pending message keeps its
	 * msg_id when it moves), and starting there skips the index entries of
	 * the messages already gone.
	 */
	[STMT_WATERMARK_SCAN] = {
		ON_QUEUE,
		"SELECT LEAST("
		"(SELECT msg_id FROM {messages} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"ORDER BY msg_id LIMIT 1), "
		"(SELECT msg_id FROM {delayed} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"ORDER BY msg_id LIMIT 1), "
		"(SELECT msg_id FROM {pending} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"ORDER BY msg_id LIMIT 1))",
		1, {INT8OID}
	},
	/* the catalog before 0.7.0: no pending messages */
	[STMT_WATERMARK_SCAN_0_6] = {
		ON_QUEUE,
		"SELECT LEAST("
		"(SELECT msg_id FROM {messages} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"ORDER BY msg_id LIMIT 1), "
		"(SELECT msg_id FROM {delayed} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"ORDER BY msg_id LIMIT 1))",
		1, {INT8OID}
	},
	[STMT_DELETE] = {
		ON_QUEUE,
		"DELETE FROM {messages} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR read_ct OPERATOR(pg_catalog.=) $2) RETURNING msg_id, {key:}",
		2, {INT8OID, INT4OID}
	},
	[STMT_DELETE_DELAYED] = {
		ON_QUEUE,
		"DELETE FROM {delayed} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR $2 OPERATOR(pg_catalog.=) 0) RETURNING msg_id, {key:}",
		2, {INT8OID, INT4OID}
	},
	[STMT_DELETE_MANY] = {
		ON_QUEUE,
		"DELETE FROM {messages} q USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY ($1) AND q.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR q.read_ct OPERATOR(pg_catalog.=) r.ct) RETURNING q.msg_id, {key:q}",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	[STMT_DELETE_MANY_DELAYED] = {
		ON_QUEUE,
		"DELETE FROM {delayed} d USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE d.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR r.ct OPERATOR(pg_catalog.=) 0) RETURNING d.msg_id, {key:d}",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	[STMT_ARCHIVE] = {
		ON_QUEUE,
		"WITH m AS (DELETE FROM {messages} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR read_ct OPERATOR(pg_catalog.=) $2) "
		"RETURNING msg_id, read_ct, enqueued_at, vt, message, headers, {key:} AS k), "
		"a AS (INSERT INTO {archive} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, read_ct, enqueued_at, pg_catalog.clock_timestamp(), vt, message, headers "
		"FROM m) SELECT msg_id, k FROM m",
		2, {INT8OID, INT4OID}
	},
	[STMT_ARCHIVE_DELAYED] = {
		ON_QUEUE,
		"WITH m AS (DELETE FROM {delayed} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR $2 OPERATOR(pg_catalog.=) 0) "
		"RETURNING msg_id, enqueued_at, deliver_at, message, headers, {key:} AS k), "
		"a AS (INSERT INTO {archive} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, 0, enqueued_at, pg_catalog.clock_timestamp(), deliver_at, message, headers "
		"FROM m) SELECT msg_id, k FROM m",
		2, {INT8OID, INT4OID}
	},
	[STMT_ARCHIVE_MANY] = {
		ON_QUEUE,
		"WITH m AS (DELETE FROM {messages} q USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE q.msg_id OPERATOR(pg_catalog.=) ANY ($1) AND q.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR q.read_ct OPERATOR(pg_catalog.=) r.ct) "
		"RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers, {key:q} AS k), "
		"a AS (INSERT INTO {archive} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, read_ct, enqueued_at, pg_catalog.clock_timestamp(), vt, message, headers "
		"FROM m) SELECT msg_id, k FROM m",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	[STMT_ARCHIVE_MANY_DELAYED] = {
		ON_QUEUE,
		"WITH m AS (DELETE FROM {delayed} d USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE d.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR r.ct OPERATOR(pg_catalog.=) 0) "
		"RETURNING d.msg_id, d.enqueued_at, d.deliver_at, d.message, d.headers, {key:d} AS k), "
		"a AS (INSERT INTO {archive} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, 0, enqueued_at, pg_catalog.clock_timestamp(), deliver_at, message, headers "
		"FROM m) SELECT msg_id, k FROM m",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	/* a message waiting behind its key's head: never read, so read_ct 0 */
	[STMT_DELETE_PENDING] = {
		ON_QUEUE,
		"DELETE FROM {pending} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR $2 OPERATOR(pg_catalog.=) 0) RETURNING msg_id, ordering_key",
		2, {INT8OID, INT4OID}
	},
	[STMT_ARCHIVE_PENDING] = {
		ON_QUEUE,
		"WITH m AS (DELETE FROM {pending} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR $2 OPERATOR(pg_catalog.=) 0) "
		"RETURNING msg_id, enqueued_at, deliver_at, message, headers, ordering_key), "
		"a AS (INSERT INTO {archive} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, 0, enqueued_at, pg_catalog.clock_timestamp(), "
		"COALESCE(deliver_at, enqueued_at), message, headers FROM m) "
		"SELECT msg_id, ordering_key FROM m",
		2, {INT8OID, INT4OID}
	},
	[STMT_DELETE_MANY_PENDING] = {
		ON_QUEUE,
		"DELETE FROM {pending} p USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE p.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR r.ct OPERATOR(pg_catalog.=) 0) RETURNING p.msg_id, p.ordering_key",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	[STMT_ARCHIVE_MANY_PENDING] = {
		ON_QUEUE,
		"WITH m AS (DELETE FROM {pending} p USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE p.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR r.ct OPERATOR(pg_catalog.=) 0) "
		"RETURNING p.msg_id, p.enqueued_at, p.deliver_at, p.message, p.headers, p.ordering_key), "
		"a AS (INSERT INTO {archive} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT msg_id, 0, enqueued_at, pg_catalog.clock_timestamp(), "
		"COALESCE(deliver_at, enqueued_at), message, headers FROM m) "
		"SELECT msg_id, ordering_key FROM m",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	[STMT_SET_VT] = {
		ON_QUEUE,
		"UPDATE {messages} SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2 "
		"WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($3 IS NULL OR read_ct OPERATOR(pg_catalog.=) $3) "
		"RETURNING msg_id, read_ct, enqueued_at, vt, message, headers, {key:}",
		3, {INT8OID, INTERVALOID, INT4OID}
	},
	[STMT_SET_VT_DELAYED] = {
		ON_QUEUE,
		"UPDATE {delayed} SET deliver_at = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2 "
		"WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($3 IS NULL OR $3 OPERATOR(pg_catalog.=) 0) "
		"RETURNING msg_id, 0, enqueued_at, deliver_at, message, headers, {key:}",
		3, {INT8OID, INTERVALOID, INT4OID}
	},

	/*
	 * nack(): the message back after a delay or its backoff; whether it is
	 * dead (read max_deliveries, $5, times).
	 */
	[STMT_NACK] = {
		ON_QUEUE,
		"UPDATE {messages} q SET " NACK_SET("q")
		"WHERE q.msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($3 IS NULL OR q.read_ct OPERATOR(pg_catalog.=) $3) "
		"RETURNING q.vt, COALESCE(q.read_ct OPERATOR(pg_catalog.>=) $5, false)",
		7, NACK_TYPES
	},
	/* dead messages the worker moves: read max_deliveries times, visible */
	[STMT_DEAD_LETTER_IDS] = {
		ON_QUEUE,
		DEAD_LETTER_IDS("{messages}"),
		3, {INT8OID, INT4OID, INT4OID}
	},
	[STMT_BACKOFF_EXPIRED] = {
		ON_QUEUE,
		BACKOFF_EXPIRED("{messages}"),
		5, {INT8OID, INT4OID, INT4OID, FLOAT8OID, FLOAT8OID}
	},
	/* take dead messages ($1) out, for the dead-letter queue; $2 the queue */
	[STMT_DEAD_LETTER_TAKE] = {
		ON_QUEUE,
		"WITH d AS (DELETE FROM {messages} WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1) "
		"RETURNING msg_id, read_ct, enqueued_at, message, headers, reason, {key:} AS ordering_key) "
		DEAD_LETTER_ARRAYS("'queue', $2::pg_catalog.text"),
		2, {INT8ARRAYOID, TEXTOID}
	},
	/* ... or, with no dead-letter queue, move them to the archive */
	[STMT_DEAD_LETTER_ARCHIVE] = {
		ON_QUEUE,
		"WITH d AS (DELETE FROM {messages} WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1) "
		"RETURNING msg_id, read_ct, enqueued_at, vt, message, headers, reason, {key:} AS ordering_key) "
		"INSERT INTO {archive} (msg_id, read_ct, enqueued_at, archived_at, vt, message, headers) "
		"SELECT d.msg_id, d.read_ct, d.enqueued_at, pg_catalog.clock_timestamp(), "
		"LEAST(d.vt, pg_catalog.clock_timestamp()), d.message, "
		DEAD_LETTER_HEADERS("'queue', $2::pg_catalog.text") " FROM d RETURNING msg_id",
		2, {INT8ARRAYOID, TEXTOID}
	},
	/* archive_retention: remove up to $2 messages archived before now - $1 */
	[STMT_ARCHIVE_EXPIRE] = {
		ON_QUEUE,
		"WITH x AS (DELETE FROM {archive} WHERE msg_id OPERATOR(pg_catalog.=) ANY (ARRAY("
		"SELECT msg_id FROM {archive} WHERE archived_at OPERATOR(pg_catalog.<) "
		"(pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) $1) "
		"LIMIT $2 FOR UPDATE SKIP LOCKED)) RETURNING 1) "
		"SELECT pg_catalog.count(*) FROM x",
		2, {INTERVALOID, INT4OID}
	},

	/*
	 * A queue's archive becomes partitioned by the day its messages were
	 * archived (archive_retention), so that retention drops whole days.  A
	 * primary key would have to include archived_at; msg_id is indexed (an
	 * archived message came out of the queue's message table, where its
	 * msg_id was the key), and the old table keeps its own key.  The table as
	 * it is becomes the partition of everything archived until now
	 * (a_<id>_before; bound expressions are evaluated once, here after the
	 * lock, when no message can be archived any more), today's partition
	 * takes the rest of the day, a default partition what no day partition
	 * does, and the worker makes the days ahead.
	 */
	[STMT_ARCHIVE_PARTITION_CONVERT] = {
		RUN_ONCE,
		"LOCK TABLE {archive} IN ACCESS EXCLUSIVE MODE;"
		"ALTER TABLE {archive} RENAME TO {archive_before_bare};"
		"CREATE TABLE {archive} (LIKE {archive_before} INCLUDING DEFAULTS "
		"INCLUDING STORAGE) PARTITION BY RANGE (archived_at);"
		"CREATE INDEX ON {archive} (msg_id);"
		"CREATE INDEX ON {archive} USING brin (archived_at);"
		"ALTER TABLE {archive} ATTACH PARTITION {archive_before} "
		"FOR VALUES FROM (MINVALUE) TO (pg_catalog.clock_timestamp());"
		"CREATE TABLE {archive_partition} PARTITION OF {archive} "
		"FOR VALUES FROM (pg_catalog.clock_timestamp()) "
		"TO (pg_catalog.to_timestamp({partition_end}));"
		"CREATE TABLE {archive_default} PARTITION OF {archive} DEFAULT;"
		PUBLISHABLE_DELETES("{archive_partition}") ";"
		PUBLISHABLE_DELETES("{archive_default}") ";"
		"COMMENT ON TABLE {archive} IS 'pgmq_c queue {queue_id}: archive, by day archived';",
		0, {InvalidOid}
	},
	/* day {partition} of a partitioned archive */
	[STMT_ARCHIVE_PARTITION_CREATE] = {
		RUN_ONCE,
		"CREATE TABLE {archive_partition} PARTITION OF {archive} "
		"FOR VALUES FROM (pg_catalog.to_timestamp({partition_start})) "
		"TO (pg_catalog.to_timestamp({partition_end}));"
		PUBLISHABLE_DELETES("{archive_partition}"),
		0, {InvalidOid}
	},

	/*
	 * The partitions of an archive ($1 its oid) but the default: name, the
	 * end of its range (from its bound, as the server prints it), and its day
	 * when it is a day partition ($2 "a_<id>_p").
	 */
	[STMT_ARCHIVE_PARTITIONS] = {
		ON_CATALOG,
		"SELECT c.relname::pg_catalog.text, "
		"(pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid), "
		"' TO [(]''([^'']*)''[)]$'))[1]::pg_catalog.timestamptz, "
		"CASE WHEN pg_catalog.left(c.relname::pg_catalog.text, pg_catalog.length($2)) OPERATOR(pg_catalog.=) $2 "
		"AND pg_catalog.substr(c.relname, pg_catalog.length($2) OPERATOR(pg_catalog.+) 1) "
		"OPERATOR(pg_catalog.~) '^[0-9]+$' "
		"THEN pg_catalog.substr(c.relname, pg_catalog.length($2) OPERATOR(pg_catalog.+) 1)::pg_catalog.int8 END "
		"FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid "
		"WHERE i.inhparent OPERATOR(pg_catalog.=) $1 "
		"AND pg_catalog.pg_get_expr(c.relpartbound, c.oid) OPERATOR(pg_catalog.<>) 'DEFAULT' "
		"ORDER BY 2",
		2, {OIDOID, TEXTOID}
	},

	/*
	 * redrive(): up to $2 visible messages of a dead-letter queue from $1 on,
	 * locked, each with its headers as they were before it was dead-lettered
	 * (the dead-letter key it had before, "previous", put back) and where it
	 * came from.
	 */
	[STMT_REDRIVE_TAKE] = {
		ON_QUEUE,
		"SELECT msg_id, message, headers, "
		"CASE WHEN headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.?) 'previous' "
		"THEN pg_catalog.jsonb_set(headers, ARRAY['pgmq_c_dead_letter'], "
		"headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.->) 'previous') "
		"WHEN headers OPERATOR(pg_catalog.=) pg_catalog.jsonb_build_object('pgmq_c_dead_letter', "
		"headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter') THEN NULL "
		"ELSE headers OPERATOR(pg_catalog.-) 'pgmq_c_dead_letter'::pg_catalog.text END, "
		"headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.->>) 'queue', "
		"headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.->>) 'topic', "
		"headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.->>) 'group', "
		"headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.->>) 'msg_id', "
		"headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.->>) 'enqueued_at', "
		"headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.->>) 'ordering_key', "
		"headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.->>) 'dead_lettered_at' "
		"FROM {messages} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
		"ORDER BY msg_id LIMIT $2 FOR UPDATE SKIP LOCKED",
		2, {INT8OID, INT4OID}
	},

	/* as STMT_ARCHIVE_PARTITIONS, for pgmq_c.dedup_ids */
	[STMT_DEDUP_PARTITIONS] = {
		ON_CATALOG,
		"SELECT c.relname::pg_catalog.text, "
		"(pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid), "
		"' TO [(]''([^'']*)''[)]$'))[1]::pg_catalog.timestamptz, "
		"CASE WHEN c.relname::pg_catalog.text OPERATOR(pg_catalog.~) '^dedup_ids_p[0-9]+$' "
		"THEN pg_catalog.substr(c.relname, 12)::pg_catalog.int8 END "
		"FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid "
		"WHERE i.inhparent OPERATOR(pg_catalog.=) 'pgmq_c.dedup_ids'::pg_catalog.regclass "
		"AND pg_catalog.pg_get_expr(c.relpartbound, c.oid) OPERATOR(pg_catalog.<>) 'DEFAULT' "
		"ORDER BY 2",
		0, {InvalidOid}
	},
	[STMT_DEDUP_PARTITION_CREATE] = {
		RUN_ONCE,
		"CREATE TABLE {dedup_partition} PARTITION OF pgmq_c.dedup_ids "
		"FOR VALUES FROM (pg_catalog.to_timestamp({partition_start})) "
		"TO (pg_catalog.to_timestamp({partition_end}));"
		"CREATE UNIQUE INDEX ON {dedup_partition} (queue_id, dedup_id COLLATE pg_catalog.\"C\");"
		PUBLISHABLE_DELETES("{dedup_partition}"),
		0, {InvalidOid}
	},
	/* does the default partition hold ids remembered from $1 on? */
	[STMT_DEDUP_DEFAULT_ROWS] = {
		ON_CATALOG,
		"SELECT 1 FROM pgmq_c.dedup_ids_default WHERE first_at OPERATOR(pg_catalog.>=) $1 LIMIT 1",
		1, {TIMESTAMPTZOID}
	},

	/*
	 * ids remembered before $1 that no day partition took, $2 at most, the
	 * oldest first: an id sent again keeps its latest row longest, so that a
	 * window lengthened later never finds an earlier row alone
	 */
	[STMT_DEDUP_EXPIRE_DEFAULT] = {
		ON_CATALOG,
		"DELETE FROM pgmq_c.dedup_ids_default WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
		"SELECT ctid FROM pgmq_c.dedup_ids_default WHERE first_at OPERATOR(pg_catalog.<) $1 "
		"ORDER BY first_at LIMIT $2))",
		2, {TIMESTAMPTZOID, INT4OID}
	},
	/* the ids of queue or topic $1 remembered before $2 */
	[STMT_DEDUP_FORGET_BEFORE] = {
		ON_CATALOG,
		"DELETE FROM pgmq_c.dedup_ids WHERE queue_id OPERATOR(pg_catalog.=) $1 "
		"AND first_at OPERATOR(pg_catalog.<) $2",
		2, {INT4OID, TIMESTAMPTZOID}
	},
	[STMT_DEDUP_LONGEST_WINDOW] = {
		ON_CATALOG,
		"SELECT COALESCE(pg_catalog.max(dedup_window), '5 minutes'::pg_catalog.interval), "
		"pg_catalog.count(*) FROM pgmq_c.queues",
		0, {InvalidOid}, true
	},

	/*
	 * Timelines (0.8.0, common/timelines.c): the last timeline whose
	 * sequences were moved on, and the moving on of the msg_id sequences of
	 * every queue (q_<id>_seq) and topic (t_<id>_seq) by $1, as one value
	 * (the catalog's own sequences are left alone).
	 */
	[STMT_TIMELINE_MARKER] = {
		ON_CATALOG,
		"SELECT last_value FROM pgmq_c.timeline_marker",
		0, {InvalidOid}, true
	},
	[STMT_ADVANCE_SEQUENCES] = {
		ON_CATALOG,
		"SELECT pg_catalog.count(pg_catalog.setval(c.oid, "
		"COALESCE(pg_catalog.pg_sequence_last_value(c.oid), 0) OPERATOR(pg_catalog.+) $1, true)) "
		"FROM pg_catalog.pg_class c "
		"WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pgmq_c'::pg_catalog.regnamespace "
		"AND c.relkind OPERATOR(pg_catalog.=) 'S' "
		"AND c.relname OPERATOR(pg_catalog.~) '^[qt]_[0-9]+_seq$'",
		1, {INT8OID}
	},

	/*
	 * Retired names (0.8.0, common/retired_names.c): the next msg_id of a
	 * queue or topic being dropped ($1, its sequence $2, NULL when gone),
	 * kept under its name; taken back (and forgotten) when a queue or topic
	 * is made under that name, and its new sequence ($1) started there ($2:
	 * set to the msg_id before, as called, so that pg_sequence_last_value()
	 * tells where it is before any nextval, for a drop or a new timeline);
	 * moved on with the sequences on a new timeline.
	 */
	[STMT_RETIRE_NAME] = {
		ON_CATALOG,
		"INSERT INTO pgmq_c.retired_names AS r (queue_name, next_msg_id) "
		"SELECT q.queue_name, COALESCE(pg_catalog.pg_sequence_last_value($2), 0) "
		"OPERATOR(pg_catalog.+) 1 "
		"FROM pgmq_c.queues q WHERE q.queue_id OPERATOR(pg_catalog.=) $1 "
		"ON CONFLICT (queue_name) DO UPDATE "
		"SET next_msg_id = GREATEST(r.next_msg_id, EXCLUDED.next_msg_id)",
		2, {INT4OID, REGCLASSOID}
	},
	[STMT_TAKE_RETIRED_NAME] = {
		ON_CATALOG,
		"DELETE FROM pgmq_c.retired_names "
		"WHERE queue_name OPERATOR(pg_catalog.=) $1 RETURNING next_msg_id",
		1, {TEXTOID}
	},
	[STMT_SEQUENCE_START] = {
		ON_CATALOG,
		"SELECT pg_catalog.setval($1, $2 OPERATOR(pg_catalog.-) 1, true)",
		2, {REGCLASSOID, INT8OID}
	},
	[STMT_ADVANCE_RETIRED_NAMES] = {
		ON_CATALOG,
		"UPDATE pgmq_c.retired_names "
		"SET next_msg_id = next_msg_id OPERATOR(pg_catalog.+) $1",
		1, {INT8OID}
	},

	/*
	 * A new queue's, topic's or group's row takes the identity's next id:
	 * tables without a catalog row are named after its own (VALUE_COL).
	 */
	[STMT_QUEUE_ID_AGAIN] = {
		ON_CATALOG,
		"UPDATE pgmq_c.queues SET queue_id = DEFAULT "
		"WHERE queue_id OPERATOR(pg_catalog.=) $1 RETURNING queue_id",
		1, {INT4OID}
	},
	[STMT_GROUP_ID_AGAIN] = {
		ON_CATALOG,
		"UPDATE pgmq_c.groups SET group_id = DEFAULT "
		"WHERE group_id OPERATOR(pg_catalog.=) $1 RETURNING group_id",
		1, {INT4OID}
	},
	[STMT_SET_TIMELINE_MARKER] = {
		ON_CATALOG,
		"SELECT pg_catalog.setval('pgmq_c.timeline_marker'::pg_catalog.regclass, $1, true)",
		1, {INT8OID}
	},
	[STMT_SET_DEDUP_WINDOW] = {
		ON_CATALOG,
		"UPDATE pgmq_c.queues SET dedup_window = $2 WHERE queue_id OPERATOR(pg_catalog.=) $1",
		2, {INT4OID, INTERVALOID}
	},
	[STMT_READ_ARCHIVE] = {
		ON_QUEUE,
		"SELECT msg_id, read_ct, enqueued_at, archived_at, vt, message, headers "
		"FROM {archive} WHERE msg_id OPERATOR(pg_catalog.>) $1 ORDER BY msg_id LIMIT $2",
		2, {INT8OID, INT4OID}
	},
	/* pending messages count as delayed: they are not visible yet */
	[STMT_METRICS] = {
		ON_QUEUE,
		"SELECT "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {messages} LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {messages} "
		" WHERE vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() LIMIT $1) s), "
		"((SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {delayed} LIMIT $1) s) "
		" OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {pending} LIMIT $1) s)), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {archive} LIMIT $1) s), "
		"LEAST("
		" (SELECT enqueued_at FROM {messages} WHERE msg_id OPERATOR(pg_catalog.>=) $2 "
		"  ORDER BY msg_id LIMIT 1),"
		" (SELECT enqueued_at FROM {delayed} ORDER BY msg_id LIMIT 1),"
		" (SELECT enqueued_at FROM {pending} ORDER BY msg_id LIMIT 1)), "
		"GREATEST("
		" (SELECT enqueued_at FROM {messages} ORDER BY msg_id DESC LIMIT 1),"
		" (SELECT enqueued_at FROM {delayed} ORDER BY msg_id DESC LIMIT 1),"
		" (SELECT enqueued_at FROM {pending} ORDER BY msg_id DESC LIMIT 1)), "
		"pg_catalog.pg_stat_get_live_tuples({messages_regclass}), "
		"pg_catalog.pg_stat_get_live_tuples({delayed_regclass}) "
		"OPERATOR(pg_catalog.+) pg_catalog.pg_stat_get_live_tuples({pending_regclass}), "
		"(SELECT pg_catalog.sum(pg_catalog.pg_stat_get_live_tuples(c.oid))::pg_catalog.int8 "
		" FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) {archive_regclass} "
		" OR c.oid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT i.inhrelid FROM pg_catalog.pg_inherits i "
		"  WHERE i.inhparent OPERATOR(pg_catalog.=) {archive_regclass}))), "
		"pg_catalog.clock_timestamp(), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {delayed} "
		" WHERE deliver_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() LIMIT $1) s)",
		2, {INT8OID, INT8OID}
	},

	/* the catalog before 0.7.0 */
	[STMT_METRICS_0_6] = {
		ON_QUEUE,
		"SELECT "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {messages} LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {messages} "
		" WHERE vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {delayed} LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {archive} LIMIT $1) s), "
		"LEAST("
		" (SELECT enqueued_at FROM {messages} WHERE msg_id OPERATOR(pg_catalog.>=) $2 "
		"  ORDER BY msg_id LIMIT 1),"
		" (SELECT enqueued_at FROM {delayed} ORDER BY msg_id LIMIT 1)), "
		"GREATEST("
		" (SELECT enqueued_at FROM {messages} ORDER BY msg_id DESC LIMIT 1),"
		" (SELECT enqueued_at FROM {delayed} ORDER BY msg_id DESC LIMIT 1)), "
		"pg_catalog.pg_stat_get_live_tuples({messages_regclass}), "
		"pg_catalog.pg_stat_get_live_tuples({delayed_regclass}), "
		"(SELECT pg_catalog.sum(pg_catalog.pg_stat_get_live_tuples(c.oid))::pg_catalog.int8 "
		" FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) {archive_regclass} "
		" OR c.oid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT i.inhrelid FROM pg_catalog.pg_inherits i "
		"  WHERE i.inhparent OPERATOR(pg_catalog.=) {archive_regclass}))), "
		"pg_catalog.clock_timestamp(), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {delayed} "
		" WHERE deliver_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() LIMIT $1) s)",
		2, {INT8OID, INT8OID}
	},
	[STMT_NEXT_DUE] = {
		ON_QUEUE,
		"SELECT LEAST("
		"(SELECT deliver_at FROM {delayed} WHERE deliver_at OPERATOR(pg_catalog.>) $2 "
		" ORDER BY deliver_at LIMIT 1), l.first_end), l.leases "
		"FROM (SELECT pg_catalog.min(vt) AS first_end, pg_catalog.count(*) AS leases "
		" FROM (SELECT vt FROM {messages} "
		" WHERE msg_id OPERATOR(pg_catalog.>=) $1 AND vt OPERATOR(pg_catalog.>) $2 "
		" ORDER BY msg_id LIMIT " CppAsString2(PGMQC_NEXT_DUE_LEASES) ") s) l",
		2, {INT8OID, TIMESTAMPTZOID}
	},
	[STMT_TOPIC_SEND_BATCH] = {
		ON_TOPIC,
		"INSERT INTO {log} (msg_id, enqueued_at, deliver_at, message, headers{if_keys:, ordering_key}) "
		"SELECT u.i, pg_catalog.clock_timestamp(), "
		BATCH_DUE ", u.m, u.h{if_keys:, u.k} "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($4), "
		"pg_catalog.unnest($5)) "
		"WITH ORDINALITY AS u(m, h, k, i, o) "
		"ORDER BY u.o RETURNING msg_id",
		5, {JSONBARRAYOID, JSONBARRAYOID, INTERVALOID, TEXTARRAYOID, INT8ARRAYOID}
	},

	/*
	 * Send one message straight into partition {partition} of a topic's log,
	 * its msg_id drawn already: no tuple routing.
	 */
	[STMT_TOPIC_SEND_PARTITION] = {
		ON_TOPIC,
		"INSERT INTO {partition} (msg_id, enqueued_at, deliver_at, message, headers{if_keys:, ordering_key}) "
		"VALUES ($4, pg_catalog.clock_timestamp(), "
		"pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $3, $1, $2{if_keys:, $5})",
		5, {JSONBOID, JSONBOID, INTERVALOID, INT8OID, TEXTOID}
	},
	[STMT_TOPIC_BOUNDS] = {
		ON_TOPIC,
		"SELECT (SELECT msg_id FROM {log} ORDER BY msg_id LIMIT 1), "
		"(SELECT enqueued_at FROM {log} ORDER BY msg_id LIMIT 1), "
		"(SELECT retention FROM pgmq_c.queues WHERE queue_id OPERATOR(pg_catalog.=) {queue_id})",
		0, {InvalidOid}
	},
	[STMT_TOPIC_FIRST_AT] = {
		ON_TOPIC,
		"SELECT pg_catalog.min(msg_id) FROM {log} WHERE enqueued_at OPERATOR(pg_catalog.>=) $1",
		1, {TIMESTAMPTZOID}
	},
	[STMT_TOPIC_METRICS] = {
		ON_TOPIC,
		"SELECT "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {log} LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {log} "
		" WHERE deliver_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() LIMIT $1) s), "
		"(SELECT enqueued_at FROM {log} ORDER BY msg_id LIMIT 1), "
		"(SELECT enqueued_at FROM {log} ORDER BY msg_id DESC LIMIT 1), "
		"(SELECT pg_catalog.sum(pg_catalog.pg_stat_get_live_tuples(i.inhrelid))::bigint "
		" FROM pg_catalog.pg_inherits i WHERE i.inhparent OPERATOR(pg_catalog.=) {log_regclass}), "
		"(SELECT pg_catalog.count(*)::integer FROM pg_catalog.pg_inherits i "
		" WHERE i.inhparent OPERATOR(pg_catalog.=) {log_regclass}), "
		"(SELECT pg_catalog.count(*)::integer FROM pgmq_c.groups g WHERE g.topic_id OPERATOR(pg_catalog.=) $2), "
		"(SELECT pg_catalog.sum(pg_catalog.pg_total_relation_size(i.inhrelid))::bigint "
		" FROM pg_catalog.pg_inherits i WHERE i.inhparent OPERATOR(pg_catalog.=) {log_regclass}), "
		"pg_catalog.clock_timestamp(), "
		"(SELECT retention FROM pgmq_c.queues WHERE queue_id OPERATOR(pg_catalog.=) $2)",
		2, {INT8OID, INT4OID}
	},
	[STMT_GROUP_CLAIM] = {
		ON_GROUP,
		"WITH c AS (UPDATE {group} g SET " CLAIM_SET("g")
		"WHERE g.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(" CLAIM_CANDIDATES("{group} h", CLAIM_SKIPPING CLAIM_KEY_HEADS) ")) "
		"RETURNING g.msg_id, g.read_ct, g.vt, {key:g} AS ordering_key, " CLAIM_OUTCOME("g") " AS outcome) "
		"SELECT c.msg_id, c.read_ct, t.enqueued_at, c.vt, t.message, t.headers, c.ordering_key, c.outcome "
		"FROM c LEFT JOIN LATERAL (SELECT enqueued_at, message, headers FROM {log} "
		"WHERE msg_id OPERATOR(pg_catalog.=) c.msg_id LIMIT 1) t ON true "
		"WHERE t.message IS NOT NULL OR c.outcome OPERATOR(pg_catalog.<>) 'c'",
		7, {INT4OID, INTERVALOID, INT8OID, INT4OID, FLOAT8OID, FLOAT8OID, BOOLOID}
	},
	/* STMT_GROUP_CLAIM without a retry policy, as STMT_CLAIM_PLAIN */
	[STMT_GROUP_CLAIM_PLAIN] = {
		ON_GROUP,
		"WITH c AS (UPDATE {group} g SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2, "
		"read_ct = g.read_ct OPERATOR(pg_catalog.+) 1, leased = true "
		"WHERE g.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(" CLAIM_CANDIDATES("{group} h", CLAIM_KEY_HEADS) ")) "
		"RETURNING g.msg_id, g.read_ct, g.vt, {key:g} AS ordering_key) "
		"SELECT c.msg_id, c.read_ct, t.enqueued_at, c.vt, t.message, t.headers, c.ordering_key "
		"FROM c CROSS JOIN LATERAL (SELECT enqueued_at, message, headers FROM {log} "
		"WHERE msg_id OPERATOR(pg_catalog.=) c.msg_id LIMIT 1) t",
		3, {INT4OID, INTERVALOID, INT8OID}
	},
	/* the claim of a catalog older than 0.6.0: no retry policy */
	[STMT_GROUP_CLAIM_0_5] = {
		ON_GROUP,
		"WITH c AS (UPDATE {group} g SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2, "
		"read_ct = g.read_ct OPERATOR(pg_catalog.+) 1 "
		"WHERE g.msg_id OPERATOR(pg_catalog.=) ANY (ARRAY(" CLAIM_CANDIDATES("{group}", "") ")) "
		"RETURNING g.msg_id, g.read_ct, g.vt) "
		"SELECT c.msg_id, c.read_ct, t.enqueued_at, c.vt, t.message, t.headers, NULL::pg_catalog.text "
		"FROM c CROSS JOIN LATERAL (SELECT enqueued_at, message, headers FROM {log} "
		"WHERE msg_id OPERATOR(pg_catalog.=) c.msg_id LIMIT 1) t",
		3, {INT4OID, INTERVALOID, INT8OID}
	},
	[STMT_GROUP_LOCK_CURSOR] = {
		ON_GROUP,
		"SELECT next_id, epoch FROM {cursors} WHERE group_id OPERATOR(pg_catalog.=) $1 "
		"FOR UPDATE SKIP LOCKED",
		1, {INT4OID}
	},
	[STMT_GROUP_CURSOR] = {
		ON_GROUP,
		"SELECT next_id, epoch FROM {cursors} WHERE group_id OPERATOR(pg_catalog.=) $1",
		1, {INT4OID}
	},

	[STMT_GROUP_FILL] = {
		ON_GROUP,
		GROUP_FILL(", leased, ordering_key", ", f.lease, f.ordering_key"),
		6, {INT8OID, INT8OID, INT4OID, JSONBOID, INT4OID, INTERVALOID}
	},
	/* the fill of a catalog older than 0.7.0: no ordering keys */
	[STMT_GROUP_FILL_0_6] = {
		ON_GROUP,
		GROUP_FILL(", leased", ", f.lease"),
		6, {INT8OID, INT8OID, INT4OID, JSONBOID, INT4OID, INTERVALOID}
	},
	/* the fill of a catalog older than 0.6.0: no column leased */
	[STMT_GROUP_FILL_0_5] = {
		ON_GROUP,
		GROUP_FILL("", ""),
		6, {INT8OID, INT8OID, INT4OID, JSONBOID, INT4OID, INTERVALOID}
	},
	[STMT_GROUP_HAND_OUT] = {
		ON_GROUP,
		GROUP_HAND_OUT(", leased, ordering_key", ", false, s.ordering_key"),
		4, {INT8OID, INT8OID, INT4OID, JSONBOID}
	},
	[STMT_GROUP_HAND_OUT_0_6] = {
		ON_GROUP,
		GROUP_HAND_OUT(", leased", ", false"),
		4, {INT8OID, INT8OID, INT4OID, JSONBOID}
	},
	[STMT_GROUP_HAND_OUT_0_5] = {
		ON_GROUP,
		GROUP_HAND_OUT("", ""),
		4, {INT8OID, INT8OID, INT4OID, JSONBOID}
	},
	[STMT_GROUP_SET_CURSOR] = {
		ON_GROUP,
		"UPDATE {cursors} SET next_id = $2 WHERE group_id OPERATOR(pg_catalog.=) $1",
		2, {INT4OID, INT8OID}
	},
	[STMT_GROUP_WATERMARK_SCAN] = {
		ON_GROUP,
		"SELECT LEAST((SELECT msg_id FROM {group} WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"ORDER BY msg_id LIMIT 1), "
		"(SELECT b.next_id FROM {group_blocks} b WHERE b.group_id OPERATOR(pg_catalog.=) $2 "
		"AND b.first_id OPERATOR(pg_catalog.>=) "
		"CASE WHEN c.epoch OPERATOR(pg_catalog.=) $4 THEN $3 ELSE 0 END "
		"ORDER BY b.first_id LIMIT 1), c.next_id), c.epoch, c.next_id "
		"FROM {cursors} c WHERE c.group_id OPERATOR(pg_catalog.=) $2",
		4, {INT8OID, INT4OID, INT8OID, INT8OID}
	},
	[STMT_GROUP_NEXT_DUE] = {
		ON_GROUP,
		"SELECT pg_catalog.min(vt), pg_catalog.count(*) FROM (SELECT vt FROM {group} "
		"WHERE msg_id OPERATOR(pg_catalog.>=) $1 AND vt OPERATOR(pg_catalog.>) $2 "
		"ORDER BY msg_id LIMIT " CppAsString2(PGMQC_NEXT_DUE_LEASES) ") s",
		2, {INT8OID, TIMESTAMPTZOID}
	},

	/*
	 * The rows ready to claim from $1 on, and the messages of the group's
	 * blocks (all ready) from first_id $3 on (where the readers saw them
	 * start: a hint, as the count is), at most $2 in all.
	 */
	[STMT_GROUP_AVAILABLE] = {
		ON_GROUP,
		"SELECT LEAST($2::pg_catalog.int8, "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {group} h "
		"WHERE msg_id OPERATOR(pg_catalog.>=) $1 "
		"AND vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() " CLAIM_KEY_HEADS "LIMIT $2) s) "
		"OPERATOR(pg_catalog.+) (SELECT COALESCE(pg_catalog.sum(b.messages), 0) FROM {group_blocks} b "
		"WHERE b.group_id OPERATOR(pg_catalog.=) {group_id} AND b.first_id OPERATOR(pg_catalog.>=) $3))",
		3, {INT8OID, INT4OID, INT8OID}
	},
	[STMT_GROUP_ACK] = {
		ON_GROUP,
		"DELETE FROM {group} WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($2 IS NULL OR read_ct OPERATOR(pg_catalog.=) $2) RETURNING msg_id",
		2, {INT8OID, INT4OID}
	},
	[STMT_GROUP_ACK_MANY] = {
		ON_GROUP,
		"DELETE FROM {group} g USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS r(id, ct) "
		"WHERE g.msg_id OPERATOR(pg_catalog.=) ANY ($1) AND g.msg_id OPERATOR(pg_catalog.=) r.id "
		"AND (r.ct IS NULL OR g.read_ct OPERATOR(pg_catalog.=) r.ct) RETURNING g.msg_id",
		2, {INT8ARRAYOID, INT4ARRAYOID}
	},
	/* as STMT_NACK, for a group */
	[STMT_GROUP_NACK] = {
		ON_GROUP,
		"UPDATE {group} g SET " NACK_SET("g")
		"WHERE g.msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($3 IS NULL OR g.read_ct OPERATOR(pg_catalog.=) $3) "
		"RETURNING g.vt, COALESCE(g.read_ct OPERATOR(pg_catalog.>=) $5, false)",
		7, NACK_TYPES
	},
	/* the nack of a catalog older than 0.6.0: no backoff, no reason */
	[STMT_GROUP_NACK_0_5] = {
		ON_GROUP,
		"UPDATE {group} SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) "
		"COALESCE($2, '0'::pg_catalog.interval) "
		"WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($3 IS NULL OR read_ct OPERATOR(pg_catalog.=) $3) "
		"RETURNING vt, false",
		7, NACK_TYPES
	},
	[STMT_GROUP_SET_VT] = {
		ON_GROUP,
		"WITH c AS (UPDATE {group} SET vt = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) $2 "
		"WHERE msg_id OPERATOR(pg_catalog.=) $1 "
		"AND ($3 IS NULL OR read_ct OPERATOR(pg_catalog.=) $3) RETURNING msg_id, read_ct, vt, {key:} AS ordering_key) "
		"SELECT c.msg_id, c.read_ct, t.enqueued_at, c.vt, t.message, t.headers, c.ordering_key "
		"FROM c CROSS JOIN LATERAL (SELECT enqueued_at, message, headers FROM {log} "
		"WHERE msg_id OPERATOR(pg_catalog.=) c.msg_id LIMIT 1) t",
		3, {INT8OID, INTERVALOID, INT4OID}
	},
	[STMT_GROUP_DEAD_LETTER_IDS] = {
		ON_GROUP,
		DEAD_LETTER_IDS("{group}"),
		3, {INT8OID, INT4OID, INT4OID}
	},
	[STMT_GROUP_BACKOFF_EXPIRED] = {
		ON_GROUP,
		BACKOFF_EXPIRED("{group}"),
		5, {INT8OID, INT4OID, INT4OID, FLOAT8OID, FLOAT8OID}
	},

	/*
	 * Take the group's dead messages ($1) out, for the dead-letter queue; $2
	 * and $3 name the topic and the group.  A message the topic no longer
	 * holds (retention) is dropped.
	 */
	[STMT_GROUP_DEAD_LETTER_TAKE] = {
		ON_GROUP,
		"WITH g AS (DELETE FROM {group} WHERE msg_id OPERATOR(pg_catalog.=) ANY ($1) "
		"RETURNING msg_id, read_ct, reason, {key:} AS ordering_key), "
		"d AS (SELECT g.msg_id, g.read_ct, g.reason, g.ordering_key, t.enqueued_at, t.message, t.headers "
		"FROM g CROSS JOIN LATERAL (SELECT enqueued_at, message, headers FROM {log} "
		"WHERE msg_id OPERATOR(pg_catalog.=) g.msg_id LIMIT 1) t) "
		DEAD_LETTER_ARRAYS("'topic', $2::pg_catalog.text, 'group', $3::pg_catalog.text"),
		3, {INT8ARRAYOID, TEXTOID, TEXTOID}
	},

	/*
	 * redrive() to a group: the messages $1 the topic still holds go back to
	 * group $2 (those below its cursor into its table; the others it reads
	 * anyway), and its seek count moves on, so that readers look below their
	 * watermarks again.  A message is the topic's when its msg_id is there
	 * with the enqueued_at it was dead-lettered with ($3, in the same order;
	 * NULL: not known): a topic dropped and made again under its name numbers
	 * its messages from 1 again; and when its headers pass the group's filter
	 * ($4; NULL: none): a dead letter naming a message the group never had
	 * was forged.  A message of an ordering key that is busy in the group
	 * stays out: a row of the key is in flight (vt ahead), or the key's first
	 * row is locked by a claim in progress (it is locked here otherwise, so
	 * that no claim leases it before this commits and the message is the
	 * key's first row, and changed, without a change of its values, so that a
	 * claim whose snapshot is older than this commit and that locks it after
	 * finds it changed: under READ COMMITTED the claim looks for the key's
	 * first row again in a new snapshot (direct_claim.c), under REPEATABLE
	 * READ it fails with 40001).  A message in one of the group's blocks
	 * (group_blocks.c) stays out too, as one in its table does: the block
	 * delivers it.  Returns a row for each of $1, in order: the msg_id,
	 * whether any rows went back, whether the topic holds that msg_id,
	 * whether it is that message, and whether its key was busy.
	 */

	/*
	 * Before STMT_GROUP_REDRIVE, in a statement of its own: the group's
	 * cursor row, which a fill holds (SKIP LOCKED) while it hands out and
	 * leases messages, so that STMT_GROUP_REDRIVE's snapshot shows every fill
	 * that this waited for, and no fill runs until the redrive ends.
	 */
	[STMT_GROUP_REDRIVE_LOCK] = {
		ON_GROUP,
		"SELECT next_id FROM {cursors} WHERE group_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
		1, {INT4OID}
	},
	[STMT_GROUP_REDRIVE] = {
		ON_GROUP,
		"WITH c AS (SELECT next_id FROM {cursors} WHERE group_id OPERATOR(pg_catalog.=) $2 FOR UPDATE), "
		"r AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($3)) "
		"WITH ORDINALITY AS r(id, at, n)), "
		"t AS (SELECT t.msg_id, t.enqueued_at, {key:t} AS ordering_key, "
		"($4 IS NULL OR t.headers OPERATOR(pg_catalog.@>) $4) AS passes FROM {log} t "
		"WHERE t.msg_id OPERATOR(pg_catalog.=) ANY ($1)), "
		"l AS (SELECT DISTINCT t.msg_id, t.ordering_key FROM t JOIN r "
		"ON r.id OPERATOR(pg_catalog.=) t.msg_id "
		"WHERE t.passes AND (r.at IS NULL OR r.at OPERATOR(pg_catalog.=) t.enqueued_at)), "
		"k AS (SELECT DISTINCT l.ordering_key FROM l WHERE l.ordering_key IS NOT NULL), "
		"h AS (SELECT x.msg_id, x.vt, {key:x} AS ordering_key FROM {group} x "
		"WHERE x.msg_id OPERATOR(pg_catalog.=) ANY (SELECT (SELECT y.msg_id FROM {group} y "
		"WHERE {key:y} OPERATOR(pg_catalog.=) k.ordering_key ORDER BY y.msg_id LIMIT 1) FROM k) "
		"FOR UPDATE SKIP LOCKED), "
		"hu AS (UPDATE {group} x SET vt = x.vt FROM h "
		"WHERE x.msg_id OPERATOR(pg_catalog.=) h.msg_id RETURNING 1), "
		"b AS (SELECT k.ordering_key FROM k WHERE EXISTS (SELECT 1 FROM {group} y "
		"WHERE {key:y} OPERATOR(pg_catalog.=) k.ordering_key) AND (NOT EXISTS (SELECT 1 FROM h "
		"WHERE h.ordering_key OPERATOR(pg_catalog.=) k.ordering_key "
		"AND h.vt OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()) "
		"OR EXISTS (SELECT 1 FROM {group} y WHERE {key:y} OPERATOR(pg_catalog.=) k.ordering_key "
		"AND y.vt OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()))), "
		"i AS (INSERT INTO {group} (msg_id, read_ct, vt{if_keys:, ordering_key}) "
		"SELECT l.msg_id, 0, pg_catalog.clock_timestamp(){if_keys:, l.ordering_key} FROM l, c "
		"WHERE l.msg_id OPERATOR(pg_catalog.<) c.next_id AND (l.ordering_key IS NULL "
		"OR NOT EXISTS (SELECT 1 FROM b WHERE b.ordering_key OPERATOR(pg_catalog.=) l.ordering_key)) "
		"AND NOT EXISTS (SELECT 1 FROM {group_blocks} gb WHERE gb.group_id OPERATOR(pg_catalog.=) $2 "
		"AND l.msg_id OPERATOR(pg_catalog.>=) gb.next_id AND l.msg_id OPERATOR(pg_catalog.<=) gb.last_id) "
		"ON CONFLICT (msg_id) DO NOTHING RETURNING msg_id), "
		"u AS (UPDATE {cursors} SET epoch = epoch OPERATOR(pg_catalog.+) 1 "
		"WHERE group_id OPERATOR(pg_catalog.=) $2 AND EXISTS (SELECT 1 FROM i) RETURNING 1) "
		"SELECT r.id, EXISTS (SELECT 1 FROM u), t.msg_id IS NOT NULL, "
		"t.msg_id IS NOT NULL AND t.passes AND (r.at IS NULL OR r.at OPERATOR(pg_catalog.=) t.enqueued_at), "
		"t.msg_id IS NOT NULL AND t.passes "
		"AND EXISTS (SELECT 1 FROM b WHERE b.ordering_key OPERATOR(pg_catalog.=) t.ordering_key) "
		"FROM r LEFT JOIN t ON t.msg_id OPERATOR(pg_catalog.=) r.id ORDER BY r.n",
		4, {INT8ARRAYOID, INT4OID, TIMESTAMPTZARRAYOID, JSONBOID}
	},
	/* when group $1 was made (VALUE_COL) */
	[STMT_GROUP_CREATED_AT] = {
		ON_CATALOG,
		"SELECT created_at FROM pgmq_c.groups WHERE group_id OPERATOR(pg_catalog.=) $1",
		1, {INT4OID}
	},
	[STMT_GROUP_STATS] = {
		ON_GROUP,
		"SELECT c.next_id, c.missed, "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {group} LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {group} WHERE read_ct OPERATOR(pg_catalog.>) 0 "
		" AND vt OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() "
		" AND vt OPERATOR(pg_catalog.<>) 'infinity'::pg_catalog.timestamptz LIMIT $1) s), "
		"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {log} t "
		" WHERE t.msg_id OPERATOR(pg_catalog.>=) c.next_id "
		" AND ($3 IS NULL OR t.headers OPERATOR(pg_catalog.@>) $3) LIMIT $1) s), "
		"LEAST((SELECT (SELECT t.enqueued_at FROM {log} t WHERE t.msg_id OPERATOR(pg_catalog.=) g.msg_id) "
		"  FROM {group} g ORDER BY g.msg_id LIMIT 1), "
		" (SELECT (SELECT t.enqueued_at FROM {log} t WHERE t.msg_id OPERATOR(pg_catalog.>=) b.next_id "
		"   AND t.msg_id OPERATOR(pg_catalog.<=) b.last_id "
		"   AND ($3 IS NULL OR t.headers OPERATOR(pg_catalog.@>) $3) ORDER BY t.msg_id LIMIT 1) "
		"  FROM {group_blocks} b WHERE b.group_id OPERATOR(pg_catalog.=) $2 ORDER BY b.first_id LIMIT 1), "
		" (SELECT t.enqueued_at FROM {log} t WHERE t.msg_id OPERATOR(pg_catalog.>=) c.next_id "
		"  AND ($3 IS NULL OR t.headers OPERATOR(pg_catalog.@>) $3) ORDER BY t.msg_id LIMIT 1)), "
		"pg_catalog.clock_timestamp(), "
		"(SELECT COALESCE(pg_catalog.sum(b.messages), 0) FROM {group_blocks} b "
		" WHERE b.group_id OPERATOR(pg_catalog.=) $2) "
		"FROM {cursors} c WHERE c.group_id OPERATOR(pg_catalog.=) $2",
		3, {INT8OID, INT4OID, JSONBOID}
	},
	/* a queue's id and owner, by name (catalogs of 0.4.0 on) */
	[STMT_QUEUE_ID_OWNER] = {
		ON_CATALOG,
		"SELECT q.queue_id, q.owner::pg_catalog.oid FROM pgmq_c.queues q "
		"WHERE q.queue_name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}, true
	},
	[STMT_LOOKUP_QUEUE] = {
		ON_CATALOG,
		"SELECT q.queue_id, COALESCE(q.visibility_timeout, '0'::pg_catalog.interval), "
		"q.notify_throttle IS NOT NULL, q.kind, q.partition_size, q.owner::pg_catalog.oid, "
		"q.max_deliveries, (SELECT d.queue_name FROM pgmq_c.queues d "
		" WHERE d.queue_id OPERATOR(pg_catalog.=) q.dead_letter_queue_id), "
		"q.retry_backoff, q.retry_backoff_max, q.archive_retention, q.dedup_window "
		"FROM pgmq_c.queues q WHERE q.queue_name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	},
	/* the catalog of 0.6.0: no deduplication window */
	[STMT_LOOKUP_QUEUE_0_6] = {
		ON_CATALOG,
		"SELECT q.queue_id, COALESCE(q.visibility_timeout, '0'::pg_catalog.interval), "
		"q.notify_throttle IS NOT NULL, q.kind, q.partition_size, q.owner::pg_catalog.oid, "
		"q.max_deliveries, (SELECT d.queue_name FROM pgmq_c.queues d "
		" WHERE d.queue_id OPERATOR(pg_catalog.=) q.dead_letter_queue_id), "
		"q.retry_backoff, q.retry_backoff_max, q.archive_retention "
		"FROM pgmq_c.queues q WHERE q.queue_name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	},
	/* the catalog of 0.4.0 and 0.5.0: no retry policy */
	[STMT_LOOKUP_QUEUE_0_5] = {
		ON_CATALOG,
		"SELECT queue_id, COALESCE(visibility_timeout, '0'::pg_catalog.interval), "
		"notify_throttle IS NOT NULL, kind, partition_size, owner::pg_catalog.oid "
		"FROM pgmq_c.queues WHERE queue_name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	},

	/*
	 * The catalog of versions 0.1.0 to 0.3.0 lacks columns: this library
	 * serves them until ALTER EXTENSION pgmq_c UPDATE.
	 */
	[STMT_LOOKUP_QUEUE_0_3] = {
		ON_CATALOG,
		"SELECT queue_id, COALESCE(visibility_timeout, '0'::pg_catalog.interval), "
		"notify_throttle IS NOT NULL, kind, partition_size, 0::pg_catalog.oid "
		"FROM pgmq_c.queues WHERE queue_name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	},
	[STMT_LOOKUP_QUEUE_0_2] = {
		ON_CATALOG,
		"SELECT queue_id, visibility_timeout, notify_throttle IS NOT NULL, "
		"'q'::pg_catalog.\"char\", NULL::pg_catalog.int8, 0::pg_catalog.oid "
		"FROM pgmq_c.queues WHERE queue_name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	},
	[STMT_LOOKUP_QUEUE_0_1] = {
		ON_CATALOG,
		"SELECT queue_id, visibility_timeout, false, "
		"'q'::pg_catalog.\"char\", NULL::pg_catalog.int8, 0::pg_catalog.oid "
		"FROM pgmq_c.queues WHERE queue_name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	},
	/* creating and dropping queues, topics and groups take turns */
	[STMT_LOCK_CATALOG] = {
		RUN_ONCE,
		"LOCK TABLE pgmq_c.queues IN SHARE ROW EXCLUSIVE MODE",
		0, {InvalidOid}
	},
	[STMT_LOOKUP_GROUP] = {
		ON_CATALOG,
		"SELECT g.group_id, g.visibility_timeout, g.filter, g.max_deliveries, "
		"(SELECT d.queue_name FROM pgmq_c.queues d "
		" WHERE d.queue_id OPERATOR(pg_catalog.=) g.dead_letter_queue_id), "
		"g.retry_backoff, g.retry_backoff_max "
		"FROM pgmq_c.groups g WHERE g.topic_id OPERATOR(pg_catalog.=) $1 "
		"AND g.group_name OPERATOR(pg_catalog.=) $2",
		2, {INT4OID, TEXTOID}
	},
	/* the catalog before 0.6.0: no retry policy */
	[STMT_LOOKUP_GROUP_0_5] = {
		ON_CATALOG,
		"SELECT group_id, visibility_timeout, filter "
		"FROM pgmq_c.groups WHERE topic_id OPERATOR(pg_catalog.=) $1 "
		"AND group_name OPERATOR(pg_catalog.=) $2",
		2, {INT4OID, TEXTOID}
	},

	/*
	 * alter_queue() and alter_group(): NULL leaves a setting, 0 clears it (0
	 * is the dead-letter queue id of none).
	 */
#define ALTER_SETTING(column, param, zero) \
	column " = CASE WHEN " param " IS NULL THEN " column " WHEN " param \
	" OPERATOR(pg_catalog.=) " zero " THEN NULL ELSE " param " END"
	[STMT_ALTER_QUEUE] = {
		ON_CATALOG,
		"UPDATE pgmq_c.queues SET "
		"visibility_timeout = COALESCE($2, visibility_timeout), "
		ALTER_SETTING("max_deliveries", "$3", "0") ", "
		ALTER_SETTING("dead_letter_queue_id", "$4", "0") ", "
		ALTER_SETTING("retry_backoff", "$5", "'0'::pg_catalog.interval") ", "
		ALTER_SETTING("retry_backoff_max", "$6", "'0'::pg_catalog.interval") ", "
		ALTER_SETTING("archive_retention", "$7", "'0'::pg_catalog.interval") " "
		"WHERE queue_id OPERATOR(pg_catalog.=) $1 "
		"RETURNING retry_backoff OPERATOR(pg_catalog.>) retry_backoff_max",
		7, {INT4OID, INTERVALOID, INT4OID, INT4OID, INTERVALOID, INTERVALOID, INTERVALOID}
	},
	[STMT_ALTER_GROUP] = {
		ON_CATALOG,
		"UPDATE pgmq_c.groups SET "
		"visibility_timeout = COALESCE($2, visibility_timeout), "
		ALTER_SETTING("max_deliveries", "$3", "0") ", "
		ALTER_SETTING("dead_letter_queue_id", "$4", "0") ", "
		ALTER_SETTING("retry_backoff", "$5", "'0'::pg_catalog.interval") ", "
		ALTER_SETTING("retry_backoff_max", "$6", "'0'::pg_catalog.interval") " "
		"WHERE group_id OPERATOR(pg_catalog.=) $1 "
		"RETURNING retry_backoff OPERATOR(pg_catalog.>) retry_backoff_max, "
		"max_deliveries IS NOT NULL AND dead_letter_queue_id IS NULL",
		6, {INT4OID, INTERVALOID, INT4OID, INT4OID, INTERVALOID, INTERVALOID}
	},
	/* a queue or group whose dead-letter queue is queue $1 */

	/*
	 * The queues and groups whose dead-letter queue is $1: how to name them,
	 * the owner and id of their queue or topic, and the group's id (0 for a
	 * queue)
	 */
	[STMT_DEAD_LETTER_USERS] = {
		ON_CATALOG,
		"SELECT 'queue ' OPERATOR(pg_catalog.||) pg_catalog.quote_literal(q.queue_name), "
		"q.owner::pg_catalog.oid, q.queue_id, 0 "
		"FROM pgmq_c.queues q WHERE q.dead_letter_queue_id OPERATOR(pg_catalog.=) $1 "
		"UNION ALL SELECT 'group ' OPERATOR(pg_catalog.||) pg_catalog.quote_literal(g.group_name) "
		"OPERATOR(pg_catalog.||) ' of topic ' OPERATOR(pg_catalog.||) pg_catalog.quote_literal(t.queue_name), "
		"t.owner::pg_catalog.oid, t.queue_id, g.group_id "
		"FROM pgmq_c.groups g JOIN pgmq_c.queues t ON t.queue_id OPERATOR(pg_catalog.=) g.topic_id "
		"WHERE g.dead_letter_queue_id OPERATOR(pg_catalog.=) $1",
		1, {INT4OID}
	},

	/*
	 * The queues dead letters go through from queue $1 on (its dead-letter
	 * queue, that one's, ...) up to queue $2, in that order, if they come to
	 * $2; no row otherwise.  Each queue has one dead-letter queue, so the
	 * chain is a path; it stops at a queue it went through before (a cycle
	 * made before 0.8.0, which refuses cycles, that does not pass $2).
	 */
	[STMT_DEAD_LETTER_CYCLE] = {
		ON_CATALOG,
		"WITH RECURSIVE chain(queue_id, path) AS ("
		" SELECT $1, ARRAY[$1]"
		" UNION ALL"
		" SELECT q.dead_letter_queue_id, c.path OPERATOR(pg_catalog.||) q.dead_letter_queue_id"
		" FROM chain c JOIN pgmq_c.queues q ON q.queue_id OPERATOR(pg_catalog.=) c.queue_id"
		" WHERE c.queue_id OPERATOR(pg_catalog.<>) $2"
		" AND q.dead_letter_queue_id IS NOT NULL"
		" AND q.dead_letter_queue_id OPERATOR(pg_catalog.<>) ALL (c.path)) "
		"SELECT q.queue_id, q.owner::pg_catalog.oid, q.queue_name "
		"FROM chain c, pg_catalog.unnest(c.path) WITH ORDINALITY AS u(id, o) "
		"JOIN pgmq_c.queues q ON q.queue_id OPERATOR(pg_catalog.=) u.id "
		"WHERE c.queue_id OPERATOR(pg_catalog.=) $2 ORDER BY u.o",
		2, {INT4OID, INT4OID}, true
	},

	/*
	 * a group's messages marked dead and left in place (its topic's owner
	 * could not send to the dead-letter queue), delivered again
	 */
	[STMT_GROUP_RELEASE_DEAD] = {
		RUN_ONCE,
		"UPDATE {group} SET vt = pg_catalog.clock_timestamp() "
		"WHERE vt OPERATOR(pg_catalog.=) 'infinity'::pg_catalog.timestamptz",
		0, {InvalidOid}
	},

	/*
	 * forget a dropped dead-letter queue: of queue $1, or of group $2 (with
	 * its max_deliveries, which a group only has with a dead-letter queue)
	 */
	[STMT_DEAD_LETTER_FORGET] = {
		ON_CATALOG,
		"WITH q AS (UPDATE pgmq_c.queues SET dead_letter_queue_id = NULL "
		" WHERE $2 OPERATOR(pg_catalog.=) 0 AND queue_id OPERATOR(pg_catalog.=) $1) "
		"UPDATE pgmq_c.groups SET dead_letter_queue_id = NULL, max_deliveries = NULL "
		"WHERE group_id OPERATOR(pg_catalog.=) $2",
		2, {INT4OID, INT4OID}
	},
	/* the worker's pass: queues with max_deliveries or archive_retention */
	[STMT_RETRY_QUEUES] = {
		ON_CATALOG,
		"SELECT queue_id, NULL::pg_catalog.text, queue_name FROM pgmq_c.queues "
		"WHERE kind OPERATOR(pg_catalog.=) 'q' "
		"AND (max_deliveries IS NOT NULL OR archive_retention IS NOT NULL) ORDER BY queue_id",
		0, {InvalidOid}
	},
	/* ... and groups with max_deliveries */
	[STMT_RETRY_GROUPS] = {
		ON_CATALOG,
		"SELECT g.group_id, t.queue_name, g.group_name FROM pgmq_c.groups g "
		"JOIN pgmq_c.queues t ON t.queue_id OPERATOR(pg_catalog.=) g.topic_id "
		"WHERE g.max_deliveries IS NOT NULL ORDER BY g.group_id",
		0, {InvalidOid}
	},

	/*
	 * Privileges.  The grants on a queue: PUBLIC's (role 0) first, then the
	 * roles' by name.
	 */
	[STMT_READ_GRANTS] = {
		ON_CATALOG,
		"SELECT role_id::pg_catalog.oid, privileges "
		"FROM pgmq_c.access "
		"WHERE queue_id OPERATOR(pg_catalog.=) $1 "
		"ORDER BY role_id OPERATOR(pg_catalog.<>) 0, "
		"role_id::pg_catalog.text COLLATE \"C\"",
		1, {INT4OID}, true
	},
	/* is there a grant to, or a queue owned by, a dropped role? */
	[STMT_DROPPED_ROLES_EXIST] = {
		ON_CATALOG,
		"SELECT EXISTS (SELECT FROM pgmq_c.access a"
		" WHERE a.role_id OPERATOR(pg_catalog.<>) 0"
		" AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r"
		"  WHERE r.oid OPERATOR(pg_catalog.=) a.role_id::pg_catalog.oid))"
		" OR EXISTS (SELECT FROM pgmq_c.queues q"
		" WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r"
		"  WHERE r.oid OPERATOR(pg_catalog.=) q.owner::pg_catalog.oid))",
		0, {InvalidOid}, true
	},
	/* forget those grants; give those queues to $1, the extension owner */
	[STMT_FORGET_DROPPED_ROLES] = {
		RUN_ONCE,
		"WITH grants AS ("
		" DELETE FROM pgmq_c.access a"
		" WHERE a.role_id OPERATOR(pg_catalog.<>) 0"
		" AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r"
		"  WHERE r.oid OPERATOR(pg_catalog.=) a.role_id::pg_catalog.oid)"
		" RETURNING 1), "
		"owners AS ("
		" UPDATE pgmq_c.queues q SET owner = $1::pg_catalog.regrole"
		" WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r"
		"  WHERE r.oid OPERATOR(pg_catalog.=) q.owner::pg_catalog.oid)"
		" RETURNING 1) "
		"SELECT (SELECT pg_catalog.count(*) FROM grants) OPERATOR(pg_catalog.+) "
		"(SELECT pg_catalog.count(*) FROM owners)",
		1, {OIDOID}
	},
	/* add the bits $3 to role $2's grant on queue $1; a row if it changed */
	[STMT_GRANT] = {
		ON_CATALOG,
		"INSERT INTO pgmq_c.access AS a (queue_id, role_id, privileges) "
		"VALUES ($1, $2::pg_catalog.regrole, $3) "
		"ON CONFLICT (queue_id, role_id) DO UPDATE "
		"SET privileges = a.privileges OPERATOR(pg_catalog.|) $3 "
		"WHERE a.privileges OPERATOR(pg_catalog.|) $3 "
		"OPERATOR(pg_catalog.<>) a.privileges",
		3, {INT4OID, OIDOID, INT4OID}
	},
	/* revoking: rows left with no privilege go; the others lose the bits */
	[STMT_REVOKE_DELETE] = {
		ON_CATALOG,
		"DELETE FROM pgmq_c.access "
		"WHERE queue_id OPERATOR(pg_catalog.=) $1 "
		"AND role_id OPERATOR(pg_catalog.=) $2::pg_catalog.regrole "
		"AND (privileges OPERATOR(pg_catalog.&) "
		"(OPERATOR(pg_catalog.~) $3)) OPERATOR(pg_catalog.=) 0",
		3, {INT4OID, OIDOID, INT4OID}
	},
	[STMT_REVOKE_UPDATE] = {
		ON_CATALOG,
		"UPDATE pgmq_c.access "
		"SET privileges = privileges OPERATOR(pg_catalog.&) "
		"(OPERATOR(pg_catalog.~) $3) "
		"WHERE queue_id OPERATOR(pg_catalog.=) $1 "
		"AND role_id OPERATOR(pg_catalog.=) $2::pg_catalog.regrole "
		"AND (privileges OPERATOR(pg_catalog.&) $3) "
		"OPERATOR(pg_catalog.<>) 0",
		3, {INT4OID, OIDOID, INT4OID}
	},
	/* notifications: enable_notify() / disable_notify() */
	[STMT_SET_NOTIFY] = {
		ON_CATALOG,
		"UPDATE pgmq_c.queues SET notify_throttle = $2, notify_channel = $3 "
		"WHERE queue_id OPERATOR(pg_catalog.=) $1",
		3, {INT4OID, INTERVALOID, TEXTOID}
	},
	/* ... of a catalog from before 0.8.0: no channels */
	[STMT_SET_NOTIFY_0_7] = {
		ON_CATALOG,
		"UPDATE pgmq_c.queues SET notify_throttle = $2 "
		"WHERE queue_id OPERATOR(pg_catalog.=) $1",
		2, {INT4OID, INTERVALOID}
	},
	/* the worker's list of queues to notify for */
	[STMT_NOTIFY_QUEUES] = {
		ON_CATALOG,
		"SELECT queue_id, queue_name, notify_throttle, notify_channel "
		"FROM pgmq_c.queues WHERE notify_throttle IS NOT NULL "
		"ORDER BY queue_id",
		0, {InvalidOid}, true
	},
	/* ... of a catalog from before 0.8.0: no channels */
	[STMT_NOTIFY_QUEUES_0_7] = {
		ON_CATALOG,
		"SELECT queue_id, queue_name, notify_throttle, NULL::pg_catalog.text "
		"FROM pgmq_c.queues WHERE notify_throttle IS NOT NULL "
		"ORDER BY queue_id",
		0, {InvalidOid}, true
	},
	/* is a committed message of the queue visible, or a delayed one due? */

	/*
	 * Did a message become visible by itself: did a delayed one come due in
	 * ($3, $1], or a lease among the first PGMQC_NEXT_DUE_LEASES messages
	 * (where STMT_NEXT_DUE looks for lease ends) end in ($2, $1]?  What was
	 * visible before is no news: a wake-up of a slot shared with other queues
	 * must not announce an old backlog, or a delayed message announced
	 * before, again.  A delayed message whose send commits after its due time
	 * is announced by its commit (wakeups.c: late_bits).
	 */
	[STMT_VISIBLE_NOW] = {
		ON_QUEUE,
		"SELECT 1 WHERE EXISTS "
		"(SELECT 1 FROM {delayed} WHERE deliver_at OPERATOR(pg_catalog.<=) $1 "
		" AND deliver_at OPERATOR(pg_catalog.>) $3) "
		"OR EXISTS (SELECT 1 FROM (SELECT vt FROM {messages} ORDER BY msg_id "
		"LIMIT " CppAsString2(PGMQC_NEXT_DUE_LEASES) ") s "
		"WHERE s.vt OPERATOR(pg_catalog.<=) $1 AND s.vt OPERATOR(pg_catalog.>) $2)",
		3, {TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID}, true
	},
	/* the names of the queues (not topics) among the ids $1 */
	[STMT_PROBE_QUEUES] = {
		ON_CATALOG,
		"SELECT queue_id, queue_name FROM pgmq_c.queues "
		"WHERE queue_id OPERATOR(pg_catalog.=) ANY ($1) "
		"AND kind OPERATOR(pg_catalog.=) 'q'::pg_catalog.\"char\"",
		1, {INT8ARRAYOID}, true
	},
	/* every queue (not topic) of the database */
	[STMT_PROBE_ALL_QUEUES] = {
		ON_CATALOG,
		"SELECT queue_id, queue_name FROM pgmq_c.queues "
		"WHERE kind OPERATOR(pg_catalog.=) 'q'::pg_catalog.\"char\"",
		0, {InvalidOid}, true
	},
	/* ---- topic: begin ---- */

	/*
	 * A topic's row in pgmq_c.queues; the _0_3 form for a catalog older than
	 * 0.4.0, which has no owner column.
	 */
	[STMT_TOPIC_INSERT_CATALOG] = {
		RUN_ONCE,
		"INSERT INTO pgmq_c.queues (queue_name, visibility_timeout, "
		"kind, retention, partition_size, owner) "
		"VALUES ($1, '0'::pg_catalog.interval, 't', $2, $3, "
		"$4::pg_catalog.regrole) RETURNING queue_id",
		4, {TEXTOID, INTERVALOID, INT8OID, OIDOID}
	},
	[STMT_TOPIC_INSERT_CATALOG_0_3] = {
		RUN_ONCE,
		"INSERT INTO pgmq_c.queues (queue_name, visibility_timeout, "
		"kind, retention, partition_size) "
		"VALUES ($1, '0'::pg_catalog.interval, 't', $2, $3) RETURNING queue_id",
		3, {TEXTOID, INTERVALOID, INT8OID}
	},
	/* a topic's sequence, log and cursor table; partitions come apart */

	/*
	 * A topic's log, its sequence and its cursor table, shaped by the
	 * template tables (pgmq_c--0.4.0--0.5.0.sql).  Only the msg_id default
	 * names the topic's own sequence.
	 */
	[STMT_TOPIC_CREATE_STORAGE] = {
		RUN_ONCE,
		"CREATE SEQUENCE {log_sequence} AS bigint;"
		"CREATE TABLE {log} (LIKE pgmq_c.template_topic_log INCLUDING ALL)"
		" PARTITION BY RANGE (msg_id);"
		"ALTER TABLE {log} ALTER COLUMN msg_id"
		" SET DEFAULT pg_catalog.nextval({log_sequence_regclass});"
		"ALTER SEQUENCE {log_sequence} OWNED BY {log}.msg_id;"
		"CREATE TABLE {cursors} (LIKE pgmq_c.template_topic_cursors INCLUDING ALL)"
		"{with:template_topic_cursors};"
		"COMMENT ON TABLE {log} IS 'pgmq_c topic {queue_id}: messages';"
		"COMMENT ON TABLE {cursors} IS 'pgmq_c topic {queue_id}: group cursors';",
		0, {InvalidOid}
	},
	/* the same before 0.5.0, which has no template tables */
	[STMT_TOPIC_CREATE_STORAGE_0_4] = {
		RUN_ONCE,
		"CREATE SEQUENCE {log_sequence} AS bigint;"
		"CREATE TABLE {log} ("
		" msg_id bigint NOT NULL"
		"  DEFAULT pg_catalog.nextval({log_sequence_regclass}),"
		" enqueued_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),"
		" deliver_at timestamptz,"
		" message jsonb NOT NULL,"
		" headers jsonb,"
		" PRIMARY KEY (msg_id)"
		") PARTITION BY RANGE (msg_id);"
		"CREATE INDEX t_{queue_id}_enqueued_at ON {log} USING brin (enqueued_at);"
		"CREATE INDEX t_{queue_id}_deliver_at ON {log} (deliver_at)"
		" WHERE deliver_at IS NOT NULL;"
		"ALTER SEQUENCE {log_sequence} OWNED BY {log}.msg_id;"
		"CREATE TABLE {cursors} ("
		" group_id integer PRIMARY KEY,"
		" next_id bigint NOT NULL,"
		" epoch bigint NOT NULL DEFAULT 0,"
		" missed bigint NOT NULL DEFAULT 0"
		") WITH (fillfactor = 50);"
		"COMMENT ON TABLE {log} IS 'pgmq_c topic {queue_id}: messages';"
		"COMMENT ON TABLE {cursors} IS 'pgmq_c topic {queue_id}: group cursors';",
		0, {InvalidOid}
	},
	[STMT_TOPIC_GROUP_IDS] = {
		RUN_ONCE,
		"SELECT group_id FROM pgmq_c.groups "
		"WHERE topic_id OPERATOR(pg_catalog.=) {queue_id} ORDER BY group_id",
		0, {InvalidOid}
	},

	/*
	 * The partitions of topic {queue_id} attached to no log ($1: the oid of
	 * schema pgmq_c).
	 */
	[STMT_TOPIC_DETACHED_PARTITIONS] = {
		RUN_ONCE,
		"SELECT c.relname FROM pg_catalog.pg_class c "
		"WHERE c.relnamespace OPERATOR(pg_catalog.=) $1 "
		"AND c.relname OPERATOR(pg_catalog.~) '^t_{queue_id}_p[0-9]+$' "
		"AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i "
		"WHERE i.inhrelid OPERATOR(pg_catalog.=) c.oid) "
		"ORDER BY c.relname",
		1, {OIDOID}
	},
	[STMT_TOPIC_DELETE_CATALOG] = {
		RUN_ONCE,
		"DELETE FROM pgmq_c.groups WHERE topic_id OPERATOR(pg_catalog.=) {queue_id};"
		"DELETE FROM pgmq_c.queues WHERE queue_id OPERATOR(pg_catalog.=) {queue_id}",
		0, {InvalidOid}
	},
	[STMT_GROUP_INSERT_CATALOG] = {
		RUN_ONCE,
		"INSERT INTO pgmq_c.groups (topic_id, group_name, "
		"visibility_timeout, filter, start_at) "
		"VALUES ($1, $2, $3, $4, $5) RETURNING group_id",
		5, {INT4OID, TEXTOID, INTERVALOID, JSONBOID, TEXTOID}
	},

	/*
	 * A group's table.  vt is not indexed and fillfactor leaves room: leases
	 * are HOT updates.
	 */
	/* a group's table, shaped by its template (0.5.0) */
	[STMT_GROUP_CREATE_STORAGE] = {
		RUN_ONCE,
		"CREATE TABLE {group} (LIKE pgmq_c.template_group_messages INCLUDING ALL)"
		"{with:template_group_messages};"
		"COMMENT ON TABLE {group} IS "
		"'pgmq_c topic {queue_id}, group {group_id}: messages handed out, not acknowledged';",
		0, {InvalidOid}
	},
	/* the same before 0.5.0 */
	[STMT_GROUP_CREATE_STORAGE_0_4] = {
		RUN_ONCE,
		"CREATE TABLE {group} ("
		" msg_id bigint PRIMARY KEY,"
		" read_ct integer NOT NULL,"
		" vt timestamptz NOT NULL"
		") WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05,"
		" autovacuum_vacuum_cost_delay = 0);"
		"COMMENT ON TABLE {group} IS "
		"'pgmq_c topic {queue_id}, group {group_id}: messages handed out, not acknowledged';",
		0, {InvalidOid}
	},

	/*
	 * A group's table unlogged, or logged again, with its topic (0.8.0: the
	 * topic's durability).  Made logged, then set unlogged: one shape
	 * statement serves both levels.
	 */
	[STMT_GROUP_SET_UNLOGGED] = {
		RUN_ONCE,
		"ALTER TABLE {group} SET UNLOGGED",
		0, {InvalidOid}
	},
	[STMT_GROUP_SET_LOGGED] = {
		RUN_ONCE,
		"ALTER TABLE {group} SET LOGGED",
		0, {InvalidOid}
	},
	[STMT_GROUP_INSERT_CURSOR] = {
		RUN_ONCE,
		"INSERT INTO {cursors} (group_id, next_id) VALUES ({group_id}, $1)",
		1, {INT8OID}
	},
	[STMT_GROUP_DELETE_CURSOR] = {
		RUN_ONCE,
		"DELETE FROM {cursors} WHERE group_id OPERATOR(pg_catalog.=) {group_id}",
		0, {InvalidOid}
	},
	[STMT_GROUP_DELETE_CATALOG] = {
		RUN_ONCE,
		"DELETE FROM pgmq_c.groups WHERE group_id OPERATOR(pg_catalog.=) {group_id}",
		0, {InvalidOid}
	},
	/* seek: wait for a fill in progress, empty the group, move the cursor */
	[STMT_SEEK_LOCK_CURSOR] = {
		RUN_ONCE,
		"SELECT next_id FROM {cursors} WHERE group_id OPERATOR(pg_catalog.=) {group_id} FOR UPDATE",
		0, {InvalidOid}
	},

	/*
	 * A group's blocks (0.8.0), by a seek or a drop of the group or of its
	 * topic: a plain DELETE, which waits for a reader that holds one locked
	 * (see pgmqc_group_seek).
	 */
	[STMT_GROUP_DELETE_BLOCKS] = {
		RUN_ONCE,
		"DELETE FROM pgmq_c.group_blocks WHERE group_id OPERATOR(pg_catalog.=) {group_id}",
		0, {InvalidOid}
	},
	[STMT_SEEK_EMPTY_GROUP] = {
		RUN_ONCE,
		"DELETE FROM {group}",
		0, {InvalidOid}
	},
	[STMT_SEEK_MOVE_CURSOR] = {
		RUN_ONCE,
		"UPDATE {cursors} SET next_id = $1, "
		"epoch = epoch OPERATOR(pg_catalog.+) 1 "
		"WHERE group_id OPERATOR(pg_catalog.=) {group_id}",
		1, {INT8OID}
	},

	/*
	 * The lowest and highest partition numbers of log {queue_id}; $1 is where
	 * the number starts in a partition's name (after t_<id>_p).
	 */
	[STMT_PARTITION_RANGE] = {
		RUN_ONCE,
		"SELECT pg_catalog.min(n), pg_catalog.max(n) FROM ("
		"SELECT pg_catalog.substr(c.relname, $1)::pg_catalog.int8 AS n "
		"FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c "
		"ON c.oid OPERATOR(pg_catalog.=) i.inhrelid "
		"WHERE i.inhparent OPERATOR(pg_catalog.=) {log_regclass} "
		"AND pg_catalog.starts_with(c.relname, 't_{queue_id}_p')) s",
		1, {INT4OID}
	},
	/* every partition's number, ascending (a new timeline leaves gaps) */
	[STMT_PARTITION_NUMBERS] = {
		RUN_ONCE,
		"SELECT n FROM ("
		"SELECT pg_catalog.substr(c.relname, $1)::pg_catalog.int8 AS n "
		"FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c "
		"ON c.oid OPERATOR(pg_catalog.=) i.inhrelid "
		"WHERE i.inhparent OPERATOR(pg_catalog.=) {log_regclass} "
		"AND pg_catalog.starts_with(c.relname, 't_{queue_id}_p')) s "
		"ORDER BY n",
		1, {INT4OID}
	},
	/* made first, then attached: SHARE UPDATE EXCLUSIVE on the log only */
	[STMT_PARTITION_CREATE] = {
		RUN_ONCE,
		"CREATE TABLE {partition} (LIKE {log} INCLUDING DEFAULTS);"
		"ALTER TABLE {log} ATTACH PARTITION {partition}"
		" FOR VALUES FROM ({partition_start}) TO ({partition_end})",
		0, {InvalidOid}
	},

	/*
	 * The same for an unlogged topic (0.8.0): a partitioned table has no
	 * storage and cannot be unlogged, each partition is.  The msg_id
	 * sequence, owned by the log, stays logged.
	 */
	[STMT_PARTITION_CREATE_UNLOGGED] = {
		RUN_ONCE,
		"CREATE UNLOGGED TABLE {partition} (LIKE {log} INCLUDING DEFAULTS);"
		"ALTER TABLE {log} ATTACH PARTITION {partition}"
		" FOR VALUES FROM ({partition_start}) TO ({partition_end})",
		0, {InvalidOid}
	},

	/*
	 * Record where a topic's msg_ids start (a topic going on from the msg_ids
	 * of one dropped under its name) as its sequence's start value, which the
	 * current value does not depend on: whether retention has removed
	 * messages is told by that msg_id's partition being gone
	 * (pgmqc_topic_retained_range).  The msg_id is the target's
	 * partition_start (partition = the msg_id, partition_size = 1).
	 */
	[STMT_LOG_SEQUENCE_START_WITH] = {
		RUN_ONCE,
		"ALTER SEQUENCE {log_sequence} START WITH {partition_start}",
		0, {InvalidOid}
	},
	/* a partition switched with its topic (alter_queue) */
	[STMT_PARTITION_SET_UNLOGGED] = {
		RUN_ONCE,
		"ALTER TABLE {partition} SET UNLOGGED",
		0, {InvalidOid}
	},
	[STMT_PARTITION_SET_LOGGED] = {
		RUN_ONCE,
		"ALTER TABLE {partition} SET LOGGED",
		0, {InvalidOid}
	},
	[STMT_PARTITION_FIRST_AT] = {
		RUN_ONCE,
		"SELECT enqueued_at FROM {partition} ORDER BY msg_id LIMIT 1",
		0, {InvalidOid}
	},
	[STMT_PARTITION_LAST_AT] = {
		RUN_ONCE,
		"SELECT enqueued_at FROM {partition} ORDER BY msg_id DESC LIMIT 1",
		0, {InvalidOid}
	},
	[STMT_ROTATE_LOCK_LOG] = {
		RUN_ONCE,
		"LOCK TABLE {log} IN SHARE ROW EXCLUSIVE MODE NOWAIT",
		0, {InvalidOid}
	},
	[STMT_ROTATE_MOVE_SEQUENCE] = {
		RUN_ONCE,
		"SELECT pg_catalog.setval({log_sequence_regclass}, $1, true)",
		1, {INT8OID}
	},

	/*
	 * Every group of the topic, its cursor row locked: those whose cursor is
	 * inside partition {partition} skip it, those past it may still hold
	 * messages in it.  One statement, so that a seek that commits meanwhile
	 * cannot move a group from one set to the other unseen (until session 54
	 * there were two, and a group sought back between them was in neither:
	 * its missed messages went uncounted).
	 */
	[STMT_EXPIRE_GROUPS] = {
		RUN_ONCE,
		"SELECT c.group_id, c.next_id, g.filter IS NOT NULL "
		"FROM {cursors} c JOIN pgmq_c.groups g "
		"ON g.group_id OPERATOR(pg_catalog.=) c.group_id "
		"ORDER BY c.group_id FOR UPDATE OF c",
		0, {InvalidOid}
	},
	/* the messages of the partition from $1 on that group {group_id} sees */
	[STMT_EXPIRE_UNREAD] = {
		RUN_ONCE,
		"SELECT pg_catalog.count(*) FROM {partition} t "
		"WHERE t.msg_id OPERATOR(pg_catalog.>=) $1",
		1, {INT8OID}
	},
	[STMT_EXPIRE_UNREAD_FILTERED] = {
		RUN_ONCE,
		"SELECT pg_catalog.count(*) FROM {partition} t "
		"WHERE t.msg_id OPERATOR(pg_catalog.>=) $1"
		" AND t.headers OPERATOR(pg_catalog.@>) "
		"(SELECT filter FROM pgmq_c.groups WHERE group_id OPERATOR(pg_catalog.=) {group_id})",
		1, {INT8OID}
	},

	/*
	 * The blocks of group {group_id} (0.8.0) that reach into partition
	 * {partition}: those that end in it are deleted, those that go on past it
	 * start again at its end, with the messages left (deleted if none is).
	 * Returns the messages of the partition they held, which the group
	 * missed.  The blocks are locked first (FOR UPDATE waits for a reader
	 * that holds one; READ COMMITTED then sees where it left the block, or
	 * skips a block it deleted), and what they hold in the partition is
	 * counted from the log with the group's filter.
	 */
	[STMT_EXPIRE_GROUP_BLOCKS] = {
		RUN_ONCE,
		"WITH b AS (SELECT b.first_id, b.last_id, b.messages, "
		"(SELECT pg_catalog.count(*) FROM {partition} t "
		" WHERE t.msg_id OPERATOR(pg_catalog.>=) b.next_id AND t.msg_id OPERATOR(pg_catalog.<=) b.last_id "
		" AND (f.filter IS NULL OR t.headers OPERATOR(pg_catalog.@>) f.filter)) AS gone "
		"FROM pgmq_c.group_blocks b, "
		"(SELECT (SELECT filter FROM pgmq_c.groups WHERE group_id OPERATOR(pg_catalog.=) {group_id}) AS filter) f "
		"WHERE b.group_id OPERATOR(pg_catalog.=) {group_id} "
		"AND b.next_id OPERATOR(pg_catalog.<) {partition_end} FOR UPDATE OF b), "
		"d AS (DELETE FROM pgmq_c.group_blocks x USING b "
		"WHERE x.group_id OPERATOR(pg_catalog.=) {group_id} AND x.first_id OPERATOR(pg_catalog.=) b.first_id "
		"AND (b.last_id OPERATOR(pg_catalog.<) {partition_end} OR b.gone OPERATOR(pg_catalog.>=) b.messages) "
		"RETURNING b.messages::pg_catalog.int8 AS n), "
		"u AS (UPDATE pgmq_c.group_blocks x SET next_id = {partition_end}, "
		"messages = x.messages OPERATOR(pg_catalog.-) b.gone::pg_catalog.int4 FROM b "
		"WHERE x.group_id OPERATOR(pg_catalog.=) {group_id} AND x.first_id OPERATOR(pg_catalog.=) b.first_id "
		"AND b.last_id OPERATOR(pg_catalog.>=) {partition_end} AND b.gone OPERATOR(pg_catalog.<) b.messages "
		"RETURNING b.gone AS n) "
		"SELECT (COALESCE((SELECT pg_catalog.sum(n) FROM d), 0) "
		"OPERATOR(pg_catalog.+) COALESCE((SELECT pg_catalog.sum(n) FROM u), 0))::pg_catalog.int8",
		0, {InvalidOid}
	},
	[STMT_EXPIRE_GROUP_MESSAGES] = {
		RUN_ONCE,
		"DELETE FROM {group} WHERE msg_id OPERATOR(pg_catalog.<) {partition_end}",
		0, {InvalidOid}
	},
	/* move the cursor past the partition; $1 messages missed */
	[STMT_EXPIRE_SKIP_CURSOR] = {
		RUN_ONCE,
		"UPDATE {cursors} SET next_id = GREATEST(next_id, {partition_end}), "
		"missed = missed OPERATOR(pg_catalog.+) $1"
		" WHERE group_id OPERATOR(pg_catalog.=) {group_id}",
		1, {INT8OID}
	},
	[STMT_EXPIRE_COUNT_MISSED] = {
		RUN_ONCE,
		"UPDATE {cursors} SET missed = missed OPERATOR(pg_catalog.+) $1"
		" WHERE group_id OPERATOR(pg_catalog.=) {group_id}",
		1, {INT8OID}
	},
	/* CASCADE: a view another role made on the partition must not pin it */
	[STMT_EXPIRE_DROP_PARTITION] = {
		RUN_ONCE,
		"DROP TABLE {partition} CASCADE",
		0, {InvalidOid}
	},
	/* every group of every topic, for the worker's fills */
	[STMT_ALL_GROUPS] = {
		ON_CATALOG,
		"SELECT q.queue_name, g.group_name, g.group_id, g.topic_id FROM pgmq_c.groups g "
		"JOIN pgmq_c.queues q ON q.queue_id OPERATOR(pg_catalog.=) g.topic_id "
		"ORDER BY g.group_id",
		0, {InvalidOid}, true
	},
	[STMT_TOPIC_GROUP_NAMES] = {
		ON_CATALOG,
		"SELECT group_name FROM pgmq_c.groups "
		"WHERE topic_id OPERATOR(pg_catalog.=) $1 "
		"ORDER BY group_name COLLATE \"C\"",
		1, {INT4OID}, true
	},
	[STMT_MAINTAINED_TOPICS] = {
		ON_CATALOG,
		"SELECT queue_id, queue_name, partition_size, retention "
		"FROM pgmq_c.queues "
		"WHERE kind OPERATOR(pg_catalog.=) 't' ORDER BY queue_id",
		0, {InvalidOid}
	},
	/* ---- topic: end ---- */
	/* ---- queue: begin ---- */
	/* create_queue(): the catalog row, the caller owning the queue */
	[STMT_INSERT_QUEUE_ROW] = {
		RUN_ONCE,
		"INSERT INTO pgmq_c.queues (queue_name, visibility_timeout, owner) "
		"VALUES ($1, $2, $3::pg_catalog.regrole) RETURNING queue_id",
		3, {TEXTOID, INTERVALOID, OIDOID}
	},
	/* the same while the catalog is older than 0.4.0 (no owner column) */
	[STMT_INSERT_QUEUE_ROW_0_3] = {
		RUN_ONCE,
		"INSERT INTO pgmq_c.queues (queue_name, visibility_timeout) "
		"VALUES ($1, $2) RETURNING queue_id",
		2, {TEXTOID, INTERVALOID}
	},

	/*
	 * A queue's tables, named after queue_id; the user's name appears only in
	 * the comments.  Their shapes are the template tables' (columns,
	 * defaults, constraints, indexes and, through {with:...}, storage
	 * parameters; pgmq_c--0.4.0--0.5.0.sql says why no index on vt,
	 * pgmq_c--0.7.0--0.8.0.sql why fillfactor 50); only msg_id's default
	 * names the queue's own sequence.
	 */
	[STMT_CREATE_QUEUE_TABLES] = {
		RUN_ONCE,
		QUEUE_TABLES_FROM_TEMPLATES
		"CREATE TABLE {pending} (LIKE pgmq_c.template_queue_pending INCLUDING ALL)"
		"{with:template_queue_pending};"
		"CREATE TABLE {keys} (LIKE pgmq_c.template_queue_keys INCLUDING ALL)"
		"{with:template_queue_keys};"
		QUEUE_TABLE_COMMENTS
		"COMMENT ON TABLE {pending} IS 'pgmq_c queue {queue_id}: messages waiting for an earlier message of their ordering key';"
		"COMMENT ON TABLE {keys} IS 'pgmq_c queue {queue_id}: ordering keys with messages';",
		0, {InvalidOid}
	},

	/*
	 * A queue's durability (0.8.0): its message, delayed, pending and keys
	 * tables unlogged, or logged again.  Its sequence stays logged and is
	 * left alone, so that msg_ids never start again, and so does its archive.
	 * From PostgreSQL 15 on, SET LOGGED and SET UNLOGGED rewrite the
	 * sequences a table owns along with it, copying the sequence's state as
	 * it is, values logged ahead included: the next sends then wrote no WAL
	 * for their msg_ids, and a crash went back to the value of the switch;
	 * and a switch rolled back took the rewritten sequence with it, msg_ids
	 * handed out since included (review h44).  So the sequence is owned by no
	 * table while the tables change.
	 */
	[STMT_QUEUE_SET_UNLOGGED] = {
		RUN_ONCE,
		"ALTER SEQUENCE {sequence} OWNED BY NONE;"
		"ALTER TABLE {messages} SET UNLOGGED;"
		"ALTER TABLE {delayed} SET UNLOGGED;"
		"ALTER TABLE {pending} SET UNLOGGED;"
		"ALTER TABLE {keys} SET UNLOGGED;"
		"ALTER SEQUENCE {sequence} OWNED BY {messages}.msg_id;",
		0, {InvalidOid}
	},
	[STMT_QUEUE_SET_LOGGED] = {
		RUN_ONCE,
		"ALTER SEQUENCE {sequence} OWNED BY NONE;"
		"ALTER TABLE {messages} SET LOGGED;"
		"ALTER TABLE {delayed} SET LOGGED;"
		"ALTER TABLE {pending} SET LOGGED;"
		"ALTER TABLE {keys} SET LOGGED;"
		"ALTER SEQUENCE {sequence} OWNED BY {messages}.msg_id;",
		0, {InvalidOid}
	},
	/* the same before 0.7.0, which has no pending messages */
	[STMT_CREATE_QUEUE_TABLES_0_6] = {
		RUN_ONCE,
		QUEUE_TABLES_FROM_TEMPLATES
		QUEUE_TABLE_COMMENTS,
		0, {InvalidOid}
	},
	/* the same before 0.5.0, which has no template tables */
	[STMT_CREATE_QUEUE_TABLES_0_4] = {
		RUN_ONCE,
		"CREATE SEQUENCE {sequence} AS bigint;"
		"CREATE TABLE {messages} ("
		" msg_id bigint PRIMARY KEY"
		"  DEFAULT pg_catalog.nextval({sequence_regclass}),"
		" read_ct integer NOT NULL DEFAULT 0,"
		" enqueued_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),"
		" vt timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),"
		" message jsonb NOT NULL,"
		" headers jsonb"
		") WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05,"
		" autovacuum_vacuum_cost_delay = 0);"
		"ALTER SEQUENCE {sequence} OWNED BY {messages}.msg_id;"
		"CREATE TABLE {delayed} ("
		" msg_id bigint PRIMARY KEY,"
		" enqueued_at timestamptz NOT NULL,"
		" deliver_at timestamptz NOT NULL,"
		" message jsonb NOT NULL,"
		" headers jsonb"
		");"
		"CREATE INDEX d_{queue_id}_deliver_at ON {delayed} (deliver_at);"
		"CREATE TABLE {archive} ("
		" msg_id bigint PRIMARY KEY,"
		" read_ct integer NOT NULL,"
		" enqueued_at timestamptz NOT NULL,"
		" archived_at timestamptz NOT NULL,"
		" vt timestamptz NOT NULL,"
		" message jsonb NOT NULL,"
		" headers jsonb"
		");"
		QUEUE_TABLE_COMMENTS,
		0, {InvalidOid}
	},
	/* drop_queue(), after its tables */
	[STMT_DELETE_QUEUE_ROW] = {
		RUN_ONCE,
		"DELETE FROM pgmq_c.queues WHERE queue_id OPERATOR(pg_catalog.=) {queue_id}",
		0, {InvalidOid}
	},
	/* purge_queue(), its tables locked (queue/storage.c): count, truncate */
	[STMT_PURGE_COUNT] = {
		RUN_ONCE,
		"SELECT (SELECT pg_catalog.count(*) FROM {messages}) "
		"OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM {delayed}) "
		"OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM {pending})",
		0, {InvalidOid}
	},
	[STMT_PURGE_TRUNCATE] = {
		RUN_ONCE,
		"TRUNCATE {messages}, {delayed}, {pending}, {keys}",
		0, {InvalidOid}
	},
	/* the same before 0.7.0 */
	[STMT_PURGE_COUNT_0_6] = {
		RUN_ONCE,
		"SELECT (SELECT pg_catalog.count(*) FROM {messages}) "
		"OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM {delayed})",
		0, {InvalidOid}
	},
	[STMT_PURGE_TRUNCATE_0_6] = {
		RUN_ONCE,
		"TRUNCATE {messages}, {delayed}",
		0, {InvalidOid}
	},
	/* metrics_all(): does a queue still exist (in a fresh snapshot)? */
	[STMT_QUEUE_ID_EXISTS] = {
		ON_CATALOG,
		"SELECT 1 FROM pgmq_c.queues "
		"WHERE queue_id OPERATOR(pg_catalog.=) $1",
		1, {INT4OID}
	},

	/*
	 * metrics_all(): every queue and topic, in name order; the catalog of
	 * version 0.3.0 has no owner, older ones no kind either.
	 */
	[STMT_METRICS_ALL_LIST] = {
		ON_CATALOG,
		"SELECT queue_id, queue_name, kind, owner::pg_catalog.oid FROM pgmq_c.queues "
		"ORDER BY queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	[STMT_METRICS_ALL_LIST_0_3] = {
		ON_CATALOG,
		"SELECT queue_id, queue_name, kind, 0::pg_catalog.oid FROM pgmq_c.queues "
		"ORDER BY queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	[STMT_METRICS_ALL_LIST_0_2] = {
		ON_CATALOG,
		"SELECT queue_id, queue_name, 'q'::pg_catalog.\"char\", 0::pg_catalog.oid FROM pgmq_c.queues "
		"ORDER BY queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	/* list_queues(): queue_id, owner, then the columns shown */
	[STMT_LIST_QUEUES] = {
		ON_CATALOG,
		"SELECT q.queue_id, q.owner::pg_catalog.oid, "
		"q.queue_name, q.queue_id, q.visibility_timeout, q.created_at, "
		"q.max_deliveries, (SELECT d.queue_name FROM pgmq_c.queues d "
		" WHERE d.queue_id OPERATOR(pg_catalog.=) q.dead_letter_queue_id), "
		"q.retry_backoff, q.retry_backoff_max, q.archive_retention, q.dedup_window, "
		"CASE WHEN (SELECT c.relpersistence FROM pg_catalog.pg_class c "
		" WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pgmq_c'::pg_catalog.regnamespace "
		" AND c.relname OPERATOR(pg_catalog.=) ('q_' OPERATOR(pg_catalog.||) q.queue_id)::pg_catalog.name) "
		"OPERATOR(pg_catalog.=) 'u' THEN 'unlogged' ELSE 'logged' END "
		"FROM pgmq_c.queues q "
		"WHERE q.kind OPERATOR(pg_catalog.=) 'q' "
		"ORDER BY q.queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	/* list_notifications(): queue_id, owner, then the columns shown */
	[STMT_LIST_NOTIFICATIONS] = {
		ON_CATALOG,
		"SELECT q.queue_id, q.owner::pg_catalog.oid, "
		"q.queue_name, q.notify_throttle, q.notify_channel "
		"FROM pgmq_c.queues q "
		"WHERE q.kind OPERATOR(pg_catalog.=) 'q' AND q.notify_throttle IS NOT NULL "
		"ORDER BY q.queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	/* the functions of 0.7.0: no durability */
	[STMT_LIST_QUEUES_0_7] = {
		ON_CATALOG,
		"SELECT q.queue_id, q.owner::pg_catalog.oid, "
		"q.queue_name, q.queue_id, q.visibility_timeout, q.created_at, "
		"q.max_deliveries, (SELECT d.queue_name FROM pgmq_c.queues d "
		" WHERE d.queue_id OPERATOR(pg_catalog.=) q.dead_letter_queue_id), "
		"q.retry_backoff, q.retry_backoff_max, q.archive_retention, q.dedup_window "
		"FROM pgmq_c.queues q "
		"WHERE q.kind OPERATOR(pg_catalog.=) 'q' "
		"ORDER BY q.queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	/* the catalog of 0.6.0 */
	[STMT_LIST_QUEUES_0_6] = {
		ON_CATALOG,
		"SELECT q.queue_id, q.owner::pg_catalog.oid, "
		"q.queue_name, q.queue_id, q.visibility_timeout, q.created_at, "
		"q.max_deliveries, (SELECT d.queue_name FROM pgmq_c.queues d "
		" WHERE d.queue_id OPERATOR(pg_catalog.=) q.dead_letter_queue_id), "
		"q.retry_backoff, q.retry_backoff_max, q.archive_retention "
		"FROM pgmq_c.queues q "
		"WHERE q.kind OPERATOR(pg_catalog.=) 'q' "
		"ORDER BY q.queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	/* the catalog before 0.6.0 */
	[STMT_LIST_QUEUES_0_5] = {
		ON_CATALOG,
		"SELECT q.queue_id, q.owner::pg_catalog.oid, "
		"q.queue_name, q.queue_id, q.visibility_timeout, q.created_at "
		"FROM pgmq_c.queues q "
		"WHERE q.kind OPERATOR(pg_catalog.=) 'q' "
		"ORDER BY q.queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},

	/*
	 * list_topics(): queue_id, owner, then the columns shown; the durability
	 * is that of the log's partitions (a partitioned table has none)
	 */
	[STMT_LIST_TOPICS] = {
		ON_CATALOG,
		"SELECT q.queue_id, q.owner::pg_catalog.oid, "
		"q.queue_name, q.queue_id, q.retention, q.partition_size, "
		"(SELECT pg_catalog.count(*) FROM pgmq_c.groups g "
		" WHERE g.topic_id OPERATOR(pg_catalog.=) q.queue_id), "
		"q.created_at, q.dedup_window, "
		"CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_class l "
		" JOIN pg_catalog.pg_inherits i ON i.inhparent OPERATOR(pg_catalog.=) l.oid "
		" JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid "
		" WHERE l.relnamespace OPERATOR(pg_catalog.=) 'pgmq_c'::pg_catalog.regnamespace "
		" AND l.relname OPERATOR(pg_catalog.=) ('t_' OPERATOR(pg_catalog.||) q.queue_id)::pg_catalog.name "
		" AND c.relpersistence OPERATOR(pg_catalog.=) 'u') "
		"THEN 'unlogged' ELSE 'logged' END "
		"FROM pgmq_c.queues q "
		"WHERE q.kind OPERATOR(pg_catalog.=) 't' "
		"ORDER BY q.queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	/* the functions of 0.7.0: no durability */
	[STMT_LIST_TOPICS_0_7] = {
		ON_CATALOG,
		"SELECT q.queue_id, q.owner::pg_catalog.oid, "
		"q.queue_name, q.queue_id, q.retention, q.partition_size, "
		"(SELECT pg_catalog.count(*) FROM pgmq_c.groups g "
		" WHERE g.topic_id OPERATOR(pg_catalog.=) q.queue_id), "
		"q.created_at, q.dedup_window "
		"FROM pgmq_c.queues q "
		"WHERE q.kind OPERATOR(pg_catalog.=) 't' "
		"ORDER BY q.queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	/* the catalog before 0.7.0: no deduplication window */
	[STMT_LIST_TOPICS_0_6] = {
		ON_CATALOG,
		"SELECT q.queue_id, q.owner::pg_catalog.oid, "
		"q.queue_name, q.queue_id, q.retention, q.partition_size, "
		"(SELECT pg_catalog.count(*) FROM pgmq_c.groups g "
		" WHERE g.topic_id OPERATOR(pg_catalog.=) q.queue_id), "
		"q.created_at "
		"FROM pgmq_c.queues q "
		"WHERE q.kind OPERATOR(pg_catalog.=) 't' "
		"ORDER BY q.queue_name COLLATE \"C\"",
		0, {InvalidOid}, true
	},
	/* ---- queue: end ---- */
};

const PgmqcStatementTarget pgmqc_no_target = {0, 0, -1, 0};

/* catalog statements, kept once per backend */
static SPIPlanPtr catalog_plans[PGMQC_NUM_STATEMENTS];

/* the relation name prefixes, indexed by PgmqcRelation */
static const char *const relation_formats[] = {
	[REL_MESSAGES] = "q_%d",
	[REL_DELAYED] = "d_%d",
	[REL_ARCHIVE] = "a_%d",
	[REL_QUEUE_SEQUENCE] = "q_%d_seq",
	[REL_LOG] = "t_%d",
	[REL_LOG_PARTITION] = "t_%d_p",
	[REL_LOG_SEQUENCE] = "t_%d_seq",
	[REL_CURSORS] = "c_%d",
	[REL_GROUP] = "g_%d",
	[REL_ARCHIVE_PARTITION] = "a_%d_p",
	[REL_ARCHIVE_DEFAULT] = "a_%d_default",
	[REL_ARCHIVE_BEFORE] = "a_%d_before",
	[REL_PENDING] = "p_%d",
	[REL_KEYS] = "k_%d",
	[REL_DEDUP_PARTITION] = "dedup_ids_p",
};

/* placeholders, the relation each stands for */
typedef struct Placeholder
{
	const char *word;
	PgmqcRelation relation;
} Placeholder;

static const Placeholder placeholders[] = {
	{"messages", REL_MESSAGES},
	{"delayed", REL_DELAYED},
	{"archive", REL_ARCHIVE},
	{"sequence", REL_QUEUE_SEQUENCE},
	{"log", REL_LOG},
	{"partition", REL_LOG_PARTITION},
	{"log_sequence", REL_LOG_SEQUENCE},
	{"cursors", REL_CURSORS},
	{"group", REL_GROUP},
	{"archive_partition", REL_ARCHIVE_PARTITION},
	{"archive_default", REL_ARCHIVE_DEFAULT},
	{"archive_before", REL_ARCHIVE_BEFORE},
	{"pending", REL_PENDING},
	{"keys", REL_KEYS},
	{"dedup_partition", REL_DEDUP_PARTITION},
};

#define REGCLASS_SUFFIX "_regclass"
#define BARE_SUFFIX "_bare"

/*
 * The name (unqualified, unquoted) of a relation of the queue, topic or
 * group with the given id; partition is the partition number for
 * REL_LOG_PARTITION.  buf must hold NAMEDATALEN bytes.
 */
void
pgmqc_relation_name(char *buf, PgmqcRelation rel, int32 id, int64 partition)
{
	if (rel == REL_LOG_PARTITION)
		snprintf(buf, NAMEDATALEN, "t_%d_p" INT64_FORMAT, id, partition);
	else if (rel == REL_ARCHIVE_PARTITION)
		snprintf(buf, NAMEDATALEN, "a_%d_p" INT64_FORMAT, id, partition);
	else if (rel == REL_DEDUP_PARTITION)
		snprintf(buf, NAMEDATALEN, "dedup_ids_p" INT64_FORMAT, partition);
	else
		snprintf(buf, NAMEDATALEN, relation_formats[rel], id);
}

/* The relation's OID, or InvalidOid when it does not exist. */
Oid
pgmqc_relation_oid(PgmqcRelation rel, int32 id, int64 partition)
{
	char		name[NAMEDATALEN];

	pgmqc_relation_name(name, rel, id, partition);
	return get_relname_relid(name, get_namespace_oid("pgmq_c", false));
}

/* Whether queue queue_id's tables are unlogged (0.8.0: its durability). */
bool
pgmqc_queue_unlogged(int32 queue_id)
{
	Oid			relid = pgmqc_relation_oid(REL_MESSAGES, queue_id, -1);

	return OidIsValid(relid) &&
		get_rel_persistence(relid) == RELPERSISTENCE_UNLOGGED;
}

/*
 * Whether topic topic_id's log partitions are unlogged (0.8.0: its
 * durability; a partitioned table has no storage and is never unlogged).
 * Every partition and group table of a topic has the same level, so the
 * first partition found tells; a topic without partitions is logged.
 */
bool
pgmqc_topic_unlogged(int32 topic_id)
{
	Oid			logid = pgmqc_relation_oid(REL_LOG, topic_id, -1);
	Relation	inherits;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		unlogged = false;

	if (!OidIsValid(logid))
		return false;
	inherits = table_open(InheritsRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_inherits_inhparent, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(logid));
	scan = systable_beginscan(inherits, InheritsParentIndexId, true, NULL,
							  1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		unlogged = get_rel_persistence(((Form_pg_inherits) GETSTRUCT(tuple))->inhrelid) ==
			RELPERSISTENCE_UNLOGGED;
	systable_endscan(scan);
	table_close(inherits, AccessShareLock);
	return unlogged;
}

/* Whether a queue's or topic's messages are unlogged (its durability). */
bool
pgmqc_unlogged(char kind, int32 id)
{
	return kind == PGMQC_KIND_TOPIC ? pgmqc_topic_unlogged(id) :
		pgmqc_queue_unlogged(id);
}

/*
 * {with:template_table}: the storage parameters of one of the extension's
 * template tables, as a WITH clause (or nothing).  CREATE TABLE ... (LIKE
 * ... INCLUDING ALL) copies a template's columns, defaults, constraints and
 * indexes but not its storage parameters (fillfactor, autovacuum
 * settings); this copies those, so that the template alone defines the
 * shape.
 */
#define WITH_PREFIX "with:"

static void
append_storage_parameters(StringInfo buf, const char *template, size_t len)
{
	char		name[NAMEDATALEN];
	Oid			relid;
	HeapTuple	tuple;
	Datum		options;
	bool		isnull;

	if (len >= NAMEDATALEN || strspn(template, "abcdefghijklmnopqrstuvwxyz_") < len)
		elog(ERROR, "invalid template table in pgmq_c statement");
	memcpy(name, template, len);
	name[len] = '\0';
	relid = get_relname_relid(name, get_namespace_oid("pgmq_c", false));
	if (!OidIsValid(relid))
		elog(ERROR, "template table pgmq_c.%s is missing", name);
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	options = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_reloptions, &isnull);
	if (!isnull)
	{
		Datum	   *items;
		int			n;
		int			i;

		/* each item is name=value, as the server wrote it: no quoting */
		deconstruct_array(DatumGetArrayTypeP(options), TEXTOID, -1, false,
						  TYPALIGN_INT, &items, NULL, &n);
		appendStringInfoString(buf, " WITH (");
		for (i = 0; i < n; i++)
			appendStringInfo(buf, "%s%s", i > 0 ? ", " : "",
							 TextDatumGetCString(items[i]));
		appendStringInfoChar(buf, ')');
	}
	ReleaseSysCache(tuple);
}

/* {key:alias} and {if_keys:text} (statements of catalogs before 0.7.0) */
#define KEY_PREFIX "key:"
#define IF_KEYS_PREFIX "if_keys:"

/* The placeholders that stand for values, not relations. */
static bool
expand_value(StringInfo buf, const char *word, size_t len,
			 const PgmqcStatementTarget *target)
{
#define IS_WORD(w) (len == strlen(w) && strncmp(word, w, len) == 0)
	if (IS_WORD("queue_id"))
		appendStringInfo(buf, "%d", target->queue_id);
	else if (IS_WORD("group_id"))
		appendStringInfo(buf, "%d", target->group_id);
	else if (IS_WORD("partition_start"))
		appendStringInfo(buf, INT64_FORMAT,
						 target->partition * target->partition_size);
	else if (IS_WORD("partition_end"))
		appendStringInfo(buf, INT64_FORMAT,
						 (target->partition + 1) * target->partition_size);
	else if (IS_WORD("group_blocks"))
	{
		if (pgmqc_group_blocks_exist())
			appendStringInfoString(buf, "pgmq_c.group_blocks");
		else
			appendStringInfoString(buf,
								   "(SELECT NULL::pg_catalog.int4 AS group_id, "
								   "NULL::pg_catalog.int8 AS first_id, "
								   "NULL::pg_catalog.int8 AS next_id, "
								   "NULL::pg_catalog.int8 AS last_id, "
								   "NULL::pg_catalog.int4 AS messages WHERE false)");
	}
	else if (len > strlen(WITH_PREFIX) &&
			 strncmp(word, WITH_PREFIX, strlen(WITH_PREFIX)) == 0)
		append_storage_parameters(buf, word + strlen(WITH_PREFIX),
								  len - strlen(WITH_PREFIX));
	else if (len >= strlen(KEY_PREFIX) &&
			 strncmp(word, KEY_PREFIX, strlen(KEY_PREFIX)) == 0)
	{
		const char *alias = word + strlen(KEY_PREFIX);
		size_t		alias_len = len - strlen(KEY_PREFIX);

		if (strspn(alias, "abcdefghijklmnopqrstuvwxyz") < alias_len)
			elog(ERROR, "invalid alias in pgmq_c statement");
		if (!pgmqc_ordering_exists())
			appendStringInfoString(buf, "NULL::pg_catalog.text");
		else if (alias_len == 0)
			appendStringInfoString(buf, "ordering_key");
		else
			appendStringInfo(buf, "%.*s.ordering_key", (int) alias_len, alias);
	}
	else if (len >= strlen(IF_KEYS_PREFIX) &&
			 strncmp(word, IF_KEYS_PREFIX, strlen(IF_KEYS_PREFIX)) == 0)
	{
		if (pgmqc_ordering_exists())
			appendBinaryStringInfo(buf, word + strlen(IF_KEYS_PREFIX),
								   len - strlen(IF_KEYS_PREFIX));
	}
	else
		return false;
	return true;
#undef IS_WORD
}

/* Replace the {word} placeholders of a statement template. */
char *
pgmqc_expand(const char *template, const PgmqcStatementTarget *target)
{
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	for (p = template; *p; p++)
	{
		const char *end;
		size_t		len;
		bool		as_regclass = false;
		bool		bare = false;
		const Placeholder *found = NULL;
		char		name[NAMEDATALEN];
		char	   *qualified;
		int32		id;
		int			i;

		if (*p != '{' || (end = strchr(p, '}')) == NULL)
		{
			appendStringInfoChar(&buf, *p);
			continue;
		}
		len = end - p - 1;
		if (len > strlen(REGCLASS_SUFFIX) &&
			strncmp(end - strlen(REGCLASS_SUFFIX), REGCLASS_SUFFIX,
					strlen(REGCLASS_SUFFIX)) == 0)
		{
			as_regclass = true;
			len -= strlen(REGCLASS_SUFFIX);
		}
		else if (len > strlen(BARE_SUFFIX) &&
				 strncmp(end - strlen(BARE_SUFFIX), BARE_SUFFIX,
						 strlen(BARE_SUFFIX)) == 0)
		{
			bare = true;
			len -= strlen(BARE_SUFFIX);
		}
		if (expand_value(&buf, p + 1, len, target))
		{
			p = end;
			continue;
		}
		for (i = 0; i < lengthof(placeholders); i++)
		{
			if (strlen(placeholders[i].word) == len &&
				strncmp(p + 1, placeholders[i].word, len) == 0)
				found = &placeholders[i];
		}
		if (found == NULL)
			elog(ERROR, "unknown placeholder in pgmq_c statement: %.*s",
				 (int) (end - p + 1), p);
		id = found->relation == REL_GROUP ? target->group_id : target->queue_id;
		pgmqc_relation_name(name, found->relation, id, target->partition);
		qualified = psprintf("pgmq_c.%s", quote_identifier(name));
		if (bare)
			appendStringInfoString(&buf, quote_identifier(name));
		else if (as_regclass)
			appendStringInfo(&buf, "%s::pg_catalog.regclass",
							 quote_literal_cstr(qualified));
		else
			appendStringInfoString(&buf, qualified);
		pfree(qualified);
		p = end;
	}
	return buf.data;
}

/*
 * Whether the catalog has the template tables of 0.5.0; before ALTER
 * EXTENSION pgmq_c UPDATE, objects are made as 0.4.0 made them.
 */
bool
pgmqc_templates_exist(void)
{
	return OidIsValid(get_relname_relid("template_queue_messages",
										get_namespace_oid("pgmq_c", false)));
}

/*
 * Whether the catalog has the retry policies of 0.6.0 (and the message
 * tables their columns leased and reason); before ALTER EXTENSION pgmq_c
 * UPDATE, queues and groups are served as 0.5.0 served them.
 */
bool
pgmqc_retries_exist(void)
{
	return get_attnum(get_relname_relid("queues", get_namespace_oid("pgmq_c", false)),
					  "max_deliveries") != InvalidAttrNumber;
}

/*
 * Whether the catalog has the ordering keys of 0.7.0 (and the pending and
 * keys tables of queues, and pgmq_c.dedup_ids); before ALTER EXTENSION
 * pgmq_c UPDATE, messages have no key and sends no deduplication.
 */
bool
pgmqc_ordering_exists(void)
{
	return get_attnum(get_relname_relid("template_queue_messages",
										get_namespace_oid("pgmq_c", false)),
					  "ordering_key") != InvalidAttrNumber;
}

/*
 * Whether the catalog has pgmq_c.group_blocks, the blocks of 0.8.0
 * (group_blocks.c); before ALTER EXTENSION pgmq_c UPDATE, groups have none.
 */
bool
pgmqc_group_blocks_exist(void)
{
	return OidIsValid(get_relname_relid("group_blocks",
										get_namespace_oid("pgmq_c", false)));
}

/* Which kind of object keeps a statement's plan. */
PgmqcStatementOwner
pgmqc_statement_owner(PgmqcStatement stmt)
{
	return statements[stmt].owner;
}

/*
 * Prepare a statement for one object and keep the plan (the caller stores
 * it).  Always the generic plan: the statements are written for their index
 * plans, and a custom plan would re-plan on every call -- which also probes
 * the ends of the msg_id index for selectivity, walking the dead entries at
 * its head.
 */
SPIPlanPtr
pgmqc_statement_prepare(PgmqcStatement stmt, const PgmqcStatementTarget *target)
{
	const StatementDef *def = &statements[stmt];
	char	   *sql = pgmqc_expand(def->sql, target);
	SPIPlanPtr	plan;
	int			level;

	/* read the text as written, whatever the caller's settings */
	level = pgmqc_pin_ddl_settings();
	plan = SPI_prepare_cursor(sql, def->nargs, (Oid *) def->argtypes,
							  CURSOR_OPT_GENERIC_PLAN);
	pgmqc_unpin_ddl_settings(level);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	pfree(sql);
	return plan;
}

/* The kept plan of a catalog statement, prepared on first use. */
SPIPlanPtr
pgmqc_catalog_plan(PgmqcStatement stmt)
{
	Assert(pgmqc_statement_owner(stmt) == ON_CATALOG);
	if (catalog_plans[stmt] == NULL)
		catalog_plans[stmt] = pgmqc_statement_prepare(stmt, &pgmqc_no_target);
	return catalog_plans[stmt];
}

/*
 * Execute the kept plan of statement stmt; returns SPI_processed.  Errors
 * out on SPI failure (query errors are thrown by the executor itself).
 */
int
pgmqc_run_plan(SPIPlanPtr plan, PgmqcStatement stmt, Datum *values,
			   const char *nulls, long count)
{
	int			rc;

	rc = SPI_execute_plan(plan, values, nulls, statements[stmt].read_only,
						  count);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return (int) SPI_processed;
}

/*
 * Remove from an error's CONTEXT the line SPI adds for statement sql
 * ("SQL statement \"...\"", whatever the language of messages): the text
 * of pgmq_c's own statements (table names such as pgmq_c.q_5, dozens of
 * DDL statements) tells a caller nothing.  The entry point's action line
 * (security.c), if it has one, says what was being done.  Lines of
 * contexts inside the statement (a user's event trigger) and outside the
 * entry point stay.
 */
static void
hide_statement_context(ErrorData *edata, const char *sql)
{
	char	   *quoted = psprintf("\"%s\"", sql);
	char	   *found;
	char	   *start;
	char	   *end;

	if (edata->context == NULL ||
		(found = strstr(edata->context, quoted)) == NULL)
	{
		pfree(quoted);
		return;
	}
	start = found;
	while (start > edata->context && start[-1] != '\n')
		start--;
	end = strchr(found + strlen(quoted), '\n');
	if (end != NULL)
		memmove(start, end + 1, strlen(end + 1) + 1);
	else if (start > edata->context)
		start[-1] = '\0';		/* the last line, and its newline */
	else
		start[0] = '\0';
	if (edata->context[0] == '\0')
	{
		pfree(edata->context);
		edata->context = NULL;
	}
	pfree(quoted);
}

/*
 * SPI_execute_with_args (SPI_execute without arguments) of statement text
 * sql, which an error's CONTEXT does not show (hide_statement_context).
 * Only for statements that are not kept, which are rare: the catch costs a
 * sigsetjmp.
 */
static int
execute_text(const char *sql, int nargs, Oid *argtypes, Datum *values,
			 const char *nulls, bool read_only)
{
	volatile int rc = 0;
	MemoryContext caller_cxt = CurrentMemoryContext;

	PG_TRY();
	{
		if (nargs > 0)
			rc = SPI_execute_with_args(sql, nargs, argtypes, values, nulls,
									   read_only, 0);
		else
			rc = SPI_execute(sql, read_only, 0);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		hide_statement_context(edata, sql);
		ReThrowError(edata);
	}
	PG_END_TRY();
	return rc;
}

/*
 * Make and run a statement that is not kept (RUN_ONCE): DDL, or a statement
 * run once per object's life.  values may be NULL when it takes no
 * parameters.  expected is the SPI result code it must give (DDL:
 * SPI_OK_UTILITY; the code of the last statement of a multi-statement
 * text).  Returns SPI_processed.
 */
int
pgmqc_run_once(PgmqcStatement stmt, const PgmqcStatementTarget *target,
			   Datum *values, const char *nulls, int expected)
{
	const StatementDef *def = &statements[stmt];
	char	   *sql = pgmqc_expand(def->sql, target);
	int			level;
	int			rc;

	Assert(def->owner == RUN_ONCE);
	level = pgmqc_pin_ddl_settings();
	rc = execute_text(sql, def->nargs, (Oid *) def->argtypes, values, nulls,
					  def->read_only);
	pgmqc_unpin_ddl_settings(level);
	if (rc != expected)
		elog(ERROR, "pgmq_c statement failed (%s): %s",
			 SPI_result_code_string(rc), sql);
	pfree(sql);
	return (int) SPI_processed;
}

/* Execute a catalog statement; returns SPI_processed. */
int
pgmqc_run_catalog(PgmqcStatement stmt, Datum *values, const char *nulls,
				  long count)
{
	return pgmqc_run_plan(pgmqc_catalog_plan(stmt), stmt, values, nulls, count);
}

/* A column of a row of the last SPI result. */
Datum
pgmqc_column(int row, int column, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
						 column, isnull);
}

/* An int8 column of the last SPI result; 0 when NULL (see *isnull). */
int64
pgmqc_column_int64(int row, int column, bool *isnull)
{
	Datum		d = pgmqc_column(row, column, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

/*
 * The statements on topics are written for index access.  A generic plan is
 * made again whenever the statistics of a table change, and a group's table
 * is often analyzed while empty (or a log while small), when a sequential
 * scan looks cheapest; a plan made then would read every page from then on.
 * So while our statements run (and may be re-planned), sequential scans are
 * off, and so is JIT, which the resulting costs would otherwise trigger.
 * (Joins to the log are written as LATERAL ... LIMIT 1, which is an index
 * probe per row whatever the statistics; joins between CTEs need hash
 * joins, so those stay on.)  Returns the GUC nest level to pass to
 * pgmqc_plan_guard_end(); an error restores the settings by itself.
 */
int
pgmqc_plan_guard_begin(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* a scan that has no other way (a sequence) now costs 1e10: no JIT */
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

/*
 * As pgmqc_plan_guard_begin, for the statements that lock many messages by
 * msg_id: bitmap scans off too, since they visit rows in physical order,
 * and rows must be locked in msg_id order (common/receipts.c).
 */
int
pgmqc_plan_guard_ordered_begin(void)
{
	int			level = pgmqc_plan_guard_begin();

	(void) set_config_option("enable_bitmapscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
pgmqc_plan_guard_end(int level)
{
	AtEOXact_GUC(true, level);
}

/* Serialize creating and dropping queues, topics and groups. */
void
pgmqc_lock_catalog(void)
{
	pgmqc_run_once(STMT_LOCK_CATALOG, &pgmqc_no_target, NULL, NULL,
				   SPI_OK_UTILITY);
}

/*
 * Let go of the lock pgmqc_lock_catalog() took, before the end of the
 * transaction: only when nothing was written under it (a drop that must
 * wait for a table, common/relation_locks.c).  Held more than once in this
 * transaction, it stays held.
 */
void
pgmqc_unlock_catalog(void)
{
	UnlockRelationOid(get_relname_relid("queues", get_namespace_oid("pgmq_c", false)),
					  ShareRowExclusiveLock);
}

/*
 * Drop relation pgmq_c.<relname> if it exists, whatever kind of relation it
 * is now (someone may have replaced a table by hand).  CASCADE: objects
 * other roles made on pgmq_c's tables (a view, a column of a table's row
 * type) go with it, so that no role can keep a queue from being dropped.
 * Inside SPI.
 */
void
pgmqc_drop_relation(const char *relname)
{
	Oid			relid = get_relname_relid(relname,
										  get_namespace_oid("pgmq_c", false));
	const char *what;
	char	   *sql;

	if (!OidIsValid(relid))
		return;
	switch (get_rel_relkind(relid))
	{
		case RELKIND_SEQUENCE:
			what = "SEQUENCE";
			break;
		case RELKIND_VIEW:
			what = "VIEW";
			break;
		case RELKIND_MATVIEW:
			what = "MATERIALIZED VIEW";
			break;
		case RELKIND_FOREIGN_TABLE:
			what = "FOREIGN TABLE";
			break;
		case RELKIND_INDEX:
		case RELKIND_PARTITIONED_INDEX:
			what = "INDEX";
			break;
		case RELKIND_COMPOSITE_TYPE:
			what = "TYPE";
			break;
		default:
			what = "TABLE";
			break;
	}
	sql = psprintf("DROP %s IF EXISTS pgmq_c.%s CASCADE", what,
				   quote_identifier(relname));
	if (execute_text(sql, 0, NULL, NULL, NULL, false) != SPI_OK_UTILITY)
		elog(ERROR, "could not drop relation \"pgmq_c.%s\"", relname);
	pfree(sql);
}
