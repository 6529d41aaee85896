-- topics.sh, topic: read_group 1 (30 s lease) for group :grp of :topic, then
-- ack it by id, in one transaction (the topic side of qc_rd1.sql)
BEGIN;
SELECT * FROM pgmq_c.read_group(:topic, :grp, '30 seconds', 1) \gset
SELECT pgmq_c.ack(:topic, :grp, :msg_id::bigint);
COMMIT;
