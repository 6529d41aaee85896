-- upgrade: install 0.1.0, put data in, update step by step to every later version
CREATE EXTENSION pgmq_c VERSION '0.1.0';
SELECT pgmq_c.create_queue('up');
SELECT pgmq_c.send('up', '{"before": "upgrade"}') AS before_id \gset
SELECT count(*) AS read_args FROM pg_proc
 WHERE proname = 'read' AND pronamespace = 'pgmq_c'::regnamespace AND pronargs = 3;

ALTER EXTENSION pgmq_c UPDATE TO '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
-- read now has wait; the old 3-argument form is gone, calls with 3 arguments still work
SELECT p.oid::regprocedure FROM pg_proc p
 WHERE p.pronamespace = 'pgmq_c'::regnamespace AND p.proname IN ('read', 'receive', 'enable_notify', 'disable_notify', 'status')
 ORDER BY p.oid::regprocedure::text COLLATE "C";
SELECT msg_id = :before_id AS same_message, message FROM pgmq_c.read('up', '1 hour', 1);
SELECT pgmq_c.send('up', '{"after": "upgrade"}') > :before_id AS id_grows;
SELECT message FROM pgmq_c.read('up', '1 hour', 1, '1 second');

-- 0.3.0: topics; existing queues stay queues
ALTER EXTENSION pgmq_c UPDATE TO '0.3.0';
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
SELECT queue_name, kind, retention, partition_size FROM pgmq_c.queues;
SELECT queue_name FROM pgmq_c.list_queues();
SELECT count(*) AS messages_kept FROM pgmq_c.q_1;
SELECT pgmq_c.create_topic('up_topic');
SELECT pgmq_c.create_group('up_topic', 'g', 'earliest');
SELECT pgmq_c.send('up_topic', '{"topic": "after upgrade"}') AS topic_msg \gset
SELECT msg_id = :topic_msg AS same, message FROM pgmq_c.read_group('up_topic', 'g');
SELECT queue_name, kind FROM pgmq_c.metrics_all() ORDER BY 1;

-- 0.4.0: the security model.  Under 0.3.0 a role that was not a superuser
-- created queues with CREATE on schema pgmq_c and INSERT, UPDATE, DELETE on
-- the catalog tables, owned their tables and granted table privileges.
CREATE ROLE regress_up_creator;
CREATE ROLE regress_up_reader;
CREATE ROLE regress_up_other;
CREATE SCHEMA regress_up_own AUTHORIZATION regress_up_creator;
GRANT CREATE ON SCHEMA pgmq_c TO regress_up_creator;
GRANT INSERT, UPDATE, DELETE ON pgmq_c.queues, pgmq_c.groups TO regress_up_creator;
SET ROLE regress_up_creator;
SELECT pgmq_c.create_queue('up_mine');
SELECT pgmq_c.send('up_mine', '{"n": 1}') AS m1 \gset
SELECT pgmq_c.send('up_mine', '{"n": 2}') AS m2 \gset
SELECT pgmq_c.send('up_mine', '{"n": 3}', NULL, '1 hour') AS m3 \gset
SELECT msg_id = :m1 AS first, read_ct FROM pgmq_c.read('up_mine', '1 hour', 1);
SELECT pgmq_c.create_topic('up_mine_topic', '7 days', 1000);
SELECT pgmq_c.create_group('up_mine_topic', 'mg', 'earliest');
SELECT pgmq_c.send('up_mine_topic', jsonb_build_object('n', i)) FROM generate_series(1, 4) i;
SELECT pgmq_c.send('up_mine_topic', '{"n": "later"}', NULL, '1 hour');
SELECT msg_id, read_ct, message FROM pgmq_c.read_group('up_mine_topic', 'mg', '1 hour', 2);
SELECT pgmq_c.ack('up_mine_topic', 'mg', 1::bigint);
-- a table privilege 0.3.0 honoured (SELECT: monitor), and, with the
-- creator's CREATE on schema pgmq_c, a trigger on its own group table
-- and an index on its own queue
GRANT SELECT ON pgmq_c.q_3 TO regress_up_reader;
CREATE FUNCTION pgmq_c.spy() RETURNS trigger LANGUAGE plpgsql
	AS $$BEGIN RAISE NOTICE 'spy runs as %', current_user; RETURN NEW; END$$;
