-- topics.sh, topic: read_group 100 (30 s lease) for group :grp of :topic, then
-- ack them with the id array, in one transaction (the topic side of qc_rd100.sql)
BEGIN;
SELECT array_agg(msg_id) AS ids, array_agg(message) AS bodies
  FROM pgmq_c.read_group(:topic, :grp, '30 seconds', 100) \gset
SELECT * FROM pgmq_c.ack(:topic, :grp, :ids::bigint[]);
COMMIT;
