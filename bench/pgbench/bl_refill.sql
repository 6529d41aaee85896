-- baseline: insert 1 message without asking for its id; bench/run.sh's
-- table 2 runs it after bl_rd1.sql (the pgmq_c side: qc_send1.sql after
-- qc_rd1.sql) so that the table keeps its length
INSERT INTO q (msg_id, vt, message)
VALUES (nextval('q_seq'), clock_timestamp(), :msg::jsonb);
