-- limits: message size per message in send_batch, every interval argument
-- far out of range, and who may change pgmq_c's settings.
-- pgmqc_test.try() (setup.sql) shows SQLSTATE and message.
SELECT pgmq_c.create_queue('lim');
SELECT pgmq_c.create_topic('lim_t');
SELECT pgmq_c.create_group('lim_t', 'g');
SELECT pgmq_c.send('lim', '{"n": 1}') AS m1 \gset
SELECT pgmq_c.send('lim_t', '{"n": 1}') AS t1 \gset

--
-- 1. message + headers against pgmq_c.max_message_size, per message, in
-- send and send_batch alike (54000)
--
SET pgmq_c.max_message_size = '1kB';
-- each of these is about 620 bytes: alone under the limit, together over it
SELECT pg_column_size(jsonb_build_object('m', repeat('x', 600))) AS one_part;
SELECT pgmqc_test.try(format('SELECT pgmq_c.send(%L, %L)', 'lim',
	jsonb_build_object('m', repeat('x', 600))));
SELECT pgmqc_test.try(format('SELECT pgmq_c.send(%L, %L, %L)', 'lim',
	'{}', jsonb_build_object('h', repeat('x', 600))));
SELECT pgmqc_test.try(format('SELECT pgmq_c.send(%L, %L, %L)', 'lim',
	jsonb_build_object('m', repeat('x', 600)), jsonb_build_object('h', repeat('x', 600))));
SELECT pgmqc_test.try(format('SELECT pgmq_c.send_batch(%L, ARRAY[%L, %L]::jsonb[], ARRAY[%L, %L]::jsonb[])', 'lim',
	jsonb_build_object('m', repeat('x', 600)), '{}',
	'{}', jsonb_build_object('h', repeat('x', 600))));
-- the second message's headers push it over
SELECT pgmqc_test.try(format('SELECT pgmq_c.send_batch(%L, ARRAY[%L, %L]::jsonb[], ARRAY[%L, %L]::jsonb[])', 'lim',
	'{}', jsonb_build_object('m', repeat('x', 600)),
	'{}', jsonb_build_object('h', repeat('x', 600))));
-- headers alone over the limit
SELECT pgmqc_test.try(format('SELECT pgmq_c.send_batch(%L, ARRAY[%L]::jsonb[], ARRAY[%L]::jsonb[])', 'lim',
	'{}', jsonb_build_object('h', repeat('x', 2000))));
-- the same on a topic
SELECT pgmqc_test.try(format('SELECT pgmq_c.send(%L, %L, %L)', 'lim_t',
	jsonb_build_object('m', repeat('x', 600)), jsonb_build_object('h', repeat('x', 600))));
SELECT pgmqc_test.try(format('SELECT pgmq_c.send_batch(%L, ARRAY[%L]::jsonb[], ARRAY[%L]::jsonb[])', 'lim_t',
	jsonb_build_object('m', repeat('x', 600)), jsonb_build_object('h', repeat('x', 600))));
RESET pgmq_c.max_message_size;

