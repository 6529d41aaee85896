-- topic_basic: topics, consumer groups, reading, acknowledging, seeking
SELECT pgmq_c.create_topic('events', '7 days', 1000);
SELECT pgmq_c.create_topic('events');            -- exists: a notice, no error
SELECT topic_name, retention, partition_size, groups FROM pgmq_c.list_topics();
-- a topic is not a queue
SELECT queue_name FROM pgmq_c.list_queues() WHERE queue_name = 'events';

-- 'earliest' sees what is already there, 'latest' only what commits later
SELECT pgmq_c.send('events', '{"n": 1}') AS m1 \gset
SELECT pgmq_c.create_group('events', 'billing', 'earliest');
SELECT pgmq_c.create_group('events', 'shipping');
SELECT pgmq_c.create_group('events', 'shipping');  -- exists: a notice
SELECT count(*) AS sent FROM pgmq_c.send_batch('events',
	ARRAY['{"n": 2}', '{"n": 3}', '{"n": 4}']::jsonb[],
	ARRAY['{"type": "a"}', '{"type": "b"}', '{"type": "a"}']::jsonb[]);

-- the message is stored once, whatever the number of groups
SELECT format('pgmq_c.t_%s', topic_id) AS log FROM pgmq_c.list_topics()
 WHERE topic_name = 'events' \gset
SELECT count(*) AS stored FROM :log;

SELECT msg_id - :m1 AS rel_id, read_ct, message, headers
  FROM pgmq_c.read_group('events', 'billing', '1 hour', 10);
SELECT msg_id - :m1 AS rel_id, read_ct, message
  FROM pgmq_c.read_group('events', 'shipping', '1 hour', 2);
-- leased: nothing more for billing; shipping has one left
SELECT count(*) FROM pgmq_c.read_group('events', 'billing', '1 hour', 10);
SELECT msg_id - :m1 AS rel_id FROM pgmq_c.read_group('events', 'shipping', '1 hour', 10);

SELECT group_name, lag, in_flight, missed, next_msg_id - :m1 AS next_rel,
       lag_is_exact, visibility_timeout, filter
  FROM pgmq_c.list_groups('events');

-- acks, in any order; an ack in one group changes nothing in another
SELECT pgmq_c.ack('events', 'billing', :m1 + 2);
SELECT pgmq_c.ack('events', 'billing', :m1 + 2);   -- already acked
SELECT x - :m1 AS acked FROM pgmq_c.ack('events', 'billing', ARRAY[:m1, :m1 + 1, :m1 + 99]) x;
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('events');

-- nack: back to the group now; read_ct counts deliveries in the group
SELECT pgmq_c.nack('events', 'billing', :m1 + 3);
SELECT msg_id - :m1 AS rel_id, read_ct FROM pgmq_c.read_group('events', 'billing', '1 hour', 10);
-- nack with a delay: not before then
SELECT pgmq_c.nack('events', 'billing', :m1 + 3, '1 hour');
SELECT count(*) FROM pgmq_c.read_group('events', 'billing', '1 hour', 10);
-- set_vt, the group form: '0' releases the lease at once
SELECT msg_id - :m1 AS rel_id, read_ct FROM pgmq_c.set_vt('events', 'billing', :m1 + 3, '0');
SELECT count(*) FROM pgmq_c.set_vt('events', 'billing', :m1 + 99, '0');
SELECT msg_id - :m1 AS rel_id, read_ct FROM pgmq_c.read_group('events', 'billing', '1 hour', 10);
SELECT pgmq_c.ack('events', 'billing', :m1 + 3);
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('events');

-- transactions: a rolled-back read or ack is undone, a rolled-back send
-- reaches no group
SELECT pgmq_c.nack('events', 'shipping', id)
  FROM unnest(ARRAY[:m1 + 1, :m1 + 2, :m1 + 3]) id;
BEGIN;
SELECT msg_id - :m1 AS rel_id, read_ct FROM pgmq_c.read_group('events', 'shipping', '1 hour', 10);
SELECT pgmq_c.ack('events', 'shipping', :m1 + 1);
SELECT pgmq_c.send('events', '{"n": "rolled back"}') > 0 AS sent;
ROLLBACK;
-- the same three again, delivered a second time (not a third)
SELECT msg_id - :m1 AS rel_id, read_ct, message
  FROM pgmq_c.read_group('events', 'shipping', '1 hour', 10);
SELECT x - :m1 AS acked FROM pgmq_c.ack('events', 'shipping', ARRAY[:m1 + 1, :m1 + 2, :m1 + 3]) x;
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('events');

-- replay: seek back to a position; the group reads from there again
SELECT pgmq_c.seek('events', 'billing', :m1 + 2) - :m1 AS pos;
SELECT msg_id - :m1 AS rel_id, read_ct FROM pgmq_c.read_group('events', 'billing', '1 hour', 10);
-- seeking drops outstanding leases: their acks now report false
SELECT pgmq_c.seek('events', 'billing', :m1 + 4) - :m1 AS pos;   -- the end
SELECT pgmq_c.ack('events', 'billing', :m1 + 2);
SELECT count(*) FROM pgmq_c.read_group('events', 'billing', '1 hour', 10);
-- by time: from the first message sent at or after the time
SELECT pgmq_c.seek('events', 'billing', (SELECT enqueued_at FROM :log WHERE msg_id = :m1 + 1)) - :m1 AS pos;
SELECT msg_id - :m1 AS rel_id FROM pgmq_c.read_group('events', 'billing', '1 hour', 10);
SELECT pgmq_c.seek('events', 'billing', now()) - :m1 AS pos_now;

