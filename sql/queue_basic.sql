-- queue_basic: creating, listing and dropping queues; send and send_batch

SELECT pgmq_c.create_queue('orders');
SELECT pgmq_c.create_queue('Orders', visibility_timeout => '5 minutes');
-- creating an existing queue is a no-op (with a notice), even with another vt
SELECT pgmq_c.create_queue('orders', '1 minute');
SELECT pgmq_c.create_queue('a-b_c-9');
SELECT pgmq_c.create_queue(repeat('x', 80));

-- names are case-sensitive: orders and Orders are two queues
SELECT queue_name, visibility_timeout FROM pgmq_c.list_queues();

-- the tables are named after the queue id, never after the user's name,
-- and so are their comments: every role can read pg_description, while
-- the names are only in pgmq_c's catalog
SELECT queue_id AS orders_id
  FROM pgmq_c.queues WHERE queue_name = 'orders' \gset
SELECT c.relname, obj_description(c.oid, 'pg_class')
  FROM pg_class c
 WHERE c.relnamespace = 'pgmq_c'::regnamespace AND c.relkind = 'r'
   AND c.relname ~ ('^[qda]_' || :orders_id || '$')
 ORDER BY 1;
SELECT count(*) AS comments_with_a_name
  FROM pg_description d JOIN pgmq_c.queues q
    ON d.description LIKE '%' || q.queue_name || '%'
 WHERE d.classoid = 'pg_class'::regclass;

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
SELECT queue_id AS abc_id FROM pgmq_c.queues WHERE queue_name = 'a-b_c-9' \gset
SELECT pgmq_c.drop_queue('a-b_c-9');
SELECT pgmq_c.drop_queue('a-b_c-9');
SELECT pgmq_c.drop_queue(repeat('x', 80));
SELECT queue_name FROM pgmq_c.list_queues();
SELECT count(*) AS leftover_tables
  FROM pg_class c
 WHERE c.relnamespace = 'pgmq_c'::regnamespace
   AND c.relname ~ ('^[qda]_' || :abc_id || '(_|$)');

-- a dropped queue can be created again, empty
SELECT pgmq_c.drop_queue('Orders');
SELECT pgmq_c.create_queue('Orders');
SELECT count(*) FROM pgmq_c.read('Orders', '1 minute', 10);
SELECT pgmq_c.send('Orders', '{"again": true}') > 0 AS sent;
SELECT message FROM pgmq_c.read('Orders', '1 minute', 10);
SELECT pgmq_c.drop_queue('Orders');

-- send() writes a message's row into the table directly (no statement);
-- the row is there for the rest of the transaction, and a big message is
-- stored out of line and comes back whole
SELECT pgmq_c.create_queue('direct');
SELECT format('pgmq_c.q_%s', queue_id) AS direct_table
  FROM pgmq_c.list_queues() WHERE queue_name = 'direct' \gset
BEGIN;
SELECT pgmq_c.send('direct', '{"n": 1}', '{"h": 1}') AS d1 \gset
SELECT msg_id = :d1 AS same_id, read_ct, message, headers
  FROM pgmq_c.read('direct', '1 minute', 10);
SELECT read_ct, leased, reason, ordering_key, vt > enqueued_at AS leased_vt
  FROM :direct_table WHERE msg_id = :d1;
COMMIT;
SELECT pgmq_c.send('direct',
                   jsonb_build_object('big', (SELECT string_agg(md5(i::text), '')
                                                FROM generate_series(1, 20000) i))) AS d2 \gset
SELECT md5(message ->> 'big') = (SELECT md5(string_agg(md5(i::text), ''))
                                   FROM generate_series(1, 20000) i) AS big_intact,
       length(message ->> 'big') AS big_length
  FROM pgmq_c.read('direct', '1 minute', 10);
SELECT pg_relation_size(reltoastrelid) > 0 AS stored_out_of_line
  FROM pg_class WHERE oid = :'direct_table'::regclass;

