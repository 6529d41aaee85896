-- upgrade: install 0.1.0, put data in, update to 0.2.0 and 0.3.0 step by step
CREATE EXTENSION pgmq_c VERSION '0.1.0';
SELECT pgmq_c.create_queue('up');
SELECT pgmq_c.send('up', '{"before": "upgrade"}') AS before_id \gset
SELECT count(*) AS read_args FROM pg_proc
 WHERE proname = 'read' AND pronamespace = 'pgmq_c'::regnamespace AND pronargs = 3;

ALTER EXTENSION pgmq_c UPDATE TO '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
-- read now has wait; the old 3-argument form is gone, calls with 3 arguments still work
SELECT p.oid::regprocedure FROM pg_proc p
 WHERE p.pronamespace = 'pgmq_c'::regnamespace AND p.proname IN ('read', 'receive', 'enable_notify', 'disable_notify', 'status')
 ORDER BY p.oid::regprocedure::text COLLATE "C";
SELECT msg_id = :before_id AS same_message, message FROM pgmq_c.read('up', '1 hour', 1);
SELECT pgmq_c.send('up', '{"after": "upgrade"}') > :before_id AS id_grows;
SELECT message FROM pgmq_c.read('up', '1 hour', 1, '1 second');

-- 0.3.0: topics; existing queues stay queues
ALTER EXTENSION pgmq_c UPDATE TO '0.3.0';
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
SELECT queue_name, kind, retention, partition_size FROM pgmq_c.queues;
SELECT queue_name FROM pgmq_c.list_queues();
SELECT count(*) AS messages_kept FROM pgmq_c.q_1;
SELECT pgmq_c.create_topic('up_topic');
SELECT pgmq_c.create_group('up_topic', 'g', 'earliest');
SELECT pgmq_c.send('up_topic', '{"topic": "after upgrade"}') AS topic_msg \gset
SELECT msg_id = :topic_msg AS same, message FROM pgmq_c.read_group('up_topic', 'g');
SELECT queue_name, kind FROM pgmq_c.metrics_all() ORDER BY 1;
SET client_min_messages = warning;
DROP EXTENSION pgmq_c CASCADE;
RESET client_min_messages;
