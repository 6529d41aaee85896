-- bench/router.sh, directly on the node: read 1, then delete it (two
-- autocommit statements, as through the router, whose calls commit on the
-- node one by one)
SELECT msg_id FROM pgmq_c.read('rbench', '30 seconds', 1) \gset
SELECT pgmq_c.delete('rbench', :msg_id::bigint);
