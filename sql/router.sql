-- router: CREATE EXTENSION pgmq_c_router routes pgmq_c's API over several
-- pgmq_c nodes with PL/Proxy.  Here the nodes are three databases of this
-- cluster (router_n0 .. router_n2) and the router is this database; TAP test
-- 033 runs three clusters.
SELECT current_database() AS router_db \gset
-- errors show their message, detail and hint, not the plpgsql lines
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP DATABASE IF EXISTS router_n0;
DROP DATABASE IF EXISTS router_n1;
DROP DATABASE IF EXISTS router_n2;
RESET client_min_messages;
CREATE DATABASE router_n0;
CREATE DATABASE router_n1;
CREATE DATABASE router_n2;
\c router_n0
CREATE EXTENSION pgmq_c;
\c router_n1
CREATE EXTENSION pgmq_c;
\c router_n2
CREATE EXTENSION pgmq_c;
\c :router_db
-- a trap planted before the extension is made: bigint % integer has no
-- exact match in pg_catalog, so an unqualified % in a body bound at CREATE
-- time would be bound to it
CREATE FUNCTION public.router_trap(bigint, integer) RETURNS bigint LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'trap operator called'; END $$;
CREATE OPERATOR public.% (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = public.router_trap);
-- a schema pgmq_c_router another role made first is refused (42501), and
-- the one CREATE EXTENSION makes is the superuser's
CREATE ROLE regress_pgmqc_squatter;
GRANT CREATE ON DATABASE :"router_db" TO regress_pgmqc_squatter;
SET ROLE regress_pgmqc_squatter;
CREATE SCHEMA pgmq_c_router;
RESET ROLE;
CREATE EXTENSION pgmq_c_router CASCADE;
SELECT count(*) AS extensions FROM pg_extension WHERE extname IN ('pgmq_c_router', 'plproxy');
DROP SCHEMA pgmq_c_router;
REVOKE CREATE ON DATABASE :"router_db" FROM regress_pgmqc_squatter;
DROP ROLE regress_pgmqc_squatter;
CREATE EXTENSION pgmq_c_router CASCADE;
SELECT nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS superuser_owns
  FROM pg_namespace WHERE nspname = 'pgmq_c_router';
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c_router';
SELECT pgmq_c_router.node_of_key('order-1', 3) BETWEEN 0 AND 2 AS trap_not_bound;
-- nothing of the extension depends on it
DROP OPERATOR public.% (bigint, integer);
DROP FUNCTION public.router_trap(bigint, integer);

-- no cluster yet: a clear error
SELECT pgmq_c_router.node_count();
-- three nodes; PL/Proxy itself refuses a number that is not a power of two
-- unless modular_mapping is set
SELECT format('host=%s port=%s dbname=router_n', split_part(current_setting('unix_socket_directories'), ',', 1),
		current_setting('port')) AS conn \gset
SELECT :'conn' || '0' AS c0, :'conn' || '1' AS c1, :'conn' || '2' AS c2 \gset
\set VERBOSITY terse
CREATE SERVER pgmq_c_cluster FOREIGN DATA WRAPPER plproxy
	OPTIONS (p0 :'c0', p1 :'c1', p2 :'c2');
\set VERBOSITY default
-- two nodes need no modular_mapping; then a third is added
CREATE SERVER pgmq_c_cluster FOREIGN DATA WRAPPER plproxy OPTIONS (p0 :'c0', p1 :'c1');
-- every role that calls the router needs a user mapping of its own (no user
-- option: PL/Proxy connects as the caller)
CREATE USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster;
SELECT pgmq_c_router.node_count();
ALTER SERVER pgmq_c_cluster OPTIONS (ADD modular_mapping '1', ADD p2 :'c2');
SELECT pgmq_c_router.node_count();
-- PL/Proxy's own notices (a connection dropped after an error) are noise here
SET client_min_messages = warning;

-- a queue on every node
SELECT pgmq_c_router.create_queue('rq');
SET client_min_messages = error;	-- each node's notice "already exists"
SELECT pgmq_c_router.create_queue('rq');	-- a no-op, as pgmq_c's
SET client_min_messages = warning;
SELECT node, (metrics).queue_name, (metrics).queue_length
  FROM pgmq_c_router.metrics_by_node('rq') ORDER BY node;

-- unkeyed sends go to the nodes in turn: six messages, two per node
CREATE TEMP TABLE sent (msg_id bigint, what text);
INSERT INTO sent SELECT pgmq_c_router.send('rq', jsonb_build_object('n', i)), 'plain'
  FROM generate_series(1, 6) i;
SELECT msg_id >> 48 AS node, count(*) FROM sent GROUP BY 1 ORDER BY 1;

-- a key always goes to its node (abs(hashtext(key)) % 3), in send order
INSERT INTO sent SELECT pgmq_c_router.send('rq', jsonb_build_object('seq', i), ordering_key => 'order-1'), 'keyed'
  FROM generate_series(1, 3) i;
