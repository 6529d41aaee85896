-- pgmq_c: pop 1 (read and delete at once)
SELECT * FROM pgmq_c.pop('bench', 1);
