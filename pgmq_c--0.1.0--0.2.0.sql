/* pgmq_c--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmq_c UPDATE TO '0.2.0'" to load this file. \quit

-- 0.2.0: waiting inside the server, the background worker, notifications.

-- NULL: no notifications; otherwise at most one NOTIFY per this interval
ALTER TABLE pgmq_c.queues ADD COLUMN notify_throttle interval;

-- read() gains wait
DROP FUNCTION pgmq_c.read(text, interval, integer);
CREATE FUNCTION pgmq_c.read(queue_name text, vt interval DEFAULT NULL,
							qty integer DEFAULT 1, wait interval DEFAULT '0')
RETURNS SETOF pgmq_c.message
AS 'MODULE_PATHNAME', 'pgmqc_read'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION pgmq_c.read(text, interval, integer, interval) IS 'lease up to qty visible messages, oldest first, for vt; with wait, sleep until one is visible or wait has passed (holds the snapshot meanwhile: prefer CALL pgmq_c.receive)';

-- the waiting form that holds no snapshot while it sleeps.  No SET clause
-- and no SECURITY DEFINER: either would make the call atomic, and an atomic
-- call cannot commit before it sleeps.
CREATE PROCEDURE pgmq_c.receive(queue_name text, vt interval DEFAULT NULL,
								qty integer DEFAULT 1, wait interval DEFAULT '0',
								INOUT messages pgmq_c.message[] DEFAULT NULL)
AS 'MODULE_PATHNAME', 'pgmqc_receive'
LANGUAGE C;
COMMENT ON PROCEDURE pgmq_c.receive(text, interval, integer, interval, pgmq_c.message[]) IS 'like read(), but commits before it sleeps: waits holding no snapshot; returns the leased messages as an array';

CREATE FUNCTION pgmq_c.enable_notify(queue_name text, throttle interval DEFAULT '0')
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_enable_notify'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.enable_notify(text, interval) IS 'NOTIFY pgmq_c, ''<queue_name>'' (from the background worker) when messages become visible, at most once per throttle';

CREATE FUNCTION pgmq_c.disable_notify(queue_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_disable_notify'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.disable_notify(text) IS 'stop notifications for the queue';

CREATE FUNCTION pgmq_c.status(OUT preloaded boolean, OUT worker_pid integer,
							  OUT wait_slots integer, OUT sleeping_readers bigint,
							  OUT wakeups bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'pgmqc_status'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION pgmq_c.status() IS 'whether pgmq_c is preloaded, this database''s worker, how many readers are waiting, and how many sleeps (cluster-wide, since start) a wake-up ended';