SELECT count(DISTINCT msg_id >> 48) AS nodes,
       bool_and(msg_id >> 48 = pgmq_c_router.node_of_key('order-1', 3)) AS on_key_node,
       bool_and(previous IS NULL OR msg_id > previous) AS ascending
  FROM (SELECT msg_id, lag(msg_id) OVER (ORDER BY ctid) AS previous
          FROM sent WHERE what = 'keyed') s;
SELECT pgmq_c_router.node_of_key('order-1', 3) = abs(hashtext('order-1')::bigint) % 3 AS key_node_rule;

-- deduplication: the same id goes to the same node and returns the first msg_id
SELECT pgmq_c_router.send('rq', '{"d": 1}', dedup_id => 'pay-7') = pgmq_c_router.send('rq', '{"d": 2}', dedup_id => 'pay-7') AS deduplicated;

-- send_batch: msg_ids in array order; keyed ones on their key's node, the
-- unkeyed ones together on one node
CREATE TEMP TABLE batch AS
SELECT b.msg_id, b.o, k.key
  FROM pgmq_c_router.send_batch('rq',
		ARRAY['{"b": 1}', '{"b": 2}', '{"b": 3}', '{"b": 4}', '{"b": 5}']::jsonb[],
		ordering_keys => ARRAY['k-a', NULL, 'k-b', 'k-a', NULL]) WITH ORDINALITY AS b(msg_id, o)
  JOIN unnest(ARRAY['k-a', NULL, 'k-b', 'k-a', NULL]) WITH ORDINALITY AS k(key, o) USING (o);
SELECT o, key, msg_id >> 48 = coalesce(pgmq_c_router.node_of_key(key, 3),
		(SELECT msg_id >> 48 FROM batch WHERE o = 2)) AS right_node
  FROM batch ORDER BY o;
SELECT (SELECT msg_id FROM batch WHERE o = 1) < (SELECT msg_id FROM batch WHERE o = 4) AS key_a_in_order;

-- what went where, summed: 6 + 3 + 1 + 5 messages
SELECT (m).queue_name, (m).queue_length, (m).length_is_exact FROM pgmq_c_router.metrics('rq') m;
SELECT sum((metrics).queue_length) AS total FROM pgmq_c_router.metrics_by_node('rq');

-- read: up to qty from the nodes in turn, never two messages of a key
CREATE TEMP TABLE got AS SELECT * FROM pgmq_c_router.read('rq', '30 seconds', 100);
SELECT count(*) AS read, count(DISTINCT msg_id >> 48) AS nodes FROM got;
SELECT ordering_key, count(*) FROM got WHERE ordering_key IS NOT NULL GROUP BY 1 ORDER BY 1;
SELECT bool_and(read_ct = 1) AS first_delivery FROM got;
-- read with delete_ids acknowledges the receipts on their nodes and reads on
SELECT count(*) AS next_heads FROM pgmq_c_router.read('rq', '30 seconds', 100,
	delete_ids => (SELECT array_agg(msg_id) FROM got),
	delete_read_cts => (SELECT array_agg(read_ct) FROM got));
-- the next key heads came; a stale receipt deletes nothing
SELECT pgmq_c_router.delete('rq', (SELECT msg_id FROM got LIMIT 1)) AS stale_delete;
SELECT (m).queue_length FROM pgmq_c_router.metrics('rq') m;

-- set_vt and nack route by msg_id; archive and delete by arrays
SELECT msg_id >> 48 = (SELECT msg_id FROM batch WHERE o = 4) >> 48 AS same_node
  FROM pgmq_c_router.set_vt('rq', (SELECT msg_id FROM batch WHERE o = 4), '0 seconds');
SELECT count(*) AS leased FROM pgmq_c_router.read('rq', '30 seconds', 100);
SELECT pgmq_c_router.nack('rq', (SELECT msg_id FROM batch WHERE o = 4), '0 seconds') AS nacked;
SELECT count(*) AS archived FROM pgmq_c_router.archive('rq',
	ARRAY(SELECT msg_id FROM pgmq_c_router.read('rq', '30 seconds', 100)));
SELECT count(*) AS popped FROM pgmq_c_router.pop('rq', 100);
-- keyed messages left after their heads went: make them visible, read them all
SELECT count(*) AS made_visible FROM sent s, pgmq_c_router.set_vt('rq', s.msg_id, '0 seconds')
 WHERE s.what = 'keyed';
DO $$
DECLARE
	ids bigint[];
	rounds int := 0;
BEGIN
	LOOP
		ids := ARRAY(SELECT msg_id FROM pgmq_c_router.read('rq', '30 seconds', 100));
		EXIT WHEN cardinality(ids) = 0;
		PERFORM pgmq_c_router.delete('rq', ids);
		rounds := rounds + 1;
		IF rounds > 10 THEN RAISE 'queue does not drain'; END IF;
	END LOOP;
END
$$;
SELECT (m).queue_length, (m).archived_length FROM pgmq_c_router.metrics('rq') m;

