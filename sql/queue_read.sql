-- queue_read: leases, order, redelivery, pop
-- uses the queue "orders" from queue_basic: msg_ids first_id .. first_id+5
SELECT 'pgmq_c.q_' || queue_id AS orders_t FROM pgmq_c.list_queues() WHERE queue_name = 'orders' \gset
SELECT min(msg_id) AS first_id FROM :orders_t \gset

-- oldest first, up to qty, each leased: read_ct becomes 1
SELECT msg_id - :first_id AS rel_id, read_ct, message
  FROM pgmq_c.read('orders', '1 hour', 2);
-- the next read skips the leased ones
SELECT msg_id - :first_id AS rel_id, read_ct
  FROM pgmq_c.read('orders', '1 hour', 1);
-- the lease end is vt from now
SELECT count(*) AS leased_for_about_an_hour
  FROM :orders_t
 WHERE vt BETWEEN clock_timestamp() + interval '59 minutes'
              AND clock_timestamp() + interval '61 minutes';

-- vt NULL means the queue's visibility_timeout (orders: 30 seconds)
SELECT msg_id - :first_id AS rel_id,
       vt - clock_timestamp() BETWEEN interval '29 seconds' AND interval '31 seconds' AS vt_is_default
  FROM pgmq_c.read('orders', NULL, 1);

-- asking for more than there is returns what is visible
SELECT msg_id - :first_id AS rel_id FROM pgmq_c.read('orders', '1 hour', 100);
SELECT count(*) AS nothing_visible FROM pgmq_c.read('orders', '1 hour', 100);

-- an expired lease makes the message visible again, with read_ct 2:
-- a read with vt 0 leases until "now", so the message is visible at once
SELECT pgmq_c.create_queue('leases');
SELECT pgmq_c.send('leases', '{"job": 1}') AS job \gset
SELECT read_ct FROM pgmq_c.read('leases', '0 seconds', 1);
SELECT read_ct FROM pgmq_c.read('leases', '0 seconds', 1);
SELECT msg_id = :job AS same_message, read_ct FROM pgmq_c.read('leases', '1 hour', 1);
SELECT count(*) FROM pgmq_c.read('leases', '1 hour', 1);

-- set_vt '0' is a nack: visible again at once, read_ct counts on
SELECT msg_id = :job AS same_message, read_ct FROM pgmq_c.set_vt('leases', :job, '0');
SELECT read_ct FROM pgmq_c.read('leases', '1 hour', 1);

-- pop reads and deletes at once
SELECT pgmq_c.send('leases', '{"job": 2}') AS job2 \gset
SELECT msg_id = :job2 AS is_job2, read_ct, message FROM pgmq_c.pop('leases');
SELECT 'pgmq_c.q_' || queue_id AS leases_t FROM pgmq_c.list_queues() WHERE queue_name = 'leases' \gset
SELECT count(*) AS job2_left FROM :leases_t WHERE msg_id = :job2;
SELECT count(*) AS pop_again FROM pgmq_c.pop('leases', 5);
-- pop skips leased messages too (job 1 is leased for an hour)
SELECT count(*) AS still_leased FROM pgmq_c.metrics('leases') WHERE in_flight_length = 1;

-- qty can be given by name; results are ordered by msg_id
SELECT pgmq_c.create_queue('many');
SELECT count(*) FROM pgmq_c.send_batch('many', array_fill('{"x": 1}'::jsonb, ARRAY[50]));
WITH r AS (SELECT msg_id, read_ct, row_number() OVER () AS pos
             FROM pgmq_c.read('many', qty => 20, vt => '1 hour'))
SELECT count(*), min(read_ct), max(read_ct), bool_and(pos = rnk) AS in_msg_id_order
  FROM (SELECT *, row_number() OVER (ORDER BY msg_id) AS rnk FROM r) s;
SELECT count(*) AS rest FROM pgmq_c.read('many', '1 hour', 10000);
SELECT pgmq_c.drop_queue('many');

-- 300 leased messages at the head: a claim that found its first message
-- that far past the watermark starts there for a while (so it does not
-- walk the leases again), and one that finds nothing from there looks from
-- the watermark again: a lease that expired behind the start is delivered
-- all the same (in either order with the one after the start)
SELECT pgmq_c.create_queue('leased_head');
SELECT count(*) AS sent FROM pgmq_c.send_batch('leased_head', array_fill('{"x": 1}'::jsonb, ARRAY[302]));
SELECT min(msg_id) AS lh1 FROM pgmq_c.read('leased_head', '1 hour', 300) \gset
SELECT msg_id - :lh1 AS rel_id FROM pgmq_c.read('leased_head', '1 hour', 1);
SELECT msg_id - :lh1 AS rel_id, read_ct FROM pgmq_c.set_vt('leased_head', :lh1, '0');
SELECT msg_id - :lh1 AS ra FROM pgmq_c.read('leased_head', '1 hour', 1) \gset
SELECT msg_id - :lh1 AS rb FROM pgmq_c.read('leased_head', '1 hour', 1) \gset
SELECT ARRAY[least(:ra, :rb), greatest(:ra, :rb)] AS rel_ids;
SELECT count(*) AS nothing_left FROM pgmq_c.read('leased_head', '1 hour', 1);
SELECT pgmq_c.drop_queue('leased_head');

-- a backlog's leases are HOT updates: a queue's messages table keeps half
-- of each page free (fillfactor 50), room for a new version of every row
-- (at 70, the fillfactor before 0.8.0, 468 of these 1,000 were)
SELECT pgmq_c.create_queue('hot_leases');
SELECT count(*) AS sent FROM pgmq_c.send_batch('hot_leases',
  ARRAY(SELECT jsonb_build_object('n', i, 'pad', repeat('x', 100)) FROM generate_series(1000, 1999) i));
BEGIN;
SELECT count(*) AS leased FROM pgmq_c.read('hot_leases', '1 hour', 1000);
SELECT s.n_tup_upd AS updates, s.n_tup_hot_upd AS hot_updates
  FROM pg_stat_xact_user_tables s, pgmq_c.queues q
 WHERE q.queue_name = 'hot_leases' AND s.relid = format('pgmq_c.q_%s', q.queue_id)::regclass;
COMMIT;
SELECT pgmq_c.drop_queue('hot_leases');
