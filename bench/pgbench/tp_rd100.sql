-- topics.sh part 2, topic: read_group 100 (30 s lease) for group :grp of
-- :topic, then ack them with the id array, in one transaction (an empty or
-- short read is committed as it is; topics.sh counts the messages actually
-- consumed).  The queue side is tq_rd100.sql.
BEGIN;
SELECT count(*) AS n, array_agg(msg_id) AS ids, array_agg(message) AS bodies
  FROM pgmq_c.read_group(:topic, :grp, '30 seconds', 100) \gset
\if :n > 0
SELECT * FROM pgmq_c.ack(:topic, :grp, :ids::bigint[]);
\endif
COMMIT;
