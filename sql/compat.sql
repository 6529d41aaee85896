-- compat: CREATE EXTENSION pgmq_c_compat, pgmq 1.x's SQL API (schema pgmq)
-- on top of pgmq_c queues.  Every function with both argument forms, the
-- queues made by either API used through the other, bad input, privileges
-- (the wrappers run as their caller) and the pinned search_path.  A real
-- pgmq client (the npm package pgmq-js) runs in TAP
-- (test/t/031_pgmq_js.pl).
--
-- First a schema pgmq that another role made or may create in: a function
-- planted there beside pgmq's would run as whoever calls pgmq.send with a
-- quoted literal.  CREATE EXTENSION refuses each such schema (42501) and
-- leaves nothing behind.
SELECT current_database() AS compat_db \gset
CREATE ROLE regress_pgmqc_squatter;
GRANT CREATE ON DATABASE :"compat_db" TO regress_pgmqc_squatter;
SET ROLE regress_pgmqc_squatter;
CREATE SCHEMA pgmq;
RESET ROLE;
\set SHOW_CONTEXT never
CREATE EXTENSION pgmq_c_compat;
ALTER SCHEMA pgmq OWNER TO CURRENT_USER;
GRANT CREATE ON SCHEMA pgmq TO regress_pgmqc_squatter;
CREATE EXTENSION pgmq_c_compat;
REVOKE CREATE ON SCHEMA pgmq FROM regress_pgmqc_squatter;
GRANT CREATE ON SCHEMA pgmq TO PUBLIC;
CREATE EXTENSION pgmq_c_compat;
-- what the role put there while it could
SET ROLE regress_pgmqc_squatter;
CREATE FUNCTION pgmq.send(queue_name text, msg text) RETURNS SETOF bigint
	LANGUAGE sql AS 'SELECT -1::bigint';
RESET ROLE;
REVOKE CREATE ON SCHEMA pgmq FROM PUBLIC;
CREATE EXTENSION pgmq_c_compat;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'pgmq_c_compat';
DROP FUNCTION pgmq.send(text, text);
CREATE TABLE pgmq.squatter_table (a int);
ALTER TABLE pgmq.squatter_table OWNER TO regress_pgmqc_squatter;
CREATE EXTENSION pgmq_c_compat;
DROP TABLE pgmq.squatter_table;
-- a superuser's schema, with nothing of another role's: used as it is
CREATE EXTENSION pgmq_c_compat;
DROP EXTENSION pgmq_c_compat;
DROP SCHEMA pgmq;
REVOKE CREATE ON DATABASE :"compat_db" FROM regress_pgmqc_squatter;
DROP ROLE regress_pgmqc_squatter;
\set SHOW_CONTEXT errors
CREATE EXTENSION pgmq_c_compat;
-- made by CREATE EXTENSION, so the installing superuser's
SELECT nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS superuser_owns
  FROM pg_namespace WHERE nspname = 'pgmq';
SELECT extname, extversion, extnamespace::regnamespace AS schema,
       (SELECT array_agg(e.extname) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
         WHERE d.classid = 'pg_extension'::regclass AND d.objid = x.oid AND d.deptype = 'n') AS requires
  FROM pg_extension x WHERE extname = 'pgmq_c_compat';

-- the API, as pgmq 1.5 names it: functions, argument names and defaults,
-- results
SELECT p.oid::regprocedure AS function, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS returns
  FROM pg_proc p
 WHERE p.pronamespace = 'pgmq'::regnamespace
 ORDER BY p.oid::regprocedure::text COLLATE "C";

-- pgmq's types
SELECT attrelid::regclass AS type, attname, format_type(atttypid, atttypmod)
  FROM pg_attribute
 WHERE attrelid IN ('pgmq.message_record'::regclass, 'pgmq.queue_record'::regclass,
                    'pgmq.metrics_result'::regclass) AND attnum > 0
 ORDER BY attrelid::regclass::text, attnum;