-- a session's reads start at the next node each time, whatever its sends
-- do in between: nine reads of one message, interleaved with two sends each,
-- take three from each node
SELECT count(*) AS sent FROM (SELECT pgmq_c_router.send('rq', '{"fair": 0}') FROM generate_series(1, 9)) s;
CREATE TEMP TABLE fair AS SELECT 0::bigint AS msg_id WHERE false;
DO $$
BEGIN
	FOR i IN 1 .. 9 LOOP
		INSERT INTO fair SELECT msg_id FROM pgmq_c_router.read('rq', '30 seconds', 1);
		PERFORM pgmq_c_router.send('rq', '{"fair": 1}');
		PERFORM pgmq_c_router.send('rq', '{"fair": 2}');
	END LOOP;
END
$$;
SELECT msg_id >> 48 AS node, count(*) FROM fair GROUP BY 1 ORDER BY 1;
SELECT count(*) AS cleaned_up FROM pgmq_c_router.delete('rq', ARRAY(SELECT msg_id FROM fair));
SELECT count(*) AS popped FROM pgmq_c_router.pop('rq', 100);
SELECT (m).queue_length FROM pgmq_c_router.metrics('rq') m;

-- waiting: nothing there, then a message delayed by 300 ms on some node
SELECT count(*) AS nothing FROM pgmq_c_router.read('rq', '30 seconds', 1, wait => '200 milliseconds');
SELECT pgmq_c_router.send('rq', '{"late": true}', delay => '300 milliseconds') > 0 AS sent;
SELECT message FROM pgmq_c_router.read('rq', '30 seconds', 1, wait => '5 seconds');
CALL pgmq_c_router.receive('rq', '30 seconds', 5);

-- topics: every group sees every message, from every node
SELECT pgmq_c_router.create_topic('rt');
SELECT pgmq_c_router.create_group('rt', 'g1', 'earliest');
SELECT pgmq_c_router.create_group('rt', 'g2', 'earliest');
SELECT count(*) FROM pgmq_c_router.send_batch('rt',
	ARRAY(SELECT jsonb_build_object('t', i) FROM generate_series(1, 9) i),
	ordering_keys => ARRAY(SELECT 'key-' || i FROM generate_series(1, 9) i));
SELECT count(*) AS g1_read, count(DISTINCT msg_id >> 48) AS nodes
  FROM pgmq_c_router.read_group('rt', 'g1', qty => 100);
SELECT group_name, lag, in_flight, lag_is_exact FROM pgmq_c_router.list_groups('rt');
SELECT count(*) AS g2_acked FROM pgmq_c_router.ack('rt', 'g2',
	ARRAY(SELECT msg_id FROM pgmq_c_router.read_group('rt', 'g2', qty => 100)));
SELECT group_name, lag, in_flight FROM pgmq_c_router.list_groups('rt');
SELECT node, group_name, lag FROM pgmq_c_router.list_groups_by_node('rt') ORDER BY node, group_name;

-- bad input: clear errors, nothing routed
SELECT pgmq_c_router.delete('rq', 5 + (7::bigint << 48));
SELECT pgmq_c_router.delete('rq', -1);
SELECT pgmq_c_router.delete('rq', NULL::bigint);
SELECT * FROM pgmq_c_router.delete('rq', ARRAY[1, NULL]::bigint[]);
SELECT * FROM pgmq_c_router.delete('rq', ARRAY[1, 2]::bigint[], ARRAY[1]);
SELECT * FROM pgmq_c_router.delete('rq', NULL::bigint[]);
SELECT * FROM pgmq_c_router.read('rq', qty => 0);
SELECT * FROM pgmq_c_router.read('rq', qty => NULL);
SELECT * FROM pgmq_c_router.read('rq', wait => '-1 second');
SELECT * FROM pgmq_c_router.read('rq', wait => NULL);
SELECT * FROM pgmq_c_router.read_group('rt', NULL);
SELECT * FROM pgmq_c_router.send_batch('rq', ARRAY['{}', '{}']::jsonb[], ordering_keys => ARRAY['a']);
SELECT pgmq_c_router.node_of_key('a', 0);
SELECT pgmq_c_router.node_of_key('a', -3);
-- the helper that picks the starting node (before: 22012, division by zero)
SELECT pgmq_c_router.next_turn('send', 0);
SELECT pgmq_c_router.next_turn('write', 2);
SELECT pgmq_c_router.next_turn(NULL, 2);
-- a batch split over nodes is checked element by element before any node
-- stores its part: a bad element stores nothing
SELECT 'k-' || i AS key_a FROM generate_series(1, 100) i
 WHERE pgmq_c_router.node_of_key('k-' || i, 3) = 0 ORDER BY i LIMIT 1 \gset
SELECT 'k-' || i AS key_b FROM generate_series(1, 100) i
 WHERE pgmq_c_router.node_of_key('k-' || i, 3) = 2 ORDER BY i LIMIT 1 \gset
SELECT (m).queue_length AS length_before FROM pgmq_c_router.metrics('rq') m \gset
SELECT * FROM pgmq_c_router.send_batch('rq', ARRAY['{"ok": 1}', '42']::jsonb[],
	ordering_keys => ARRAY[:'key_a', :'key_b']);
