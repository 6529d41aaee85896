-- topics.sh part 4: read_group 1 + ack (one transaction) at the head of
-- group :grp, then send 1 so the group's backlog keeps its length; the
-- statement latencies (pgbench -r) of read_group and ack are what is
-- reported.  An empty read is committed as it is (topics.sh counts them).
BEGIN;
SELECT coalesce(max(msg_id), 0) AS id, max(message::text) AS body FROM pgmq_c.read_group(:topic, :grp, '30 seconds', 1) \gset
\if :id > 0
SELECT pgmq_c.ack(:topic, :grp, :id::bigint);
\endif
COMMIT;
SELECT pgmq_c.send(:topic, :msg::jsonb);
