-- read_acks: a read that deletes (acks) the receipts of the messages read
-- before, then leases the next ones, in one call and one transaction
-- (read/receive with delete_ids, read_group/receive_group with ack_ids)

SELECT pgmq_c.create_queue('ra_q');
SELECT count(*) FROM pgmq_c.send_batch('ra_q',
	ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}', '{"n": 5}', '{"n": 6}']::jsonb[]);

-- the first read acknowledges nothing
SELECT msg_id, read_ct, message FROM pgmq_c.read('ra_q', '30 seconds', 2);
-- the next one deletes those two by their receipts and leases 3 and 4
SELECT msg_id, read_ct, message
  FROM pgmq_c.read('ra_q', '30 seconds', 2, delete_ids => ARRAY[1, 2]::bigint[],
                   delete_read_cts => ARRAY[1, 1]);
SELECT queue_length, visible_length FROM pgmq_c.metrics('ra_q');
SELECT msg_id FROM pgmq_c.read_archive('ra_q');   -- deleted, not archived

-- a stale receipt is skipped, as delete() skips it: message 3 is released
-- (set_vt 0) and read again (read_ct 2), so its receipt (3, 1) no longer
-- holds it; (4, 1) still does
SELECT msg_id, read_ct FROM pgmq_c.set_vt('ra_q', 3, '0');
SELECT msg_id, read_ct FROM pgmq_c.read('ra_q', '30 seconds', 1);
SELECT msg_id, read_ct
  FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => ARRAY[3, 4]::bigint[],
                   delete_read_cts => ARRAY[1, 1]);
SELECT msg_id, read_ct, vt > clock_timestamp() AS leased FROM pgmq_c.read('ra_q', '0', 10);
-- without read_cts, the messages are deleted whoever holds them (as delete)
SELECT count(*) FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => ARRAY[3, 999]::bigint[]);
-- an empty array deletes nothing (and 5 and 6 are leased: nothing to read)
SELECT msg_id FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => '{}');
SELECT queue_length FROM pgmq_c.metrics('ra_q');

-- one transaction: a rolled-back read with deletes leaves the messages and
-- their leases; a read refused for a bad argument deletes nothing
BEGIN;
SELECT count(*) FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => ARRAY[5, 6]::bigint[]);
SELECT queue_length FROM pgmq_c.metrics('ra_q');
ROLLBACK;
SELECT queue_length FROM pgmq_c.metrics('ra_q');
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('ra_q', '-1 second', 1, delete_ids => ARRAY[5, 6]::bigint[])$$);
SELECT queue_length FROM pgmq_c.metrics('ra_q');

-- bad receipts: clear errors, nothing deleted
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_read_cts => ARRAY[1])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => ARRAY[5, 6]::bigint[], delete_read_cts => ARRAY[1])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => ARRAY[5, NULL]::bigint[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => ARRAY[5]::bigint[], delete_read_cts => ARRAY[-1])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => ARRAY[5]::bigint[], delete_read_cts => ARRAY[NULL]::int[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => ARRAY[[5], [6]]::bigint[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => array_fill(1::bigint, ARRAY[10001]))$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('ra_nowhere', '30 seconds', 1, delete_ids => ARRAY[5]::bigint[])$$);
SELECT queue_length FROM pgmq_c.metrics('ra_q');

-- receive: the same, as a procedure; the deletes commit with the lease
CALL pgmq_c.receive('ra_q', '30 seconds', 1, '0', NULL);
SELECT msg_id FROM pgmq_c.read('ra_q', '0', 10) ORDER BY msg_id;
CALL pgmq_c.receive('ra_q', '30 seconds', 1, '0', NULL, delete_ids => ARRAY[5, 6]::bigint[]);
SELECT queue_length FROM pgmq_c.metrics('ra_q');
SELECT pgmqc_test.try($$CALL pgmq_c.receive('ra_q', '30 seconds', 1, '0', NULL, delete_read_cts => ARRAY[1])$$);

-- ordering keys: deleting a key's head by receipt lets the read that
-- deleted it lease the key's next message
SELECT pgmq_c.create_queue('ra_keyed');
SELECT count(*) FROM pgmq_c.send_batch('ra_keyed',
	ARRAY['{"k": "a1"}', '{"k": "a2"}', '{"k": "b1"}']::jsonb[],
	ordering_keys => ARRAY['a', 'a', 'b']);
SELECT msg_id, message, ordering_key FROM pgmq_c.read('ra_keyed', '30 seconds', 10);
SELECT msg_id, message, ordering_key
  FROM pgmq_c.read('ra_keyed', '30 seconds', 10, delete_ids => ARRAY[1]::bigint[],
                   delete_read_cts => ARRAY[1]);

-- topics: read_group with ack_ids acknowledges, per group
SELECT pgmq_c.create_topic('ra_t');
SELECT pgmq_c.create_group('ra_t', 'g1');
SELECT pgmq_c.create_group('ra_t', 'g2');
SELECT count(*) FROM pgmq_c.send_batch('ra_t', ARRAY['{"t": 1}', '{"t": 2}', '{"t": 3}']::jsonb[]);
SELECT msg_id, read_ct FROM pgmq_c.read_group('ra_t', 'g1', '30 seconds', 2);
SELECT msg_id, read_ct
  FROM pgmq_c.read_group('ra_t', 'g1', '30 seconds', 2, ack_ids => ARRAY[1, 2]::bigint[],
                         ack_read_cts => ARRAY[1, 1]);
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('ra_t') ORDER BY group_name;
-- a stale group receipt is skipped: (3, 9) does not hold message 3
SELECT count(*) FROM pgmq_c.read_group('ra_t', 'g1', '30 seconds', 1, ack_ids => ARRAY[3]::bigint[],
                                       ack_read_cts => ARRAY[9]);
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('ra_t') ORDER BY group_name;
CALL pgmq_c.receive_group('ra_t', 'g1', '30 seconds', 1, '0', NULL, ack_ids => ARRAY[3]::bigint[]);
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('ra_t') ORDER BY group_name;
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read_group('ra_t', 'g2', '30 seconds', 1, ack_read_cts => ARRAY[1])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read_group('ra_t', 'g2', '30 seconds', 1, ack_ids => ARRAY[1, 2]::bigint[], ack_read_cts => ARRAY[1])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read_group('ra_t', 'nogroup', '30 seconds', 1, ack_ids => ARRAY[1]::bigint[])$$);

-- privileges: deleting through a read needs what delete needs ('consume')
CREATE ROLE regress_pgmqc_ra_user;
SELECT pgmq_c.grant_access('ra_q', 'regress_pgmqc_ra_user', ARRAY['monitor']);
SET ROLE regress_pgmqc_ra_user;
SELECT pgmqc_test.sqlstate($$SELECT * FROM pgmq_c.read('ra_q', '30 seconds', 1, delete_ids => ARRAY[7]::bigint[])$$) AS read_with_deletes;
RESET ROLE;

SELECT pgmq_c.drop_queue('ra_q');
SELECT pgmq_c.drop_queue('ra_keyed');
SELECT pgmq_c.drop_topic('ra_t');
DROP ROLE regress_pgmqc_ra_user;
