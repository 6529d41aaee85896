-- queue_ack: delete, archive, set_vt, receipts (read_ct fencing), purge
SELECT pgmq_c.create_queue('acks');
SELECT 'pgmq_c.q_' || queue_id AS acks_t FROM pgmq_c.list_queues() WHERE queue_name = 'acks' \gset
SELECT id AS m1 FROM pgmq_c.send('acks', '{"i": 1}') id \gset
SELECT id AS m2 FROM pgmq_c.send('acks', '{"i": 2}') id \gset
SELECT id AS m3 FROM pgmq_c.send('acks', '{"i": 3}') id \gset
SELECT id AS m4 FROM pgmq_c.send('acks', '{"i": 4}') id \gset

-- delete by id: true once, then false; unknown ids are false
SELECT pgmq_c.delete('acks', :m1);
SELECT pgmq_c.delete('acks', :m1);
SELECT pgmq_c.delete('acks', -1);

-- receipts: (msg_id, read_ct).  Deliver m2 twice: the first receipt is stale.
SELECT read_ct FROM pgmq_c.read('acks', '0', 1);
SELECT read_ct FROM pgmq_c.read('acks', '1 hour', 1);
SELECT pgmq_c.delete('acks', :m2, 1) AS stale_delete;
SELECT pgmq_c.archive('acks', :m2, 1) AS stale_archive;
SELECT count(*) AS stale_set_vt FROM pgmq_c.set_vt('acks', :m2, '0', 1);
SELECT read_ct, vt > clock_timestamp() + interval '50 minutes' AS still_leased
  FROM :acks_t WHERE msg_id = :m2;
-- the current receipt works: extend the lease, then delete
SELECT read_ct, vt > clock_timestamp() + interval '1 hour 50 minutes' AS extended
  FROM pgmq_c.set_vt('acks', :m2, '2 hours', 2);
SELECT pgmq_c.delete('acks', :m2, 2) AS current_delete;

-- a message never delivered has read_ct 0
SELECT pgmq_c.delete('acks', :m3, 1) AS wrong_receipt, pgmq_c.delete('acks', :m3, 0) AS right_receipt;

-- archive moves the message, with its read_ct, into the archive
SELECT read_ct FROM pgmq_c.read('acks', '1 hour', 1);
SELECT pgmq_c.archive('acks', :m4, 1);
SELECT pgmq_c.archive('acks', :m4, 1);
SELECT msg_id = :m4 AS is_m4, read_ct, message, archived_at <= clock_timestamp() AS archived
  FROM pgmq_c.read_archive('acks');
SELECT count(*) AS left_in_queue FROM :acks_t;

-- array forms return the ids they removed, in msg_id order
SELECT array_agg(id) AS ids FROM pgmq_c.send_batch('acks',
       ARRAY['{"b": 1}', '{"b": 2}', '{"b": 3}', '{"b": 4}', '{"b": 5}']::jsonb[]) id \gset
SELECT array_agg(x - (:'ids'::bigint[])[1]) AS deleted
  FROM pgmq_c.delete('acks', ARRAY[(:'ids'::bigint[])[3], (:'ids'::bigint[])[1], 999999]) x;
SELECT array_agg(x - (:'ids'::bigint[])[1]) AS archived
  FROM pgmq_c.archive('acks', ARRAY[(:'ids'::bigint[])[2], (:'ids'::bigint[])[4]]) x;
SELECT count(*) AS in_archive FROM pgmq_c.read_archive('acks');
-- read_archive pages by msg_id
SELECT count(*) AS after_m4 FROM pgmq_c.read_archive('acks', :m4);
SELECT count(*) AS first_only FROM pgmq_c.read_archive('acks', 0, 1);
-- array receipts: only the matching delivery counts
SELECT read_ct FROM pgmq_c.read('acks', '1 hour', 1);
SELECT count(*) AS with_stale_receipt
  FROM pgmq_c.delete('acks', ARRAY[(:'ids'::bigint[])[5]], ARRAY[7]);
SELECT count(*) AS with_current_receipt
  FROM pgmq_c.delete('acks', ARRAY[(:'ids'::bigint[])[5]], ARRAY[1]);
