-- bench/retries.sh: read 1 (30 s lease) from :queue, then delete it by its
-- receipt (msg_id, read_ct), in one transaction.  An empty read (the
-- queue ran dry) is committed as it is.
BEGIN;
SELECT coalesce(max(msg_id), 0) AS id, max(read_ct) AS ct, max(message::text) AS body
  FROM pgmq_c.read(:queue, '30 seconds', 1) \gset
\if :id > 0
SELECT pgmq_c.delete(:queue, :id::bigint, :ct::integer);
\endif
COMMIT;
