-- bench/router.sh, through the router: read 1, then delete it
SELECT msg_id FROM pgmq_c_router.read('rbench', '30 seconds', 1) \gset
SELECT pgmq_c_router.delete('rbench', :msg_id::bigint);
