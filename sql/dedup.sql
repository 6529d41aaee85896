-- dedup: deduplication ids (send(..., dedup_id), send_batch(..., dedup_ids))
-- on queues and topics.  A send whose id stored a message within the
-- queue's or topic's dedup_window stores nothing and returns that message's
-- msg_id, even when the message is gone; ids are per queue or topic; a rolled-back send
-- reserves nothing; dedup_window set by create_queue, create_topic and
-- alter_queue.  Bad input, and privileges, at the end.
--
-- The queues are new, so their msg_ids count from 1.  A send of one id
-- to a queue (without delay) or to a topic draws its msg_id, then claims
-- the id in today's partition of pgmq_c.dedup_ids: a resend found there
-- skips that msg_id, as a rolled-back send does.  Today's partition is
-- made here (once a queue exists) if the worker has not made it yet.

--
-- 1. One queue
--
SELECT pgmq_c.create_queue('dd_q');
-- (ids that earlier tests sent before the worker made today's partition
-- went into the default one, and the days after today were made meanwhile:
-- today's is then never made.  The days and those ids go, so that
-- maintain_topics() makes today's.)
DELETE FROM pgmq_c.dedup_ids_default;
DO $$
DECLARE
	day regclass;
BEGIN
	FOR day IN SELECT i.inhrelid::regclass FROM pg_inherits i
				WHERE i.inhparent = 'pgmq_c.dedup_ids'::regclass
				  AND i.inhrelid <> 'pgmq_c.dedup_ids_default'::regclass LOOP
		EXECUTE pg_catalog.format('DROP TABLE %s', day);
	END LOOP;
END $$;
SELECT pgmq_c.maintain_topics() >= 0 AS maintained;
SELECT count(*) AS today_made
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'pgmq_c'
   AND c.relname = 'dedup_ids_p' || floor(extract(epoch FROM now()) / 86400)::bigint;
SELECT pgmq_c.send('dd_q', '{"m": "x1"}', dedup_id => 'x') AS first,
       pgmq_c.send('dd_q', '{"m": "x2"}', dedup_id => 'x') AS again,
       pgmq_c.send('dd_q', '{"m": "x3"}', '{"h": 1}', '0', NULL, 'x') AS with_headers;
-- stored once, as first sent
SELECT queue_length FROM pgmq_c.metrics('dd_q');
SELECT msg_id, read_ct, message->>'m' AS m, headers FROM pgmq_c.read('dd_q', '1 hour', 10);
-- consumed and deleted: the id still returns its msg_id, storing nothing
SELECT pgmq_c.delete('dd_q', 1);
SELECT pgmq_c.send('dd_q', '{"m": "x4"}', dedup_id => 'x') AS after_delete;
SELECT queue_length FROM pgmq_c.metrics('dd_q');
-- archived, or delayed: the same
SELECT pgmq_c.send('dd_q', '{"m": "y1"}', dedup_id => 'y') AS y;
SELECT pgmq_c.archive('dd_q', 5);
SELECT pgmq_c.send('dd_q', '{"m": "y2"}', dedup_id => 'y') AS after_archive;
SELECT pgmq_c.send('dd_q', '{"m": "z1"}', NULL, '1 hour', NULL, 'z') AS z_delayed,
       pgmq_c.send('dd_q', '{"m": "z2"}', dedup_id => 'z') AS z_again;
SELECT queue_length, delayed_length FROM pgmq_c.metrics('dd_q');
-- ids are text compared exactly: case and spaces count, NULL is no id
SELECT pgmq_c.send('dd_q', '{"m": "X"}', dedup_id => 'X') AS upper_case,
       pgmq_c.send('dd_q', '{"m": "x "}', dedup_id => 'x ') AS trailing_space,
       pgmq_c.send('dd_q', '{"m": "n1"}', dedup_id => NULL) AS no_id_1,
       pgmq_c.send('dd_q', '{"m": "n2"}', dedup_id => NULL) AS no_id_2;
-- in one transaction, a second send of an id finds the first
BEGIN;
SELECT pgmq_c.send('dd_q', '{"m": "t1"}', dedup_id => 't') AS in_transaction;
SELECT pgmq_c.send('dd_q', '{"m": "t2"}', dedup_id => 't') AS again_in_transaction;
COMMIT;
SELECT pgmq_c.send('dd_q', '{"m": "t3"}', dedup_id => 't') AS after_commit;
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read('dd_q', '1 hour', 10);

--
-- 2. Ids are per queue or topic: another queue and a topic store their own
--
SELECT pgmq_c.create_queue('dd_q2', dedup_window => NULL);
SELECT pgmq_c.create_topic('dd_t', dedup_window => NULL);
SELECT pgmq_c.create_group('dd_t', 'g', 'earliest');
SELECT pgmq_c.send('dd_q2', '{"m": "x in dd_q2"}', dedup_id => 'x') AS dd_q2_x,
       pgmq_c.send('dd_t', '{"m": "x in dd_t"}', dedup_id => 'x') AS dd_t_x;
SELECT pgmq_c.send('dd_q2', '{"m": "again"}', dedup_id => 'x') AS dd_q2_again,
       pgmq_c.send('dd_t', '{"m": "again"}', dedup_id => 'x') AS dd_t_again,
       pgmq_c.send('dd_q', '{"m": "again"}', dedup_id => 'x') AS dd_q_again;
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read('dd_q2', '1 hour', 10);
SELECT queue_length FROM pgmq_c.metrics('dd_t');
-- a topic's group delivers the first send once; acknowledged, the id is
-- still known
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read_group('dd_t', 'g', '1 hour', 10);
SELECT pgmq_c.ack('dd_t', 'g', 1);
SELECT pgmq_c.send('dd_t', '{"m": "after ack"}', dedup_id => 'x') AS dd_t_after_ack;
SELECT count(*) AS more FROM pgmq_c.read_group('dd_t', 'g', '1 hour', 10);

--
-- 3. send_batch: msg_ids in array order; a repeated id stores its first
-- message only; known and new ids mixed; NULL elements have no id
--
SELECT pgmq_c.create_queue('dd_b');
SELECT * FROM pgmq_c.send_batch('dd_b',
       ARRAY['{"m": "p1"}', '{"m": "q1"}', '{"m": "p2"}', '{"m": "n1"}', '{"m": "q2"}', '{"m": "n2"}', '{"m": "p3"}']::jsonb[],
       dedup_ids => ARRAY['p', 'q', 'p', NULL, 'q', NULL, 'p']);
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read('dd_b', '1 hour', 10);
-- known ids (p, q) and new ones (r, s, r): only r and s are stored
SELECT * FROM pgmq_c.send_batch('dd_b',
       ARRAY['{"m": "r1"}', '{"m": "q3"}', '{"m": "s1"}', '{"m": "p4"}', '{"m": "r2"}']::jsonb[],
       dedup_ids => ARRAY['r', 'q', 's', 'p', 'r']);
-- all known: nothing stored
SELECT * FROM pgmq_c.send_batch('dd_b', ARRAY['{"m": "s2"}', '{"m": "p5"}']::jsonb[],
       dedup_ids => ARRAY['s', 'p']);
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read('dd_b', '1 hour', 10);
-- every element NULL, or the array NULL: no ids, all stored
SELECT * FROM pgmq_c.send_batch('dd_b', ARRAY['{"m": "n3"}', '{"m": "n4"}']::jsonb[],
       dedup_ids => ARRAY[NULL, NULL]::text[]);
SELECT * FROM pgmq_c.send_batch('dd_b', ARRAY['{"m": "n5"}']::jsonb[], dedup_ids => NULL);
-- with headers and a delay, the stored messages keep theirs
SELECT * FROM pgmq_c.send_batch('dd_b', ARRAY['{"m": "v1"}', '{"m": "w1"}', '{"m": "v2"}']::jsonb[],
       ARRAY['{"h": "v1"}', '{"h": "w1"}', '{"h": "v2"}']::jsonb[], '1 hour',
       dedup_ids => ARRAY['v', 'w', 'v']);
SELECT queue_length, delayed_length FROM pgmq_c.metrics('dd_b');
SELECT msg_id, message->>'m' AS m, headers FROM pgmq_c.set_vt('dd_b', 10, '0');
SELECT msg_id, message->>'m' AS m, headers FROM pgmq_c.set_vt('dd_b', 11, '0');
-- to a topic
SELECT * FROM pgmq_c.send_batch('dd_t', ARRAY['{"m": "x"}', '{"m": "b1"}', '{"m": "b2"}']::jsonb[],
       dedup_ids => ARRAY['x', 'b', 'b']);
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read_group('dd_t', 'g', '1 hour', 10);
-- the ids remembered: one row per stored message with an id
SELECT d.dedup_id, d.msg_id
  FROM pgmq_c.dedup_ids d JOIN pgmq_c.queues q ON q.queue_id = d.queue_id
 WHERE q.queue_name = 'dd_b' ORDER BY d.msg_id;

--
-- 4. With ordering keys: a deduplicated message does not count for its key
--
SELECT pgmq_c.create_queue('dd_k');
SELECT pgmq_c.send('dd_k', '{"m": "a1"}', ordering_key => 'a', dedup_id => 'i1') AS a1,
       pgmq_c.send('dd_k', '{"m": "a1 again"}', ordering_key => 'a', dedup_id => 'i1') AS a1_again;
SELECT * FROM pgmq_c.send_batch('dd_k', ARRAY['{"m": "a2"}', '{"m": "a1 again"}', '{"m": "a2 again"}', '{"m": "b1"}']::jsonb[],
       ordering_keys => ARRAY['a', 'a', 'a', 'b'], dedup_ids => ARRAY['i2', 'i1', 'i2', 'i3']);
SELECT format('SELECT ordering_key, messages FROM pgmq_c.k_%s ORDER BY 1', queue_id) AS keys_of_dd_k
  FROM pgmq_c.list_queues() WHERE queue_name = 'dd_k' \gset
:keys_of_dd_k;
SELECT msg_id, message->>'m' AS m, ordering_key FROM pgmq_c.read('dd_k', '1 hour', 10);
SELECT pgmq_c.delete('dd_k', 1);
SELECT msg_id, message->>'m' AS m, ordering_key FROM pgmq_c.read('dd_k', '1 hour', 10);
SELECT pgmq_c.delete('dd_k', 2);
SELECT count(*) AS nothing_behind FROM pgmq_c.read('dd_k', '1 hour', 10);
:keys_of_dd_k;
-- the same id under another key is still the same id
SELECT pgmq_c.send('dd_k', '{"m": "c1"}', ordering_key => 'c', dedup_id => 'i1') AS other_key;
-- a topic: the group gets the message once, as the head of its key
SELECT pgmq_c.send('dd_t', '{"m": "k1"}', ordering_key => 'k', dedup_id => 'k1') AS k1,
       pgmq_c.send('dd_t', '{"m": "k1 again"}', ordering_key => 'k', dedup_id => 'k1') AS k1_again,
       pgmq_c.send('dd_t', '{"m": "k2"}', ordering_key => 'k', dedup_id => 'k2') AS k2;
SELECT msg_id, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('dd_t', 'g', '1 hour', 10);
SELECT pgmq_c.ack('dd_t', 'g', 5);
SELECT msg_id, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('dd_t', 'g', '1 hour', 10);

--
-- 5. A rolled-back send reserves nothing
--
BEGIN;
SELECT pgmq_c.send('dd_q', '{"m": "rolled back"}', dedup_id => 'rb') AS rolled_back;
ROLLBACK;
SELECT pgmq_c.send('dd_q', '{"m": "rb"}', dedup_id => 'rb') AS after_rollback,
       pgmq_c.send('dd_q', '{"m": "rb again"}', dedup_id => 'rb') AS again;
-- nor one rolled back to a savepoint; what the transaction then commits counts
BEGIN;
SAVEPOINT s;
SELECT pgmq_c.send('dd_q', '{"m": "rolled back"}', dedup_id => 'sp') AS rolled_back;
SELECT * FROM pgmq_c.send_batch('dd_q', ARRAY['{"m": "rolled back"}']::jsonb[], dedup_ids => ARRAY['sp2']) AS rolled_back;
ROLLBACK TO SAVEPOINT s;
SELECT pgmq_c.send('dd_q', '{"m": "sp"}', dedup_id => 'sp') AS after_savepoint;
COMMIT;
SELECT pgmq_c.send('dd_q', '{"m": "sp again"}', dedup_id => 'sp') AS sp_again,
       pgmq_c.send('dd_q', '{"m": "sp2"}', dedup_id => 'sp2') AS sp2;
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read('dd_q', '1 hour', 10);

--
-- 6. dedup_window: how long an id is remembered, counted from its first
-- send.  A queue and a topic created with a 1 second window, a queue and a
-- topic whose 5 minutes are narrowed to 1 second by alter_queue, and a
-- queue whose 1 second is widened to an hour: after 1.2 seconds the id is
-- new again in the first four, not in the last.
--
SELECT pgmq_c.create_queue('dd_w1', dedup_window => '1 second');
SELECT pgmq_c.create_topic('dd_w1t', dedup_window => '1 second');
SELECT pgmq_c.create_queue('dd_w2');
SELECT pgmq_c.create_topic('dd_w2t');
SELECT pgmq_c.create_queue('dd_w3', dedup_window => '1 second');
SELECT pgmq_c.alter_queue('dd_w2', dedup_window => '1 second');
SELECT pgmq_c.alter_queue('dd_w2t', dedup_window => '1 second');
SELECT pgmq_c.alter_queue('dd_w3', dedup_window => '1 hour');
SELECT queue_name, dedup_window FROM pgmq_c.list_queues() WHERE queue_name LIKE 'dd\_%' ORDER BY 1;
-- list_queues shows queues only; list_topics the topics' windows
SELECT topic_name, dedup_window FROM pgmq_c.list_topics() WHERE topic_name LIKE 'dd\_%t' ORDER BY 1;
-- each sent twice in one statement (well within the window)
SELECT pgmq_c.send('dd_w1', '{}', dedup_id => 'w') AS w1, pgmq_c.send('dd_w1', '{}', dedup_id => 'w') AS w1_again,
       pgmq_c.send('dd_w1t', '{}', dedup_id => 'w') AS w1t, pgmq_c.send('dd_w1t', '{}', dedup_id => 'w') AS w1t_again,
       pgmq_c.send('dd_w2', '{}', dedup_id => 'w') AS w2, pgmq_c.send('dd_w2', '{}', dedup_id => 'w') AS w2_again,
       pgmq_c.send('dd_w2t', '{}', dedup_id => 'w') AS w2t, pgmq_c.send('dd_w2t', '{}', dedup_id => 'w') AS w2t_again,
       pgmq_c.send('dd_w3', '{}', dedup_id => 'w') AS w3, pgmq_c.send('dd_w3', '{}', dedup_id => 'w') AS w3_again;
SELECT pg_sleep(1.2);
SELECT pgmq_c.send('dd_w1', '{}', dedup_id => 'w') AS w1, pgmq_c.send('dd_w1', '{}', dedup_id => 'w') AS w1_again,
       pgmq_c.send('dd_w1t', '{}', dedup_id => 'w') AS w1t, pgmq_c.send('dd_w1t', '{}', dedup_id => 'w') AS w1t_again,
       pgmq_c.send('dd_w2', '{}', dedup_id => 'w') AS w2, pgmq_c.send('dd_w2', '{}', dedup_id => 'w') AS w2_again,
       pgmq_c.send('dd_w2t', '{}', dedup_id => 'w') AS w2t, pgmq_c.send('dd_w2t', '{}', dedup_id => 'w') AS w2t_again,
       pgmq_c.send('dd_w3', '{}', dedup_id => 'w') AS w3, pgmq_c.send('dd_w3', '{}', dedup_id => 'w') AS w3_again;
SELECT queue_length FROM pgmq_c.metrics('dd_w1');
-- today's partition (unique index) keeps one row per id: the send after
-- the window replaced the first one's, for a queue (the claim) as for a
-- topic (the record after the lookup)
SELECT q.queue_name, count(*) AS rows_of_w, min(d.msg_id) AS msg_id
  FROM pgmq_c.dedup_ids d JOIN pgmq_c.queues q ON q.queue_id = d.queue_id
 WHERE q.queue_name IN ('dd_w1', 'dd_w1t', 'dd_w3') AND d.dedup_id = 'w'
 GROUP BY 1 ORDER BY 1;
-- NULL (or no argument) leaves the window as it is; other settings leave it too
SELECT pgmq_c.alter_queue('dd_w3', dedup_window => NULL);
SELECT pgmq_c.alter_queue('dd_w3', max_deliveries => 3);
SELECT pgmq_c.alter_queue('dd_w2t', dedup_window => NULL);
SELECT queue_name, dedup_window FROM pgmq_c.queues WHERE queue_name IN ('dd_w3', 'dd_w2t') ORDER BY 1;
-- 7 days is the longest window
SELECT pgmq_c.alter_queue('dd_w3', dedup_window => '7 days');
SELECT pgmq_c.create_topic('dd_w4t', dedup_window => '7 days');
SELECT queue_name, dedup_window FROM pgmq_c.queues WHERE queue_name IN ('dd_w3', 'dd_w4t') ORDER BY 1;

-- A window lengthened after an id was sent again past it: the id answers
-- with the send that stored its message last, wherever its rows are kept.
-- An earlier send of 'l' is written by hand a day back, into the day
-- before today's partition (or the default one, where that day is not
-- made); the windows are an hour, so the sends below store new messages
-- (msg_id 1 of each).  With two days, both sends are inside the window:
-- the answer stays 1 for the queue (its claim in today's partition), the
-- topic (lookup, then record) and a batch, and is not 900.
SELECT pgmq_c.create_queue('dd_l', dedup_window => '1 hour');
SELECT pgmq_c.create_topic('dd_lt', dedup_window => '1 hour');
INSERT INTO pgmq_c.dedup_ids (queue_id, dedup_id, msg_id, first_at)
SELECT queue_id, 'l', 900, now() - interval '1 day'
  FROM pgmq_c.queues WHERE queue_name IN ('dd_l', 'dd_lt');
SELECT pgmq_c.send('dd_l', '{}', dedup_id => 'l') AS l_past_window,
       pgmq_c.send('dd_lt', '{}', dedup_id => 'l') AS lt_past_window;
SELECT pgmq_c.alter_queue('dd_l', dedup_window => '2 days');
SELECT pgmq_c.alter_queue('dd_lt', dedup_window => '2 days');
SELECT pgmq_c.send('dd_l', '{}', dedup_id => 'l') AS l_lengthened,
       pgmq_c.send('dd_lt', '{}', dedup_id => 'l') AS lt_lengthened,
       (SELECT id FROM pgmq_c.send_batch('dd_l', ARRAY['{}']::jsonb[], dedup_ids => ARRAY['l']) id) AS l_batch,
       (SELECT id FROM pgmq_c.send_batch('dd_lt', ARRAY['{}']::jsonb[], dedup_ids => ARRAY['l']) id) AS lt_batch;
-- both rows of each are kept (today's and the earlier one)
SELECT q.queue_name, count(*) AS rows_of_l, string_agg(d.msg_id::text, ',' ORDER BY d.msg_id) AS msg_ids
  FROM pgmq_c.dedup_ids d JOIN pgmq_c.queues q ON q.queue_id = d.queue_id
 WHERE q.queue_name IN ('dd_l', 'dd_lt') AND d.dedup_id = 'l'
 GROUP BY 1 ORDER BY 1;
SELECT pgmq_c.drop_queue('dd_l'), pgmq_c.drop_topic('dd_lt');

-- a partition given a trigger is refused (55000), also by this session,
-- which used it just before (a backend keeps a partition's check only
-- until the partition changes); without the trigger, sends work again
SELECT pgmq_c.create_queue('dd_s');
SELECT pgmq_c.send('dd_s', '{}', dedup_id => 'shape-1') AS before_trigger;
CREATE FUNCTION dd_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
DO $$ BEGIN EXECUTE pg_catalog.format('CREATE TRIGGER dd_trg BEFORE INSERT ON pgmq_c.%I FOR EACH ROW EXECUTE FUNCTION dd_trg()', 'dedup_ids_p' || floor(extract(epoch FROM now()) / 86400)::bigint); END $$;
DO $$
BEGIN
	PERFORM pgmq_c.send('dd_s', '{}', dedup_id => 'shape-2');
	RAISE NOTICE 'sent';
EXCEPTION WHEN OTHERS THEN
	RAISE NOTICE 'refused: %', SQLSTATE;
END $$;
DO $$ BEGIN EXECUTE pg_catalog.format('DROP TRIGGER dd_trg ON pgmq_c.%I', 'dedup_ids_p' || floor(extract(epoch FROM now()) / 86400)::bigint); END $$;
DROP FUNCTION dd_trg();
SELECT pgmq_c.send('dd_s', '{}', dedup_id => 'shape-2') AS after_trigger,
       pgmq_c.send('dd_s', '{}', dedup_id => 'shape-1') AS shape_1_again;

--
-- 7. Bad input: an error with a fitting SQLSTATE, and nothing changed
--
SELECT (SELECT queue_length FROM pgmq_c.metrics('dd_q')) AS dd_q_before,
       (SELECT queue_length FROM pgmq_c.metrics('dd_t')) AS dd_t_before,
       (SELECT count(*) FROM pgmq_c.dedup_ids d JOIN pgmq_c.queues q ON q.queue_id = d.queue_id
         WHERE q.queue_name IN ('dd_q', 'dd_t')) AS ids_before \gset
-- ids are 1 to 256 bytes (22023); bytes, not characters
SELECT pgmqc_test.try($$SELECT pgmq_c.send('dd_q', '{}', dedup_id => '')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('dd_q', '{}', dedup_id => repeat('i', 257))$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('dd_q', '{}', dedup_id => repeat('é', 128) || 'i')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('dd_t', '{}', dedup_id => '')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('dd_q', ARRAY['{}', '{}']::jsonb[], dedup_ids => ARRAY['i', ''])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('dd_q', ARRAY['{}']::jsonb[], dedup_ids => ARRAY[repeat('i', 257)])$$);
-- arrays of the wrong length or of two dimensions (2202E)
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('dd_q', ARRAY['{}', '{}']::jsonb[], dedup_ids => ARRAY['i'])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('dd_q', ARRAY['{}']::jsonb[], dedup_ids => ARRAY['i', 'j'])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('dd_q', ARRAY['{}', '{}']::jsonb[], dedup_ids => '{{i}, {j}}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('dd_t', ARRAY['{}', '{}']::jsonb[], dedup_ids => ARRAY['i'])$$);
-- none of those stored anything or remembered an id
SELECT (SELECT queue_length FROM pgmq_c.metrics('dd_q')) - :dd_q_before AS dd_q_stored,
       (SELECT queue_length FROM pgmq_c.metrics('dd_t')) - :dd_t_before AS dd_t_stored,
       (SELECT count(*) FROM pgmq_c.dedup_ids d JOIN pgmq_c.queues q ON q.queue_id = d.queue_id
         WHERE q.queue_name IN ('dd_q', 'dd_t')) - :ids_before AS ids_remembered;
-- 256 bytes are fine: 256 one-byte characters, or 128 two-byte ones
SELECT pgmq_c.send('dd_q', '{"m": "long"}', dedup_id => repeat('i', 256)) AS long_id,
       pgmq_c.send('dd_q', '{"m": "long again"}', dedup_id => repeat('i', 256)) AS long_again,
       pgmq_c.send('dd_q', '{"m": "wide"}', dedup_id => repeat('é', 128)) AS wide_id,
       pgmq_c.send('dd_q', '{"m": "wide again"}', dedup_id => repeat('é', 128)) AS wide_again;
-- windows: positive, at most 7 days (22023)
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('dd_q', dedup_window => '0')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('dd_q', dedup_window => '-1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('dd_q', dedup_window => '7 days 1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('dd_q', dedup_window => '1 mon')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('dd_t', dedup_window => '0')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('dd_t', dedup_window => '8 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('dd_bad', dedup_window => '0')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('dd_bad', dedup_window => '8 days')$$);
-- a window whose fields cancel out is none, on the calendar or as the
-- catalog compares intervals (a month as 30 days, a day as 24 hours); in
-- UTC, where no day has 23 or 25 hours.  Since session 46 any interval whose
-- fields have opposite signs is refused first, for that reason.
SET TimeZone = 'UTC';
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('dd_bad', dedup_window => '1 day -24 hours')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('dd_bad', dedup_window => '366000 days -8784000 hours')$$);
-- '1 mon -30 days' is 2 days back to 1 day ahead on the calendar, as the
-- month goes, and zero as an interval: refused whatever the date (its parts
-- have opposite signs)
SELECT pgmqc_test.sqlstate($$SELECT pgmq_c.alter_queue('dd_q', dedup_window => '1 mon -30 days')$$) AS month_less_30_days;
RESET TimeZone;
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('dd_bad', dedup_window => '-1 hour')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('dd_bad', dedup_window => '8 days')$$);
-- a topic has no other setting alter_queue could change (42809)
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('dd_t', max_deliveries => 3)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('dd_t', visibility_timeout => '1 minute', dedup_window => '1 minute')$$);
-- nothing changed, nothing created
SELECT queue_name, dedup_window FROM pgmq_c.queues WHERE queue_name IN ('dd_q', 'dd_t', 'dd_bad') ORDER BY 1;

--
-- 8. Privileges come first: a role that may not send to a queue learns no
-- msg_id through a dedup_id the queue knows
--
CREATE ROLE regress_pgmqc_dd_consumer;
CREATE ROLE regress_pgmqc_dd_sender;
SELECT pgmq_c.grant_access('dd_q', 'regress_pgmqc_dd_consumer', '{consume}');
SELECT pgmq_c.grant_access('dd_q', 'regress_pgmqc_dd_sender', '{send}');
SELECT pgmq_c.grant_access('dd_t', 'regress_pgmqc_dd_consumer', '{consume}');
SET ROLE regress_pgmqc_dd_consumer;
SELECT pgmqc_test.try($$SELECT pgmq_c.send('dd_q', '{}', dedup_id => 'x')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('dd_q', ARRAY['{}']::jsonb[], dedup_ids => ARRAY['x'])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('dd_t', '{}', dedup_id => 'x')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('dd_q2', '{}', dedup_id => 'x')$$);
-- the sender may, and gets the first msg_id as anyone would
SET ROLE regress_pgmqc_dd_sender;
SELECT pgmq_c.send('dd_q', '{}', dedup_id => 'x') AS sender_x;
RESET ROLE;
-- the lock a send takes on its id names the queue (lock field 2) beside a
-- hash of the id, so that an id of another queue never shares it: before,
-- one 64-bit hash of both, which a role could invert to find an id of its
-- own queue whose lock stopped another role's sends (review h46).  The
-- same id on two queues: two locks, each naming its queue.
BEGIN;
SELECT pgmq_c.send(q, '{}', dedup_id => 'locked') > 0 AS sent
  FROM unnest(ARRAY['dd_q', 'dd_q2']) q;
SELECT l.mode, q.queue_name AS named_queue
  FROM pg_locks l JOIN pgmq_c.list_queues() q ON q.queue_id = l.classid::int
 WHERE l.locktype = 'advisory' AND l.objsubid = 28785 AND l.pid = pg_backend_pid()
 ORDER BY q.queue_name;
ROLLBACK;

SELECT pgmq_c.drop_queue(q) FROM unnest(ARRAY['dd_q', 'dd_q2', 'dd_b', 'dd_k', 'dd_w1', 'dd_w2', 'dd_w3']) q;
SELECT pgmq_c.drop_topic(t) FROM unnest(ARRAY['dd_t', 'dd_w1t', 'dd_w2t', 'dd_w4t']) t;
DROP ROLE regress_pgmqc_dd_consumer, regress_pgmqc_dd_sender;
