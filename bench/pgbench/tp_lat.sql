-- topics.sh part 4: read_group 1 + ack (one transaction) at the head of group
-- :grp, then send 1 so the topic keeps growing as it is consumed; the
-- statement latencies (pgbench -r) of read_group and ack are what is reported
BEGIN;
SELECT * FROM pgmq_c.read_group(:topic, :grp, '30 seconds', 1) \gset
SELECT pgmq_c.ack(:topic, :grp, :msg_id::bigint);
COMMIT;
SELECT pgmq_c.send(:topic, :msg::jsonb);