SELECT * FROM pgmq_c_router.send_batch('rq', ARRAY['{"ok": 2}', NULL]::jsonb[],
	ordering_keys => ARRAY[:'key_a', :'key_b']);
SELECT * FROM pgmq_c_router.send_batch('rq', ARRAY['{"ok": 3}', '{}']::jsonb[],
	ARRAY['{}', '[1]']::jsonb[], ordering_keys => ARRAY[:'key_a', :'key_b']);
SELECT * FROM pgmq_c_router.send_batch('rq', ARRAY['{"ok": 4}', '{}']::jsonb[],
	ordering_keys => ARRAY[:'key_a', repeat('x', 257)]);
SELECT * FROM pgmq_c_router.send_batch('rq', ARRAY['{"ok": 5}', '{}']::jsonb[],
	ordering_keys => ARRAY[:'key_a', '']);
SELECT * FROM pgmq_c_router.send_batch('rq', ARRAY['{"ok": 6}', '{}']::jsonb[],
	dedup_ids => ARRAY[:'key_a', repeat('é', 129)]);
SELECT * FROM pgmq_c_router.send_batch('rq', array_fill('{}'::jsonb, ARRAY[10001]),
	ordering_keys => array_fill(:'key_a'::text, ARRAY[10001]));
SELECT (m).queue_length = :length_before AS nothing_stored FROM pgmq_c_router.metrics('rq') m;
-- what pgmq_c takes passes: NULL headers, keys and dedup ids are none
SELECT count(*) AS sent FROM pgmq_c_router.send_batch('rq', ARRAY['{"ok": 7}', '[]']::jsonb[],
	ARRAY[NULL, '{"h": 1}']::jsonb[], ordering_keys => ARRAY[:'key_a', NULL],
	dedup_ids => ARRAY[NULL, repeat('é', 128)]);
SELECT count(*) AS cleaned_up FROM pgmq_c_router.pop('rq', 100);
SET pgmq_c_router.wait_slice = 'soon';
SELECT * FROM pgmq_c_router.read('rq', wait => '1 second');
RESET pgmq_c_router.wait_slice;
-- waits are bounded as on a node: read() and read_group() by
-- pgmq_c_router.max_wait (30 s), receive() and receive_group() by
-- pgmq_c_router.max_receive_wait (10 minutes); a huge wait is refused,
-- not a timestamp out of range
SELECT * FROM pgmq_c_router.read('rq', wait => '1000000 years');
SELECT * FROM pgmq_c_router.read_group('rt', 'g', wait => '31 seconds');
CALL pgmq_c_router.receive('rq', wait => '11 minutes');
CALL pgmq_c_router.receive_group('rt', 'g', wait => '1000000 years');
CALL pgmq_c_router.receive_group('rt', NULL);
SET pgmq_c_router.max_wait = '100 milliseconds';
SELECT * FROM pgmq_c_router.read('rq', wait => '1 second');
SET pgmq_c_router.max_wait = 'forever';
SELECT * FROM pgmq_c_router.read('rq', wait => '1 second');
RESET pgmq_c_router.max_wait;
-- the SQLSTATEs of those errors
CREATE FUNCTION pg_temp.sqlstate_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;
SELECT s AS statement, pg_temp.sqlstate_of(s) FROM unnest(ARRAY[
	$q$SELECT pgmq_c_router.delete('rq', 5 + (7::bigint << 48))$q$,
	$q$SELECT pgmq_c_router.delete('rq', NULL::bigint)$q$,
	$q$SELECT pgmq_c_router.delete('rq', ARRAY[1, NULL]::bigint[])$q$,
	$q$SELECT pgmq_c_router.delete('rq', ARRAY[1, 2]::bigint[], ARRAY[1])$q$,
	$q$SELECT pgmq_c_router.read('rq', qty => 0)$q$,
	$q$SELECT pgmq_c_router.read('rq', wait => '-1 second')$q$,
	$q$SELECT pgmq_c_router.read('rq', wait => NULL)$q$,
	$q$SELECT pgmq_c_router.read('rq', wait => '1000000 years')$q$,
	$q$CALL pgmq_c_router.receive('rq', wait => '11 minutes')$q$,
	$q$SELECT pgmq_c_router.send_batch('rq', ARRAY['{}', '{}']::jsonb[], ordering_keys => ARRAY['a'])$q$,
	$q$SELECT pgmq_c_router.send_batch('rq', ARRAY['{}', '{}', '{}', '{}']::jsonb[], ordering_keys => ARRAY[['a', 'b'], ['c', 'd']])$q$,
	$q$SELECT pgmq_c_router.read('rq', delete_read_cts => ARRAY[1])$q$,
	$q$SELECT pgmq_c_router.read('rq', delete_ids => ARRAY[1, 2]::bigint[], delete_read_cts => ARRAY[[1], [1]])$q$,
	$q$SELECT pgmq_c_router.node_id(1, 281474976710656)$q$,
	$q$SELECT pgmq_c_router.node_of_key('a', 0)$q$,
	$q$SELECT pgmq_c_router.send_batch('rq', ARRAY['{}', '42']::jsonb[], ordering_keys => ARRAY['a', 'b'])$q$,
	$q$SELECT pgmq_c_router.send_batch('rq', ARRAY['{}', NULL]::jsonb[], ordering_keys => ARRAY['a', 'b'])$q$,
	$q$SELECT pgmq_c_router.send_batch('rq', ARRAY['{}', '{}']::jsonb[], ARRAY['{}', '1']::jsonb[], ordering_keys => ARRAY['a', 'b'])$q$,
	$q$SELECT pgmq_c_router.send_batch('rq', ARRAY['{}', '{}']::jsonb[], ordering_keys => ARRAY['a', ''])$q$,
	$q$SELECT pgmq_c_router.send_batch('rq', array_fill('{}'::jsonb, ARRAY[10001]), dedup_ids => array_fill('a'::text, ARRAY[10001]))$q$]) s;
