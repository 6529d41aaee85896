-- bench/retries.sh: read 10 (30 s lease) from :queue, then delete them by
-- their receipts (msg_id and read_ct arrays), in one transaction.  An empty
-- read is committed as it is.
BEGIN;
SELECT count(*) AS n, array_agg(msg_id) AS ids, array_agg(read_ct) AS cts, array_agg(message) AS bodies
  FROM pgmq_c.read(:queue, '30 seconds', 10) \gset
\if :n > 0
SELECT count(*) AS deleted FROM pgmq_c.delete(:queue, :ids::bigint[], :cts::integer[]) \gset
\endif
COMMIT;
