-- redrive_keys: a dead letter keeps its ordering key (in its headers, key
-- pgmq_c_dead_letter's "ordering_key"), and redrive gives it back: to a
-- queue as the key's last message, behind the key's messages in flight and
-- pending; to its consumer group under its msg_id, but never while a
-- message of its key is in flight in the group.  A nack at the last
-- delivery moves a message at once, so the worker changes nothing below.

SELECT pgmq_c.create_queue('rk_dlq');
SELECT pgmq_c.create_queue('rk_q', max_deliveries => 1, dead_letter_queue => 'rk_dlq');
\set dlq 'SELECT message->>\'step\' AS step, ordering_key, headers->\'pgmq_c_dead_letter\'->>\'queue\' AS queue, headers->\'pgmq_c_dead_letter\'->>\'topic\' AS topic, headers->\'pgmq_c_dead_letter\'->>\'msg_id\' AS from_id, headers->\'pgmq_c_dead_letter\'->>\'ordering_key\' AS dead_key, headers->\'h\' AS h FROM pgmq_c.read(\'rk_dlq\', \'1 millisecond\', 10) ORDER BY msg_id'

--
-- A queue: created (dead-lettered), paid (in flight), redrive, shipped
--
SELECT pgmq_c.send('rk_q', '{"step": "created"}', '{"h": 1}', ordering_key => 'order-17');
SELECT pgmq_c.send('rk_q', '{"step": "paid"}', ordering_key => 'order-17');
SELECT pgmq_c.send('rk_q', '{"step": "unkeyed"}');
SELECT msg_id, message->>'step' AS step, ordering_key FROM pgmq_c.read('rk_q', '1 hour', 10);
SELECT pgmq_c.nack('rk_q', 1::bigint);
SELECT pgmq_c.nack('rk_q', 3::bigint);
-- the dead letters: no ordering key of their own (a dead-letter queue
-- delivers them side by side), the key in their headers; none for the
-- unkeyed message
:dlq;
SELECT pg_sleep(0.01);
SELECT msg_id, message->>'step' AS step, ordering_key FROM pgmq_c.read('rk_q', '1 hour', 10);
-- redrive while paid is leased: created goes behind it, with its key and
-- its headers as they were; the unkeyed one is visible at once
SELECT pgmq_c.redrive('rk_dlq');
SELECT msg_id, message->>'step' AS step, headers, ordering_key FROM pgmq_c.read('rk_q', '1 hour', 10);
-- a later message of the key goes behind the redriven one
SELECT pgmq_c.send('rk_q', '{"step": "shipped"}', ordering_key => 'order-17');
SELECT msg_id, message->>'step' AS step FROM pgmq_c.read('rk_q', '1 hour', 10);
SELECT pgmq_c.delete('rk_q', 2::bigint);
SELECT msg_id, message->>'step' AS step, headers, ordering_key FROM pgmq_c.read('rk_q', '1 hour', 10);
SELECT msg_id, message->>'step' AS step FROM pgmq_c.read('rk_q', '1 hour', 10);
SELECT pgmq_c.delete('rk_q', 4::bigint);
SELECT msg_id, message->>'step' AS step, ordering_key FROM pgmq_c.read('rk_q', '1 hour', 10);
SELECT pgmq_c.purge_queue('rk_q');

-- to_queue: the key goes with it there too
SELECT pgmq_c.create_queue('rk_other');
SELECT pgmq_c.send('rk_q', '{"step": "created"}', ordering_key => 'order-18');
SELECT msg_id FROM pgmq_c.read('rk_q', '1 hour', 1);
SELECT pgmq_c.nack('rk_q', 7::bigint);
SELECT pgmq_c.redrive('rk_dlq', to_queue => 'rk_other');
SELECT message->>'step' AS step, ordering_key, headers->'pgmq_c_dead_letter'->>'ordering_key' AS dead_key
  FROM pgmq_c.read('rk_other', '1 hour', 10);
SELECT pgmq_c.drop_queue('rk_other');

-- a queue without a dead-letter queue: the archived dead letter says its key
SELECT pgmq_c.create_queue('rk_arch', max_deliveries => 1);
SELECT pgmq_c.send('rk_arch', '{"step": "created"}', ordering_key => 'order-19');
SELECT msg_id FROM pgmq_c.read('rk_arch', '1 hour', 1);
SELECT pgmq_c.nack('rk_arch', 1::bigint);
SELECT msg_id, headers->'pgmq_c_dead_letter'->>'ordering_key' AS dead_key FROM pgmq_c.read_archive('rk_arch');
SELECT pgmq_c.drop_queue('rk_arch');

-- a key in a sender's headers that send() would not take is not given
-- back (1 to 256 bytes): the message goes back without a key
SELECT pgmq_c.send('rk_dlq', '{"step": "forged"}',
       jsonb_build_object('pgmq_c_dead_letter', jsonb_build_object('queue', 'rk_q', 'ordering_key', repeat('x', 257))));
SELECT pgmq_c.redrive('rk_dlq');
SELECT message->>'step' AS step, ordering_key FROM pgmq_c.read('rk_q', '1 hour', 10);
SELECT pgmq_c.drop_queue('rk_q');

--
-- A consumer group: created (dead-lettered), paid (in flight), redrive
--
SELECT pgmq_c.create_topic('rk_t');
SELECT pgmq_c.create_group('rk_t', 'g', 'earliest', max_deliveries => 1, dead_letter_queue => 'rk_dlq');
SELECT pgmq_c.send('rk_t', '{"step": "created"}', '{"h": 2}', ordering_key => 'order-17');
SELECT pgmq_c.send('rk_t', '{"step": "paid"}', ordering_key => 'order-17');
SELECT msg_id, message->>'step' AS step, ordering_key FROM pgmq_c.read_group('rk_t', 'g', '1 hour', 10);
SELECT pgmq_c.nack('rk_t', 'g', 1::bigint);
:dlq;
SELECT pg_sleep(0.01);
SELECT msg_id, message->>'step' AS step, ordering_key FROM pgmq_c.read_group('rk_t', 'g', '1 hour', 10);
-- paid is leased: created stays in the dead-letter queue (NOTICE), and is
-- not delivered beside paid
SELECT pgmq_c.redrive('rk_dlq');
SELECT msg_id, message->>'step' AS step FROM pgmq_c.read_group('rk_t', 'g', '1 hour', 10);
SELECT count(*) AS dead_letters FROM pgmq_c.read('rk_dlq', '1 millisecond', 10);
-- (that read's lease of the dead letter ends)
SELECT pg_sleep(0.01);
-- a lease made longer keeps paid in flight: still not
SELECT msg_id FROM pgmq_c.set_vt('rk_t', 'g', 2::bigint, '2 hours');
SELECT pgmq_c.redrive('rk_dlq');
-- paid acknowledged, then shipped sent: created goes back under its
-- msg_id, the key's first message in the group, before shipped
SELECT pgmq_c.ack('rk_t', 'g', 2::bigint);
SELECT pgmq_c.send('rk_t', '{"step": "shipped"}', ordering_key => 'order-17');
SELECT pgmq_c.redrive('rk_dlq');
SELECT msg_id, message->>'step' AS step, read_ct, headers, ordering_key FROM pgmq_c.read_group('rk_t', 'g', '1 hour', 10);
SELECT msg_id, message->>'step' AS step FROM pgmq_c.read_group('rk_t', 'g', '1 hour', 10);
SELECT pgmq_c.ack('rk_t', 'g', 1::bigint);
SELECT msg_id, message->>'step' AS step, read_ct FROM pgmq_c.read_group('rk_t', 'g', '1 hour', 10);
-- an unkeyed dead letter of the group goes back whatever is in flight
SELECT pgmq_c.send('rk_t', '{"step": "unkeyed"}');
SELECT msg_id, message->>'step' AS step FROM pgmq_c.read_group('rk_t', 'g', '1 hour', 10);
SELECT pgmq_c.nack('rk_t', 'g', 4::bigint);
:dlq;
SELECT pg_sleep(0.01);
SELECT pgmq_c.redrive('rk_dlq');
SELECT msg_id, message->>'step' AS step, ordering_key FROM pgmq_c.read_group('rk_t', 'g', '1 hour', 10);

--
-- A dead letter dead-lettered again, by its dead-letter queue's own policy:
-- the second dead-letter key keeps the first as "previous", and each
-- redrive takes one step back, the last to the queue it was sent to, with
-- its ordering key and headers (before, the second key replaced the first:
-- the message could never go back, and its key was lost)
--
SELECT pgmq_c.create_queue('rk_dlq2');
SELECT pgmq_c.create_queue('rk_dlq1', max_deliveries => 1, dead_letter_queue => 'rk_dlq2');
SELECT pgmq_c.create_queue('rk_src', max_deliveries => 1, dead_letter_queue => 'rk_dlq1');
SELECT pgmq_c.send('rk_src', '{"step": "twice"}', '{"h": 2}', ordering_key => 'order-18') AS src_id;
SELECT count(*) FROM pgmq_c.read('rk_src', '1 hour', 1);
SELECT pgmq_c.nack('rk_src', 1::bigint);
SELECT count(*) FROM pgmq_c.read('rk_dlq1', '1 hour', 1);
SELECT pgmq_c.nack('rk_dlq1', 1::bigint, reason => 'still failing');
SELECT headers->'h' AS h,
       headers->'pgmq_c_dead_letter'->>'queue' AS queue,
       headers->'pgmq_c_dead_letter'->>'reason' AS reason,
       headers->'pgmq_c_dead_letter'->'ordering_key' AS key,
       headers->'pgmq_c_dead_letter'->'previous'->>'queue' AS previous_queue,
       headers->'pgmq_c_dead_letter'->'previous'->>'ordering_key' AS previous_key
  FROM pgmq_c.read('rk_dlq2', '1 millisecond', 1);
SELECT pg_sleep(0.01);
SELECT pgmq_c.redrive('rk_dlq2');
SELECT msg_id, ordering_key, headers->'h' AS h,
       headers->'pgmq_c_dead_letter'->>'queue' AS queue,
       headers->'pgmq_c_dead_letter'->>'ordering_key' AS dead_key,
       headers->'pgmq_c_dead_letter' ? 'previous' AS has_previous
  FROM pgmq_c.read('rk_dlq1', '1 millisecond', 1);
SELECT pg_sleep(0.01);
SELECT pgmq_c.redrive('rk_dlq1');
SELECT msg_id, message->>'step' AS step, headers, ordering_key FROM pgmq_c.read('rk_src', '1 hour', 1);
SELECT pgmq_c.drop_queue(q) FROM unnest('{rk_src,rk_dlq1,rk_dlq2}'::text[]) q;

SELECT pgmq_c.drop_topic('rk_t');
SELECT pgmq_c.drop_queue('rk_dlq');
