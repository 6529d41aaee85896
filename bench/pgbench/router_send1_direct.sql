-- bench/router.sh, directly on the node: send 1 (autocommit)
SELECT pgmq_c.send('rbench', :msg::jsonb);