--
-- 2. intervals far out of range: 22023 naming the argument, never 22008
-- ("timestamp out of range") from adding them to the clock.  178000000
-- years is about the longest interval PostgreSQL has; a literal beyond it
-- fails in PostgreSQL's own input function, before pgmq_c is called:
--
SELECT pgmqc_test.try($$SELECT '1000000000 years'::interval$$);
-- queues: visibility_timeout, delay, vt, wait, throttle
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('lim_x', '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('lim_x', '-178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('lim_x', '2147483647 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('lim_x', '-2147483648 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('lim_x', '2562047788 hours')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('lim_x', '-2562047788 hours')$$);
-- fields of opposite signs are refused, however they add up (their length
-- depends on the date)
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('lim_x', '100000000 years -2147483648 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('lim_x', '-5 seconds')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('lim', '{}', delay => '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('lim', '{}', delay => '-178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('lim', '{}', delay => '-5 seconds')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('lim', ARRAY['{}']::jsonb[], delay => '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('lim', ARRAY['{}']::jsonb[], delay => '-178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('lim', '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('lim', '-178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('lim', '-5 seconds')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('lim', '1 second', 1, '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('lim', '1 second', 1, '-178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('lim', '1 second', 1, '-5 seconds')$$);
SELECT pgmqc_test.try($$CALL pgmq_c.receive('lim', '178000000 years')$$);
SELECT pgmqc_test.try($$CALL pgmq_c.receive('lim', '1 second', 1, '178000000 years')$$);
SELECT pgmqc_test.try($$CALL pgmq_c.receive('lim', '1 second', 1, '-178000000 years')$$);
SELECT pgmqc_test.try(format('SELECT pgmq_c.set_vt(%L, %s, %L)', 'lim', :m1, '178000000 years'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.set_vt(%L, %s, %L)', 'lim', :m1, '-178000000 years'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.set_vt(%L, %s, %L)', 'lim', :m1, '-5 seconds'));
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('lim', '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('lim', '-178000000 years')$$);
-- topics: retention, visibility_timeout, vt, wait, delay
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('lim_x', '-178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('lim_x', '-5 seconds')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('lim_t', 'x', visibility_timeout => '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('lim_t', 'x', visibility_timeout => '-178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('lim_t', 'g', '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('lim_t', 'g', '-178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('lim_t', 'g', '1 second', 1, '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('lim_t', 'g', '1 second', 1, '-178000000 years')$$);
SELECT pgmqc_test.try($$CALL pgmq_c.receive_group('lim_t', 'g', '-178000000 years')$$);
SELECT pgmqc_test.try($$CALL pgmq_c.receive_group('lim_t', 'g', '1 second', 1, '178000000 years')$$);
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %L, %s, %L)', 'lim_t', 'g', :t1, '178000000 years'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %L, %s, %L)', 'lim_t', 'g', :t1, '-178000000 years'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.set_vt(%L, %L, %s, %L)', 'lim_t', 'g', :t1, '178000000 years'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.set_vt(%L, %L, %s, %L)', 'lim_t', 'g', :t1, '-178000000 years'));
-- seek to the ends of the timestamp range
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('lim_t', 'g', timestamptz '294276-12-31 23:59:59+00')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('lim_t', 'g', timestamptz 'infinity')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('lim_t', 'g', timestamptz '-infinity')$$);
SELECT pgmq_c.seek('lim_t', 'g', timestamptz '4713-01-01 00:00:00+00 BC') = :t1 AS seek_to_first;
-- retention is at most 10 years (3653 days), as archive_retention: a huge
-- one is refused (22023) by that bound, not by a timestamp out of range;
-- the longest keeps every message, and maintenance does not trip over it
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('lim_x', '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('lim_x', '2147483647 days')$$);
SELECT pgmq_c.create_topic('lim_forever', '3653 days');
SELECT pgmq_c.send('lim_forever', '{}') > 0 AS sent;
SELECT pgmq_c.maintain_topics() >= 0 AS maintained;
SELECT queue_length FROM pgmq_c.metrics('lim_forever');
-- maintenance waits for locks with a short lock_timeout of its own; the
-- caller's comes back (the default, and a value the session set)
SHOW lock_timeout;
SET lock_timeout = '7s';
SELECT pgmq_c.maintain_topics() >= 0 AS maintained;
SHOW lock_timeout;
RESET lock_timeout;
SHOW lock_timeout;
SELECT pgmq_c.drop_topic('lim_forever');
-- nothing above changed the data
SELECT queue_length, visible_length, in_flight_length, delayed_length
  FROM pgmq_c.metrics('lim');
SELECT lag, in_flight FROM pgmq_c.list_groups('lim_t');
SELECT count(*) AS queues FROM pgmq_c.list_queues() WHERE queue_name LIKE 'lim%';

--
-- 3. settings: those that let one session hold resources others need are
-- for superusers (42501 for anyone else)
--
SELECT name, context FROM pg_settings WHERE name LIKE 'pgmq\_c.%' ORDER BY name;
CREATE ROLE regress_limits_user;
SET ROLE regress_limits_user;
SELECT pgmqc_test.try($$SET pgmq_c.max_wait = '1h'$$);
SELECT pgmqc_test.try($$SET pgmq_c.metrics_exact_limit = 1000000000$$);
SELECT pgmqc_test.try($$SET pgmq_c.wait_slice = '1ms'$$);
SELECT pgmqc_test.try($$SET pgmq_c.poll_interval = '1ms'$$);
SELECT pgmqc_test.try($$SET pgmq_c.max_message_size = '256MB'$$);
SELECT pgmqc_test.try($$SET LOCAL pgmq_c.max_wait = '1h'$$);
SELECT pgmqc_test.try($$SELECT set_config('pgmq_c.max_wait', '1h', false)$$);
SHOW pgmq_c.max_wait;
RESET ROLE;
-- a superuser may
SET pgmq_c.max_wait = '1min';
SHOW pgmq_c.max_wait;
RESET pgmq_c.max_wait;
DROP ROLE regress_limits_user;

SELECT pgmq_c.drop_queue('lim');
SELECT pgmq_c.drop_topic('lim_t');
