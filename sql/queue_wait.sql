-- queue_wait: read(..., wait), CALL receive(), notifications settings
SELECT pgmq_c.create_queue('waits');

-- a message already visible is returned at once, wait or not
SELECT pgmq_c.send('waits', '{"w": 1}') AS w1 \gset
SELECT msg_id = :w1 AS is_w1, read_ct FROM pgmq_c.read('waits', '1 hour', 1, '10 seconds');
-- nothing visible: returns no row once wait has passed
SELECT count(*) AS after_wait FROM pgmq_c.read('waits', '1 hour', 1, '50 milliseconds');
SELECT count(*) AS no_wait FROM pgmq_c.read('waits', '1 hour', 1, '0');
-- a delayed message due during the wait is delivered by it
SELECT pgmq_c.send('waits', '{"w": "soon"}', NULL, '300 milliseconds') > 0 AS sent;
SELECT read_ct, message FROM pgmq_c.read('waits', '1 hour', 1, '5 seconds');
-- a lease that expires during the wait too (the first read leases for 300 ms)
SELECT pgmq_c.send('waits', '{"w": "lease"}') AS wl \gset
SELECT read_ct FROM pgmq_c.read('waits', '300 milliseconds', 1);
SELECT msg_id = :wl AS is_wl, read_ct FROM pgmq_c.read('waits', '1 hour', 1, '5 seconds');

-- CALL receive returns the leased messages as an array, in msg_id order
SELECT count(*) FROM pgmq_c.send_batch('waits', ARRAY['{"r": 1}', '{"r": 2}', '{"r": 3}']::jsonb[]);
CALL pgmq_c.receive('waits', '1 hour', 2) \gset
SELECT m.read_ct, m.message, m.vt > clock_timestamp() + interval '59 minutes' AS leased
  FROM unnest(:'messages'::pgmq_c.message[]) m;
CALL pgmq_c.receive('waits', qty => 5, vt => '1 hour', wait => '1 second') \gset
SELECT m.read_ct, m.message FROM unnest(:'messages'::pgmq_c.message[]) m;
-- nothing within the wait: an empty array
CALL pgmq_c.receive('waits', '1 hour', 5, '50 milliseconds');
-- the claim is committed when the CALL returns
SELECT count(*) AS visible FROM pgmq_c.read('waits', '1 hour', 10);
-- inside a transaction block it cannot commit, and works as read() does
BEGIN;
SELECT pgmq_c.send('waits', '{"r": "in block"}') > 0 AS sent;
CALL pgmq_c.receive('waits', '1 hour', 5, '1 second') \gset
SELECT m.message FROM unnest(:'messages'::pgmq_c.message[]) m;
COMMIT;

