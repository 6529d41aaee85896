-- bench/lease_from_log.sh, side "group today, raw": what a group's message
-- costs now, done inline: the fill's insert of 100 ready rows from the log
-- (the worker's job), the claim's lock and update of 100 of them, the
-- bodies from the log, the ack's delete
BEGIN;
WITH r AS (SELECT nextval('lease_fill_next') AS f)
INSERT INTO lease_fill_g (msg_id, read_ct, vt, leased)
  SELECT msg_id, 0, now(), false FROM lease_fill_log l
   WHERE l.msg_id BETWEEN (SELECT f FROM r) AND (SELECT f FROM r) + 99;
WITH c AS (UPDATE lease_fill_g SET vt = now() + interval '30 seconds', read_ct = read_ct + 1, leased = true
  WHERE msg_id = ANY (ARRAY(SELECT msg_id FROM lease_fill_g WHERE msg_id >= :wm AND vt <= now()
                            ORDER BY msg_id LIMIT 100 FOR UPDATE SKIP LOCKED))
  RETURNING msg_id),
 s AS MATERIALIZED (SELECT l.msg_id, l.message FROM lease_fill_log l
                     WHERE l.msg_id = ANY (ARRAY(SELECT msg_id FROM c)))
SELECT COALESCE(array_agg(msg_id), '{}') AS ids, count(message) AS n,
       COALESCE(min(msg_id), :wm) AS wm FROM s \gset
DELETE FROM lease_fill_g WHERE msg_id = ANY (:ids::bigint[]);
COMMIT;
