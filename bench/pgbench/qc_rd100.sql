-- pgmq_c: read 100 (30 s lease), then delete them with the id array, in one transaction
BEGIN;
SELECT array_agg(msg_id) AS ids, array_agg(message) AS bodies
  FROM pgmq_c.read('bench', '30 seconds', 100) \gset
SELECT * FROM pgmq_c.delete('bench', :ids::bigint[]);
COMMIT;
