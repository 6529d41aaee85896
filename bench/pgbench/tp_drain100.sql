-- topics.sh part 3: one group consumes the topic to the end, read_group 100 +
-- ack 100 per transaction (run with -t, one client per group)
BEGIN;
SELECT array_agg(msg_id) AS ids
  FROM pgmq_c.read_group(:topic, :grp, '30 seconds', 100) \gset
SELECT * FROM pgmq_c.ack(:topic, :grp, :ids::bigint[]);
COMMIT;
