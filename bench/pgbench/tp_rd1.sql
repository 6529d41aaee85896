-- topics.sh part 2, topic: read_group 1 (30 s lease) for group :grp of
-- :topic, then ack it by id, in one transaction.  An empty read (possible
-- with a backlog: the group's next messages are being handed to it by
-- another reader or by the worker) is committed as it is; topics.sh counts
-- the messages actually consumed.  The queue side is tq_rd1.sql.
BEGIN;
SELECT coalesce(max(msg_id), 0) AS id, max(message::text) AS body
  FROM pgmq_c.read_group(:topic, :grp, '30 seconds', 1) \gset
\if :id > 0
SELECT pgmq_c.ack(:topic, :grp, :id::bigint);
\endif
COMMIT;