CREATE TRIGGER spy BEFORE UPDATE ON pgmq_c.g_2
	FOR EACH ROW EXECUTE FUNCTION pgmq_c.spy();
CREATE INDEX up_mine_expr ON pgmq_c.q_3 ((message ->> 'n'));
RESET ROLE;
-- until the update, the superuser's maintenance would run that trigger as
-- the superuser: refused (the worker waits too, TAP 037)
SELECT pgmq_c.maintain_topics();
SELECT c.relname, c.relowner::regrole FROM pg_class c
 WHERE c.oid IN ('pgmq_c.q_3'::regclass, 'pgmq_c.t_4'::regclass, 'pgmq_c.g_2'::regclass)
 ORDER BY 1;
-- what must survive: the lease, the delayed messages, the group's cursor and lease
SELECT vt AS lease_vt FROM pgmq_c.q_3 WHERE msg_id = :m1 \gset
SELECT next_id AS cursor_next FROM pgmq_c.c_4 WHERE group_id = 2 \gset
SELECT string_agg(msg_id || '/' || read_ct || '/' || vt, ',' ORDER BY msg_id) AS group_leases
  FROM pgmq_c.g_2 \gset

-- refused while schema pgmq_c holds an object pgmq_c did not make, and
-- while a queue's table has an index pgmq_c did not make
\set SHOW_CONTEXT never
ALTER EXTENSION pgmq_c UPDATE TO '0.4.0';
ALTER FUNCTION pgmq_c.spy() SET SCHEMA regress_up_own;
ALTER EXTENSION pgmq_c UPDATE TO '0.4.0';
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
DROP INDEX pgmq_c.up_mine_expr;
ALTER EXTENSION pgmq_c UPDATE TO '0.4.0';
\set SHOW_CONTEXT errors
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
-- each creator owns its queues; the superuser's belong to the extension owner
SELECT q.queue_name, q.kind,
	   CASE WHEN q.owner = e.extowner THEN 'extension owner' ELSE q.owner::text END AS owner
  FROM pgmq_c.queues q, pg_extension e
 WHERE e.extname = 'pgmq_c'
 ORDER BY q.queue_id;
-- every table, partition, sequence and index is the extension owner's, and
-- nobody else holds a privilege on it; no trigger is left
SELECT count(*) FILTER (WHERE c.relowner <> e.extowner) AS not_extension_owner,
	   count(*) FILTER (WHERE EXISTS (SELECT FROM aclexplode(c.relacl) a
									   WHERE a.grantee <> e.extowner)) AS granted_to_others
  FROM pg_class c, pg_extension e
 WHERE e.extname = 'pgmq_c' AND c.relnamespace = 'pgmq_c'::regnamespace;
SELECT count(*) AS triggers FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'pgmq_c'::regnamespace AND NOT t.tgisinternal;
SELECT has_schema_privilege('regress_up_creator', 'pgmq_c', 'CREATE') AS creator_create,
	   has_schema_privilege('regress_up_other', 'pgmq_c', 'USAGE') AS public_usage,
	   has_table_privilege('regress_up_creator', 'pgmq_c.queues', 'INSERT') AS creator_insert_catalog,
	   has_table_privilege('regress_up_other', 'pgmq_c.queues', 'SELECT') AS public_select_catalog,
	   has_table_privilege('regress_up_creator', 'pgmq_c.q_3', 'SELECT') AS creator_select_table,
	   has_table_privilege('regress_up_reader', 'pgmq_c.q_3', 'SELECT') AS reader_select_table;
-- nothing was lost: the lease, the cursor, the group's lease, the delayed messages
SELECT vt = :'lease_vt' AS lease_kept, read_ct FROM pgmq_c.q_3 WHERE msg_id = :m1;
SELECT next_id = :cursor_next AS cursor_kept FROM pgmq_c.c_4 WHERE group_id = 2;
SELECT string_agg(msg_id || '/' || read_ct || '/' || vt, ',' ORDER BY msg_id) = :'group_leases'
	   AS group_leases_kept
  FROM pgmq_c.g_2;
