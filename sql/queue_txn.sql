-- queue_txn: everything is transactional
SELECT pgmq_c.create_queue('txn');

-- a rolled-back send is never seen
BEGIN;
SELECT pgmq_c.send('txn', '{"rolled": "back"}') > 0 AS sent;
SELECT count(*) AS own_send_visible_inside FROM pgmq_c.read('txn', '0', 10);
ROLLBACK;
SELECT count(*) AS after_rollback FROM pgmq_c.read('txn', '1 hour', 10);

-- a rolled-back read leaves the message as it was (read_ct 0)
SELECT pgmq_c.send('txn', '{"k": 1}') AS k1 \gset
BEGIN;
SELECT read_ct FROM pgmq_c.read('txn', '1 hour', 1);
ROLLBACK;
SELECT msg_id = :k1 AS is_k1, read_ct FROM pgmq_c.read('txn', '0', 1);

-- a rolled-back delete or archive leaves the message
BEGIN;
SELECT pgmq_c.delete('txn', :k1);
ROLLBACK;
BEGIN;
SELECT pgmq_c.archive('txn', :k1);
ROLLBACK;
SELECT count(*) AS archived FROM pgmq_c.read_archive('txn');
SELECT msg_id = :k1 AS is_k1, read_ct FROM pgmq_c.read('txn', '0', 1);

-- a rolled-back purge restores everything
BEGIN;
SELECT pgmq_c.purge_queue('txn');
ROLLBACK;
SELECT count(*) AS after_purge_rollback FROM pgmq_c.read('txn', '0', 10);

-- deletes undone by a rollback (of a transaction or of a savepoint) are
-- visible again to later reads of the same session, even though a read in
-- between looked for the oldest message while they were deleted
SELECT pgmq_c.send('txn', '{"k": 2}') AS k2 \gset
SELECT count(*) FROM pgmq_c.read('txn', '0', 10);
SELECT pg_sleep(0.06);
BEGIN;
SELECT pgmq_c.delete('txn', :k1) AND pgmq_c.delete('txn', :k2) AS deleted_both;
SELECT pg_sleep(0.06);
SELECT count(*) AS inside FROM pgmq_c.read('txn', '0', 10);
SELECT pg_sleep(0.06);
SELECT count(*) AS inside_again FROM pgmq_c.read('txn', '0', 10);
ROLLBACK;
SELECT count(*) AS after_rollback FROM pgmq_c.read('txn', '0', 10);

BEGIN;
SELECT count(*) FROM pgmq_c.read('txn', '0', 10);
SAVEPOINT s;
SELECT pgmq_c.delete('txn', :k1) AND pgmq_c.delete('txn', :k2) AS deleted_both;
SELECT pg_sleep(0.06);
SELECT count(*) AS in_savepoint FROM pgmq_c.read('txn', '0', 10);
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS after_savepoint_rollback FROM pgmq_c.read('txn', '0', 10);
COMMIT;
SELECT count(*) AS after_commit FROM pgmq_c.read('txn', '0', 10);

-- committed deletes stay deleted
SELECT pgmq_c.delete('txn', ARRAY[:k1, :k2]::bigint[]) IS NOT NULL AS deleted;
SELECT count(*) AS empty FROM pgmq_c.read('txn', '0', 10);

-- reads refuse to write in a read-only transaction
BEGIN READ ONLY;
SELECT * FROM pgmq_c.read('txn');
ROLLBACK;
BEGIN READ ONLY;
SELECT pgmq_c.send('txn', '{}');
ROLLBACK;

-- REPEATABLE READ: reads work (with the watermark as it was committed)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pgmq_c.send('txn', '{"rr": 1}') > 0 AS sent;
SELECT message FROM pgmq_c.read('txn', '1 hour', 10);
COMMIT;
SELECT pgmq_c.drop_queue('txn');
