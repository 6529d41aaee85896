-- topics.sh, topic: send 1 message per transaction to the topic :topic
-- (the same call as qc_send1.sql; :msg and :topic are set with -D)
SELECT pgmq_c.send(:topic, :msg::jsonb);
