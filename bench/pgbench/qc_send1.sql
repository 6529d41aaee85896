-- pgmq_c: send 1 message per transaction (:msg is set by run.sh with -D)
SELECT pgmq_c.send('bench', :msg::jsonb);
