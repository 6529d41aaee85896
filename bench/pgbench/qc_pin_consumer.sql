-- table 3, pgmq_c consumer: read 1 + delete, flat out; an empty queue is
-- polled again at once (msg_id 0 means nothing was read)
BEGIN;
SELECT coalesce(max(msg_id), 0) AS id FROM pgmq_c.read('bench', '30 seconds', 1) \gset
\if :id > 0
SELECT pgmq_c.delete('bench', :id::bigint);
\endif
COMMIT;
