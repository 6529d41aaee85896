-- queue_basic: creating, listing and dropping queues; send and send_batch

SELECT pgmq_c.create_queue('orders');
SELECT pgmq_c.create_queue('Orders', visibility_timeout => '5 minutes');
-- creating an existing queue is a no-op (with a notice), even with another vt
SELECT pgmq_c.create_queue('orders', '1 minute');
SELECT pgmq_c.create_queue('a-b_c-9');
SELECT pgmq_c.create_queue(repeat('x', 80));

-- names are case-sensitive: orders and Orders are two queues
SELECT queue_name, visibility_timeout FROM pgmq_c.list_queues();

-- the tables are named after the queue id, never after the user's name
SELECT c.relname, obj_description(c.oid, 'pg_class')
  FROM pg_class c
 WHERE c.relnamespace = 'pgmq_c'::regnamespace AND c.relkind = 'r'
   AND c.relname ~ '^[qda]_[0-9]+$'
   AND obj_description(c.oid, 'pg_class') LIKE '%queue orders:%'
 ORDER BY 1;

-- send returns increasing msg_ids
SELECT pgmq_c.send('orders', '{"n": 1}') AS first_id \gset
SELECT pgmq_c.send('orders', '{"n": 2}', '{"type": "created"}') - :first_id AS second_minus_first;
SELECT pgmq_c.send(queue_name => 'orders', message => '[1, 2, 3]') - :first_id AS third_minus_first;

-- send_batch returns the ids in array order, one per message
SELECT id - :first_id AS rel_id
  FROM pgmq_c.send_batch('orders',
                         ARRAY['{"n": 4}', '{"n": 5}', '{"n": 6}']::jsonb[],
                         ARRAY['{"h": 4}', '{"h": 5}', '{"h": 6}']::jsonb[]) AS id;
-- and each message went with its own headers
SELECT msg_id - :first_id AS rel_id, message, headers
  FROM pgmq_c.q_1 ORDER BY msg_id;  -- orders is the first queue: id 1

-- send_batch without headers
SELECT count(*) FROM pgmq_c.send_batch('Orders', ARRAY['{"a": 1}', '{"a": 2}']::jsonb[]);

-- a queue of one name is not touched by the other
SELECT msg_id, read_ct, message FROM pgmq_c.read('Orders', '1 minute', 10) ORDER BY msg_id;

-- drop_queue: true, then false; the tables go with it
SELECT pgmq_c.drop_queue('a-b_c-9');
SELECT pgmq_c.drop_queue('a-b_c-9');
SELECT pgmq_c.drop_queue(repeat('x', 80));
SELECT queue_name FROM pgmq_c.list_queues();
SELECT count(*) AS leftover_tables
  FROM pg_class c
 WHERE c.relnamespace = 'pgmq_c'::regnamespace
   AND obj_description(c.oid, 'pg_class') LIKE '%queue a-b_c-9:%';

-- a dropped queue can be created again, empty
SELECT pgmq_c.drop_queue('Orders');
SELECT pgmq_c.create_queue('Orders');
SELECT count(*) FROM pgmq_c.read('Orders', '1 minute', 10);
SELECT pgmq_c.send('Orders', '{"again": true}') > 0 AS sent;
SELECT message FROM pgmq_c.read('Orders', '1 minute', 10);
SELECT pgmq_c.drop_queue('Orders');
