-- bench/ordering.sh part 2: read 1 from :queue and roll back, so that the
-- queue stays as it is (the leases taken before the run stay, nothing is
-- consumed); the read statement's latency (pgbench -r) is what is reported.
BEGIN;
SELECT msg_id FROM pgmq_c.read(:queue, '30 seconds', 1);
ROLLBACK;
