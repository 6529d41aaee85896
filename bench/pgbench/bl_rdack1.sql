-- baseline of qc_rdack1: pop 1, DELETE ... WHERE msg_id = ANY (ARRAY(SELECT ... FOR UPDATE SKIP LOCKED)),
-- one statement and one commit per message: the physical floor
DELETE FROM q
 WHERE q.msg_id = ANY (ARRAY(
       SELECT msg_id FROM q
        WHERE msg_id >= 0 AND vt <= clock_timestamp()
        ORDER BY msg_id LIMIT 1 FOR UPDATE SKIP LOCKED))
RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers;