-- the helpers and node calls are executable by every role (the wrappers
-- run as their caller, so that PL/Proxy connects through the caller's own
-- user mapping): called directly with bad input they give clear errors,
-- never PL/Proxy's internal error (XX000) or a call routed to another node
-- than the one named
SELECT pgmq_c_router.node_send(NULL, 'rq', '{}', NULL, '0', NULL, NULL);
SELECT * FROM pgmq_c_router.node_pop(3, 'rq', 1);
SELECT * FROM pgmq_c_router.node_pop(-1, 'rq', 1);
SELECT * FROM pgmq_c_router.consume_one('rq', NULL, NULL, '1 second', 1, '0', NULL, NULL);
SELECT * FROM pgmq_c_router.consume('rq', NULL, '1 second', 1, '0', NULL, NULL, NULL);
SELECT pgmq_c_router.node_error(0, 'send', NULL);
SELECT pgmq_c_router.node_error(NULL, NULL, 'lost');
SELECT pgmq_c_router.node_error(0, 'send', 'lost', NULL);
SELECT pgmq_c_router.warn_failed(0, 'delete', NULL);
SELECT pgmq_c_router.warn_failed(NULL, 'delete', 'lost');
SELECT pgmq_c_router.check_batch(ARRAY[['{}'::jsonb]], NULL, NULL, NULL);
SELECT pgmq_c_router.check_batch(ARRAY['{}'::jsonb], NULL, ARRAY[['a']], NULL);
SELECT pgmq_c_router.check_batch(NULL, NULL, NULL, NULL);
SELECT * FROM pgmq_c_router.settle_many('drop', 'rq', NULL, ARRAY[1]::bigint[], NULL);
SELECT pgmq_c_router.on_each_node('delete', 'no_such_queue');
-- every node call, with a NULL node
SELECT pg_temp.sqlstate_of(format('SELECT * FROM %s(%s)', p.oid::regproc,
		(SELECT string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY o)
		   FROM unnest(p.proargtypes) WITH ORDINALITY AS a(t, o)))) AS sqlstate,
	   count(*) AS node_calls
  FROM pg_proc p
 WHERE p.pronamespace = 'pgmq_c_router'::regnamespace
   AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plproxy')
   AND p.proname NOT LIKE 'node\_all\_%'
 GROUP BY 1;
SELECT s AS statement, pg_temp.sqlstate_of(s) FROM unnest(ARRAY[
	$q$SELECT pgmq_c_router.node_send(NULL, 'rq', '{}', NULL, '0', NULL, NULL)$q$,
	$q$SELECT pgmq_c_router.node_pop(3, 'rq', 1)$q$,
	$q$SELECT pgmq_c_router.consume('rq', NULL, '1 second', 1, '0', NULL, NULL, NULL)$q$,
	$q$SELECT pgmq_c_router.node_error(0, 'send', NULL)$q$,
	$q$SELECT pgmq_c_router.warn_failed(0, 'delete', NULL)$q$,
	$q$SELECT pgmq_c_router.check_batch(ARRAY[['{}'::jsonb]], NULL, NULL, NULL)$q$,
	$q$SELECT pgmq_c_router.settle_many('drop', 'rq', NULL, ARRAY[1]::bigint[], NULL)$q$,
	$q$SELECT pgmq_c_router.on_each_node('delete', 'no_such_queue')$q$]) s;
-- errors the nodes raise keep their SQLSTATE
\set VERBOSITY sqlstate
SELECT * FROM pgmq_c_router.read('no_such_queue');
SELECT pgmq_c_router.send('no_such_queue', '{}', ordering_key => 'x');
SELECT pgmq_c_router.send('rq', '{}', ordering_key => '');
\set VERBOSITY default

-- a node that cannot be reached: reads skip it, unkeyed sends go to the
-- next node, keyed sends to it fail, receipts of it are reported
SELECT pgmq_c_router.send('rq', jsonb_build_object('n', i)) > 0 AS sent FROM generate_series(1, 6) i;
ALTER SERVER pgmq_c_cluster OPTIONS (SET p1 'host=/nonexistent port=1 dbname=router_n1');
SELECT count(*) > 0 AS read_from_others, bool_and(msg_id >> 48 <> 1) AS none_from_node_1
  FROM pgmq_c_router.read('rq', '30 seconds', 100);
