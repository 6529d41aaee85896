/* pgmq_c--0.5.0--0.6.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmq_c UPDATE TO '0.6.0'" to load this file. \quit

-- 0.6.0: retries, dead-letter queues and redrive; receipts for group acks;
-- a queue nack; archive retention.
--
-- A queue, or a consumer group, may have a retry policy: max_deliveries (a
-- message read that many times is dead-lettered instead of delivered
-- again), dead_letter_queue (where dead letters go; a queue's go to its
-- archive without one), retry_backoff and retry_backoff_max (how long a
-- message given back waits, doubling with each delivery).  A queue may also
-- have archive_retention.  The message tables of queues and groups gain two
-- columns: leased (the row's vt is the end of a lease a read handed out, not
-- a time chosen by nack or backoff) and reason (the reason of the last
-- nack), so that an expired lease is told from a message given back.

--
-- Catalog
--
ALTER TABLE pgmq_c.queues
	ADD COLUMN max_deliveries integer
		CHECK (max_deliveries OPERATOR(pg_catalog.>) 0),
	ADD COLUMN dead_letter_queue_id integer,
	ADD COLUMN retry_backoff interval,
	ADD COLUMN retry_backoff_max interval,
	ADD COLUMN archive_retention interval,
	ADD CONSTRAINT queues_dead_letter_check
		CHECK (dead_letter_queue_id OPERATOR(pg_catalog.<>) queue_id),
	ADD CONSTRAINT queues_policy_check
		CHECK (kind OPERATOR(pg_catalog.=) 'q' OR
			   (max_deliveries IS NULL AND dead_letter_queue_id IS NULL AND
				retry_backoff IS NULL AND retry_backoff_max IS NULL AND
				archive_retention IS NULL));
COMMENT ON COLUMN pgmq_c.queues.max_deliveries IS 'a message read this many times is dead-lettered when its lease expires or it is nacked (NULL: never)';
-- (no foreign key: one from queues to itself is a cycle that pg_dump warns
-- about for the catalog's rows; drop_queue refuses a dead-letter queue in
-- use, and a dangling id would read as no dead-letter queue)
COMMENT ON COLUMN pgmq_c.queues.dead_letter_queue_id IS 'the queue dead letters go to (NULL: the queue''s own archive)';
COMMENT ON COLUMN pgmq_c.queues.retry_backoff IS 'a message given back waits retry_backoff * 2^(read_ct - 1), +-10 % (NULL: no wait)';
COMMENT ON COLUMN pgmq_c.queues.retry_backoff_max IS 'the longest retry backoff (NULL: 7 days)';
COMMENT ON COLUMN pgmq_c.queues.archive_retention IS 'archived messages older than this are removed by the worker (NULL: kept)';
CREATE INDEX queues_dead_letter_queue_id ON pgmq_c.queues (dead_letter_queue_id)
	WHERE dead_letter_queue_id IS NOT NULL;

ALTER TABLE pgmq_c.groups
	ADD COLUMN max_deliveries integer
		CHECK (max_deliveries OPERATOR(pg_catalog.>) 0),
	ADD COLUMN dead_letter_queue_id integer
		REFERENCES pgmq_c.queues (queue_id),
	ADD COLUMN retry_backoff interval,
	ADD COLUMN retry_backoff_max interval,
	ADD CONSTRAINT groups_dead_letter_check
		CHECK (max_deliveries IS NULL OR dead_letter_queue_id IS NOT NULL);
COMMENT ON COLUMN pgmq_c.groups.max_deliveries IS 'a message read this many times by the group is dead-lettered when its lease expires or it is nacked (NULL: never)';
COMMENT ON COLUMN pgmq_c.groups.dead_letter_queue_id IS 'the queue the group''s dead letters go to (required with max_deliveries)';
COMMENT ON COLUMN pgmq_c.groups.retry_backoff IS 'a message given back waits retry_backoff * 2^(read_ct - 1), +-10 % (NULL: no wait)';
COMMENT ON COLUMN pgmq_c.groups.retry_backoff_max IS 'the longest retry backoff (NULL: 7 days)';
CREATE INDEX groups_dead_letter_queue_id ON pgmq_c.groups (dead_letter_queue_id)
	WHERE dead_letter_queue_id IS NOT NULL;

--
-- Message tables: the templates, then every queue's and group's table.
-- ADD COLUMN with a constant default rewrites nothing.
--
ALTER TABLE pgmq_c.template_queue_messages
	ADD COLUMN leased boolean NOT NULL DEFAULT false,
	ADD COLUMN reason text;
ALTER TABLE pgmq_c.template_group_messages
	ADD COLUMN leased boolean NOT NULL DEFAULT false,
	ADD COLUMN reason text;
CREATE INDEX template_queue_archive_archived_at
	ON pgmq_c.template_queue_archive USING brin (archived_at);

DO $upgrade$
DECLARE
	it record;
BEGIN
	FOR it IN
		SELECT pg_catalog.format('pgmq_c.%I', 'q_' OPERATOR(pg_catalog.||) q.queue_id) AS rel
		  FROM pgmq_c.queues q
		 WHERE q.kind OPERATOR(pg_catalog.=) 'q'
		   AND pg_catalog.to_regclass(pg_catalog.format('pgmq_c.%I', 'q_' OPERATOR(pg_catalog.||) q.queue_id)) IS NOT NULL
		UNION ALL
		SELECT pg_catalog.format('pgmq_c.%I', 'g_' OPERATOR(pg_catalog.||) g.group_id)
		  FROM pgmq_c.groups g
		 WHERE pg_catalog.to_regclass(pg_catalog.format('pgmq_c.%I', 'g_' OPERATOR(pg_catalog.||) g.group_id)) IS NOT NULL
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE %s ADD COLUMN leased boolean NOT NULL DEFAULT false, ADD COLUMN reason text', it.rel);
	END LOOP;
	FOR it IN
		SELECT pg_catalog.format('pgmq_c.%I', 'a_' OPERATOR(pg_catalog.||) q.queue_id) AS rel
		  FROM pgmq_c.queues q
		 WHERE q.kind OPERATOR(pg_catalog.=) 'q'
		   AND pg_catalog.to_regclass(pg_catalog.format('pgmq_c.%I', 'a_' OPERATOR(pg_catalog.||) q.queue_id)) IS NOT NULL
	LOOP
		EXECUTE pg_catalog.format('CREATE INDEX ON %s USING brin (archived_at)', it.rel);
	END LOOP;
END
$upgrade$;

--
-- Functions whose arguments or results change are dropped and created
-- again; replace() keeps the EXECUTE privileges a DBA gave or took away.
-- An extension script's GRANTs would be recorded in pg_init_privs as the
-- extension's own, and pg_dump would then leave them out; so the function's
-- initial privileges are set back to what the extension itself gives (the
-- default, or, with revoked_from_public, the owner's alone), and pg_dump
-- dumps the DBA's changes as it did before the update.
--
CREATE FUNCTION pgmq_c.upgrade_0_6_replace(old_signature text,
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

SELECT pgmq_c.upgrade_0_6_replace(
	'pgmq_c.create_queue(text, interval)',
	'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval)',
	$sql$CREATE FUNCTION pgmq_c.create_queue(queue_name text,
		visibility_timeout interval DEFAULT '30 seconds',
		max_deliveries integer DEFAULT NULL,
		dead_letter_queue text DEFAULT NULL,
		retry_backoff interval DEFAULT NULL,
		retry_backoff_max interval DEFAULT NULL,
		archive_retention interval DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmqc_create_queue'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$,
	revoked_from_public => true);
COMMENT ON FUNCTION pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval) IS 'create a queue, with the retry policy and archive retention of alter_queue(); a no-op when it exists';

SELECT pgmq_c.upgrade_0_6_replace(
	'pgmq_c.create_group(text, text, text, interval, jsonb)',
	'pgmq_c.create_group(text, text, text, interval, jsonb, integer, text, interval, interval)',
	$sql$CREATE FUNCTION pgmq_c.create_group(topic_name text, group_name text,
		start_at text DEFAULT 'latest',
		visibility_timeout interval DEFAULT '30 seconds',
		filter jsonb DEFAULT NULL,
		max_deliveries integer DEFAULT NULL,
		dead_letter_queue text DEFAULT NULL,
		retry_backoff interval DEFAULT NULL,
		retry_backoff_max interval DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmqc_create_group'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.create_group(text, text, text, interval, jsonb, integer, text, interval, interval) IS 'create a consumer group starting at ''latest'' or ''earliest''; with filter, the group sees only messages whose headers contain it; with the retry policy of alter_group()';

SELECT pgmq_c.upgrade_0_6_replace(
	'pgmq_c.list_queues()',
	'pgmq_c.list_queues()',
	$sql$CREATE FUNCTION pgmq_c.list_queues()
	RETURNS TABLE (queue_name text, queue_id integer, visibility_timeout interval,
				   created_at timestamptz, owner text, max_deliveries integer,
				   dead_letter_queue text, retry_backoff interval,
				   retry_backoff_max interval, archive_retention interval)
	AS 'MODULE_PATHNAME', 'pgmqc_list_queues'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.list_queues() IS 'one row per queue on which the caller holds some privilege, with its retry policy and archive retention';

SELECT pgmq_c.upgrade_0_6_replace(
	'pgmq_c.list_groups(text)',
	'pgmq_c.list_groups(text)',
	$sql$CREATE FUNCTION pgmq_c.list_groups(topic_name text,
		OUT group_name text,
		OUT lag bigint,
		OUT in_flight bigint,
		OUT oldest_unacked_age_sec double precision,
		OUT missed bigint,
		OUT next_msg_id bigint,
		OUT lag_is_exact boolean,
		OUT visibility_timeout interval,
		OUT filter jsonb,
		OUT max_deliveries integer,
		OUT dead_letter_queue text,
		OUT retry_backoff interval,
		OUT retry_backoff_max interval)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'pgmqc_list_groups'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.list_groups(text) IS 'the groups of a topic: lag (messages not yet acknowledged), in_flight (leased), age of the oldest unacknowledged message, messages missed to retention, retry policy';

SELECT pgmq_c.upgrade_0_6_replace(
	'pgmq_c.ack(text, text, bigint)',
	'pgmq_c.ack(text, text, bigint, integer)',
	$sql$CREATE FUNCTION pgmq_c.ack(topic_name text, group_name text, msg_id bigint,
		read_ct integer DEFAULT NULL)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'pgmqc_ack'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.ack(text, text, bigint, integer) IS 'acknowledge a message for the group; with read_ct, only if that delivery still holds it; false when the group does not hold it unacknowledged';

SELECT pgmq_c.upgrade_0_6_replace(
	'pgmq_c.ack(text, text, bigint[])',
	'pgmq_c.ack(text, text, bigint[], integer[])',
	$sql$CREATE FUNCTION pgmq_c.ack(topic_name text, group_name text, msg_ids bigint[],
		read_cts integer[] DEFAULT NULL)
	RETURNS SETOF bigint
	AS 'MODULE_PATHNAME', 'pgmqc_ack_many'
	LANGUAGE C VOLATILE PARALLEL UNSAFE
	ROWS 100$sql$);
COMMENT ON FUNCTION pgmq_c.ack(text, text, bigint[], integer[]) IS 'acknowledge messages for the group (with read_cts, only those whose delivery still holds them); returns the msg_ids acknowledged';

SELECT pgmq_c.upgrade_0_6_replace(
	'pgmq_c.nack(text, text, bigint, interval)',
	'pgmq_c.nack(text, text, bigint, interval, integer, text)',
	$sql$CREATE FUNCTION pgmq_c.nack(topic_name text, group_name text, msg_id bigint,
		delay interval DEFAULT NULL, read_ct integer DEFAULT NULL,
		reason text DEFAULT NULL)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'pgmqc_nack'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.nack(text, text, bigint, interval, integer, text) IS 'give a message back to the group, to be delivered again after delay (NULL: after the group''s retry backoff), or dead-lettered once it reached max_deliveries';

SELECT pgmq_c.upgrade_0_6_replace(
	'pgmq_c.set_vt(text, text, bigint, interval)',
	'pgmq_c.set_vt(text, text, bigint, interval, integer)',
	$sql$CREATE FUNCTION pgmq_c.set_vt(topic_name text, group_name text, msg_id bigint,
		vt interval, read_ct integer DEFAULT NULL)
	RETURNS SETOF pgmq_c.message
	AS 'MODULE_PATHNAME', 'pgmqc_set_vt_group'
	LANGUAGE C VOLATILE PARALLEL UNSAFE
	ROWS 1$sql$);
COMMENT ON FUNCTION pgmq_c.set_vt(text, text, bigint, interval, integer) IS 'the group''s lease on a message ends vt from now (extends or shortens it); with read_ct, only if that delivery still holds it';

DROP FUNCTION pgmq_c.upgrade_0_6_replace(text, text, text, boolean);

--
-- New functions
--
CREATE FUNCTION pgmq_c.alter_queue(queue_name text,
								   visibility_timeout interval DEFAULT NULL,
								   max_deliveries integer DEFAULT NULL,
								   dead_letter_queue text DEFAULT NULL,
								   retry_backoff interval DEFAULT NULL,
								   retry_backoff_max interval DEFAULT NULL,
								   archive_retention interval DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_alter_queue'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.alter_queue(text, interval, integer, text, interval, interval, interval) IS 'change a queue''s settings: NULL leaves one as it is, 0 (or '''' for the dead-letter queue) clears it; needs ''admin''';

CREATE FUNCTION pgmq_c.alter_group(topic_name text, group_name text,
								   visibility_timeout interval DEFAULT NULL,
								   max_deliveries integer DEFAULT NULL,
								   dead_letter_queue text DEFAULT NULL,
								   retry_backoff interval DEFAULT NULL,
								   retry_backoff_max interval DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_alter_group'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.alter_group(text, text, interval, integer, text, interval, interval) IS 'change a consumer group''s settings: NULL leaves one as it is, 0 (or '''' for the dead-letter queue) clears it; needs ''admin'' on the topic';

CREATE FUNCTION pgmq_c.nack(queue_name text, msg_id bigint,
							delay interval DEFAULT NULL,
							read_ct integer DEFAULT NULL,
							reason text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmqc_nack_queue'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.nack(text, bigint, interval, integer, text) IS 'give a message back, to be delivered again after delay (NULL: after the queue''s retry backoff), or dead-lettered once it reached max_deliveries; with read_ct, only if that delivery still holds it';

CREATE FUNCTION pgmq_c.redrive(dead_letter_queue text,
							   to_queue text DEFAULT NULL,
							   max_messages integer DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgmqc_redrive'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.redrive(text, text, integer) IS 'move dead letters back to the queue or consumer group they came from (or to to_queue), with read_ct starting again; returns how many moved';

COMMENT ON TABLE pgmq_c.template_queue_messages IS 'pgmq_c: the shape of every queue''s message table q_<id> (holds no rows); leased: vt is the end of a read''s lease; reason: of the last nack';
COMMENT ON TABLE pgmq_c.template_group_messages IS 'pgmq_c: the shape of every consumer group''s table g_<id> (holds no rows); leased: vt is the end of a read''s lease; reason: of the last nack';
