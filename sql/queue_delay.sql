-- queue_delay: delayed delivery
SELECT pgmq_c.create_queue('later');
SELECT 'pgmq_c.d_' || queue_id AS later_d FROM pgmq_c.list_queues() WHERE queue_name = 'later' \gset

-- a delayed message is invisible until its time, counted as delayed
SELECT pgmq_c.send('later', '{"when": "tomorrow"}', delay => '1 day') AS tomorrow \gset
SELECT count(*) AS visible FROM pgmq_c.read('later', '1 hour', 10);
SELECT queue_length, visible_length, delayed_length FROM pgmq_c.metrics('later');
SELECT deliver_at - enqueued_at BETWEEN interval '23 hours 59 minutes' AND interval '1 day 1 minute' AS due_in_a_day
  FROM :later_d WHERE msg_id = :tomorrow;

-- a message sent later without delay is read first
SELECT pgmq_c.send('later', '{"when": "soon"}', delay => '1 second') AS soon \gset
SELECT pgmq_c.send('later', '{"when": "now"}') AS now_id \gset
SELECT message FROM pgmq_c.read('later', '1 hour', 10);
-- once due, it is delivered, with read_ct 1
SELECT pg_sleep(1.1);
SELECT msg_id = :soon AS is_soon, read_ct, message FROM pgmq_c.read('later', '1 hour', 10);

-- set_vt on a delayed message moves its delivery time: '0' makes it due now
SELECT msg_id = :tomorrow AS is_tomorrow, read_ct FROM pgmq_c.set_vt('later', :tomorrow, '0');
SELECT msg_id = :tomorrow AS is_tomorrow, read_ct, message FROM pgmq_c.read('later', '1 hour', 10);

-- delayed messages can be deleted and archived before they are due
SELECT pgmq_c.send('later', '{"d": 1}', NULL, '1 hour') AS d1 \gset
SELECT pgmq_c.send('later', '{"d": 2}', NULL, '1 hour') AS d2 \gset
SELECT pgmq_c.send('later', '{"d": 3}', NULL, '1 hour') AS d3 \gset
SELECT pgmq_c.delete('later', :d1, 1) AS wrong_receipt;
SELECT pgmq_c.delete('later', :d1) AS deleted;
SELECT pgmq_c.archive('later', :d2, 0) AS archived;
SELECT read_ct, message FROM pgmq_c.read_archive('later');
SELECT count(*) AS deleted_by_array FROM pgmq_c.delete('later', ARRAY[:d3]);
SELECT delayed_length FROM pgmq_c.metrics('later');

-- send_batch with a delay
SELECT count(*) FROM pgmq_c.send_batch('later', ARRAY['{"b": 1}', '{"b": 2}']::jsonb[], delay => '1 second');
SELECT count(*) AS before_due FROM pgmq_c.read('later', '1 hour', 10);
SELECT pg_sleep(1.1);
SELECT message FROM pgmq_c.read('later', '1 hour', 10);
-- pop delivers due messages too
SELECT pgmq_c.send('later', '{"pop": 1}', NULL, '100 milliseconds') > 0 AS sent;
SELECT pg_sleep(0.2);
SELECT read_ct, message FROM pgmq_c.pop('later');

-- delays up to a year are accepted, computed on the calendar
SELECT pgmq_c.send('later', '{"far": 1}', NULL, '1 year') > 0 AS one_year;
SELECT pgmq_c.send('later', '{"far": 2}', NULL, '364 days 23 hours') > 0 AS almost_a_year;
SELECT pgmq_c.drop_queue('later');

-- each read looks at the head of the delayed table's deliver_at index
-- without a statement; without that index (a superuser dropped it) the
-- statement looks, and due messages still arrive
SELECT pgmq_c.create_queue('later2');
SELECT format('pgmq_c.d_%s', queue_id) AS later2_delayed
  FROM pgmq_c.list_queues() WHERE queue_name = 'later2' \gset
SELECT pgmq_c.send('later2', '{"n": 1}', NULL, '100 milliseconds') > 0 AS sent;
SELECT count(*) AS before_due FROM pgmq_c.read('later2', '1 hour', 10);
SELECT pg_sleep(0.2);
SELECT message FROM pgmq_c.read('later2', '1 hour', 10);
SELECT indexrelid::regclass AS later2_index
  FROM pg_index WHERE indrelid = :'later2_delayed'::regclass
   AND NOT indisprimary \gset
SELECT count(*) AS other_indexes FROM pg_index
 WHERE indrelid = :'later2_delayed'::regclass AND NOT indisprimary;
DROP INDEX :later2_index;
SELECT pgmq_c.send('later2', '{"n": 2}', NULL, '100 milliseconds') > 0 AS sent;
SELECT count(*) AS before_due FROM pgmq_c.read('later2', '1 hour', 10);
SELECT pg_sleep(0.2);
SELECT message FROM pgmq_c.read('later2', '1 hour', 10);
SELECT pgmq_c.drop_queue('later2');

-- a batch sent after a delay comes due at one time, its messages together:
-- a plain batch, a batch with ordering keys (heads in the delayed table,
-- the others pending), and a topic's batch
SELECT pgmq_c.create_queue('later3');
SELECT queue_id AS later3_id FROM pgmq_c.list_queues() WHERE queue_name = 'later3' \gset
SELECT count(*) AS sent FROM pgmq_c.send_batch('later3',
       ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}', '{"n": 5}']::jsonb[], delay => '1 hour');
SELECT count(*) AS sent FROM pgmq_c.send_batch('later3',
       ARRAY['{"k": 1}', '{"k": 2}', '{"k": 3}', '{"k": 4}']::jsonb[], delay => '1 hour',
       ordering_keys => ARRAY['a', 'b', 'a', 'b']);
SELECT 'delayed' AS tab, count(*) AS messages, count(DISTINCT deliver_at) AS due_times
  FROM pgmq_c.d_:later3_id WHERE message ? 'n'
UNION ALL
SELECT 'delayed and pending, keyed', count(*), count(DISTINCT deliver_at)
  FROM (SELECT deliver_at FROM pgmq_c.d_:later3_id WHERE message ? 'k'
        UNION ALL SELECT deliver_at FROM pgmq_c.p_:later3_id) s;
SELECT pgmq_c.drop_queue('later3');
SELECT pgmq_c.create_topic('later3_t');
SELECT count(*) AS sent FROM pgmq_c.send_batch('later3_t',
       ARRAY['{"t": 1}', '{"t": 2}', '{"t": 3}']::jsonb[], delay => '1 hour');
SELECT queue_id AS later3_t_id FROM pgmq_c.list_topics() l JOIN pgmq_c.queues q ON q.queue_name = l.topic_name
 WHERE l.topic_name = 'later3_t' \gset
SELECT count(*) AS messages, count(DISTINCT deliver_at) AS due_times FROM pgmq_c.t_:later3_t_id;
SELECT pgmq_c.drop_topic('later3_t');
