/* pgmq_c--0.4.0--0.5.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmq_c UPDATE TO '0.5.0'" to load this file. \quit

-- 0.5.0: the shapes of the tables pgmq_c makes for each queue, topic and
-- consumer group are defined here, once, as template tables.  A new queue's
-- tables are made with CREATE TABLE ... (LIKE pgmq_c.template_... INCLUDING
-- ALL) and the template's storage parameters, so that a later version
-- changes a shape here, in SQL (for the objects that exist already, with
-- ALTER TABLE in its own upgrade script), and never in C.
--
-- The templates hold no rows and are never read or written: they are
-- members of the extension, owned by the extension owner, with no privilege
-- for anyone else.  Nothing else changes in 0.5.0: no function, no
-- catalog column; some comments are brought up to date (at the end).

-- a queue's live messages, visible or leased: pgmq_c.q_<queue id>.  vt is
-- not indexed and fillfactor leaves room on each page, so that the lease
-- update of a read is a HOT update.  (msg_id's default, nextval of the
-- queue's own sequence, is set per queue.)
CREATE TABLE pgmq_c.template_queue_messages (
	msg_id		bigint PRIMARY KEY,
	read_ct		integer NOT NULL DEFAULT 0,
	enqueued_at	timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	vt			timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	message		jsonb NOT NULL,
	headers		jsonb
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05,
		autovacuum_vacuum_cost_delay = 0);

-- a queue's delayed messages, not yet due: pgmq_c.d_<queue id>
CREATE TABLE pgmq_c.template_queue_delayed (
	msg_id		bigint PRIMARY KEY,
	enqueued_at	timestamptz NOT NULL,
	deliver_at	timestamptz NOT NULL,
	message		jsonb NOT NULL,
	headers		jsonb
);
CREATE INDEX template_queue_delayed_deliver_at
	ON pgmq_c.template_queue_delayed (deliver_at);

-- a queue's archive: pgmq_c.a_<queue id>
CREATE TABLE pgmq_c.template_queue_archive (
	msg_id		bigint PRIMARY KEY,
	read_ct		integer NOT NULL,
	enqueued_at	timestamptz NOT NULL,
	archived_at	timestamptz NOT NULL,
	vt			timestamptz NOT NULL,
	message		jsonb NOT NULL,
	headers		jsonb
);

-- a topic's log: pgmq_c.t_<topic id>, partitioned by range of msg_id (its
-- partitions copy it).  (msg_id's default is set per topic.)
CREATE TABLE pgmq_c.template_topic_log (
	msg_id		bigint NOT NULL,
	enqueued_at	timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	deliver_at	timestamptz,
	message		jsonb NOT NULL,
	headers		jsonb,
	PRIMARY KEY (msg_id)
);
CREATE INDEX template_topic_log_enqueued_at
	ON pgmq_c.template_topic_log USING brin (enqueued_at);
CREATE INDEX template_topic_log_deliver_at
	ON pgmq_c.template_topic_log (deliver_at) WHERE deliver_at IS NOT NULL;

-- a topic's group cursors, one row per group: pgmq_c.c_<topic id>.  epoch
-- counts the group's seeks.
CREATE TABLE pgmq_c.template_topic_cursors (
	group_id	integer PRIMARY KEY,
	next_id		bigint NOT NULL,
	epoch		bigint NOT NULL DEFAULT 0,
	missed		bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

-- a consumer group's messages handed out and not acknowledged:
-- pgmq_c.g_<group id>.  As for a queue, leases are HOT updates.
CREATE TABLE pgmq_c.template_group_messages (
	msg_id		bigint PRIMARY KEY,
	read_ct		integer NOT NULL,
	vt			timestamptz NOT NULL
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05,
		autovacuum_vacuum_cost_delay = 0);

COMMENT ON TABLE pgmq_c.template_queue_messages IS 'pgmq_c: the shape of every queue''s message table q_<id> (holds no rows)';
COMMENT ON TABLE pgmq_c.template_queue_delayed IS 'pgmq_c: the shape of every queue''s delayed table d_<id> (holds no rows)';
COMMENT ON TABLE pgmq_c.template_queue_archive IS 'pgmq_c: the shape of every queue''s archive a_<id> (holds no rows)';
COMMENT ON TABLE pgmq_c.template_topic_log IS 'pgmq_c: the shape of every topic''s log t_<id> (holds no rows)';
COMMENT ON TABLE pgmq_c.template_topic_cursors IS 'pgmq_c: the shape of every topic''s cursor table c_<id> (holds no rows)';
COMMENT ON TABLE pgmq_c.template_group_messages IS 'pgmq_c: the shape of every consumer group''s table g_<id> (holds no rows)';

-- as for every table of pgmq_c: nobody but the extension owner
REVOKE ALL ON pgmq_c.template_queue_messages, pgmq_c.template_queue_delayed,
	pgmq_c.template_queue_archive, pgmq_c.template_topic_log,
	pgmq_c.template_topic_cursors, pgmq_c.template_group_messages
	FROM PUBLIC;

-- comments that had fallen behind the functions and types they describe
COMMENT ON FUNCTION pgmq_c.metrics_all() IS 'metrics() for every queue and topic the caller holds some privilege on';
COMMENT ON TYPE pgmq_c.message IS 'a message as returned by read, pop, set_vt, read_group and the group form of set_vt (receive and receive_group return arrays of it); (msg_id, read_ct) is the receipt of a queue''s message';
COMMENT ON TYPE pgmq_c.archived_message IS 'an archived message as returned by read_archive';
COMMENT ON TYPE pgmq_c.queue_metrics IS 'a queue''s or topic''s row of metrics() and metrics_all()';