-- a header filter: the group sees only matching messages, and only they count
SELECT pgmq_c.create_group('events', 'only_a', 'earliest', '10 seconds', '{"type": "a"}');
SELECT group_name, lag, filter FROM pgmq_c.list_groups('events') WHERE group_name = 'only_a';
SELECT msg_id - :m1 AS rel_id, headers FROM pgmq_c.read_group('events', 'only_a', NULL, 10);
-- an empty filter is no filter: the group sees messages without headers too
SELECT pgmq_c.create_topic('empty_filter');
SELECT pgmq_c.create_group('empty_filter', 'g', 'earliest', filter => '{}');
SELECT group_name, filter FROM pgmq_c.list_groups('empty_filter');
SELECT count(*) FROM pgmq_c.send_batch('empty_filter', ARRAY['{"n": 1}', '{"n": 2}']::jsonb[],
                                       ARRAY[NULL, '{"h": 2}']::jsonb[]);
SELECT message, headers FROM pgmq_c.read_group('empty_filter', 'g', NULL, 10);
SELECT pgmq_c.drop_topic('empty_filter');

-- delayed: stored once, visible to the groups at its time
SELECT pgmq_c.send('events', '{"n": "later"}', NULL, '1 hour') AS later \gset
SELECT count(*) FROM pgmq_c.read_group('events', 'shipping', '1 hour', 10);
SELECT queue_name, queue_length, visible_length, delayed_length, in_flight_length,
       archived_length, total_messages - :m1 + 1 AS total_rel, length_is_exact,
       kind, retention, partitions >= 2 AS partitioned, groups, total_bytes > 0 AS has_bytes
  FROM pgmq_c.metrics('events');
SELECT queue_name, kind FROM pgmq_c.metrics_all() WHERE queue_name = 'events';

-- the receive_group procedure returns an array
SELECT pgmq_c.seek('events', 'shipping', :m1) - :m1 AS pos;
CALL pgmq_c.receive_group('events', 'shipping', '1 hour', 2, '0', NULL) \gset
SELECT (m).msg_id - :m1 AS rel_id, (m).read_ct, (m).message
  FROM unnest(:'messages'::pgmq_c.message[]) m;
-- waiting: nothing comes, the call returns empty after the wait
SELECT count(*) FROM pgmq_c.read_group('events', 'only_a', NULL, 1, '50 ms');

-- retention runs by partitions; nothing is old enough here
SELECT pgmq_c.maintain_topics();

-- dropping leaves nothing behind
SELECT pgmq_c.drop_group('events', 'only_a');
SELECT pgmq_c.drop_group('events', 'only_a');
SELECT pgmq_c.drop_topic('events');
SELECT pgmq_c.drop_topic('events');
SELECT count(*) AS leftover_tables FROM pg_class
 WHERE relnamespace = 'pgmq_c'::regnamespace AND relname ~ '^[tcg]_[0-9]';
SELECT count(*) AS leftover_groups FROM pgmq_c.groups;

-- a quiet topic moves on to a new partition once its current one is a
-- tenth of the retention old, so that retention can drop it in time: the
-- next msg_id is the next partition's first (the worker may get there first)
SELECT pgmq_c.create_topic('quiet_topic', '1 second', 1000);
SELECT pgmq_c.send('quiet_topic', '{}') AS q1;
SELECT pg_sleep(0.2);
SELECT pgmq_c.maintain_topics() >= 0 AS ran;
SELECT pgmq_c.send('quiet_topic', '{}') AS q2;
SELECT pgmq_c.drop_topic('quiet_topic');

-- send() writes a message's row into its partition of the log directly:
-- a delayed message goes into the partial index on deliver_at, the others
-- do not (an index scan counts what a sequential scan counts)
SELECT pgmq_c.create_topic('direct_t', '7 days', 1000);
SELECT pgmq_c.create_group('direct_t', 'g', start_at => 'earliest');
SELECT format('pgmq_c.t_%s', topic_id) AS direct_log
  FROM pgmq_c.list_topics() WHERE topic_name = 'direct_t' \gset
SELECT pgmq_c.send('direct_t', '{"n": 1}', '{"h": 1}') AS t1 \gset
SELECT pgmq_c.send('direct_t', '{"n": 2}', delay => '1 hour') AS t2 \gset
SELECT pgmq_c.send('direct_t', '{"n": 3}', ordering_key => 'k') AS t3 \gset
SELECT msg_id - :t1 AS rel_id, message, headers, deliver_at IS NOT NULL AS delayed,
       deliver_at - enqueued_at AS delay, ordering_key
  FROM :direct_log ORDER BY msg_id;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