-- an empty array removes nothing
SELECT count(*) FROM pgmq_c.delete('acks', ARRAY[]::bigint[]);
SELECT count(*) FROM pgmq_c.archive('acks', '{}'::bigint[]);
-- but the queue is checked all the same: unknown (42704), a topic (42809)
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('no_such_queue', '{}'::bigint[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.archive('no_such_queue', '{}'::bigint[], '{}'::integer[])$$);
SELECT pgmq_c.create_topic('acks_topic');
SELECT pgmqc_test.try($$SELECT pgmq_c.archive('acks_topic', '{}'::bigint[])$$);
SELECT pgmq_c.drop_topic('acks_topic');

-- set_vt on an unknown message returns no row
SELECT count(*) FROM pgmq_c.set_vt('acks', 424242, '0');
-- set_vt can hide a visible message for a while
SELECT pgmq_c.send('acks', '{"hide": 1}') AS h \gset
SELECT read_ct FROM pgmq_c.set_vt('acks', :h, '1 hour');
SELECT count(*) AS hidden FROM pgmq_c.read('acks', '1 hour', 10);

-- purge removes visible, leased and delayed messages and says how many
SELECT pgmq_c.send('acks', '{"p": 1}', delay => '1 day') > 0 AS delayed_sent;
SELECT pgmq_c.send('acks', '{"p": 2}') > 0 AS sent;
SELECT pgmq_c.purge_queue('acks');
SELECT pgmq_c.purge_queue('acks');
SELECT queue_length, archived_length FROM pgmq_c.metrics('acks');
-- ids keep growing after a purge
SELECT pgmq_c.send('acks', '{"after": "purge"}') > :h AS id_grows;
SELECT pgmq_c.drop_queue('acks');

-- A queue dropped and made again under its name goes on from its msg_ids,
-- so that a receipt of the old queue, still held by a consumer, matches no
-- message of the new one (it would delete a message nobody read)
SELECT pgmq_c.create_queue('acks_again');
SELECT pgmq_c.send('acks_again', '{"old": 1}') AS old_id \gset
SELECT msg_id = :old_id AS leased, read_ct FROM pgmq_c.read('acks_again', '1 minute', 1);
SELECT pgmq_c.drop_queue('acks_again');
SELECT next_msg_id - :old_id AS kept_next FROM pgmq_c.retired_names WHERE queue_name = 'acks_again';
SELECT pgmq_c.create_queue('acks_again');
SELECT count(*) AS still_kept FROM pgmq_c.retired_names WHERE queue_name = 'acks_again';
SELECT pgmq_c.send('acks_again', '{"new": 1}') - :old_id AS after_old;
SELECT msg_id - :old_id AS after_old, read_ct, message FROM pgmq_c.read('acks_again', '1 minute', 1);
SELECT pgmq_c.delete('acks_again', :old_id, 1) AS old_receipt_deletes;
SELECT pgmq_c.archive('acks_again', :old_id) AS old_receipt_archives;
SELECT queue_length, in_flight_length FROM pgmq_c.metrics('acks_again');
SELECT pgmq_c.drop_queue('acks_again');
-- a topic made under the name goes on too, and so do its groups' receipts
SELECT pgmq_c.create_topic('acks_again', partition_size => 1000);
SELECT pgmq_c.create_group('acks_again', 'g', 'earliest');
SELECT pgmq_c.send('acks_again', '{"topic": 1}') - :old_id AS after_old \gset
SELECT :after_old AS topic_after_old;
SELECT msg_id - :old_id AS after_old, message FROM pgmq_c.read_group('acks_again', 'g', '1 minute', 5);
SELECT pgmq_c.drop_topic('acks_again');
SELECT pgmq_c.create_topic('acks_again', partition_size => 1000);
SELECT pgmq_c.create_group('acks_again', 'g', 'earliest');
SELECT pgmq_c.send('acks_again', '{"topic": 2}') - :old_id AS topic_again_after_old;
SELECT msg_id - :old_id AS after_old, read_ct, message FROM pgmq_c.read_group('acks_again', 'g', '1 minute', 5);
SELECT pgmq_c.ack('acks_again', 'g', :old_id + :after_old, 1) AS old_group_receipt_acks;
SELECT queue_length FROM pgmq_c.metrics('acks_again');
SELECT pgmq_c.drop_topic('acks_again');
-- made and dropped again before any send, twice, it still goes on (the
-- second drop kept 1 before: a sequence started where the first left off
-- has no last value until its first nextval)
SELECT pgmq_c.create_queue('acks_again');
SELECT pgmq_c.drop_queue('acks_again');
SELECT pgmq_c.create_topic('acks_again');
SELECT pgmq_c.drop_topic('acks_again');
SELECT pgmq_c.create_queue('acks_again');
SELECT pgmq_c.send('acks_again', '{"again": 3}') - :old_id AS third_after_old;
SELECT pgmq_c.drop_queue('acks_again');
DELETE FROM pgmq_c.retired_names WHERE queue_name = 'acks_again';
