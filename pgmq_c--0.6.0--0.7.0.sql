/* pgmq_c--0.6.0--0.7.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmq_c UPDATE TO '0.7.0'" to load this file. \quit

-- 0.7.0: ordering per key and deduplication of resent messages.
--
-- send() and send_batch() take an ordering key and a deduplication id.
-- Messages of one key are delivered one at a time, in msg_id order, per
-- queue and per consumer group.  A queue keeps only the first unacknowledged
-- message of each key (its head) in its message or delayed table; the
-- key's later messages wait in its pending table p_<id>, and its keys table
-- k_<id> counts each key's messages (its row is the lock that orders the
-- key's sends).  A consumer group's table gains the key, copied from the
-- log, and a read takes only the first row of each key.  A deduplication id
-- is remembered for the queue's or topic's dedup_window in
-- pgmq_c.dedup_ids, partitioned by day, whose partitions the worker drops.

--
-- Catalog
--
ALTER TABLE pgmq_c.queues
	ADD COLUMN dedup_window interval NOT NULL DEFAULT '5 minutes'
		CHECK (dedup_window OPERATOR(pg_catalog.>) '0'::pg_catalog.interval
			   AND dedup_window OPERATOR(pg_catalog.<=) '7 days'::pg_catalog.interval);
COMMENT ON COLUMN pgmq_c.queues.dedup_window IS 'a send with a dedup_id used by a send of the last dedup_window stores nothing and returns the first msg_id';

-- Deduplication ids, of every queue and topic: partitioned by the day of
-- first_at; the worker makes the days ahead and drops those past every
-- window.  What no day partition takes goes to the default partition.
-- Each partition has its own index on (queue_id, dedup_id), made with it,
-- and the partitioned table none: an index of this extension's table would
-- be left out of pg_dump while the worker's partitions are dumped, and the
-- restore would make their indexes twice.
CREATE TABLE pgmq_c.dedup_ids (
	queue_id	integer NOT NULL,
	dedup_id	text NOT NULL,
	msg_id		bigint NOT NULL,
	first_at	timestamptz NOT NULL
) PARTITION BY RANGE (first_at);
CREATE TABLE pgmq_c.dedup_ids_default PARTITION OF pgmq_c.dedup_ids DEFAULT;
CREATE INDEX dedup_ids_default_lookup ON pgmq_c.dedup_ids_default (queue_id, dedup_id);
COMMENT ON TABLE pgmq_c.dedup_ids IS 'pgmq_c: the deduplication ids of the sends of every queue and topic, partitioned by day (dedup_ids_p<day since 1970>)';
REVOKE ALL ON pgmq_c.dedup_ids, pgmq_c.dedup_ids_default FROM PUBLIC;

--
-- Message tables: the templates, then every queue's, topic's and group's
-- table.  ADD COLUMN without a default rewrites nothing.
--
ALTER TABLE pgmq_c.template_queue_messages ADD COLUMN ordering_key text;
ALTER TABLE pgmq_c.template_queue_delayed ADD COLUMN ordering_key text;
ALTER TABLE pgmq_c.template_topic_log ADD COLUMN ordering_key text;
ALTER TABLE pgmq_c.template_group_messages ADD COLUMN ordering_key text;
CREATE INDEX template_group_messages_ordering_key
	ON pgmq_c.template_group_messages (ordering_key, msg_id)
	WHERE ordering_key IS NOT NULL;

-- a queue's messages waiting behind the head of their key: pgmq_c.p_<id>
CREATE TABLE pgmq_c.template_queue_pending (
	msg_id		bigint PRIMARY KEY,
	ordering_key text NOT NULL,
	enqueued_at	timestamptz NOT NULL,
	deliver_at	timestamptz,
	message		jsonb NOT NULL,
	headers		jsonb
);
CREATE INDEX template_queue_pending_ordering_key
	ON pgmq_c.template_queue_pending (ordering_key, msg_id);

-- a queue's keys with messages, and how many: pgmq_c.k_<id>
CREATE TABLE pgmq_c.template_queue_keys (
	ordering_key text PRIMARY KEY,
	messages	bigint NOT NULL
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05,
		autovacuum_vacuum_cost_delay = 0);

COMMENT ON TABLE pgmq_c.template_queue_pending IS 'pgmq_c: the shape of every queue''s pending table p_<id>: messages waiting behind an earlier message of their ordering key (holds no rows)';
COMMENT ON TABLE pgmq_c.template_queue_keys IS 'pgmq_c: the shape of every queue''s keys table k_<id>: how many messages each ordering key has (holds no rows)';
REVOKE ALL ON pgmq_c.template_queue_pending, pgmq_c.template_queue_keys FROM PUBLIC;

DO $upgrade$
DECLARE
	it record;
BEGIN
	FOR it IN
		SELECT q.queue_id
		  FROM pgmq_c.queues q
		 WHERE q.kind OPERATOR(pg_catalog.=) 'q'
		   AND pg_catalog.to_regclass(pg_catalog.format('pgmq_c.%I', 'q_' OPERATOR(pg_catalog.||) q.queue_id)) IS NOT NULL
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE pgmq_c.%I ADD COLUMN ordering_key text', 'q_' OPERATOR(pg_catalog.||) it.queue_id);
		EXECUTE pg_catalog.format('ALTER TABLE pgmq_c.%I ADD COLUMN ordering_key text', 'd_' OPERATOR(pg_catalog.||) it.queue_id);
		EXECUTE pg_catalog.format('CREATE TABLE pgmq_c.%I (LIKE pgmq_c.template_queue_pending INCLUDING ALL)', 'p_' OPERATOR(pg_catalog.||) it.queue_id);
		EXECUTE pg_catalog.format('CREATE TABLE pgmq_c.%I (LIKE pgmq_c.template_queue_keys INCLUDING ALL) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_cost_delay = 0)', 'k_' OPERATOR(pg_catalog.||) it.queue_id);
		-- a queue's tables are not members of the extension (pg_dump dumps
		-- them), as those create_queue() makes
		EXECUTE pg_catalog.format('ALTER EXTENSION pgmq_c DROP TABLE pgmq_c.%I', 'p_' OPERATOR(pg_catalog.||) it.queue_id);
		EXECUTE pg_catalog.format('ALTER EXTENSION pgmq_c DROP TABLE pgmq_c.%I', 'k_' OPERATOR(pg_catalog.||) it.queue_id);
	END LOOP;
	FOR it IN
		SELECT q.queue_id
		  FROM pgmq_c.queues q
		 WHERE q.kind OPERATOR(pg_catalog.=) 't'
		   AND pg_catalog.to_regclass(pg_catalog.format('pgmq_c.%I', 't_' OPERATOR(pg_catalog.||) q.queue_id)) IS NOT NULL
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE pgmq_c.%I ADD COLUMN ordering_key text', 't_' OPERATOR(pg_catalog.||) it.queue_id);
	END LOOP;
	FOR it IN
		SELECT g.group_id
		  FROM pgmq_c.groups g
		 WHERE pg_catalog.to_regclass(pg_catalog.format('pgmq_c.%I', 'g_' OPERATOR(pg_catalog.||) g.group_id)) IS NOT NULL
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE pgmq_c.%I ADD COLUMN ordering_key text', 'g_' OPERATOR(pg_catalog.||) it.group_id);
		EXECUTE pg_catalog.format('CREATE INDEX ON pgmq_c.%I (ordering_key, msg_id) WHERE ordering_key IS NOT NULL', 'g_' OPERATOR(pg_catalog.||) it.group_id);
	END LOOP;
END
$upgrade$;

-- the message as read() and the others return it: its ordering key last
ALTER TYPE pgmq_c.message ADD ATTRIBUTE ordering_key text;
COMMENT ON TYPE pgmq_c.message IS 'a message as returned by read, pop, set_vt, read_group and the group form of set_vt (receive and receive_group return arrays of it); (msg_id, read_ct) is the receipt of a queue''s message; ordering_key as sent (NULL: none)';

--
-- Functions whose arguments or results change are dropped and created
-- again, keeping the EXECUTE privileges a DBA gave or took away (as in
-- pgmq_c--0.5.0--0.6.0.sql).
--
CREATE FUNCTION pgmq_c.upgrade_0_7_replace(old_signature text,
										   new_signature text,
										   create_statement text,
										   revoked_from_public boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $replace$
DECLARE
	acl aclitem[];
	owner oid;
	it record;
BEGIN
	SELECT p.proacl, p.proowner INTO acl, owner
	  FROM pg_catalog.pg_proc p
	 WHERE p.oid OPERATOR(pg_catalog.=) old_signature::pg_catalog.regprocedure;
	EXECUTE 'DROP FUNCTION ' OPERATOR(pg_catalog.||) old_signature;
	EXECUTE create_statement;
	EXECUTE 'REVOKE ALL ON FUNCTION ' OPERATOR(pg_catalog.||) new_signature OPERATOR(pg_catalog.||) ' FROM PUBLIC';
	FOR it IN
		SELECT a.grantee
		  FROM pg_catalog.aclexplode(COALESCE(acl, pg_catalog.acldefault('f', owner))) a
		 WHERE a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
		   AND a.grantee OPERATOR(pg_catalog.<>) owner
	LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s', new_signature,
								  CASE WHEN it.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
								  ELSE it.grantee::pg_catalog.regrole::pg_catalog.text END);
	END LOOP;
	UPDATE pg_catalog.pg_init_privs
	   SET initprivs = CASE WHEN revoked_from_public
						THEN ARRAY[pg_catalog.makeaclitem(owner, owner, 'EXECUTE', false)]
						ELSE pg_catalog.acldefault('f', owner) END
	 WHERE objoid OPERATOR(pg_catalog.=) new_signature::pg_catalog.regprocedure
	   AND classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
	   AND objsubid OPERATOR(pg_catalog.=) 0;
END
$replace$;

SELECT pgmq_c.upgrade_0_7_replace(
	'pgmq_c.send(text, jsonb, jsonb, interval)',
	'pgmq_c.send(text, jsonb, jsonb, interval, text, text)',
	$sql$CREATE FUNCTION pgmq_c.send(queue_name text, message jsonb,
		headers jsonb DEFAULT NULL,
		delay interval DEFAULT '0',
		ordering_key text DEFAULT NULL,
		dedup_id text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'pgmqc_send'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.send(text, jsonb, jsonb, interval, text, text) IS 'send one message; returns its msg_id (with a dedup_id already sent within the dedup window, the first send''s msg_id, storing nothing); messages of one ordering_key are delivered one at a time, in order';

SELECT pgmq_c.upgrade_0_7_replace(
	'pgmq_c.send_batch(text, jsonb[], jsonb[], interval)',
	'pgmq_c.send_batch(text, jsonb[], jsonb[], interval, text[], text[])',
	$sql$CREATE FUNCTION pgmq_c.send_batch(queue_name text, messages jsonb[],
		headers jsonb[] DEFAULT NULL,
		delay interval DEFAULT '0',
		ordering_keys text[] DEFAULT NULL,
		dedup_ids text[] DEFAULT NULL)
	RETURNS SETOF bigint
	AS 'MODULE_PATHNAME', 'pgmqc_send_batch'
	LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100$sql$);
COMMENT ON FUNCTION pgmq_c.send_batch(text, jsonb[], jsonb[], interval, text[], text[]) IS 'send several messages; returns their msg_ids in array order (for a dedup_id already sent, the first send''s msg_id); a NULL element of ordering_keys or dedup_ids: none for that message';

SELECT pgmq_c.upgrade_0_7_replace(
	'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval)',
	'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval, interval)',
	$sql$CREATE FUNCTION pgmq_c.create_queue(queue_name text,
		visibility_timeout interval DEFAULT '30 seconds',
		max_deliveries integer DEFAULT NULL,
		dead_letter_queue text DEFAULT NULL,
		retry_backoff interval DEFAULT NULL,
		retry_backoff_max interval DEFAULT NULL,
		archive_retention interval DEFAULT NULL,
		dedup_window interval DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmqc_create_queue'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$,
	revoked_from_public => true);
COMMENT ON FUNCTION pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval, interval) IS 'create a queue, with the retry policy, archive retention and deduplication window of alter_queue(); a no-op when it exists';

SELECT pgmq_c.upgrade_0_7_replace(
	'pgmq_c.create_topic(text, interval, bigint)',
	'pgmq_c.create_topic(text, interval, bigint, interval)',
	$sql$CREATE FUNCTION pgmq_c.create_topic(topic_name text,
		retention interval DEFAULT '7 days',
		partition_size bigint DEFAULT 1000000,
		dedup_window interval DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmqc_create_topic'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$,
	revoked_from_public => true);
COMMENT ON FUNCTION pgmq_c.create_topic(text, interval, bigint, interval) IS 'create a topic whose messages are kept for retention, in partitions of partition_size msg_ids, remembering deduplication ids for dedup_window (NULL: 5 minutes); a no-op when it exists';

SELECT pgmq_c.upgrade_0_7_replace(
	'pgmq_c.alter_queue(text, interval, integer, text, interval, interval, interval)',
	'pgmq_c.alter_queue(text, interval, integer, text, interval, interval, interval, interval)',
	$sql$CREATE FUNCTION pgmq_c.alter_queue(queue_name text,
		visibility_timeout interval DEFAULT NULL,
		max_deliveries integer DEFAULT NULL,
		dead_letter_queue text DEFAULT NULL,
		retry_backoff interval DEFAULT NULL,
		retry_backoff_max interval DEFAULT NULL,
		archive_retention interval DEFAULT NULL,
		dedup_window interval DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmqc_alter_queue'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.alter_queue(text, interval, integer, text, interval, interval, interval, interval) IS 'change a queue''s settings (of a topic, dedup_window only): NULL leaves one as it is, 0 (or '''' for the dead-letter queue) clears it; needs ''admin''';

SELECT pgmq_c.upgrade_0_7_replace(
	'pgmq_c.list_queues()',
	'pgmq_c.list_queues()',
	$sql$CREATE FUNCTION pgmq_c.list_queues()
	RETURNS TABLE (queue_name text, queue_id integer, visibility_timeout interval,
				   created_at timestamptz, owner text, max_deliveries integer,
				   dead_letter_queue text, retry_backoff interval,
				   retry_backoff_max interval, archive_retention interval,
				   dedup_window interval)
	AS 'MODULE_PATHNAME', 'pgmqc_list_queues'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.list_queues() IS 'one row per queue on which the caller holds some privilege, with its retry policy, archive retention and deduplication window';

SELECT pgmq_c.upgrade_0_7_replace(
	'pgmq_c.list_topics()',
	'pgmq_c.list_topics()',
	$sql$CREATE FUNCTION pgmq_c.list_topics()
	RETURNS TABLE (topic_name text, topic_id integer, retention interval,
				   partition_size bigint, groups bigint, created_at timestamptz,
				   owner text, dedup_window interval)
	AS 'MODULE_PATHNAME', 'pgmqc_list_topics'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.list_topics() IS 'one row per topic on which the caller holds some privilege, with its deduplication window';

DROP FUNCTION pgmq_c.upgrade_0_7_replace(text, text, text, boolean);
