-- bench/router.sh, through the router: send 1 (autocommit)
SELECT pgmq_c_router.send('rbench', :msg::jsonb);
