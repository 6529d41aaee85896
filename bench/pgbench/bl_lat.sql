-- table 2, baseline: lease 1 + delete (one transaction), then insert 1 so the
-- table keeps its length; the lease statement's latency is what is reported
BEGIN;
UPDATE q SET vt = clock_timestamp() + interval '30 seconds', read_ct = q.read_ct + 1
 WHERE q.msg_id = ANY (ARRAY(
       SELECT msg_id FROM q
        WHERE msg_id >= 0 AND vt <= clock_timestamp()
        ORDER BY msg_id LIMIT 1 FOR UPDATE SKIP LOCKED))
RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers \gset
DELETE FROM q WHERE msg_id = :msg_id::bigint;
COMMIT;
INSERT INTO q (msg_id, vt, message)
VALUES (nextval('q_seq'), clock_timestamp(), :msg::jsonb);
