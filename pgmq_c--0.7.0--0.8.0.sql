/* pgmq_c--0.7.0--0.8.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmq_c UPDATE TO '0.8.0'" to load this file. \quit

-- 0.8.0: durability levels of queues and topics.
--
-- create_queue() and alter_queue() take a durability: 'logged' (as before)
-- or 'unlogged', whose message, delayed, pending and keys tables are
-- UNLOGGED: not written to the WAL, emptied by a crash, not on a standby.
-- The queue's sequence stays logged, so that its msg_ids never start again
-- after a crash, and its archive stays logged.  The level is the
-- persistence of the queue's tables (pg_class.relpersistence), not a
-- column of the catalog: list_queues() shows it.  Queues made before the
-- update are logged.
--
-- create_topic() takes a durability too, and alter_queue() switches a
-- topic's: an unlogged topic has the partitions of its log and its
-- consumer groups' tables UNLOGGED (the partitions the worker makes later
-- too); its log (partitioned, without storage), sequence and cursor table
-- stay logged.  list_topics() shows it.  Topics made before the update are
-- logged.
--
-- A new timeline (a promoted standby, a point-in-time recovery) moves every
-- msg_id sequence on by 2^32 before it hands out an id (the sequence
-- pgmq_c.timeline_marker), so that ids drawn on the old timeline but lost
-- with it are never handed out again.

--
-- Functions and procedures whose arguments or results change are dropped
-- and created again, keeping the EXECUTE privileges a DBA gave or took away
-- (as in pgmq_c--0.6.0--0.7.0.sql).
--
CREATE FUNCTION pgmq_c.upgrade_0_8_replace(old_signature text,
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
	EXECUTE 'DROP ROUTINE ' OPERATOR(pg_catalog.||) old_signature;
	EXECUTE create_statement;
	EXECUTE 'REVOKE ALL ON ROUTINE ' OPERATOR(pg_catalog.||) new_signature OPERATOR(pg_catalog.||) ' FROM PUBLIC';
	-- each grantee again, with the grant option if any grant gave it
	FOR it IN
		SELECT a.grantee, pg_catalog.bool_or(a.is_grantable) AS grantable
		  FROM pg_catalog.aclexplode(COALESCE(acl, pg_catalog.acldefault('f', owner))) a
		 WHERE a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
		   AND a.grantee OPERATOR(pg_catalog.<>) owner
		 GROUP BY a.grantee
	LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON ROUTINE %s TO %s%s', new_signature,
								  CASE WHEN it.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
								  ELSE it.grantee::pg_catalog.regrole::pg_catalog.text END,
								  CASE WHEN it.grantable THEN ' WITH GRANT OPTION' ELSE '' END);
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

SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval, interval)',
	'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval, interval, text)',
	$sql$CREATE FUNCTION pgmq_c.create_queue(queue_name text,
		visibility_timeout interval DEFAULT '30 seconds',
		max_deliveries integer DEFAULT NULL,
		dead_letter_queue text DEFAULT NULL,
		retry_backoff interval DEFAULT NULL,
		retry_backoff_max interval DEFAULT NULL,
		archive_retention interval DEFAULT NULL,
		dedup_window interval DEFAULT NULL,
		durability text DEFAULT 'logged')
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmqc_create_queue'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$,
	revoked_from_public => true);
COMMENT ON FUNCTION pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval, interval, text) IS 'create a queue, with the retry policy, archive retention and deduplication window of alter_queue(), logged or unlogged; a no-op when it exists';

SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.alter_queue(text, interval, integer, text, interval, interval, interval, interval)',
	'pgmq_c.alter_queue(text, interval, integer, text, interval, interval, interval, interval, text)',
	$sql$CREATE FUNCTION pgmq_c.alter_queue(queue_name text,
		visibility_timeout interval DEFAULT NULL,
		max_deliveries integer DEFAULT NULL,
		dead_letter_queue text DEFAULT NULL,
		retry_backoff interval DEFAULT NULL,
		retry_backoff_max interval DEFAULT NULL,
		archive_retention interval DEFAULT NULL,
		dedup_window interval DEFAULT NULL,
		durability text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmqc_alter_queue'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.alter_queue(text, interval, integer, text, interval, interval, interval, interval, text) IS 'change a queue''s settings (of a topic, dedup_window and durability only): NULL leaves one as it is, 0 (or '''' for the dead-letter queue) clears it; durability ''logged'' or ''unlogged'' rewrites the queue''s or topic''s tables; needs ''admin''';

SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.create_topic(text, interval, bigint, interval)',
	'pgmq_c.create_topic(text, interval, bigint, interval, text)',
	$sql$CREATE FUNCTION pgmq_c.create_topic(topic_name text,
		retention interval DEFAULT '7 days',
		partition_size bigint DEFAULT 1000000,
		dedup_window interval DEFAULT NULL,
		durability text DEFAULT 'logged')
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmqc_create_topic'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$,
	revoked_from_public => true);
COMMENT ON FUNCTION pgmq_c.create_topic(text, interval, bigint, interval, text) IS 'create a topic whose messages are kept for retention, in partitions of partition_size msg_ids, remembering deduplication ids for dedup_window (NULL: 5 minutes), logged or unlogged; a no-op when it exists';

SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.list_queues()',
	'pgmq_c.list_queues()',
	$sql$CREATE FUNCTION pgmq_c.list_queues()
	RETURNS TABLE (queue_name text, queue_id integer, visibility_timeout interval,
				   created_at timestamptz, owner text, max_deliveries integer,
				   dead_letter_queue text, retry_backoff interval,
				   retry_backoff_max interval, archive_retention interval,
				   dedup_window interval, durability text)
	AS 'MODULE_PATHNAME', 'pgmqc_list_queues'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.list_queues() IS 'one row per queue on which the caller holds some privilege, with its retry policy, archive retention, deduplication window and durability';

SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.list_topics()',
	'pgmq_c.list_topics()',
	$sql$CREATE FUNCTION pgmq_c.list_topics()
	RETURNS TABLE (topic_name text, topic_id integer, retention interval,
				   partition_size bigint, groups bigint, created_at timestamptz,
				   owner text, dedup_window interval, durability text)
	AS 'MODULE_PATHNAME', 'pgmqc_list_topics'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
COMMENT ON FUNCTION pgmq_c.list_topics() IS 'one row per topic on which the caller holds some privilege, with its deduplication window and durability';

--
-- A read acknowledges the receipts of the messages read before and leases
-- the next ones in one transaction: one commit per message consumed.
--
SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.read(text, interval, integer, interval)',
	'pgmq_c.read(text, interval, integer, interval, bigint[], integer[])',
	$sql$CREATE FUNCTION pgmq_c.read(queue_name text, vt interval DEFAULT NULL,
		qty integer DEFAULT 1, wait interval DEFAULT '0',
		delete_ids bigint[] DEFAULT NULL, delete_read_cts integer[] DEFAULT NULL)
	RETURNS SETOF pgmq_c.message
	AS 'MODULE_PATHNAME', 'pgmqc_read'
	LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10$sql$);
COMMENT ON FUNCTION pgmq_c.read(text, interval, integer, interval, bigint[], integer[]) IS 'delete the receipts delete_ids (with delete_read_cts) first; then lease up to qty visible messages, oldest first, for vt; with wait, sleep until one is visible or wait has passed (holds the snapshot meanwhile: prefer CALL pgmq_c.receive)';

SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.receive(text, interval, integer, interval, pgmq_c.message[])',
	'pgmq_c.receive(text, interval, integer, interval, pgmq_c.message[], bigint[], integer[])',
	$sql$CREATE PROCEDURE pgmq_c.receive(queue_name text, vt interval DEFAULT NULL,
		qty integer DEFAULT 1, wait interval DEFAULT '0',
		INOUT messages pgmq_c.message[] DEFAULT NULL,
		delete_ids bigint[] DEFAULT NULL, delete_read_cts integer[] DEFAULT NULL)
	AS 'MODULE_PATHNAME', 'pgmqc_receive'
	LANGUAGE C$sql$);
COMMENT ON PROCEDURE pgmq_c.receive(text, interval, integer, interval, pgmq_c.message[], bigint[], integer[]) IS 'like read(), but commits before it sleeps: waits holding no snapshot; returns the leased messages as an array';

SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.read_group(text, text, interval, integer, interval)',
	'pgmq_c.read_group(text, text, interval, integer, interval, bigint[], integer[])',
	$sql$CREATE FUNCTION pgmq_c.read_group(topic_name text, group_name text,
		vt interval DEFAULT NULL, qty integer DEFAULT 1, wait interval DEFAULT '0',
		ack_ids bigint[] DEFAULT NULL, ack_read_cts integer[] DEFAULT NULL)
	RETURNS SETOF pgmq_c.message
	AS 'MODULE_PATHNAME', 'pgmqc_read_group'
	LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10$sql$);
COMMENT ON FUNCTION pgmq_c.read_group(text, text, interval, integer, interval, bigint[], integer[]) IS 'acknowledge the receipts ack_ids (with ack_read_cts) first; then lease the group''s next qty messages for vt (NULL: the group''s visibility_timeout); with wait, sleep until one is there';

SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.receive_group(text, text, interval, integer, interval, pgmq_c.message[])',
	'pgmq_c.receive_group(text, text, interval, integer, interval, pgmq_c.message[], bigint[], integer[])',
	$sql$CREATE PROCEDURE pgmq_c.receive_group(topic_name text, group_name text,
		vt interval DEFAULT NULL, qty integer DEFAULT 1, wait interval DEFAULT '0',
		INOUT messages pgmq_c.message[] DEFAULT NULL,
		ack_ids bigint[] DEFAULT NULL, ack_read_cts integer[] DEFAULT NULL)
	AS 'MODULE_PATHNAME', 'pgmqc_receive_group'
	LANGUAGE C$sql$);
COMMENT ON PROCEDURE pgmq_c.receive_group(text, text, interval, integer, interval, pgmq_c.message[], bigint[], integer[]) IS 'like read_group(), but commits before it sleeps';

--
-- Notifications on a channel of the queue's own (NULL: channel pgmq_c), such
-- as the one pgmq's clients listen on ("pgmq.q_<queue>.INSERT", set by
-- pgmq_c_compat's enable_notify_insert()); the payload is the queue's name.
--
ALTER TABLE pgmq_c.queues ADD COLUMN notify_channel text
	CONSTRAINT queues_notify_channel_check
	CHECK (pg_catalog.octet_length(notify_channel) BETWEEN 1 AND 63);
COMMENT ON COLUMN pgmq_c.queues.notify_channel IS 'the channel of the queue''s notifications (NULL: pgmq_c); set by enable_notify()';

SELECT pgmq_c.upgrade_0_8_replace(
	'pgmq_c.enable_notify(text, interval)',
	'pgmq_c.enable_notify(text, interval, text)',
	$sql$CREATE FUNCTION pgmq_c.enable_notify(queue_name text,
		throttle interval DEFAULT '0', channel text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmqc_enable_notify'
	LANGUAGE C VOLATILE PARALLEL UNSAFE$sql$);
CREATE FUNCTION pgmq_c.list_notifications()
RETURNS TABLE (queue_name text, throttle interval, channel text, owner text)
AS 'MODULE_PATHNAME', 'pgmqc_list_notifications'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.list_notifications() IS 'the notification settings of each queue with notifications on and on which the caller holds some privilege (channel NULL: pgmq_c)';

COMMENT ON FUNCTION pgmq_c.enable_notify(text, interval, text) IS 'NOTIFY pgmq_c (or channel), ''<queue_name>'' (from the background worker) when messages become visible, at most once per throttle';

DROP FUNCTION pgmq_c.upgrade_0_8_replace(text, text, text, boolean);

--
-- msg_ids of a new timeline (a promoted standby, a point-in-time recovery)
-- start past the old timeline's (src/common/timelines.c): the first pgmq_c
-- call that can write moves every sequence of pgmq_c on by 2^32 when the
-- timeline differs from this marker, then sets it.  It starts at the
-- timeline of now, so that the update itself moves nothing.
--
CREATE SEQUENCE pgmq_c.timeline_marker AS bigint MINVALUE 0 START WITH 0;
SELECT pg_catalog.setval('pgmq_c.timeline_marker',
						 (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()), true);
REVOKE ALL ON SEQUENCE pgmq_c.timeline_marker FROM PUBLIC;
COMMENT ON SEQUENCE pgmq_c.timeline_marker IS 'pgmq_c: the last timeline whose start moved every queue''s and topic''s msg_ids on (src/common/timelines.c)';

-- metrics_all() shows what the caller may monitor, as metrics() needs
COMMENT ON FUNCTION pgmq_c.metrics_all() IS 'metrics() for every queue and topic the caller may monitor';

--
-- Retired names (src/common/retired_names.c): the next msg_id of a queue or
-- topic that was dropped, under its name.  One made again under that name
-- starts its msg_ids there (and forgets the row), so that a receipt of the
-- old one held by a consumer matches none of the new one's messages.
--
CREATE TABLE pgmq_c.retired_names (
	queue_name	text PRIMARY KEY,
	next_msg_id	bigint NOT NULL
);
SELECT pg_catalog.pg_extension_config_dump('pgmq_c.retired_names', '');

-- The deduplication ids kept in the default partition (sent before the
-- worker made the day's partition, or without a worker) go with a dump, as
-- those of the day partitions (ordinary tables) do.
SELECT pg_catalog.pg_extension_config_dump('pgmq_c.dedup_ids_default', '');
REVOKE ALL ON pgmq_c.retired_names FROM PUBLIC;
COMMENT ON TABLE pgmq_c.retired_names IS 'pgmq_c: where a queue or topic made again under the name of a dropped one starts its msg_ids';

--
-- The lookup index of the default partition of pgmq_c.dedup_ids compares
-- ids bytewise (COLLATE "C"), as the day partitions' indexes the worker
-- makes from now on do: a send with an id descends the index twice, and
-- in a database whose collation is not C every comparison of the descent
-- called strcoll.  Ids are only ever compared for equality, which a
-- deterministic collation (every database default) decides bytewise
-- anyway.  Day partitions made before the update keep their index until
-- the worker drops them.
--
DROP INDEX pgmq_c.dedup_ids_default_lookup;
CREATE INDEX dedup_ids_default_lookup ON pgmq_c.dedup_ids_default
	(queue_id, dedup_id COLLATE pg_catalog."C");

--
-- Comments on the tables of a queue, topic or group named it, and every
-- role can read pg_description, while the names are kept in pgmq_c's own
-- catalog, which only the API shows (to roles with a privilege on each).
-- They now name it by its id, as the tables themselves do.
--
DO $comments$
DECLARE
	it record;
BEGIN
	PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
	FOR it IN
		SELECT c.relname,
			   CASE WHEN c.relname ~ '^g_'
					THEN 'pgmq_c topic ' || g.topic_id || ', group ' || s.id || ': '
					ELSE 'pgmq_c ' || (regexp_match(d.description, '^pgmq_c (queue|topic) '))[1] ||
						 ' ' || s.id || ': '
			   END || regexp_replace(d.description, '^pgmq_c (queue|topic) [A-Za-z0-9_-]+(, group [A-Za-z0-9_-]+)?: ', '')
			   AS comment
		  FROM pg_catalog.pg_class c
		  JOIN pg_catalog.pg_description d
			ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
		 CROSS JOIN LATERAL (SELECT (regexp_match(c.relname, '^[a-z]_([0-9]+)'))[1]::int4 AS id) s
		  LEFT JOIN pgmq_c.groups g ON c.relname ~ '^g_' AND g.group_id = s.id
		 WHERE c.relnamespace = 'pgmq_c'::regnamespace
		   AND s.id IS NOT NULL
		   AND d.description ~ '^pgmq_c (queue|topic) [A-Za-z0-9_-]+(, group [A-Za-z0-9_-]+)?: '
		   AND (c.relname !~ '^g_' OR g.topic_id IS NOT NULL)
	LOOP
		EXECUTE format('COMMENT ON TABLE pgmq_c.%I IS %L', it.relname, it.comment);
	END LOOP;
END
$comments$;

--
-- Tables without a primary key that pgmq_c deletes rows from -- the
-- default partition of pgmq_c.dedup_ids (ids past their window), the day
-- partitions of a partitioned archive (archive_retention) -- identify their
-- rows by all columns, so that those deletes work under a publication FOR
-- ALL TABLES (logical replication, change data capture), which refuses
-- deletes from a table without a replica identity.  Partitions made from
-- now on get it when they are made.
--
ALTER TABLE pgmq_c.dedup_ids_default REPLICA IDENTITY FULL;
DO $identity$
DECLARE
	it record;
BEGIN
	PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
	FOR it IN
		SELECT c.relname
		  FROM pg_catalog.pg_inherits i
		  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
		  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
		 WHERE c.relnamespace = 'pgmq_c'::regnamespace
		   AND p.relnamespace = 'pgmq_c'::regnamespace
		   AND (p.relname = 'dedup_ids' OR p.relname ~ '^a_[0-9]+$')
		   AND c.relreplident = 'd'
		   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index x
							WHERE x.indrelid = c.oid AND x.indisprimary)
	LOOP
		EXECUTE format('ALTER TABLE pgmq_c.%I REPLICA IDENTITY FULL', it.relname);
	END LOOP;
END
$identity$;

--
-- Room for every lease.  A read updates each message it leases (vt,
-- read_ct, leased: no indexed column), and that update is HOT -- no new
-- index entry, no work for the next vacuum's index pass -- only when the
-- new version fits on the row's page.  At fillfactor 70 a page of a backlog
-- held room for the new versions of about 40 % of its rows, so most leases
-- of a backlog read in batches were ordinary updates with a new primary
-- key entry, and four readers leasing neighbouring rows queued on the same
-- pages' content locks (docs/benchmarks.md, session 53: four readers taking
-- batches of 100 from a backlog consumed about a third more at fillfactor
-- 50).  A message table now keeps half of each page free: one new version
-- per row fits, and a page's dead versions are pruned before it fills.  A
-- group's table holds narrow rows (a msg_id, a lease, no body) only
-- between a hand-out and its acknowledgement, so it keeps more: 60 % free,
-- room for a second lease of half of them before pruning.  A backlog's
-- heap grows: 1.45 times for messages of 100 bytes, up to 1.67 times for
-- messages of 1 KB (3 rows a page instead of 5; measured in
-- docs/benchmarks.md); the archive, the delayed and the log tables take no
-- leases and keep their settings.  Tables made before are changed too: the
-- setting applies to the pages they fill from now on.
--
ALTER TABLE pgmq_c.template_queue_messages SET (fillfactor = 50);
ALTER TABLE pgmq_c.template_group_messages SET (fillfactor = 40);
DO $fillfactor$
DECLARE
	it record;
BEGIN
	PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
	FOR it IN
		SELECT c.relname, t.fillfactor
		  FROM (SELECT 'q_' || q.queue_id AS relname, 50 AS fillfactor
				  FROM pgmq_c.queues q WHERE q.kind = 'q'
				UNION ALL
				SELECT 'g_' || g.group_id, 40 FROM pgmq_c.groups g) t
		  JOIN pg_catalog.pg_class c ON c.relname = t.relname
		 WHERE c.relnamespace = 'pgmq_c'::regnamespace AND c.relkind = 'r'
	LOOP
		EXECUTE format('ALTER TABLE pgmq_c.%I SET (fillfactor = %s)',
					   it.relname, it.fillfactor);
	END LOOP;
END
$fillfactor$;

-- A send with a dedup_id answers with the message the id stored last
-- within the window (not necessarily its first send's: an id sent again
-- past its window stores a new message).
COMMENT ON FUNCTION pgmq_c.send(text, jsonb, jsonb, interval, text, text) IS 'send one message; returns its msg_id (with a dedup_id that stored a message within the dedup window, that message''s msg_id, storing nothing); messages of one ordering_key are delivered one at a time, in order';
COMMENT ON FUNCTION pgmq_c.send_batch(text, jsonb[], jsonb[], interval, text[], text[]) IS 'send several messages; returns their msg_ids in array order (for a dedup_id that stored a message within the dedup window, that message''s msg_id); a NULL element of ordering_keys or dedup_ids: none for that message';
COMMENT ON COLUMN pgmq_c.queues.dedup_window IS 'a send with a dedup_id that stored a message within the last dedup_window stores nothing and returns that message''s msg_id';

--
-- Blocks (src/topic/group_blocks.c): runs of a topic's messages that the
-- worker's fill handed to a consumer group without a row each in the
-- group's table g_<group id>.  The messages of the topic's log from next_id
-- to last_id that pass the group's filter (messages of them) belong to the
-- group, the group's cursor is past them, and none of them is in g_ yet;
-- none has an ordering key or was delayed beyond the fill.  A reader locks
-- a block (FOR NO KEY UPDATE SKIP LOCKED), inserts its leases into g_
-- straight from the log and moves next_id on, or deletes the block when it
-- took the last; so a block and the leases taken from it commit or vanish
-- together (docs/design.md, section 8, "Blocks").
--
CREATE TABLE pgmq_c.group_blocks (
	group_id	integer NOT NULL,
	first_id	bigint NOT NULL,
	next_id		bigint NOT NULL,
	last_id		bigint NOT NULL,
	messages	integer NOT NULL,
	PRIMARY KEY (group_id, first_id)
) WITH (fillfactor = 50);
SELECT pg_catalog.pg_extension_config_dump('pgmq_c.group_blocks', '');
REVOKE ALL ON pgmq_c.group_blocks FROM PUBLIC;
COMMENT ON TABLE pgmq_c.group_blocks IS 'pgmq_c: runs of a topic''s messages handed to a consumer group, not yet taken by its readers';
