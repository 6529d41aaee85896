-- queue_metrics: metrics() and metrics_all()
SELECT pgmq_c.create_queue('m');

-- an empty queue
SELECT queue_name, queue_length, visible_length, delayed_length, in_flight_length,
       archived_length, oldest_msg_age_sec, newest_msg_age_sec, total_messages,
       length_is_exact, scrape_time <= clock_timestamp() AS scraped
  FROM pgmq_c.metrics('m');

-- 5 visible, then 2 leased, 1 delayed, 1 archived
SELECT count(*) FROM pgmq_c.send_batch('m', array_fill('{"m": 1}'::jsonb, ARRAY[5]));
SELECT count(*) FROM pgmq_c.read('m', '1 hour', 2);
SELECT pgmq_c.send('m', '{"later": 1}', NULL, '1 hour') > 0 AS delayed;
SELECT pgmq_c.archive('m', msg_id) FROM pgmq_c.read('m', '1 hour', 1);
SELECT queue_length, visible_length, delayed_length, in_flight_length,
       archived_length, total_messages, length_is_exact
  FROM pgmq_c.metrics('m');
SELECT oldest_msg_age_sec >= newest_msg_age_sec AS oldest_is_older,
       newest_msg_age_sec >= 0 AS ages_positive
  FROM pgmq_c.metrics('m');

-- above pgmq_c.metrics_exact_limit, lengths are estimates
SET pgmq_c.metrics_exact_limit = 2;
SELECT length_is_exact, queue_length >= 0 AS estimated FROM pgmq_c.metrics('m');
RESET pgmq_c.metrics_exact_limit;

-- a large archive does not turn the queue's own lengths into estimates
SELECT pgmq_c.create_queue('m3');
SELECT count(*) FROM pgmq_c.send_batch('m3', array_fill('{"m": 3}'::jsonb, ARRAY[5]));
SELECT count(*) FROM pgmq_c.archive('m3', ARRAY(SELECT msg_id FROM pgmq_c.read('m3', '1 hour', 3)));
SELECT count(*) FROM pgmq_c.read('m3', '1 hour', 1);
SET pgmq_c.metrics_exact_limit = 2;
SELECT queue_length, visible_length, in_flight_length, length_is_exact,
       archived_length >= 2 AS archive_estimated
  FROM pgmq_c.metrics('m3');
RESET pgmq_c.metrics_exact_limit;
SELECT pgmq_c.drop_queue('m3');

-- a delayed message whose time has come counts as visible before anyone
-- read since (a read moves it and returns it), in metrics and metrics_all
SELECT pgmq_c.create_queue('m4');
SELECT pgmq_c.send('m4', '{"due": 1}', NULL, '1 hour') > 0 AS sent_due;
SELECT pgmq_c.send('m4', '{"due": 2}', NULL, '1 hour') > 0 AS sent_later;
SELECT format('pgmq_c.d_%s', queue_id) AS m4_delayed FROM pgmq_c.queues WHERE queue_name = 'm4' \gset
UPDATE :m4_delayed SET deliver_at = clock_timestamp() - interval '1 second'
 WHERE message = '{"due": 1}';
SELECT queue_length, visible_length, delayed_length, in_flight_length
  FROM pgmq_c.metrics('m4');
SELECT queue_length, visible_length, delayed_length FROM pgmq_c.metrics_all()
 WHERE queue_name = 'm4';
SELECT message FROM pgmq_c.read('m4', '1 hour', 10);
SELECT queue_length, visible_length, delayed_length, in_flight_length
  FROM pgmq_c.metrics('m4');
SELECT pgmq_c.drop_queue('m4');

-- metrics_all: one row per queue, by name
SELECT pgmq_c.create_queue('m2');
SELECT queue_name, queue_length FROM pgmq_c.metrics_all();
SELECT pgmq_c.drop_queue('m2');
SELECT pgmq_c.drop_queue('m');
