-- bench/compat.sh part 2, pgmq_c side: read 1 (30 s lease), then delete it
-- by msg_id, in one transaction, with pgmq_c's own API.  An empty read
-- (the queue ran dry) is committed as it is (not counted by compat.sh).
BEGIN;
SELECT coalesce(max(msg_id), 0) AS id FROM pgmq_c.read(:queue, '30 seconds', 1) \gset
\if :id > 0
SELECT pgmq_c.delete(:queue, :id::bigint);
\endif
COMMIT;
