-- table 2, pgmq_c: read 1 + delete (one transaction), then send 1 so the
-- queue keeps its length; the read statement's latency is what is reported
BEGIN;
SELECT * FROM pgmq_c.read('bench', '30 seconds', 1) \gset
SELECT pgmq_c.delete('bench', :msg_id::bigint);
COMMIT;
SELECT pgmq_c.send('bench', :msg::jsonb);
