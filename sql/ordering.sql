-- ordering: ordering keys (send(..., ordering_key), send_batch(...,
-- ordering_keys)) on a queue and on a topic with two consumer groups.
-- Messages of a key are delivered in send (msg_id) order, one at a time:
-- none while an earlier one of the key is unacknowledged (leased, nacked
-- with a delay, waiting for its backoff, delayed); keys are independent;
-- deleting, archiving, popping or dead-lettering the head lets the next one
-- follow.  Bad input at the end.
--
-- Messages are {"m": "<key><n>"} ("u" for no key), so that outputs read as
-- the send order.  The queues are new, so their msg_ids count from 1.

-- Where each message of a queue is: q (its message table), d (delayed) or p
-- (pending behind its key's head); and each key's count of messages (its
-- row in k_<id>).  Only for the checks where the tables make things clearer.
CREATE FUNCTION pgmqc_test.ord_where(queue text)
RETURNS TABLE (msg_id bigint, m text, ordering_key text, place text, read_ct integer)
LANGUAGE plpgsql AS $$
DECLARE
	id integer;
BEGIN
	SELECT l.queue_id INTO STRICT id FROM pgmq_c.list_queues() l WHERE l.queue_name = queue;
	RETURN QUERY EXECUTE format(
		'SELECT msg_id, message->>''m'', ordering_key, ''q'', read_ct FROM pgmq_c.q_%1$s
		 UNION ALL SELECT msg_id, message->>''m'', ordering_key, ''d'', NULL FROM pgmq_c.d_%1$s
		 UNION ALL SELECT msg_id, message->>''m'', ordering_key, ''p'', NULL FROM pgmq_c.p_%1$s
		 ORDER BY 1', id);
END $$;
CREATE FUNCTION pgmqc_test.ord_keys(queue text)
RETURNS TABLE (ordering_key text, messages bigint)
LANGUAGE plpgsql AS $$
DECLARE
	id integer;
BEGIN
	SELECT l.queue_id INTO STRICT id FROM pgmq_c.list_queues() l WHERE l.queue_name = queue;
	RETURN QUERY EXECUTE format('SELECT ordering_key, messages FROM pgmq_c.k_%s ORDER BY 1', id);
END $$;

--
-- 1. Send order per key, several keys interleaved with unkeyed messages
--
SELECT pgmq_c.create_queue('ord_q', visibility_timeout => '1 hour');
SELECT pgmq_c.send('ord_q', '{"m": "a1"}', ordering_key => 'a'),
       pgmq_c.send('ord_q', '{"m": "b1"}', ordering_key => 'b'),
       pgmq_c.send('ord_q', '{"m": "u1"}'),
       pgmq_c.send('ord_q', '{"m": "a2"}', ordering_key => 'a'),
       pgmq_c.send('ord_q', '{"m": "c1"}', NULL, '0', 'c'),
       pgmq_c.send('ord_q', '{"m": "b2"}', ordering_key => 'b'),
       pgmq_c.send('ord_q', '{"m": "u2"}', ordering_key => NULL),
       pgmq_c.send('ord_q', '{"m": "a3"}', ordering_key => 'a');
-- only each key's first message is where reads look; the others wait
SELECT * FROM pgmqc_test.ord_where('ord_q');
SELECT * FROM pgmqc_test.ord_keys('ord_q');
-- read(qty => 10) returns the heads of a, b, c and the unkeyed messages:
-- never two messages of one key; each shows its ordering_key
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_q', '1 hour', 10);
-- while those are leased, nothing more of a, b or c
SELECT count(*) AS more FROM pgmq_c.read('ord_q', '1 hour', 10);
-- deleting a1 (with its receipt) lets a2 follow, and only a2
SELECT pgmq_c.delete('ord_q', 1, read_ct => 1);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_q', '1 hour', 10);
-- b1 and a2 deleted together (the array form): b2 and a3 follow
SELECT * FROM pgmq_c.delete('ord_q', ARRAY[2, 4]::bigint[], ARRAY[1, 1]);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_q', '1 hour', 10);
-- the last message of a key gone: the key is forgotten
SELECT * FROM pgmq_c.delete('ord_q', ARRAY[3, 5, 6, 7, 8]::bigint[]);
SELECT * FROM pgmqc_test.ord_where('ord_q');
SELECT * FROM pgmqc_test.ord_keys('ord_q');
-- a key used again starts with a head
SELECT pgmq_c.send('ord_q', '{"m": "a4"}', ordering_key => 'a');
SELECT * FROM pgmqc_test.ord_where('ord_q');
SELECT pgmq_c.drop_queue('ord_q');

--
-- 2. One message of a key in flight: its head blocks the key while leased,
-- nacked with a delay, after its lease expired (it comes again, not the
-- next one), while it waits for its retry backoff, and while it is delayed.
-- Meanwhile the other keys and the unkeyed messages go on.
--
SELECT pgmq_c.create_queue('ord_block');
SELECT count(*) FROM pgmq_c.send_batch('ord_block',
       ARRAY['{"m": "a1"}', '{"m": "a2"}', '{"m": "b1"}', '{"m": "a3"}']::jsonb[],
       ordering_keys => ARRAY['a', 'a', 'b', 'a']);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_block', '1 hour', 10);
-- nack without a delay (no retry policy): a1 again, read_ct 2, not a2
SELECT pgmq_c.nack('ord_block', 1);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_block', '1 hour', 10);
-- nack with a delay: nothing of a until then; b goes on (b1 deleted, b2 read)
SELECT pgmq_c.nack('ord_block', 1, '1 hour');
SELECT pgmq_c.send('ord_block', '{"m": "b2"}', ordering_key => 'b');
SELECT pgmq_c.delete('ord_block', 3);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_block', '1 hour', 10);
-- set_vt shows the key; a lease ended by set_vt(..., '0') gives a1 again
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.set_vt('ord_block', 1, '0');
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_block', '1 hour', 10);
-- an expired lease (read for 0 seconds): a1 again, never a2
SELECT count(*) AS lease_ended FROM pgmq_c.set_vt('ord_block', 1, '0');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_block', '0', 10);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_block', '0', 10);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_block', '1 hour', 10);
SELECT * FROM pgmqc_test.ord_where('ord_block');
-- a pending message cannot be leased, nacked or have its vt set
SELECT count(*) AS set_vt_of_pending FROM pgmq_c.set_vt('ord_block', 2, '0');
SELECT pgmq_c.nack('ord_block', 2) AS nack_of_pending;
SELECT pgmq_c.drop_queue('ord_block');

-- a lease that really times out (1 second): a1 again, then a2 after it
SELECT pgmq_c.create_queue('ord_expire');
SELECT count(*) FROM pgmq_c.send_batch('ord_expire',
       ARRAY['{"m": "a1"}', '{"m": "a2"}']::jsonb[], ordering_keys => ARRAY['a', 'a']);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_expire', '1 second', 10);
SELECT pg_sleep(1.1);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_expire', '1 hour', 10);
SELECT pgmq_c.delete('ord_expire', 1);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_expire', '1 hour', 10);
SELECT pgmq_c.drop_queue('ord_expire');

-- retry backoff: an expired lease or a nack without a delay makes the head
-- wait (an hour here); the key waits with it, other keys do not
SELECT pgmq_c.create_queue('ord_backoff', retry_backoff => '1 hour', retry_backoff_max => '1 hour');
SELECT count(*) FROM pgmq_c.send_batch('ord_backoff',
       ARRAY['{"m": "a1"}', '{"m": "a2"}', '{"m": "b1"}', '{"m": "b2"}', '{"m": "c1"}']::jsonb[],
       ordering_keys => ARRAY['a', 'a', 'b', 'b', 'c']);
-- a1 leased for 0 seconds (expired at once), b1 for an hour
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_backoff', '0', 1);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_backoff', '1 hour', 1);
SELECT pgmq_c.nack('ord_backoff', 3);
-- the next read puts a1 in its backoff; b1 is in its backoff: c1 only
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_backoff', '1 hour', 10);
SELECT msg_id, m, place, read_ct FROM pgmqc_test.ord_where('ord_backoff');
SELECT count(*) AS during_backoff FROM pgmq_c.read('ord_backoff', '1 hour', 10);
-- deleted during its backoff, a1 lets a2 follow
SELECT pgmq_c.delete('ord_backoff', 1);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_backoff', '1 hour', 10);
SELECT pgmq_c.drop_queue('ord_backoff');

