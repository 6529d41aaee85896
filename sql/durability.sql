-- durability: logged and unlogged queues and topics (0.8.0).
-- create_queue(..., durability) makes a queue's message, delayed, pending
-- and keys tables UNLOGGED; its sequence and its archive stay logged;
-- list_queues() shows the level; alter_queue(..., durability) switches it,
-- keeping the messages.  create_topic(..., durability) makes the partitions
-- of a topic's log and its groups' tables UNLOGGED, those made later too;
-- its log, sequence and cursor table stay logged; list_topics() shows the
-- level; alter_queue switches a topic too.  What a crash and a standby do
-- to an unlogged queue or topic is in TAP (test/t/025_durability.pl).  Bad
-- input and privileges at the end.

-- the persistence of a queue's relations, by kind (q, d, p, k, a, seq)
CREATE FUNCTION pgmqc_test.persistence(queue text) RETURNS TABLE (rel text, persistence "char")
LANGUAGE sql AS $$
  SELECT regexp_replace(c.relname, '_[0-9]+', ''), c.relpersistence
    FROM pgmq_c.list_queues() l
    JOIN pg_class c ON c.relnamespace = 'pgmq_c'::regnamespace
     AND c.relname IN ('q_' || l.queue_id, 'd_' || l.queue_id, 'p_' || l.queue_id,
                       'k_' || l.queue_id, 'a_' || l.queue_id, 'q_' || l.queue_id || '_seq')
   WHERE l.queue_name = queue
   ORDER BY 1
$$;

