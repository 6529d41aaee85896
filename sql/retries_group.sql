-- retries_group: the retry policy of consumer groups (create_group's and
-- alter_group's settings, list_groups), receipts for ack, set_vt and nack,
-- dead letters of one group only, redrive back to the group, and bad
-- input.  The database's worker moves dead messages too: each check below
-- holds whether a read or the worker moved them.

SELECT pgmq_c.create_queue('rg_dlq');
SELECT pgmq_c.create_queue('rg_dlq2');

--
-- Settings (topic rg_set)
--
SELECT pgmq_c.create_topic('rg_set');
\set groups 'SELECT group_name, visibility_timeout, filter, max_deliveries, dead_letter_queue, retry_backoff, retry_backoff_max FROM pgmq_c.list_groups(\'rg_set\') ORDER BY group_name'
-- create_group takes them as named arguments
SELECT pgmq_c.create_group('rg_set', 'policy', 'earliest', '1 minute', '{"type": "a"}',
       max_deliveries => 5, dead_letter_queue => 'rg_dlq', retry_backoff => '1 second',
       retry_backoff_max => '1 minute');
SELECT pgmq_c.create_group('rg_set', 'plain');
:groups;
-- the columns of list_groups(), in order
SELECT string_agg(a.name || ' ' || format_type(a.typ, NULL), ', ' ORDER BY a.n) AS list_groups_columns
  FROM pg_proc p,
       unnest(p.proallargtypes, p.proargnames, p.proargmodes) WITH ORDINALITY AS a(typ, name, mode, n)
 WHERE p.oid = 'pgmq_c.list_groups(text)'::regprocedure AND a.mode = 'o';
-- a group has no archive: max_deliveries needs a dead-letter queue (22023)
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('rg_set', 'nodlq', max_deliveries => 3)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_set', 'plain', max_deliveries => 3)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_set', 'policy', dead_letter_queue => '')$$);
:groups;
-- alter_group: NULL (or no argument) leaves a setting as it is
SELECT pgmq_c.alter_group('rg_set', 'plain');
SELECT pgmq_c.alter_group('rg_set', 'policy', NULL, NULL, NULL, NULL, NULL);
:groups;
-- each setting changed
SELECT pgmq_c.alter_group('rg_set', 'plain', visibility_timeout => '2 minutes');
SELECT pgmq_c.alter_group('rg_set', 'plain', dead_letter_queue => 'rg_dlq2');
SELECT pgmq_c.alter_group('rg_set', 'plain', max_deliveries => 4);
SELECT pgmq_c.alter_group('rg_set', 'plain', retry_backoff => '2 seconds');
SELECT pgmq_c.alter_group('rg_set', 'plain', retry_backoff_max => '1 hour');
SELECT pgmq_c.alter_group('rg_set', 'policy', max_deliveries => 7, dead_letter_queue => 'rg_dlq2');
:groups;
-- read_group() without a vt leases for the group's new visibility_timeout
SELECT pgmq_c.send('rg_set', '{"vt": "default"}') AS v1 \gset
SELECT msg_id = :v1 AS is_v1,
       vt > clock_timestamp() + interval '1 minute 50 seconds' AND
       vt <= clock_timestamp() + interval '2 minutes' AS leased_2_minutes
  FROM pgmq_c.read_group('rg_set', 'plain');
SELECT pgmq_c.ack('rg_set', 'plain', :v1);
-- 0 (or '' for the dead-letter queue) clears a setting; max_deliveries
-- before its dead-letter queue, or both at once
SELECT pgmq_c.alter_group('rg_set', 'plain', max_deliveries => 0);
SELECT pgmq_c.alter_group('rg_set', 'plain', dead_letter_queue => '');
SELECT pgmq_c.alter_group('rg_set', 'plain', retry_backoff => '0', retry_backoff_max => '0');
SELECT pgmq_c.alter_group('rg_set', 'policy', max_deliveries => 0, dead_letter_queue => '');
:groups;
-- retry_backoff may not exceed retry_backoff_max
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_set', 'policy', retry_backoff => '2 minutes')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_set', 'plain', retry_backoff => '2 minutes', retry_backoff_max => '1 minute')$$);
:groups;
-- a queue that is a group's dead-letter queue cannot be dropped
SELECT pgmq_c.alter_group('rg_set', 'plain', max_deliveries => 1, dead_letter_queue => 'rg_dlq2');
SELECT pgmq_c.drop_queue('rg_dlq2');
SELECT pgmq_c.drop_group('rg_set', 'plain');
SELECT pgmq_c.drop_queue('rg_dlq2');
SELECT pgmq_c.create_queue('rg_dlq2');
SELECT pgmq_c.drop_topic('rg_set');