-- a delayed head blocks its key until it is delivered and acknowledged;
-- a message of the key sent without a delay waits behind it
SELECT pgmq_c.create_queue('ord_delay');
SELECT pgmq_c.send('ord_delay', '{"m": "a1"}', NULL, '1 hour', 'a');
SELECT pgmq_c.send('ord_delay', '{"m": "a2"}', ordering_key => 'a');
SELECT pgmq_c.send('ord_delay', '{"m": "u1"}');
SELECT * FROM pgmqc_test.ord_where('ord_delay');
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_delay', '1 hour', 10);
-- set_vt of the delayed head (shows its key) makes it due now
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.set_vt('ord_delay', 1, '0');
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_delay', '1 hour', 10);
SELECT count(*) AS a2_waits FROM pgmq_c.read('ord_delay', '1 hour', 10);
SELECT pgmq_c.delete('ord_delay', 1);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_delay', '1 hour', 10);
-- a delayed head deleted before it was due lets the next one follow too
SELECT pgmq_c.send('ord_delay', '{"m": "b1"}', NULL, '1 hour', 'b');
SELECT pgmq_c.send('ord_delay', '{"m": "b2"}', ordering_key => 'b');
SELECT pgmq_c.delete('ord_delay', 4, read_ct => 0);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_delay', '1 hour', 10);
-- a pending message sent with a delay becomes its key's head in the delayed
-- table while its delay lasts (c2), in the message table once it has passed
-- (c3)
SELECT pgmq_c.send('ord_delay', '{"m": "c1"}', ordering_key => 'c');
SELECT pgmq_c.send('ord_delay', '{"m": "c2"}', NULL, '1 hour', 'c');
SELECT pgmq_c.send('ord_delay', '{"m": "c3"}', NULL, '0.1 seconds', 'c');
SELECT pgmq_c.delete('ord_delay', 6);
SELECT msg_id, m, ordering_key, place FROM pgmqc_test.ord_where('ord_delay') WHERE msg_id > 5;
SELECT count(*) AS c2_delayed FROM pgmq_c.read('ord_delay', '1 hour', 10);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.set_vt('ord_delay', 7, '0');
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_delay', '1 hour', 10);
SELECT pg_sleep(0.2);
SELECT pgmq_c.delete('ord_delay', 7);
SELECT msg_id, m, ordering_key, place FROM pgmqc_test.ord_where('ord_delay') WHERE msg_id > 5;
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_delay', '1 hour', 10);
SELECT pgmq_c.drop_queue('ord_delay');