-- the persistence of a topic's relations and of its groups', by kind (t:
-- the log, its partitions p<n>, indexes and sequence; c: the cursors; g: a
-- group's table and indexes)
CREATE FUNCTION pgmqc_test.topic_persistence(topic text)
RETURNS TABLE (rel text, relkind "char", persistence "char")
LANGUAGE sql AS $$
  SELECT regexp_replace(c.relname, '^([tcg])_[0-9]+', '\1') COLLATE "C", c.relkind, c.relpersistence
    FROM pgmq_c.list_topics() l
    JOIN pg_class c ON c.relnamespace = 'pgmq_c'::regnamespace
     AND (c.relname ~ ('^[tc]_' || l.topic_id || '($|_)')
          OR c.relname ~ ANY (SELECT '^g_' || g.group_id || '($|_)'
                                FROM pgmq_c.groups g WHERE g.topic_id = l.topic_id))
   WHERE l.topic_name = topic
   ORDER BY 1, 2, 3
$$;

--
-- 1. create_queue: logged by default, or unlogged
--
SELECT pgmq_c.create_queue('du_fast', durability => 'unlogged');
SELECT pgmq_c.create_queue('du_safe');
SELECT pgmq_c.create_queue('du_named', durability => 'logged');
SELECT queue_name, durability FROM pgmq_c.list_queues() WHERE queue_name LIKE 'du\_%' ORDER BY 1;
-- the message tables unlogged; the sequence and the archive logged
SELECT * FROM pgmqc_test.persistence('du_fast');
SELECT * FROM pgmqc_test.persistence('du_safe');
-- an existing queue is left as it is, durability too (NOTICE)
SELECT pgmq_c.create_queue('du_safe', durability => 'unlogged');
SELECT durability FROM pgmq_c.list_queues() WHERE queue_name = 'du_safe';

--
-- 2. An unlogged queue works as any other: send, delay, keys, read,
-- archive, delete
--
SELECT pgmq_c.send('du_fast', '{"m": 1}') AS m1,
       pgmq_c.send('du_fast', '{"m": 2}', ordering_key => 'k') AS m2,
       pgmq_c.send('du_fast', '{"m": 3}', ordering_key => 'k') AS m3,
       pgmq_c.send('du_fast', '{"m": 4}', delay => '1 hour') AS m4;
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('du_fast', '1 hour', 10);
SELECT pgmq_c.delete('du_fast', 2), pgmq_c.archive('du_fast', 1);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('du_fast', '1 hour', 10);
SELECT queue_length, visible_length, delayed_length FROM pgmq_c.metrics('du_fast');
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read_archive('du_fast');

--
-- 3. alter_queue switches the level and keeps every message: the leased,
-- the delayed, the archived
--
SELECT pgmq_c.alter_queue('du_fast', durability => 'logged');
SELECT queue_name, durability FROM pgmq_c.list_queues() WHERE queue_name = 'du_fast';
SELECT * FROM pgmqc_test.persistence('du_fast');
SELECT queue_length, visible_length, delayed_length FROM pgmq_c.metrics('du_fast');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.set_vt('du_fast', 3, '0');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('du_fast', '1 hour', 10);
-- and back: the same messages
SELECT pgmq_c.alter_queue('du_fast', durability => 'unlogged');
SELECT * FROM pgmqc_test.persistence('du_fast');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.set_vt('du_fast', 4, '0');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('du_fast', '1 hour', 10);
-- msg_ids go on from the same sequence
SELECT pgmq_c.send('du_fast', '{"m": 5}') AS m5;
-- deduplication ids work on an unlogged queue (from the server's start on:
-- see README, "Durability and replication")
SELECT pgmq_c.send('du_fast', '{"m": 6}', dedup_id => 'x') AS d1,
       pgmq_c.send('du_fast', '{"m": 7}', dedup_id => 'x') AS d2;
-- the level it already has: nothing to do; NULL leaves it
SELECT pgmq_c.alter_queue('du_fast', durability => 'unlogged');
SELECT pgmq_c.alter_queue('du_fast', durability => NULL, visibility_timeout => '10 seconds');
SELECT queue_name, visibility_timeout, durability FROM pgmq_c.list_queues() WHERE queue_name = 'du_fast';
-- in a transaction rolled back, the switch is undone with it
BEGIN;
SELECT pgmq_c.alter_queue('du_safe', durability => 'unlogged');
SELECT durability FROM pgmq_c.list_queues() WHERE queue_name = 'du_safe';
ROLLBACK;
SELECT durability FROM pgmq_c.list_queues() WHERE queue_name = 'du_safe';
-- ... but not the msg_ids handed out in it, either way: the sequence is
-- not rewritten with the tables (before, the rollback took the rewritten
-- sequence with it, and the next sends had the msg_ids 4 to 6 again)
SELECT pgmq_c.create_queue('du_ids');
SELECT pgmq_c.send('du_ids', '{}') FROM generate_series(1, 3);
BEGIN;
SELECT pgmq_c.alter_queue('du_ids', durability => 'unlogged');
SELECT pgmq_c.send('du_ids', '{}') FROM generate_series(1, 3);
ROLLBACK;
SELECT pgmq_c.send('du_ids', '{}') AS after_unlogged_rolled_back;
SELECT pgmq_c.alter_queue('du_ids', durability => 'unlogged');
BEGIN;
SELECT pgmq_c.alter_queue('du_ids', durability => 'logged');
SELECT pgmq_c.send('du_ids', '{}') FROM generate_series(1, 3);
SAVEPOINT s;
SELECT pgmq_c.send('du_ids', '{}');
ROLLBACK;
SELECT pgmq_c.send('du_ids', '{}') AS after_logged_rolled_back;
-- the sequence is still the message table's, and still logged
WITH q AS (SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'du_ids')
SELECT d.refobjid = format('pgmq_c.q_%s', q.queue_id)::regclass AS owned_by_messages,
       d.refobjsubid AS column_number, c.relpersistence
  FROM q, pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.objid = format('pgmq_c.q_%s_seq', q.queue_id)::regclass
   AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
   AND d.deptype = 'a';

--
-- 4. Bad input: an error with a fitting SQLSTATE, and nothing changed
--
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('du_bad', durability => 'temporary')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('du_bad', durability => 'Unlogged')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('du_bad', durability => '')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_safe', durability => 'unlogged ')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_missing', durability => 'unlogged')$$);
SELECT count(*) AS du_bad_made FROM pgmq_c.list_queues() WHERE queue_name = 'du_bad';
SELECT durability FROM pgmq_c.list_queues() WHERE queue_name = 'du_safe';