-- a table a superuser changed gets the statement instead: its trigger
-- fires, its CHECK constraint holds, a column it added takes its default
CREATE FUNCTION direct_seen() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'trigger saw message %', NEW.message; RETURN NEW; END $$;
CREATE TRIGGER direct_seen BEFORE INSERT ON :direct_table
  FOR EACH ROW EXECUTE FUNCTION direct_seen();
SELECT pgmq_c.send('direct', '{"n": 3}') > :d2 AS sent_through_trigger;
DROP TRIGGER direct_seen ON :direct_table;
DROP FUNCTION direct_seen();
ALTER TABLE :direct_table ADD CONSTRAINT direct_ok CHECK (message ? 'ok') NOT VALID;
DO $$
BEGIN
  PERFORM pgmq_c.send('direct', '{"n": 4}');
EXCEPTION WHEN check_violation THEN
  RAISE NOTICE 'send refused by the CHECK constraint (SQLSTATE %)', SQLSTATE;
END $$;
SELECT pgmq_c.send('direct', '{"ok": 4}') > :d2 AS sent_past_check;
ALTER TABLE :direct_table DROP CONSTRAINT direct_ok;
ALTER TABLE :direct_table ADD COLUMN note text DEFAULT 'added';
SELECT pgmq_c.send('direct', '{"n": 5}') AS d5 \gset
SELECT message, note FROM :direct_table WHERE msg_id = :d5;
ALTER TABLE :direct_table DROP COLUMN note;
-- a dropped column is left empty by the direct write
SELECT pgmq_c.send('direct', '{"n": 6}') AS d6 \gset
SELECT message FROM :direct_table WHERE msg_id = :d6;
-- delete() removes a message's row directly too, and a DELETE trigger a
-- superuser added makes it use the statement, which fires it
SELECT pgmq_c.delete('direct', :d6) AS deleted_directly;
SELECT count(*) AS left_behind FROM :direct_table WHERE msg_id = :d6;
CREATE FUNCTION direct_gone() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'trigger saw message % go', OLD.message; RETURN OLD; END $$;
CREATE TRIGGER direct_gone AFTER DELETE ON :direct_table
  FOR EACH ROW EXECUTE FUNCTION direct_gone();
SELECT pgmq_c.delete('direct', :d5) AS deleted_through_trigger;
DROP TRIGGER direct_gone ON :direct_table;
DROP FUNCTION direct_gone();
-- read() leases its messages directly too (no statement): two reads in one
-- transaction never return a message twice, the lease is written, and an
-- UPDATE trigger a superuser added makes it use the statement, which fires
-- it
SELECT pgmq_c.purge_queue('direct') >= 0 AS purged;
SELECT count(*) AS sent FROM pgmq_c.send_batch('direct', ARRAY['{"n": 7}', '{"n": 8}', '{"n": 9}']::jsonb[]);
BEGIN;
SELECT message, read_ct FROM pgmq_c.read('direct', '1 minute', 2);
SELECT message, read_ct FROM pgmq_c.read('direct', '1 minute', 10);
SELECT count(*) AS more FROM pgmq_c.read('direct', '1 minute', 10);
COMMIT;
SELECT message, read_ct, leased, vt > clock_timestamp() + interval '50 seconds' AS lease_ahead
  FROM :direct_table ORDER BY msg_id;
UPDATE :direct_table SET vt = clock_timestamp() - interval '1 second';
CREATE FUNCTION direct_leased() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'trigger saw message % leased (read_ct %)', NEW.message, NEW.read_ct; RETURN NEW; END $$;
CREATE TRIGGER direct_leased BEFORE UPDATE ON :direct_table
  FOR EACH ROW EXECUTE FUNCTION direct_leased();
SELECT message, read_ct FROM pgmq_c.read('direct', '1 minute', 1);
DROP TRIGGER direct_leased ON :direct_table;
DROP FUNCTION direct_leased();
-- a stored generated column a superuser added makes reads use the statement
-- too, which computes it anew (a direct lease would leave it stale)
ALTER TABLE :direct_table ADD COLUMN deliveries_twice integer
  GENERATED ALWAYS AS (read_ct * 2) STORED;
