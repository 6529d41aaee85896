-- baseline: send 1 message per transaction, plain INSERT
INSERT INTO q (msg_id, vt, message)
VALUES (nextval('q_seq'), clock_timestamp(), :msg::jsonb)
RETURNING msg_id;
