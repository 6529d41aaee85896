-- plans: a queue's kept statements read by index whatever its tables'
-- statistics say.  A plan kept from a moment the queue looked empty (no
-- ANALYZE yet, or one taken while it was empty) must not scan the whole
-- message table once the queue has grown.  Each case loads 20,000
-- messages, then reads, deletes, pops, archives and re-times in one
-- transaction, more often than the plan cache's first five custom plans,
-- and counts what that transaction did to the queue's tables: no
-- sequential scan, and a few index entries per call.

SELECT pgmq_c.create_queue('pl_never');     -- never analyzed
SELECT pgmq_c.create_queue('pl_empty');     -- analyzed while empty
SELECT pgmq_c.create_queue('pl_keyed');     -- analyzed while empty, keyed

SELECT format('pgmq_c.q_%s', queue_id) AS never_q FROM pgmq_c.list_queues() WHERE queue_name = 'pl_never' \gset
SELECT format('pgmq_c.q_%s', queue_id) AS empty_q, format('pgmq_c.d_%s', queue_id) AS empty_d
  FROM pgmq_c.list_queues() WHERE queue_name = 'pl_empty' \gset
SELECT format('pgmq_c.q_%s', queue_id) AS keyed_q, format('pgmq_c.p_%s', queue_id) AS keyed_p,
       format('pgmq_c.k_%s', queue_id) AS keyed_k
  FROM pgmq_c.list_queues() WHERE queue_name = 'pl_keyed' \gset

ANALYZE :empty_q, :empty_d, :keyed_q, :keyed_p, :keyed_k;
SELECT q.queue_name, c.reltuples, c.relpages
  FROM pg_class c JOIN pgmq_c.list_queues() q ON c.relname = 'q_' || q.queue_id
 WHERE c.oid IN (:'never_q'::regclass, :'empty_q'::regclass, :'keyed_q'::regclass)
 ORDER BY 1;

-- the same work on each queue, from a backend that has made its plans
-- before the load (while the tables were empty)
CREATE FUNCTION pgmqc_test.plan_work(q text, loops int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	m pgmq_c.message;
BEGIN
	FOR i IN 1 .. loops LOOP
		SELECT * INTO m FROM pgmq_c.read(q, '30 seconds', 1);
		PERFORM pgmq_c.delete(q, coalesce(m.msg_id, 0), m.read_ct);
		SELECT * INTO m FROM pgmq_c.read(q, '30 seconds', 1,
										 delete_ids => ARRAY[coalesce(m.msg_id, 0)]);
		PERFORM pgmq_c.set_vt(q, coalesce(m.msg_id, 0), '0', m.read_ct);
		PERFORM pgmq_c.archive(q, coalesce(m.msg_id, 0));
		PERFORM pgmq_c.pop(q, 1);
	END LOOP;
END $$;
SELECT pgmqc_test.plan_work('pl_never', 1), pgmqc_test.plan_work('pl_empty', 1),
       pgmqc_test.plan_work('pl_keyed', 1);

-- 20,000 messages each, in batches of 10,000 (keyed: 100 keys)
SELECT sum((SELECT count(*) FROM pgmq_c.send_batch(q,
		ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 10000) i),
		ordering_keys => CASE WHEN q = 'pl_keyed'
						 THEN ARRAY(SELECT 'k' || (i % 100) FROM generate_series(1, 10000) i) END)))
  FROM unnest(ARRAY['pl_never', 'pl_empty', 'pl_keyed']) q, generate_series(1, 2) b;

-- statistics of this backend flushed, so that the next transaction counts
-- only its own scans
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT pgmqc_test.plan_work('pl_never', 10), pgmqc_test.plan_work('pl_empty', 10),
       pgmqc_test.plan_work('pl_keyed', 10);
SELECT q.queue_name, left(c.relname, 1) AS table_kind,
       pg_stat_get_xact_numscans(c.oid) AS seq_scans
  FROM pg_class c
  JOIN pgmq_c.list_queues() q ON c.relname ~ ('^[qdpk]_' || q.queue_id || '$')
 WHERE c.oid IN (:'never_q'::regclass, :'empty_q'::regclass, :'empty_d'::regclass,
                 :'keyed_q'::regclass, :'keyed_p'::regclass, :'keyed_k'::regclass)
 ORDER BY 1, 2;
-- index entries returned by the primary keys of the three message tables,
-- for 10 loops of six calls each: a walk of the 20,000 would show here
SELECT max(pg_stat_get_xact_tuples_returned(i.indexrelid)) < 2000 AS few_index_entries
  FROM pg_index i
 WHERE i.indrelid IN (:'never_q'::regclass, :'empty_q'::regclass, :'keyed_q'::regclass)
   AND i.indisprimary;
COMMIT;

SELECT pgmq_c.drop_queue('pl_never'), pgmq_c.drop_queue('pl_empty'), pgmq_c.drop_queue('pl_keyed');
DROP FUNCTION pgmqc_test.plan_work(text, int);
