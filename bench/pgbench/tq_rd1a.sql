-- topics.sh part 2, queue, autocommit: read 1 (30 s lease) from :queue,
-- then delete it by id as a second transaction; the same statements as
-- tp_rd1a.sql
SELECT coalesce(max(msg_id), 0) AS id, max(message::text) AS body
  FROM pgmq_c.read(:queue, '30 seconds', 1) \gset
\if :id > 0
SELECT pgmq_c.delete(:queue, :id::bigint);
\endif
