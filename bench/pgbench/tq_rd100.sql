-- topics.sh part 2, queue: read 100 (30 s lease) from :queue, then delete
-- them with the id array, in one transaction; the same statements as
-- tp_rd100.sql
BEGIN;
SELECT count(*) AS n, array_agg(msg_id) AS ids, array_agg(message) AS bodies
  FROM pgmq_c.read(:queue, '30 seconds', 100) \gset
\if :n > 0
SELECT * FROM pgmq_c.delete(:queue, :ids::bigint[]);
\endif
COMMIT;
