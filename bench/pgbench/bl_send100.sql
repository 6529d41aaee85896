-- baseline: 100 messages per transaction, INSERT ... SELECT FROM unnest
INSERT INTO q (msg_id, vt, message)
SELECT nextval('q_seq'), clock_timestamp(), m
  FROM unnest(:msgs::jsonb[]) WITH ORDINALITY AS u(m, o)
 ORDER BY o
RETURNING msg_id;