CREATE FUNCTION direct_plan_scans(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  scans text[] := '{}';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ 'Scan' THEN
      scans := scans || substring(line FROM '([A-Za-z ]*Scan)');
    END IF;
  END LOOP;
  RETURN array_to_string(ARRAY(SELECT DISTINCT trim(s) FROM unnest(scans) s), ', ');
END $$;
SELECT direct_plan_scans(format('SELECT count(*) FROM %s WHERE deliver_at IS NOT NULL',
                                :'direct_log')) AS index_side_scans;
SELECT count(*) AS delayed_in_index FROM :direct_log WHERE deliver_at IS NOT NULL;
RESET enable_seqscan;
RESET enable_bitmapscan;
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SET enable_bitmapscan = off;
SELECT direct_plan_scans(format('SELECT count(*) FROM %s WHERE deliver_at IS NOT NULL',
                                :'direct_log')) AS table_side_scans;
SELECT count(*) AS delayed_in_table FROM :direct_log WHERE deliver_at IS NOT NULL;
DROP FUNCTION direct_plan_scans(text);
RESET enable_indexscan;
RESET enable_indexonlyscan;
RESET enable_bitmapscan;
SELECT msg_id - :t1 AS rel_id, message, headers, ordering_key
  FROM pgmq_c.read_group('direct_t', 'g', '1 hour', 10) ORDER BY msg_id;

-- a partition a superuser changed gets the statement instead: its trigger
-- fires
SELECT format('pgmq_c.t_%s_p%s', topic_id, :t1 / 1000) AS direct_partition
  FROM pgmq_c.list_topics() WHERE topic_name = 'direct_t' \gset
CREATE FUNCTION direct_seen() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'trigger saw message %', NEW.message; RETURN NEW; END $$;
CREATE TRIGGER direct_seen BEFORE INSERT ON :direct_partition
  FOR EACH ROW EXECUTE FUNCTION direct_seen();
SELECT pgmq_c.send('direct_t', '{"n": 4}') > :t3 AS sent_through_trigger;
DROP TRIGGER direct_seen ON :direct_partition;
DROP FUNCTION direct_seen();
SELECT pgmq_c.send('direct_t', '{"n": 5}') > :t3 AS sent_directly;
SELECT message FROM :direct_log WHERE msg_id > :t3 ORDER BY msg_id;

-- ack() of one message deletes the group's row directly: a stale delivery
-- is refused and leaves the row, the right one removes it
SELECT format('pgmq_c.g_%s', group_id) AS direct_group
  FROM pgmq_c.groups WHERE group_name = 'g' \gset
SELECT msg_id AS a1, read_ct AS a1_ct
  FROM pgmq_c.read_group('direct_t', 'g', '1 hour', 1) \gset
SELECT :a1 > :t3 AS read_a_new_message, :a1_ct AS delivery;
SELECT pgmq_c.ack('direct_t', 'g', :a1, :a1_ct + 1) AS stale_ack;
SELECT count(*) AS still_held FROM :direct_group WHERE msg_id = :a1;
SELECT pgmq_c.ack('direct_t', 'g', :a1, :a1_ct) AS acked;
SELECT count(*) AS held_after_ack FROM :direct_group WHERE msg_id = :a1;
SELECT pgmq_c.ack('direct_t', 'g', :a1) AS acked_again;
-- a group table a superuser changed gets the statement: its trigger fires
SELECT msg_id AS a2 FROM pgmq_c.read_group('direct_t', 'g', '1 hour', 1) \gset
CREATE FUNCTION direct_gone() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'trigger saw delivery % go', OLD.read_ct; RETURN OLD; END $$;
CREATE TRIGGER direct_gone AFTER DELETE ON :direct_group
  FOR EACH ROW EXECUTE FUNCTION direct_gone();
SELECT pgmq_c.ack('direct_t', 'g', :a2) AS acked_through_trigger;
DROP TRIGGER direct_gone ON :direct_group;
DROP FUNCTION direct_gone();
SELECT count(*) AS held_after_ack FROM :direct_group WHERE msg_id = :a2;
-- read_group() leases the group's rows directly too, with the bodies read
-- from the log's partitions: a key's next row waits while its head is
-- held, and two reads in one transaction never return a message twice
-- (sent in one transaction, so that the worker, filling ahead, hands out
-- all three or none)
BEGIN;
SELECT pgmq_c.send('direct_t', '{"n": 6}', ordering_key => 'j') AS j1 \gset
SELECT pgmq_c.send('direct_t', '{"n": 7}', ordering_key => 'j') AS j2 \gset
SELECT pgmq_c.send('direct_t', '{"n": 8}', '{"h": 8}') AS u8 \gset
COMMIT;
-- (the fill hands all three to the group and leases the first to us)
SELECT msg_id = :j1 AS head_first, message, ordering_key
  FROM pgmq_c.read_group('direct_t', 'g', '1 hour', 1);
SELECT count(*) AS rows_in_group FROM :direct_group WHERE msg_id >= :j1;
BEGIN;
SELECT msg_id = :u8 AS unkeyed, message, headers, ordering_key, read_ct
  FROM pgmq_c.read_group('direct_t', 'g', '1 hour', 10);
SELECT count(*) AS more FROM pgmq_c.read_group('direct_t', 'g', '1 hour', 10);
COMMIT;
SELECT msg_id - :j1 AS rel_id, read_ct, leased, vt > clock_timestamp() + interval '50 minutes' AS lease_ahead
  FROM :direct_group WHERE msg_id >= :j1 ORDER BY msg_id;
-- the head acked, its next row follows; an UPDATE trigger a superuser put
-- on the group's table makes the claim use the statement, which fires it
SELECT pgmq_c.ack('direct_t', 'g', :j1) AS head_acked;
CREATE FUNCTION direct_leased() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'trigger saw delivery % leased', NEW.read_ct; RETURN NEW; END $$;
CREATE TRIGGER direct_leased BEFORE UPDATE ON :direct_group
  FOR EACH ROW EXECUTE FUNCTION direct_leased();
SELECT msg_id = :j2 AS next_of_key, message, ordering_key
  FROM pgmq_c.read_group('direct_t', 'g', '1 hour', 10);
DROP TRIGGER direct_leased ON :direct_group;
DROP FUNCTION direct_leased();
-- without the group's key index the claim uses the statement too, and a
-- key's second row still waits for its first
SELECT indexrelid::regclass AS direct_key_index FROM pg_index
 WHERE indrelid = :'direct_group'::regclass AND indnatts = 2 \gset
DROP INDEX :direct_key_index;
SELECT pgmq_c.send('direct_t', '{"n": 9}', ordering_key => 'm') AS m1 \gset
SELECT pgmq_c.send('direct_t', '{"n": 10}', ordering_key => 'm') AS m2 \gset
SELECT message FROM pgmq_c.read_group('direct_t', 'g', '1 hour', 1);
SELECT count(*) AS second_of_key_held_back FROM pgmq_c.read_group('direct_t', 'g', '1 hour', 10);
SELECT pgmq_c.drop_topic('direct_t');

-- 300 leased messages at the head of a group: its claims start past them
-- for a while, and one that finds nothing from there looks from the
-- watermark again, as a queue's (queue_read): a lease that expired behind
-- the start is delivered all the same
SELECT pgmq_c.create_topic('leased_head_t');
SELECT pgmq_c.create_group('leased_head_t', 'g', start_at => 'earliest');
SELECT count(*) AS sent FROM pgmq_c.send_batch('leased_head_t', array_fill('{"x": 1}'::jsonb, ARRAY[302]));
-- (all 302 handed to the group and leased, the last two given back)
SELECT min(msg_id) AS lh1 FROM pgmq_c.read_group('leased_head_t', 'g', '1 hour', 302) \gset
SELECT count(*) AS given_back FROM generate_series(300, 301) i,
       pgmq_c.set_vt('leased_head_t', 'g', :lh1 + i, '0');
SELECT msg_id - :lh1 AS rel_id FROM pgmq_c.read_group('leased_head_t', 'g', '1 hour', 1);
SELECT msg_id - :lh1 AS rel_id, read_ct FROM pgmq_c.set_vt('leased_head_t', 'g', :lh1, '0');
SELECT msg_id - :lh1 AS ra FROM pgmq_c.read_group('leased_head_t', 'g', '1 hour', 1) \gset
SELECT msg_id - :lh1 AS rb FROM pgmq_c.read_group('leased_head_t', 'g', '1 hour', 1) \gset
SELECT ARRAY[least(:ra, :rb), greatest(:ra, :rb)] AS rel_ids;
SELECT count(*) AS nothing_left FROM pgmq_c.read_group('leased_head_t', 'g', '1 hour', 1);
SELECT pgmq_c.drop_topic('leased_head_t');

-- a message a group may claim lies behind more messages than one fill
-- examines (256) that it may not: left out by the group's filter, delayed,
-- or later messages of a busy ordering key.  One read finds it, with or
-- without a wait, and the cursor passes what it examined.
SELECT pgmq_c.create_topic('fill_gap_t');
SELECT pgmq_c.create_group('fill_gap_t', 'only_z', 'latest', '10 seconds', '{"type": "z"}');
SELECT pgmq_c.create_group('fill_gap_t', 'all');
SELECT count(*) AS noise FROM pgmq_c.send_batch('fill_gap_t',
       array_fill('{"n": "noise"}'::jsonb, ARRAY[600]), array_fill('{"type": "a"}'::jsonb, ARRAY[600]));
SELECT pgmq_c.send('fill_gap_t', '{"n": "needle"}', '{"type": "z"}') AS needle \gset
SELECT msg_id = :needle AS is_needle, message FROM pgmq_c.read_group('fill_gap_t', 'only_z', NULL, 1);
SELECT pgmq_c.send('fill_gap_t', '{"n": "needle 2"}', '{"type": "z"}') AS needle2 \gset
SELECT count(*) AS noise FROM pgmq_c.send_batch('fill_gap_t',
       array_fill('{"n": "noise"}'::jsonb, ARRAY[600]), array_fill('{"type": "a"}'::jsonb, ARRAY[600]));
SELECT pgmq_c.send('fill_gap_t', '{"n": "needle 3"}', '{"type": "z"}') AS needle3 \gset
-- (a read returns once it has leased something: the fill stops there)
SELECT msg_id = :needle2 AS is_needle2 FROM pgmq_c.read_group('fill_gap_t', 'only_z', NULL, 5, '1 second');
SELECT msg_id = :needle3 AS is_needle3 FROM pgmq_c.read_group('fill_gap_t', 'only_z', NULL, 5);
SELECT next_msg_id > :needle3 AS cursor_past FROM pgmq_c.list_groups('fill_gap_t') WHERE group_name = 'only_z';
-- (group "all" takes the 1,203 messages above first)
SELECT count(*) AS all_read FROM pgmq_c.read_group('fill_gap_t', 'all', '1 hour', 10000);
SELECT count(*) AS delayed FROM pgmq_c.send_batch('fill_gap_t',
       array_fill('{"n": "later"}'::jsonb, ARRAY[600]), delay => '1 hour');
SELECT pgmq_c.send('fill_gap_t', '{"n": "now"}') AS now_id \gset
SELECT msg_id = :now_id AS is_now, message FROM pgmq_c.read_group('fill_gap_t', 'all', '1 hour', 1);
SELECT pgmq_c.send('fill_gap_t', '{"n": "head"}', ordering_key => 'k') AS head_id \gset
SELECT msg_id = :head_id AS is_head FROM pgmq_c.read_group('fill_gap_t', 'all', '1 hour', 1);
SELECT count(*) AS behind_head FROM pgmq_c.send_batch('fill_gap_t',
       array_fill('{"n": "same key"}'::jsonb, ARRAY[600]), ordering_keys => array_fill('k'::text, ARRAY[600]));
SELECT pgmq_c.send('fill_gap_t', '{"n": "other key"}', ordering_key => 'j') AS other_id \gset
SELECT msg_id = :other_id AS is_other, message FROM pgmq_c.read_group('fill_gap_t', 'all', '1 hour', 1);
-- ... but one read examines at most 50,000 messages, so that a group far
-- behind moves through millions in transactions of bounded size: a read
-- without a wait comes back empty with the cursor 50,000 on, and the next
-- goes on from there; a waiting read fills on until it finds the message
SELECT next_msg_id AS cursor_before FROM pgmq_c.list_groups('fill_gap_t') WHERE group_name = 'only_z' \gset
SELECT sum(n) AS noise FROM generate_series(1, 6) i,
       LATERAL (SELECT count(*) AS n FROM pgmq_c.send_batch('fill_gap_t',
           array_fill(jsonb_build_object('noise', i), ARRAY[10000]), array_fill('{"type": "a"}'::jsonb, ARRAY[10000]))) b;
SELECT pgmq_c.send('fill_gap_t', '{"n": "needle 4"}', '{"type": "z"}') AS needle4 \gset
SELECT count(*) AS first_read FROM pgmq_c.read_group('fill_gap_t', 'only_z', NULL, 5);
SELECT next_msg_id - :cursor_before AS cursor_moved FROM pgmq_c.list_groups('fill_gap_t') WHERE group_name = 'only_z';
SELECT msg_id = :needle4 AS is_needle4 FROM pgmq_c.read_group('fill_gap_t', 'only_z', NULL, 5);
SELECT sum(n) AS noise FROM generate_series(1, 6) i,
       LATERAL (SELECT count(*) AS n FROM pgmq_c.send_batch('fill_gap_t',
           array_fill(jsonb_build_object('noise', i), ARRAY[10000]), array_fill('{"type": "a"}'::jsonb, ARRAY[10000]))) b;
SELECT pgmq_c.send('fill_gap_t', '{"n": "needle 5"}', '{"type": "z"}') AS needle5 \gset
SELECT msg_id = :needle5 AS is_needle5 FROM pgmq_c.read_group('fill_gap_t', 'only_z', NULL, 5, '10 seconds');
SELECT pgmq_c.drop_topic('fill_gap_t');

-- A group's read takes each message's body from the log by walking the
-- primary key of the log's partition from one message to the next, down
-- again only for a message behind the walk or more than 64 ids ahead.
-- The bodies must be the messages' own across a partition boundary, past
-- msg_ids without a message (rolled-back sends: 5, then 100 in a row), and
-- when a read goes back to messages given back.
SELECT pgmq_c.create_topic('walk_t', partition_size => 1000);
SELECT pgmq_c.create_group('walk_t', 'g', start_at => 'earliest');
CREATE TEMP TABLE walk_sent (msg_id bigint, n integer);
INSERT INTO walk_sent
SELECT s.msg_id, s.n FROM pgmq_c.send_batch('walk_t',
       (SELECT array_agg(jsonb_build_object('n', g) ORDER BY g) FROM generate_series(1, 990) g))
       WITH ORDINALITY AS s(msg_id, n);
BEGIN;
SELECT count(*) AS rolled_back FROM pgmq_c.send_batch('walk_t', array_fill('{"n": 0}'::jsonb, ARRAY[5]));
ROLLBACK;
INSERT INTO walk_sent
SELECT s.msg_id, 990 + s.n FROM pgmq_c.send_batch('walk_t',
       (SELECT array_agg(jsonb_build_object('n', 990 + g) ORDER BY g) FROM generate_series(1, 20) g))
       WITH ORDINALITY AS s(msg_id, n);
BEGIN;
SELECT count(*) AS rolled_back FROM pgmq_c.send_batch('walk_t', array_fill('{"n": 0}'::jsonb, ARRAY[100]));
ROLLBACK;
INSERT INTO walk_sent
SELECT s.msg_id, 1010 + s.n FROM pgmq_c.send_batch('walk_t',
       (SELECT array_agg(jsonb_build_object('n', 1010 + g) ORDER BY g) FROM generate_series(1, 20) g))
       WITH ORDINALITY AS s(msg_id, n);
SELECT count(*) AS sent, count(DISTINCT msg_id / 1000) AS partitions,
       max(msg_id) - min(msg_id) + 1 - count(*) AS ids_without_message
FROM walk_sent;
SELECT count(*) AS read, count(s.n) AS sent_ones,
       count(*) FILTER (WHERE r.message = jsonb_build_object('n', s.n)) AS own_bodies
FROM pgmq_c.read_group('walk_t', 'g', '1 hour', 500) r LEFT JOIN walk_sent s USING (msg_id);
SELECT count(*) AS read, count(s.n) AS sent_ones,
       count(*) FILTER (WHERE r.message = jsonb_build_object('n', s.n)) AS own_bodies,
       min(s.n) AS first, max(s.n) AS last
FROM pgmq_c.read_group('walk_t', 'g', '1 hour', 1000) r LEFT JOIN walk_sent s USING (msg_id);
SELECT n, pgmq_c.nack('walk_t', 'g', msg_id) AS given_back
FROM walk_sent WHERE n IN (10, 20, 990, 991, 1030) ORDER BY n;
SELECT s.n, r.read_ct, r.message = jsonb_build_object('n', s.n) AS own_body
FROM pgmq_c.read_group('walk_t', 'g', '1 hour', 10) r LEFT JOIN walk_sent s USING (msg_id)
ORDER BY r.msg_id;
DROP TABLE walk_sent;
SELECT pgmq_c.drop_topic('walk_t');

-- The worker hands a group its next messages without a statement (a reader
-- inside a transaction block waits for the worker's fill): a row for each
-- message whose headers contain the group's filter, read_ct 0, not leased,
-- vt its delivery time (-infinity when it is due), its ordering key, from
-- both sides of a partition boundary.
SELECT pgmq_c.create_topic('hand_t', partition_size => 1000);
SELECT pgmq_c.create_group('hand_t', 'hand_g', start_at => 'earliest', filter => '{"type": "a"}');
SELECT format('pgmq_c.g_%s', group_id) AS hand_group, format('pgmq_c.t_%s', topic_id) AS hand_log
  FROM pgmq_c.groups WHERE group_name = 'hand_g' \gset
SELECT count(*) AS sent FROM pgmq_c.send_batch('hand_t',
       (SELECT array_agg(jsonb_build_object('n', g) ORDER BY g) FROM generate_series(1, 1010) g),
       (SELECT array_agg(jsonb_build_object('type', CASE WHEN g % 3 = 0 THEN 'b' ELSE 'a' END) ORDER BY g)
          FROM generate_series(1, 1010) g),
       ordering_keys => (SELECT array_agg(CASE WHEN g % 5 = 0 THEN 'k' || g % 7 END ORDER BY g)
                           FROM generate_series(1, 1010) g));
SELECT count(*) AS delayed FROM pgmq_c.send_batch('hand_t', array_fill('{"n": "later"}'::jsonb, ARRAY[4]),
       array_fill('{"type": "a"}'::jsonb, ARRAY[4]), delay => '1 hour');
BEGIN;
SELECT message FROM pgmq_c.read_group('hand_t', 'hand_g', '1 hour', 1, wait => '30 seconds');
COMMIT;
SELECT count(*) AS handed_out, count(DISTINCT g.msg_id / 1000) AS partitions,
       count(*) FILTER (WHERE g.read_ct = 0 AND NOT g.leased) AS not_read,
       count(*) FILTER (WHERE g.vt = '-infinity') AS due,
       count(*) FILTER (WHERE l.deliver_at IS NOT NULL AND g.vt = l.deliver_at) AS at_delivery_time,
       count(g.ordering_key) AS keyed,
       count(*) FILTER (WHERE g.ordering_key IS DISTINCT FROM l.ordering_key) AS other_key,
       count(*) FILTER (WHERE NOT l.headers @> '{"type": "a"}') AS filtered_in_wrongly
  FROM :hand_group g JOIN :hand_log l USING (msg_id);
-- an INSERT trigger a superuser put on the group's table makes the worker
-- use the statement, which fires it
SELECT count(*) AS taken FROM pgmq_c.read_group('hand_t', 'hand_g', '1 hour', 10000);
CREATE TABLE hand_seen (msg_id bigint);
CREATE FUNCTION hand_seen() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.hand_seen VALUES (NEW.msg_id); RETURN NEW; END $$;
CREATE TRIGGER hand_seen BEFORE INSERT ON :hand_group FOR EACH ROW EXECUTE FUNCTION hand_seen();
SELECT count(*) AS sent FROM pgmq_c.send_batch('hand_t', array_fill('{"n": "after"}'::jsonb, ARRAY[3]),
       array_fill('{"type": "a"}'::jsonb, ARRAY[3]));
BEGIN;
SELECT message FROM pgmq_c.read_group('hand_t', 'hand_g', '1 hour', 10, wait => '30 seconds');
COMMIT;
SELECT count(*) AS seen_by_trigger FROM hand_seen;
DROP TABLE hand_seen;
SELECT pgmq_c.drop_topic('hand_t');
DROP FUNCTION hand_seen();

-- A partition a superuser detaches from the log takes its messages out of
-- the topic, for the direct reads as for the statements (which read the
-- log through its partitioned table): bodies of rows already handed out
-- (group gl, leased once for no time) are gone, and neither the worker's
-- fill (group gw, a reader in a transaction block) nor a reader's own (group
-- ga, autocommit) hands out its messages.
SELECT pgmq_c.create_topic('det_t', partition_size => 1000);
SELECT pgmq_c.create_group('det_t', g, start_at => 'earliest') FROM unnest(ARRAY['gl', 'gw', 'ga']) g;
SELECT count(*) AS sent FROM pgmq_c.send_batch('det_t',
       (SELECT array_agg(jsonb_build_object('n', g) ORDER BY g) FROM generate_series(1, 1500) g));
SELECT count(*) AS leased FROM pgmq_c.read_group('det_t', 'gl', '0 seconds', 1500);
SELECT format('pgmq_c.t_%s', queue_id) AS det_log, format('pgmq_c.t_%s_p0', queue_id) AS det_p0
  FROM pgmq_c.queues WHERE queue_name = 'det_t' \gset
ALTER TABLE :det_log DETACH PARTITION :det_p0;
SELECT count(*) AS read, min((message->>'n')::int) AS first, max((message->>'n')::int) AS last,
       count(*) FILTER (WHERE msg_id <> (message->>'n')::bigint) AS other_bodies
  FROM pgmq_c.read_group('det_t', 'gl', '1 hour', 2000);
BEGIN;
SELECT count(*) AS read, min((message->>'n')::int) AS first
  FROM pgmq_c.read_group('det_t', 'gw', '1 hour', 2000, wait => '30 seconds');
COMMIT;
SELECT count(*) AS read, min((message->>'n')::int) AS first
  FROM pgmq_c.read_group('det_t', 'ga', '1 hour', 2000);
-- drop_topic drops the detached partition too
SELECT pgmq_c.drop_topic('det_t');
SELECT to_regclass(:'det_p0') AS detached_partition;

-- A reader under REPEATABLE READ or SERIALIZABLE claims what the group's
-- table holds but never fills it itself (its snapshot may miss messages
-- committed behind the settled id, which a fill would move the cursor
-- past): it asks the worker, and its next transaction gets what the
-- worker handed out.
SELECT pgmq_c.create_topic('rr_t');
SELECT pgmq_c.create_group('rr_t', 'g', start_at => 'earliest');
SELECT count(*) AS sent FROM pgmq_c.send_batch('rr_t', array_fill('{"m": 1}'::jsonb, ARRAY[5]));
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) AS first_read FROM pgmq_c.read_group('rr_t', 'g', '1 hour', 10);
COMMIT;
-- the worker's fill, waited for (up to 30 s) in READ COMMITTED
DO $$
BEGIN
  FOR i IN 1 .. 300 LOOP
    EXIT WHEN (SELECT next_msg_id FROM pgmq_c.list_groups('rr_t')) > 5;
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT next_msg_id > 5 AS handed_out, lag FROM pgmq_c.list_groups('rr_t');
SET default_transaction_isolation = serializable;
SELECT count(*) AS next_read FROM pgmq_c.read_group('rr_t', 'g', '1 hour', 10);
RESET default_transaction_isolation;
SELECT pgmq_c.drop_topic('rr_t');