--
-- 3. Keys are independent: a key whose head is leased, with many messages
-- behind it (lower msg_ids), delays neither other keys nor unkeyed messages
--
SELECT pgmq_c.create_queue('ord_indep');
SELECT count(*) FROM pgmq_c.send_batch('ord_indep', array_fill('{"m": "x"}'::jsonb, ARRAY[50]),
       ordering_keys => array_fill('x'::text, ARRAY[50]));
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read('ord_indep', '1 hour', 1);
SELECT pgmq_c.send('ord_indep', '{"m": "y1"}', ordering_key => 'y'),
       pgmq_c.send('ord_indep', '{"m": "u1"}'),
       pgmq_c.send('ord_indep', '{"m": "z1"}', ordering_key => 'z'),
       pgmq_c.send('ord_indep', '{"m": "y2"}', ordering_key => 'y');
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read('ord_indep', '1 hour', 10);
SELECT pgmq_c.drop_queue('ord_indep');

--
-- 4. The head leaves: archive, pop, dead letters; each lets the next follow
--
SELECT pgmq_c.create_queue('ord_leave');
SELECT * FROM pgmq_c.send_batch('ord_leave',
       ARRAY['{"m": "a1"}', '{"m": "a2"}', '{"m": "a3"}', '{"m": "a4"}', '{"m": "a5"}', '{"m": "u1"}']::jsonb[],
       ordering_keys => ARRAY['a', 'a', 'a', 'a', 'a', NULL]);
-- archive (with the receipt), then the array form
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_leave', '1 hour', 10);
SELECT pgmq_c.archive('ord_leave', 1, read_ct => 1);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_leave', '1 hour', 10);
SELECT * FROM pgmq_c.archive('ord_leave', ARRAY[2]::bigint[], ARRAY[1]);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_leave', '1 hour', 10);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read_archive('ord_leave');
-- pop takes the key's head only, and the next pop the next one (u1 is leased)
SELECT pgmq_c.nack('ord_leave', 3, '0');
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.pop('ord_leave', 10);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.pop('ord_leave', 10);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.pop('ord_leave', 10);
SELECT count(*) AS nothing_left FROM pgmq_c.pop('ord_leave', 10);
SELECT * FROM pgmqc_test.ord_where('ord_leave');
SELECT * FROM pgmqc_test.ord_keys('ord_leave');
SELECT pgmq_c.drop_queue('ord_leave');

-- dead letters (max_deliveries 1) to a dead-letter queue
SELECT pgmq_c.create_queue('ord_dlq');
SELECT pgmq_c.create_queue('ord_dead', max_deliveries => 1, dead_letter_queue => 'ord_dlq');
SELECT count(*) FROM pgmq_c.send_batch('ord_dead',
       ARRAY['{"m": "a1"}', '{"m": "a2"}', '{"m": "a3"}', '{"m": "a4"}']::jsonb[],
       ordering_keys => ARRAY['a', 'a', 'a', 'a']);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_dead', '1 hour', 10);
