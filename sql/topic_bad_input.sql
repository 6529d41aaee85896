-- topic_bad_input: every bad argument to the topic API gets an error with a
-- fitting SQLSTATE and leaves the data as it was.  pgmqc_test.try()
-- (setup.sql) shows SQLSTATE and message.

SELECT pgmq_c.create_topic('tcanary', '1 day', 1000);
SELECT pgmq_c.create_group('tcanary', 'g', 'earliest');
SELECT pgmq_c.create_queue('qcanary');
SELECT count(*) FROM pgmq_c.send_batch('tcanary', ARRAY['{"c": 1}', '{"c": 2}']::jsonb[]);
SELECT msg_id AS c1 FROM pgmq_c.read_group('tcanary', 'g', '1 hour', 1) \gset

-- NULLs (22004)
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('x', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('x', '1 day', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.drop_topic(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group(NULL, 'g')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'g2', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'g2', 'latest', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.drop_group('tcanary', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group(NULL, 'g')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'g', '1 s', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'g', '1 s', 1, NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.ack('tcanary', 'g', NULL::bigint)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.ack('tcanary', 'g', NULL::bigint[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.ack('tcanary', 'g', ARRAY[1, NULL]::bigint[])$$);
-- (an untyped NULL msg_id would be ambiguous with nack(queue_name, msg_id))
SELECT pgmqc_test.try($$SELECT pgmq_c.nack('tcanary', 'g', NULL::bigint)$$);
-- a NULL delay is the group's backoff; a negative receipt is refused
SELECT pgmqc_test.try($$SELECT pgmq_c.nack('tcanary', 'g', 1, NULL, -1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.set_vt('tcanary', 'g', 1, NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('tcanary', 'g', NULL::bigint)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('tcanary', 'g', NULL::timestamptz)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.list_groups(NULL)$$);

-- bad names (22023, 42602): the same rule as queues
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('a.b')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('a"b')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic(repeat('x', 81))$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'Robert''); DROP TABLE x; --')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'a b')$$);

-- unknown topic or group (42704)
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('nosuch', 'g')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'nosuch')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.ack('tcanary', 'nosuch', 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('nosuch', 'g')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.drop_group('nosuch', 'g')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.list_groups('nosuch')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('tcanary', 'nosuch', 1::bigint)$$);
SELECT pgmq_c.drop_topic('nosuch');          -- false, as drop_queue
SELECT pgmq_c.drop_group('tcanary', 'nosuch');

-- a queue where a topic is expected, and the reverse (42809, 42710)
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('qcanary', 'g')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('qcanary', 'g')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.drop_topic('qcanary')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('qcanary')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('tcanary')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('tcanary', 1::bigint)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.drop_queue('tcanary')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.purge_queue('tcanary')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('tcanary')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.enable_notify('tcanary')$$);

-- bad values (22023, 54000, 2202E)
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('x', '-1 day')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('x', '0')$$);
-- the smallest positive retention is one (checked against one clock reading)
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('tiny_retention', '1 microsecond')$$);
SELECT pgmq_c.drop_topic('tiny_retention');
-- retention is at most 10 years, 3653 days (as archive_retention), counted
-- on the calendar from now; a huge one is refused by that check too, not by
-- a timestamp out of range
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('x', '3654 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('x', '178000000 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('x', '2147483647 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('long_retention', '3653 days')$$);
SELECT retention FROM pgmq_c.list_topics() WHERE topic_name = 'long_retention';
SELECT pgmq_c.drop_topic('long_retention');
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('x', '1 day', 999)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('x', '1 day', 2000000000000)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'g2', 'middle')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'g2', repeat('s', 100000))$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'g2', 'latest', '0')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'g2', 'latest', '-1 s')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'g2', 'latest', '13 hours')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'g2', 'latest', '1 s', '[1, 2]')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('tcanary', 'g2', 'latest', '1 s', '"a"')$$);
-- a filter larger than any message's headers may be could match nothing
SET pgmq_c.max_message_size = '1kB';
SELECT pgmqc_test.try(format($$SELECT pgmq_c.create_group('tcanary', 'g2', 'latest', '1 s', %L)$$,
                             jsonb_build_object('k', repeat('x', 2000))));