--
-- 5. Topics: create_topic makes the partitions of the log and the groups'
-- tables unlogged (with their indexes); the log (partitioned: it has no
-- storage), its msg_id sequence and its cursor table stay logged
--
SELECT pgmq_c.create_topic('du_tfast', durability => 'unlogged');
SELECT pgmq_c.create_topic('du_tsafe');
SELECT pgmq_c.create_topic('du_tnamed', durability => 'logged');
-- NULL: as if not given, logged
SELECT pgmq_c.create_topic('du_tnull', durability => NULL);
SELECT pgmq_c.create_group('du_tfast', 'g1', 'earliest');
SELECT pgmq_c.create_group('du_tsafe', 'g1', 'earliest');
SELECT topic_name, durability FROM pgmq_c.list_topics() WHERE topic_name LIKE 'du\_t%' ORDER BY 1;
SELECT * FROM pgmqc_test.topic_persistence('du_tfast');
SELECT * FROM pgmqc_test.topic_persistence('du_tsafe');
-- the columns list_topics() had before 0.8.0 keep their places
SELECT topic_name, groups, owner = current_user AS mine, dedup_window, durability
  FROM pgmq_c.list_topics() WHERE topic_name = 'du_tfast';
-- an existing topic is left as it is, durability too (NOTICE)
SELECT pgmq_c.create_topic('du_tsafe', durability => 'unlogged');
SELECT durability FROM pgmq_c.list_topics() WHERE topic_name = 'du_tsafe';

-- an unlogged topic works as any other: publish, deduplicate, read, ack
SELECT pgmq_c.send('du_tfast', '{"t": 1}') AS t1,
       pgmq_c.send('du_tfast', '{"t": 2}', dedup_id => 'x') AS t2,
       pgmq_c.send('du_tfast', '{"t": 3}', dedup_id => 'x') AS t3,
       pgmq_c.send('du_tfast', '{"t": 4}', ordering_key => 'k') AS t4;
SELECT msg_id, read_ct, message->>'t' AS t, ordering_key FROM pgmq_c.read_group('du_tfast', 'g1', '1 hour', 10);
SELECT pgmq_c.ack('du_tfast', 'g1', 1::bigint);
SELECT queue_length, partitions, groups FROM pgmq_c.metrics('du_tfast');
-- a group made later, with messages in the topic: unlogged too
SELECT pgmq_c.create_group('du_tfast', 'g2', 'earliest');
SELECT msg_id, message->>'t' AS t FROM pgmq_c.read_group('du_tfast', 'g2', '1 hour', 10);
SELECT group_name, in_flight, next_msg_id FROM pgmq_c.list_groups('du_tfast') ORDER BY 1;
SELECT * FROM pgmqc_test.topic_persistence('du_tfast') WHERE rel LIKE 'g%';

-- partitions made later -- ahead of the sends, and by rotation, by the
-- worker or maintain_topics() -- are unlogged too.  Retention 1 second:
-- a partition rotates once its first message is 0.1 s old, the sequence
-- moving on to the next partition (waited for up to 20 s)
SELECT pgmq_c.create_topic('du_trot', retention => '1 second', partition_size => 1000,
                           durability => 'unlogged');
SELECT format('pgmq_c.t_%s', topic_id) AS trot_log FROM pgmq_c.list_topics() WHERE topic_name = 'du_trot' \gset
SELECT pgmq_c.create_group('du_trot', 'g', 'earliest');
SELECT pgmq_c.send('du_trot', '{"r": 1}') AS r1;
DO $$
DECLARE
	id bigint;
