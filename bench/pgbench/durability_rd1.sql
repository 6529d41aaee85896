-- bench/durability.sh part 2: read 1 (30 s lease) from :queue, then delete
-- it by msg_id, in one transaction; the same script on the unlogged queue,
-- the logged queue and the logged queue with synchronous_commit = off (set
-- with PGOPTIONS).  An empty read (the queue ran dry) is committed as it is
-- (durability.sh does not count a run that drained its queue).
BEGIN;
SELECT coalesce(max(msg_id), 0) AS id FROM pgmq_c.read(:queue, '30 seconds', 1) \gset
\if :id > 0
SELECT pgmq_c.delete(:queue, :id::bigint);
\endif
COMMIT;
