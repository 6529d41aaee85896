/* pgmq_c--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgmq_c" to load this file. \quit

-- Every object below is schema-qualified, and so is every function or
-- operator the script calls, so a hostile search_path at CREATE EXTENSION
-- time cannot change what gets created.  The schema belongs to the
-- extension; the per-queue tables created later in it do not, so
-- DROP EXTENSION pgmq_c refuses while queues exist and CASCADE drops them.
CREATE SCHEMA pgmq_c;
COMMENT ON SCHEMA pgmq_c IS 'pgmq_c message queues';

--
-- Catalog: one row per queue.  Per-queue tables are named after queue_id
-- (pgmq_c.q_<id>, pgmq_c.d_<id>, pgmq_c.a_<id>), never after the user's name.
--
CREATE TABLE pgmq_c.queues (
	queue_id			integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	queue_name			text NOT NULL UNIQUE
		CHECK (pg_catalog.length(queue_name) OPERATOR(pg_catalog.<=) 80),
	visibility_timeout	interval NOT NULL,
	created_at			timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE pgmq_c.queues IS 'one row per pgmq_c queue; use the pgmq_c functions rather than writing here';

-- keep queue definitions in pg_dump output (the per-queue tables are not
-- extension members, so pg_dump dumps them and their data as usual)
SELECT pg_catalog.pg_extension_config_dump('pgmq_c.queues', '');
SELECT pg_catalog.pg_extension_config_dump('pgmq_c.queues_queue_id_seq', '');

--
-- Types
--
CREATE TYPE pgmq_c.message AS (
	msg_id		bigint,
	read_ct		integer,
	enqueued_at	timestamptz,
	vt			timestamptz,
	message		jsonb,
	headers		jsonb
);
COMMENT ON TYPE pgmq_c.message IS 'a message as returned by read, pop and set_vt; (msg_id, read_ct) is the receipt';

CREATE TYPE pgmq_c.archived_message AS (
	msg_id		bigint,
	read_ct		integer,
	enqueued_at	timestamptz,
	archived_at	timestamptz,
	vt			timestamptz,
	message		jsonb,
	headers		jsonb
);

CREATE TYPE pgmq_c.queue_metrics AS (
	queue_name			text,
	queue_length		bigint,
	visible_length		bigint,
	delayed_length		bigint,
	in_flight_length	bigint,
	archived_length		bigint,
	oldest_msg_age_sec	double precision,
	newest_msg_age_sec	double precision,
	total_messages		bigint,
	length_is_exact		boolean,
	scrape_time			timestamptz
);

--
-- Queue management
--
CREATE FUNCTION pgmq_c.create_queue(queue_name text,
									visibility_timeout interval DEFAULT '30 seconds')
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_create_queue'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.create_queue(text, interval) IS 'create a queue; a no-op when it exists';

CREATE FUNCTION pgmq_c.drop_queue(queue_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmqc_drop_queue'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.drop_queue(text) IS 'drop a queue and all its messages; false when it did not exist';

CREATE FUNCTION pgmq_c.purge_queue(queue_name text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgmqc_purge_queue'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.purge_queue(text) IS 'remove every message (visible, leased and delayed); returns how many';

CREATE FUNCTION pgmq_c.list_queues()
RETURNS TABLE (queue_name text, queue_id integer, visibility_timeout interval, created_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT q.queue_name, q.queue_id, q.visibility_timeout, q.created_at
	  FROM pgmq_c.queues q
	 ORDER BY q.queue_name COLLATE "C";
END;
COMMENT ON FUNCTION pgmq_c.list_queues() IS 'one row per queue';

--
-- Sending
--
CREATE FUNCTION pgmq_c.send(queue_name text, message jsonb,
							headers jsonb DEFAULT NULL,
							delay interval DEFAULT '0')
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgmqc_send'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.send(text, jsonb, jsonb, interval) IS 'send one message; returns its msg_id';

CREATE FUNCTION pgmq_c.send_batch(queue_name text, messages jsonb[],
								  headers jsonb[] DEFAULT NULL,
								  delay interval DEFAULT '0')
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmqc_send_batch'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION pgmq_c.send_batch(text, jsonb[], jsonb[], interval) IS 'send several messages; returns their msg_ids in array order';

--
-- Receiving
--
CREATE FUNCTION pgmq_c.read(queue_name text, vt interval DEFAULT NULL,
							qty integer DEFAULT 1)
RETURNS SETOF pgmq_c.message
AS 'MODULE_PATHNAME', 'pgmqc_read'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION pgmq_c.read(text, interval, integer) IS 'lease up to qty visible messages, oldest first, for vt (NULL: the queue''s visibility_timeout)';

CREATE FUNCTION pgmq_c.pop(queue_name text, qty integer DEFAULT 1)
RETURNS SETOF pgmq_c.message
AS 'MODULE_PATHNAME', 'pgmqc_pop'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION pgmq_c.pop(text, integer) IS 'read and delete up to qty visible messages at once (at-most-once)';

--
-- Acknowledging
--
CREATE FUNCTION pgmq_c.delete(queue_name text, msg_id bigint,
							  read_ct integer DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmqc_delete'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.delete(text, bigint, integer) IS 'delete a message; with read_ct, only if that delivery still holds it';

CREATE FUNCTION pgmq_c.delete(queue_name text, msg_ids bigint[],
							  read_cts integer[] DEFAULT NULL)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmqc_delete_many'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION pgmq_c.delete(text, bigint[], integer[]) IS 'delete messages; returns the msg_ids deleted';

CREATE FUNCTION pgmq_c.archive(queue_name text, msg_id bigint,
							   read_ct integer DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmqc_archive'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.archive(text, bigint, integer) IS 'move a message to the queue''s archive';

CREATE FUNCTION pgmq_c.archive(queue_name text, msg_ids bigint[],
							   read_cts integer[] DEFAULT NULL)
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmqc_archive_many'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION pgmq_c.archive(text, bigint[], integer[]) IS 'move messages to the archive; returns the msg_ids archived';

CREATE FUNCTION pgmq_c.set_vt(queue_name text, msg_id bigint, vt interval,
							  read_ct integer DEFAULT NULL)
RETURNS SETOF pgmq_c.message
AS 'MODULE_PATHNAME', 'pgmqc_set_vt'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION pgmq_c.set_vt(text, bigint, interval, integer) IS 'make a message visible again after vt from now (''0'' is a nack)';

--
-- Observing
--
CREATE FUNCTION pgmq_c.metrics(queue_name text)
RETURNS pgmq_c.queue_metrics
AS 'MODULE_PATHNAME', 'pgmqc_metrics'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.metrics(text) IS 'queue lengths and ages; exact up to pgmq_c.metrics_exact_limit messages, estimated above';

CREATE FUNCTION pgmq_c.metrics_all()
RETURNS SETOF pgmq_c.queue_metrics
AS 'MODULE_PATHNAME', 'pgmqc_metrics_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.metrics_all() IS 'metrics() for every queue';

CREATE FUNCTION pgmq_c.read_archive(queue_name text,
									after_msg_id bigint DEFAULT 0,
									qty integer DEFAULT 100)
RETURNS SETOF pgmq_c.archived_message
AS 'MODULE_PATHNAME', 'pgmqc_read_archive'
LANGUAGE C STABLE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION pgmq_c.read_archive(text, bigint, integer) IS 'archived messages with msg_id > after_msg_id, in msg_id order';

--
-- Privileges: every function runs with the caller's rights (SECURITY
-- INVOKER); the per-queue tables belong to the role that created the queue,
-- so table privileges decide who may use a queue.  Creating queues needs
-- CREATE on schema pgmq_c and INSERT on pgmq_c.queues.
--
GRANT USAGE ON SCHEMA pgmq_c TO PUBLIC;
GRANT SELECT ON pgmq_c.queues TO PUBLIC;
