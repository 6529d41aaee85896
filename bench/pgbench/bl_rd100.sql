-- baseline: lease 100 (UPDATE ... FOR UPDATE SKIP LOCKED), then DELETE ... = ANY(ids), in one transaction
-- (the claim is pgmq_c's statement without the low watermark: msg_id >= 0)
BEGIN;
WITH c AS (
  UPDATE q SET vt = clock_timestamp() + interval '30 seconds', read_ct = q.read_ct + 1
   WHERE q.msg_id = ANY (ARRAY(
         SELECT msg_id FROM q
          WHERE msg_id >= 0 AND vt <= clock_timestamp()
          ORDER BY msg_id LIMIT 100 FOR UPDATE SKIP LOCKED))
  RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers)
SELECT array_agg(msg_id) AS ids, array_agg(message) AS bodies FROM c \gset
DELETE FROM q WHERE msg_id = ANY(:ids::bigint[]) RETURNING msg_id;
COMMIT;
