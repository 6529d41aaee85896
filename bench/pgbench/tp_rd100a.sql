-- topics.sh part 2, topic, autocommit: read_group 100 (30 s lease) for group
-- :grp of :topic, then ack them with the id array as a second transaction
-- (outside a transaction block read_group fills the group itself instead of
-- asking the background worker).  The queue side is tq_rd100a.sql.
SELECT count(*) AS n, array_agg(msg_id) AS ids, array_agg(message) AS bodies
  FROM pgmq_c.read_group(:topic, :grp, '30 seconds', 100) \gset
\if :n > 0
SELECT * FROM pgmq_c.ack(:topic, :grp, :ids::bigint[]);
\endif