-- a nack at the last delivery dead-letters a1 at once: a2 follows
SELECT pgmq_c.nack('ord_dead', 1, reason => 'failed');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_dead', '0', 10);
-- a2's lease expired at its last delivery: the next read (or the worker)
-- dead-letters it, and the read goes on to a3
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_dead', '1 hour', 10);
SELECT message->>'m' AS m, (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint AS dead_msg_id
  FROM pgmq_c.read('ord_dlq', '1 hour', 10);
SELECT msg_id, m, place FROM pgmqc_test.ord_where('ord_dead');
-- without a dead-letter queue, dead letters go to the archive
SELECT pgmq_c.alter_queue('ord_dead', dead_letter_queue => '');
SELECT pgmq_c.nack('ord_dead', 3);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_dead', '1 hour', 10);
SELECT msg_id, message->>'m' AS m, headers->'pgmq_c_dead_letter'->>'queue' AS origin
  FROM pgmq_c.read_archive('ord_dead');
SELECT pgmq_c.nack('ord_dead', 4);
SELECT * FROM pgmqc_test.ord_keys('ord_dead');
-- pop under a retry policy: the head only, then the next one
SELECT count(*) FROM pgmq_c.send_batch('ord_dead', ARRAY['{"m": "e1"}', '{"m": "e2"}']::jsonb[],
       ordering_keys => ARRAY['e', 'e']);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.pop('ord_dead', 10);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.pop('ord_dead', 10);
SELECT * FROM pgmqc_test.ord_keys('ord_dead');
SELECT pgmq_c.drop_queue('ord_dead');
SELECT pgmq_c.drop_queue('ord_dlq');

--
-- 5. A pending message (behind its key's head) deleted or archived by
-- msg_id: it is gone, the others keep their order
--
SELECT pgmq_c.create_queue('ord_pend');
SELECT count(*) FROM pgmq_c.send_batch('ord_pend',
       ARRAY['{"m": "a1"}', '{"m": "a2"}', '{"m": "a3"}', '{"m": "a4"}', '{"m": "a5"}', '{"m": "a6"}']::jsonb[],
       ordering_keys => ARRAY['a', 'a', 'a', 'a', 'a', 'a']);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_pend', '1 hour', 10);
-- never delivered, so a receipt other than 0 matches nothing
SELECT pgmq_c.delete('ord_pend', 3, read_ct => 1);
SELECT pgmq_c.delete('ord_pend', 3, read_ct => 0);
SELECT pgmq_c.archive('ord_pend', 5);
SELECT * FROM pgmq_c.delete('ord_pend', ARRAY[6]::bigint[]);
SELECT msg_id, m, place FROM pgmqc_test.ord_where('ord_pend');
SELECT * FROM pgmqc_test.ord_keys('ord_pend');
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read_archive('ord_pend');
SELECT pgmq_c.delete('ord_pend', 1);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_pend', '1 hour', 10);
SELECT pgmq_c.delete('ord_pend', 2);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_pend', '1 hour', 10);
SELECT pgmq_c.delete('ord_pend', 4);
SELECT * FROM pgmqc_test.ord_keys('ord_pend');
-- the head and the message behind it deleted in one call: both go
SELECT count(*) FROM pgmq_c.send_batch('ord_pend',
       ARRAY['{"m": "b1"}', '{"m": "b2"}', '{"m": "b3"}']::jsonb[],
       ordering_keys => ARRAY['b', 'b', 'b']);
SELECT * FROM pgmq_c.delete('ord_pend', ARRAY[7, 8]::bigint[]);
SELECT msg_id, m, place FROM pgmqc_test.ord_where('ord_pend');
SELECT * FROM pgmqc_test.ord_keys('ord_pend');
-- the same with the archive form, and a delayed head
SELECT count(*) FROM pgmq_c.send_batch('ord_pend',
       ARRAY['{"m": "c1"}', '{"m": "c2"}', '{"m": "c3"}']::jsonb[], delay => '1 hour',
       ordering_keys => ARRAY['c', 'c', 'c']);
SELECT * FROM pgmq_c.archive('ord_pend', ARRAY[10, 11]::bigint[]);
SELECT msg_id, m, place FROM pgmqc_test.ord_where('ord_pend');
SELECT * FROM pgmqc_test.ord_keys('ord_pend');
SELECT msg_id, message->>'m' AS m FROM pgmq_c.read_archive('ord_pend');
SELECT pgmq_c.drop_queue('ord_pend');

--
-- 6. Delayed messages behind a head: a delay still running when the message
-- becomes the head keeps it delayed; one that has passed makes it visible
--
SELECT pgmq_c.create_queue('ord_dpend');
SELECT pgmq_c.send('ord_dpend', '{"m": "a1"}', ordering_key => 'a'),
       pgmq_c.send('ord_dpend', '{"m": "a2"}', NULL, '1 hour', 'a'),
       pgmq_c.send('ord_dpend', '{"m": "a3"}', ordering_key => 'a'),
       pgmq_c.send('ord_dpend', '{"m": "b1"}', ordering_key => 'b'),
       pgmq_c.send('ord_dpend', '{"m": "b2"}', NULL, '100 milliseconds', 'b');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_dpend', '1 hour', 10);
SELECT msg_id, m, place FROM pgmqc_test.ord_where('ord_dpend');
SELECT pg_sleep(0.2);
SELECT pgmq_c.delete('ord_dpend', ARRAY[1, 4]::bigint[]);
SELECT msg_id, m, place FROM pgmqc_test.ord_where('ord_dpend');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_dpend', '1 hour', 10);
-- a2 is delayed for an hour; a3 waits behind it
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.set_vt('ord_dpend', 2, '0');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_dpend', '1 hour', 10);
SELECT pgmq_c.delete('ord_dpend', 2);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read('ord_dpend', '1 hour', 10);
SELECT pgmq_c.drop_queue('ord_dpend');

--
-- 7. send_batch: NULL elements (no key), a key repeated within the batch,
-- a key that already has a head; msg_ids in array order
--
SELECT pgmq_c.create_queue('ord_batch');
SELECT pgmq_c.send('ord_batch', '{"m": "a1"}', ordering_key => 'a');
SELECT * FROM pgmq_c.send_batch('ord_batch',
       ARRAY['{"m": "b1"}', '{"m": "a2"}', '{"m": "u1"}', '{"m": "b2"}', '{"m": "c1"}', '{"m": "u2"}', '{"m": "b3"}']::jsonb[],
       ARRAY['{"h": 1}', '{"h": 2}', '{"h": 3}', '{"h": 4}', '{"h": 5}', '{"h": 6}', '{"h": 7}']::jsonb[],
       ordering_keys => ARRAY['b', 'a', NULL, 'b', 'c', NULL, 'b']);
SELECT msg_id, m, ordering_key, place FROM pgmqc_test.ord_where('ord_batch');
SELECT * FROM pgmqc_test.ord_keys('ord_batch');
SELECT msg_id, read_ct, message->>'m' AS m, headers, ordering_key FROM pgmq_c.read('ord_batch', '1 hour', 10);
-- delayed: heads to the delayed table, the others pending with their delay
SELECT * FROM pgmq_c.send_batch('ord_batch', ARRAY['{"m": "d1"}', '{"m": "d2"}', '{"m": "b4"}']::jsonb[],
       delay => '1 hour', ordering_keys => ARRAY['d', 'd', 'b']);
SELECT msg_id, m, ordering_key, place FROM pgmqc_test.ord_where('ord_batch') WHERE msg_id > 8;
-- all elements NULL: none has a key
SELECT * FROM pgmq_c.send_batch('ord_batch', ARRAY['{"m": "u3"}', '{"m": "u4"}']::jsonb[],
       ordering_keys => ARRAY[NULL, NULL]::text[]);
-- an ordering_keys array of NULL: no keys
SELECT * FROM pgmq_c.send_batch('ord_batch', ARRAY['{"m": "u5"}']::jsonb[], ordering_keys => NULL);
SELECT msg_id, m, ordering_key, place FROM pgmqc_test.ord_where('ord_batch') WHERE msg_id > 11;

--
-- 8. metrics(): pending messages count in queue_length and delayed_length
-- (not visible yet); purge_queue counts them and forgets every key
--
SELECT queue_length, visible_length, delayed_length, in_flight_length, total_messages
  FROM pgmq_c.metrics('ord_batch');
-- metrics_all() counts a small queue by scanning its tables: the same
SELECT a.queue_length = m.queue_length AND a.delayed_length = m.delayed_length
       AND a.visible_length = m.visible_length AS metrics_all_agrees
  FROM pgmq_c.metrics_all() a, pgmq_c.metrics('ord_batch') m
 WHERE a.queue_name = 'ord_batch';
-- ... and by the statement where the scan stops (over
-- metrics_exact_limit, or a partitioned archive): the same, pending
-- messages included (before, metrics_all() left them out there)
SET pgmq_c.metrics_exact_limit = 1;
SELECT a.queue_length = m.queue_length AND a.delayed_length = m.delayed_length
       AND a.visible_length = m.visible_length
       AND a.length_is_exact = m.length_is_exact AS metrics_all_agrees,
       a.length_is_exact
  FROM pgmq_c.metrics_all() a, pgmq_c.metrics('ord_batch') m
 WHERE a.queue_name = 'ord_batch';
RESET pgmq_c.metrics_exact_limit;
SELECT pgmq_c.purge_queue('ord_batch');
SELECT * FROM pgmqc_test.ord_where('ord_batch');
SELECT * FROM pgmqc_test.ord_keys('ord_batch');
SELECT queue_length, visible_length, delayed_length, in_flight_length
  FROM pgmq_c.metrics('ord_batch');
-- a key sent to again starts with a head
SELECT pgmq_c.send('ord_batch', '{"m": "b5"}', ordering_key => 'b');
SELECT msg_id, m, ordering_key, place FROM pgmqc_test.ord_where('ord_batch');

--
-- 9. CALL receive shows the ordering key too
--
CALL pgmq_c.receive('ord_batch', '1 hour', 5) \gset
SELECT m.msg_id, m.read_ct, m.message->>'m' AS m, m.ordering_key
  FROM unnest(:'messages'::pgmq_c.message[]) m;
-- dropping the queue drops its pending and keys tables
SELECT queue_id AS ord_batch_id FROM pgmq_c.list_queues() WHERE queue_name = 'ord_batch' \gset
SELECT pgmq_c.drop_queue('ord_batch');
SELECT to_regclass('pgmq_c.p_' || :ord_batch_id) AS pending_table,
       to_regclass('pgmq_c.k_' || :ord_batch_id) AS keys_table;

--
-- 10. A topic with two consumer groups: each group delivers a key's
-- messages in order, one at a time; ga acknowledges, gb does not
--
SELECT pgmq_c.create_topic('ord_t');
SELECT pgmq_c.create_group('ord_t', 'ga', 'earliest', '1 hour');
SELECT pgmq_c.create_group('ord_t', 'gb', 'earliest', '1 hour');
SELECT pgmq_c.send('ord_t', '{"m": "a1"}', ordering_key => 'a'),
       pgmq_c.send('ord_t', '{"m": "b1"}', ordering_key => 'b'),
       pgmq_c.send('ord_t', '{"m": "u1"}'),
       pgmq_c.send('ord_t', '{"m": "a2"}', ordering_key => 'a');
SELECT * FROM pgmq_c.send_batch('ord_t',
       ARRAY['{"m": "a3"}', '{"m": "b2"}', '{"m": "u2"}', '{"m": "c1"}', '{"m": "a4"}']::jsonb[],
       ordering_keys => ARRAY['a', 'b', NULL, 'c', 'a']);
-- a delayed head (d1, an hour) and a message of its key behind it
SELECT pgmq_c.send('ord_t', '{"m": "d1"}', NULL, '1 hour', 'd'),
       pgmq_c.send('ord_t', '{"m": "d2"}', ordering_key => 'd');
-- each group: the heads and the unkeyed messages, with their keys
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('ord_t', 'ga', '1 hour', 20);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('ord_t', 'gb', '1 hour', 20);
SELECT count(*) AS ga_more FROM pgmq_c.read_group('ord_t', 'ga', '1 hour', 20);
-- ga acknowledges a1: a2 follows in ga only
SELECT pgmq_c.ack('ord_t', 'ga', 1, read_ct => 1);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('ord_t', 'ga', '1 hour', 20);
SELECT count(*) AS gb_more FROM pgmq_c.read_group('ord_t', 'gb', '1 hour', 20);
-- ga acknowledges a2 and b1 (the array form): a3 and b2 follow
SELECT * FROM pgmq_c.ack('ord_t', 'ga', ARRAY[4, 2]::bigint[]);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('ord_t', 'ga', '1 hour', 20);
-- gb: a nack without a delay gives a1 again, not a2
SELECT pgmq_c.nack('ord_t', 'gb', 1::bigint);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('ord_t', 'gb', '1 hour', 20);
-- a nack with a delay: nothing of a
SELECT pgmq_c.nack('ord_t', 'gb', 1::bigint, '1 hour');
SELECT count(*) AS gb_during_delay FROM pgmq_c.read_group('ord_t', 'gb', '1 hour', 20);
-- set_vt (the group form shows the key) ending the lease; an expired lease
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.set_vt('ord_t', 'gb', 1, '0');
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read_group('ord_t', 'gb', '0', 20);
SELECT msg_id, read_ct, message->>'m' AS m FROM pgmq_c.read_group('ord_t', 'gb', '1 hour', 20);
-- a retry backoff: a1's expired lease makes it wait, and its key with it
SELECT pgmq_c.alter_group('ord_t', 'gb', retry_backoff => '1 hour', retry_backoff_max => '1 hour');
SELECT count(*) AS lease_ended FROM pgmq_c.set_vt('ord_t', 'gb', 1, '0');
SELECT count(*) AS gb_during_backoff FROM pgmq_c.read_group('ord_t', 'gb', '1 hour', 20);
SELECT 'pgmq_c.g_' || g.group_id AS gb_table
  FROM pgmq_c.groups g JOIN pgmq_c.queues q ON q.queue_id = g.topic_id
 WHERE q.queue_name = 'ord_t' AND g.group_name = 'gb' \gset
SELECT msg_id, read_ct, leased, vt > clock_timestamp() + interval '50 minutes' AS backing_off
  FROM :gb_table WHERE ordering_key = 'a' ORDER BY msg_id;
-- CALL receive_group shows the key; gb's b2 follows its acknowledged b1
SELECT pgmq_c.ack('ord_t', 'gb', 2);
CALL pgmq_c.receive_group('ord_t', 'gb', '1 hour', 20) \gset
SELECT m.msg_id, m.read_ct, m.message->>'m' AS m, m.ordering_key
  FROM unnest(:'messages'::pgmq_c.message[]) m;
-- a dead letter (max_deliveries, to a dead-letter queue) lets the next follow
SELECT pgmq_c.create_queue('ord_t_dlq');
SELECT pgmq_c.alter_group('ord_t', 'gb', max_deliveries => 1, dead_letter_queue => 'ord_t_dlq',
       retry_backoff => '0');
SELECT pgmq_c.nack('ord_t', 'gb', 1::bigint);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('ord_t', 'gb', '1 hour', 20);
SELECT message->>'m' AS m, headers->'pgmq_c_dead_letter'->>'group' AS from_group
  FROM pgmq_c.read('ord_t_dlq', '1 hour', 10);
-- the delayed head d1, made due now, comes before d2, in each group
SELECT count(*) AS made_due FROM pgmq_c.set_vt('ord_t', 'ga', 10, '0');
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('ord_t', 'ga', '1 hour', 20);
SELECT pgmq_c.ack('ord_t', 'ga', 10);
SELECT msg_id, read_ct, message->>'m' AS m, ordering_key FROM pgmq_c.read_group('ord_t', 'ga', '1 hour', 20);
SELECT pgmq_c.drop_topic('ord_t');
SELECT pgmq_c.drop_queue('ord_t_dlq');

--
-- 11. Bad input: an error with a fitting SQLSTATE, and nothing stored
--
SELECT pgmq_c.create_queue('ord_bad');
SELECT pgmq_c.create_topic('ord_bad_t');
-- keys are 1 to 256 bytes (22023)
SELECT pgmqc_test.try($$SELECT pgmq_c.send('ord_bad', '{}', ordering_key => '')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('ord_bad', '{}', ordering_key => repeat('k', 257))$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('ord_bad_t', '{}', ordering_key => '')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('ord_bad_t', '{}', ordering_key => repeat('k', 257))$$);
-- bytes, not characters: 128 two-byte characters are 256 bytes, one more
-- byte is too many
SELECT octet_length(repeat('é', 128)) AS bytes, length(repeat('é', 128)) AS chars;
SELECT pgmqc_test.try($$SELECT pgmq_c.send('ord_bad', '{}', ordering_key => repeat('é', 128) || 'x')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('ord_bad', ARRAY['{}']::jsonb[], ordering_keys => ARRAY[repeat('é', 128) || 'x'])$$);
-- in send_batch: an empty or over-long element
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('ord_bad', ARRAY['{}', '{}']::jsonb[], ordering_keys => ARRAY['k', ''])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('ord_bad', ARRAY['{}', '{}']::jsonb[], ordering_keys => ARRAY[NULL, repeat('k', 257)])$$);
-- arrays of the wrong length, or of two dimensions (2202E)
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('ord_bad', ARRAY['{}', '{}']::jsonb[], ordering_keys => ARRAY['k'])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('ord_bad', ARRAY['{}']::jsonb[], ordering_keys => ARRAY['k', 'l'])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('ord_bad', ARRAY['{}']::jsonb[], ordering_keys => '{}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('ord_bad', ARRAY['{}', '{}']::jsonb[], ordering_keys => '{{k}, {l}}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('ord_bad_t', ARRAY['{}', '{}']::jsonb[], ordering_keys => ARRAY['k'])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('ord_bad_t', ARRAY['{}', '{}']::jsonb[], ordering_keys => '{{k}, {l}}')$$);
SELECT queue_length FROM pgmq_c.metrics('ord_bad');
SELECT queue_length FROM pgmq_c.metrics('ord_bad_t');
-- 256 bytes are fine, in bytes of one or of two bytes each, to a queue and a topic
SELECT pgmq_c.send('ord_bad', '{"m": "k1"}', ordering_key => repeat('k', 256)),
       pgmq_c.send('ord_bad', '{"m": "e1"}', ordering_key => repeat('é', 128)),
       pgmq_c.send('ord_bad', '{"m": "k2"}', ordering_key => repeat('k', 256));
SELECT msg_id, message->>'m' AS m, octet_length(ordering_key) AS key_bytes
  FROM pgmq_c.read('ord_bad', '1 hour', 10);
SELECT * FROM pgmq_c.send_batch('ord_bad_t', ARRAY['{"m": "k1"}', '{"m": "e1"}']::jsonb[],
       ordering_keys => ARRAY[repeat('k', 256), repeat('é', 128)]);
SELECT pgmq_c.drop_queue('ord_bad');
SELECT pgmq_c.drop_topic('ord_bad_t');

-- releasing a key (its count, its next message made the head) runs
-- without statements: a next message still delayed goes to the delayed
-- table, and the key's row goes with its last message; a keys table a
-- superuser gave a trigger gets the statements, which fire it
SELECT pgmq_c.create_queue('ord_direct');
SELECT format('pgmq_c.k_%s', queue_id) AS ord_direct_keys
  FROM pgmq_c.list_queues() WHERE queue_name = 'ord_direct' \gset
SELECT pgmq_c.send('ord_direct', '{"m": "a1"}', ordering_key => 'a') AS a1 \gset
SELECT pgmq_c.send('ord_direct', '{"m": "a2"}', ordering_key => 'a') AS a2 \gset
SELECT pgmq_c.send('ord_direct', '{"m": "a3"}', ordering_key => 'a', delay => '1 hour') AS a3 \gset
SELECT message->>'m' AS m FROM pgmq_c.read('ord_direct', '1 hour', 10);
SELECT pgmq_c.delete('ord_direct', :a1) AS deleted;
SELECT ordering_key, messages FROM :ord_direct_keys;
SELECT message->>'m' AS m, read_ct, ordering_key FROM pgmq_c.read('ord_direct', '1 hour', 10);
SELECT pgmq_c.delete('ord_direct', :a2) AS deleted;
SELECT visible_length, delayed_length FROM pgmq_c.metrics('ord_direct');
SELECT m, ordering_key, place FROM pgmqc_test.ord_where('ord_direct');
SELECT pgmq_c.delete('ord_direct', :a3) AS deleted;
SELECT count(*) AS key_rows FROM :ord_direct_keys;
CREATE FUNCTION ord_direct_seen() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'keys row of % %', OLD.ordering_key, lower(TG_OP); RETURN NULL; END $$;
CREATE TRIGGER ord_direct_seen AFTER UPDATE OR DELETE ON :ord_direct_keys
  FOR EACH ROW EXECUTE FUNCTION ord_direct_seen();
SELECT pgmq_c.send('ord_direct', '{"m": "b1"}', ordering_key => 'b') AS b1 \gset
SELECT pgmq_c.send('ord_direct', '{"m": "b2"}', ordering_key => 'b') AS b2 \gset
SELECT message->>'m' AS m FROM pgmq_c.read('ord_direct', '1 hour', 10);
SELECT pgmq_c.delete('ord_direct', :b1) AS deleted;
SELECT message->>'m' AS m FROM pgmq_c.read('ord_direct', '1 hour', 10);
SELECT pgmq_c.delete('ord_direct', :b2) AS deleted;
SELECT count(*) AS key_rows FROM :ord_direct_keys;
DROP TRIGGER ord_direct_seen ON :ord_direct_keys;
DROP FUNCTION ord_direct_seen();
-- a pending table's index a superuser made on (ordering_key, msg_id DESC),
-- first in the table's index list once pgmq_c's own is rebuilt
-- concurrently: the release keeps to send order and makes c2 the head, not c3
SELECT format('pgmq_c.p_%s', queue_id) AS ord_direct_pending
  FROM pgmq_c.list_queues() WHERE queue_name = 'ord_direct' \gset
SELECT i.indexrelid::regclass AS ord_direct_pending_index
  FROM pg_index i
 WHERE i.indrelid = :'ord_direct_pending'::regclass
   AND pg_get_indexdef(i.indexrelid) LIKE '%(ordering_key, msg_id)' \gset
CREATE INDEX ord_direct_newest ON :ord_direct_pending (ordering_key, msg_id DESC);
REINDEX INDEX CONCURRENTLY :ord_direct_pending_index;
SELECT pgmq_c.send('ord_direct', '{"m": "c1"}', ordering_key => 'c') AS c1 \gset
SELECT pgmq_c.send('ord_direct', '{"m": "c2"}', ordering_key => 'c') AS c2 \gset
SELECT pgmq_c.send('ord_direct', '{"m": "c3"}', ordering_key => 'c') AS c3 \gset
SELECT message->>'m' AS m FROM pgmq_c.read('ord_direct', '1 hour', 10);
SELECT pgmq_c.delete('ord_direct', :c1) AS deleted;
SELECT message->>'m' AS m FROM pgmq_c.read('ord_direct', '1 hour', 10);
DROP INDEX pgmq_c.ord_direct_newest;
SELECT pgmq_c.drop_queue('ord_direct');

DROP FUNCTION pgmqc_test.ord_where(text), pgmqc_test.ord_keys(text);