SELECT (SELECT count(*) FROM pgmq_c.d_3) AS queue_delayed,
	   (SELECT count(*) FROM pgmq_c.t_4 WHERE deliver_at IS NOT NULL) AS topic_delayed;
-- the SELECT grant became 'monitor'
SELECT * FROM pgmq_c.list_access('up_mine');

-- the creator uses its queue and topic as their owner
SET ROLE regress_up_creator;
SELECT queue_name, owner FROM pgmq_c.list_queues();
SELECT topic_name, groups, owner FROM pgmq_c.list_topics();
SELECT queue_length, visible_length, delayed_length, in_flight_length
  FROM pgmq_c.metrics('up_mine');
RESET ROLE;
-- the delayed message comes due, as if the hour had passed
UPDATE pgmq_c.d_3 SET deliver_at = now() - interval '1 second';
SET ROLE regress_up_creator;
SELECT msg_id = :m2 AS second, msg_id = :m3 AS delayed, read_ct, message
  FROM pgmq_c.read('up_mine', '1 hour', 5);
SELECT msg_id = :m1 AS first, read_ct FROM pgmq_c.set_vt('up_mine', :m1, '0', 1);
SELECT msg_id = :m1 AS first, read_ct, message FROM pgmq_c.read('up_mine', '1 hour', 5);
SELECT pgmq_c.delete('up_mine', :m1, 2) AS deleted;
SELECT group_name, lag, in_flight, next_msg_id FROM pgmq_c.list_groups('up_mine_topic');
SELECT msg_id, read_ct, message FROM pgmq_c.read_group('up_mine_topic', 'mg', '1 hour', 5);
SELECT pgmq_c.ack('up_mine_topic', 'mg', ARRAY[2, 3, 4]::bigint[]) AS acked;
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('up_mine_topic');
SELECT pgmq_c.grant_access('up_mine', 'regress_up_other', ARRAY['send']);
-- creating needs EXECUTE now, which a DBA grants
SELECT pgmq_c.create_queue('up_new');
RESET ROLE;
SET ROLE regress_up_reader;
SELECT queue_name, queue_length FROM pgmq_c.metrics('up_mine');
SELECT * FROM pgmq_c.read('up_mine');
RESET ROLE;
SET ROLE regress_up_other;
SELECT pgmq_c.send('up_mine', '{"from": "other"}') > 0 AS sent;
SELECT * FROM pgmq_c.read('up_mine');
SELECT * FROM pgmq_c.read_group('up_mine_topic', 'mg');
SELECT queue_name FROM pgmq_c.list_queues();
RESET ROLE;

-- 0.5.0: the shapes of the tables of queues, topics and groups become
-- template tables; tables made before stay as they are, new ones copy the
-- templates (columns, defaults, constraints, indexes, storage parameters)
ALTER EXTENSION pgmq_c UPDATE TO '0.5.0';
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
SELECT c.relname, c.relowner = e.extowner AS extension_owns,
       NOT EXISTS (SELECT FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner) AS nobody_else
  FROM pg_class c, pg_extension e
 WHERE e.extname = 'pgmq_c' AND c.relnamespace = 'pgmq_c'::regnamespace
   AND c.relkind = 'r' AND c.relname LIKE 'template\_%' ORDER BY 1;
-- another role cannot reach into a template: no index expression, trigger
-- or column of its own that every new queue would copy
SET ROLE regress_up_other;
CREATE INDEX ON pgmq_c.template_queue_messages ((message OPERATOR(pg_catalog.->>) 'x'));
CREATE TRIGGER regress_up_trg BEFORE INSERT ON pgmq_c.template_group_messages
	FOR EACH ROW EXECUTE FUNCTION pg_catalog.suppress_redundant_updates_trigger();
