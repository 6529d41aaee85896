-- bench/lease_from_log.sh, side "pgmq_c group": read_group 100 + ack 100
BEGIN;
SELECT COALESCE(array_agg(msg_id), '{}') AS ids, count(message) AS n
  FROM pgmq_c.read_group('lease_t', 'g', interval '30 seconds', 100) \gset
SELECT count(*) FROM pgmq_c.ack('lease_t', 'g', :ids::bigint[]);
COMMIT;
