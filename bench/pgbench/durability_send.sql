-- bench/durability.sh part 1: send 1 message per transaction (autocommit)
-- to :queue; the same script on the unlogged queue, the logged queue and
-- the logged queue with synchronous_commit = off (set with PGOPTIONS).
-- :queue and :msg are set with -D.
SELECT pgmq_c.send(:queue, :msg::jsonb);
