-- pgmq_c: send_batch of 100 messages per transaction (:msgs is a jsonb[] literal)
SELECT * FROM pgmq_c.send_batch('bench', :msgs::jsonb[]);
