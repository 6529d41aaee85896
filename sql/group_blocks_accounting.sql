-- group_blocks_accounting: messages handed to a consumer group in a block
-- (pgmq_c.group_blocks, 0.8.0: a run of the topic's log that the group's
-- cursor is past, with no row each in the group's table g_<id>) count as
-- handed to the group and not yet leased, everywhere a group's state is
-- read: list_groups(), the group's watermark, seek, redrive, drop_group,
-- drop_topic and retention.
--
-- The blocks are made here by hand, as the worker's fill would hand them
-- out: the group's cursor moved past a run of messages and a block row for
-- them.  No reader asks for a fill while they are made, and every group is
-- made before the sends it is to hold, so the worker does not fill them.
-- The table names come from the catalog.

-- A topic, a group, 10 messages handed out in one block
SELECT pgmq_c.create_topic('ba_t');
SELECT pgmq_c.create_group('ba_t', 'g', 'earliest');
SELECT queue_id AS tid FROM pgmq_c.queues WHERE queue_name = 'ba_t' \gset
SELECT group_id AS gid FROM pgmq_c.groups WHERE topic_id = :tid AND group_name = 'g' \gset
\set cursors pgmq_c.c_:tid
\set gtable pgmq_c.g_:gid
SELECT min(msg_id) AS m1, max(msg_id) AS m10 FROM pgmq_c.send_batch('ba_t',
  ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 10) i)) AS s(msg_id) \gset
SELECT pg_sleep(0.01);
BEGIN;
UPDATE :cursors SET next_id = :m10 + 1 WHERE group_id = :gid;
INSERT INTO pgmq_c.group_blocks VALUES (:gid, :m1, :m1, :m10, 10);
COMMIT;

-- list_groups: the 10 are the group's lag (not in flight), and the oldest
-- of them is its oldest unacknowledged message
SELECT group_name, lag, in_flight, lag_is_exact, oldest_unacked_age_sec IS NOT NULL AS has_oldest,
       next_msg_id - :m1 AS next_rel
  FROM pgmq_c.list_groups('ba_t');
-- a block part taken: 3 leases in the table, 7 left in the block
BEGIN;
INSERT INTO :gtable (msg_id, read_ct, vt) SELECT i, 1, now() + interval '1 hour'
  FROM generate_series(:m1, :m1 + 2) i;
UPDATE pgmq_c.group_blocks SET next_id = :m1 + 3, messages = 7 WHERE group_id = :gid;
COMMIT;
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('ba_t');
-- the oldest is the first lease's; with the leases gone, the block's
-- first message's
SELECT enqueued_at AS m4_at FROM pgmq_c.t_:tid WHERE msg_id = :m1 + 3 \gset
DELETE FROM :gtable;
SELECT lag, oldest_unacked_age_sec BETWEEN 0 AND extract(epoch FROM clock_timestamp() - :'m4_at') + 1 AS age_ok
  FROM pgmq_c.list_groups('ba_t');

-- A reader takes 3 of the 7 left in the block straight from the log, in
-- msg_id order (autocommit: a reader of fewer than 32 inside a transaction
-- block takes no block); the block moves on past them
SELECT msg_id - :m1 AS rel, read_ct FROM pgmq_c.read_group('ba_t', 'g', '1 hour', 3) ORDER BY msg_id;
SELECT next_id - :m1 AS next_rel, last_id - :m1 AS last_rel, messages
  FROM pgmq_c.group_blocks WHERE group_id = :gid;
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('ba_t');
-- (the group's watermark and a lease taken from a block below it: TAP 052)

-- A seek removes the group's blocks with its table's rows
SELECT pgmq_c.seek('ba_t', 'g', :m1 + 8) - :m1 AS pos;
SELECT count(*) AS blocks FROM pgmq_c.group_blocks WHERE group_id = :gid;
SELECT count(*) AS rows FROM :gtable;
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('ba_t');

-- Redrive skips a message inside a block (the block delivers it) and
-- counts it as moved, as one already in the group's table; one below the
-- block goes back into the table
BEGIN;
UPDATE :cursors SET next_id = :m10 + 1 WHERE group_id = :gid;
INSERT INTO pgmq_c.group_blocks VALUES (:gid, :m1 + 5, :m1 + 5, :m10, 5);
COMMIT;
SELECT pgmq_c.create_queue('ba_dlq');
SELECT pgmq_c.send('ba_dlq', jsonb_build_object('n', i),
       jsonb_build_object('pgmq_c_dead_letter', jsonb_build_object(
         'topic', 'ba_t', 'group', 'g', 'msg_id', :m1 + i - 1,
         'enqueued_at', (SELECT enqueued_at FROM pgmq_c.t_:tid WHERE msg_id = :m1 + i - 1))))
  FROM unnest(ARRAY[3, 7]) i;
SELECT pgmq_c.redrive('ba_dlq') AS moved;
SELECT msg_id - :m1 AS rel, read_ct FROM :gtable ORDER BY msg_id;
SELECT first_id - :m1 AS first_rel, next_id - :m1 AS next_rel, last_id - :m1 AS last_rel, messages
  FROM pgmq_c.group_blocks WHERE group_id = :gid;
SELECT queue_length AS dead_letters_left FROM pgmq_c.metrics('ba_dlq');
SELECT pgmq_c.drop_queue('ba_dlq');

-- drop_group and drop_topic remove the groups' blocks (a group made later
-- may get the same id)
SELECT pgmq_c.create_group('ba_t', 'g2', 'latest');
SELECT group_id AS gid2 FROM pgmq_c.groups WHERE topic_id = :tid AND group_name = 'g2' \gset
INSERT INTO pgmq_c.group_blocks VALUES (:gid2, :m1, :m1, :m10, 10);
SELECT pgmq_c.drop_group('ba_t', 'g2');
SELECT count(*) AS blocks_of_g2 FROM pgmq_c.group_blocks WHERE group_id = :gid2;
SELECT count(*) AS blocks_of_g FROM pgmq_c.group_blocks WHERE group_id = :gid;
SELECT pgmq_c.drop_topic('ba_t');
SELECT count(*) AS blocks_of_g FROM pgmq_c.group_blocks WHERE group_id = :gid;