-- none runs as its owner; every one in plpgsql pins its search_path; the
-- others are C functions of pgmq_c's library
SELECT count(*) FILTER (WHERE p.prosecdef) AS security_definer,
       count(*) FILTER (WHERE l.lanname = 'plpgsql'
                          AND p.proconfig IS DISTINCT FROM '{"search_path=pg_catalog, pg_temp"}') AS unpinned,
       count(*) FILTER (WHERE l.lanname = 'c' AND p.probin = '$libdir/pgmq_c') AS c_in_pgmq_c,
       count(*) FILTER (WHERE l.lanname NOT IN ('plpgsql', 'c')) AS other_languages,
       count(*) AS functions
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'pgmq'::regnamespace;

-- queue management
SELECT pgmq.create('cq_plain');
SELECT pgmq.create('cq_plain');          -- exists: a no-op
SELECT pgmq.create_non_partitioned('cq_nonpart');
SELECT pgmq.create_unlogged('cq_unlogged');
SELECT pgmq.create_partitioned('cq_part');
SELECT pgmq.create_partitioned('cq_part2', '1 day', '7 days');
-- premake (pgmq 1.12.1) is accepted and ignored as the intervals are
SELECT pgmq.create_partitioned('cq_part3', '1 day', '7 days', 8);
SELECT pgmq.create_partitioned(queue_name => 'cq_part4', premake => 2);
SELECT pgmq.drop_queue('cq_part3'), pgmq.drop_queue('cq_part4');
SELECT queue_name, is_partitioned, is_unlogged, created_at > now() - interval '1 hour' AS recent
  FROM pgmq.list_queues() WHERE queue_name LIKE 'cq\_%' ORDER BY queue_name;
-- the same queues, seen by pgmq_c
SELECT queue_name, durability FROM pgmq_c.list_queues() WHERE queue_name LIKE 'cq\_%' ORDER BY queue_name;
-- as pgmq-js reads list_queues: the record as one column
SELECT pg_typeof(l) FROM (SELECT pgmq.list_queues() AS l LIMIT 1) s;
SELECT pgmq.detach_archive('cq_plain');  -- a no-op (pgmq_c's tables are no extension members)
SELECT pgmqc_test.try($$SELECT pgmq.detach_archive('cq_nowhere')$$);

-- send: every form; delays in seconds or as a time; headers
SELECT * FROM pgmq.send('cq_plain', '{"n": 1}');
-- (two untyped literals after the queue: ambiguous, as in pgmq; cast one)
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send('cq_plain', '{"n": 2}', '{"h": "a"}')$$);
SELECT * FROM pgmq.send('cq_plain', '{"n": 2}', '{"h": "a"}'::jsonb);
SELECT * FROM pgmq.send('cq_plain', '{"n": 3}', 3600);
SELECT * FROM pgmq.send('cq_plain', '{"n": 4}', now() + interval '2 hours');
SELECT * FROM pgmq.send('cq_plain', '{"n": 5}', '{"h": "b"}', 3600);
SELECT * FROM pgmq.send('cq_plain', '{"n": 6}', '{"h": "c"}', now() + interval '2 hours');
SELECT * FROM pgmq.send('cq_plain', '{"n": 7}', 0);
SELECT * FROM pgmq.send('cq_plain', '{"n": 8}', -5);                      -- the past: now
SELECT * FROM pgmq.send('cq_plain', '{"n": 9}', now() - interval '1 hour'); -- the past: now
-- explicitly typed, as clients send them
SELECT * FROM pgmq.send('cq_plain'::text, '{"n": 10}'::jsonb, 0::integer);
SELECT * FROM pgmq.send(queue_name => 'cq_plain', msg => '{"n": 11}', headers => NULL, delay => 0);
-- visible now: n = 1, 2, 7, 8, 9, 10, 11; delayed: 3, 4, 5, 6
SELECT msg_id, message, headers FROM pgmq_c.read('cq_plain', '0', 100);
SELECT queue_length, visible_length, delayed_length FROM pgmq_c.metrics('cq_plain');

-- send_batch: every form
SELECT * FROM pgmq.send_batch('cq_nonpart', ARRAY['{"b": 1}', '{"b": 2}']::jsonb[]);
SELECT * FROM pgmq.send_batch('cq_nonpart', ARRAY['{"b": 3}', '{"b": 4}']::jsonb[],
                              ARRAY['{"h": 3}', '{"h": 4}']::jsonb[]);
