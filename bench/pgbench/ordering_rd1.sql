-- bench/ordering.sh part 1: read 1 (30 s lease) from :queue, then delete it
-- by msg_id, in one transaction; the same script on the keyed and on the
-- unkeyed queue.  An empty read (the queue ran dry) is committed as it is
-- (ordering.sh does not count a run that drained its queue).
BEGIN;
SELECT coalesce(max(msg_id), 0) AS id FROM pgmq_c.read(:queue, '30 seconds', 1) \gset
\if :id > 0
SELECT pgmq_c.delete(:queue, :id::bigint);
\endif
COMMIT;