BEGIN
	FOR i IN 1..100 LOOP
		PERFORM pg_sleep(0.2);
		PERFORM pgmq_c.maintain_topics();
		COMMIT;
		id := pgmq_c.send('du_trot', '{"r": 2}');
		COMMIT;
		EXIT WHEN id >= 1000;
	END LOOP;
END $$;
SELECT max(msg_id) >= 1000 AS in_a_later_partition FROM pgmq_c.read_group('du_trot', 'g', '1 hour', 1000);
SELECT count(*) > 2 AS partitions_made_later,
       count(*) FILTER (WHERE c.relpersistence <> 'u') AS not_unlogged
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = :'trot_log'::regclass;
SELECT relpersistence AS sequence_persistence FROM pg_class WHERE oid = (:'trot_log' || '_seq')::regclass;

--
-- 6. alter_queue switches a topic: its partitions and its groups' tables,
-- keeping the messages, the leases and the groups' positions
--
SELECT pgmq_c.alter_queue('du_tfast', durability => 'logged');
SELECT topic_name, durability FROM pgmq_c.list_topics() WHERE topic_name = 'du_tfast';
SELECT * FROM pgmqc_test.topic_persistence('du_tfast');
SELECT queue_length FROM pgmq_c.metrics('du_tfast');
SELECT group_name, in_flight, next_msg_id FROM pgmq_c.list_groups('du_tfast') ORDER BY 1;
SELECT msg_id, read_ct, message->>'t' AS t FROM pgmq_c.set_vt('du_tfast', 'g1', 2, '0');
SELECT msg_id, read_ct, message->>'t' AS t FROM pgmq_c.read_group('du_tfast', 'g1', '1 hour', 10);
-- and back
SELECT pgmq_c.alter_queue('du_tfast', durability => 'unlogged');
SELECT * FROM pgmqc_test.topic_persistence('du_tfast');
SELECT group_name, in_flight, next_msg_id FROM pgmq_c.list_groups('du_tfast') ORDER BY 1;
-- msg_ids go on from the same sequence; partitions the worker makes from
-- here on follow the level the topic has now
SELECT pgmq_c.send('du_tfast', '{"t": 5}') AS t5;
-- the level it already has: nothing to do; NULL leaves it; with the
-- deduplication window, the other setting a topic has
SELECT pgmq_c.alter_queue('du_tfast', durability => 'unlogged');
SELECT pgmq_c.alter_queue('du_tfast', durability => NULL, dedup_window => '1 minute');
SELECT pgmq_c.alter_queue('du_tsafe', durability => 'unlogged', dedup_window => '2 minutes');
SELECT topic_name, dedup_window, durability FROM pgmq_c.list_topics()
 WHERE topic_name IN ('du_tfast', 'du_tsafe') ORDER BY 1;
SELECT * FROM pgmqc_test.topic_persistence('du_tsafe');
SELECT pgmq_c.alter_queue('du_tsafe', durability => 'logged');
-- in a transaction rolled back, the switch is undone with it
BEGIN;
SELECT pgmq_c.alter_queue('du_tsafe', durability => 'unlogged');
SELECT durability FROM pgmq_c.list_topics() WHERE topic_name = 'du_tsafe';
ROLLBACK;
SELECT durability FROM pgmq_c.list_topics() WHERE topic_name = 'du_tsafe';
SELECT * FROM pgmqc_test.topic_persistence('du_tsafe') WHERE persistence <> 'p';

-- bad input (22023; the other settings of alter_queue are the groups', 42809)
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('du_tbad', durability => 'temporary')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('du_tbad', durability => 'UNLOGGED')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('du_tbad', '1 day', 1000, NULL, '')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_tsafe', durability => 'logged ')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_tsafe', visibility_timeout => '1 minute', durability => 'unlogged')$$);
SELECT count(*) AS du_tbad_made FROM pgmq_c.list_topics() WHERE topic_name = 'du_tbad';
SELECT durability FROM pgmq_c.list_topics() WHERE topic_name = 'du_tsafe';