SELECT bool_and(pgmq_c_router.send('rq', '{}') >> 48 <> 1) AS sent_elsewhere FROM generate_series(1, 3);
SELECT 'key-' || i AS key_of_node_1 FROM generate_series(1, 100) i
 WHERE pgmq_c_router.node_of_key('key-' || i, 3) = 1 ORDER BY i LIMIT 1 \gset
\set VERBOSITY terse
SELECT pgmq_c_router.send('rq', '{}', ordering_key => :'key_of_node_1') IS NULL AS failed;
SELECT pg_temp.sqlstate_of(format('SELECT pgmq_c_router.send(%L, %L, ordering_key => %L)',
	'rq', '{}', :'key_of_node_1')) AS keyed_send_sqlstate;
SELECT * FROM pgmq_c_router.delete('rq', ARRAY[(1::bigint << 48) + 1]);
\set VERBOSITY default
-- a read handing in a receipt of node 1 fails before it leases anything
-- (the three messages just sent to the others stay visible); so do the
-- single-receipt calls
SET client_min_messages = error;
SELECT (m).visible_length AS visible_before FROM pgmq_c_router.metrics('rq') m \gset
SELECT pg_temp.sqlstate_of(format('SELECT pgmq_c_router.read(%L, %L, 10, delete_ids => ARRAY[%s])',
	'rq', '30 seconds', (1::bigint << 48) + 1)) AS read_with_receipt_of_node_1;
SELECT (m).visible_length = :visible_before AS nothing_leased, :visible_before AS visible
  FROM pgmq_c_router.metrics('rq') m;
SELECT pg_temp.sqlstate_of(format('SELECT pgmq_c_router.%s', c)) AS sqlstate, c AS call
  FROM unnest(ARRAY[format('delete(%L, %s)', 'rq', (1::bigint << 48) + 1),
					format('nack(%L, %s)', 'rq', (1::bigint << 48) + 1),
					format('set_vt(%L, %s, %L)', 'rq', (1::bigint << 48) + 1, '0 seconds'),
					format('create_queue(%L)', 'rq2')]) c;
SET client_min_messages = warning;
SELECT count(*) AS nodes_answering FROM pgmq_c_router.metrics_by_node('rq');
SELECT (m).length_is_exact FROM pgmq_c_router.metrics('rq') m;
-- purge_queue and drop_queue go on with the other nodes and say where
-- they were done (rq2 was made on node 0 only: create_queue stopped at
-- node 1)
SELECT pgmq_c_router.purge_queue('rq');
SELECT pgmq_c_router.drop_queue('no_such_queue');
SELECT pgmq_c_router.purge_queue('rq2');
-- back again: its messages are all there
ALTER SERVER pgmq_c_cluster OPTIONS (SET p1 :'c1');
SELECT node, (metrics).queue_length > 0 AS has_messages
  FROM pgmq_c_router.metrics_by_node('rq') WHERE node = 1;

-- a node that answers but refuses the connection is not down: every call
-- that meets it fails, with the node's SQLSTATE (reads do not skip it;
-- this session's reads start at node 1 from here)
SET pgmq_c_router.read_turn = '0';
-- (the error of a statement, its detail and hint, without where the node's
-- server listens, which differs from run to run)
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	state	text;
	message	text;
	detail	text;
	hint	text;
BEGIN
	EXECUTE statement;
	RETURN NEXT 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN NEXT 'ERROR ' || state || ':  ' || message;
	RETURN NEXT 'DETAIL:  ' || regexp_replace(detail,
		'connection to server (on socket "[^"]*"|at "[^"]*"( \([^)]*\))?, port [0-9]+)',
		'connection to server', 'g');
	RETURN NEXT 'HINT:  ' || hint;
END
$$;
SELECT :'conn' || '_no_such_db' AS c_no_db \gset
ALTER SERVER pgmq_c_cluster OPTIONS (SET p1 :'c_no_db');
SELECT pg_temp.error_of($q$SELECT count(*) FROM pgmq_c_router.read('rq', '30 seconds', 100)$q$);
SELECT pg_temp.error_of($q$SELECT count(*) FROM pgmq_c_router.metrics_by_node('rq')$q$);
SELECT pg_temp.error_of($q$SELECT pgmq_c_router.purge_queue('rq2')$q$);
SELECT pg_temp.sqlstate_of(s) AS sqlstate, s AS call FROM unnest(ARRAY[
	$q$SELECT pgmq_c_router.read('rq', '30 seconds', 100)$q$,
	$q$SELECT pgmq_c_router.read('rq', '30 seconds', 100, '10 milliseconds')$q$,
	$q$SELECT pgmq_c_router.pop('rq')$q$,
	$q$SELECT pgmq_c_router.metrics('rq')$q$,
	$q$SELECT pgmq_c_router.send('rq', '{}') FROM generate_series(1, 3)$q$,
	$q$SELECT pgmq_c_router.delete('rq', ARRAY[(1::bigint << 48) + 1])$q$]) s;