SELECT message, read_ct FROM pgmq_c.read('direct', '1 minute', 1);
SELECT message, read_ct, deliveries_twice FROM :direct_table ORDER BY msg_id;
ALTER TABLE :direct_table DROP COLUMN deliveries_twice;
-- a read_ct at its maximum cannot be counted up: the read fails with
-- SQLSTATE 22003 and the message stays as it was
UPDATE :direct_table SET read_ct = 2147483647, vt = '2000-01-01' WHERE message = '{"n": 8}';
DO $$
BEGIN
  PERFORM pgmq_c.read('direct', '1 minute', 10);
EXCEPTION WHEN numeric_value_out_of_range THEN
  RAISE NOTICE 'read refused: % (SQLSTATE %)', SQLERRM, SQLSTATE;
END $$;
SELECT message, read_ct, vt = '2000-01-01' AS vt_unchanged
  FROM :direct_table WHERE message = '{"n": 8}';
-- pop() takes its messages the same way and deletes them; a message stored
-- out of line comes back whole and leaves nothing behind
SELECT pgmq_c.purge_queue('direct') >= 0 AS purged;
SELECT pgmq_c.send('direct',
                   jsonb_build_object('big', (SELECT string_agg(md5(i::text), '')
                                                FROM generate_series(1, 20000) i))) AS d10 \gset
SELECT pgmq_c.send('direct', '{"n": 11}') AS d11 \gset
BEGIN;
SELECT msg_id = :d10 AS first, read_ct, md5(message ->> 'big') = (SELECT md5(string_agg(md5(i::text), ''))
                                   FROM generate_series(1, 20000) i) AS big_intact
  FROM pgmq_c.pop('direct', 1);
SELECT msg_id = :d11 AS second, read_ct, message FROM pgmq_c.pop('direct', 10);
SELECT count(*) AS more FROM pgmq_c.pop('direct', 10);
COMMIT;
SELECT count(*) AS rows_left FROM :direct_table;
-- an inheritance child a superuser gave the table: the statements (no ONLY)
-- read its rows, and so do reads, which then use them
SELECT pgmq_c.purge_queue('direct') >= 0 AS purged;
CREATE TABLE direct_child () INHERITS (:direct_table);
INSERT INTO direct_child (msg_id, message) VALUES (1000000, '{"in": "child"}');
SELECT msg_id, message, read_ct FROM pgmq_c.read('direct', '1 minute', 10);
DROP TABLE direct_child;
-- a NOT NULL constraint a superuser added holds for direct sends as for
-- the statement: a send without headers is refused (23502), one with them
-- is stored
ALTER TABLE :direct_table ALTER COLUMN headers SET NOT NULL;
DO $$
BEGIN
  PERFORM pgmq_c.send('direct', '{"n": 12}');
EXCEPTION WHEN not_null_violation THEN
  RAISE NOTICE 'send refused: % (SQLSTATE %)', regexp_replace(SQLERRM, 'q_[0-9]+', 'q_<id>'), SQLSTATE;
END $$;
SELECT pgmq_c.send('direct', '{"n": 13}', '{"h": 13}') > 0 AS sent_with_headers;
SELECT message, headers FROM :direct_table;
ALTER TABLE :direct_table ALTER COLUMN headers DROP NOT NULL;
-- a default a superuser gave a column that the send statement leaves out
-- (reason) is taken, as that statement takes it
ALTER TABLE :direct_table ALTER COLUMN reason SET DEFAULT 'from the default';
SELECT pgmq_c.send('direct', '{"n": 14}') AS d14 \gset
SELECT message, reason FROM :direct_table WHERE msg_id = :d14;
ALTER TABLE :direct_table ALTER COLUMN reason DROP DEFAULT;
SELECT pgmq_c.delete('direct', :d14) AS deleted;
-- published without a replica identity, the table refuses the lease and
-- the delete of a direct read or delete as it refuses UPDATE and DELETE
-- statements (55000), and keeps the message
ALTER TABLE :direct_table REPLICA IDENTITY NOTHING;
SET client_min_messages = error;	-- wal_level's warning
CREATE PUBLICATION direct_pub FOR TABLE :direct_table;
RESET client_min_messages;
DO $$
BEGIN
  PERFORM pgmq_c.read('direct', '1 minute', 10);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RAISE NOTICE 'read refused: % (SQLSTATE %)', regexp_replace(SQLERRM, 'q_[0-9]+', 'q_<id>'), SQLSTATE;
