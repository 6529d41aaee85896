-- bench/lease_from_log.sh, side "queue, raw": read 100 + delete 100 on a
-- table of pgmq's shape (the body in the row the read updates); :wm is
-- this client's last first msg_id, the stand-in for pgmq_c's watermark
BEGIN;
WITH r AS (UPDATE lease_q SET vt = now() + interval '30 seconds', read_ct = read_ct + 1
  WHERE msg_id = ANY (ARRAY(SELECT msg_id FROM lease_q WHERE msg_id >= :wm AND vt <= now()
                            ORDER BY msg_id LIMIT 100 FOR UPDATE SKIP LOCKED))
  RETURNING msg_id, message)
SELECT COALESCE(array_agg(msg_id), '{}') AS ids, count(message) AS n,
       COALESCE(min(msg_id), :wm) AS wm FROM r \gset
DELETE FROM lease_q WHERE msg_id = ANY (:ids::bigint[]);
COMMIT;
