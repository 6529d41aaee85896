/* pgmq_c_router--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgmq_c_router" to load this file. \quit

--
-- pgmq_c's API on a router database, routed with PL/Proxy to N nodes that
-- run pgmq_c (docs/scale-out.md has the design).  The nodes are the
-- partitions p0, p1, ... of the SQL/MED server pgmq_c_cluster, which the
-- administrator creates:
--
--   CREATE SERVER pgmq_c_cluster FOREIGN DATA WRAPPER plproxy
--     OPTIONS (modular_mapping '1', p0 'host=... dbname=...', p1 '...', ...);
--   CREATE USER MAPPING FOR app SERVER pgmq_c_cluster OPTIONS (user 'app');
--   GRANT USAGE ON FOREIGN SERVER pgmq_c_cluster TO app;
--
-- A msg_id seen through the router is the node's own msg_id plus the node
-- number times 2^48, so a receipt routes itself back to its node.  Every
-- function runs as its caller (SECURITY INVOKER): PL/Proxy connects to the
-- nodes through the caller's user mapping, and each node checks pgmq_c's
-- per-queue privileges as it does for a direct client.  The wrappers are
-- plpgsql with a pinned search_path and schema-qualified names; the SQL sent
-- to the nodes names pg_catalog's operators explicitly, since it runs under
-- the node session's search_path.
--

--
-- Schema pgmq_c_router must be a superuser's.  CREATE EXTENSION makes it when it
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
	SELECT pg_catalog.format('schema "pgmq_c_router" is owned by role "%s", which is not a superuser', r.rolname)
	  INTO bad
	  FROM pg_catalog.pg_namespace n
	  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
	 WHERE n.nspname OPERATOR(pg_catalog.=) 'pgmq_c_router' AND NOT r.rolsuper;
	IF bad IS NULL THEN
		SELECT pg_catalog.format('%s may create objects in schema "pgmq_c_router"',
								 CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'every role (PUBLIC)'
									  ELSE pg_catalog.format('role "%s"', r.rolname) END)
		  INTO bad
		  FROM pg_catalog.pg_namespace n,
			   LATERAL pg_catalog.aclexplode(n.nspacl) a
		  LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
		 WHERE n.nspname OPERATOR(pg_catalog.=) 'pgmq_c_router'
		   AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
		   AND NOT coalesce(r.rolsuper, false)
		 LIMIT 1;
	END IF;
	IF bad IS NULL THEN
		SELECT pg_catalog.format('%s in schema "pgmq_c_router" is owned by role "%s", which is not a superuser',
								 o.what, r.rolname)
		  INTO bad
		  FROM (SELECT 'function ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::text, p.proowner
				  FROM pg_catalog.pg_proc p
				 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgmq_c_router'::pg_catalog.regnamespace
				UNION ALL
				SELECT 'operator ' OPERATOR(pg_catalog.||) o.oid::pg_catalog.regoperator::text, o.oprowner
				  FROM pg_catalog.pg_operator o
				 WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'pgmq_c_router'::pg_catalog.regnamespace
				UNION ALL
				SELECT 'relation ' OPERATOR(pg_catalog.||) c.oid::pg_catalog.regclass::text, c.relowner
				  FROM pg_catalog.pg_class c
				 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pgmq_c_router'::pg_catalog.regnamespace
				UNION ALL
				SELECT 'type ' OPERATOR(pg_catalog.||) t.oid::pg_catalog.regtype::text, t.typowner
				  FROM pg_catalog.pg_type t
				 WHERE t.typnamespace OPERATOR(pg_catalog.=) 'pgmq_c_router'::pg_catalog.regnamespace) o(what, owner)
		  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) o.owner
		 WHERE NOT r.rolsuper
		 LIMIT 1;
	END IF;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION '%', bad
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'Functions of pgmq_c_router would be installed beside objects another role controls.',
				  HINT = 'Drop schema "pgmq_c_router" (CREATE EXTENSION pgmq_c_router makes it), or make a superuser the owner of it and of everything in it and revoke CREATE on it, then create the extension again.';
	END IF;
END
$check$;

--
-- Types: the rows of pgmq_c's, with msg_ids as the router numbers them
--
CREATE TYPE pgmq_c_router.message AS (
	msg_id		bigint,
	read_ct		integer,
	enqueued_at	timestamptz,
	vt			timestamptz,
	message		jsonb,
	headers		jsonb,
	ordering_key text
);
COMMENT ON TYPE pgmq_c_router.message IS 'a message as pgmq_c.message, its msg_id carrying its node number (msg_id >> 48)';

CREATE TYPE pgmq_c_router.queue_metrics AS (
	queue_name	text,
	queue_length bigint,
	visible_length bigint,
	delayed_length bigint,
	in_flight_length bigint,
	archived_length bigint,
	oldest_msg_age_sec double precision,
	newest_msg_age_sec double precision,
	total_messages bigint,
	length_is_exact boolean,
	scrape_time	timestamptz,
	kind		text,
	retention	interval,
	partitions	integer,
	groups		integer
);
COMMENT ON TYPE pgmq_c_router.queue_metrics IS 'pgmq_c.queue_metrics of one node, or summed over the nodes';

--
-- The cluster
--

-- The cluster every node function names (CLUSTER pgmq_c_router.cluster()),
-- after a check of the caller's user mapping.  PL/Proxy connects as the
-- user that mapping names, and falls back to the mapping FOR PUBLIC when
-- the caller has none of its own: refused unless the caller has a mapping
-- of its own that names itself (or no user, which PL/Proxy fills in with
-- the caller's name).  This check and PL/Proxy's own read of the mapping
-- are not one atomic step: what keeps a role from changing its mapping
-- between them is the event trigger below, which lets only superusers and
-- the server's owner create, alter or drop mappings of pgmq_c_cluster.
-- Run by PL/Proxy at every call of a node function, so that calling one
-- directly does not skip it.
CREATE FUNCTION pgmq_c_router.cluster() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	mapped		text;
BEGIN
	IF NOT pg_catalog.has_server_privilege('pgmq_c_cluster', 'USAGE') THEN
		RAISE EXCEPTION 'permission denied for foreign server pgmq_c_cluster'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Ask the owner of server "pgmq_c_cluster" to grant USAGE on it and to create a user mapping for the role.';
	END IF;
	SELECT (SELECT pg_catalog.substr(o, 6)
			  FROM pg_catalog.unnest(m.umoptions) o
			 WHERE o OPERATOR(pg_catalog.~~) 'user=%')
	  INTO mapped
	  FROM pg_catalog.pg_user_mappings m
	 WHERE m.srvname OPERATOR(pg_catalog.=) 'pgmq_c_cluster'
	   AND m.umuser OPERATOR(pg_catalog.<>) 0::pg_catalog.oid
	   AND m.usename OPERATOR(pg_catalog.=) current_user;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role "%" has no user mapping of its own for server "pgmq_c_cluster"', current_user
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'Without one, PL/Proxy would connect to the nodes through the mapping for PUBLIC, as whatever role that mapping names.',
				  HINT = pg_catalog.format('Ask the owner of server "pgmq_c_cluster" to create one: CREATE USER MAPPING FOR %I SERVER pgmq_c_cluster OPTIONS (user %L, password ''...'');',
										  current_user, current_user);
	END IF;
	IF mapped IS NOT NULL AND mapped OPERATOR(pg_catalog.<>) current_user THEN
		RAISE EXCEPTION 'the user mapping of role "%" for server "pgmq_c_cluster" connects as role "%"', current_user, mapped
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'The router connects each role to the nodes as itself, so that each node checks that role''s privileges.',
				  HINT = pg_catalog.format('Ask the owner of server "pgmq_c_cluster" to give the mapping the role''s own name: ALTER USER MAPPING FOR %I SERVER pgmq_c_cluster OPTIONS (SET user %L);',
										  current_user, current_user);
	END IF;
	RETURN 'pgmq_c_cluster';
END
$$;
COMMENT ON FUNCTION pgmq_c_router.cluster() IS 'the PL/Proxy cluster of the node functions, pgmq_c_cluster, once the caller is checked to have a user mapping of its own that connects as itself';

-- Only superusers and the owner of server pgmq_c_cluster (or a member of
-- its role) may create, alter or drop its user mappings.  PostgreSQL lets a
-- role with USAGE on a server manage its own mapping; one that names
-- another role, or its removal (which lets PL/Proxy fall back to the
-- mapping FOR PUBLIC), would make the router connect to the nodes as that
-- other role, and no check made before PL/Proxy reads the mapping can rule
-- out a change committed in between.  Refused here, in the transaction of
-- the change, it never commits.  Event trigger functions run as the role
-- that issued the command.
CREATE FUNCTION pgmq_c_router.guard_user_mappings() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	mapped_role	text;
BEGIN
	IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r
		 WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
		RETURN;
	END IF;
	IF TG_EVENT OPERATOR(pg_catalog.=) 'sql_drop' THEN
		-- (a server that is gone with its mappings was dropped by its owner)
		SELECT d.address_names[1] INTO mapped_role
		  FROM pg_catalog.pg_event_trigger_dropped_objects() d
		  JOIN pg_catalog.pg_foreign_server s
			ON s.srvname OPERATOR(pg_catalog.=) d.address_args[1]
		 WHERE d.object_type OPERATOR(pg_catalog.=) 'user mapping'
		   AND d.address_args[1] OPERATOR(pg_catalog.=) 'pgmq_c_cluster'
		   AND NOT pg_catalog.pg_has_role(s.srvowner, 'USAGE')
		 LIMIT 1;
	ELSE
		SELECT m.usename INTO mapped_role
		  FROM pg_catalog.pg_event_trigger_ddl_commands() c
		  JOIN pg_catalog.pg_user_mappings m ON m.umid OPERATOR(pg_catalog.=) c.objid
		  JOIN pg_catalog.pg_foreign_server s ON s.oid OPERATOR(pg_catalog.=) m.srvid
		 WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_user_mapping'::pg_catalog.regclass
		   AND s.srvname OPERATOR(pg_catalog.=) 'pgmq_c_cluster'
		   AND NOT pg_catalog.pg_has_role(s.srvowner, 'USAGE')
		 LIMIT 1;
	END IF;
	IF mapped_role IS NOT NULL THEN
		RAISE EXCEPTION 'permission denied to change the user mapping for "%" on server "pgmq_c_cluster"', mapped_role
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'pgmq_c_router connects each role to the nodes through its user mapping for that server: only superusers and the server''s owner may create, alter or drop those mappings.',
				  HINT = 'Ask the owner of server "pgmq_c_cluster" to make the change.';
	END IF;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.guard_user_mappings() IS 'event trigger: refuses a change of a user mapping of server pgmq_c_cluster by a role that is neither a superuser nor the server''s owner';

CREATE EVENT TRIGGER pgmq_c_router_user_mappings ON ddl_command_end
	WHEN TAG IN ('CREATE USER MAPPING', 'ALTER USER MAPPING')
	EXECUTE FUNCTION pgmq_c_router.guard_user_mappings();
CREATE EVENT TRIGGER pgmq_c_router_user_mapping_drops ON sql_drop
	EXECUTE FUNCTION pgmq_c_router.guard_user_mappings();
-- also under session_replication_role = replica
ALTER EVENT TRIGGER pgmq_c_router_user_mappings ENABLE ALWAYS;
ALTER EVENT TRIGGER pgmq_c_router_user_mapping_drops ENABLE ALWAYS;

-- The number of nodes: the partitions p0 .. p<N-1> of server pgmq_c_cluster.
CREATE FUNCTION pgmq_c_router.node_count() RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	opts		text[];
	n			integer;
	top			integer;
	modular		boolean;
BEGIN
	SELECT s.srvoptions INTO opts
	  FROM pg_catalog.pg_foreign_server s
	  JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
	 WHERE s.srvname = 'pgmq_c_cluster'
	   AND w.fdwname = 'plproxy';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'server "pgmq_c_cluster" does not exist'
			USING ERRCODE = 'undefined_object',
				  HINT = 'Create it: CREATE SERVER pgmq_c_cluster FOREIGN DATA WRAPPER plproxy OPTIONS (modular_mapping ''1'', p0 ''host=... dbname=...'', p1 ...).';
	END IF;
	SELECT count(*) FILTER (WHERE o ~ '^(p|partition_)[0-9]+='),
		   max(substring(o FROM '^(?:p|partition_)([0-9]+)=')::integer),
		   coalesce(bool_or(substring(o FROM '^modular_mapping=\s*([0-9]{1,9})')::integer = 1), false)
	  INTO n, top, modular
	  FROM pg_catalog.unnest(opts) o;
	IF n = 0 OR top <> n - 1 THEN
		RAISE EXCEPTION 'server "pgmq_c_cluster" must name its nodes p0 to p<N-1>'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF n > 32767 THEN
		RAISE EXCEPTION 'server "pgmq_c_cluster" has % nodes, more than 32767', n
			USING ERRCODE = 'program_limit_exceeded';
	END IF;
	IF NOT modular
	   AND (n & (n - 1)) <> 0 THEN
		RAISE EXCEPTION 'server "pgmq_c_cluster" has % nodes but no option modular_mapping ''1''', n
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'PL/Proxy needs a power of two of partitions unless modular_mapping is set: ALTER SERVER pgmq_c_cluster OPTIONS (ADD modular_mapping ''1'').';
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.node_count() IS 'the number of pgmq_c nodes: partitions p0 .. p<N-1> of server pgmq_c_cluster';

-- The node that holds msg_id (as the router numbers it).
CREATE FUNCTION pgmq_c_router.node_of(msg_id bigint) RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	node		integer;
BEGIN
	IF msg_id IS NULL THEN
		RAISE EXCEPTION 'msg_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	node := (msg_id >> 48)::integer;
	IF msg_id < 0 OR node >= pgmq_c_router.node_count() THEN
		RAISE EXCEPTION 'msg_id % belongs to no node of this router', msg_id
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass a msg_id returned by pgmq_c_router''s functions: its node number is msg_id >> 48.';
	END IF;
	RETURN node;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.node_of(bigint) IS 'the node that holds a message: msg_id >> 48, checked against the nodes of pgmq_c_cluster';

-- The node of an ordering key (or of a deduplication id): fixed for a given
-- number of nodes, so that a key's messages (a dedup id's resends) meet on
-- one node.
CREATE FUNCTION pgmq_c_router.node_of_key(key text, nodes integer) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF nodes OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'nodes must be at least 1'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('nodes was %s.', nodes);
	END IF;
	RETURN (pg_catalog.abs(pg_catalog.hashtext(key)::bigint)
			OPERATOR(pg_catalog.%) nodes::bigint)::integer;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.node_of_key(text, integer) IS 'the node of an ordering key or deduplication id among nodes nodes: abs(hashtext(key)) % nodes';

-- A node's msg_id as the router numbers it: the node's own plus the node
-- number times 2^48.  A node's msg_id must be below 2^48.
CREATE FUNCTION pgmq_c_router.node_id(node integer, local_id bigint) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF local_id < 0 OR local_id > 281474976710655 THEN
		RAISE EXCEPTION 'node % returned msg_id %, which the router cannot number', node, local_id
			USING ERRCODE = 'numeric_value_out_of_range',
				  DETAIL = 'The router gives a node''s msg_ids the node number in their bits 48 and up; a node''s msg_ids must stay below 2^48.';
	END IF;
	RETURN local_id + (node::bigint << 48);
END
$$;

-- The node a call starts at: a counter of this session's, one for sends
-- and one for reads (so that neither steers the other), starting at a
-- random place and going round the nodes one by one.
CREATE FUNCTION pgmq_c_router.next_turn(kind text, nodes integer) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	setting		text := 'pgmq_c_router.' || kind || '_turn';
	last		text := pg_catalog.current_setting(setting, true);
	turn		bigint;
BEGIN
	IF kind IS NULL OR kind NOT IN ('send', 'read') THEN
		RAISE EXCEPTION 'kind must be ''send'' or ''read'''
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('kind was %s.', COALESCE(pg_catalog.quote_literal(kind), 'NULL'));
	END IF;
	IF nodes IS NULL OR nodes OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'nodes must be at least 1'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('nodes was %s.', COALESCE(nodes::text, 'NULL'));
	END IF;
	IF last ~ '^[0-9]{1,9}$' THEN
		turn := (last::bigint + 1) % 1000000000;
	ELSE
		turn := pg_catalog.floor(pg_catalog.random() * 1000000000)::bigint;
	END IF;
	PERFORM pg_catalog.set_config(setting, turn::text, false);
	RETURN (turn % nodes)::integer;
END
$$;

-- The SQLSTATE of a connection to a node that was refused rather than not
-- made, else NULL: the node answered and turned the role away
-- (authentication failed, the role may not log in or does not exist there,
-- no pg_hba.conf entry, no such database: the node's own SQLSTATE, which
-- libpq's message does not carry, told from its words), or libpq could not
-- even start because an option of the partition's connection string or of
-- the user mapping is wrong.  Such a node is not down: every call that
-- meets it is refused, where a node that cannot be reached is passed over.
-- A node that is starting up, shutting down or out of connection slots
-- answers too, but only for now: that counts as not reached.  (The words
-- are those of an English lc_messages on the node, and of libpq.)
CREATE FUNCTION pgmq_c_router.refused(sqlstate text, message text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
RETURN CASE
	WHEN sqlstate OPERATOR(pg_catalog.<>) 'XX000'
		 OR message OPERATOR(pg_catalog.!~~) 'PL/Proxy function %'
		 OR message OPERATOR(pg_catalog.!~~) '%] PQconnect%' THEN NULL
	WHEN message OPERATOR(pg_catalog.~~) '%FATAL:%' THEN CASE
		WHEN message OPERATOR(pg_catalog.~) 'the database system is (starting up|shutting down|in recovery mode|not yet accepting connections|not accepting connections)'
			 OR message OPERATOR(pg_catalog.~) 'too many (clients|connections)|connection slots are reserved' THEN NULL
		WHEN message OPERATOR(pg_catalog.~) '(password|SCRAM|md5) authentication failed' THEN '28P01'
		WHEN message OPERATOR(pg_catalog.~) 'database ".*" does not exist' THEN '3D000'
		WHEN message OPERATOR(pg_catalog.~) 'permission denied for database|does not have CONNECT privilege' THEN '42501'
		WHEN message OPERATOR(pg_catalog.~) 'is not currently accepting connections' THEN '55000'
		ELSE '28000'
	END
	WHEN message OPERATOR(pg_catalog.~) 'invalid connection option' THEN 'HV00D'
	WHEN message OPERATOR(pg_catalog.~) 'invalid [a-z_]+ value|missing "=" after|unterminated quoted string|invalid URI|invalid integer value|invalid port number' THEN 'HV024'
	WHEN message OPERATOR(pg_catalog.~) 'fe_sendauth|authentication|SSL|certificate|GSSAPI|server does not support' THEN '28000'
	END;

-- Whether an error raised by a PL/Proxy call says the node failed rather
-- than answered: the connection could not be made, was lost, or timed
-- out, or the node was shutting down or starting (node_failed); and among
-- those, whether it said the node could not be reached at all, so that
-- nothing was sent to it (unreachable).  Errors the node raised come back
-- with their own SQLSTATE and "REMOTE ERROR" in the message.  A connection
-- the node refused (refused()) is neither: node_failed() raises it as an
-- error of its own, with the node's SQLSTATE, so that no caller takes it
-- for a node that is down.
CREATE FUNCTION pgmq_c_router.node_failed(sqlstate text, message text) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c_router.raise_refused(sqlstate, message);
	RETURN (sqlstate OPERATOR(pg_catalog.=) 'XX000'
			AND message OPERATOR(pg_catalog.~~) 'PL/Proxy function %'
			AND (message OPERATOR(pg_catalog.~~) '%] PQ%'
				 OR message OPERATOR(pg_catalog.~~) '%connect timeout to: %'
				 OR message OPERATOR(pg_catalog.~~) '%query timeout%'
				 OR message OPERATOR(pg_catalog.~~) '%poll() failed%'))
		OR sqlstate OPERATOR(pg_catalog.=) ANY (ARRAY['57P01', '57P02', '57P03'])
		OR sqlstate OPERATOR(pg_catalog.~~) '08%';
END
$$;

-- Raise the error of a connection a node refused (refused()), if it is one.
CREATE FUNCTION pgmq_c_router.raise_refused(sqlstate text, message text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	code		text := pgmq_c_router.refused(sqlstate, message);
BEGIN
	IF code IS NULL THEN
		RETURN;
	END IF;
	IF code OPERATOR(pg_catalog.~~) 'HV%' THEN
		RAISE EXCEPTION 'a connection string of server "pgmq_c_cluster" is invalid'
			USING ERRCODE = code, DETAIL = pg_catalog.rtrim(message, E'\n'),
				  HINT = 'Check the partition options of server "pgmq_c_cluster" and the options of the user mapping: a user mapping takes only user and password.';
	END IF;
	RAISE EXCEPTION 'a node of server pgmq_c_cluster refused the connection of role "%"', current_user
		USING ERRCODE = code, DETAIL = pg_catalog.rtrim(message, E'\n'),
			  HINT = pg_catalog.format('The node is up but turned the connection away: check the user mapping of role "%s" for server "pgmq_c_cluster", and the role, its password, the database and pg_hba.conf on the node.',
									  current_user);
END
$$;

CREATE FUNCTION pgmq_c_router.unreachable(sqlstate text, message text) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN pgmq_c_router.node_failed(sqlstate, message)
	AND (message OPERATOR(pg_catalog.~~) '%] PQconnect%'
		 OR message OPERATOR(pg_catalog.~~) '%connect timeout to: %'
		 OR sqlstate OPERATOR(pg_catalog.=) '57P03');

-- Error out unless what and message (of node_error() and warn_failed())
-- are given: RAISE would refuse a NULL DETAIL with an error that does not
-- say which argument was NULL.
CREATE FUNCTION pgmq_c_router.check_failure(what text, message text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF what IS NULL THEN
		RAISE EXCEPTION 'what must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF message IS NULL THEN
		RAISE EXCEPTION 'message must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
END
$$;

-- Raise the error of a node call that failed (node_failed()): nothing was
-- done when the node could not be reached (connection_failure), else the
-- outcome is unknown (transaction_resolution_unknown).  node NULL: one of
-- the nodes of a call run on all.
CREATE FUNCTION pgmq_c_router.node_error(node integer, what text, message text,
	sqlstate text DEFAULT 'XX000')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	which		text := CASE WHEN node IS NULL THEN 'a node' ELSE 'node ' || node END;
BEGIN
	PERFORM pgmq_c_router.check_failure(what, message);
	IF sqlstate IS NULL THEN
		RAISE EXCEPTION 'sqlstate must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pgmq_c_router.unreachable(sqlstate, message) THEN
		RAISE EXCEPTION '% of server pgmq_c_cluster cannot be reached: % not done', which, what
			USING ERRCODE = 'connection_failure', DETAIL = message;
	END IF;
	RAISE EXCEPTION '% of server pgmq_c_cluster failed during %: its outcome there is unknown', which, what
		USING ERRCODE = 'transaction_resolution_unknown', DETAIL = message,
			  HINT = 'The call may or may not have taken effect on that node: a send can be repeated safely with the same dedup_id, a delete or ack with the same receipt.';
END
$$;

--
-- Calls run on one node (i_node) or on all.  They return msg_ids as the
-- node numbers them; the wrappers add the node number (node_id()).
--

-- The node a call runs on (RUN ON pgmq_c_router.checked_node(i_node)): i_node,
-- once checked to be one of the nodes.  The node calls are executable by
-- every role, since the wrappers run as their caller: on its own, PL/Proxy
-- fails on a NULL node with an internal error (XX000) and, with
-- modular_mapping, takes a number out of range modulo the number of nodes,
-- so that the call would run on another node than the one named.
CREATE FUNCTION pgmq_c_router.checked_node(node integer) RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer;
BEGIN
	IF node IS NULL THEN
		RAISE EXCEPTION 'node must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	n := pgmq_c_router.node_count();
	IF node < 0 OR node >= n THEN
		RAISE EXCEPTION 'node % is not a node of server "pgmq_c_cluster"', node
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('Its nodes are numbered 0 to %s.', n - 1);
	END IF;
	RETURN node;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.checked_node(integer) IS 'the node a node call runs on: its argument, refused unless it is one of the nodes of pgmq_c_cluster';

CREATE FUNCTION pgmq_c_router.node_send(i_node integer, i_queue_name text, i_message jsonb,
	i_headers jsonb, i_delay interval, i_ordering_key text, i_dedup_id text)
RETURNS bigint AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT pgmq_c.send(i_queue_name, i_message, i_headers, i_delay, i_ordering_key, i_dedup_id);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_send_batch(i_node integer, i_queue_name text,
	i_messages jsonb[], i_headers jsonb[], i_delay interval, i_ordering_keys text[],
	i_dedup_ids text[], OUT msg_id bigint, OUT ord bigint)
RETURNS SETOF record AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT s.id AS msg_id, s.ord AS ord
	  FROM pgmq_c.send_batch(i_queue_name, i_messages, i_headers, i_delay, i_ordering_keys, i_dedup_ids)
		   WITH ORDINALITY AS s(id, ord);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_read(i_node integer, i_queue_name text, i_vt interval,
	i_qty integer, i_wait interval, i_delete_ids bigint[], i_delete_read_cts integer[])
RETURNS SETOF pgmq_c_router.message AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT * FROM pgmq_c.read(i_queue_name, i_vt, i_qty, i_wait, i_delete_ids, i_delete_read_cts);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_pop(i_node integer, i_queue_name text, i_qty integer)
RETURNS SETOF pgmq_c_router.message AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT * FROM pgmq_c.pop(i_queue_name, i_qty);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_delete(i_node integer, i_queue_name text,
	i_msg_ids bigint[], i_read_cts integer[])
RETURNS SETOF bigint AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT * FROM pgmq_c.delete(i_queue_name, i_msg_ids, i_read_cts);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_archive(i_node integer, i_queue_name text,
	i_msg_ids bigint[], i_read_cts integer[])
RETURNS SETOF bigint AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT * FROM pgmq_c.archive(i_queue_name, i_msg_ids, i_read_cts);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_delete_one(i_node integer, i_queue_name text,
	i_msg_id bigint, i_read_ct integer)
RETURNS boolean AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT pgmq_c.delete(i_queue_name, i_msg_id, i_read_ct);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_archive_one(i_node integer, i_queue_name text,
	i_msg_id bigint, i_read_ct integer)
RETURNS boolean AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT pgmq_c.archive(i_queue_name, i_msg_id, i_read_ct);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_nack_one(i_node integer, i_queue_name text,
	i_msg_id bigint, i_delay interval, i_read_ct integer, i_reason text)
RETURNS boolean AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT pgmq_c.nack(i_queue_name, i_msg_id, i_delay, i_read_ct, i_reason);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_ack_one(i_node integer, i_topic_name text,
	i_group_name text, i_msg_id bigint, i_read_ct integer)
RETURNS boolean AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT pgmq_c.ack(i_topic_name, i_group_name, i_msg_id, i_read_ct);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_nack_group_one(i_node integer, i_topic_name text,
	i_group_name text, i_msg_id bigint, i_delay interval, i_read_ct integer, i_reason text)
RETURNS boolean AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT pgmq_c.nack(i_topic_name, i_group_name, i_msg_id, i_delay, i_read_ct, i_reason);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_set_vt(i_node integer, i_queue_name text,
	i_msg_id bigint, i_vt interval, i_read_ct integer)
RETURNS SETOF pgmq_c_router.message AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT * FROM pgmq_c.set_vt(i_queue_name, i_msg_id, i_vt, i_read_ct);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_read_group(i_node integer, i_topic_name text,
	i_group_name text, i_vt interval, i_qty integer, i_wait interval, i_ack_ids bigint[],
	i_ack_read_cts integer[])
RETURNS SETOF pgmq_c_router.message AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT * FROM pgmq_c.read_group(i_topic_name, i_group_name, i_vt, i_qty, i_wait, i_ack_ids, i_ack_read_cts);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_ack(i_node integer, i_topic_name text, i_group_name text,
	i_msg_ids bigint[], i_read_cts integer[])
RETURNS SETOF bigint AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT * FROM pgmq_c.ack(i_topic_name, i_group_name, i_msg_ids, i_read_cts);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_set_vt_group(i_node integer, i_topic_name text,
	i_group_name text, i_msg_id bigint, i_vt interval, i_read_ct integer)
RETURNS SETOF pgmq_c_router.message AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT * FROM pgmq_c.set_vt(i_topic_name, i_group_name, i_msg_id, i_vt, i_read_ct);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_metrics(i_node integer, i_queue_name text)
RETURNS SETOF pgmq_c_router.queue_metrics AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT m.queue_name AS queue_name, m.queue_length AS queue_length,
		   m.visible_length AS visible_length, m.delayed_length AS delayed_length,
		   m.in_flight_length AS in_flight_length, m.archived_length AS archived_length,
		   m.oldest_msg_age_sec AS oldest_msg_age_sec, m.newest_msg_age_sec AS newest_msg_age_sec,
		   m.total_messages AS total_messages, m.length_is_exact AS length_is_exact,
		   m.scrape_time AS scrape_time, m.kind AS kind, m.retention AS retention,
		   m.partitions AS partitions, m.groups AS groups
	  FROM pgmq_c.metrics(i_queue_name) m;
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_metrics_all(i_node integer)
RETURNS SETOF pgmq_c_router.queue_metrics AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT m.queue_name AS queue_name, m.queue_length AS queue_length,
		   m.visible_length AS visible_length, m.delayed_length AS delayed_length,
		   m.in_flight_length AS in_flight_length, m.archived_length AS archived_length,
		   m.oldest_msg_age_sec AS oldest_msg_age_sec, m.newest_msg_age_sec AS newest_msg_age_sec,
		   m.total_messages AS total_messages, m.length_is_exact AS length_is_exact,
		   m.scrape_time AS scrape_time, m.kind AS kind, m.retention AS retention,
		   m.partitions AS partitions, m.groups AS groups
	  FROM pgmq_c.metrics_all() m;
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_list_groups(i_node integer, i_topic_name text,
	OUT group_name text, OUT lag bigint, OUT in_flight bigint,
	OUT oldest_unacked_age_sec double precision, OUT missed bigint, OUT next_msg_id bigint,
	OUT lag_is_exact boolean, OUT visibility_timeout interval, OUT filter jsonb,
	OUT max_deliveries integer, OUT dead_letter_queue text, OUT retry_backoff interval,
	OUT retry_backoff_max interval)
RETURNS SETOF record AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT g.group_name AS group_name, g.lag AS lag, g.in_flight AS in_flight,
		   g.oldest_unacked_age_sec AS oldest_unacked_age_sec, g.missed AS missed,
		   g.next_msg_id AS next_msg_id, g.lag_is_exact AS lag_is_exact,
		   g.visibility_timeout AS visibility_timeout, g.filter AS filter,
		   g.max_deliveries AS max_deliveries, g.dead_letter_queue AS dead_letter_queue,
		   g.retry_backoff AS retry_backoff, g.retry_backoff_max AS retry_backoff_max
	  FROM pgmq_c.list_groups(i_topic_name) g;
$$ LANGUAGE plproxy;

-- Statements run on every node, in parallel, each committing on its own node.
CREATE FUNCTION pgmq_c_router.node_all_create_queue(i_queue_name text, i_visibility_timeout interval,
	i_max_deliveries integer, i_dead_letter_queue text, i_retry_backoff interval,
	i_retry_backoff_max interval, i_archive_retention interval, i_dedup_window interval,
	i_durability text)
RETURNS SETOF void AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON ALL;
	SELECT pgmq_c.create_queue(i_queue_name, i_visibility_timeout, i_max_deliveries,
		i_dead_letter_queue, i_retry_backoff, i_retry_backoff_max, i_archive_retention,
		i_dedup_window, i_durability);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_all_alter_queue(i_queue_name text, i_visibility_timeout interval,
	i_max_deliveries integer, i_dead_letter_queue text, i_retry_backoff interval,
	i_retry_backoff_max interval, i_archive_retention interval, i_dedup_window interval,
	i_durability text)
RETURNS SETOF void AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON ALL;
	SELECT pgmq_c.alter_queue(i_queue_name, i_visibility_timeout, i_max_deliveries,
		i_dead_letter_queue, i_retry_backoff, i_retry_backoff_max, i_archive_retention,
		i_dedup_window, i_durability);
$$ LANGUAGE plproxy;

-- drop_queue and purge_queue run node by node, so that a failure can say
-- on which nodes they were done.
CREATE FUNCTION pgmq_c_router.node_drop_queue(i_node integer, i_queue_name text) RETURNS boolean AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT pgmq_c.drop_queue(i_queue_name);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_purge_queue(i_node integer, i_queue_name text) RETURNS bigint AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON pgmq_c_router.checked_node(i_node);
	SELECT pgmq_c.purge_queue(i_queue_name);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_all_create_topic(i_topic_name text, i_retention interval,
	i_partition_size bigint, i_dedup_window interval, i_durability text)
RETURNS SETOF void AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON ALL;
	SELECT pgmq_c.create_topic(i_topic_name, i_retention, i_partition_size, i_dedup_window,
		i_durability);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_all_drop_topic(i_topic_name text) RETURNS SETOF boolean AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON ALL;
	SELECT pgmq_c.drop_topic(i_topic_name);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_all_create_group(i_topic_name text, i_group_name text,
	i_start_at text, i_visibility_timeout interval, i_filter jsonb, i_max_deliveries integer,
	i_dead_letter_queue text, i_retry_backoff interval, i_retry_backoff_max interval)
RETURNS SETOF void AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON ALL;
	SELECT pgmq_c.create_group(i_topic_name, i_group_name, i_start_at, i_visibility_timeout,
		i_filter, i_max_deliveries, i_dead_letter_queue, i_retry_backoff, i_retry_backoff_max);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_all_alter_group(i_topic_name text, i_group_name text,
	i_visibility_timeout interval, i_max_deliveries integer, i_dead_letter_queue text,
	i_retry_backoff interval, i_retry_backoff_max interval)
RETURNS SETOF void AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON ALL;
	SELECT pgmq_c.alter_group(i_topic_name, i_group_name, i_visibility_timeout, i_max_deliveries,
		i_dead_letter_queue, i_retry_backoff, i_retry_backoff_max);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_all_drop_group(i_topic_name text, i_group_name text)
RETURNS SETOF boolean AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON ALL;
	SELECT pgmq_c.drop_group(i_topic_name, i_group_name);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_all_grant_access(i_queue_name text, i_role_name text,
	i_privileges text[])
RETURNS SETOF void AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON ALL;
	SELECT pgmq_c.grant_access(i_queue_name, i_role_name, i_privileges);
$$ LANGUAGE plproxy;

CREATE FUNCTION pgmq_c_router.node_all_revoke_access(i_queue_name text, i_role_name text,
	i_privileges text[])
RETURNS SETOF void AS $$
	CLUSTER pgmq_c_router.cluster();
	RUN ON ALL;
	SELECT pgmq_c.revoke_access(i_queue_name, i_role_name, i_privileges);
$$ LANGUAGE plproxy;

--
-- Receipts: checked once, then split by node
--

-- Error out unless msg_ids (with read_cts, when given) are receipts of this
-- router's nodes: one-dimensional, no NULL msg_id, as many read_cts.
CREATE FUNCTION pgmq_c_router.check_receipts(msg_ids bigint[], read_cts integer[],
	ids_name text, cts_name text, nodes integer)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	bad			bigint;
BEGIN
	IF msg_ids IS NULL THEN
		IF read_cts IS NOT NULL THEN
			RAISE EXCEPTION '% is given without %', cts_name, ids_name
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = pg_catalog.format('Pass the msg_ids of the receipts in %s.', ids_name);
		END IF;
		RETURN;
	END IF;
	IF pg_catalog.array_ndims(read_cts) > 1 THEN
		RAISE EXCEPTION '% must be a one-dimensional array', cts_name
			USING ERRCODE = 'array_subscript_error';
	END IF;
	IF pg_catalog.array_ndims(msg_ids) > 1 THEN
		RAISE EXCEPTION '% must be a one-dimensional array', ids_name
			USING ERRCODE = 'array_subscript_error';
	END IF;
	IF pg_catalog.array_position(msg_ids, NULL) IS NOT NULL THEN
		RAISE EXCEPTION '% must not contain NULL elements', ids_name
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF read_cts IS NOT NULL
	   AND pg_catalog.cardinality(read_cts) <> pg_catalog.cardinality(msg_ids) THEN
		RAISE EXCEPTION '% and % must have the same number of elements', ids_name, cts_name
			USING ERRCODE = 'array_subscript_error';
	END IF;
	SELECT i INTO bad FROM pg_catalog.unnest(msg_ids) i
	 WHERE i < 0
		OR (i >> 48) >= nodes
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'msg_id % belongs to no node of this router', bad
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass msg_ids returned by pgmq_c_router''s functions: the node number is msg_id >> 48.';
	END IF;
END
$$;

-- The receipts of node among msg_ids/read_cts, as that node numbers them,
-- in msg_id order (NULLs when there are none).
CREATE FUNCTION pgmq_c_router.receipts_of(node integer, msg_ids bigint[], read_cts integer[],
	OUT local_ids bigint[], OUT local_read_cts integer[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF msg_ids IS NULL THEN
		RETURN;
	END IF;
	SELECT pg_catalog.array_agg(r.id & 281474976710655 ORDER BY r.id, r.o),
		   CASE WHEN read_cts IS NOT NULL THEN pg_catalog.array_agg(r.ct ORDER BY r.id, r.o) END
	  INTO local_ids, local_read_cts
	  FROM unnest(msg_ids, read_cts) WITH ORDINALITY AS r(id, ct, o)
	 WHERE (r.id >> 48) = node;
END
$$;

-- Receipts that could not be settled because their node cannot be reached.
CREATE FUNCTION pgmq_c_router.warn_failed(node integer, what text, message text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF node IS NULL THEN
		RAISE EXCEPTION 'node must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM pgmq_c_router.check_failure(what, message);
	RAISE WARNING 'node % of server pgmq_c_cluster cannot be reached: % not done', node, what
		USING DETAIL = message,
			  HINT = 'Messages whose delete or acknowledgement failed are delivered again once their lease ends on that node.';
END
$$;

--
-- Queues and topics: created, changed and dropped on every node
--
CREATE FUNCTION pgmq_c_router.create_queue(queue_name text,
	visibility_timeout interval DEFAULT '00:00:30'::interval,
	max_deliveries integer DEFAULT NULL::integer, dead_letter_queue text DEFAULT NULL::text,
	retry_backoff interval DEFAULT NULL::interval, retry_backoff_max interval DEFAULT NULL::interval,
	archive_retention interval DEFAULT NULL::interval, dedup_window interval DEFAULT NULL::interval,
	durability text DEFAULT 'logged'::text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c_router.node_count();
	PERFORM pgmq_c_router.node_all_create_queue(queue_name, visibility_timeout, max_deliveries,
		dead_letter_queue, retry_backoff, retry_backoff_max, archive_retention, dedup_window,
		durability);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(NULL, 'create_queue', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.create_queue(text, interval, integer, text, interval, interval, interval, interval, text) IS 'pgmq_c.create_queue() on every node (each node commits on its own; a no-op where the queue exists, so run it again after a failure)';

CREATE FUNCTION pgmq_c_router.alter_queue(queue_name text,
	visibility_timeout interval DEFAULT NULL::interval,
	max_deliveries integer DEFAULT NULL::integer, dead_letter_queue text DEFAULT NULL::text,
	retry_backoff interval DEFAULT NULL::interval, retry_backoff_max interval DEFAULT NULL::interval,
	archive_retention interval DEFAULT NULL::interval, dedup_window interval DEFAULT NULL::interval,
	durability text DEFAULT NULL::text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c_router.node_count();
	PERFORM pgmq_c_router.node_all_alter_queue(queue_name, visibility_timeout, max_deliveries,
		dead_letter_queue, retry_backoff, retry_backoff_max, archive_retention, dedup_window,
		durability);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(NULL, 'alter_queue', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.alter_queue(text, interval, integer, text, interval, interval, interval, interval, text) IS 'pgmq_c.alter_queue() on every node';

-- Some nodes as words: "node 1", "nodes 0 and 2", "nodes 0, 1 and 3".
CREATE FUNCTION pgmq_c_router.node_list(nodes integer[]) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
RETURN CASE pg_catalog.cardinality(nodes)
	WHEN 0 THEN 'no node'
	WHEN 1 THEN 'node ' OPERATOR(pg_catalog.||) nodes[1]
	ELSE 'nodes ' OPERATOR(pg_catalog.||)
		 pg_catalog.array_to_string(nodes[1:pg_catalog.cardinality(nodes) OPERATOR(pg_catalog.-) 1], ', ')
		 OPERATOR(pg_catalog.||) ' and ' OPERATOR(pg_catalog.||) nodes[pg_catalog.cardinality(nodes)]
	END;

-- drop_queue (action 'drop') or purge_queue ('purge') of a queue on every
-- node, one after the other, each committing on its own node: the number
-- of messages purged in all, or 1 when some node had the queue to drop (0
-- when none had).  A node that fails does not stop the others; then the
-- call fails, saying on which nodes the action was done.
CREATE FUNCTION pgmq_c_router.on_each_node(action text, queue_name text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
	what		text := action || '_queue';
	k			integer;
	result		bigint := 0;
	done		integer[] := '{}';
	unreached	integer[] := '{}';
	unknown		integer[] := '{}';
	failure		text;
	own			integer;
	own_state	text;
	own_message	text;
	own_detail	text;
	own_hint	text;
	state		text;
	message		text;
	done_text	text;
BEGIN
	IF action IS NULL OR action NOT IN ('drop', 'purge') THEN
		RAISE EXCEPTION 'action must be ''drop'' or ''purge'''
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('action was %s.', COALESCE(pg_catalog.quote_literal(action), 'NULL'));
	END IF;
	FOR k IN 0 .. n - 1 LOOP
		BEGIN
			IF action = 'drop' THEN
				result := result + pgmq_c_router.node_drop_queue(k, queue_name)::integer;
			ELSE
				result := result + pgmq_c_router.node_purge_queue(k, queue_name);
			END IF;
			done := done || k;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
			IF pgmq_c_router.refused(state, message) IS NULL
			   AND pgmq_c_router.node_failed(state, message) THEN
				IF pgmq_c_router.unreachable(state, message) THEN
					unreached := unreached || k;
				ELSE
					unknown := unknown || k;
				END IF;
				failure := message;
			ELSIF own IS NULL THEN
				-- the first error of a node's own (or a refused connection):
				-- raised once the other nodes are done
				own := k;
				own_state := state;
				own_message := message;
				GET STACKED DIAGNOSTICS own_detail = PG_EXCEPTION_DETAIL, own_hint = PG_EXCEPTION_HINT;
				IF pgmq_c_router.refused(state, message) IS NOT NULL THEN
					own_state := pgmq_c_router.refused(state, message);
					own_message := pg_catalog.format('node %s of server pgmq_c_cluster refused the connection of role "%s"', k, current_user);
					own_detail := message;
					own_hint := 'The node is up but turned the connection away: check the user mapping of the role for server "pgmq_c_cluster", and the role, its password, the database and pg_hba.conf on the node.';
				END IF;
			END IF;
		END;
	END LOOP;
	IF own IS NULL AND pg_catalog.cardinality(unreached) = 0 AND pg_catalog.cardinality(unknown) = 0 THEN
		RETURN result;
	END IF;
	done_text := pg_catalog.format('%s was done on %s, of %s nodes.', what,
								   pgmq_c_router.node_list(done), n);
	IF pg_catalog.cardinality(unreached) > 0 THEN
		done_text := done_text || pg_catalog.format(' It could not reach %s.',
			pgmq_c_router.node_list(unreached));
	END IF;
	IF pg_catalog.cardinality(unknown) > 0 THEN
		done_text := done_text || pg_catalog.format(' Its outcome on %s is unknown.',
			pgmq_c_router.node_list(unknown));
	END IF;
	IF own IS NOT NULL THEN
		own_detail := pg_catalog.concat_ws(' ', done_text,
			pg_catalog.format('Node %s raised the error.', own),
			pg_catalog.rtrim(NULLIF(own_detail, ''), E'\n'));
		-- RAISE refuses a NULL option (22004): a node's error without a hint
		-- (an invalid name, 42602) is raised without one
		IF NULLIF(own_hint, '') IS NULL THEN
			RAISE EXCEPTION USING ERRCODE = own_state, MESSAGE = own_message,
				DETAIL = own_detail;
		END IF;
		RAISE EXCEPTION USING ERRCODE = own_state, MESSAGE = own_message,
			DETAIL = own_detail, HINT = own_hint;
	END IF;
	IF pg_catalog.cardinality(unknown) = 0 THEN
		RAISE EXCEPTION '% of server pgmq_c_cluster cannot be reached: % not done there',
			pgmq_c_router.node_list(unreached), what
			USING ERRCODE = 'connection_failure',
				  DETAIL = done_text || ' ' || pg_catalog.rtrim(failure, E'\n'),
				  HINT = pg_catalog.format('Run %s again once the node is back.', what);
	END IF;
	RAISE EXCEPTION '% of server pgmq_c_cluster failed during %: its outcome there is unknown',
		pgmq_c_router.node_list(unknown || unreached), what
		USING ERRCODE = 'transaction_resolution_unknown',
			  DETAIL = done_text || ' ' || pg_catalog.rtrim(failure, E'\n'),
			  HINT = pg_catalog.format('Run %s again once the node is back.', what);
END
$$;

CREATE FUNCTION pgmq_c_router.drop_queue(queue_name text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN pgmq_c_router.on_each_node('drop', queue_name) > 0;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.drop_queue(text) IS 'pgmq_c.drop_queue() on every node, one after the other; true when some node had the queue (an error names the nodes where it was done)';

CREATE FUNCTION pgmq_c_router.purge_queue(queue_name text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN pgmq_c_router.on_each_node('purge', queue_name);
END
$$;
COMMENT ON FUNCTION pgmq_c_router.purge_queue(text) IS 'pgmq_c.purge_queue() on every node, one after the other; returns how many messages were removed in all (an error names the nodes where it was done)';

CREATE FUNCTION pgmq_c_router.create_topic(topic_name text,
	retention interval DEFAULT '7 days'::interval, partition_size bigint DEFAULT 1000000,
	dedup_window interval DEFAULT NULL::interval, durability text DEFAULT 'logged'::text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c_router.node_count();
	PERFORM pgmq_c_router.node_all_create_topic(topic_name, retention, partition_size,
		dedup_window, durability);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(NULL, 'create_topic', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.create_topic(text, interval, bigint, interval, text) IS 'pgmq_c.create_topic() on every node';

CREATE FUNCTION pgmq_c_router.drop_topic(topic_name text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	dropped		boolean;
BEGIN
	PERFORM pgmq_c_router.node_count();
	SELECT pg_catalog.bool_or(d) INTO dropped FROM pgmq_c_router.node_all_drop_topic(topic_name) d;
	RETURN dropped;
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(NULL, 'drop_topic', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.drop_topic(text) IS 'pgmq_c.drop_topic() on every node; true when some node had the topic';

CREATE FUNCTION pgmq_c_router.create_group(topic_name text, group_name text,
	start_at text DEFAULT 'latest'::text, visibility_timeout interval DEFAULT '00:00:30'::interval,
	filter jsonb DEFAULT NULL::jsonb, max_deliveries integer DEFAULT NULL::integer,
	dead_letter_queue text DEFAULT NULL::text, retry_backoff interval DEFAULT NULL::interval,
	retry_backoff_max interval DEFAULT NULL::interval)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c_router.node_count();
	PERFORM pgmq_c_router.node_all_create_group(topic_name, group_name, start_at,
		visibility_timeout, filter, max_deliveries, dead_letter_queue, retry_backoff,
		retry_backoff_max);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(NULL, 'create_group', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.create_group(text, text, text, interval, jsonb, integer, text, interval, interval) IS 'pgmq_c.create_group() on every node: each node''s part of the topic gets the group';

CREATE FUNCTION pgmq_c_router.alter_group(topic_name text, group_name text,
	visibility_timeout interval DEFAULT NULL::interval,
	max_deliveries integer DEFAULT NULL::integer, dead_letter_queue text DEFAULT NULL::text,
	retry_backoff interval DEFAULT NULL::interval, retry_backoff_max interval DEFAULT NULL::interval)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c_router.node_count();
	PERFORM pgmq_c_router.node_all_alter_group(topic_name, group_name, visibility_timeout,
		max_deliveries, dead_letter_queue, retry_backoff, retry_backoff_max);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(NULL, 'alter_group', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.alter_group(text, text, interval, integer, text, interval, interval) IS 'pgmq_c.alter_group() on every node';

CREATE FUNCTION pgmq_c_router.drop_group(topic_name text, group_name text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	dropped		boolean;
BEGIN
	PERFORM pgmq_c_router.node_count();
	SELECT pg_catalog.bool_or(d) INTO dropped
	  FROM pgmq_c_router.node_all_drop_group(topic_name, group_name) d;
	RETURN dropped;
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(NULL, 'drop_group', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.drop_group(text, text) IS 'pgmq_c.drop_group() on every node; true when some node had the group';

CREATE FUNCTION pgmq_c_router.grant_access(queue_name text, role_name text, privileges text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c_router.node_count();
	PERFORM pgmq_c_router.node_all_grant_access(queue_name, role_name, privileges);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(NULL, 'grant_access', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.grant_access(text, text, text[]) IS 'pgmq_c.grant_access() on every node (the role must exist on every node)';

CREATE FUNCTION pgmq_c_router.revoke_access(queue_name text, role_name text, privileges text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pgmq_c_router.node_count();
	PERFORM pgmq_c_router.node_all_revoke_access(queue_name, role_name, privileges);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(NULL, 'revoke_access', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.revoke_access(text, text, text[]) IS 'pgmq_c.revoke_access() on every node';

--
-- Sending: to one node, by ordering key (else deduplication id), else in turn
--

-- The node of a message: its ordering key's, else its dedup id's, else NULL.
CREATE FUNCTION pgmq_c_router.node_of_message(ordering_key text, dedup_id text, nodes integer)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pgmq_c_router.node_of_key(coalesce(ordering_key, dedup_id), nodes);

-- Error out unless every element of a batch split over nodes is one that
-- pgmq_c.send_batch() takes (each node commits its part by itself, so one
-- node's refusal would leave the parts of the nodes before it stored): at
-- most 10000 messages, none NULL, each a JSON object or array; headers
-- objects (a NULL element: none); ordering keys and dedup ids of 1 to 256
-- bytes (a NULL element: none); the arrays one-dimensional and of one
-- length (headers, keys and ids may be NULL).  What depends on a node (the queue there, privileges,
-- pgmq_c.max_message_size, dead-letter origins in headers) is the node's
-- to check.
CREATE FUNCTION pgmq_c_router.check_batch(messages jsonb[], headers jsonb[],
	ordering_keys text[], dedup_ids text[])
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pg_catalog.cardinality(messages);
	bad			record;
BEGIN
	IF messages IS NULL THEN
		RAISE EXCEPTION 'messages must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- (array_position() refuses a multidimensional array with 0A000)
	IF pg_catalog.array_ndims(messages) > 1 THEN
		RAISE EXCEPTION 'messages must be a one-dimensional array' USING ERRCODE = 'array_subscript_error';
	END IF;
	IF pg_catalog.array_ndims(headers) > 1 THEN
		RAISE EXCEPTION 'headers must be a one-dimensional array' USING ERRCODE = 'array_subscript_error';
	END IF;
	IF pg_catalog.array_ndims(ordering_keys) > 1 THEN
		RAISE EXCEPTION 'ordering_keys must be a one-dimensional array' USING ERRCODE = 'array_subscript_error';
	END IF;
	IF pg_catalog.array_ndims(dedup_ids) > 1 THEN
		RAISE EXCEPTION 'dedup_ids must be a one-dimensional array' USING ERRCODE = 'array_subscript_error';
	END IF;
	IF pg_catalog.cardinality(ordering_keys) <> pg_catalog.cardinality(messages) THEN
		RAISE EXCEPTION 'messages and ordering_keys must have the same number of elements'
			USING ERRCODE = 'array_subscript_error';
	END IF;
	IF pg_catalog.cardinality(dedup_ids) <> pg_catalog.cardinality(messages) THEN
		RAISE EXCEPTION 'messages and dedup_ids must have the same number of elements'
			USING ERRCODE = 'array_subscript_error';
	END IF;
	IF pg_catalog.cardinality(headers) <> pg_catalog.cardinality(messages) THEN
		RAISE EXCEPTION 'messages and headers must have the same number of elements'
			USING ERRCODE = 'array_subscript_error';
	END IF;
	IF n > 10000 THEN
		RAISE EXCEPTION 'messages has too many elements'
			USING ERRCODE = 'program_limit_exceeded',
				  DETAIL = pg_catalog.format('The limit is 10000 elements; %s were given.', n);
	END IF;
	IF pg_catalog.array_position(messages, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'messages must not contain NULL elements'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT m.o, pg_catalog.jsonb_typeof(m.msg) AS type INTO bad
	  FROM pg_catalog.unnest(messages) WITH ORDINALITY AS m(msg, o)
	 WHERE pg_catalog.jsonb_typeof(m.msg) OPERATOR(pg_catalog.<>) ALL (ARRAY['object', 'array'])
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'message must be a JSON object or array'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('Element %s of messages is a JSON %s.', bad.o, bad.type),
				  HINT = 'Wrap a scalar value in an object, for example ''{"value": 42}''.';
	END IF;
	SELECT h.o, pg_catalog.jsonb_typeof(h.hdr) AS type INTO bad
	  FROM pg_catalog.unnest(headers) WITH ORDINALITY AS h(hdr, o)
	 WHERE pg_catalog.jsonb_typeof(h.hdr) OPERATOR(pg_catalog.<>) 'object'
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'headers must be a JSON object'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('Element %s of headers is a JSON %s.', bad.o, bad.type);
	END IF;
	SELECT k.what, k.o, pg_catalog.octet_length(k.key) AS len INTO bad
	  FROM (SELECT 'ordering_key' AS what, u.key, u.o
			  FROM pg_catalog.unnest(ordering_keys) WITH ORDINALITY AS u(key, o)
			UNION ALL
			SELECT 'dedup_id', u.key, u.o
			  FROM pg_catalog.unnest(dedup_ids) WITH ORDINALITY AS u(key, o)) k
	 WHERE pg_catalog.octet_length(k.key) OPERATOR(pg_catalog.=) 0
		OR pg_catalog.octet_length(k.key) OPERATOR(pg_catalog.>) 256
	 ORDER BY k.what DESC, k.o
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION '% must be 1 to 256 bytes long', bad.what
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('Element %s of %ss is %s bytes long.', bad.o, bad.what, bad.len),
				  HINT = 'Use NULL for none.';
	END IF;
END
$$;

CREATE FUNCTION pgmq_c_router.send(queue_name text, message jsonb,
	headers jsonb DEFAULT NULL::jsonb, delay interval DEFAULT '00:00:00'::interval,
	ordering_key text DEFAULT NULL::text, dedup_id text DEFAULT NULL::text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
	target		integer := pgmq_c_router.node_of_message(ordering_key, dedup_id, n);
	tries		integer := 1;
BEGIN
	IF target IS NOT NULL THEN
		-- a key's messages must all go to its node: no other node will do
		BEGIN
			RETURN pgmq_c_router.node_id(target, pgmq_c_router.node_send(target, queue_name,
				message, headers, delay, ordering_key, dedup_id));
		EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
			IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
				PERFORM pgmq_c_router.node_error(target, 'send', SQLERRM, SQLSTATE);
			END IF;
			RAISE;
		END;
	END IF;
	-- no key: the node whose turn it is, or the next one that can be reached
	target := pgmq_c_router.next_turn('send', n);
	LOOP
		BEGIN
			RETURN pgmq_c_router.node_id(target, pgmq_c_router.node_send(target, queue_name,
				message, headers, delay, NULL, NULL));
		EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
			IF NOT pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
				RAISE;
			END IF;
			IF tries >= n OR NOT pgmq_c_router.unreachable(SQLSTATE, SQLERRM) THEN
				PERFORM pgmq_c_router.node_error(target, 'send', SQLERRM, SQLSTATE);
			END IF;
			RAISE LOG 'pgmq_c_router: node % unreachable, sending to the next one', target;
		END;
		tries := tries + 1;
		target := (target + 1) % n;
	END LOOP;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.send(text, jsonb, jsonb, interval, text, text) IS 'pgmq_c.send() on one node: the ordering key''s (else the dedup id''s) node, else the next node in turn that can be reached; returns the msg_id with its node number';

CREATE FUNCTION pgmq_c_router.send_batch(queue_name text, messages jsonb[],
	headers jsonb[] DEFAULT NULL::jsonb[], delay interval DEFAULT '00:00:00'::interval,
	ordering_keys text[] DEFAULT NULL::text[], dedup_ids text[] DEFAULT NULL::text[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
	turn		integer;
	targets		integer[];
	target		integer;
	positions	bigint[];
	ids			bigint[];
	tries		integer := 1;
	r			record;
BEGIN
	IF messages IS NULL OR pg_catalog.cardinality(messages) = 0
	   OR (ordering_keys IS NULL AND dedup_ids IS NULL) THEN
		-- no keys: the whole batch to the node in turn (pgmq_c checks the arrays)
		turn := pgmq_c_router.next_turn('send', n);
		LOOP
			BEGIN
				RETURN QUERY SELECT pgmq_c_router.node_id(turn, s.msg_id)
				  FROM pgmq_c_router.node_send_batch(turn, queue_name,
					messages, headers, delay, NULL, NULL) s ORDER BY s.ord;
				RETURN;
			EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
				IF NOT pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
					RAISE;
				END IF;
				IF tries >= n OR NOT pgmq_c_router.unreachable(SQLSTATE, SQLERRM) THEN
					PERFORM pgmq_c_router.node_error(turn, 'send_batch', SQLERRM, SQLSTATE);
				END IF;
				RAISE LOG 'pgmq_c_router: node % unreachable, sending to the next one', turn;
			END;
			tries := tries + 1;
			turn := (turn + 1) % n;
		END LOOP;
	END IF;
	-- the arrays and every element checked before any node commits its part
	PERFORM pgmq_c_router.check_batch(messages, headers, ordering_keys, dedup_ids);
	-- each message's node: its key's (its dedup id's), else the node in turn
	turn := pgmq_c_router.next_turn('send', n);
	SELECT pg_catalog.array_agg(coalesce(pgmq_c_router.node_of_message(k.key, d.id, n), turn) ORDER BY m.o)
	  INTO targets
	  FROM pg_catalog.unnest(messages) WITH ORDINALITY AS m(msg, o)
	  LEFT JOIN pg_catalog.unnest(ordering_keys) WITH ORDINALITY AS k(key, o) ON k.o = m.o
	  LEFT JOIN pg_catalog.unnest(dedup_ids) WITH ORDINALITY AS d(id, o) ON d.o = m.o;
	ids := pg_catalog.array_fill(NULL::bigint, ARRAY[pg_catalog.cardinality(messages)]);
	FOR target IN SELECT DISTINCT t FROM pg_catalog.unnest(targets) t ORDER BY t LOOP
		SELECT pg_catalog.array_agg(o ORDER BY o) INTO positions
		  FROM pg_catalog.unnest(targets) WITH ORDINALITY AS u(t, o)
		 WHERE u.t = target;
		-- each node's part commits there by itself: a failure leaves the
		-- parts of the nodes before it sent (their dedup ids make a resend safe)
		BEGIN
			FOR r IN
				SELECT pgmq_c_router.node_id(target, s.msg_id) AS msg_id, positions[s.ord] AS position
				  FROM pgmq_c_router.node_send_batch(target, queue_name,
					ARRAY(SELECT (messages[pg_catalog.array_lower(messages, 1) + p::integer - 1]) FROM pg_catalog.unnest(positions) WITH ORDINALITY AS x(p, o) ORDER BY x.o),
					CASE WHEN headers IS NOT NULL THEN ARRAY(SELECT (headers[pg_catalog.array_lower(headers, 1) + p::integer - 1]) FROM pg_catalog.unnest(positions) WITH ORDINALITY AS x(p, o) ORDER BY x.o) END,
					delay,
					CASE WHEN ordering_keys IS NOT NULL THEN ARRAY(SELECT (ordering_keys[pg_catalog.array_lower(ordering_keys, 1) + p::integer - 1]) FROM pg_catalog.unnest(positions) WITH ORDINALITY AS x(p, o) ORDER BY x.o) END,
					CASE WHEN dedup_ids IS NOT NULL THEN ARRAY(SELECT (dedup_ids[pg_catalog.array_lower(dedup_ids, 1) + p::integer - 1]) FROM pg_catalog.unnest(positions) WITH ORDINALITY AS x(p, o) ORDER BY x.o) END) s
			LOOP
				ids[r.position] := r.msg_id;
			END LOOP;
		EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
			IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
				PERFORM pgmq_c_router.node_error(target, 'send_batch', SQLERRM, SQLSTATE);
			END IF;
			RAISE;
		END;
	END LOOP;
	RETURN QUERY SELECT i FROM pg_catalog.unnest(ids) WITH ORDINALITY AS u(i, o) ORDER BY u.o;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.send_batch(text, jsonb[], jsonb[], interval, text[], text[]) IS 'pgmq_c.send_batch() split by node: keyed messages (by dedup id when they have no key) to their key''s node, the others to the node in turn; returns the msg_ids in array order (each node commits its part on its own)';

--
-- Receiving: every node in turn, acknowledging on the way
--

-- The interval setting setting_name of this session: fallback when it is
-- not set; an error unless it lies between lowest and highest (range_text
-- says so in words).
CREATE FUNCTION pgmq_c_router.interval_setting(setting_name text, fallback interval,
	lowest interval, highest interval, range_text text) RETURNS interval
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	setting		text := pg_catalog.current_setting(setting_name, true);
	value		interval;
BEGIN
	IF setting IS NULL OR setting = '' THEN
		RETURN fallback;
	END IF;
	BEGIN
		value := setting::interval;
	EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
		value := NULL;
	END;
	IF value IS NULL OR value < lowest OR value > highest THEN
		RAISE EXCEPTION 'invalid value for %: "%"', setting_name, setting
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = pg_catalog.format('Set an interval between %s.', range_text);
	END IF;
	RETURN value;
END
$$;

-- How long a waiting reader waits on one node before it looks at the
-- others again: the setting pgmq_c_router.wait_slice (default 100 ms).
CREATE FUNCTION pgmq_c_router.wait_slice() RETURNS interval
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT pgmq_c_router.interval_setting('pgmq_c_router.wait_slice', '100 milliseconds',
	'1 millisecond', '1 minute', '1 millisecond and 1 minute')
$$;

-- The longest wait of read() and read_group() (receive false): the
-- setting pgmq_c_router.max_wait, default 30 seconds, as pgmq_c.max_wait;
-- of receive() and receive_group(): pgmq_c_router.max_receive_wait,
-- default 10 minutes, as pgmq_c.max_receive_wait.  Either holds the
-- router's snapshot while it waits (the nodes' are not held).
CREATE FUNCTION pgmq_c_router.wait_limit(receive boolean) RETURNS interval
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT CASE WHEN receive
	THEN pgmq_c_router.interval_setting('pgmq_c_router.max_receive_wait', '10 minutes',
		'0', '1 day', '0 and 1 day')
	ELSE pgmq_c_router.interval_setting('pgmq_c_router.max_wait', '30 seconds',
		'0', '1 day', '0 and 1 day')
	END
$$;

-- read() and read_group() (group_name not NULL): acknowledge the receipts
-- (each node's with that node's read, or alone where there is nothing left
-- to read), then lease up to qty messages from the nodes in turn, starting
-- at the node whose turn it is; with wait and nothing found, wait on one
-- node a slice at a time, looking at the others between slices.
CREATE FUNCTION pgmq_c_router.consume(name text, group_name text, vt interval, qty integer,
	wait interval, ack_ids bigint[], ack_read_cts integer[], longest_wait interval)
RETURNS SETOF pgmq_c_router.message
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
	turn		integer;
	target		integer;
	got			integer := 0;
	reached		integer := 0;
	k			integer;
	ids			bigint[];
	cts			integer[];
	m			pgmq_c_router.message;
	deadline	timestamptz;
	slice		interval;
	left_over	interval;
	what		text := CASE WHEN group_name IS NULL THEN 'delete' ELSE 'acknowledgement' END;
	last_error	text;
	own_error	boolean;
	started		timestamptz := pg_catalog.clock_timestamp();
BEGIN
	IF wait IS NULL THEN
		RAISE EXCEPTION 'wait must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF wait < '0' THEN
		RAISE EXCEPTION 'wait must not be negative' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- (longest_wait: wait_limit() of the wrapper, which it bounds to 1 day)
	IF longest_wait IS NULL OR longest_wait < '0' OR longest_wait > '1 day' THEN
		RAISE EXCEPTION 'longest_wait must be between 0 and 1 day'
			USING ERRCODE = CASE WHEN longest_wait IS NULL THEN 'null_value_not_allowed'
								 ELSE 'invalid_parameter_value' END,
				  DETAIL = pg_catalog.format('longest_wait was %s.', COALESCE(longest_wait::text, 'NULL'));
	END IF;
	IF wait > longest_wait THEN
		RAISE EXCEPTION 'wait must not exceed % ms',
			(pg_catalog.date_part('epoch', longest_wait) OPERATOR(pg_catalog.*) 1000)::bigint
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The longest wait is pgmq_c_router.max_wait for read() and read_group(), pgmq_c_router.max_receive_wait for receive() and receive_group().';
	END IF;
	IF qty IS NULL THEN
		RAISE EXCEPTION 'qty must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF qty < 1 OR qty > 10000 THEN
		RAISE EXCEPTION 'qty must be between 1 and 10000' USING ERRCODE = 'invalid_parameter_value',
			DETAIL = pg_catalog.format('qty was %s.', qty);
	END IF;
	PERFORM pgmq_c_router.check_receipts(ack_ids, ack_read_cts,
		CASE WHEN group_name IS NULL THEN 'delete_ids' ELSE 'ack_ids' END,
		CASE WHEN group_name IS NULL THEN 'delete_read_cts' ELSE 'ack_read_cts' END, n);
	IF wait > '0' THEN
		slice := pgmq_c_router.wait_slice();
	END IF;
	turn := pgmq_c_router.next_turn('read', n);
	-- The receipts first: those of other nodes than the first to read from
	-- are settled on their own, before anything is leased, so that a node
	-- that fails makes the call fail with nothing leased; the first node's
	-- go with its read.
	IF ack_ids IS NOT NULL THEN
		FOR target IN SELECT DISTINCT (i >> 48)::integer FROM pg_catalog.unnest(ack_ids) i
					   WHERE (i >> 48) <> turn ORDER BY 1 LOOP
			SELECT * INTO ids, cts FROM pgmq_c_router.receipts_of(target, ack_ids, ack_read_cts);
			BEGIN
				IF group_name IS NULL THEN
					PERFORM pgmq_c_router.node_delete(target, name, ids, cts);
				ELSE
					PERFORM pgmq_c_router.node_ack(target, name, group_name, ids, cts);
				END IF;
			EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
				IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
					PERFORM pgmq_c_router.node_error(target, what, SQLERRM, SQLSTATE);
				END IF;
				RAISE;
			END;
		END LOOP;
	END IF;
	-- then the nodes in turn, until qty messages are leased; a node that
	-- fails is passed over
	FOR k IN 0 .. n - 1 LOOP
		EXIT WHEN got >= qty;
		target := (turn + k) % n;
		ids := NULL;
		cts := NULL;
		IF k = 0 THEN
			SELECT * INTO ids, cts FROM pgmq_c_router.receipts_of(target, ack_ids, ack_read_cts);
		END IF;
		BEGIN
			FOR m IN SELECT * FROM pgmq_c_router.consume_one(name, group_name, target, vt,
					 qty - got, '0', ids, cts) LOOP
				RETURN NEXT m;
				got := got + 1;
			END LOOP;
			reached := reached + 1;
		EXCEPTION WHEN OTHERS THEN
			own_error := pgmq_c_router.refused(SQLSTATE, SQLERRM) IS NOT NULL;
			IF NOT own_error THEN
				own_error := NOT pgmq_c_router.node_failed(SQLSTATE, SQLERRM);
			END IF;
			IF own_error THEN
				-- an error of the node's own, or a connection it refused:
				-- raised, unless messages of other nodes are already leased,
				-- which the caller then gets
				IF got = 0 THEN
					PERFORM pgmq_c_router.raise_refused(SQLSTATE, SQLERRM);
					RAISE;
				END IF;
				RAISE WARNING 'node % of server pgmq_c_cluster: %', target, SQLERRM;
				EXIT;
			END IF;
			IF ids IS NOT NULL THEN
				-- the first read of the call: nothing is leased yet
				PERFORM pgmq_c_router.node_error(target, what, SQLERRM, SQLSTATE);
			END IF;
			RAISE LOG 'pgmq_c_router: node % passed over: %', target, SQLERRM;
			last_error := SQLERRM;
		END;
	END LOOP;
	IF reached = 0 AND got = 0 THEN
		RAISE EXCEPTION 'no node of server pgmq_c_cluster can be reached'
			USING ERRCODE = 'connection_failure', DETAIL = last_error;
	END IF;
	IF got > 0 OR wait = '0' THEN
		RETURN;
	END IF;

	-- wait: a slice on one node (each in turn), then a look at the others
	deadline := started + wait;
	target := turn;
	LOOP
		left_over := deadline - pg_catalog.clock_timestamp();
		EXIT WHEN left_over <= '0';
		reached := 0;
		FOR k IN 0 .. n - 1 LOOP
			target := (target + 1) % n;
			EXIT WHEN k > 0 AND pg_catalog.clock_timestamp() >= deadline;
			BEGIN
				FOR m IN SELECT * FROM pgmq_c_router.consume_one(name, group_name, target, vt,
						 qty - got,
						 CASE WHEN k = 0
							  THEN LEAST(slice, left_over) ELSE '0' END, NULL, NULL) LOOP
					RETURN NEXT m;
					got := got + 1;
				END LOOP;
				reached := reached + 1;
			EXCEPTION WHEN OTHERS THEN
				own_error := pgmq_c_router.refused(SQLSTATE, SQLERRM) IS NOT NULL;
				IF NOT own_error THEN
					own_error := NOT pgmq_c_router.node_failed(SQLSTATE, SQLERRM);
				END IF;
				IF own_error THEN
					-- as in the first pass: raised, unless messages of other
					-- nodes are already leased, which the caller then gets
					IF got = 0 THEN
						PERFORM pgmq_c_router.raise_refused(SQLSTATE, SQLERRM);
						RAISE;
					END IF;
					RAISE WARNING 'node % of server pgmq_c_cluster: %', target, SQLERRM;
					EXIT;
				END IF;
				last_error := SQLERRM;
				IF k = 0 THEN
					-- the node to wait on is down: sleep the slice here instead
					PERFORM pg_catalog.pg_sleep(pg_catalog.date_part('epoch',
						LEAST(slice, left_over)));
				END IF;
			END;
			EXIT WHEN got >= qty;
		END LOOP;
		EXIT WHEN got > 0;
		IF reached = 0 THEN
			RAISE EXCEPTION 'no node of server pgmq_c_cluster can be reached'
				USING ERRCODE = 'connection_failure', DETAIL = last_error;
		END IF;
		-- wait on the next node in the next round
		target := (target + 1) % n;
	END LOOP;
END
$$;

-- One node's read (group_name NULL) or read_group, settling the node's
-- receipts ids/cts (as the node numbers them; NULL: none) first; msg_ids
-- as the router numbers them.
CREATE FUNCTION pgmq_c_router.consume_one(name text, group_name text, node integer,
	vt interval, qty integer, wait interval, ids bigint[], cts integer[])
RETURNS SETOF pgmq_c_router.message
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m			pgmq_c_router.message;
BEGIN
	IF group_name IS NULL THEN
		FOR m IN SELECT * FROM pgmq_c_router.node_read(node, name, vt, qty, wait, ids, cts) LOOP
			m.msg_id := pgmq_c_router.node_id(node, m.msg_id);
			RETURN NEXT m;
		END LOOP;
	ELSE
		FOR m IN SELECT * FROM pgmq_c_router.node_read_group(node, name, group_name, vt, qty, wait,
				 ids, cts) LOOP
			m.msg_id := pgmq_c_router.node_id(node, m.msg_id);
			RETURN NEXT m;
		END LOOP;
	END IF;
END
$$;

CREATE FUNCTION pgmq_c_router.read(queue_name text, vt interval DEFAULT NULL::interval,
	qty integer DEFAULT 1, wait interval DEFAULT '00:00:00'::interval,
	delete_ids bigint[] DEFAULT NULL::bigint[], delete_read_cts integer[] DEFAULT NULL::integer[])
RETURNS SETOF pgmq_c_router.message
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY SELECT * FROM pgmq_c_router.consume(queue_name, NULL, vt, qty, wait, delete_ids,
		delete_read_cts, pgmq_c_router.wait_limit(false));
END
$$;
COMMENT ON FUNCTION pgmq_c_router.read(text, interval, integer, interval, bigint[], integer[]) IS 'delete the receipts delete_ids on their nodes, then lease up to qty messages from the nodes in turn (the first node changes from call to call); with wait, wait on one node a slice (pgmq_c_router.wait_slice) at a time';

CREATE PROCEDURE pgmq_c_router.receive(queue_name text, vt interval DEFAULT NULL::interval,
	qty integer DEFAULT 1, wait interval DEFAULT '00:00:00'::interval,
	INOUT messages pgmq_c_router.message[] DEFAULT NULL::pgmq_c_router.message[],
	delete_ids bigint[] DEFAULT NULL::bigint[], delete_read_cts integer[] DEFAULT NULL::integer[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	messages := ARRAY(SELECT r FROM pgmq_c_router.consume(queue_name, NULL, vt, qty, wait,
		delete_ids, delete_read_cts, pgmq_c_router.wait_limit(true)) r);
END
$$;
COMMENT ON PROCEDURE pgmq_c_router.receive(text, interval, integer, interval, pgmq_c_router.message[], bigint[], integer[]) IS 'read() returning an array; the nodes hold no snapshot of the router''s while it waits';

CREATE FUNCTION pgmq_c_router.pop(queue_name text, qty integer DEFAULT 1)
RETURNS SETOF pgmq_c_router.message
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
	turn		integer := pgmq_c_router.next_turn('read', n);
	target		integer;
	got			integer := 0;
	reached		integer := 0;
	k			integer;
	m			pgmq_c_router.message;
	last_error	text;
	own_error	boolean;
BEGIN
	IF qty IS NULL THEN
		RAISE EXCEPTION 'qty must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF qty < 1 OR qty > 10000 THEN
		RAISE EXCEPTION 'qty must be between 1 and 10000' USING ERRCODE = 'invalid_parameter_value',
			DETAIL = pg_catalog.format('qty was %s.', qty);
	END IF;
	FOR k IN 0 .. n - 1 LOOP
		EXIT WHEN got >= qty AND got > 0;
		target := (turn + k) % n;
		BEGIN
			FOR m IN SELECT * FROM pgmq_c_router.node_pop(target, queue_name,
					 qty - got) LOOP
				m.msg_id := pgmq_c_router.node_id(target, m.msg_id);
				RETURN NEXT m;
				got := got + 1;
			END LOOP;
			reached := reached + 1;
		EXCEPTION WHEN OTHERS THEN
			own_error := pgmq_c_router.refused(SQLSTATE, SQLERRM) IS NOT NULL;
			IF NOT own_error THEN
				own_error := NOT pgmq_c_router.node_failed(SQLSTATE, SQLERRM);
			END IF;
			IF own_error THEN
				-- popped messages are gone from their nodes: never lose them
				IF got = 0 THEN
					PERFORM pgmq_c_router.raise_refused(SQLSTATE, SQLERRM);
					RAISE;
				END IF;
				RAISE WARNING 'node % of server pgmq_c_cluster: %', target, SQLERRM;
				EXIT;
			END IF;
			last_error := SQLERRM;
		END;
	END LOOP;
	IF reached = 0 AND got = 0 THEN
		RAISE EXCEPTION 'no node of server pgmq_c_cluster can be reached'
			USING ERRCODE = 'connection_failure', DETAIL = last_error;
	END IF;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.pop(text, integer) IS 'pgmq_c.pop() on the nodes in turn until qty messages were taken';

CREATE FUNCTION pgmq_c_router.read_group(topic_name text, group_name text,
	vt interval DEFAULT NULL::interval, qty integer DEFAULT 1,
	wait interval DEFAULT '00:00:00'::interval, ack_ids bigint[] DEFAULT NULL::bigint[],
	ack_read_cts integer[] DEFAULT NULL::integer[])
RETURNS SETOF pgmq_c_router.message
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF group_name IS NULL THEN
		RAISE EXCEPTION 'group_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	RETURN QUERY SELECT * FROM pgmq_c_router.consume(topic_name, group_name, vt, qty, wait, ack_ids,
		ack_read_cts, pgmq_c_router.wait_limit(false));
END
$$;
COMMENT ON FUNCTION pgmq_c_router.read_group(text, text, interval, integer, interval, bigint[], integer[]) IS 'acknowledge ack_ids on their nodes, then lease the group''s next messages from the nodes in turn';

CREATE PROCEDURE pgmq_c_router.receive_group(topic_name text, group_name text,
	vt interval DEFAULT NULL::interval, qty integer DEFAULT 1,
	wait interval DEFAULT '00:00:00'::interval,
	INOUT messages pgmq_c_router.message[] DEFAULT NULL::pgmq_c_router.message[],
	ack_ids bigint[] DEFAULT NULL::bigint[], ack_read_cts integer[] DEFAULT NULL::integer[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF group_name IS NULL THEN
		RAISE EXCEPTION 'group_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	messages := ARRAY(SELECT r FROM pgmq_c_router.consume(topic_name, group_name, vt, qty, wait,
		ack_ids, ack_read_cts, pgmq_c_router.wait_limit(true)) r);
END
$$;
COMMENT ON PROCEDURE pgmq_c_router.receive_group(text, text, interval, integer, interval, pgmq_c_router.message[], bigint[], integer[]) IS 'read_group() returning an array';

--
-- Acknowledging: straight to the message's node; a node that fails raises
-- connection_failure (nothing done) or transaction_resolution_unknown
--
CREATE FUNCTION pgmq_c_router.delete(queue_name text, msg_id bigint,
	read_ct integer DEFAULT NULL::integer)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	node		integer := pgmq_c_router.node_of(msg_id);
BEGIN
	RETURN pgmq_c_router.node_delete_one(node, queue_name, msg_id & 281474976710655, read_ct);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(node, 'delete', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.delete(text, bigint, integer) IS 'pgmq_c.delete() on the message''s node';

CREATE FUNCTION pgmq_c_router.archive(queue_name text, msg_id bigint,
	read_ct integer DEFAULT NULL::integer)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	node		integer := pgmq_c_router.node_of(msg_id);
BEGIN
	RETURN pgmq_c_router.node_archive_one(node, queue_name, msg_id & 281474976710655, read_ct);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(node, 'archive', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.archive(text, bigint, integer) IS 'pgmq_c.archive() on the message''s node';

CREATE FUNCTION pgmq_c_router.nack(queue_name text, msg_id bigint,
	delay interval DEFAULT NULL::interval, read_ct integer DEFAULT NULL::integer,
	reason text DEFAULT NULL::text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	node		integer := pgmq_c_router.node_of(msg_id);
BEGIN
	RETURN pgmq_c_router.node_nack_one(node, queue_name, msg_id & 281474976710655, delay, read_ct,
		reason);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(node, 'nack', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.nack(text, bigint, interval, integer, text) IS 'pgmq_c.nack() on the message''s node';

CREATE FUNCTION pgmq_c_router.ack(topic_name text, group_name text, msg_id bigint,
	read_ct integer DEFAULT NULL::integer)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	node		integer := pgmq_c_router.node_of(msg_id);
BEGIN
	RETURN pgmq_c_router.node_ack_one(node, topic_name, group_name, msg_id & 281474976710655,
		read_ct);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(node, 'ack', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.ack(text, text, bigint, integer) IS 'pgmq_c.ack() on the message''s node';

CREATE FUNCTION pgmq_c_router.nack(topic_name text, group_name text, msg_id bigint,
	delay interval DEFAULT NULL::interval, read_ct integer DEFAULT NULL::integer,
	reason text DEFAULT NULL::text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	node		integer := pgmq_c_router.node_of(msg_id);
BEGIN
	RETURN pgmq_c_router.node_nack_group_one(node, topic_name, group_name,
		msg_id & 281474976710655, delay, read_ct, reason);
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(node, 'nack', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.nack(text, text, bigint, interval, integer, text) IS 'pgmq_c.nack() of a group on the message''s node';

-- delete, archive (queue_name, msg_ids) and ack (topic_name, group_name,
-- msg_ids) of many receipts: each node's in one call; a node that cannot be
-- reached is skipped with a warning (its msg_ids are not returned).
CREATE FUNCTION pgmq_c_router.settle_many(action text, name text, group_name text,
	msg_ids bigint[], read_cts integer[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
	target		integer;
	ids			bigint[];
	cts			integer[];
BEGIN
	IF action IS NULL OR action NOT IN ('delete', 'archive', 'ack') THEN
		RAISE EXCEPTION 'action must be ''delete'', ''archive'' or ''ack'''
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('action was %s.', COALESCE(pg_catalog.quote_literal(action), 'NULL'));
	END IF;
	IF msg_ids IS NULL THEN
		RAISE EXCEPTION 'msg_ids must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM pgmq_c_router.check_receipts(msg_ids, read_cts, 'msg_ids', 'read_cts', n);
	FOR target IN SELECT DISTINCT (i >> 48)::integer
					FROM pg_catalog.unnest(msg_ids) i ORDER BY 1 LOOP
		SELECT * INTO ids, cts FROM pgmq_c_router.receipts_of(target, msg_ids, read_cts);
		BEGIN
			IF action = 'delete' THEN
				RETURN QUERY SELECT pgmq_c_router.node_id(target, d)
				  FROM pgmq_c_router.node_delete(target, name, ids, cts) d;
			ELSIF action = 'archive' THEN
				RETURN QUERY SELECT pgmq_c_router.node_id(target, d)
				  FROM pgmq_c_router.node_archive(target, name, ids, cts) d;
			ELSE
				RETURN QUERY SELECT pgmq_c_router.node_id(target, d)
				  FROM pgmq_c_router.node_ack(target, name, group_name, ids, cts) d;
			END IF;
		EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
			IF NOT pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
				RAISE;
			END IF;
			-- not reached: nothing done there, which the msg_ids returned say;
			-- lost during the call: not known, an error
			IF NOT pgmq_c_router.unreachable(SQLSTATE, SQLERRM) THEN
				PERFORM pgmq_c_router.node_error(target, action, SQLERRM, SQLSTATE);
			END IF;
			PERFORM pgmq_c_router.warn_failed(target, action, SQLERRM);
		END;
	END LOOP;
END
$$;

CREATE FUNCTION pgmq_c_router.delete(queue_name text, msg_ids bigint[],
	read_cts integer[] DEFAULT NULL::integer[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY SELECT * FROM pgmq_c_router.settle_many('delete', queue_name, NULL, msg_ids, read_cts);
END
$$;
COMMENT ON FUNCTION pgmq_c_router.delete(text, bigint[], integer[]) IS 'pgmq_c.delete() of each node''s msg_ids on that node; returns the msg_ids deleted (none of a node that cannot be reached: a warning says so)';

CREATE FUNCTION pgmq_c_router.archive(queue_name text, msg_ids bigint[],
	read_cts integer[] DEFAULT NULL::integer[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY SELECT * FROM pgmq_c_router.settle_many('archive', queue_name, NULL, msg_ids, read_cts);
END
$$;
COMMENT ON FUNCTION pgmq_c_router.archive(text, bigint[], integer[]) IS 'pgmq_c.archive() of each node''s msg_ids on that node; returns the msg_ids archived';

CREATE FUNCTION pgmq_c_router.ack(topic_name text, group_name text, msg_ids bigint[],
	read_cts integer[] DEFAULT NULL::integer[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY SELECT * FROM pgmq_c_router.settle_many('ack', topic_name, group_name, msg_ids, read_cts);
END
$$;
COMMENT ON FUNCTION pgmq_c_router.ack(text, text, bigint[], integer[]) IS 'pgmq_c.ack() of each node''s msg_ids on that node; returns the msg_ids acknowledged';

CREATE FUNCTION pgmq_c_router.set_vt(queue_name text, msg_id bigint, vt interval,
	read_ct integer DEFAULT NULL::integer)
RETURNS SETOF pgmq_c_router.message
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	node		integer := pgmq_c_router.node_of(msg_id);
	m			pgmq_c_router.message;
BEGIN
	FOR m IN SELECT * FROM pgmq_c_router.node_set_vt(node, queue_name, msg_id & 281474976710655,
			 vt, read_ct) LOOP
		m.msg_id := pgmq_c_router.node_id(node, m.msg_id);
		RETURN NEXT m;
	END LOOP;
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(node, 'set_vt', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.set_vt(text, bigint, interval, integer) IS 'pgmq_c.set_vt() on the message''s node';

CREATE FUNCTION pgmq_c_router.set_vt(topic_name text, group_name text, msg_id bigint,
	vt interval, read_ct integer DEFAULT NULL::integer)
RETURNS SETOF pgmq_c_router.message
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	node		integer := pgmq_c_router.node_of(msg_id);
	m			pgmq_c_router.message;
BEGIN
	FOR m IN SELECT * FROM pgmq_c_router.node_set_vt_group(node, topic_name, group_name,
			 msg_id & 281474976710655, vt, read_ct) LOOP
		m.msg_id := pgmq_c_router.node_id(node, m.msg_id);
		RETURN NEXT m;
	END LOOP;
EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
	IF pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
		PERFORM pgmq_c_router.node_error(node, 'set_vt', SQLERRM, SQLSTATE);
	END IF;
	RAISE;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.set_vt(text, text, bigint, interval, integer) IS 'a group''s pgmq_c.set_vt() on the message''s node';

--
-- Metrics: per node, and summed
--
CREATE FUNCTION pgmq_c_router.metrics_by_node(queue_name text DEFAULT NULL::text)
RETURNS TABLE (node integer, metrics pgmq_c_router.queue_metrics)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
	k			integer;
	reached		integer := 0;
	last_error	text;
BEGIN
	FOR k IN 0 .. n - 1 LOOP
		BEGIN
			IF queue_name IS NULL THEN
				RETURN QUERY SELECT k, m FROM pgmq_c_router.node_metrics_all(k) m;
			ELSE
				RETURN QUERY SELECT k, m FROM pgmq_c_router.node_metrics(k, queue_name) m;
			END IF;
			reached := reached + 1;
		EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
			IF NOT pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
				RAISE;
			END IF;
			last_error := SQLERRM;
			RAISE WARNING 'node % of server pgmq_c_cluster failed: its metrics are missing', k
				USING DETAIL = SQLERRM;
		END;
	END LOOP;
	IF reached = 0 THEN
		RAISE EXCEPTION 'no node of server pgmq_c_cluster can be reached'
			USING ERRCODE = 'connection_failure', DETAIL = last_error;
	END IF;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.metrics_by_node(text) IS 'pgmq_c.metrics() of a queue or topic (NULL: metrics_all()) on each node that can be reached, with its node number';

CREATE FUNCTION pgmq_c_router.sum_metrics(queue_name text) RETURNS SETOF pgmq_c_router.queue_metrics
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
BEGIN
	RETURN QUERY
	SELECT (b.metrics).queue_name,
		   pg_catalog.sum((b.metrics).queue_length)::bigint,
		   pg_catalog.sum((b.metrics).visible_length)::bigint,
		   pg_catalog.sum((b.metrics).delayed_length)::bigint,
		   pg_catalog.sum((b.metrics).in_flight_length)::bigint,
		   pg_catalog.sum((b.metrics).archived_length)::bigint,
		   pg_catalog.max((b.metrics).oldest_msg_age_sec),
		   pg_catalog.min((b.metrics).newest_msg_age_sec),
		   pg_catalog.sum((b.metrics).total_messages)::bigint,
		   pg_catalog.bool_and((b.metrics).length_is_exact)
			 AND pg_catalog.count(*) = n,
		   pg_catalog.max((b.metrics).scrape_time),
		   pg_catalog.min((b.metrics).kind),
		   pg_catalog.min((b.metrics).retention),
		   pg_catalog.sum((b.metrics).partitions)::integer,
		   pg_catalog.max((b.metrics).groups)
	  FROM pgmq_c_router.metrics_by_node(queue_name) b
	 GROUP BY (b.metrics).queue_name
	 ORDER BY (b.metrics).queue_name;
END
$$;

CREATE FUNCTION pgmq_c_router.metrics(queue_name text) RETURNS pgmq_c_router.queue_metrics
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m			pgmq_c_router.queue_metrics;
BEGIN
	IF queue_name IS NULL THEN
		RAISE EXCEPTION 'queue_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT * INTO m FROM pgmq_c_router.sum_metrics(queue_name);
	RETURN m;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.metrics(text) IS 'pgmq_c.metrics() summed over the nodes (lengths and counts summed, oldest age the largest, newest the smallest; length_is_exact only when every node answered exactly)';

CREATE FUNCTION pgmq_c_router.metrics_all() RETURNS SETOF pgmq_c_router.queue_metrics
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY SELECT * FROM pgmq_c_router.sum_metrics(NULL);
END
$$;
COMMENT ON FUNCTION pgmq_c_router.metrics_all() IS 'metrics() summed over the nodes for every queue and topic the caller may monitor (the monitor privilege on each node)';

CREATE FUNCTION pgmq_c_router.list_groups_by_node(topic_name text,
	OUT node integer, OUT group_name text, OUT lag bigint, OUT in_flight bigint,
	OUT oldest_unacked_age_sec double precision, OUT missed bigint, OUT next_msg_id bigint,
	OUT lag_is_exact boolean, OUT visibility_timeout interval, OUT filter jsonb,
	OUT max_deliveries integer, OUT dead_letter_queue text, OUT retry_backoff interval,
	OUT retry_backoff_max interval)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
	k			integer;
	reached		integer := 0;
	last_error	text;
BEGIN
	FOR k IN 0 .. n - 1 LOOP
		BEGIN
			RETURN QUERY
			SELECT k, g.group_name, g.lag, g.in_flight, g.oldest_unacked_age_sec, g.missed,
				   g.next_msg_id + (k::bigint << 48),
				   g.lag_is_exact, g.visibility_timeout, g.filter, g.max_deliveries,
				   g.dead_letter_queue, g.retry_backoff, g.retry_backoff_max
			  FROM pgmq_c_router.node_list_groups(k, topic_name) g;
			reached := reached + 1;
		EXCEPTION WHEN internal_error OR connection_exception OR admin_shutdown OR crash_shutdown OR cannot_connect_now THEN
			IF NOT pgmq_c_router.node_failed(SQLSTATE, SQLERRM) THEN
				RAISE;
			END IF;
			last_error := SQLERRM;
			RAISE WARNING 'node % of server pgmq_c_cluster failed: its groups are missing', k
				USING DETAIL = SQLERRM;
		END;
	END LOOP;
	IF reached = 0 THEN
		RAISE EXCEPTION 'no node of server pgmq_c_cluster can be reached'
			USING ERRCODE = 'connection_failure', DETAIL = last_error;
	END IF;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.list_groups_by_node(text) IS 'pgmq_c.list_groups() on each node that can be reached, with its node number (next_msg_id numbered as the router numbers msg_ids)';

CREATE FUNCTION pgmq_c_router.list_groups(topic_name text,
	OUT group_name text, OUT lag bigint, OUT in_flight bigint,
	OUT oldest_unacked_age_sec double precision, OUT missed bigint, OUT next_msg_id bigint,
	OUT lag_is_exact boolean, OUT visibility_timeout interval, OUT filter jsonb,
	OUT max_deliveries integer, OUT dead_letter_queue text, OUT retry_backoff interval,
	OUT retry_backoff_max interval)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n			integer := pgmq_c_router.node_count();
BEGIN
	RETURN QUERY
	SELECT g.group_name, pg_catalog.sum(g.lag)::bigint, pg_catalog.sum(g.in_flight)::bigint,
		   pg_catalog.max(g.oldest_unacked_age_sec), pg_catalog.sum(g.missed)::bigint,
		   NULL::bigint,
		   pg_catalog.bool_and(g.lag_is_exact) AND pg_catalog.count(*) = n,
		   pg_catalog.min(g.visibility_timeout), (pg_catalog.array_agg(g.filter))[1],
		   pg_catalog.min(g.max_deliveries), pg_catalog.min(g.dead_letter_queue),
		   pg_catalog.min(g.retry_backoff), pg_catalog.min(g.retry_backoff_max)
	  FROM pgmq_c_router.list_groups_by_node(topic_name) g
	 GROUP BY g.group_name
	 ORDER BY g.group_name;
END
$$;
COMMENT ON FUNCTION pgmq_c_router.list_groups(text) IS 'pgmq_c.list_groups() summed over the nodes: lag, in_flight and missed summed, the oldest age the largest; next_msg_id is per node (list_groups_by_node)';

--
-- Privileges: as pgmq_c's (creating queues and topics is the extension
-- owner's unless granted); the nodes check every call's privileges.
--
GRANT USAGE ON SCHEMA pgmq_c_router TO PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c_router.create_queue(text, interval, integer, text, interval, interval, interval, interval, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c_router.node_all_create_queue(text, interval, integer, text, interval, interval, interval, interval, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c_router.create_topic(text, interval, bigint, interval, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c_router.node_all_create_topic(text, interval, bigint, interval, text) FROM PUBLIC;
