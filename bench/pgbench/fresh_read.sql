-- bench/fresh_connection.sh: the first read of a new connection (pgbench
-- -C, -M simple; :queue is a quoted literal); vt '0' leases nothing, so every
-- connection finds the same queue
SELECT count(*) FROM pgmq_c.read(:queue, '0', 1);