ALTER TABLE pgmq_c.template_queue_delayed ADD COLUMN regress_up_col integer;
RESET ROLE;
SELECT pgmq_c.create_queue('up_tpl');
SELECT pgmq_c.create_topic('up_tpl_topic', '7 days', 1000);
SELECT pgmq_c.create_group('up_tpl_topic', 'tg', 'earliest');
-- a table's shape, without its name or the ids in it: columns with type,
-- NOT NULL and default; constraints; indexes; storage parameters
CREATE FUNCTION pg_temp.shape(rel regclass) RETURNS text LANGUAGE sql AS $$
SELECT concat_ws(' | ',
  (SELECT string_agg(format('%s %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                            CASE WHEN a.attnotnull THEN ' not null' END,
                            ' default ' || regexp_replace(pg_get_expr(d.adbin, d.adrelid), '_[0-9]+_', '_N_', 'g')),
                     ', ' ORDER BY a.attnum)
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT string_agg(format('%s %s', contype, pg_get_constraintdef(oid)), ', ' ORDER BY contype, conname)
     FROM pg_constraint WHERE conrelid = rel),
  (SELECT string_agg(def, ', ' ORDER BY def COLLATE "C")
     FROM (SELECT regexp_replace(pg_get_indexdef(indexrelid), '^.* USING ', 'USING ') AS def
             FROM pg_index WHERE indrelid = rel) i),
  (SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = rel),
  (SELECT relkind::text FROM pg_class WHERE oid = rel))
$$;
SELECT format('pgmq_c.%s_%s', t.prefix, n.queue_id)::regclass AS made_now,
       pg_temp.shape(format('pgmq_c.%s_%s', t.prefix, n.queue_id)::regclass) =
       pg_temp.shape(format('pgmq_c.%s_%s', t.prefix, o.queue_id)::regclass) AS same_shape_as_before
  FROM (VALUES ('q', 'up_tpl', 'up_mine'), ('d', 'up_tpl', 'up_mine'), ('a', 'up_tpl', 'up_mine'),
               ('t', 'up_tpl_topic', 'up_mine_topic'), ('c', 'up_tpl_topic', 'up_mine_topic'))
       AS t(prefix, new_name, old_name)
  JOIN pgmq_c.queues n ON n.queue_name = t.new_name
  JOIN pgmq_c.queues o ON o.queue_name = t.old_name
 ORDER BY 1;
SELECT pg_temp.shape(format('pgmq_c.g_%s', n.group_id)::regclass) =
       pg_temp.shape(format('pgmq_c.g_%s', o.group_id)::regclass) AS group_table_same_shape
  FROM pgmq_c.groups n, pgmq_c.groups o
 WHERE n.group_name = 'tg' AND o.group_name = 'mg';
-- and the shape is what the queue's messages table of 0.4.0 had
SELECT pg_temp.shape(format('pgmq_c.q_%s', queue_id)::regclass) AS q_shape
  FROM pgmq_c.queues WHERE queue_name = 'up_tpl';
SELECT pgmq_c.send('up_tpl', '{"tpl": 1}') > 0 AS sent;
SELECT message FROM pgmq_c.read('up_tpl', '1 hour', 1);
SELECT pgmq_c.send('up_tpl_topic', '{"tpl": 2}') > 0 AS sent;
SELECT message FROM pgmq_c.read_group('up_tpl_topic', 'tg', '1 hour', 1);

-- 0.6.0: retry policies.  Until the update this library serves the 0.5.0
-- catalog.  The message read above is leased for an hour (read_ct 1).
SELECT format('SELECT msg_id AS tpl1 FROM pgmq_c.q_%s', queue_id) AS q
  FROM pgmq_c.queues WHERE queue_name = 'up_tpl' \gset
:q \gset
SELECT pgmq_c.send('up_tpl', '{"tpl": 3}') AS tpl3 \gset
-- a DBA's choices on functions whose arguments change are kept
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue(text, interval) TO regress_up_creator;
-- (a role whose name needs quotes, too)
CREATE ROLE "regress_Up_Mixed";
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue(text, interval) TO "regress_Up_Mixed";
REVOKE EXECUTE ON FUNCTION pgmq_c.nack(text, text, bigint, interval) FROM PUBLIC;
ALTER EXTENSION pgmq_c UPDATE TO '0.6.0';
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
SELECT has_function_privilege('regress_up_creator', 'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval)', 'EXECUTE') AS creator_creates,
       has_function_privilege('regress_Up_Mixed', 'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval)', 'EXECUTE') AS mixed_case_creates,
       has_function_privilege('regress_up_other', 'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval)', 'EXECUTE') AS other_creates,
       has_function_privilege('regress_up_other', 'pgmq_c.nack(text, text, bigint, interval, integer, text)', 'EXECUTE') AS other_nacks_group,
       has_function_privilege('regress_up_other', 'pgmq_c.ack(text, text, bigint, integer)', 'EXECUTE') AS other_acks,
       has_function_privilege('regress_up_other', 'pgmq_c.nack(text, bigint, interval, integer, text)', 'EXECUTE') AS other_nacks_queue;
