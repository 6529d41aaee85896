/* pgmq_c--0.2.0--0.3.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmq_c UPDATE TO '0.3.0'" to load this file. \quit

-- 0.3.0: topics with consumer groups.
--
-- A topic is a row of pgmq_c.queues with kind 't', so that topic and queue
-- names share one namespace.  Its messages are stored once, in the log
-- pgmq_c.t_<id> (range-partitioned on msg_id, partitions t_<id>_p<n>); each
-- consumer group has a row in pgmq_c.groups, its position in the topic's
-- cursor table pgmq_c.c_<topic id>, and the messages handed out to it but not
-- yet acknowledged in pgmq_c.g_<group id>.  docs/design.md, section 8.

ALTER TABLE pgmq_c.queues
	ADD COLUMN kind "char" NOT NULL DEFAULT 'q'
		CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['q', 't']::"char"[])),
	ADD COLUMN retention interval,
	ADD COLUMN partition_size bigint,
	ADD CONSTRAINT queues_topic_check CHECK
		((kind OPERATOR(pg_catalog.=) 'q') OPERATOR(pg_catalog.=)
		 (retention IS NULL AND partition_size IS NULL));

CREATE TABLE pgmq_c.groups (
	group_id			integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	topic_id			integer NOT NULL
		REFERENCES pgmq_c.queues (queue_id) ON DELETE CASCADE,
	group_name			text NOT NULL
		CHECK (pg_catalog.length(group_name) OPERATOR(pg_catalog.<=) 80),
	visibility_timeout	interval NOT NULL,
	filter				jsonb,
	start_at			text NOT NULL,
	created_at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	UNIQUE (topic_id, group_name)
);
COMMENT ON TABLE pgmq_c.groups IS 'one row per consumer group of a pgmq_c topic; use the pgmq_c functions rather than writing here';
SELECT pg_catalog.pg_extension_config_dump('pgmq_c.groups', '');
SELECT pg_catalog.pg_extension_config_dump('pgmq_c.groups_group_id_seq', '');
GRANT SELECT ON pgmq_c.groups TO PUBLIC;

-- list_queues lists queues only
CREATE OR REPLACE FUNCTION pgmq_c.list_queues()
RETURNS TABLE (queue_name text, queue_id integer, visibility_timeout interval, created_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT q.queue_name, q.queue_id, q.visibility_timeout, q.created_at
	  FROM pgmq_c.queues q
	 WHERE q.kind OPERATOR(pg_catalog.=) 'q'
	 ORDER BY q.queue_name COLLATE "C";
END;

-- metrics() covers topics: the extra columns are NULL for a queue
ALTER TYPE pgmq_c.queue_metrics
	ADD ATTRIBUTE kind text,
	ADD ATTRIBUTE retention interval,
	ADD ATTRIBUTE partitions integer,
	ADD ATTRIBUTE groups integer,
	ADD ATTRIBUTE total_bytes bigint;

--
-- Topics
--
CREATE FUNCTION pgmq_c.create_topic(topic_name text,
									retention interval DEFAULT '7 days',
									partition_size bigint DEFAULT 1000000)
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_create_topic'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.create_topic(text, interval, bigint) IS 'create a topic whose messages are kept for retention, in partitions of partition_size msg_ids; a no-op when it exists';

CREATE FUNCTION pgmq_c.drop_topic(topic_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmqc_drop_topic'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.drop_topic(text) IS 'drop a topic, its groups and all its messages; false when it did not exist';

CREATE FUNCTION pgmq_c.list_topics()
RETURNS TABLE (topic_name text, topic_id integer, retention interval,
			   partition_size bigint, groups bigint, created_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT q.queue_name, q.queue_id, q.retention, q.partition_size,
		   (SELECT pg_catalog.count(*) FROM pgmq_c.groups g
			 WHERE g.topic_id OPERATOR(pg_catalog.=) q.queue_id),
		   q.created_at
	  FROM pgmq_c.queues q
	 WHERE q.kind OPERATOR(pg_catalog.=) 't'
	 ORDER BY q.queue_name COLLATE "C";
END;
COMMENT ON FUNCTION pgmq_c.list_topics() IS 'one row per topic';

--
-- Consumer groups
--
CREATE FUNCTION pgmq_c.create_group(topic_name text, group_name text,
									start_at text DEFAULT 'latest',
									visibility_timeout interval DEFAULT '30 seconds',
									filter jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_create_group'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.create_group(text, text, text, interval, jsonb) IS 'create a consumer group starting at ''latest'' or ''earliest''; with filter, the group sees only messages whose headers contain it';

CREATE FUNCTION pgmq_c.drop_group(topic_name text, group_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmqc_drop_group'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.drop_group(text, text) IS 'drop a consumer group; false when it did not exist';

CREATE FUNCTION pgmq_c.list_groups(topic_name text,
								   OUT group_name text,
								   OUT lag bigint,
								   OUT in_flight bigint,
								   OUT oldest_unacked_age_sec double precision,
								   OUT missed bigint,
								   OUT next_msg_id bigint,
								   OUT lag_is_exact boolean,
								   OUT visibility_timeout interval,
								   OUT filter jsonb)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgmqc_list_groups'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.list_groups(text) IS 'the groups of a topic: lag (messages not yet acknowledged), in_flight (leased), age of the oldest unacknowledged message, messages missed to retention';

CREATE FUNCTION pgmq_c.read_group(topic_name text, group_name text,
								  vt interval DEFAULT NULL,
								  qty integer DEFAULT 1,
								  wait interval DEFAULT '0')
RETURNS SETOF pgmq_c.message
AS 'MODULE_PATHNAME', 'pgmqc_read_group'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION pgmq_c.read_group(text, text, interval, integer, interval) IS 'lease the group''s next qty messages for vt (NULL: the group''s visibility_timeout); with wait, sleep until one is there';

CREATE PROCEDURE pgmq_c.receive_group(topic_name text, group_name text,
									  vt interval DEFAULT NULL,
									  qty integer DEFAULT 1,
									  wait interval DEFAULT '0',
									  INOUT messages pgmq_c.message[] DEFAULT NULL)
AS 'MODULE_PATHNAME', 'pgmqc_receive_group'
LANGUAGE C;
COMMENT ON PROCEDURE pgmq_c.receive_group(text, text, interval, integer, interval, pgmq_c.message[]) IS 'like read_group(), but commits before it sleeps';

CREATE FUNCTION pgmq_c.ack(topic_name text, group_name text, msg_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmqc_ack'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.ack(text, text, bigint) IS 'acknowledge a message for the group; false when the group does not hold it unacknowledged';

CREATE FUNCTION pgmq_c.ack(topic_name text, group_name text, msg_ids bigint[])
RETURNS SETOF bigint
AS 'MODULE_PATHNAME', 'pgmqc_ack_many'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION pgmq_c.ack(text, text, bigint[]) IS 'acknowledge messages for the group; returns the msg_ids acknowledged';

CREATE FUNCTION pgmq_c.nack(topic_name text, group_name text, msg_id bigint,
							delay interval DEFAULT '0')
RETURNS boolean
AS 'MODULE_PATHNAME', 'pgmqc_nack'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.nack(text, text, bigint, interval) IS 'give a message back to the group, to be delivered again after delay';

CREATE FUNCTION pgmq_c.set_vt(topic_name text, group_name text, msg_id bigint,
							  vt interval)
RETURNS SETOF pgmq_c.message
AS 'MODULE_PATHNAME', 'pgmqc_set_vt_group'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION pgmq_c.set_vt(text, text, bigint, interval) IS 'the group''s lease on a message ends vt from now (extends or shortens it)';

CREATE FUNCTION pgmq_c.seek(topic_name text, group_name text, to_msg_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgmqc_seek_id'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.seek(text, text, bigint) IS 'the group reads next from to_msg_id (replay or skip); unacknowledged leases are dropped; returns the new position';

CREATE FUNCTION pgmq_c.seek(topic_name text, group_name text, to_time timestamptz)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgmqc_seek_time'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.seek(text, text, timestamptz) IS 'the group reads next from the first message sent at or after to_time; returns the new position';

CREATE FUNCTION pgmq_c.maintain_topics()
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgmqc_maintain_topics'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.maintain_topics() IS 'what the background worker does for topics: create partitions ahead, rotate, drop partitions past retention; returns the number of partitions dropped';