-- A reader in a transaction block whose claim comes back short waits for
-- the worker's fill and claims again, past what its first claim took: with
-- a lease shorter than that wait, the second claim took the first one's
-- messages again, and the call returned a message twice, counting two
-- deliveries (review h30).
-- Five messages read first, so that the first claim takes five (the
-- claim after the fill once read them from the fill's result, not the
-- first claim's: a backend crashed there).
SELECT pgmq_c.create_topic('twice_t');
SELECT pgmq_c.create_group('twice_t', 'g', start_at => 'earliest');
SELECT max(id) AS first_last FROM pgmq_c.send_batch('twice_t', array_fill('{"n": 1}'::jsonb, ARRAY[5])) id \gset
SELECT count(*) AS first_read, max(read_ct) AS read_ct FROM pgmq_c.read_group('twice_t', 'g', '0', 10);
SELECT pgmq_c.send('twice_t', '{"n": 2}') > :first_last AS second_sent;
BEGIN;
CREATE TEMP TABLE twice_got AS
  SELECT msg_id, read_ct FROM pgmq_c.read_group('twice_t', 'g', '0', 10);
COMMIT;
SELECT count(*) FILTER (WHERE msg_id <= :first_last) AS first_returned,
       count(DISTINCT msg_id) = count(*) AS each_once,
       max(read_ct) FILTER (WHERE msg_id <= :first_last) AS their_read_ct
  FROM twice_got;
DROP TABLE twice_got;
SELECT pgmq_c.drop_topic('twice_t');

-- Rotation closes a partition that holds only its first msg_id, as any
-- other: a quiet topic whose last message was the first of a partition
-- kept it past its retention for good (review h28).  msg_ids 1 to 1,000
-- with partitions of 1,000: partition 1 holds msg_id 1,000 only.  Waited
-- for up to 20 s.
SELECT pgmq_c.create_topic('rot_first', retention => '1 second', partition_size => 1000);
SELECT format('pgmq_c.t_%s', topic_id) AS rf_log FROM pgmq_c.list_topics() WHERE topic_name = 'rot_first' \gset
SELECT count(*) AS sent, max(id) AS last_id
  FROM pgmq_c.send_batch('rot_first', array_fill('{"n": 1}'::jsonb, ARRAY[1000])) id;
DO $$
DECLARE
	left_over bigint;
BEGIN
	FOR i IN 1..100 LOOP
		PERFORM pg_sleep(0.2);
		PERFORM pgmq_c.maintain_topics();
		COMMIT;
		EXECUTE format('SELECT count(*) FROM pgmq_c.t_%s',
					   (SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name = 'rot_first'))
		   INTO left_over;
		EXIT WHEN left_over = 0;
	END LOOP;
END $$;
SELECT count(*) AS retained FROM :rf_log;
SELECT pgmq_c.drop_topic('rot_first');

-- a group's leases are HOT updates: its table keeps 60 % of each page free
-- (fillfactor 40), room for a new version of every row (at 70, the
-- fillfactor before 0.8.0, 451 of these 1,000 were).  An autocommit read
-- with a lease of 0 hands all 1,000 out (leased in the fill's insert, due
-- at once); the second read leases them again: 1,000 updates
SELECT pgmq_c.create_topic('hot_topic');
SELECT pgmq_c.create_group('hot_topic', 'hg', 'earliest');
SELECT count(*) AS sent FROM pgmq_c.send_batch('hot_topic',
  ARRAY(SELECT jsonb_build_object('n', i, 'pad', repeat('x', 100)) FROM generate_series(1000, 1999) i));
SELECT count(*) AS handed_out FROM pgmq_c.read_group('hot_topic', 'hg', '0', 1000);
BEGIN;
SELECT count(*) AS leased FROM pgmq_c.read_group('hot_topic', 'hg', '1 hour', 1000);
SELECT s.n_tup_upd AS updates, s.n_tup_hot_upd AS hot_updates
  FROM pg_stat_xact_user_tables s, pgmq_c.groups g
 WHERE g.group_name = 'hg' AND s.relid = format('pgmq_c.g_%s', g.group_id)::regclass;
COMMIT;
SELECT pgmq_c.drop_topic('hot_topic');

-- A topic made again under a dropped one's name goes on from its msg_ids:
-- it never had partition 0, and retention has removed nothing.  A seek to
-- a time before its first message, or to now while it has none, moves to
-- its first message or the end (until session 54 both were refused, as if
-- retention had removed its messages: it looked for partition 0)
SELECT pgmq_c.create_topic('again_topic', partition_size => 1000);
SELECT count(*) AS sent FROM pgmq_c.send_batch('again_topic',
  ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 1500) i));
