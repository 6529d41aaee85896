-- bench/compat.sh part 1, pgmq side: send 1 message per transaction
-- (autocommit) through pgmq_c_compat, as pgmq-js calls it.  :queue and
-- :msg are set with -D.
SELECT * FROM pgmq.send(:queue, :msg::jsonb, 0);