-- bad input; pgmqc_test.try() (setup.sql) shows SQLSTATE and message
-- wait: NULL, negative, over pgmq_c.max_wait (22004, 22023)
SELECT pgmqc_test.try($$SELECT pgmq_c.read('waits', '1 hour', 1, NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('waits', '1 hour', 1, '-1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('waits', '1 hour', 1, '31 seconds')$$);
SET pgmq_c.max_wait = '100ms';
SELECT pgmqc_test.try($$SELECT pgmq_c.read('waits', '1 hour', 1, '1 second')$$);
SELECT pgmqc_test.try($$CALL pgmq_c.receive('waits', '1 hour', 1, '1 second')$$);
-- (pgmqc_test.try runs the CALL inside a function, where it cannot commit)
-- a top-level CALL commits before it sleeps and holds no snapshot:
-- pgmq_c.max_receive_wait (default 10 min) bounds its wait instead
SHOW pgmq_c.max_receive_wait;
SELECT pgmq_c.send('waits', '{"r": "long wait"}') AS rl \gset
CALL pgmq_c.receive('waits', '1 hour', 1, '5 minutes') \gset
SELECT m.msg_id = :rl AS is_rl, m.message FROM unnest(:'messages'::pgmq_c.message[]) m;
CALL pgmq_c.receive('waits', '1 hour', 1, '200 milliseconds');
-- the same for receive_group
SELECT pgmq_c.create_topic('waits_t');
SELECT pgmq_c.create_group('waits_t', 'g');
SELECT pgmq_c.send('waits_t', '{"t": "long wait"}') AS tl \gset
CALL pgmq_c.receive_group('waits_t', 'g', '1 hour', 1, '5 minutes') \gset
SELECT m.msg_id = :tl AS is_tl, m.message FROM unnest(:'messages'::pgmq_c.message[]) m;
CALL pgmq_c.receive_group('waits_t', 'g', '1 hour', 1, '200 milliseconds');
SELECT pgmqc_test.try($$CALL pgmq_c.receive_group('waits_t', 'g', '1 hour', 1, '1 second')$$);
-- inside a transaction block pgmq_c.max_wait still applies (22023, with the way out in the hint)
BEGIN;
CALL pgmq_c.receive('waits', '1 hour', 1, '1 second');
ROLLBACK;
RESET pgmq_c.max_wait;
-- a wait beyond max_receive_wait (22023); nothing is claimed
SELECT pgmq_c.send('waits', '{"r": "kept"}') AS rk \gset
CALL pgmq_c.receive('waits', '1 hour', 1, '11 minutes');
CALL pgmq_c.receive_group('waits_t', 'g', '1 hour', 1, '11 minutes');
SET pgmq_c.max_receive_wait = '100ms';
CALL pgmq_c.receive('waits', '1 hour', 1, '1 second');
RESET pgmq_c.max_receive_wait;
SELECT read_ct FROM pgmq_c.read('waits', '1 hour', 10) WHERE msg_id = :rk;
SELECT pgmq_c.drop_topic('waits_t');
SELECT pgmqc_test.try($$CALL pgmq_c.receive('waits', '1 hour', 0)$$);
SELECT pgmqc_test.try($$CALL pgmq_c.receive('nope', '1 hour', 1)$$);
SELECT pgmqc_test.try($$CALL pgmq_c.receive('waits', '1 hour', 1, NULL)$$);
SELECT pgmqc_test.try($$CALL pgmq_c.receive(NULL)$$);
-- waiting needs READ COMMITTED: a transaction snapshot never shows later commits (25001)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pgmqc_test.try($$SELECT pgmq_c.read('waits', '1 hour', 1, '1 second')$$);
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT pgmqc_test.try($$CALL pgmq_c.receive('waits', '1 hour', 1, '1 second')$$);
ROLLBACK;
-- without wait, REPEATABLE READ reads are fine
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM pgmq_c.read('waits', '1 hour', 1);
COMMIT;

-- notifications: settings and bad input
SELECT pgmq_c.enable_notify('waits');
SELECT pgmq_c.enable_notify('waits', '250 milliseconds');
SELECT notify_throttle FROM pgmq_c.queues WHERE queue_name = 'waits';
SELECT pgmq_c.disable_notify('waits');
SELECT notify_throttle IS NULL AS off FROM pgmq_c.queues WHERE queue_name = 'waits';
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('waits', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('waits', '-1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('waits', '1 day')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.disable_notify(NULL)$$);
-- a channel of the queue's own; enable_notify without one, and
-- disable_notify, go back to channel pgmq_c
SELECT pgmq_c.enable_notify('waits', '0', 'orders.events');
SELECT notify_throttle, notify_channel FROM pgmq_c.queues WHERE queue_name = 'waits';
SELECT pgmq_c.enable_notify('waits', channel => 'Mixed "quoted" channel');
SELECT notify_channel FROM pgmq_c.queues WHERE queue_name = 'waits';
SELECT pgmq_c.enable_notify('waits');
SELECT notify_channel IS NULL AS pgmq_c_channel FROM pgmq_c.queues WHERE queue_name = 'waits';
SELECT pgmq_c.enable_notify('waits', '0', 'orders.events');
SELECT pgmq_c.disable_notify('waits');
SELECT notify_throttle IS NULL AND notify_channel IS NULL AS off
  FROM pgmq_c.queues WHERE queue_name = 'waits';
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('waits', '0', '')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('waits', '0', repeat('c', 64))$$);
SELECT pgmq_c.enable_notify('waits', '0', repeat('c', 63));
SELECT octet_length(notify_channel) FROM pgmq_c.queues WHERE queue_name = 'waits';
-- list_notifications(): the queues with notifications on that the caller
-- may see
SELECT pgmq_c.enable_notify('waits', '2 seconds', 'orders.events');
SELECT * FROM pgmq_c.list_notifications() WHERE queue_name = 'waits';
CREATE ROLE regress_qw_nobody;
SET ROLE regress_qw_nobody;
SELECT count(*) AS seen FROM pgmq_c.list_notifications();
RESET ROLE;
DROP ROLE regress_qw_nobody;
SELECT pgmq_c.disable_notify('waits');
SELECT count(*) FROM pgmq_c.list_notifications() WHERE queue_name = 'waits';
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('bad name')$$);

-- A wait that starts where this session's last wait found nothing, with no
-- wake-up since, sleeps without looking into the tables when the slice of
-- that look covers the whole wait (idle consumers calling again and again
-- then cost no look each time).  What must still be found at once: its own
-- transaction's send (no commit has woken anyone yet) and a send committed
-- since (its commit woke the queue).
SET pgmq_c.wait_slice = '5s';
SELECT pgmq_c.create_queue('quiet');
SELECT count(*) AS nothing FROM pgmq_c.read('quiet', '1 hour', 1, '100 milliseconds');
BEGIN;
SELECT pgmq_c.send('quiet', '{"own": 1}') > 0 AS sent;
SELECT message FROM pgmq_c.read('quiet', '1 hour', 1, '1 second');
COMMIT;
SELECT count(*) AS nothing FROM pgmq_c.read('quiet', '1 hour', 1, '100 milliseconds');
SELECT pgmq_c.send('quiet', '{"committed": 1}') > 0 AS sent;
SELECT message FROM pgmq_c.read('quiet', '1 hour', 1, '1 second');
SELECT pgmq_c.send('quiet', '{"savepoint": 1}') > 0 AS sent;
-- a read rolled back to a savepoint makes its message available again: the
-- look made while it was leased does not count any more
BEGIN;
SAVEPOINT before_read;
SELECT message FROM pgmq_c.read('quiet', '1 hour', 1);
SELECT count(*) AS nothing FROM pgmq_c.read('quiet', '1 hour', 1, '100 milliseconds');
ROLLBACK TO SAVEPOINT before_read;
SELECT message FROM pgmq_c.read('quiet', '1 hour', 1, '1 second');
COMMIT;
-- a row written into the queue's table directly wakes nobody: a wait within
-- the slice of the last look does not see it; the first wait after it does
SELECT count(*) AS nothing FROM pgmq_c.read('quiet', '1 hour', 1, '100 milliseconds');
DO $$
DECLARE
  id int := (SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'quiet');
BEGIN
  EXECUTE format('INSERT INTO pgmq_c.q_%s (msg_id, read_ct, enqueued_at, vt, message)
                  VALUES (nextval(%L), 0, clock_timestamp(), clock_timestamp(), %L)',
                 id, format('pgmq_c.q_%s_seq', id), '{"direct": 1}');
END $$;
SELECT count(*) AS not_yet FROM pgmq_c.read('quiet', '1 hour', 1, '500 milliseconds');
SELECT pg_sleep(5);
SELECT message FROM pgmq_c.read('quiet', '1 hour', 1, '1 second');
RESET pgmq_c.wait_slice;
SELECT pgmq_c.drop_queue('quiet');

-- The same for a consumer group's waits (read_group, receive_group)
SET pgmq_c.wait_slice = '5s';
SELECT pgmq_c.create_topic('quiet_t');
SELECT pgmq_c.create_group('quiet_t', 'quiet_g', 'earliest');
SELECT format('pgmq_c.g_%s', group_id) AS quiet_group
  FROM pgmq_c.groups WHERE group_name = 'quiet_g' \gset
SELECT pgmq_c.send('quiet_t', '{"g": 1}') AS g1 \gset
SELECT msg_id = :g1 AS is_g1 FROM pgmq_c.read_group('quiet_t', 'quiet_g', '1 hour', 1);
SELECT count(*) AS nothing FROM pgmq_c.read_group('quiet_t', 'quiet_g', '1 hour', 1, '100 milliseconds');
-- (a group reads only what the topic's senders committed)
SELECT pgmq_c.send('quiet_t', '{"committed": 1}') > 0 AS sent;
SELECT message FROM pgmq_c.read_group('quiet_t', 'quiet_g', '1 hour', 1, '1 second');
CALL pgmq_c.receive_group('quiet_t', 'quiet_g', '1 hour', 1, '100 milliseconds');
SELECT pgmq_c.send('quiet_t', '{"committed": 2}') > 0 AS sent;
CALL pgmq_c.receive_group('quiet_t', 'quiet_g', '1 hour', 1, '1 second') \gset
SELECT m.message FROM unnest(:'messages'::pgmq_c.message[]) m;
-- a message given back by a nack is found at once
SELECT count(*) AS nothing FROM pgmq_c.read_group('quiet_t', 'quiet_g', '1 hour', 1, '100 milliseconds');
SELECT pgmq_c.nack('quiet_t', 'quiet_g', :g1) AS nacked;
SELECT msg_id = :g1 AS is_g1, read_ct FROM pgmq_c.read_group('quiet_t', 'quiet_g', '1 hour', 1, '1 second');
-- a lease ended behind the API (the group's table changed directly) wakes
-- nobody: a wait within the slice of the last look does not see it; the
-- first wait after the slice does
SELECT count(*) AS nothing FROM pgmq_c.read_group('quiet_t', 'quiet_g', '1 hour', 1, '100 milliseconds');
UPDATE :quiet_group SET vt = clock_timestamp() WHERE msg_id = :g1;
SELECT count(*) AS not_yet FROM pgmq_c.read_group('quiet_t', 'quiet_g', '1 hour', 1, '500 milliseconds');
SELECT pg_sleep(5);
SELECT msg_id = :g1 AS is_g1, read_ct FROM pgmq_c.read_group('quiet_t', 'quiet_g', '1 hour', 1, '1 second');
RESET pgmq_c.wait_slice;
SELECT pgmq_c.drop_topic('quiet_t');

-- status: this cluster preloads pgmq_c; nobody is waiting now
SELECT preloaded, wait_slots > 0 AS has_slots, sleeping_readers FROM pgmq_c.status();
SELECT pgmq_c.drop_queue('waits');