--
-- Receipts (topic rg_rc, group g without a policy): ack, set_vt and nack
-- with read_ct act only on that delivery
--
SELECT pgmq_c.create_topic('rg_rc');
SELECT pgmq_c.create_group('rg_rc', 'g');
SELECT format('pgmq_c.g_%s', g.group_id) AS rc_g
  FROM pgmq_c.groups g JOIN pgmq_c.list_topics() t ON t.topic_id = g.topic_id
 WHERE t.topic_name = 'rg_rc' AND g.group_name = 'g' \gset
SELECT array_agg(id) AS ids FROM pgmq_c.send_batch('rg_rc',
       ARRAY['{"r": 1}', '{"r": 2}', '{"r": 3}', '{"r": 4}']::jsonb[]) id \gset
SELECT (:'ids'::bigint[])[1] AS r1, (:'ids'::bigint[])[2] AS r2,
       (:'ids'::bigint[])[3] AS r3, (:'ids'::bigint[])[4] AS r4 \gset
-- r1 delivered twice: the first receipt is stale
SELECT msg_id - :r1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_rc', 'g', '0', 1);
SELECT msg_id - :r1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_rc', 'g', '1 hour', 1);
SELECT pgmq_c.ack('rg_rc', 'g', :r1, 1) AS stale_ack;
SELECT count(*) AS stale_set_vt FROM pgmq_c.set_vt('rg_rc', 'g', :r1, '0', 1);
SELECT pgmq_c.nack('rg_rc', 'g', :r1, NULL, 1, 'stale') AS stale_nack;
SELECT read_ct, vt > clock_timestamp() + interval '50 minutes' AS still_leased, reason
  FROM :rc_g WHERE msg_id = :r1;
-- the current receipt: set_vt extends the lease, then ack
SELECT msg_id - :r1 AS rel_id, read_ct, message,
       vt > clock_timestamp() + interval '1 hour 50 minutes' AS extended
  FROM pgmq_c.set_vt('rg_rc', 'g', :r1, '2 hours', 2);
SELECT pgmq_c.ack('rg_rc', 'g', :r1, 2) AS current_ack;
SELECT pgmq_c.ack('rg_rc', 'g', :r1, 2) AS acked_already;
-- nack with the current receipt and a reason: back at once (no policy)
SELECT msg_id - :r1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_rc', 'g', '1 hour', 1);
SELECT pgmq_c.nack('rg_rc', 'g', :r2, NULL, 1, 'try again');
SELECT read_ct, vt <= clock_timestamp() AS visible, reason FROM :rc_g WHERE msg_id = :r2;
-- nack with a delay: not before then; without a reason, it keeps the one
-- the last nack gave (before, it cleared it)
SELECT msg_id - :r1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_rc', 'g', '1 hour', 1);
SELECT pgmq_c.nack('rg_rc', 'g', :r2, '1 hour', 2);
SELECT read_ct, vt > clock_timestamp() + interval '50 minutes' AS in_an_hour, reason
  FROM :rc_g WHERE msg_id = :r2;
-- the array form: stale receipts are left out
SELECT msg_id - :r1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_rc', 'g', '0', 10);
SELECT msg_id - :r1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_rc', 'g', '1 hour', 10);
SELECT array_agg(x - :r1 ORDER BY x) AS acked
  FROM pgmq_c.ack('rg_rc', 'g', ARRAY[:r3, :r4, :r2], ARRAY[1, 2, 2]) x;
SELECT msg_id - :r1 AS rel_id, read_ct FROM :rc_g ORDER BY msg_id;
SELECT array_agg(x - :r1 ORDER BY x) AS acked
  FROM pgmq_c.ack('rg_rc', 'g', ARRAY[:r3, :r2], ARRAY[2, 2]) x;
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('rg_rc');

--
-- Backoff in a group: an expired lease or a nack without a delay waits
-- retry_backoff * 2^(read_ct - 1), +-10 %
--
SELECT pgmq_c.create_group('rg_rc', 'slow', retry_backoff => '300 ms',
       retry_backoff_max => '1 second');
SELECT format('pgmq_c.g_%s', g.group_id) AS slow_g
  FROM pgmq_c.groups g JOIN pgmq_c.list_topics() t ON t.topic_id = g.topic_id
 WHERE t.topic_name = 'rg_rc' AND g.group_name = 'slow' \gset
SELECT pgmq_c.send('rg_rc', '{"s": 1}') AS s1 \gset
SELECT read_ct FROM pgmq_c.read_group('rg_rc', 'slow', '1 hour', 1);
SELECT clock_timestamp() AS t0 \gset
SELECT pgmq_c.nack('rg_rc', 'slow', :s1, NULL, 1);
SELECT clock_timestamp() AS t1 \gset
SELECT count(*) AS visible_at_once FROM pgmq_c.read_group('rg_rc', 'slow', '1 hour', 1);
SELECT read_ct, vt >= :'t0'::timestamptz + interval '270 ms' AS not_before,
       vt <= :'t1'::timestamptz + interval '330 ms' AS not_after
  FROM :slow_g WHERE msg_id = :s1;