-- Retention: a partition dropped counts the messages of it in blocks as
-- missed, as those its groups held in their tables.  Group xg's block lies
-- in the first partition and goes; group sg's goes on past it and starts
-- again at its end with the one message left.
SELECT pgmq_c.create_topic('ba_ret', retention => '3 seconds', partition_size => 1000);
SELECT pgmq_c.create_group('ba_ret', 'xg', 'earliest');
SELECT pgmq_c.create_group('ba_ret', 'sg', 'earliest');
SELECT queue_id AS rtid FROM pgmq_c.queues WHERE queue_name = 'ba_ret' \gset
SELECT group_id AS xgid FROM pgmq_c.groups WHERE topic_id = :rtid AND group_name = 'xg' \gset
SELECT group_id AS sgid FROM pgmq_c.groups WHERE topic_id = :rtid AND group_name = 'sg' \gset
SELECT min(msg_id) AS r1, max(msg_id) AS r10 FROM pgmq_c.send_batch('ba_ret',
  ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 10) i)) AS s(msg_id) \gset
SELECT pg_sleep(3.2);
-- a round moves the quiet topic on to its next partition (msg_id 1000 on)
DO $$
BEGIN
	FOR i IN 1 .. 100 LOOP
		PERFORM pgmq_c.maintain_topics();
		COMMIT;
		EXIT WHEN pgmq_c.send('ba_ret', '{"n": "after"}') >= 1000;
		ROLLBACK;
		PERFORM pg_sleep(0.05);
	END LOOP;
END $$;
SELECT max(msg_id) AS r_after FROM pgmq_c.t_:rtid \gset
SELECT :r_after AS r_after;
BEGIN;
UPDATE pgmq_c.c_:rtid SET next_id = :r10 + 1 WHERE group_id = :xgid;
INSERT INTO pgmq_c.group_blocks VALUES (:xgid, :r1, :r1, :r10, 10);
UPDATE pgmq_c.c_:rtid SET next_id = :r_after + 1 WHERE group_id = :sgid;
INSERT INTO pgmq_c.group_blocks VALUES (:sgid, :r1, :r1 + 2, :r_after, 9);
COMMIT;
SELECT group_name, lag, missed FROM pgmq_c.list_groups('ba_ret') ORDER BY 1;
DO $$
BEGIN
	FOR i IN 1 .. 100 LOOP
		PERFORM pgmq_c.maintain_topics();
		COMMIT;
		EXIT WHEN (SELECT min(missed) FROM pgmq_c.list_groups('ba_ret')) >= 8;
		PERFORM pg_sleep(0.05);
	END LOOP;
END $$;
SELECT group_name, lag, missed, in_flight FROM pgmq_c.list_groups('ba_ret') ORDER BY 1;
SELECT g.group_name, b.first_id - :r1 AS first_rel, b.next_id, b.last_id, b.messages
  FROM pgmq_c.group_blocks b JOIN pgmq_c.groups g USING (group_id)
 WHERE g.topic_id = :rtid ORDER BY 1;
SELECT pgmq_c.drop_topic('ba_ret');
