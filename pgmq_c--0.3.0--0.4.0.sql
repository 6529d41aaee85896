/* pgmq_c--0.3.0--0.4.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmq_c UPDATE TO '0.4.0'" to load this file. \quit

-- 0.4.0: the security model (README "Privileges", docs/design.md "Security
-- model").
--
-- Every table, sequence and partition pgmq_c makes belongs to the role that
-- owns the extension, and no other role holds any privilege on them, on the
-- catalog tables below, or CREATE on schema pgmq_c.  The functions run their
-- statements as the extension owner with search_path pinned to
-- "pg_catalog, pg_temp", and check the caller's privileges on the queue
-- themselves: each queue or topic has an owner (the role that created it,
-- holding every privilege) and grants in pgmq_c.access.

--
-- Catalog
--
ALTER TABLE pgmq_c.queues ADD COLUMN owner pg_catalog.regrole;
COMMENT ON COLUMN pgmq_c.queues.owner IS 'the role that created the queue or topic: it holds every privilege on it';

-- one row per (queue, role) with some privilege; role_id 0 is PUBLIC
CREATE TABLE pgmq_c.access (
	queue_id	integer NOT NULL
		REFERENCES pgmq_c.queues (queue_id) ON DELETE CASCADE,
	role_id		pg_catalog.regrole NOT NULL,
	privileges	integer NOT NULL
		CHECK (privileges OPERATOR(pg_catalog.>) 0
			   AND privileges OPERATOR(pg_catalog.<=) 15),
	PRIMARY KEY (queue_id, role_id)
);
COMMENT ON TABLE pgmq_c.access IS 'privileges granted on pgmq_c queues and topics (bits: 1 send, 2 consume, 4 monitor, 8 admin; role 0 is PUBLIC); use pgmq_c.grant_access() and pgmq_c.revoke_access()';
SELECT pg_catalog.pg_extension_config_dump('pgmq_c.access', '');

-- == migration of existing objects (upgrade helper) ==

-- == end of migration ==

-- any queue whose creator could not be told belongs to the extension owner
UPDATE pgmq_c.queues
   SET owner = (SELECT e.extowner::pg_catalog.regrole
				  FROM pg_catalog.pg_extension e
				 WHERE e.extname OPERATOR(pg_catalog.=) 'pgmq_c')
 WHERE owner IS NULL;
ALTER TABLE pgmq_c.queues ALTER COLUMN owner SET NOT NULL;

--
-- Listings: rows only for queues and topics the caller holds some privilege
-- on; they gain the owner.
--
DROP FUNCTION pgmq_c.list_queues();
CREATE FUNCTION pgmq_c.list_queues()
RETURNS TABLE (queue_name text, queue_id integer, visibility_timeout interval,
			   created_at timestamptz, owner text)
AS 'MODULE_PATHNAME', 'pgmqc_list_queues'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.list_queues() IS 'one row per queue on which the caller holds some privilege';

DROP FUNCTION pgmq_c.list_topics();
CREATE FUNCTION pgmq_c.list_topics()
RETURNS TABLE (topic_name text, topic_id integer, retention interval,
			   partition_size bigint, groups bigint, created_at timestamptz,
			   owner text)
AS 'MODULE_PATHNAME', 'pgmqc_list_topics'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.list_topics() IS 'one row per topic on which the caller holds some privilege';

--
-- Per-queue access
--
CREATE FUNCTION pgmq_c.grant_access(queue_name text, role_name text,
									privileges text[])
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_grant_access'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.grant_access(text, text, text[]) IS 'grant privileges (''send'', ''consume'', ''monitor'', ''admin'' or ''all'') on a queue or topic to a role or to ''public''; needs ''admin''';

CREATE FUNCTION pgmq_c.revoke_access(queue_name text, role_name text,
									 privileges text[])
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_revoke_access'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.revoke_access(text, text, text[]) IS 'revoke privileges on a queue or topic from a role or from ''public''; the owner keeps all of them; needs ''admin''';

CREATE FUNCTION pgmq_c.list_access(queue_name text)
RETURNS TABLE (role_name text, privileges text[])
AS 'MODULE_PATHNAME', 'pgmqc_list_access'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.list_access(text) IS 'who holds which privileges on a queue or topic: its owner first, then ''public'', then roles';

--
-- Privileges on pgmq_c's own objects.  Everything runs as the extension
-- owner, so callers need no privilege on any table: only USAGE on the schema
-- and EXECUTE on the functions, which check per-queue privileges themselves.
-- Creating queues and topics, and running the worker's maintenance by hand,
-- are granted by a DBA: GRANT EXECUTE ON FUNCTION pgmq_c.create_queue(text,
-- interval) TO some_role.
--
REVOKE ALL ON SCHEMA pgmq_c FROM PUBLIC;
GRANT USAGE ON SCHEMA pgmq_c TO PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA pgmq_c FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA pgmq_c FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c.create_queue(text, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c.create_topic(text, interval, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c.maintain_topics() FROM PUBLIC;
