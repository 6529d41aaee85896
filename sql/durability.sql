-- durability: logged and unlogged queues (0.8.0).  create_queue(...,
-- durability) makes a queue's message, delayed, pending and keys tables
-- UNLOGGED; its sequence and its archive stay logged; list_queues() shows
-- the level; alter_queue(..., durability) switches it, keeping the
-- messages.  What a crash and a standby do to an unlogged queue is in TAP
-- (test/t/025_durability.pl).  Bad input and privileges at the end.

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

--
-- 4. Bad input: an error with a fitting SQLSTATE, and nothing changed
--
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('du_bad', durability => 'temporary')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('du_bad', durability => 'Unlogged')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('du_bad', durability => '')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_safe', durability => 'unlogged ')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_missing', durability => 'unlogged')$$);
-- a topic has no durability of its own yet (42809)
SELECT pgmq_c.create_topic('du_t');
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_t', durability => 'unlogged')$$);
SELECT count(*) AS du_bad_made FROM pgmq_c.list_queues() WHERE queue_name = 'du_bad';
SELECT durability FROM pgmq_c.list_queues() WHERE queue_name = 'du_safe';

--
-- 5. Privileges: switching needs "admin" on the queue
--
CREATE ROLE regress_pgmqc_du_sender;
SELECT pgmq_c.grant_access('du_safe', 'regress_pgmqc_du_sender', '{send}');
SET ROLE regress_pgmqc_du_sender;
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('du_safe', durability => 'unlogged')$$);
RESET ROLE;
SELECT durability FROM pgmq_c.list_queues() WHERE queue_name = 'du_safe';

SELECT pgmq_c.drop_queue(q) FROM unnest(ARRAY['du_fast', 'du_safe', 'du_named']) q;
SELECT pgmq_c.drop_topic('du_t');
DROP ROLE regress_pgmqc_du_sender;
DROP FUNCTION pgmqc_test.persistence(text);
