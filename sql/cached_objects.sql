-- cached_objects: a backend keeps the prepared statements of at most
-- pgmq_c.cached_objects queues, topics and groups; beyond it the least
-- recently used have theirs freed (and PostgreSQL's relation and catalog
-- caches are reset once as many were freed as the limit), and everything
-- works on as before, statements prepared again where needed.

SHOW pgmq_c.cached_objects;
SET pgmq_c.cached_objects = 0;    -- out of range
SET pgmq_c.cached_objects = 5;

-- 60 queues (every third keyed), a topic with two groups and a retry
-- policy whose dead letters go to one of the queues
SELECT count(pgmq_c.create_queue('co_' || i)) FROM generate_series(1, 60) i;
SELECT pgmq_c.create_topic('co_topic');
SELECT pgmq_c.create_group('co_topic', 'a', 'earliest');
SELECT pgmq_c.create_group('co_topic', 'b', 'earliest');
SELECT pgmq_c.alter_group('co_topic', 'b', max_deliveries => 1, dead_letter_queue => 'co_1');

-- plans kept now, from this backend's point of view (catalog statements
-- included): the baseline for the counts below
SELECT count(*) AS plans_before FROM pg_backend_memory_contexts WHERE name = 'CachedPlan' \gset

-- send, read, delete on every queue, one call each, three rounds
CREATE FUNCTION pgmqc_test.co_round(r int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	sent bigint := 0;
BEGIN
	FOR i IN 1 .. 60 LOOP
		PERFORM pgmq_c.send('co_' || i, jsonb_build_object('i', i, 'r', r),
							ordering_key => CASE WHEN i % 3 = 0 THEN 'k' END);
		sent := sent + 1;
	END LOOP;
	RETURN sent;
END $$;
SELECT pgmqc_test.co_round(1), pgmqc_test.co_round(2), pgmqc_test.co_round(3);

-- each queue holds its three messages in order (a keyed queue: one at a
-- time); read and delete them one call at a time, queue after queue
CREATE TABLE pgmqc_test.co_got (queue text, r int);
DO $$
DECLARE
	m pgmq_c.message;
BEGIN
	FOR round IN 1 .. 3 LOOP
		FOR i IN 1 .. 60 LOOP
			SELECT * INTO m FROM pgmq_c.read('co_' || i, '1 minute', 1);
			INSERT INTO pgmqc_test.co_got VALUES ('co_' || i, (m.message->>'r')::int);
			PERFORM pgmq_c.delete('co_' || i, m.msg_id, m.read_ct);
		END LOOP;
	END LOOP;
END $$;
SELECT sum(cardinality(rs)) AS deliveries, count(*) AS queues,
       bool_and(rs = '{1,2,3}') AS each_in_send_order
  FROM (SELECT queue, array_agg(r ORDER BY ctid) AS rs FROM pgmqc_test.co_got GROUP BY queue) s;
SELECT sum((pgmq_c.metrics('co_' || i)).queue_length) AS left_in_queues FROM generate_series(1, 60) i;

-- the topic between the queues: group a acknowledges, group b nacks and
-- so dead-letters into co_1 (a nested lookup while over the limit)
SELECT count(pgmq_c.send('co_topic', jsonb_build_object('n', n))) FROM generate_series(1, 4) n;
DO $$
DECLARE
	m pgmq_c.message;
BEGIN
	FOR n IN 1 .. 4 LOOP
		PERFORM pgmq_c.send('co_' || (10 + n), '{}');
		SELECT * INTO m FROM pgmq_c.read_group('co_topic', 'a', '1 minute', 1);
		PERFORM pgmq_c.ack('co_topic', 'a', m.msg_id, m.read_ct);
		PERFORM pgmq_c.send('co_' || (20 + n), '{}');
		SELECT * INTO m FROM pgmq_c.read_group('co_topic', 'b', '1 minute', 1);
		PERFORM pgmq_c.nack('co_topic', 'b', m.msg_id, '0', m.read_ct);
	END LOOP;
END $$;
SELECT group_name, lag FROM pgmq_c.list_groups('co_topic') ORDER BY 1;
SELECT count(*) AS dead_letters_in_co_1 FROM pgmq_c.read('co_1', '1 minute', 10);

-- the plans kept beyond the baseline: those of at most 6 objects (the
-- limit, and the one a call is using), a few statements each (19 when
-- this was written), where the 60 queues and 2 groups touched keep some
-- 300 without a limit
SELECT count(*) - :plans_before <= 6 * 8 AS plans_bounded
  FROM pg_backend_memory_contexts WHERE name = 'CachedPlan';

-- with the limit above what is touched, a round of sends keeps a plan
-- per queue
SET pgmq_c.cached_objects = 1000;
SELECT pgmqc_test.co_round(4);
SELECT count(*) - :plans_before >= 60 AS plans_all_kept
  FROM pg_backend_memory_contexts WHERE name = 'CachedPlan';
RESET pgmq_c.cached_objects;

SELECT pgmq_c.drop_topic('co_topic');
SELECT count(pgmq_c.drop_queue('co_' || i)) FROM generate_series(1, 60) i;
DROP TABLE pgmqc_test.co_got;
DROP FUNCTION pgmqc_test.co_round(int);