-- a bad option in the connection string
SELECT :'c1' || ' no_such_option=1' AS c_bad_option \gset
ALTER SERVER pgmq_c_cluster OPTIONS (SET p1 :'c_bad_option');
SELECT count(*) FROM pgmq_c_router.read('rq', '30 seconds', 100);
ALTER SERVER pgmq_c_cluster OPTIONS (SET p1 :'c1');
-- a role the nodes do not let log in
CREATE ROLE router_nologin NOLOGIN;
GRANT USAGE ON FOREIGN SERVER pgmq_c_cluster TO router_nologin;
CREATE USER MAPPING FOR router_nologin SERVER pgmq_c_cluster OPTIONS (user 'router_nologin');
SET ROLE router_nologin;
SELECT pg_temp.error_of($q$SELECT count(*) FROM pgmq_c_router.read('rq', '30 seconds', 100)$q$);
SELECT pg_temp.sqlstate_of($q$SELECT pgmq_c_router.send('rq', '{}')$q$) AS send_sqlstate;
RESET ROLE;
DROP USER MAPPING FOR router_nologin SERVER pgmq_c_cluster;
REVOKE USAGE ON FOREIGN SERVER pgmq_c_cluster FROM router_nologin;
DROP ROLE router_nologin;
-- what counts as refused, from PL/Proxy's words for a failed connection
SELECT pgmq_c_router.refused('XX000', 'PL/Proxy function pgmq_c_router.node_read(7): [n1] PQconnectPoll: ' || m) AS refused, m AS libpq_says
  FROM unnest(ARRAY[
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  password authentication failed for user "app"',
	'connection to server at "10.0.0.1", port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.0.2", user "app", database "n1", no encryption',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  pg_hba.conf rejects connection for host "[local]", user "app", database "n1", no encryption',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  role "app" does not exist',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  role "app" is not permitted to log in',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  database "n1" does not exist',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  permission denied for database "n1"',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: fe_sendauth: no password supplied',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  the database system is starting up',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  the database system is shutting down',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  sorry, too many clients already',
	'connection to server on socket "/tmp/.s.PGSQL.5432" failed: No such file or directory',
	'connection to server at "10.0.0.1", port 5432 failed: Connection refused',
	'could not translate host name "node1" to address: Name or service not known']) m;
SELECT pgmq_c_router.refused('XX000', 'PL/Proxy function pgmq_c_router.node_read(7): [n1] PQconnectStart: invalid connection option "USER"') AS bad_option,
	   pgmq_c_router.refused('42704', 'PL/Proxy function pgmq_c_router.node_read(7): [n1] REMOTE ERROR: queue "q" does not exist') AS node_error;

-- security: the SQL sent to the nodes names pg_catalog's operators; a
-- trap operator in a schema the caller's search_path puts first on a node
-- is not called
\c router_n1
CREATE SCHEMA trap;
CREATE FUNCTION trap.sprung(bigint, bigint) RETURNS bigint LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'trap operator called'; END $$;
CREATE FUNCTION trap.sprung(bigint, integer) RETURNS bigint LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'trap operator called'; END $$;
CREATE OPERATOR trap.+ (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = trap.sprung);
CREATE OPERATOR trap.& (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = trap.sprung);
CREATE OPERATOR trap.<< (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = trap.sprung);
ALTER DATABASE router_n1 SET search_path = trap, pg_catalog, public;
\c router_n1
SELECT 1::bigint + 1::bigint AS trap_is_armed;
\c :router_db
SET client_min_messages = warning;
-- (what these show is that they do not fail with "trap operator called")
SELECT count(*) >= 0 AS read_ok FROM pgmq_c_router.read('rq', '30 seconds', 100);
SELECT count(*) >= 0 AS pop_ok FROM pgmq_c_router.pop('rq', 100);
SELECT pgmq_c_router.delete('rq', (1::bigint << 48) + 1) IS NOT NULL AS delete_ok;
-- and the router's own functions run with a pinned search_path
CREATE SCHEMA router_trap;
CREATE FUNCTION router_trap.sprung(bigint, integer) RETURNS bigint LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'trap operator called'; END $$;
CREATE OPERATOR router_trap.>> (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = router_trap.sprung);
CREATE OPERATOR router_trap.% (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = router_trap.sprung);
SET search_path = router_trap, pg_catalog, public;
SELECT pgmq_c_router.send('rq', '{}') > 0 AS send_ok;
SELECT count(*) >= 0 AS read_ok FROM pgmq_c_router.read('rq', '30 seconds', 1);
RESET search_path;
DROP SCHEMA router_trap CASCADE;

-- a role without USAGE on the server cannot route; creating queues is the
-- extension owner's, as in pgmq_c
CREATE ROLE router_outsider;
SET ROLE router_outsider;
SELECT pgmq_c_router.create_queue('outsider_q');
\set VERBOSITY terse
SELECT * FROM pgmq_c_router.read('rq');
\set VERBOSITY default
RESET ROLE;
DROP ROLE router_outsider;