-- ... and stay the DBA's: pg_dump dumps what differs from the extension's
-- initial privileges (as_initially false: the DBA's GRANT or REVOKE is dumped)
SELECT p.oid::regprocedure AS function,
       i.initprivs @> p.proacl AND p.proacl @> i.initprivs AS as_initially,
       (SELECT array_agg(g ORDER BY g COLLATE "C")
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' WHEN a.grantee = p.proowner THEN 'owner'
                            ELSE a.grantee::regrole::text END AS g
                  FROM aclexplode(i.initprivs) a) x) AS initial_grantees
  FROM pg_proc p JOIN pg_init_privs i ON i.objoid = p.oid AND i.classoid = 'pg_proc'::regclass
 WHERE p.oid IN ('pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval)'::regprocedure,
                 'pgmq_c.nack(text, text, bigint, interval, integer, text)'::regprocedure,
                 'pgmq_c.ack(text, text, bigint, integer)'::regprocedure)
 ORDER BY p.oid::regprocedure::text COLLATE "C";
-- every queue's and group's table gained the columns, as new ones have them
SELECT pgmq_c.create_queue('up_retry', max_deliveries => 1, dead_letter_queue => 'up_tpl');
SELECT pg_temp.shape(format('pgmq_c.q_%s', n.queue_id)::regclass) =
       pg_temp.shape(format('pgmq_c.q_%s', o.queue_id)::regclass) AS messages_same_shape,
       pg_temp.shape(format('pgmq_c.a_%s', n.queue_id)::regclass) =
       pg_temp.shape(format('pgmq_c.a_%s', o.queue_id)::regclass) AS archive_same_shape
  FROM pgmq_c.queues n, pgmq_c.queues o
 WHERE n.queue_name = 'up_retry' AND o.queue_name = 'up_mine';
SELECT pg_temp.shape(format('pgmq_c.g_%s', group_id)::regclass) AS g_shape
  FROM pgmq_c.groups WHERE group_name = 'mg';
-- the queue takes a policy; a message given back without a delay waits for
-- the backoff (1 hour); the lease taken before the update still holds
SELECT pgmq_c.alter_queue('up_tpl', max_deliveries => 2, retry_backoff => '1 hour');
SELECT queue_name, max_deliveries, dead_letter_queue, retry_backoff
  FROM pgmq_c.list_queues() WHERE queue_name IN ('up_tpl', 'up_retry') ORDER BY 1;
SELECT pgmq_c.nack('up_tpl', :tpl3::bigint) AS nack_unread;
SELECT message FROM pgmq_c.read('up_tpl', '1 hour', 5);
SELECT pgmq_c.delete('up_tpl', :tpl1::bigint, 2) AS stale_receipt,
       pgmq_c.delete('up_tpl', :tpl1::bigint, 1) AS deleted_with_receipt;
SELECT pgmq_c.send('up_retry', '{"retry": 1}') AS r1 \gset
SELECT read_ct FROM pgmq_c.read('up_retry', '1 hour', 1);
SELECT pgmq_c.nack('up_retry', :r1::bigint, reason => 'after the update') AS dead_lettered;
SELECT message, headers->'pgmq_c_dead_letter'->>'queue' AS origin,
       headers->'pgmq_c_dead_letter'->>'reason' AS reason
  FROM pgmq_c.read('up_tpl', '1 hour', 5);
SELECT pgmq_c.alter_group('up_tpl_topic', 'tg', max_deliveries => 3, dead_letter_queue => 'up_retry');
SELECT group_name, max_deliveries, dead_letter_queue FROM pgmq_c.list_groups('up_tpl_topic');