SELECT * FROM pgmq.send_batch('cq_nonpart', ARRAY['{"b": 5}']::jsonb[], 3600);
SELECT * FROM pgmq.send_batch('cq_nonpart', ARRAY['{"b": 6}']::jsonb[], now() + interval '1 hour');
SELECT * FROM pgmq.send_batch('cq_nonpart', ARRAY['{"b": 7}']::jsonb[], ARRAY['{"h": 7}']::jsonb[], 3600);
SELECT * FROM pgmq.send_batch('cq_nonpart', ARRAY['{"b": 8}']::jsonb[], ARRAY['{"h": 8}']::jsonb[],
                              now() + interval '1 hour');
SELECT * FROM pgmq.send_batch('cq_nonpart', ARRAY['{"b": 9}', '{"b": 10}']::jsonb[], 0);
-- a delay of 0 or less, a time in the past, a NULL headers array or element:
-- visible now, no headers
SELECT pgmq.create('cq_batch');
SELECT * FROM pgmq.send_batch('cq_batch', ARRAY['{"b": 11}']::jsonb[], -5);
SELECT * FROM pgmq.send_batch('cq_batch', ARRAY['{"b": 12}']::jsonb[], NULL::jsonb[], now() - interval '1 hour');
SELECT * FROM pgmq.send_batch('cq_batch', ARRAY['{"b": 13}', '{"b": 14}']::jsonb[], ARRAY[NULL, '{"h": 14}']::jsonb[]);
SELECT msg_id, message, headers, vt <= clock_timestamp() AS visible
  FROM pgmq_c.read('cq_batch', '0', 100);
SELECT pgmq.drop_queue('cq_batch');
SELECT queue_length, queue_visible_length FROM pgmq.metrics('cq_nonpart');
SELECT queue_length, visible_length, delayed_length FROM pgmq_c.metrics('cq_nonpart');

-- read: a lease of vt seconds, qty messages, oldest first
SELECT msg_id, read_ct, message, headers,
       vt BETWEEN clock_timestamp() + interval '25 seconds' AND clock_timestamp() + interval '31 seconds' AS leased_30s
  FROM pgmq.read('cq_nonpart', 30, 3);
SELECT msg_id, read_ct, message FROM pgmq.read('cq_nonpart', 30, 10);
SELECT count(*) FROM pgmq.read('cq_nonpart', 30, 10);   -- nothing visible left
-- vt 0 leases nothing: read again at once, read_ct counts it
SELECT msg_id, read_ct FROM pgmq.read('cq_plain', 0, 1);
SELECT msg_id, read_ct FROM pgmq.read(queue_name => 'cq_plain', vt => 0, qty => 1, conditional => '{}');
SELECT msg_id, read_ct FROM pgmq.read('cq_plain', 0, 1, NULL);
-- pgmq's conditional filter is not supported: refused, not ignored
SELECT pgmqc_test.try($$SELECT * FROM pgmq.read('cq_plain', 30, 1, '{"n": 1}')$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.read_with_poll('cq_plain', 30, 1, 1, 100, '{"n": 1}')$$);

-- read_with_poll: waits in the server (pgmq_c's wait), no sleep loop
SELECT l.lanname, p.prosrc, p.probin
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.oid = 'pgmq.read_with_poll'::regproc;
SELECT msg_id, read_ct FROM pgmq.read_with_poll('cq_plain', 30, 2);   -- visible: at once
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM pgmq.read_with_poll('cq_nonpart', 30, 1, 1);     -- nothing: after 1 s
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '0.9 seconds' AND interval '5 seconds' AS waited_1s;
SELECT count(*) FROM pgmq.read_with_poll(queue_name => 'cq_nonpart', vt => 30, qty => 1,
                                         max_poll_seconds => 0, poll_interval_ms => 10);
-- under REPEATABLE READ and SERIALIZABLE it waits too, as pgmq's loop
-- polls there (pgmq_c.read with a wait refuses, 25001): a visible message
-- at once; a lease that ends while it waits (here the transaction's own,
-- of 1 s) is delivered again; with nothing visible (the message leased
-- for 30 s) the wait ends empty after max_poll_seconds
SELECT pgmq.create('cq_rr');
SELECT * FROM pgmq.send('cq_rr', '{"rr": 1}');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT msg_id, read_ct, message FROM pgmq.read_with_poll('cq_rr', 1, 1, 5);
SELECT msg_id, read_ct, message FROM pgmq.read_with_poll('cq_rr', 30, 1, 10);
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('cq_rr', '30 seconds', 1, '1 second')$$);
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM pgmq.read_with_poll('cq_rr', 30, 1, 1);
COMMIT;
SELECT pgmq.drop_queue('cq_rr');

