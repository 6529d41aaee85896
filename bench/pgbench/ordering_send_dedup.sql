-- bench/ordering.sh part 3: send 1 message per transaction with a dedup_id
-- used by no other send: the run's tag, the client and a per-client counter
-- (pgbench variables live per client; n=0, :msg and :run are set with -D)
\set n :n + 1
SELECT pgmq_c.send(:queue, :msg::jsonb, dedup_id => :run::text || '-' || :client_id || '-' || :n);