-- 0.7.0: ordering keys and deduplication ids.  Until the update this
-- library serves the 0.6.0 catalog: messages have no key.  This session
-- has kept statements for up_tpl and the group tg; they are made again.
SELECT pgmq_c.purge_queue('up_tpl') AS purged;
SELECT pgmq_c.send('up_tpl', '{"before": 1}') > 0 AS sent;
SELECT message FROM pgmq_c.read('up_tpl', '1 hour', 5);
GRANT EXECUTE ON FUNCTION pgmq_c.send(text, jsonb, jsonb, interval) TO regress_up_other;
REVOKE EXECUTE ON FUNCTION pgmq_c.send_batch(text, jsonb[], jsonb[], interval) FROM PUBLIC;
ALTER EXTENSION pgmq_c UPDATE TO '0.7.0';
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
-- the DBA's grants followed the functions to their new arguments
SELECT has_function_privilege('regress_up_other', 'pgmq_c.send(text, jsonb, jsonb, interval, text, text)', 'EXECUTE') AS other_sends,
       has_function_privilege('regress_up_other', 'pgmq_c.send_batch(text, jsonb[], jsonb[], interval, text[], text[])', 'EXECUTE') AS other_sends_batches;
-- the queues and groups made before have the tables and columns new ones have
SELECT pgmq_c.create_queue('up_keys');
SELECT pg_temp.shape(format('pgmq_c.%s_%s', t, n.queue_id)::regclass) =
       pg_temp.shape(format('pgmq_c.%s_%s', t, o.queue_id)::regclass) AS same_shape, t
  FROM pgmq_c.queues n, pgmq_c.queues o, unnest(ARRAY['q', 'd', 'p', 'k']) t
 WHERE n.queue_name = 'up_keys' AND o.queue_name = 'up_tpl' ORDER BY t;
SELECT pg_temp.shape(format('pgmq_c.g_%s', group_id)::regclass) AS g_shape
  FROM pgmq_c.groups WHERE group_name = 'mg';
-- a queue made before the update orders by key (the message leased before
-- the update has no key: it holds nothing back)
SELECT pgmq_c.send('up_tpl', '{"a": 1}', ordering_key => 'a') AS a1 \gset
SELECT pgmq_c.send('up_tpl', '{"a": 2}', ordering_key => 'a') > 0 AS sent;
SELECT message, ordering_key FROM pgmq_c.read('up_tpl', '1 hour', 5);
SELECT message, ordering_key FROM pgmq_c.read('up_tpl', '1 hour', 5);
SELECT pgmq_c.delete('up_tpl', :a1::bigint) AS deleted;
SELECT message, ordering_key FROM pgmq_c.read('up_tpl', '1 hour', 5);
-- and a group made before the update too
SELECT count(*) FROM pgmq_c.send_batch('up_tpl_topic', ARRAY['{"t": 1}', '{"t": 2}']::jsonb[],
                                       ordering_keys => ARRAY['k', 'k']);
SELECT message, ordering_key FROM pgmq_c.read_group('up_tpl_topic', 'tg', '1 hour', 5);
-- deduplication
SELECT pgmq_c.send('up_tpl', '{"d": 1}', dedup_id => 'once') =
       pgmq_c.send('up_tpl', '{"d": 2}', dedup_id => 'once') AS same_msg_id;
SELECT queue_name, dedup_window FROM pgmq_c.list_queues() WHERE queue_name = 'up_tpl';

-- 0.8.0: durability levels.  Until the update list_queues() and
-- list_topics() have no durability column and create_queue() and
-- create_topic() no durability argument; the old functions work.
SELECT count(*) AS columns FROM pg_proc p, unnest(p.proargnames) a
 WHERE p.oid = 'pgmq_c.list_queues()'::regprocedure;
SELECT count(*) AS columns FROM pg_proc p, unnest(p.proargnames) a
 WHERE p.oid = 'pgmq_c.list_topics()'::regprocedure;
