-- bench/lease_from_log.sh, side "lease from the log, raw" (docs/design.md
-- section 8, not built): take a range of 100 msg_ids (a sequence stands in
-- for the shared cursor), record it (the taken ranges' table), insert the
-- lease rows straight from one walk of the log that also gives the bodies,
-- then the ack's delete
BEGIN;
WITH r AS (SELECT nextval('lease_log_next') AS f),
 k AS (INSERT INTO lease_log_ranges SELECT 1, f, f + 99 FROM r),
 src AS MATERIALIZED (SELECT l.msg_id, l.message FROM lease_log l
                       WHERE l.msg_id BETWEEN (SELECT f FROM r) AND (SELECT f FROM r) + 99),
 ins AS (INSERT INTO lease_log_g (msg_id, read_ct, vt, leased)
          SELECT msg_id, 1, now() + interval '30 seconds', true FROM src)
SELECT COALESCE(array_agg(msg_id), '{}') AS ids, count(message) AS n FROM src \gset
DELETE FROM lease_log_g WHERE msg_id = ANY (:ids::bigint[]);
COMMIT;