SELECT pgmq_c.drop_topic('again_topic');
SELECT pgmq_c.create_topic('again_topic', partition_size => 1000);
SELECT pgmq_c.create_group('again_topic', 'ag');
SELECT pgmq_c.seek('again_topic', 'ag', now()) AS to_end;
SELECT pgmq_c.send('again_topic', '{"n": "first again"}') AS first_again;
SELECT pgmq_c.seek('again_topic', 'ag', now() - interval '1 hour') AS to_first;
SELECT msg_id, message FROM pgmq_c.read_group('again_topic', 'ag', '1 hour', 10);
SELECT pgmq_c.drop_topic('again_topic');

-- above pgmq_c.metrics_exact_limit a group's lag is estimated from its
-- cursor: a group at the start (cursor 0) of 10 messages lags 10 (11
-- before session 54: msg_ids begin at 1)
SELECT pgmq_c.create_topic('estimate_topic');
SELECT pgmq_c.create_group('estimate_topic', 'eg', 'earliest');
SELECT count(*) AS sent FROM pgmq_c.send_batch('estimate_topic',
  ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 10) i));
SET pgmq_c.metrics_exact_limit = 2;
SELECT lag, lag_is_exact, next_msg_id FROM pgmq_c.list_groups('estimate_topic');
RESET pgmq_c.metrics_exact_limit;
SELECT lag, lag_is_exact FROM pgmq_c.list_groups('estimate_topic');
SELECT pgmq_c.drop_topic('estimate_topic');