-- pop: one message, or up to qty (pgmq 1.7's pop(queue_name, qty DEFAULT 1),
-- which replaced pop(queue_name))
SELECT msg_id, message FROM pgmq.pop('cq_plain');
SELECT count(*) FROM pgmq.pop('cq_nonpart');     -- nothing visible
SELECT pgmq.create('cq_pop');
SELECT * FROM pgmq.send_batch('cq_pop', ARRAY['{"p": 1}', '{"p": 2}', '{"p": 3}', '{"p": 4}',
                                              '{"p": 5}', '{"p": 6}']::jsonb[]);
SELECT * FROM pgmq.send('cq_pop', '{"p": 7}', 3600);   -- delayed: not popped
SELECT msg_id, read_ct, message FROM pgmq.pop('cq_pop', 3);
SELECT msg_id, message FROM pgmq.pop('cq_pop');
SELECT msg_id, message FROM pgmq.pop(queue_name => 'cq_pop', qty => 10000);
SELECT count(*) FROM pgmq.pop('cq_pop', 2);     -- only the delayed one left
-- qty as pgmq_c.pop takes it: 1 to 10000, not NULL
SELECT pgmqc_test.try($$SELECT * FROM pgmq.pop('cq_pop', 0)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.pop('cq_pop', -1)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.pop('cq_pop', 10001)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.pop('cq_pop', NULL)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.pop('cq_nowhere', 1)$$);

