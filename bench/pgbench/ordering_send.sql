-- bench/ordering.sh part 3: send 1 message per transaction, no dedup_id
-- (the counter is kept as in ordering_send_dedup.sql; :msg, :run and n=0
-- are set with -D)
\set n :n + 1
SELECT pgmq_c.send(:queue, :msg::jsonb);
