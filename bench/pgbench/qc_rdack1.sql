-- pgmq_c: read 1 (30 s lease) that deletes the message this client read
-- before (delete_ids; :last starts at 0, which deletes nothing), in one
-- autocommit statement: one commit per message consumed
SELECT coalesce(max(msg_id), 0) AS last
  FROM pgmq_c.read('bench', '30 seconds', 1, delete_ids => ARRAY[:last]::bigint[]) \gset