SELECT topic_name, groups, dedup_window FROM pgmq_c.list_topics() WHERE topic_name = 'up_tpl_topic';
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval, interval) TO regress_up_other;
GRANT EXECUTE ON FUNCTION pgmq_c.create_topic(text, interval, bigint, interval) TO regress_up_other;
-- a grant with the grant option keeps it (before, the update gave it back
-- without: review h47)
GRANT EXECUTE ON FUNCTION pgmq_c.create_topic(text, interval, bigint, interval) TO "regress_Up_Mixed" WITH GRANT OPTION;
-- read, receive, read_group and receive_group gain the receipts they
-- acknowledge: the procedures too keep what a DBA granted or revoked
REVOKE EXECUTE ON PROCEDURE pgmq_c.receive(text, interval, integer, interval, pgmq_c.message[]) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE pgmq_c.receive(text, interval, integer, interval, pgmq_c.message[]) TO regress_up_other;
-- the update rewrites table comments as the superuser: functions a
-- non-superuser planted where the caller's search path would find them
-- (closer matches for a name argument than pg_catalog's) never run
SET ROLE regress_up_creator;
CREATE FUNCTION regress_up_own.regexp_match(name, text) RETURNS text[]
  LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted regexp_match ran'; END $$;
CREATE FUNCTION regress_up_own.format(text, name, text) RETURNS text
  LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted format ran'; END $$;
-- (and where it sets every queue's and group's fillfactor)
CREATE FUNCTION regress_up_own.format(text, name, integer) RETURNS text
  LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted format ran'; END $$;
CREATE FUNCTION regress_up_own.substr(name, integer) RETURNS text
  LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted substr ran'; END $$;
RESET ROLE;
SET search_path = regress_up_own, public;
ALTER EXTENSION pgmq_c UPDATE TO '0.8.0';
RESET search_path;
SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c';
SELECT has_function_privilege('regress_up_other', 'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval, interval, text)', 'EXECUTE') AS other_creates,
       has_function_privilege('regress_Up_Mixed', 'pgmq_c.create_queue(text, interval, integer, text, interval, interval, interval, interval, text)', 'EXECUTE') AS mixed_case_creates,
       has_function_privilege('regress_up_other', 'pgmq_c.create_topic(text, interval, bigint, interval, text)', 'EXECUTE') AS other_creates_topics,
       has_function_privilege('regress_up_creator', 'pgmq_c.create_topic(text, interval, bigint, interval, text)', 'EXECUTE') AS creator_creates_topics,
       has_function_privilege('regress_Up_Mixed', 'pgmq_c.create_topic(text, interval, bigint, interval, text)', 'EXECUTE WITH GRANT OPTION') AS mixed_may_grant,
       has_function_privilege('regress_up_other', 'pgmq_c.create_topic(text, interval, bigint, interval, text)', 'EXECUTE WITH GRANT OPTION') AS other_may_grant;
SELECT has_function_privilege('regress_up_other', 'pgmq_c.receive(text, interval, integer, interval, pgmq_c.message[], bigint[], integer[])', 'EXECUTE') AS other_receives,
       has_function_privilege('regress_up_creator', 'pgmq_c.receive(text, interval, integer, interval, pgmq_c.message[], bigint[], integer[])', 'EXECUTE') AS creator_receives,
       has_function_privilege('regress_up_creator', 'pgmq_c.read(text, interval, integer, interval, bigint[], integer[])', 'EXECUTE') AS creator_reads;
-- a read that deletes what it read before, on a queue made before
SELECT msg_id AS read_before FROM pgmq_c.read('up_tpl', '30 seconds', 1) \gset
SELECT count(*) AS read_after_delete FROM pgmq_c.read('up_tpl', '30 seconds', 1, delete_ids => ARRAY[:read_before]::bigint[]);
SELECT count(*) AS deleted FROM pgmq_c.delete('up_tpl', ARRAY[:read_before]::bigint[]);
-- the queues made before are logged; one can be made unlogged, with its
-- messages, and a new one unlogged from the start
SELECT queue_name, durability FROM pgmq_c.list_queues() WHERE queue_name IN ('up_tpl', 'up_keys') ORDER BY 1;
SELECT queue_length AS up_tpl_before FROM pgmq_c.metrics('up_tpl');
SELECT pgmq_c.alter_queue('up_tpl', durability => 'unlogged');
SELECT pgmq_c.create_queue('up_fast', durability => 'unlogged');
SELECT queue_name, durability FROM pgmq_c.list_queues() WHERE queue_name IN ('up_tpl', 'up_fast') ORDER BY 1;
SELECT queue_length AS up_tpl_after FROM pgmq_c.metrics('up_tpl');
SELECT pgmq_c.send('up_fast', '{"f": 1}') AS fast_sent;
-- so are the topics, with their groups; one can be made unlogged, and a
-- new one unlogged from the start
SELECT topic_name, groups, dedup_window, durability FROM pgmq_c.list_topics()
 WHERE topic_name = 'up_tpl_topic';
SELECT queue_length AS up_tpl_topic_before FROM pgmq_c.metrics('up_tpl_topic');
SELECT pgmq_c.alter_queue('up_tpl_topic', durability => 'unlogged');
SELECT pgmq_c.create_topic('up_fast_topic', durability => 'unlogged');
SELECT topic_name, durability FROM pgmq_c.list_topics()
 WHERE topic_name IN ('up_tpl_topic', 'up_fast_topic') ORDER BY 1;
SELECT c.relpersistence AS tg_persistence
  FROM pgmq_c.groups g JOIN pg_class c ON c.oid = format('pgmq_c.g_%s', g.group_id)::regclass
 WHERE g.group_name = 'tg';
SELECT queue_length AS up_tpl_topic_after FROM pgmq_c.metrics('up_tpl_topic');
SELECT pgmq_c.send('up_fast_topic', '{"f": 1}') AS fast_topic_sent;
-- the comments on the tables of queues, topics and groups made before the
-- update name them by id, as those made after do: pg_description is
-- readable by every role, the names are not
SELECT count(*) AS comments_naming_a_queue
  FROM pg_description d, pgmq_c.queues q
 WHERE d.classoid = 'pg_class'::regclass
   AND d.description ~ ('^pgmq_c (queue|topic) ' || q.queue_name || '[:,]');
SELECT count(*) AS comments_naming_a_group
  FROM pg_description d, pgmq_c.groups g
 WHERE d.classoid = 'pg_class'::regclass AND d.description ~ (', group ' || g.group_name || ':');
SELECT regexp_replace(c.relname, '[0-9]+', 'N') AS relname,
       regexp_replace(d.description, '[0-9]+', 'N', 'g') AS comment,
       d.description ~ ('^pgmq_c (queue|topic) ' || q.queue_id || '[:,]') AS names_its_id
  FROM pgmq_c.queues q
  JOIN pg_class c ON c.relnamespace = 'pgmq_c'::regnamespace
                 AND c.relname ~ ('^[qdapktc]_' || q.queue_id || '$')
  JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
 WHERE q.queue_name IN ('up_tpl', 'up_mine', 'up_tpl_topic', 'up_fast')
 ORDER BY q.queue_name, 1;
SELECT regexp_replace(d.description, '[0-9]+', 'N', 'g') AS group_comment,
       d.description = format('pgmq_c topic %s, group %s: messages handed out, not acknowledged',
                              g.topic_id, g.group_id) AS names_its_ids
  FROM pgmq_c.groups g
  JOIN pg_description d ON d.objoid = format('pgmq_c.g_%s', g.group_id)::regclass
                       AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
 ORDER BY g.group_name;

-- every queue's messages table and every group's table, made before the
-- update or after it, keeps room for a new version of each row, so that
-- leases are HOT updates: fillfactor 50 (a queue's messages), 40 (a
-- group's narrow rows); the other storage parameters are kept
SELECT pgmq_c.create_group('up_fast_topic', 'fg');
SELECT substr(c.relname, 1, 1) AS tbl, array_to_string(c.reloptions, ',') AS options,
       count(*) AS tables, count(*) FILTER (WHERE c.relpersistence = 'u') AS unlogged
  FROM pg_class c
 WHERE c.relnamespace = 'pgmq_c'::regnamespace AND c.relkind = 'r'
   AND c.relname ~ '^[qg]_[0-9]+$'
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT c.relname, array_to_string(c.reloptions, ',') AS options
  FROM pg_class c
 WHERE c.oid IN ('pgmq_c.template_queue_messages'::regclass, 'pgmq_c.template_group_messages'::regclass)
 ORDER BY 1;

SET client_min_messages = warning;
DROP EXTENSION pgmq_c CASCADE;
RESET client_min_messages;
DROP SCHEMA regress_up_own CASCADE;
DROP ROLE regress_up_creator, regress_up_reader, regress_up_other, "regress_Up_Mixed";