-- user mappings of pgmq_c_cluster are the server owner's to make: a role
-- with USAGE on the server may not create, alter or drop its own (42501,
-- from an event trigger, in the transaction of the change).  One naming
-- another role, or none (PL/Proxy then takes the mapping FOR PUBLIC),
-- would connect to the nodes as that role wherever a node lets the
-- router's host in without that role's password, and a check before
-- PL/Proxy reads the mapping could not rule out a change committed in
-- between.
CREATE ROLE router_mapped;
CREATE ROLE router_other;
GRANT USAGE ON FOREIGN SERVER pgmq_c_cluster TO router_mapped;
SET ROLE router_mapped;
CREATE USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster OPTIONS (user 'router_mapped');
RESET ROLE;
CREATE USER MAPPING FOR router_mapped SERVER pgmq_c_cluster OPTIONS (user 'router_mapped');
SET ROLE router_mapped;
ALTER USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster OPTIONS (SET user 'router_other');
ALTER USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster OPTIONS (ADD password 'x');
DROP USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster;
DROP OWNED BY router_mapped;
DO $$
BEGIN
	ALTER USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster OPTIONS (SET user 'router_other');
END
$$;
-- also where event triggers that fire on origin only do not
RESET ROLE;
SET session_replication_role = replica;
SET ROLE router_mapped;
DROP USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster;
RESET ROLE;
RESET session_replication_role;
SELECT usename, umoptions FROM pg_user_mappings WHERE usename = 'router_mapped';
SELECT pgmq_c_router.node_count();
-- a mapping of another server is not the router's business
CREATE SERVER router_elsewhere FOREIGN DATA WRAPPER plproxy OPTIONS (p0 'dbname=x');
GRANT USAGE ON FOREIGN SERVER router_elsewhere TO router_mapped;
SET ROLE router_mapped;
CREATE USER MAPPING FOR CURRENT_USER SERVER router_elsewhere OPTIONS (user 'router_other');
DROP USER MAPPING FOR CURRENT_USER SERVER router_elsewhere;
RESET ROLE;
DROP SERVER router_elsewhere;
-- a mapping the owner got wrong is refused at every call, node functions
-- called directly included (node_count() reaches no node)
ALTER USER MAPPING FOR router_mapped SERVER pgmq_c_cluster OPTIONS (SET user 'router_other');
SET ROLE router_mapped;
SELECT * FROM pgmq_c_router.read('rq', '1 second', 1);
SELECT pgmq_c_router.send('rq', '{"from": "router_mapped"}');
SELECT pgmq_c_router.node_count();
SELECT pgmq_c_router.node_pop(0, 'rq', 1);
RESET ROLE;
-- a role without a mapping of its own does not get the mapping FOR PUBLIC
DROP USER MAPPING FOR router_mapped SERVER pgmq_c_cluster;
CREATE USER MAPPING FOR PUBLIC SERVER pgmq_c_cluster OPTIONS (user 'router_other');
SET ROLE router_mapped;
SELECT * FROM pgmq_c_router.read('rq', '1 second', 1);
SELECT pgmq_c_router.node_pop(0, 'rq', 1);
RESET ROLE;
DROP USER MAPPING FOR PUBLIC SERVER pgmq_c_cluster;
-- the server's owner, not a superuser, manages the mappings
CREATE ROLE router_owner;
GRANT USAGE ON FOREIGN DATA WRAPPER plproxy TO router_owner;
ALTER SERVER pgmq_c_cluster OWNER TO router_owner;
SET ROLE router_owner;
CREATE USER MAPPING FOR router_mapped SERVER pgmq_c_cluster OPTIONS (user 'router_mapped');
ALTER USER MAPPING FOR router_mapped SERVER pgmq_c_cluster OPTIONS (ADD password 'x');
DROP USER MAPPING FOR router_mapped SERVER pgmq_c_cluster;
RESET ROLE;
ALTER SERVER pgmq_c_cluster OWNER TO CURRENT_USER;
REVOKE USAGE ON FOREIGN DATA WRAPPER plproxy FROM router_owner;
DROP ROLE router_owner;
REVOKE USAGE ON FOREIGN SERVER pgmq_c_cluster FROM router_mapped;
DROP ROLE router_mapped;
DROP ROLE router_other;

-- drop everywhere
SELECT pgmq_c_router.drop_topic('rt');
SELECT pgmq_c_router.drop_queue('rq');
SELECT pgmq_c_router.drop_queue('rq');
-- rq2 was made on node 0 only, where create_queue ran before it failed
SELECT pgmq_c_router.drop_queue('rq2');
-- a node's error without a hint comes through as the node raised it (it
-- was 22004, "RAISE statement option cannot be null", before)
SELECT pgmq_c_router.drop_queue('a b');
SELECT pgmq_c_router.purge_queue(repeat('x', 81));
SELECT count(*) AS queues_left FROM pgmq_c_router.metrics_all();
DROP EXTENSION pgmq_c_router;
DROP SERVER pgmq_c_cluster CASCADE;
DROP EXTENSION plproxy;
SET client_min_messages = warning;
DROP DATABASE router_n0 WITH (FORCE);
DROP DATABASE router_n1 WITH (FORCE);
DROP DATABASE router_n2 WITH (FORCE);
RESET client_min_messages;