SELECT pg_sleep(0.6);
SELECT read_ct FROM pgmq_c.read_group('rg_rc', 'slow', '0', 1);
-- the lease of read_ct 2 expired: 600 ms after it
SELECT count(*) AS visible_at_once FROM pgmq_c.read_group('rg_rc', 'slow', '1 hour', 1);
-- a reader waiting inside the database gets it when the backoff ends, not
-- before
SELECT vt AS retry_at FROM :slow_g WHERE msg_id = :s1 \gset
SELECT read_ct, clock_timestamp() >= :'retry_at'::timestamptz AS not_before_the_backoff
  FROM pgmq_c.read_group('rg_rc', 'slow', '1 hour', 1, wait => '20 seconds');
-- the other group of the topic is not affected: it has the message at once
SELECT msg_id = :s1 AS is_s1, read_ct FROM pgmq_c.read_group('rg_rc', 'g', '1 hour', 1);
SELECT pgmq_c.drop_topic('rg_rc');

--
-- Dead letters of one group (topic rg_dl): group fails has max_deliveries
-- 2 and dead-letter queue rg_dlq; group works has no policy
--
SELECT pgmq_c.create_topic('rg_dl');
SELECT pgmq_c.create_group('rg_dl', 'fails', max_deliveries => 2, dead_letter_queue => 'rg_dlq');
SELECT pgmq_c.create_group('rg_dl', 'works');
SELECT format('pgmq_c.q_%s', queue_id) AS dlq_t FROM pgmq_c.list_queues() WHERE queue_name = 'rg_dlq' \gset
SELECT pgmq_c.send('rg_dl', '{"x": 1}', '{"k": "x1"}') AS x1 \gset
SELECT pgmq_c.send('rg_dl', '{"x": 2}') AS x2 \gset
SELECT pgmq_c.send('rg_dl', '{"x": 3}', '{"k": "x3"}') AS x3 \gset
-- x1: read twice by fails, its second lease expires: dead for fails
SELECT msg_id - :x1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_dl', 'fails', '0', 1);
SELECT msg_id - :x1 AS rel_id, read_ct, enqueued_at AS x1_enqueued_at
  FROM pgmq_c.read_group('rg_dl', 'fails', '0', 1) \gset
SELECT :rel_id AS rel_id, :read_ct AS read_ct;
SELECT msg_id - :x1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_dl', 'fails', '1 hour', 10);
-- in the dead-letter queue, with the topic and the group it came from
SELECT message, headers - 'pgmq_c_dead_letter' AS own_headers,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(headers->'pgmq_c_dead_letter') k) AS dead_letter_keys
  FROM :dlq_t;
