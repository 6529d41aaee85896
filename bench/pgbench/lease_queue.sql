-- bench/lease_from_log.sh, side "pgmq_c queue": read 100 + delete 100
BEGIN;
SELECT COALESCE(array_agg(msg_id), '{}') AS ids, count(message) AS n
  FROM pgmq_c.read('lease_q', interval '30 seconds', 100) \gset
SELECT count(*) FROM pgmq_c.delete('lease_q', :ids::bigint[]);
COMMIT;
