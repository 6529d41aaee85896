-- table 3, baseline consumer: lease 1 + delete, flat out; an empty table is
-- polled again at once (msg_id 0 means nothing was leased)
BEGIN;
WITH c AS (
  UPDATE q SET vt = clock_timestamp() + interval '30 seconds', read_ct = q.read_ct + 1
   WHERE q.msg_id = ANY (ARRAY(
         SELECT msg_id FROM q
          WHERE msg_id >= 0 AND vt <= clock_timestamp()
          ORDER BY msg_id LIMIT 1 FOR UPDATE SKIP LOCKED))
  RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers)
SELECT coalesce(max(msg_id), 0) AS id FROM c \gset
\if :id > 0
DELETE FROM q WHERE msg_id = :id::bigint;
\endif
COMMIT;