SELECT headers->'pgmq_c_dead_letter'->>'topic' AS topic,
       headers->'pgmq_c_dead_letter'->>'group' AS "group",
       (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint = :x1 AS is_x1,
       headers->'pgmq_c_dead_letter'->'read_ct' AS dead_read_ct,
       headers->'pgmq_c_dead_letter'->'reason' AS reason,
       (headers->'pgmq_c_dead_letter'->>'enqueued_at')::timestamptz = :'x1_enqueued_at' AS enqueued_at_kept,
       (headers->'pgmq_c_dead_letter'->>'dead_lettered_at')::timestamptz
         BETWEEN :'x1_enqueued_at' AND clock_timestamp() AS dead_lettered_at_ok
  FROM :dlq_t;
-- the other group still gets all three
SELECT msg_id - :x1 AS rel_id, read_ct, message FROM pgmq_c.read_group('rg_dl', 'works', '1 hour', 10);
SELECT array_agg(x - :x1 ORDER BY x) AS acked FROM pgmq_c.ack('rg_dl', 'works', ARRAY[:x1, :x2, :x3]) x;
-- x2: nacked by fails at its last delivery: dead-lettered at once
SELECT pgmq_c.nack('rg_dl', 'fails', :x2, NULL, 1, 'first try');
SELECT msg_id - :x1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_dl', 'fails', '1 hour', 1);
SELECT pgmq_c.nack('rg_dl', 'fails', :x2, NULL, 2, 'poison');
-- x3: nacked with a reason, then its last lease expires
SELECT pgmq_c.nack('rg_dl', 'fails', :x3, '0', 1, 'too slow');
SELECT msg_id - :x1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_dl', 'fails', '0', 1);
SELECT count(*) AS delivered FROM pgmq_c.read_group('rg_dl', 'fails', '1 hour', 10);
SELECT message, headers - 'pgmq_c_dead_letter' AS own_headers,
       headers->'pgmq_c_dead_letter'->>'topic' AS topic,
       headers->'pgmq_c_dead_letter'->>'group' AS "group",
       (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint - :x1 AS rel_id,
       headers->'pgmq_c_dead_letter'->'read_ct' AS dead_read_ct,
       headers->'pgmq_c_dead_letter'->'reason' AS reason
  FROM :dlq_t ORDER BY msg_id;
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('rg_dl');

--
-- Redrive back to the group: that group only reads the message again,
-- read_ct from 1; the topic still holds it
--
SELECT pgmq_c.redrive('rg_dlq', max_messages => 1);
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('rg_dl');
SELECT msg_id - :x1 AS rel_id, read_ct, message, headers FROM pgmq_c.read_group('rg_dl', 'fails', '1 hour', 10);
SELECT count(*) AS for_works FROM pgmq_c.read_group('rg_dl', 'works', '1 hour', 10);
SELECT pgmq_c.redrive('rg_dlq');
SELECT msg_id - :x1 AS rel_id, read_ct, message, headers FROM pgmq_c.read_group('rg_dl', 'fails', '1 hour', 10);
SELECT count(*) AS for_works FROM pgmq_c.read_group('rg_dl', 'works', '1 hour', 10);
-- twice: nothing more moves
SELECT pgmq_c.redrive('rg_dlq');
SELECT count(*) AS left_in_dlq FROM :dlq_t;
-- read again up to max_deliveries, dead-lettered again (a new dead letter)
SELECT pgmq_c.nack('rg_dl', 'fails', :x1, NULL, 1);
SELECT msg_id - :x1 AS rel_id, read_ct FROM pgmq_c.read_group('rg_dl', 'fails', '1 hour', 1);
SELECT pgmq_c.nack('rg_dl', 'fails', :x1, NULL, 2, 'again');
SELECT message, headers->'pgmq_c_dead_letter'->>'group' AS "group",
       headers->'pgmq_c_dead_letter'->'reason' AS reason FROM :dlq_t;
SELECT array_agg(x - :x1 ORDER BY x) AS acked FROM pgmq_c.ack('rg_dl', 'fails', ARRAY[:x2, :x3], ARRAY[1, 1]) x;
-- the dead letter of a group dropped since stays (a notice counts it) ...
SELECT pgmq_c.drop_group('rg_dl', 'fails');
SELECT pgmq_c.redrive('rg_dlq');
-- ... and goes to a queue named with to_queue, headers as they are
SELECT pgmq_c.redrive('rg_dlq', 'rg_dlq2');
SELECT message, headers->'pgmq_c_dead_letter'->>'topic' AS topic,
       headers->'pgmq_c_dead_letter'->>'group' AS "group"
  FROM pgmq_c.read('rg_dlq2', '0', 10);
SELECT pgmq_c.purge_queue('rg_dlq2');

-- a dead message nobody reads: the worker moves it (waited for up to 30 s)
SELECT pgmq_c.create_group('rg_dl', 'idle', max_deliveries => 1, dead_letter_queue => 'rg_dlq');
SELECT pgmq_c.send('rg_dl', '{"x": 5}') AS x5 \gset
SELECT msg_id = :x5 AS is_x5, read_ct FROM pgmq_c.read_group('rg_dl', 'idle', '0', 1);
SELECT set_config('pgmqc_test.dlq_t', :'dlq_t', false) IS NOT NULL AS set;
DO $$
DECLARE
	n bigint;
BEGIN
	FOR i IN 1..300 LOOP
		EXECUTE format('SELECT count(*) FROM %s', current_setting('pgmqc_test.dlq_t')) INTO n;
		EXIT WHEN n > 0;
		PERFORM pg_sleep(0.1);
	END LOOP;
END $$;
SELECT message, headers->'pgmq_c_dead_letter'->>'group' AS "group",
       (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint = :x5 AS is_x5,
       headers->'pgmq_c_dead_letter'->'read_ct' AS dead_read_ct
  FROM :dlq_t;
SELECT count(*) AS for_idle FROM pgmq_c.read_group('rg_dl', 'idle', '1 hour', 10);
SELECT msg_id = :x5 AS is_x5, read_ct FROM pgmq_c.read_group('rg_dl', 'works', '1 hour', 10);
SELECT pgmq_c.drop_group('rg_dl', 'idle');
SELECT pgmq_c.purge_queue('rg_dlq');

-- a group's dead letter whose message the topic dropped by retention stays
SELECT pgmq_c.create_topic('rg_ret', '1 second', 1000);
SELECT pgmq_c.create_group('rg_ret', 'g', max_deliveries => 1, dead_letter_queue => 'rg_dlq');
SELECT format('pgmq_c.t_%s', topic_id) AS ret_log FROM pgmq_c.list_topics() WHERE topic_name = 'rg_ret' \gset
SELECT pgmq_c.send('rg_ret', '{"old": 1}') AS o1 \gset
SELECT read_ct FROM pgmq_c.read_group('rg_ret', 'g', '1 hour', 1);
SELECT pgmq_c.nack('rg_ret', 'g', :o1, reason => 'expired');
-- retention drops the message's partition once the topic has moved on to
-- the next one (a message sent there; waited for up to 30 s)
SELECT set_config('pgmqc_test.ret_log', :'ret_log', false) IS NOT NULL AS set,
       set_config('pgmqc_test.o1', :'o1', false) IS NOT NULL AS set;
DO $$
DECLARE
	n bigint;
BEGIN
	FOR i IN 1..150 LOOP
		PERFORM pgmq_c.maintain_topics();
		EXECUTE format('SELECT count(*) FROM %s WHERE msg_id = $1', current_setting('pgmqc_test.ret_log'))
			INTO n USING current_setting('pgmqc_test.o1')::bigint;
		EXIT WHEN n = 0;
		PERFORM pgmq_c.send('rg_ret', '{"filler": true}');
		COMMIT;
		PERFORM pg_sleep(0.2);
	END LOOP;
END $$;
SELECT count(*) AS still_in_topic FROM :ret_log WHERE msg_id = :o1;
SELECT pgmq_c.redrive('rg_dlq');
SELECT message, headers->'pgmq_c_dead_letter'->>'topic' AS topic FROM :dlq_t;
SELECT pgmq_c.purge_queue('rg_dlq');
SELECT pgmq_c.drop_topic('rg_ret');

--
-- Bad input: an error with a fitting SQLSTATE, and nothing changed
--
SELECT pgmq_c.create_group('rg_dl', 'bad', 'latest', '1 minute', NULL, 3, 'rg_dlq', '1 second', '1 minute');
SELECT pgmq_c.send('rg_dl', '{"b": 1}') AS b1 \gset
SELECT msg_id = :b1 AS is_b1, read_ct FROM pgmq_c.read_group('rg_dl', 'bad', '1 hour', 10);
SELECT format('pgmq_c.g_%s', g.group_id) AS bad_g
  FROM pgmq_c.groups g JOIN pgmq_c.list_topics() t ON t.topic_id = g.topic_id
 WHERE t.topic_name = 'rg_dl' AND g.group_name = 'bad' \gset
\set state 'SELECT msg_id - :b1 AS rel_id, read_ct, vt > clock_timestamp() + interval \'50 minutes\' AS leased, reason FROM ' :bad_g ' ORDER BY msg_id'
:state;
-- alter_group: names
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group(NULL, 'bad', max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', NULL, max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_nope', 'bad', max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'nope', max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dlq', 'bad', max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg dl', 'bad', max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'b.d', max_deliveries => 1)$$);
-- the dead-letter queue
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', dead_letter_queue => 'rg_nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', dead_letter_queue => 'rg_dl')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', dead_letter_queue => 'rg dlq')$$);
-- counts and intervals
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', max_deliveries => -1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', max_deliveries => 1001)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', visibility_timeout => '0')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', visibility_timeout => '13 hours')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', retry_backoff => '-1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', retry_backoff => '7 days 1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', retry_backoff_max => '-1 ms')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', retry_backoff_max => '8 days')$$);
-- one bad setting among good ones: none is applied
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', '1 hour', 5, 'rg_dlq2', '2 seconds', '-1 day')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('rg_dl', 'bad', '1 hour', 5, 'rg_nope', '2 seconds', '1 day')$$);
-- create_group with bad settings creates nothing
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('rg_dl', 'bad2', max_deliveries => 2)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('rg_dl', 'bad2', max_deliveries => -2, dead_letter_queue => 'rg_dlq')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('rg_dl', 'bad2', dead_letter_queue => 'rg_nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('rg_dl', 'bad2', dead_letter_queue => 'rg_dl')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('rg_dl', 'bad2', retry_backoff => '8 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('rg_dl', 'bad2', retry_backoff => '1 minute', retry_backoff_max => '1 second')$$);
-- ack, set_vt and nack
SELECT pgmqc_test.try($$SELECT pgmq_c.ack('rg_dl', 'bad', NULL::bigint, 1)$$);
SELECT pgmqc_test.try(format('SELECT pgmq_c.ack(%L, %L, %s, -1)', 'rg_dl', 'bad', :b1));
SELECT pgmqc_test.try(format('SELECT pgmq_c.ack(%L, %L, %s, 1)', 'rg_dl', 'nope', :b1));
SELECT pgmqc_test.try(format('SELECT pgmq_c.ack(%L, %L, ARRAY[%s], ARRAY[-1])', 'rg_dl', 'bad', :b1));
SELECT pgmqc_test.try(format('SELECT pgmq_c.ack(%L, %L, ARRAY[%s], ARRAY[1, 1])', 'rg_dl', 'bad', :b1));
SELECT pgmqc_test.try(format('SELECT pgmq_c.ack(%L, %L, ARRAY[%s], ARRAY[NULL]::integer[])', 'rg_dl', 'bad', :b1));
SELECT pgmqc_test.try($$SELECT pgmq_c.ack('rg_dl', 'bad', NULL::bigint[], ARRAY[1])$$);
SELECT pgmqc_test.try(format('SELECT pgmq_c.set_vt(%L, %L, %s, %L, -1)', 'rg_dl', 'bad', :b1, '0'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.set_vt(%L, %L, %s, NULL, 1)', 'rg_dl', 'bad', :b1));
SELECT pgmqc_test.try($$SELECT pgmq_c.nack('rg_dl', 'bad', NULL::bigint)$$);
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %L, %s, NULL, -1)', 'rg_dl', 'bad', :b1));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %L, %s, %L)', 'rg_dl', 'bad', :b1, '-1 second'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %L, %s, %L)', 'rg_dl', 'bad', :b1, '13 hours'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %L, %s, reason => repeat(%L, 1001))', 'rg_dl', 'bad', :b1, 'r'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %L, %s)', 'rg_dl', 'nope', :b1));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %L, %s)', 'rg_dlq', 'bad', :b1));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(NULL::text, %L, %s)', 'bad', :b1));
-- nothing changed
SELECT group_name, visibility_timeout, max_deliveries, dead_letter_queue, retry_backoff, retry_backoff_max
  FROM pgmq_c.list_groups('rg_dl') ORDER BY group_name;
