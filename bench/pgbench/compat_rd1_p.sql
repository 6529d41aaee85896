-- bench/compat.sh part 2, pgmq side: read 1 (vt 30 s), then delete it by
-- msg_id, in one transaction, through pgmq_c_compat (pgmq.read and
-- pgmq.delete, as pgmq's clients call them).
BEGIN;
SELECT coalesce(max(msg_id), 0) AS id FROM pgmq.read(:queue, 30, 1) \gset
\if :id > 0
SELECT pgmq.delete(:queue, :id::bigint);
\endif
COMMIT;
