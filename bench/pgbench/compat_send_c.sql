-- bench/compat.sh part 1, pgmq_c side: send 1 message per transaction
-- (autocommit) with pgmq_c's own API.  :queue and :msg are set with -D.
SELECT pgmq_c.send(:queue, :msg::jsonb);
