-- bad_input: every bad argument gets an error with a fitting SQLSTATE and
-- leaves the data as it was.  pgmqc_test.try() (setup.sql) shows SQLSTATE
-- and message.

SELECT pgmq_c.create_queue('canary');
SELECT count(*) FROM pgmq_c.send_batch('canary', ARRAY['{"c": 1}', '{"c": 2}']::jsonb[]);
SELECT msg_id AS c1 FROM pgmq_c.read('canary', '1 hour', 1) \gset

-- NULL for a required argument (22004)
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('x', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.drop_queue(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.purge_queue(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send(NULL, '{}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', '{}', NULL, NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', ARRAY['{}']::jsonb[], NULL, NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('canary', '1 s', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.pop('canary', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('canary', NULL::bigint)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('canary', NULL::bigint[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.archive('canary', NULL::bigint)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.archive(NULL, 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.set_vt('canary', NULL, '0')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.set_vt('canary', 1, NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.metrics(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_archive('canary', NULL)$$);

-- bad names (42602, 42622): empty, too long, quoted, dotted, spaced, non-ASCII, ...
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('')$$);
SELECT pgmqc_test.try(format('SELECT pgmq_c.create_queue(%L)', repeat('x', 81)));
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('a"b')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('a''b')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('public.a')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('a b')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('café')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('a;drop table x')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue(E'a\nb')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary.x', '{}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('"canary"')$$);

-- unknown queue (42704)
SELECT pgmqc_test.try($$SELECT pgmq_c.send('nope', '{}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('nope', ARRAY['{}']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.pop('nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('nope', 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('nope', ARRAY[1]::bigint[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.archive('nope', 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.set_vt('nope', 1, '0')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.purge_queue('nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.metrics('nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_archive('nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('Canary')$$);
-- dropping an unknown queue is not an error
SELECT pgmq_c.drop_queue('nope');

-- intervals (22023): negative or absurd
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('x', '0')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('x', '-1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('x', '13 hours')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('canary', '-1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('canary', '12 hours 1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('canary', '1 mon')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('canary', '1 day -1 hour')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.set_vt('canary', 1, '-5 minutes')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.set_vt('canary', 1, '100 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', '{}', NULL, '-1 millisecond')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', '{}', NULL, '1 year 1 day')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', '{}', NULL, '13 mons')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', ARRAY['{}']::jsonb[], NULL, '-1 day')$$);
-- the limits themselves are accepted
SELECT pgmqc_test.try($$SELECT pgmq_c.read('canary', '12 hours', 1)$$);

-- qty (22023): zero, negative, over the maximum of 10000
SELECT pgmqc_test.try($$SELECT pgmq_c.read('canary', '1 s', 0)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('canary', '1 s', -1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('canary', '1 s', 10001)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.pop('canary', 0)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read_archive('canary', 0, 0)$$);

-- arrays: NULL messages (22004; a NULL element of headers is a message
-- without headers: queue_basic), unequal lengths, empty, too many, 2-D
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', ARRAY['{}', NULL]::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', ARRAY['{}', '{}']::jsonb[], ARRAY['{}', NULL, NULL]::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', ARRAY['{}', '{}']::jsonb[], ARRAY['{}']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', ARRAY[]::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', array_fill('{}'::jsonb, ARRAY[10001]))$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', ARRAY[['{}', '{}'], ['{}', '{}']]::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('canary', ARRAY[1, NULL]::bigint[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('canary', ARRAY[1, 2]::bigint[], ARRAY[1]::int[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.archive('canary', ARRAY[1]::bigint[], ARRAY[NULL]::int[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('canary', array_fill(1::bigint, ARRAY[10001]))$$);

-- receipts: a negative read_ct (22023)
SELECT pgmqc_test.try($$SELECT pgmq_c.delete('canary', 1, -1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.set_vt('canary', 1, '0', -1)$$);

-- payloads: objects or arrays only; headers objects only (22023)
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', '42')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', '"text"')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', 'null')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', '{}', '[1]')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('canary', '{}', '"h"')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', ARRAY['{}', 'true']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('canary', ARRAY['{}']::jsonb[], ARRAY['1']::jsonb[])$$);
-- over pgmq_c.max_message_size (54000)
SET pgmq_c.max_message_size = '1kB';
SELECT pgmqc_test.try(format('SELECT pgmq_c.send(%L, %L)', 'canary', jsonb_build_object('big', repeat('x', 2000))));
SELECT pgmqc_test.try(format('SELECT pgmq_c.send(%L, %L, %L)', 'canary', '{}', jsonb_build_object('big', repeat('x', 2000))));
SELECT pgmqc_test.try(format('SELECT pgmq_c.send_batch(%L, ARRAY[%L]::jsonb[])', 'canary', jsonb_build_object('big', repeat('x', 2000))));
SELECT pgmqc_test.try(format('SELECT pgmq_c.send(%L, %L)', 'canary', jsonb_build_object('small', repeat('x', 500))));
RESET pgmq_c.max_message_size;
-- the default limit is 1 MB
SHOW pgmq_c.max_message_size;
SELECT pgmqc_test.try(format('SELECT pgmq_c.send(%L, %L)', 'canary', jsonb_build_object('big', repeat('x', 1100000))));

-- in parallel mode (a function marked PARALLEL SAFE run under a Gather)
-- sends, reads, deletes and group reads refuse with 25000, not an internal
-- error, and change nothing; metrics, which only read, work
SELECT pgmq_c.create_topic('par_t');
SELECT pgmq_c.create_group('par_t', 'g', start_at => 'earliest');
SELECT pgmq_c.send('par_t', '{}') > 0 AS sent;
CREATE FUNCTION pgmqc_test.par_call(sql text) RETURNS text LANGUAGE plpgsql PARALLEL SAFE
  AS $$DECLARE r text; BEGIN EXECUTE sql INTO r; RETURN r; END$$;
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000
                       THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'on', false) AS parallel;
\set VERBOSITY sqlstate
SELECT pgmqc_test.par_call($$SELECT pgmq_c.send('canary', '{}')$$) AS send;
\set VERBOSITY terse
SELECT pgmqc_test.par_call($$SELECT pgmq_c.send('canary', '{}')$$) AS send;
SELECT pgmqc_test.par_call($$SELECT pgmq_c.read('canary', '1 s', 1)$$) AS read;
SELECT pgmqc_test.par_call($$SELECT pgmq_c.delete('canary', 1::bigint)$$) AS delete;
SELECT pgmqc_test.par_call($$SELECT pgmq_c.read_group('par_t', 'g', '1 s', 1)$$) AS read_group;
SELECT pgmqc_test.par_call($$SELECT pgmq_c.purge_queue('canary')$$) AS purge;
SELECT pgmqc_test.par_call($$SELECT queue_length FROM pgmq_c.metrics('canary')$$) AS metrics_length;
\set VERBOSITY default
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000
                       THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'off', false) AS parallel;
DROP FUNCTION pgmqc_test.par_call(text);
SELECT lag, in_flight FROM pgmq_c.list_groups('par_t');
SELECT pgmq_c.drop_topic('par_t');

-- nothing above changed the data: the canary holds its 2 messages (both
-- leased now: the 12-hour read took the second) plus the one small message
-- sent under the limit, and no queue named x or nope exists
SELECT queue_name FROM pgmq_c.list_queues();
SELECT queue_length, visible_length, in_flight_length, delayed_length, archived_length
  FROM pgmq_c.metrics('canary');
SELECT pgmq_c.delete('canary', :c1, 1) AS receipt_still_valid;
SELECT pgmq_c.drop_queue('canary');

-- Found by the review of session 46.  Intervals whose months, days and time
-- have opposite signs are refused (22023) wherever one is taken: their
-- length depends on the date ('1 mon -31 days 1 hour' is an hour from
-- November 1st, and 23 hours back from December 1st), so a setting checked
-- on one day could delete an archive or lease nothing on another.
SELECT pgmq_c.create_queue('mixed');
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('mixed2', '1 mon -31 days 1 hour')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('mixed', archive_retention => '1 mon -31 days 1 hour')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('mixed', max_deliveries => 5, retry_backoff => '1 mon -31 days 00:00:05')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('mixed', retry_backoff_max => '1 day -1 hour')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('mixed', visibility_timeout => '-1 day 25 hours')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('mixed', dedup_window => '1 mon -29 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('mixed', '{}', delay => '1 day -23 hours')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.read('mixed', '1 mon -30 days 1 s', 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_topic('mixed_t', '1 mon -1 day')$$);
-- parts of one sign, however mixed in units, are taken
SELECT pgmq_c.alter_queue('mixed', archive_retention => '1 mon 2 days 1 hour', visibility_timeout => '1 hour 30 s');
SELECT archive_retention, visibility_timeout FROM pgmq_c.list_queues() WHERE queue_name = 'mixed';
-- a negative dedup_window's hint: 0 does not clear it
SELECT pgmq_c.alter_queue('mixed', dedup_window => '-1 s');

-- 'public' is every role, in lower case only: 'PUBLIC' would be a role of
-- that name (CREATE ROLE "PUBLIC" is allowed), and taking it for every role
-- opened the queue to all
SELECT pgmq_c.grant_access('mixed', 'PUBLIC', '{consume}');
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access('mixed', 'Public', '{all}')$$);
SELECT role_name FROM pgmq_c.list_access('mixed');
-- an error shows at most 64 bytes of a role or privilege name it did not
-- know (whole characters: 'é' is two bytes), not a huge argument whole
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('mixed', repeat('r', 100000), '{consume}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access('mixed', repeat('é', 40), '{consume}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('mixed', 'public', ARRAY['consume', repeat('p', 100000)])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('mixed', 'public', ARRAY[repeat('p', 64)])$$);
-- grant_access and revoke_access in a read-only transaction name themselves
BEGIN READ ONLY;
SELECT pgmq_c.grant_access('mixed', 'public', '{send}');
ROLLBACK;

-- a name with other characters is invalid whatever its length, and an
-- over-long one is not shown (82 bytes, 41 characters)
SELECT pgmqc_test.try($$SELECT pgmq_c.send('é', '{}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send(repeat('é', 41), '{}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send(repeat('a', 81), '{}')$$);
SELECT pgmq_c.drop_queue('mixed');

-- a dead letter whose origin, as its headers say, is its own dead-letter
-- queue stays there, counted as without origin (it was sent into itself,
-- losing its headers), as redrive(q, q) is refused
SELECT pgmq_c.create_queue('self_dlq');
SELECT pgmq_c.send('self_dlq', '{"s": 1}', '{"pgmq_c_dead_letter": {"queue": "self_dlq", "msg_id": 1}}') AS self_id \gset
SELECT pgmq_c.redrive('self_dlq');
SELECT msg_id = :self_id AS same_message, headers FROM pgmq_c.read('self_dlq', '1 s', 10);
SELECT pgmq_c.drop_queue('self_dlq');

-- seek on a topic that retains no message says so
SELECT pgmq_c.create_topic('empty_t');
SELECT pgmq_c.create_group('empty_t', 'g');
SELECT pgmq_c.seek('empty_t', 'g', 2::bigint);
SELECT pgmq_c.seek('empty_t', 'g', 1::bigint) AS position_after_the_last;
SELECT pgmq_c.drop_topic('empty_t');

-- an error inside pgmq_c's DDL (here a superuser's event trigger; a
-- cancel or a lock timeout alike) says in its CONTEXT what was being done,
-- not the text of pgmq_c's internal statements (CREATE TABLE pgmq_c.q_5
-- ...); the trigger's own context line stays
CREATE FUNCTION pgmqc_test.no_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'no % now', tg_tag;
END
$$;
CREATE EVENT TRIGGER pgmqc_test_no_ddl ON ddl_command_start
	WHEN TAG IN ('CREATE TABLE', 'DROP TABLE') EXECUTE FUNCTION pgmqc_test.no_ddl();
SELECT pgmq_c.create_queue('ddl_q');
SELECT pgmq_c.create_topic('ddl_t');
DO $$ BEGIN PERFORM pgmq_c.create_queue('ddl_q'); END $$;
ALTER EVENT TRIGGER pgmqc_test_no_ddl DISABLE;
SELECT pgmq_c.create_queue('ddl_q');
SELECT pgmq_c.create_topic('ddl_t');
SELECT pgmq_c.create_group('ddl_t', 'g');
ALTER EVENT TRIGGER pgmqc_test_no_ddl ENABLE;
SELECT pgmq_c.drop_group('ddl_t', 'g');
SELECT pgmq_c.drop_topic('ddl_t');
SELECT pgmq_c.drop_queue('ddl_q');
DROP EVENT TRIGGER pgmqc_test_no_ddl;
DROP FUNCTION pgmqc_test.no_ddl();
SELECT pgmq_c.drop_group('ddl_t', 'g');
SELECT pgmq_c.drop_topic('ddl_t');
SELECT pgmq_c.drop_queue('ddl_q');