-- Every message retention removed was sent before now - retention: with
-- all of a topic's messages removed, a seek to a later time (now) moves
-- to the end, while one to an earlier time is refused (until session 54
-- both were: the topic had lost messages and retained none).  Also: the
-- groups inside and past the dropped partition both count what they miss
SELECT pgmq_c.create_topic('expired_topic', retention => '3 seconds', partition_size => 1000);
SELECT pgmq_c.create_group('expired_topic', 'xg', 'earliest');
SELECT pgmq_c.create_group('expired_topic', 'pg', 'earliest');
SELECT count(*) AS sent FROM pgmq_c.send_batch('expired_topic',
  ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 10) i));
-- group pg leases all 10 and acknowledges none
SELECT count(*) AS leased FROM pgmq_c.read_group('expired_topic', 'pg', '1 hour', 10);
SELECT pg_sleep(3.2);
-- a round moves the quiet topic on to its next partition (msg_id 1000 on)
DO $$
BEGIN
	FOR i IN 1 .. 100 LOOP
		PERFORM pgmq_c.maintain_topics();
		COMMIT;
		EXIT WHEN pgmq_c.send('expired_topic', '{"n": "after"}') >= 1000;
		ROLLBACK;
		PERFORM pg_sleep(0.05);
	END LOOP;