--
-- 7. Privileges: switching needs "admin" on the queue or topic
--
CREATE ROLE regress_pgmqc_du_sender;
SELECT pgmq_c.grant_access('du_safe', 'regress_pgmqc_du_sender', '{send}');
SELECT pgmq_c.grant_access('du_tsafe', 'regress_pgmqc_du_sender', '{send}');
SET ROLE regress_pgmqc_du_sender;
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_safe', durability => 'unlogged')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_tsafe', durability => 'unlogged')$$);
RESET ROLE;
SELECT durability FROM pgmq_c.list_queues() WHERE queue_name = 'du_safe';
SELECT durability FROM pgmq_c.list_topics() WHERE topic_name = 'du_tsafe';

--
-- 8. A topic whose msg_ids jump, as a new timeline moves them by 2^32
--    (timelines.c; here by hand): the send makes the partition of its
--    msg_id and the next, not the 4 million in the gap; maintenance and a
--    group read go over the gap.
--
SELECT pgmq_c.create_topic('du_gap', partition_size => 1000);
SELECT pgmq_c.create_group('du_gap', 'g', 'earliest');
SELECT pgmq_c.send('du_gap', '{"before": true}');
SELECT setval(format('pgmq_c.t_%s_seq', topic_id)::regclass, 4294967296 + 100)
  FROM pgmq_c.list_topics() WHERE topic_name = 'du_gap';
SELECT pgmq_c.send('du_gap', '{"after": true}');
CREATE FUNCTION pgmqc_test.gap_partitions(OUT in_gap bigint, OUT of_new_id boolean)
LANGUAGE sql AS $$
SELECT count(*) FILTER (WHERE n > 100 AND n < 4294967), bool_or(n = 4294967)
  FROM (SELECT substr(c.relname, length(format('t_%s_p', t.topic_id)) + 1)::int8 AS n
          FROM pgmq_c.list_topics() t
          JOIN pg_inherits i ON i.inhparent = format('pgmq_c.t_%s', t.topic_id)::regclass
          JOIN pg_class c ON c.oid = i.inhrelid
         WHERE t.topic_name = 'du_gap') p
$$;
SELECT * FROM pgmqc_test.gap_partitions();
SELECT pgmq_c.maintain_topics() >= 0 AS maintained;
SELECT * FROM pgmqc_test.gap_partitions();
SELECT msg_id, message FROM pgmq_c.read_group('du_gap', 'g', '1 minute', 10);
-- the worker's fill (for a reader in a transaction block) goes over a gap
-- too, even one of 17 billion partition numbers: it looks up the
-- partitions there are, not every number in the gap
SELECT setval(format('pgmq_c.t_%s_seq', topic_id)::regclass, 17592186044416 + 100)
  FROM pgmq_c.list_topics() WHERE topic_name = 'du_gap';
SELECT pgmq_c.send('du_gap', '{"far": true}');
SELECT pgmq_c.create_group('du_gap', 'gw', 'earliest');
BEGIN;
SELECT msg_id, message FROM pgmq_c.read_group('du_gap', 'gw', '1 minute', 10, wait => '30 seconds');
COMMIT;

SELECT pgmq_c.drop_queue(q) FROM unnest(ARRAY['du_fast', 'du_safe', 'du_named', 'du_ids']) q;
SELECT pgmq_c.drop_topic(t) FROM unnest(ARRAY['du_tfast', 'du_tsafe', 'du_tnamed', 'du_tnull', 'du_trot', 'du_gap']) t;
DROP ROLE regress_pgmqc_du_sender;
DROP FUNCTION pgmqc_test.persistence(text);
DROP FUNCTION pgmqc_test.topic_persistence(text);
DROP FUNCTION pgmqc_test.gap_partitions();
