-- baseline: lease 1 (UPDATE ... FOR UPDATE SKIP LOCKED), then DELETE it:
-- two autocommit statements (the claim is pgmq_c's statement without the
-- low watermark: msg_id >= 0)
UPDATE q SET vt = clock_timestamp() + interval '30 seconds', read_ct = q.read_ct + 1
 WHERE q.msg_id = ANY (ARRAY(
       SELECT msg_id FROM q
        WHERE msg_id >= 0 AND vt <= clock_timestamp()
        ORDER BY msg_id LIMIT 1 FOR UPDATE SKIP LOCKED))
RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers \gset
DELETE FROM q WHERE msg_id = :msg_id::bigint;
