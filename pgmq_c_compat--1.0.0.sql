/* pgmq_c_compat--1.0.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgmq_c_compat" to load this file. \quit

--
-- pgmq 1.x's SQL API (schema pgmq, as pgmq 1.5 names it: functions,
-- argument names, defaults, result types, with what pgmq 1.6 to 1.13 changed
-- where it maps onto pgmq_c: pop's qty, create_partitioned's premake,
-- metrics_result's default_partition_length) on top of pgmq_c's queues.  A
-- queue made here is a pgmq_c queue and the reverse: both APIs work on
-- both.  Every function runs as its caller (not SECURITY DEFINER: pgmq_c
-- checks the caller's privileges on the queue, and creating a queue needs
-- EXECUTE on pgmq_c.create_queue).  The functions a consumer or producer
-- calls per message (send, send_batch, read, read_with_poll, pop, delete,
-- archive) are C functions of pgmq_c's library (those of pgmq_c's pop,
-- delete and archive, and src/functions/compat_functions.c), the same code
-- as pgmq_c's own with pgmq's arguments converted: a wrapper in
-- plpgsql cost a third of a send's CPU.  The others are plpgsql wrappers
-- with a pinned search_path and schema-qualified calls (plpgsql rather than
-- SQL: PostgreSQL 15 plans a SQL function's body anew for every statement
-- that calls it, while plpgsql keeps its plans for the session).  What
-- pgmq has and this does not (the tables pgmq.q_<name> and pgmq.a_<name>,
-- pgmq.meta, partitioning with pg_partman, the conditional filter of read,
-- and what later pgmq releases added that does not map or would make
-- existing calls ambiguous) is listed in README.md, "pgmq compatibility".
--

--
-- pgmq_c 0.8.0 or later: these functions call pgmq_c's functions and C
-- entry points as 0.8.0 declares them (create_queue's durability,
-- list_queues' columns), which older versions' SQL lacks.  CREATE
-- EXTENSION ... CASCADE installs the newest pgmq_c, but an existing older
-- one is taken as it is.
--
DO $version$
DECLARE
	installed	text;
BEGIN
	SELECT e.extversion INTO installed
	  FROM pg_catalog.pg_extension e
	 WHERE e.extname OPERATOR(pg_catalog.=) 'pgmq_c';
	IF ARRAY(SELECT m[1]::integer
			   FROM pg_catalog.regexp_matches(installed, '([0-9]+)', 'g') AS m)
	   OPERATOR(pg_catalog.<) ARRAY[0, 8, 0] THEN
		RAISE EXCEPTION 'pgmq_c_compat needs pgmq_c 0.8.0 or later'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = pg_catalog.format('Extension "pgmq_c" is at version %s.', installed),
				  HINT = 'Update it first: ALTER EXTENSION pgmq_c UPDATE;';
	END IF;
END
$version$;

--
-- Schema pgmq must be a superuser's.  CREATE EXTENSION makes it when it
-- is missing but takes an existing one as it is: a role that made it first,
-- or may create in it, could put there a function that outranks one of
-- these for some call (pgmq.send(text, text) catches a quoted literal
-- before pgmq.send(text, jsonb)) and have it run as whoever calls, a
-- superuser's maintenance included.
--
DO $check$
DECLARE
	bad text;
BEGIN
	SELECT pg_catalog.format('schema "pgmq" is owned by role "%s", which is not a superuser', r.rolname)
	  INTO bad
	  FROM pg_catalog.pg_namespace n
	  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
	 WHERE n.nspname OPERATOR(pg_catalog.=) 'pgmq' AND NOT r.rolsuper;
	IF bad IS NULL THEN
		SELECT pg_catalog.format('%s may create objects in schema "pgmq"',
								 CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'every role (PUBLIC)'
									  ELSE pg_catalog.format('role "%s"', r.rolname) END)
		  INTO bad
		  FROM pg_catalog.pg_namespace n,
			   LATERAL pg_catalog.aclexplode(n.nspacl) a
		  LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
		 WHERE n.nspname OPERATOR(pg_catalog.=) 'pgmq'
		   AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
		   AND NOT coalesce(r.rolsuper, false)
		 LIMIT 1;
	END IF;
	IF bad IS NULL THEN
		SELECT pg_catalog.format('%s in schema "pgmq" is owned by role "%s", which is not a superuser',
								 o.what, r.rolname)
		  INTO bad
		  FROM (SELECT 'function ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::text, p.proowner
				  FROM pg_catalog.pg_proc p
				 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgmq'::pg_catalog.regnamespace
				UNION ALL
				SELECT 'operator ' OPERATOR(pg_catalog.||) o.oid::pg_catalog.regoperator::text, o.oprowner
				  FROM pg_catalog.pg_operator o
				 WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'pgmq'::pg_catalog.regnamespace
				UNION ALL
				SELECT 'relation ' OPERATOR(pg_catalog.||) c.oid::pg_catalog.regclass::text, c.relowner
				  FROM pg_catalog.pg_class c
				 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pgmq'::pg_catalog.regnamespace
				UNION ALL
				SELECT 'type ' OPERATOR(pg_catalog.||) t.oid::pg_catalog.regtype::text, t.typowner
				  FROM pg_catalog.pg_type t
				 WHERE t.typnamespace OPERATOR(pg_catalog.=) 'pgmq'::pg_catalog.regnamespace) o(what, owner)
		  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) o.owner
		 WHERE NOT r.rolsuper
		 LIMIT 1;
	END IF;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION '%', bad
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'Functions of pgmq_c_compat would be installed beside objects another role controls.',
				  HINT = 'Drop schema "pgmq" (CREATE EXTENSION pgmq_c_compat makes it), or make a superuser the owner of it and of everything in it and revoke CREATE on it, then create the extension again.';
	END IF;
END
$check$;

--
-- Types, as pgmq 1.5 defines them, metrics_result with the column pgmq
-- 1.12.1 added at its end.  message_record keeps 1.5's columns: pgmq 1.10
-- put last_read_at between enqueued_at and vt, which pgmq_c does not record
-- (README.md says what that means for clients).
--
CREATE TYPE pgmq.message_record AS (
	msg_id		bigint,
	read_ct		integer,
	enqueued_at	timestamptz,
	vt			timestamptz,
	message		jsonb,
	headers		jsonb
);
COMMENT ON TYPE pgmq.message_record IS 'pgmq''s message, as returned by pgmq.read, read_with_poll, pop and set_vt';

CREATE TYPE pgmq.queue_record AS (
	queue_name		varchar,
	is_partitioned	boolean,
	is_unlogged		boolean,
	created_at		timestamptz
);
COMMENT ON TYPE pgmq.queue_record IS 'pgmq''s row of pgmq.list_queues()';

CREATE TYPE pgmq.metrics_result AS (
	queue_name				text,
	queue_length			bigint,
	newest_msg_age_sec		integer,
	oldest_msg_age_sec		integer,
	total_messages			bigint,
	scrape_time				timestamptz,
	queue_visible_length	bigint,
	-- pgmq 1.12.1: messages in a partitioned queue's default partition,
	-- NULL for a queue without partitions (every pgmq_c queue)
	default_partition_length bigint
);
COMMENT ON TYPE pgmq.metrics_result IS 'pgmq''s row of pgmq.metrics() and metrics_all()';

--
-- Queue management
--
CREATE FUNCTION pgmq."create"(queue_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c.create_queue(queue_name);
END
$$;
COMMENT ON FUNCTION pgmq."create"(text) IS 'pgmq_c.create_queue(queue_name): a logged queue; a no-op when it exists';

CREATE FUNCTION pgmq.create_non_partitioned(queue_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c.create_queue(queue_name);
END
$$;
COMMENT ON FUNCTION pgmq.create_non_partitioned(text) IS 'as pgmq.create';

CREATE FUNCTION pgmq.create_unlogged(queue_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c.create_queue(queue_name, durability => 'unlogged');
END
$$;
COMMENT ON FUNCTION pgmq.create_unlogged(text) IS 'pgmq_c.create_queue(queue_name, durability => ''unlogged'')';

-- premake as pgmq 1.12.1 added it, replacing the three-argument form (both
-- would make a call with three arguments ambiguous)
CREATE FUNCTION pgmq.create_partitioned(queue_name text,
										partition_interval text DEFAULT '10000',
										retention_interval text DEFAULT '100000',
										premake integer DEFAULT 4)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- pgmq_c needs no partitioning against bloat: a plain queue
	PERFORM pgmq_c.create_queue(queue_name);
END
$$;
COMMENT ON FUNCTION pgmq.create_partitioned(text, text, text, integer) IS 'accepted for pgmq''s clients: a plain pgmq_c queue (the intervals and premake are ignored)';

CREATE FUNCTION pgmq.drop_queue(queue_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN pgmq_c.drop_queue(queue_name);
END
$$;
COMMENT ON FUNCTION pgmq.drop_queue(text) IS 'pgmq_c.drop_queue: false when the queue did not exist';

CREATE FUNCTION pgmq.drop_queue(queue_name text, partitioned boolean)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN pgmq_c.drop_queue(queue_name);
END
$$;
COMMENT ON FUNCTION pgmq.drop_queue(text, boolean) IS 'as pgmq.drop_queue(queue_name) (pgmq''s deprecated form)';

CREATE FUNCTION pgmq.purge_queue(queue_name text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN pgmq_c.purge_queue(queue_name);
END
$$;
COMMENT ON FUNCTION pgmq.purge_queue(text) IS 'pgmq_c.purge_queue: removes every message but the archive; returns how many';

CREATE FUNCTION pgmq.detach_archive(queue_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- pgmq_c's queue tables are never members of an extension (pg_dump
	-- dumps them and their data as usual): nothing to detach.  Only check
	-- that the queue exists and that the caller may see it.
	PERFORM pgmq_c.metrics(queue_name);
END
$$;
COMMENT ON FUNCTION pgmq.detach_archive(text) IS 'a no-op: pgmq_c''s archives are never extension members (checks that the queue exists)';

CREATE FUNCTION pgmq.list_queues()
RETURNS SETOF pgmq.queue_record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
		SELECT l.queue_name::varchar, false,
			   l.durability OPERATOR(pg_catalog.=) 'unlogged', l.created_at
		  FROM pgmq_c.list_queues() l;
END
$$;
COMMENT ON FUNCTION pgmq.list_queues() IS 'pgmq_c.list_queues() as pgmq''s queue_record: the queues on which the caller holds some privilege';

--
-- Sending
--
-- pgmq's delay: an integer (seconds from now) or a timestamptz (when the
-- message becomes visible); one in the past means now, as in pgmq.
CREATE FUNCTION pgmq.send(queue_name text, msg jsonb)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_seconds'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay timestamptz)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_at'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_seconds'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_at'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[])
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_batch'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[])
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_batch'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_batch_seconds'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_batch_at'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_batch_seconds'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz)
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_compat_send_batch_at'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

--
-- Receiving
--
CREATE FUNCTION pgmq.read(queue_name text, vt integer, qty integer,
						  conditional jsonb DEFAULT '{}')
RETURNS SETOF pgmq.message_record
AS '$libdir/pgmq_c', 'pgmqc_compat_read'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq.read(text, integer, integer, jsonb) IS 'pgmq_c.read with a lease of vt seconds; conditional must be ''{}''';

CREATE FUNCTION pgmq.read_with_poll(queue_name text, vt integer, qty integer,
									max_poll_seconds integer DEFAULT 5,
									poll_interval_ms integer DEFAULT 100,
									conditional jsonb DEFAULT '{}')
RETURNS SETOF pgmq.message_record
AS '$libdir/pgmq_c', 'pgmqc_compat_read_with_poll'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq.read_with_poll(text, integer, integer, integer, integer, jsonb) IS 'pgmq_c.read waiting up to max_poll_seconds in the server, woken by the sender''s commit (poll_interval_ms unused); conditional must be ''{}''';

-- pgmq 1.7 replaced pop(queue_name) by this one, so pop('q') still means
-- one message; both beside each other would make that call ambiguous.
-- pgmq_c.pop's own C function: the same arguments, checks and rows (the
-- result's six columns leave out pgmq_c.message's ordering_key).
CREATE FUNCTION pgmq.pop(queue_name text, qty integer DEFAULT 1)
RETURNS SETOF pgmq.message_record
AS '$libdir/pgmq_c', 'pgmqc_pop'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION pgmq.pop(text, integer) IS 'pgmq_c.pop: reads and deletes up to qty (1 to 10000) visible messages, oldest first';

--
-- Acknowledging
--
CREATE FUNCTION pgmq.delete(queue_name text, msg_id bigint)
RETURNS boolean
AS '$libdir/pgmq_c', 'pgmqc_delete'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_delete_many'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;

CREATE FUNCTION pgmq.archive(queue_name text, msg_id bigint)
RETURNS boolean
AS '$libdir/pgmq_c', 'pgmqc_archive'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
AS '$libdir/pgmq_c', 'pgmqc_archive_many'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
RETURNS SETOF pgmq.message_record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
		SELECT m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers
		  FROM pgmq_c.set_vt(queue_name, msg_id, make_interval(secs => vt)) m;
END
$$;
COMMENT ON FUNCTION pgmq.set_vt(text, bigint, integer) IS 'pgmq_c.set_vt: the message''s lease ends vt seconds from now';

--
-- Metrics
--
CREATE FUNCTION pgmq.metrics(queue_name text)
RETURNS pgmq.metrics_result
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m pgmq_c.queue_metrics;
	r pgmq.metrics_result;
BEGIN
	m := pgmq_c.metrics(queue_name);
	r := ROW(m.queue_name, m.queue_length,
			 round(m.newest_msg_age_sec)::integer, round(m.oldest_msg_age_sec)::integer,
			 m.total_messages, m.scrape_time, m.visible_length, NULL::bigint);
	RETURN r;
END
$$;
COMMENT ON FUNCTION pgmq.metrics(text) IS 'pgmq_c.metrics as pgmq''s metrics_result (queue_length: visible, leased and delayed; queue_visible_length: visible); unlike pgmq''s, lengths above pgmq_c.metrics_exact_limit (default 100000) are estimates from table statistics, as pgmq_c.metrics() says with length_is_exact';

CREATE FUNCTION pgmq.metrics_all()
RETURNS SETOF pgmq.metrics_result
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
		SELECT m.queue_name, m.queue_length,
			   round(m.newest_msg_age_sec)::integer, round(m.oldest_msg_age_sec)::integer,
			   m.total_messages, m.scrape_time, m.visible_length, NULL::bigint
		  FROM pgmq_c.metrics_all() m
		 WHERE m.kind OPERATOR(pg_catalog.=) 'queue'
		 ORDER BY m.queue_name;
END
$$;
COMMENT ON FUNCTION pgmq.metrics_all() IS 'pgmq.metrics of every queue on which the caller holds the monitor privilege (every queue for a superuser; topics left out); lengths above pgmq_c.metrics_exact_limit are estimates, as in pgmq.metrics';

--
-- Notifications on insert: pgmq's clients LISTEN on "pgmq.q_<queue>.INSERT".
-- pgmq_c's worker sends there (payload: the queue name) when messages
-- become visible: after a send commits, and when a delayed message comes
-- due or a lease ends; at most once per throttle_interval_ms.
--
CREATE FUNCTION pgmq.enable_notify_insert(queue_name text,
										  throttle_interval_ms integer DEFAULT 250)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- (a NULL bound to the argument means the default, as in pgmq)
	throttle_interval_ms := COALESCE(throttle_interval_ms, 250);
	IF throttle_interval_ms < 0 THEN
		RAISE EXCEPTION 'throttle_interval_ms must not be negative'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM pgmq_c.enable_notify(queue_name,
								 make_interval(secs => throttle_interval_ms / 1000.0),
								 'pgmq.q_' OPERATOR(pg_catalog.||) queue_name
								 OPERATOR(pg_catalog.||) '.INSERT');
END
$$;
COMMENT ON FUNCTION pgmq.enable_notify_insert(text, integer) IS 'pgmq_c.enable_notify on channel "pgmq.q_<queue_name>.INSERT" (payload: the queue name), sent by the background worker when messages become visible, at most once per throttle_interval_ms; needs the preload';

CREATE FUNCTION pgmq.update_notify_insert(queue_name text,
										  throttle_interval_ms integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF throttle_interval_ms IS NULL THEN
		RAISE EXCEPTION 'throttle_interval_ms must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- (as pgmq: only where insert notifications are on)
	IF NOT EXISTS (SELECT FROM pgmq_c.list_notifications() n
				    WHERE n.queue_name OPERATOR(pg_catalog.=) update_notify_insert.queue_name
					  AND n.channel OPERATOR(pg_catalog.=)
						  ('pgmq.q_' OPERATOR(pg_catalog.||) update_notify_insert.queue_name
						   OPERATOR(pg_catalog.||) '.INSERT')) THEN
		RAISE EXCEPTION 'insert notifications are not enabled for queue "%"', queue_name
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Call pgmq.enable_notify_insert() first.';
	END IF;
	PERFORM pgmq.enable_notify_insert(queue_name, throttle_interval_ms);
END
$$;
COMMENT ON FUNCTION pgmq.update_notify_insert(text, integer) IS 'pgmq.enable_notify_insert with a new throttle, where insert notifications are on';

CREATE FUNCTION pgmq.list_notify_insert_throttles()
RETURNS TABLE (queue_name text, throttle_interval_ms integer,
			   last_notified_at timestamptz)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
		SELECT n.queue_name,
			   pg_catalog.round(pg_catalog.date_part('epoch', n.throttle)
								OPERATOR(pg_catalog.*) 1000)::integer,
			   NULL::timestamptz
		  FROM pgmq_c.list_notifications() n
		 WHERE n.channel OPERATOR(pg_catalog.=)
			   ('pgmq.q_' OPERATOR(pg_catalog.||) n.queue_name OPERATOR(pg_catalog.||) '.INSERT')
		 ORDER BY n.queue_name;
END
$$;
COMMENT ON FUNCTION pgmq.list_notify_insert_throttles() IS 'the queues with insert notifications (pgmq.enable_notify_insert) that the caller may see, with their throttle; last_notified_at is NULL (the worker does not record it)';

CREATE FUNCTION pgmq.disable_notify_insert(queue_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c.disable_notify(queue_name);
END
$$;
COMMENT ON FUNCTION pgmq.disable_notify_insert(text) IS 'pgmq_c.disable_notify: no more notifications for the queue';

GRANT USAGE ON SCHEMA pgmq TO PUBLIC;
