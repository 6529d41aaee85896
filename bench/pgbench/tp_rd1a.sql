-- topics.sh part 2, topic, autocommit: read_group 1 (30 s lease) for group
-- :grp of :topic, then ack it by id as a second transaction (outside a
-- transaction block read_group fills the group itself).  The queue side is
-- tq_rd1a.sql.
SELECT coalesce(max(msg_id), 0) AS id, max(message::text) AS body
  FROM pgmq_c.read_group(:topic, :grp, '30 seconds', 1) \gset
\if :id > 0
SELECT pgmq_c.ack(:topic, :grp, :id::bigint);
\endif