-- insert notifications (pgmq 1.7; update_notify_insert 1.11): pgmq_c's
-- notifications on the channel pgmq's clients listen on
SELECT pgmq.enable_notify_insert('cq_pop');
SELECT notify_throttle, notify_channel FROM pgmq_c.queues WHERE queue_name = 'cq_pop';
SELECT pgmq.update_notify_insert('cq_pop', 0);
SELECT pgmq.enable_notify_insert('cq_pop', NULL);  -- NULL: the default, as pgmq
SELECT notify_throttle, notify_channel FROM pgmq_c.queues WHERE queue_name = 'cq_pop';
SELECT pgmq.update_notify_insert(queue_name => 'cq_pop', throttle_interval_ms => 1500);
SELECT notify_throttle FROM pgmq_c.queues WHERE queue_name = 'cq_pop';
SELECT * FROM pgmq.list_notify_insert_throttles();
-- update_notify_insert only where insert notifications are on, as pgmq
SELECT pgmqc_test.try($$SELECT pgmq.update_notify_insert('cq_nonpart', 100)$$);
SELECT pgmq_c.enable_notify('cq_nonpart');
SELECT pgmqc_test.try($$SELECT pgmq.update_notify_insert('cq_nonpart', 100)$$);
SELECT * FROM pgmq.list_notify_insert_throttles();    -- not cq_nonpart (channel pgmq_c)
SELECT pgmq_c.disable_notify('cq_nonpart');
SELECT pgmqc_test.try($$SELECT pgmq.enable_notify_insert('cq_pop', -1)$$);
SELECT pgmqc_test.try($$SELECT pgmq.update_notify_insert('cq_pop', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq.enable_notify_insert('cq_pop', 86400001)$$);
SELECT pgmqc_test.try($$SELECT pgmq.enable_notify_insert('cq_nowhere')$$);
SELECT pgmqc_test.try($$SELECT pgmq.enable_notify_insert(NULL)$$);
SELECT pgmq.disable_notify_insert('cq_pop');
SELECT notify_throttle IS NULL AND notify_channel IS NULL AS off
  FROM pgmq_c.queues WHERE queue_name = 'cq_pop';
SELECT queue_length FROM pgmq.metrics('cq_pop');
SELECT pgmq.drop_queue('cq_pop');

-- calls with parameters of unknown type, as pgmq-js 1.3 sends read, pop
-- and set_vt: each function name must have a single candidate for them,
-- so the overloads pgmq 1.8 to 1.12 added beside set_vt, read and
-- read_with_poll (an array of msg_ids, a timestamptz vt) are left out here
-- (README.md, pgmq compatibility)
PREPARE js_read AS SELECT * FROM pgmq.read($1, $2, $3);
PREPARE js_read_with_poll AS SELECT * FROM pgmq.read_with_poll($1, $2, $3, $4);
PREPARE js_pop AS SELECT * FROM pgmq.pop($1);
PREPARE js_set_vt AS SELECT * FROM pgmq.set_vt($1, $2, $3);
PREPARE js_create_partitioned AS SELECT pgmq.create_partitioned($1);
SELECT name, parameter_types FROM pg_prepared_statements WHERE name LIKE 'js\_%' ORDER BY name;
EXECUTE js_pop('cq_nonpart');
DEALLOCATE ALL;

-- delete and archive, by one id or an array
SELECT pgmq.delete('cq_nonpart', 1::bigint);
SELECT pgmq.delete('cq_nonpart', 1::bigint);     -- gone
SELECT * FROM pgmq.delete('cq_nonpart', ARRAY[2, 3, 999]::bigint[]);
SELECT pgmq.archive('cq_nonpart', 4::bigint);
SELECT pgmq.archive('cq_nonpart', 4::bigint);
SELECT * FROM pgmq.archive('cq_nonpart', ARRAY[9, 10, 999]::bigint[]);
SELECT msg_id, message FROM pgmq_c.read_archive('cq_nonpart');
-- delayed messages too, as in pgmq
SELECT pgmq.delete('cq_nonpart', 5::bigint), pgmq.archive('cq_nonpart', 6::bigint);

-- set_vt: the lease ends vt seconds from now; no row for no such message
SELECT msg_id, read_ct,
       vt BETWEEN clock_timestamp() + interval '95 seconds' AND clock_timestamp() + interval '101 seconds' AS vt_100s
  FROM pgmq.set_vt('cq_plain', 2, 100);
SELECT msg_id, vt <= clock_timestamp() AS visible FROM pgmq.set_vt('cq_plain', 2, 0);
SELECT count(*) FROM pgmq.set_vt('cq_plain', 999, 10);

-- metrics: queue_length counts visible, leased and delayed messages,
-- queue_visible_length the visible ones
SELECT queue_name, queue_length, queue_visible_length, total_messages,
       newest_msg_age_sec BETWEEN 0 AND 60 AS newest_ok, oldest_msg_age_sec BETWEEN 0 AND 60 AS oldest_ok,
       scrape_time <= clock_timestamp() AS scraped, default_partition_length
  FROM pgmq.metrics('cq_plain');
SELECT queue_name, queue_length, newest_msg_age_sec, oldest_msg_age_sec, total_messages, queue_visible_length
  FROM pgmq.metrics('cq_unlogged');
-- (other tests' queues left out)
SELECT queue_name, queue_length, queue_visible_length, total_messages, default_partition_length
  FROM pgmq.metrics_all()
 WHERE queue_name LIKE 'cq\_%';
-- above pgmq_c.metrics_exact_limit the lengths are estimates, which
-- pgmq_c.metrics says with length_is_exact and pgmq's metrics_result cannot
-- (pgmq counts exactly): README's differences and the comments say so
SET pgmq_c.metrics_exact_limit = 1;
SELECT (pgmq.metrics('cq_plain')).queue_length = m.queue_length AS as_pgmq_c_says,
       m.queue_length > 1 AS holds_more, m.length_is_exact
  FROM pgmq_c.metrics('cq_plain') m;
RESET pgmq_c.metrics_exact_limit;
SELECT p.oid::regprocedure AS function, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p
 WHERE p.oid IN ('pgmq.metrics(text)'::regprocedure, 'pgmq.metrics_all()'::regprocedure)
 ORDER BY 1;

-- a queue made by pgmq_c, used through pgmq, and the reverse
SELECT pgmq_c.create_queue('cq_native');
SELECT pgmq_c.send('cq_native', '{"from": "pgmq_c"}', '{"k": 1}');
SELECT msg_id, read_ct, message, headers FROM pgmq.read('cq_native', 30, 1);
SELECT pgmq.archive('cq_native', 1::bigint);
SELECT * FROM pgmq.send('cq_native', '{"from": "pgmq"}');
SELECT msg_id, message FROM pgmq_c.pop('cq_native');
SELECT * FROM pgmq.send('cq_unlogged', '{"from": "pgmq"}', '{"k": 2}'::jsonb);
SELECT msg_id, read_ct, message, headers FROM pgmq_c.read('cq_unlogged', '30 seconds', 1);
SELECT pgmq_c.delete('cq_unlogged', 1);
SELECT queue_name, is_unlogged FROM pgmq.list_queues() WHERE queue_name IN ('cq_native', 'cq_unlogged');

-- bad input: pgmq_c's own checks and SQLSTATEs
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send('cq_nowhere', '{}')$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.read('cq_nowhere', 30, 1)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.read('cq_plain', -1, 1)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.read('cq_plain', 30, 0)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.read('cq_plain', 30, NULL)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.set_vt('cq_plain', 2, -1)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.read_with_poll('cq_plain', 30, 1, -1)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.read_with_poll('cq_plain', 30, 1, 1000)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send('cq_plain', '42')$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send(NULL, '{}')$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send('cq_plain', NULL::jsonb)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send('cq_plain', '{}', NULL::integer)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send('cq_plain', '{}', '{}'::jsonb, NULL::timestamptz)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send('cq_plain', '{}', 'infinity'::timestamptz)$$);
-- so does send_batch, the same way
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}']::jsonb[], 'infinity'::timestamptz)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], '-infinity'::timestamptz)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}']::jsonb[], NULL::timestamptz)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}']::jsonb[], NULL::integer)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}']::jsonb[], ARRAY['{}']::jsonb[], NULL::integer)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}']::jsonb[], 400000000)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', NULL::jsonb[])$$);
-- (an empty batch: pgmq returns no rows; README lists the difference)
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', '{}'::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}', NULL]::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['7']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}', '{}']::jsonb[], ARRAY['{}']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}']::jsonb[], ARRAY['[1]']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch(NULL, ARRAY['{}']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('cq_nowhere', ARRAY['{}']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send_batch('bad name', ARRAY['{}']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.send('cq_plain', '{}', 400000000)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.read_with_poll('cq_plain', 30, 1, NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq.delete('cq_plain', NULL::bigint)$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.archive('cq_plain', ARRAY[NULL]::bigint[])$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq.pop(NULL)$$);
-- nothing of the above was stored
SELECT queue_length FROM pgmq_c.metrics('cq_plain');
-- vt NULL: the queue's default lease (pgmq_c.read's NULL), here 30 s
SELECT msg_id, vt BETWEEN clock_timestamp() + interval '25 seconds'
                      AND clock_timestamp() + interval '31 seconds' AS default_lease
  FROM pgmq.read('cq_plain', NULL, 1);
SELECT pgmqc_test.try($$SELECT pgmq.create('bad name')$$);
SELECT pgmqc_test.try($$SELECT pgmq.metrics('cq_nowhere')$$);
SELECT pgmqc_test.try($$SELECT pgmq.purge_queue('cq_nowhere')$$);
SELECT pgmqc_test.try($$SELECT pgmq.delete('cq_nowhere', 1::bigint)$$);

-- the pinned search_path: a hostile schema ahead of pg_catalog changes
-- nothing inside the wrappers
CREATE SCHEMA regress_compat_evil;
CREATE FUNCTION regress_compat_evil.make_interval(years int = 0, months int = 0, weeks int = 0,
                                                  days int = 0, hours int = 0, mins int = 0,
                                                  secs double precision = 0)
RETURNS interval LANGUAGE sql AS $$SELECT interval '11 hours'$$;
CREATE FUNCTION regress_compat_evil.clock_timestamp() RETURNS timestamptz
LANGUAGE sql AS $$SELECT timestamptz '2000-01-01'$$;
SET search_path = regress_compat_evil, pg_catalog, public;
SELECT make_interval(secs => 10) AS hostile_make_interval;
SELECT * FROM pgmq.send('cq_plain', '{"n": 12}', 10);
SELECT msg_id, vt < pg_catalog.clock_timestamp() + interval '1 minute' AS vt_within_a_minute
  FROM pgmq.read('cq_plain', 10, 1);
SELECT * FROM pgmq.send('cq_plain', '{"n": 13}', pg_catalog.now() + interval '1 hour');
SELECT delayed_length FROM pgmq_c.metrics('cq_plain');
RESET search_path;
DROP SCHEMA regress_compat_evil CASCADE;

-- privileges: the wrappers run as their caller, so pgmq_c's rules apply
CREATE ROLE regress_pgmqc_compat_user;
SET ROLE regress_pgmqc_compat_user;
SELECT pgmqc_test.sqlstate($$SELECT pgmq.create('cq_mine')$$) AS create_queue;
SELECT pgmqc_test.sqlstate($$SELECT * FROM pgmq.send('cq_plain', '{}')$$) AS send;
SELECT pgmqc_test.sqlstate($$SELECT * FROM pgmq.send_batch('cq_plain', ARRAY['{}']::jsonb[], 5)$$) AS send_batch;
SELECT pgmqc_test.sqlstate($$SELECT * FROM pgmq.read('cq_plain', 30, 1)$$) AS read;
SELECT pgmqc_test.sqlstate($$SELECT pgmq.drop_queue('cq_plain')$$) AS drop_queue;
SELECT count(*) AS queues_seen FROM pgmq.list_queues();
SELECT count(*) AS metrics_seen FROM pgmq.metrics_all();
RESET ROLE;
SELECT pgmq_c.grant_access('cq_plain', 'regress_pgmqc_compat_user', ARRAY['send', 'monitor']);
SET ROLE regress_pgmqc_compat_user;
SELECT count(*) AS sent FROM pgmq.send('cq_plain', '{"n": "user"}');
SELECT count(*) AS sent FROM pgmq.send_batch('cq_plain', ARRAY['{"n": "user 2"}', '{"n": "user 3"}']::jsonb[]);
SELECT pgmqc_test.sqlstate($$SELECT * FROM pgmq.read('cq_plain', 30, 1)$$) AS read;
SELECT queue_name FROM pgmq.list_queues();
SELECT queue_name FROM pgmq.metrics_all();
RESET ROLE;
SELECT pgmq_c.revoke_access('cq_plain', 'regress_pgmqc_compat_user', ARRAY['all']);
DROP ROLE regress_pgmqc_compat_user;

-- purge and drop
SELECT pgmq.purge_queue('cq_plain');
SELECT queue_length FROM pgmq.metrics('cq_plain');
SELECT pgmq.drop_queue('cq_plain');
SELECT pgmq.drop_queue('cq_plain');           -- gone: false
SELECT pgmq.drop_queue('cq_part', true);      -- pgmq's deprecated form
SELECT pgmq.drop_queue(q) FROM unnest(ARRAY['cq_nonpart', 'cq_unlogged', 'cq_part2', 'cq_native']) q;
SELECT count(*) AS left_over FROM pgmq_c.list_queues() WHERE queue_name LIKE 'cq\_%';

-- dropping the extension leaves pgmq_c's queues alone
SELECT pgmq.create('cq_stays');
DROP EXTENSION pgmq_c_compat;
SELECT queue_name FROM pgmq_c.list_queues() WHERE queue_name LIKE 'cq\_%';
SELECT pgmq_c.drop_queue('cq_stays');
SELECT count(*) AS pgmq_objects FROM pg_proc WHERE pronamespace = 'pgmq'::regnamespace;
DROP SCHEMA pgmq;

-- pgmq_c_compat needs pgmq_c 0.8.0 or later: on an older pgmq_c it refuses
-- to install (55000), rather than install and fail at the first call
-- with a missing function or column
CREATE DATABASE regress_pgmqc_compat_old;
\c regress_pgmqc_compat_old
\set SHOW_CONTEXT never
CREATE EXTENSION pgmq_c VERSION '0.7.0';
CREATE EXTENSION pgmq_c_compat;
SELECT count(*) AS compat_installed FROM pg_extension WHERE extname = 'pgmq_c_compat';
ALTER EXTENSION pgmq_c UPDATE;
CREATE EXTENSION pgmq_c_compat;
SELECT pgmq.create_unlogged('cq_old');
SELECT queue_name, is_unlogged FROM pgmq.list_queues();
\c :compat_db
DROP DATABASE regress_pgmqc_compat_old WITH (FORCE);
