-- pgmq_c: read 1 (30 s lease), then delete it by id: two autocommit statements
SELECT * FROM pgmq_c.read('bench', '30 seconds', 1) \gset
SELECT pgmq_c.delete('bench', :msg_id::bigint);