END $$;
-- pg reads it: its cursor is past the first partition, with the 10
-- leases still in it
SELECT msg_id, message FROM pgmq_c.read_group('expired_topic', 'pg', '1 hour', 10);
-- the next rounds drop the first partition (its newest message is more
-- than 3 seconds old; the second one's is not): xg, inside it, misses the
-- 10 it never read; pg, past it, the 10 it held (rounds again while the
-- worker's own holds a lock)
DO $$
BEGIN
	FOR i IN 1 .. 100 LOOP
		PERFORM pgmq_c.maintain_topics();
		COMMIT;
		EXIT WHEN (SELECT min(missed) FROM pgmq_c.list_groups('expired_topic')) = 10;
		PERFORM pg_sleep(0.05);
	END LOOP;
END $$;
SELECT group_name, missed, in_flight FROM pgmq_c.list_groups('expired_topic') ORDER BY 1;
SELECT pg_sleep(3.2);
-- then the second partition goes too (after a rotation that may move the
-- msg_ids on to the third): nothing is retained
DO $$
BEGIN
	FOR i IN 1 .. 100 LOOP
		PERFORM pgmq_c.maintain_topics();
		COMMIT;
		EXIT WHEN (SELECT min(missed) FROM pgmq_c.list_groups('expired_topic')) = 11;
		PERFORM pg_sleep(0.05);
	END LOOP;
END $$;
SELECT group_name, missed, in_flight FROM pgmq_c.list_groups('expired_topic') ORDER BY 1;
SELECT pgmq_c.seek('expired_topic', 'xg', now()) > 1000 AS to_end;
SELECT pgmqc_test.sqlstate($$SELECT pgmq_c.seek('expired_topic', 'xg', now() - interval '1 hour')$$) AS before_removed;
SELECT pgmq_c.drop_topic('expired_topic');

-- every send to a topic locks its log (ROW EXCLUSIVE) before it draws a
-- msg_id, a single send too, which writes straight into its partition:
-- rotation moves the sequence on only while no send holds it (until
-- session 54 a single send held no lock on the log, and a batch took it
-- only in its insert, after drawing its msg_ids)
SELECT pgmq_c.create_topic('locked_topic');
BEGIN;
SELECT pgmq_c.send('locked_topic', '{"n": 1}') AS single;
SELECT l.mode FROM pg_locks l, pgmq_c.queues q
 WHERE q.queue_name = 'locked_topic' AND l.pid = pg_backend_pid()
   AND l.relation = format('pgmq_c.t_%s', q.queue_id)::regclass;
ROLLBACK;
SELECT pgmq_c.drop_topic('locked_topic');