RESET pgmq_c.max_message_size;
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'g', '-1 s')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'g', '1 year')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'g', '1 s', 0)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'g', '1 s', 10001)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'g', '1 s', 1, '-1 s')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'g', '1 s', 1, '1 hour')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.nack('tcanary', 'g', 1, '-1 s')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.set_vt('tcanary', 'g', 1, '-1 s')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.ack('tcanary', 'g', ARRAY[[1, 2], [3, 4]]::bigint[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.ack('tcanary', 'g', array_fill(1::bigint, ARRAY[10001]))$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('tcanary', '{}', '{}', '-1 s')$$);

-- seeking outside the retained range (22023); a time literal needs its type,
-- as seek is overloaded on bigint and timestamptz (42725)
SELECT pgmqc_test.try(format($$SELECT pgmq_c.seek('tcanary', 'g', %s::bigint)$$, :c1 + 3));
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('tcanary', 'g', -1::bigint)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('tcanary', 'g', '-infinity'::timestamptz)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('tcanary', 'g', now() + interval '1 hour')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('tcanary', 'g', '2000-01-01')$$);

-- a REPEATABLE READ transaction may not wait
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pgmqc_test.try($$SELECT pgmq_c.read_group('tcanary', 'g', '1 s', 1, '10 ms')$$);
COMMIT;

-- the data is unchanged: the one leased message, the other still there
SELECT group_name, lag, in_flight, missed FROM pgmq_c.list_groups('tcanary');
SELECT count(*) AS groups FROM pgmq_c.groups;
SELECT topic_name FROM pgmq_c.list_topics();
SELECT msg_id = :c1 + 1 AS second FROM pgmq_c.read_group('tcanary', 'g', '1 hour', 5);

-- before the first message is fine while retention has removed nothing
SELECT pgmq_c.create_group('tcanary', 'g_seek', 'latest');
SELECT pgmq_c.seek('tcanary', 'g_seek', 0::bigint);
SELECT pgmq_c.seek('tcanary', 'g_seek', '2000-01-01'::timestamptz) = :c1 AS first;

-- once retention has dropped a partition, what it removed is out of range:
-- fill partition 0 (msg_ids 1-999), start partition 1, let both age
SELECT pgmq_c.create_topic('tret', '1 millisecond', 1000);
SELECT pgmq_c.create_group('tret', 'lagging', 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('tret', array_fill('{}'::jsonb, ARRAY[1000]));
SELECT pg_sleep(0.01);
-- (the worker may get there first: either way partition 0 goes)
SELECT pgmq_c.maintain_topics() >= 0 AS ran;
SELECT format('pgmq_c.t_%s', topic_id) AS tret_log FROM pgmq_c.list_topics()
 WHERE topic_name = 'tret' \gset
SELECT count(*) FILTER (WHERE c.relname ~ '_p0$') AS p0_left,
       count(*) FILTER (WHERE c.relname ~ '_p1$') AS p1_left
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = :'tret_log'::regclass;
SELECT group_name, lag, missed, next_msg_id FROM pgmq_c.list_groups('tret');
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('tret', 'lagging', 5::bigint)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.seek('tret', 'lagging', '2000-01-01'::timestamptz)$$);
SELECT msg_id FROM pgmq_c.read_group('tret', 'lagging', '1 hour', 10);
SELECT pgmq_c.seek('tret', 'lagging', 1000::bigint);
SELECT pgmq_c.drop_topic('tret');

SELECT pgmq_c.drop_topic('tcanary');
SELECT pgmq_c.drop_queue('qcanary');