END $$;
DO $$
BEGIN
  PERFORM pgmq_c.pop('direct', 10);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RAISE NOTICE 'pop refused (SQLSTATE %)', SQLSTATE;
END $$;
SELECT message, read_ct FROM :direct_table;
DROP PUBLICATION direct_pub;
ALTER TABLE :direct_table REPLICA IDENTITY DEFAULT;
SELECT message, read_ct FROM pgmq_c.pop('direct', 10);
-- an index a superuser gave the delayed table on deliver_at, descending,
-- which stands first once pgmq_c's own is rebuilt concurrently (a newer
-- OID): the read's probe for due messages keeps to the ascending order,
-- so a due message is not held back by a later one
SELECT format('pgmq_c.d_%s', queue_id) AS direct_delayed
  FROM pgmq_c.list_queues() WHERE queue_name = 'direct' \gset
SELECT i.indexrelid::regclass AS direct_delayed_index
  FROM pg_index i
 WHERE i.indrelid = :'direct_delayed'::regclass
   AND pg_get_indexdef(i.indexrelid) LIKE '%(deliver_at)' \gset
SELECT pgmq_c.send('direct', '{"due": "first"}', delay => '1 hour') AS due1 \gset
SELECT pgmq_c.send('direct', '{"due": "later"}', delay => '2 hours') > 0 AS sent_later;
CREATE INDEX direct_delayed_latest ON :direct_delayed (deliver_at DESC);
REINDEX INDEX CONCURRENTLY :direct_delayed_index;
UPDATE :direct_delayed SET deliver_at = clock_timestamp() - interval '1 second'
 WHERE msg_id = :due1;
SELECT message FROM pgmq_c.read('direct', '1 minute', 10);
DROP INDEX pgmq_c.direct_delayed_latest;
SELECT pgmq_c.drop_queue('direct');

-- a NULL element of send_batch's headers is a message without headers, on
-- every path: plain, with dedup ids (or ordering keys), to a topic
SELECT pgmq_c.create_queue('hdr_nulls');
SELECT count(*) AS sent FROM pgmq_c.send_batch('hdr_nulls', ARRAY['{"n": 1}', '{"n": 2}']::jsonb[],
                                               ARRAY['{"h": 1}', NULL]::jsonb[]);
SELECT count(*) AS sent FROM pgmq_c.send_batch('hdr_nulls', ARRAY['{"n": 3}', '{"n": 4}']::jsonb[],
                                               ARRAY[NULL, '{"h": 4}']::jsonb[],
                                               dedup_ids => ARRAY['d3', 'd4']);
SELECT message, headers FROM pgmq_c.read('hdr_nulls', '1 minute', 10) ORDER BY msg_id;
SELECT pgmq_c.drop_queue('hdr_nulls');
SELECT pgmq_c.create_topic('hdr_nulls_t');
SELECT pgmq_c.create_group('hdr_nulls_t', 'g', start_at => 'earliest');
SELECT count(*) AS sent FROM pgmq_c.send_batch('hdr_nulls_t', ARRAY['{"n": 1}', '{"n": 2}']::jsonb[],
                                               ARRAY[NULL, '{"h": 2}']::jsonb[]);
SELECT message, headers FROM pgmq_c.read_group('hdr_nulls_t', 'g', '1 minute', 10) ORDER BY msg_id;
SELECT pgmq_c.drop_topic('hdr_nulls_t');