:state;

--
-- A lease a group gave while it had no retry policy counts as a lease once
-- one is set, as for a queue: the claim leases a message given back (the
-- first read of a group leases what it fills in the same statement, so the
-- message is read and nacked first), with a lease that ends at once; then
-- a backoff is set, and the next read makes the message wait for it.
--
SELECT pgmq_c.create_topic('rg_later');
SELECT pgmq_c.create_group('rg_later', 'g');
SELECT format('pgmq_c.g_%s', g.group_id) AS later_g
  FROM pgmq_c.groups g JOIN pgmq_c.list_topics() t ON t.topic_id = g.topic_id
 WHERE t.topic_name = 'rg_later' AND g.group_name = 'g' \gset
SELECT pgmq_c.send('rg_later', '{"l": 1}') AS l1 \gset
SELECT read_ct FROM pgmq_c.read_group('rg_later', 'g', '1 hour', 1);
SELECT pgmq_c.nack('rg_later', 'g', :l1);
SELECT read_ct, leased FROM :later_g WHERE msg_id = :l1;
SELECT read_ct FROM pgmq_c.read_group('rg_later', 'g', '0', 1);
SELECT read_ct, leased FROM :later_g WHERE msg_id = :l1;
SELECT pgmq_c.alter_group('rg_later', 'g', retry_backoff => '1 hour');
SELECT count(*) AS visible_after_policy FROM pgmq_c.read_group('rg_later', 'g', '1 hour', 1);
SELECT read_ct, leased, vt > clock_timestamp() + interval '50 minutes' AS backing_off
  FROM :later_g WHERE msg_id = :l1;
SELECT pgmq_c.drop_topic('rg_later');

--
-- One claim under a group's policy, as a queue's (retries_queue): the dead
-- message goes to the dead-letter queue, the expired lease waits for its
-- backoff (capped at 1 s, +-10 %, from the lease's end), the fresh message
-- is delivered with its body from the log.  First without a statement,
-- then through it (an UPDATE trigger on the group's table), with the same
-- outcome.
--
SELECT pgmq_c.create_queue('rg_mix_dlq');
SELECT 'pgmq_c.q_' || queue_id AS mix_dlq_t FROM pgmq_c.list_queues() WHERE queue_name = 'rg_mix_dlq' \gset
SELECT pgmq_c.create_topic('rg_mix');
SELECT pgmq_c.create_group('rg_mix', 'g', max_deliveries => 5, dead_letter_queue => 'rg_mix_dlq',
       retry_backoff => '300 ms', retry_backoff_max => '1 second');
SELECT format('pgmq_c.g_%s', g.group_id) AS mix_g, format('pgmq_c.t_%s', t.topic_id) AS mix_log
  FROM pgmq_c.groups g JOIN pgmq_c.list_topics() t ON t.topic_id = g.topic_id
 WHERE t.topic_name = 'rg_mix' AND g.group_name = 'g' \gset
CREATE FUNCTION rg_mix_seen() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'trigger saw read_ct % leased %', NEW.read_ct, NEW.leased; RETURN NEW; END $$;
-- round 1: the direct claim
SELECT count(*) AS sent FROM pgmq_c.send_batch('rg_mix',
       ARRAY['{"m": "dead"}', '{"m": "expired"}', '{"m": "fresh"}']::jsonb[]);
SELECT count(*) AS handed_to_the_group FROM pgmq_c.read_group('rg_mix', 'g', '0', 3);
UPDATE :mix_g g SET read_ct = 5 FROM :mix_log t
 WHERE t.msg_id = g.msg_id AND t.message->>'m' = 'dead';
UPDATE :mix_g g SET read_ct = 0, leased = false, vt = clock_timestamp() - interval '1 second' FROM :mix_log t
 WHERE t.msg_id = g.msg_id AND t.message->>'m' = 'fresh';
UPDATE :mix_g g SET read_ct = 4, leased = true, vt = clock_timestamp() - interval '1 minute' FROM :mix_log t
 WHERE t.msg_id = g.msg_id AND t.message->>'m' = 'expired' RETURNING g.vt AS lease_end \gset
SELECT message->>'m' AS msg, read_ct FROM pgmq_c.read_group('rg_mix', 'g', '1 hour', 3);
SELECT t.message->>'m' AS msg, g.read_ct, g.leased,
       g.vt BETWEEN :'lease_end'::timestamptz + interval '900 ms'
                AND :'lease_end'::timestamptz + interval '1100 ms' AS backing_off_1s
  FROM :mix_g g JOIN :mix_log t USING (msg_id) ORDER BY msg_id;
SELECT message->>'m' AS msg FROM :mix_dlq_t ORDER BY msg_id;
-- round 2: through the statement, on an emptied group and dead-letter queue
DELETE FROM :mix_g;
SELECT pgmq_c.purge_queue('rg_mix_dlq') AS purged_dlq;
CREATE TRIGGER rg_mix_seen BEFORE UPDATE ON :mix_g FOR EACH ROW EXECUTE FUNCTION rg_mix_seen();
SELECT count(*) AS sent FROM pgmq_c.send_batch('rg_mix',
       ARRAY['{"m": "dead"}', '{"m": "expired"}', '{"m": "fresh"}']::jsonb[]);
SELECT count(*) AS handed_to_the_group FROM pgmq_c.read_group('rg_mix', 'g', '0', 3);
UPDATE :mix_g g SET read_ct = 5 FROM :mix_log t
 WHERE t.msg_id = g.msg_id AND t.message->>'m' = 'dead';
UPDATE :mix_g g SET read_ct = 0, leased = false, vt = clock_timestamp() - interval '1 second' FROM :mix_log t
 WHERE t.msg_id = g.msg_id AND t.message->>'m' = 'fresh';
UPDATE :mix_g g SET read_ct = 4, leased = true, vt = clock_timestamp() - interval '1 minute' FROM :mix_log t
 WHERE t.msg_id = g.msg_id AND t.message->>'m' = 'expired' RETURNING g.vt AS lease_end \gset
SELECT message->>'m' AS msg, read_ct FROM pgmq_c.read_group('rg_mix', 'g', '1 hour', 3);
SELECT t.message->>'m' AS msg, g.read_ct, g.leased,
       g.vt BETWEEN :'lease_end'::timestamptz + interval '900 ms'
                AND :'lease_end'::timestamptz + interval '1100 ms' AS backing_off_1s
  FROM :mix_g g JOIN :mix_log t USING (msg_id) ORDER BY msg_id;
SELECT message->>'m' AS msg FROM :mix_dlq_t ORDER BY msg_id;
DROP TRIGGER rg_mix_seen ON :mix_g;
DROP FUNCTION rg_mix_seen();
SELECT pgmq_c.drop_topic('rg_mix');
SELECT pgmq_c.drop_queue('rg_mix_dlq');

--
-- A dead letter whose topic was dropped and made again under its name
-- stays in the dead-letter queue.  The new topic goes on from the old one's
-- msg_ids (pgmq_c.retired_names); without that memory (a catalog before
-- 0.8.0, or the row deleted, as here) it numbers its messages from 1
-- again, and its msg_id 1 is another message: the enqueued_at the dead
-- letter recorded tells them apart
--
SELECT pgmq_c.create_queue('rg_re_dlq');
SELECT pgmq_c.create_topic('rg_re');
SELECT pgmq_c.create_group('rg_re', 'g', 'earliest', max_deliveries => 1,
                           dead_letter_queue => 'rg_re_dlq');
SELECT pgmq_c.send('rg_re', '{"m": "old"}') AS old_id \gset
SELECT msg_id = :old_id AS read_old FROM pgmq_c.read_group('rg_re', 'g', '1 hour', 1);
SELECT pgmq_c.nack('rg_re', 'g', :old_id) AS nacked;
SELECT message, headers->'pgmq_c_dead_letter'->>'msg_id' = :'old_id' AS dead_letter_of_old
  FROM pgmq_c.read('rg_re_dlq', '0 seconds', 10);
SELECT pgmq_c.drop_topic('rg_re');
DELETE FROM pgmq_c.retired_names WHERE queue_name = 'rg_re';
SELECT pgmq_c.create_topic('rg_re');
SELECT pgmq_c.create_group('rg_re', 'g', 'earliest');
SELECT pgmq_c.send('rg_re', '{"m": "new"}') = :old_id AS same_msg_id;
SELECT message FROM pgmq_c.read_group('rg_re', 'g', '1 hour', 10);
SELECT pgmq_c.ack('rg_re', 'g', :old_id) AS acked_new;
SELECT pgmq_c.redrive('rg_re_dlq');
SELECT count(*) AS redelivered FROM pgmq_c.read_group('rg_re', 'g', '1 hour', 10);
SELECT message FROM pgmq_c.read('rg_re_dlq', '0 seconds', 10);
-- a dead letter whose recorded enqueued_at is not a time (headers are the
-- sender's to write) goes back by msg_id alone, as one without it would
SELECT pgmq_c.send('rg_re', '{"m": "second"}') AS second_id \gset
SELECT pgmq_c.purge_queue('rg_re_dlq');
SELECT pgmq_c.send('rg_re_dlq', '{"m": "second"}',
       jsonb_build_object('pgmq_c_dead_letter', jsonb_build_object(
         'topic', 'rg_re', 'group', 'g', 'msg_id', :second_id, 'enqueued_at', 'not a time')))
       > 0 AS forged;
SELECT message FROM pgmq_c.read_group('rg_re', 'g', '1 hour', 10);
SELECT pgmq_c.ack('rg_re', 'g', :second_id) AS acked_second;
SELECT pgmq_c.redrive('rg_re_dlq');
SELECT message, read_ct FROM pgmq_c.read_group('rg_re', 'g', '0 seconds', 10);
SELECT pgmq_c.drop_topic('rg_re');
SELECT pgmq_c.drop_queue('rg_re_dlq');

-- A dead letter whose group was dropped and made again under its name (with
-- a filter the message does not pass) stays in the dead-letter queue as
-- one whose origin was dropped, whether the new group starts at the
-- latest or the earliest message: the new group is not the one that
-- dead-lettered it (before the fix it was delivered past the filter, or,
-- from 'earliest', counted as moved and lost)
SELECT pgmq_c.create_queue('rg_mk_dlq');
SELECT pgmq_c.create_topic('rg_mk');
SELECT pgmq_c.create_group('rg_mk', 'g', 'earliest', max_deliveries => 1,
                           dead_letter_queue => 'rg_mk_dlq');
SELECT pgmq_c.send('rg_mk', '{"m": "us"}', '{"r": "us"}') AS mk_id \gset
SELECT count(*) AS leased FROM pgmq_c.read_group('rg_mk', 'g', '1 hour', 10);
SELECT pgmq_c.nack('rg_mk', 'g', :mk_id) AS dead_lettered;
SELECT pgmq_c.drop_group('rg_mk', 'g');
SELECT pgmq_c.create_group('rg_mk', 'g', 'latest', filter => '{"r": "eu"}');
SELECT pgmq_c.redrive('rg_mk_dlq') AS moved_to_latest;
SELECT pgmq_c.drop_group('rg_mk', 'g');
SELECT pgmq_c.create_group('rg_mk', 'g', 'earliest', filter => '{"r": "eu"}');
SELECT pgmq_c.redrive('rg_mk_dlq') AS moved_to_earliest;
SELECT count(*) AS delivered FROM pgmq_c.read_group('rg_mk', 'g', '1 hour', 10);
SELECT message, headers->'pgmq_c_dead_letter'->>'group' AS from_group
  FROM pgmq_c.read('rg_mk_dlq', '0 seconds', 10);
-- the group that dead-lettered a message still takes it back
SELECT pgmq_c.alter_group('rg_mk', 'g', max_deliveries => 1, dead_letter_queue => 'rg_mk_dlq');
SELECT pgmq_c.send('rg_mk', '{"m": "eu"}', '{"r": "eu"}') AS eu_id \gset
SELECT count(*) AS leased FROM pgmq_c.read_group('rg_mk', 'g', '1 hour', 10);
SELECT pgmq_c.nack('rg_mk', 'g', :eu_id) AS dead_lettered;
SELECT pgmq_c.redrive('rg_mk_dlq') AS moved_back;
SELECT message, read_ct FROM pgmq_c.read_group('rg_mk', 'g', '1 hour', 10);
SELECT message FROM pgmq_c.read('rg_mk_dlq', '0 seconds', 10);
-- a dead letter written by hand (no times in its headers) naming a message
-- the group's filter leaves out stays: the group never had that message
SELECT pgmq_c.purge_queue('rg_mk_dlq');
SELECT pgmq_c.send('rg_mk_dlq', '{"m": "us"}',
       jsonb_build_object('pgmq_c_dead_letter', jsonb_build_object(
         'topic', 'rg_mk', 'group', 'g', 'msg_id', :mk_id))) > 0 AS forged;
SELECT pgmq_c.redrive('rg_mk_dlq') AS forged_moved;
SELECT count(*) AS delivered FROM pgmq_c.read_group('rg_mk', 'g', '1 hour', 10);
SELECT message FROM pgmq_c.read('rg_mk_dlq', '0 seconds', 10);
SELECT pgmq_c.drop_topic('rg_mk');
SELECT pgmq_c.drop_queue('rg_mk_dlq');

--
-- Clean up
--
SELECT pgmq_c.drop_topic('rg_dl');
SELECT pgmq_c.drop_queue('rg_dlq');
SELECT pgmq_c.drop_queue('rg_dlq2');
SELECT count(*) AS leftover_groups FROM pgmq_c.groups;
SELECT count(*) AS leftover FROM pgmq_c.list_queues() WHERE queue_name LIKE 'rg\_%';
