/* pgmq_c--0.3.0--0.4.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmq_c UPDATE TO '0.4.0'" to load this file. \quit

-- 0.4.0: the security model (README "Privileges", docs/design.md "Security
-- model").
--
-- Every table, sequence and partition pgmq_c makes belongs to the role that
-- owns the extension, and no other role holds any privilege on them, on the
-- catalog tables below, or CREATE on schema pgmq_c.  The functions run their
-- statements as the extension owner with search_path pinned to
-- "pg_catalog, pg_temp", and check the caller's privileges on the queue
-- themselves: each queue or topic has an owner (the role that created it,
-- holding every privilege) and grants in pgmq_c.access.

--
-- Catalog
--
ALTER TABLE pgmq_c.queues ADD COLUMN owner pg_catalog.regrole;
COMMENT ON COLUMN pgmq_c.queues.owner IS 'the role that created the queue or topic: it holds every privilege on it';

-- one row per (queue, role) with some privilege; role_id 0 is PUBLIC
CREATE TABLE pgmq_c.access (
	queue_id	integer NOT NULL
		REFERENCES pgmq_c.queues (queue_id) ON DELETE CASCADE,
	role_id		pg_catalog.regrole NOT NULL,
	privileges	integer NOT NULL
		CHECK (privileges OPERATOR(pg_catalog.>) 0
			   AND privileges OPERATOR(pg_catalog.<=) 15),
	PRIMARY KEY (queue_id, role_id)
);
COMMENT ON TABLE pgmq_c.access IS 'privileges granted on pgmq_c queues and topics (bits: 1 send, 2 consume, 4 monitor, 8 admin; role 0 is PUBLIC); use pgmq_c.grant_access() and pgmq_c.revoke_access()';
SELECT pg_catalog.pg_extension_config_dump('pgmq_c.access', '');

-- == migration of existing objects (upgrade helper) ==
--
-- Until 0.3.0 the tables of a queue, topic or group belonged to the role
-- that created it (partitions made by the worker to the bootstrap
-- superuser), any role could hold privileges on them, and roles that
-- created queues had CREATE on schema pgmq_c.  From 0.4.0 pgmq_c runs its
-- statements on those tables as the extension owner.  So, in this order:
--
--  1. refuse if schema pgmq_c holds an object that is neither part of the
--     extension nor a table, sequence or index pgmq_c made for a queue,
--     topic or group (an overload such as pgmq_c.send(text, text) would
--     capture other roles' calls), or if a table of a queue, topic or group
--     has an index, column, default, constraint, inheritance parent or child
--     or access method pgmq_c did not give it (their code would run as the
--     extension owner);
--  2. record each queue's and topic's creator, the owner of its message
--     table, in pgmq_c.queues.owner;
--  3. turn the table privileges with which a role could send, consume or
--     monitor under 0.3.0 into rows of pgmq_c.access;
--  4. drop every trigger, rule, row level security policy and extended
--     statistics object on those tables, and disable row level security;
--  5. give the tables and sequences to the extension owner (indexes and
--     TOAST tables follow), and revoke every privilege on them, on the
--     catalog tables and on schema pgmq_c (but USAGE for PUBLIC) from every
--     other role.
--
-- Messages, leases, cursors and delayed messages are rows of those tables:
-- nothing here rewrites a table.  It is one transaction with the rest of
-- ALTER EXTENSION: an error leaves 0.3.0 as it was.
--
DO $migrate$
DECLARE
	extoid		pg_catalog.oid;
	extowner	pg_catalog.oid;
	nsp			pg_catalog.oid;
	heap_am		pg_catalog.oid;
	-- the per-queue tables, partitions and sequences: relation, shape
	-- ('q', 'd', 'a' for a queue; 't', 'tp' (partition), 'c' for a topic;
	-- 'g' for a group; 'seq') and queue_id (the topic's, for a group)
	rels		pg_catalog.oid[];
	shapes		pg_catalog.text[];
	qids		pg_catalog.int4[];
	problems	pg_catalog.text[];
	done		pg_catalog.text[] := '{}';	-- what was changed, for the warnings
	it_roles	pg_catalog.text;
	it			record;
	n			pg_catalog.int8;
BEGIN
	-- plpgsql plans each statement at its first run: pin the path first
	PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

	SELECT e.oid, e.extowner INTO STRICT extoid, extowner
	  FROM pg_catalog.pg_extension e
	 WHERE e.extname OPERATOR(pg_catalog.=) 'pgmq_c';
	SELECT s.oid INTO STRICT nsp FROM pg_catalog.pg_namespace s
	 WHERE s.nspname OPERATOR(pg_catalog.=) 'pgmq_c';
	SELECT a.oid INTO STRICT heap_am FROM pg_catalog.pg_am a
	 WHERE a.amname OPERATOR(pg_catalog.=) 'heap';

	--
	-- The relations pgmq_c made: the names the catalog rows imply, with the
	-- relkind pgmq_c gave them, and the tables attached to a topic's log
	-- under a partition's name.  Anything else in the schema is foreign.
	--
	WITH expected (relname, relkind, shape, queue_id) AS (
		SELECT pg_catalog.format('%s_%s', s.shape, q.queue_id),
			   s.relkind, s.shape, q.queue_id
		  FROM pgmq_c.queues q
		  JOIN (VALUES ('q'::pg_catalog."char", 'q', 'r'::pg_catalog."char"), ('q', 'd', 'r'),
					   ('q', 'a', 'r'), ('t', 't', 'p'), ('t', 'c', 'r'))
			   AS s (kind, shape, relkind)
			ON s.kind OPERATOR(pg_catalog.=) q.kind
		UNION ALL
		SELECT pg_catalog.format('%s_%s_seq', q.kind, q.queue_id),
			   'S', 'seq', q.queue_id
		  FROM pgmq_c.queues q
		UNION ALL
		SELECT pg_catalog.format('g_%s', g.group_id), 'r', 'g', g.topic_id
		  FROM pgmq_c.groups g),
	found (relid, shape, queue_id) AS (
		SELECT c.oid, e.shape, e.queue_id
		  FROM expected e
		  JOIN pg_catalog.pg_class c
			ON c.relname OPERATOR(pg_catalog.=) e.relname
		   AND c.relnamespace OPERATOR(pg_catalog.=) nsp
		   AND c.relkind OPERATOR(pg_catalog.=) e.relkind),
	partitions (relid, shape, queue_id) AS (
		SELECT c.oid, 'tp', f.queue_id
		  FROM found f
		  JOIN pg_catalog.pg_inherits i
			ON i.inhparent OPERATOR(pg_catalog.=) f.relid
		  JOIN pg_catalog.pg_class c
			ON c.oid OPERATOR(pg_catalog.=) i.inhrelid
		   AND c.relnamespace OPERATOR(pg_catalog.=) nsp
		   AND c.relkind OPERATOR(pg_catalog.=) 'r'
		   AND c.relname OPERATOR(pg_catalog.~)
			   pg_catalog.format('^t_%s_p[0-9]+$', f.queue_id)
		 WHERE f.shape OPERATOR(pg_catalog.=) 't')
	SELECT pg_catalog.array_agg(a.relid), pg_catalog.array_agg(a.shape),
		   pg_catalog.array_agg(a.queue_id)
	  INTO rels, shapes, qids
	  FROM (SELECT * FROM found UNION ALL SELECT * FROM partitions) a;
	rels := COALESCE(rels, '{}');
	shapes := COALESCE(shapes, '{}');
	qids := COALESCE(qids, '{}');

	--
	-- 1a. Foreign objects in schema pgmq_c.  Allowed: members of the
	-- extension, the relations above, indexes of either, the row and array
	-- types and constraints of either, the relation behind a member
	-- composite type, a sequence belonging to a member table (identity),
	-- and extended statistics on a per-queue table (dropped below).
	--
	WITH member (classid, objid) AS (
		SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
		 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
		   AND d.refobjid OPERATOR(pg_catalog.=) extoid
		   AND d.deptype OPERATOR(pg_catalog.=) 'e'),
	okrel (oid) AS (
		SELECT m.objid FROM member m
		 WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
		UNION
		SELECT pg_catalog.unnest(rels)),
	okclass (oid) AS (
		SELECT c.oid FROM pg_catalog.pg_class c
		 WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
		   AND (c.oid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT oid FROM okrel))
				-- indexes of a relation in the schema are told through it
				OR c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['i', 'I']::pg_catalog."char"[])
				OR (c.relkind OPERATOR(pg_catalog.=) 'c'
					AND c.reltype OPERATOR(pg_catalog.=) ANY (ARRAY(
						SELECT m.objid FROM member m
						 WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass)))
				OR (c.relkind OPERATOR(pg_catalog.=) 'S'
					AND EXISTS (SELECT FROM pg_catalog.pg_depend d
								 WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
								   AND d.objid OPERATOR(pg_catalog.=) c.oid
								   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
								   AND d.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'i']::pg_catalog."char"[])
								   AND d.refobjid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT m.objid FROM member m))))
				)),
	oktype (oid) AS (
		SELECT t.oid FROM pg_catalog.pg_type t
		 WHERE t.typnamespace OPERATOR(pg_catalog.=) nsp
		   AND (t.oid OPERATOR(pg_catalog.=) ANY (ARRAY(
					SELECT m.objid FROM member m
					 WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass))
				OR t.typrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT oid FROM okclass)))),
	inschema (classid, objid) AS (
		SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid FROM pg_catalog.pg_class c
		 WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
		   AND c.oid OPERATOR(pg_catalog.<>) ALL (ARRAY(SELECT oid FROM okclass))
		UNION ALL
		SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid FROM pg_catalog.pg_type t
		 WHERE t.typnamespace OPERATOR(pg_catalog.=) nsp
		   AND t.oid OPERATOR(pg_catalog.<>) ALL (ARRAY(SELECT oid FROM oktype))
		   -- a relation's row type, an array or multirange type is told
		   -- through its relation or element or range type
		   AND t.typrelid OPERATOR(pg_catalog.<>) ALL (ARRAY(
				SELECT c.oid FROM pg_catalog.pg_class c
				 WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp))
		   AND NOT EXISTS (SELECT FROM pg_catalog.pg_type e
							WHERE e.typarray OPERATOR(pg_catalog.=) t.oid
							  AND (e.oid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT oid FROM oktype))
								   OR e.typnamespace OPERATOR(pg_catalog.=) nsp))
		   AND NOT EXISTS (SELECT FROM pg_catalog.pg_range g
							WHERE g.rngmultitypid OPERATOR(pg_catalog.=) t.oid)
		UNION ALL
		SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, x.oid FROM pg_catalog.pg_statistic_ext x
		 WHERE x.stxnamespace OPERATOR(pg_catalog.=) nsp
		   AND x.stxrelid OPERATOR(pg_catalog.<>) ALL (rels)
		UNION ALL
		SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_proc p
		 WHERE p.pronamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_operator p
		 WHERE p.oprnamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_opclass p
		 WHERE p.opcnamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_opfamily p
		 WHERE p.opfnamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_collation p
		 WHERE p.collnamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_conversion p
		 WHERE p.connamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_ts_config p
		 WHERE p.cfgnamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_ts_dict p
		 WHERE p.dictnamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_ts_parser'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_ts_parser p
		 WHERE p.prsnamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_ts_template'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_ts_template p
		 WHERE p.tmplnamespace OPERATOR(pg_catalog.=) nsp
		UNION ALL
		SELECT 'pg_catalog.pg_extension'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_extension p
		 WHERE p.extnamespace OPERATOR(pg_catalog.=) nsp
		   AND p.oid OPERATOR(pg_catalog.<>) extoid)
	SELECT pg_catalog.array_agg(d.what ORDER BY d.what COLLATE pg_catalog."C")
	  INTO problems
	  FROM inschema s,
		   LATERAL pg_catalog.pg_describe_object(s.classid, s.objid, 0) AS d (what)
	 WHERE NOT EXISTS (SELECT FROM member m
					 WHERE m.classid OPERATOR(pg_catalog.=) s.classid
					   AND m.objid OPERATOR(pg_catalog.=) s.objid);

	IF problems IS NOT NULL THEN
		n := pg_catalog.cardinality(problems);
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = pg_catalog.format('cannot update pgmq_c to 0.4.0: schema pgmq_c holds %s object(s) that pgmq_c did not make', n),
			DETAIL = pg_catalog.array_to_string(problems[1:50], E'\n')
				OPERATOR(pg_catalog.||) CASE WHEN n OPERATOR(pg_catalog.>) 50
						THEN pg_catalog.format(E'\n... and %s more', n OPERATOR(pg_catalog.-) 50)
						ELSE '' END,
			HINT = 'From 0.4.0 no role but the extension owner may create objects in schema pgmq_c: an object there can capture the calls of other roles (an overload of a pgmq_c function) or run as the extension owner. Drop each of them, or move it out with ALTER ... SET SCHEMA, then run ALTER EXTENSION pgmq_c UPDATE again.';
	END IF;

	--
	-- 1b. What pgmq_c's statements would run, as the extension owner, on the
	-- per-queue tables: indexes (expressions, predicates, operator classes,
	-- access methods), column types and defaults, constraints, inheritance,
	-- table access methods.  Each must be exactly what pgmq_c made.
	--
	WITH rel (relid, shape, queue_id) AS (
		SELECT * FROM ROWS FROM (pg_catalog.unnest(rels), pg_catalog.unnest(shapes), pg_catalog.unnest(qids))),
	-- index definitions pgmq_c makes, %1$s the index's name, %2$s the table's
	idx (shape, def) AS (VALUES
		('q', 'CREATE UNIQUE INDEX %1$s ON pgmq_c.%2$s USING btree (msg_id)'),
		('d', 'CREATE UNIQUE INDEX %1$s ON pgmq_c.%2$s USING btree (msg_id)'),
		('d', 'CREATE INDEX %1$s ON pgmq_c.%2$s USING btree (deliver_at)'),
		('a', 'CREATE UNIQUE INDEX %1$s ON pgmq_c.%2$s USING btree (msg_id)'),
		('t', 'CREATE UNIQUE INDEX %1$s ON ONLY pgmq_c.%2$s USING btree (msg_id)'),
		('t', 'CREATE INDEX %1$s ON ONLY pgmq_c.%2$s USING brin (enqueued_at)'),
		('t', 'CREATE INDEX %1$s ON ONLY pgmq_c.%2$s USING btree (deliver_at) WHERE (deliver_at IS NOT NULL)'),
		('tp', 'CREATE UNIQUE INDEX %1$s ON pgmq_c.%2$s USING btree (msg_id)'),
		('tp', 'CREATE INDEX %1$s ON pgmq_c.%2$s USING brin (enqueued_at)'),
		('tp', 'CREATE INDEX %1$s ON pgmq_c.%2$s USING btree (deliver_at) WHERE (deliver_at IS NOT NULL)'),
		('c', 'CREATE UNIQUE INDEX %1$s ON pgmq_c.%2$s USING btree (group_id)'),
		('g', 'CREATE UNIQUE INDEX %1$s ON pgmq_c.%2$s USING btree (msg_id)')),
	-- columns pgmq_c makes, with their defaults (%1$s: the queue_id)
	col (shape, attname, atttypid, def) AS (VALUES
		('q', 'msg_id', 'pg_catalog.int8'::pg_catalog.regtype, 'nextval(''pgmq_c.q_%1$s_seq''::regclass)'),
		('q', 'read_ct', 'pg_catalog.int4', '0'),
		('q', 'enqueued_at', 'pg_catalog.timestamptz', 'clock_timestamp()'),
		('q', 'vt', 'pg_catalog.timestamptz', 'clock_timestamp()'),
		('q', 'message', 'pg_catalog.jsonb', NULL),
		('q', 'headers', 'pg_catalog.jsonb', NULL),
		('d', 'msg_id', 'pg_catalog.int8', NULL),
		('d', 'enqueued_at', 'pg_catalog.timestamptz', NULL),
		('d', 'deliver_at', 'pg_catalog.timestamptz', NULL),
		('d', 'message', 'pg_catalog.jsonb', NULL),
		('d', 'headers', 'pg_catalog.jsonb', NULL),
		('a', 'msg_id', 'pg_catalog.int8', NULL),
		('a', 'read_ct', 'pg_catalog.int4', NULL),
		('a', 'enqueued_at', 'pg_catalog.timestamptz', NULL),
		('a', 'archived_at', 'pg_catalog.timestamptz', NULL),
		('a', 'vt', 'pg_catalog.timestamptz', NULL),
		('a', 'message', 'pg_catalog.jsonb', NULL),
		('a', 'headers', 'pg_catalog.jsonb', NULL),
		('t', 'msg_id', 'pg_catalog.int8', 'nextval(''pgmq_c.t_%1$s_seq''::regclass)'),
		('t', 'enqueued_at', 'pg_catalog.timestamptz', 'clock_timestamp()'),
		('t', 'deliver_at', 'pg_catalog.timestamptz', NULL),
		('t', 'message', 'pg_catalog.jsonb', NULL),
		('t', 'headers', 'pg_catalog.jsonb', NULL),
		('tp', 'msg_id', 'pg_catalog.int8', 'nextval(''pgmq_c.t_%1$s_seq''::regclass)'),
		('tp', 'enqueued_at', 'pg_catalog.timestamptz', 'clock_timestamp()'),
		('tp', 'deliver_at', 'pg_catalog.timestamptz', NULL),
		('tp', 'message', 'pg_catalog.jsonb', NULL),
		('tp', 'headers', 'pg_catalog.jsonb', NULL),
		('c', 'group_id', 'pg_catalog.int4', NULL),
		('c', 'next_id', 'pg_catalog.int8', NULL),
		('c', 'epoch', 'pg_catalog.int8', '0'),
		('c', 'missed', 'pg_catalog.int8', '0'),
		('g', 'msg_id', 'pg_catalog.int8', NULL),
		('g', 'read_ct', 'pg_catalog.int4', NULL),
		('g', 'vt', 'pg_catalog.timestamptz', NULL)),
	bad (what) AS (
		-- an index pgmq_c did not make
		SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid, 0)
			   OPERATOR(pg_catalog.||) ' on ' OPERATOR(pg_catalog.||)
			   pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, i.indrelid, 0)
		  FROM rel r
		  JOIN pg_catalog.pg_index i ON i.indrelid OPERATOR(pg_catalog.=) r.relid
		  JOIN pg_catalog.pg_class ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid
		  JOIN pg_catalog.pg_class tc ON tc.oid OPERATOR(pg_catalog.=) i.indrelid
		 -- a partition's index attached to the log's is told through it
		 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_inherits h
							WHERE h.inhrelid OPERATOR(pg_catalog.=) i.indexrelid)
		   AND NOT EXISTS (
				SELECT FROM idx x
				 WHERE x.shape OPERATOR(pg_catalog.=) r.shape
				   AND pg_catalog.pg_get_indexdef(i.indexrelid) OPERATOR(pg_catalog.=)
					   pg_catalog.format(x.def, pg_catalog.quote_ident(ic.relname),
										 pg_catalog.quote_ident(tc.relname)))
		UNION ALL
		-- a column pgmq_c did not make, or of another type
		SELECT pg_catalog.format('column %s of %s (type %s)', pg_catalog.quote_ident(a.attname),
								 pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.relid, 0),
								 pg_catalog.format_type(a.atttypid, a.atttypmod))
		  FROM rel r
		  JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) r.relid
		 WHERE r.shape OPERATOR(pg_catalog.<>) 'seq'
		   AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
		   AND NOT EXISTS (SELECT FROM col c
							WHERE c.shape OPERATOR(pg_catalog.=) r.shape
							  AND c.attname OPERATOR(pg_catalog.=) a.attname
							  AND c.atttypid OPERATOR(pg_catalog.=) a.atttypid
							  AND a.atttypmod OPERATOR(pg_catalog.=) -1
							  AND a.attgenerated OPERATOR(pg_catalog.=) '')
		UNION ALL
		-- a default pgmq_c did not set
		SELECT pg_catalog.pg_describe_object('pg_catalog.pg_attrdef'::pg_catalog.regclass, d.oid, 0)
		  FROM rel r
		  JOIN pg_catalog.pg_attrdef d ON d.adrelid OPERATOR(pg_catalog.=) r.relid
		  JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) d.adrelid
										AND a.attnum OPERATOR(pg_catalog.=) d.adnum
		 WHERE NOT EXISTS (SELECT FROM col c
							WHERE c.shape OPERATOR(pg_catalog.=) r.shape
							  AND c.attname OPERATOR(pg_catalog.=) a.attname
							  AND pg_catalog.format(c.def, r.queue_id) OPERATOR(pg_catalog.=)
								  pg_catalog.pg_get_expr(d.adbin, d.adrelid))
		UNION ALL
		-- a constraint other than the primary key (a constraint trigger is
		-- dropped with the triggers below), or a foreign key to one
		SELECT pg_catalog.pg_describe_object('pg_catalog.pg_constraint'::pg_catalog.regclass, o.oid, 0)
		  FROM pg_catalog.pg_constraint o
		  JOIN rel r ON r.relid OPERATOR(pg_catalog.=) o.conrelid
		 WHERE o.contype OPERATOR(pg_catalog.<>) 't'
		   AND (o.contype OPERATOR(pg_catalog.<>) 'p'
				OR pg_catalog.pg_get_constraintdef(o.oid) OPERATOR(pg_catalog.<>)
				   CASE WHEN r.shape OPERATOR(pg_catalog.=) 'c' THEN 'PRIMARY KEY (group_id)' ELSE 'PRIMARY KEY (msg_id)' END)
		UNION ALL
		SELECT pg_catalog.pg_describe_object('pg_catalog.pg_constraint'::pg_catalog.regclass, o.oid, 0)
		  FROM pg_catalog.pg_constraint o
		 WHERE o.confrelid OPERATOR(pg_catalog.=) ANY (rels)
		UNION ALL
		-- inheritance: only a topic's partitions, attached to its log
		SELECT pg_catalog.format('%s, inheriting from %s',
								 pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, i.inhrelid, 0),
								 pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, i.inhparent, 0))
		  FROM pg_catalog.pg_inherits i
		  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid
		 WHERE c.relkind OPERATOR(pg_catalog.<>) ALL (ARRAY['i', 'I']::pg_catalog."char"[])
		   AND (i.inhparent OPERATOR(pg_catalog.=) ANY (rels)
				OR i.inhrelid OPERATOR(pg_catalog.=) ANY (rels))
		   AND NOT EXISTS (SELECT FROM rel p, rel k
							WHERE p.relid OPERATOR(pg_catalog.=) i.inhparent
							  AND k.relid OPERATOR(pg_catalog.=) i.inhrelid
							  AND p.shape OPERATOR(pg_catalog.=) 't'
							  AND k.shape OPERATOR(pg_catalog.=) 'tp'
							  AND p.queue_id OPERATOR(pg_catalog.=) k.queue_id)
		UNION ALL
		-- a table access method other than heap
		SELECT pg_catalog.format('%s (access method %s)',
								 pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, c.oid, 0),
								 pg_catalog.quote_ident(am.amname))
		  FROM rel r
		  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.relid
		  JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) c.relam
		 WHERE c.relkind OPERATOR(pg_catalog.=) 'r'
		   AND c.relam OPERATOR(pg_catalog.<>) heap_am)
	SELECT pg_catalog.array_agg(b.what ORDER BY b.what COLLATE pg_catalog."C") INTO problems FROM bad b;

	IF problems IS NOT NULL THEN
		n := pg_catalog.cardinality(problems);
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = pg_catalog.format('cannot update pgmq_c to 0.4.0: the tables of queues and topics carry %s object(s) that pgmq_c did not make', n),
			DETAIL = pg_catalog.array_to_string(problems[1:50], E'\n')
				OPERATOR(pg_catalog.||) CASE WHEN n OPERATOR(pg_catalog.>) 50
						THEN pg_catalog.format(E'\n... and %s more', n OPERATOR(pg_catalog.-) 50)
						ELSE '' END,
			HINT = 'From 0.4.0 these tables belong to the extension owner, and an index expression or operator class, a column type or default, a constraint or an inheriting table would run code as that role. Drop each of them, then run ALTER EXTENSION pgmq_c UPDATE again.';
	END IF;

	--
	-- 2. The owner of each queue and topic: whoever owns its message table
	-- (or, if that is missing, another of its tables).  A queue none of
	-- whose tables exist gets the extension owner (after this section).
	--
	UPDATE pgmq_c.queues q
	   SET owner = o.relowner::pg_catalog.regrole
	  FROM (SELECT DISTINCT ON (u.queue_id) u.queue_id, c.relowner
			  FROM ROWS FROM (pg_catalog.unnest(rels), pg_catalog.unnest(shapes), pg_catalog.unnest(qids)) AS u (relid, shape, queue_id)
			  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) u.relid
			 WHERE u.shape OPERATOR(pg_catalog.=) ANY (ARRAY['q', 't', 'd', 'a', 'c', 'seq'])
			 ORDER BY u.queue_id,
					  u.shape OPERATOR(pg_catalog.=) ANY (ARRAY['q', 't']) DESC,
					  u.shape) o
	 WHERE q.queue_id OPERATOR(pg_catalog.=) o.queue_id
	   AND q.owner IS NULL;

	--
	-- 3. Table privileges that let a role (or PUBLIC) use a queue under
	-- 0.3.0 become grants, only when held directly on every table that the
	-- 0.3.0 functions needed (README 0.3.0, "Privileges"), so that nobody
	-- gains a right.  'admin' (drop, purge, groups) needed ownership and is
	-- never granted here.
	--
	FOR it IN
		WITH rel (relid, shape, queue_id) AS (
			SELECT * FROM ROWS FROM (pg_catalog.unnest(rels), pg_catalog.unnest(shapes), pg_catalog.unnest(qids))),
		-- what each grantee holds on each relation
		held (relid, grantee, privs) AS (
			SELECT c.oid, a.grantee, pg_catalog.array_agg(a.privilege_type)
			  FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) a
			 WHERE c.oid OPERATOR(pg_catalog.=) ANY (rels)
			 GROUP BY 1, 2),
		-- privilege bit, granted if on each table of that shape (each
		-- group's, for 'g') the grantee holds all ('all') or one ('any') of
		-- privs; a missing table (but a topic without groups) fails it
		req (kind, bit, shape, mode, privs) AS (VALUES
			('q'::pg_catalog."char", 1, 'q', 'all', ARRAY['INSERT']),
			('q', 1, 'd', 'all', ARRAY['INSERT']),
			('q', 1, 'seq', 'any', ARRAY['USAGE', 'UPDATE']),
			('q', 2, 'q', 'all', ARRAY['SELECT', 'UPDATE', 'DELETE']),
			('q', 2, 'd', 'all', ARRAY['SELECT', 'DELETE']),
			('q', 2, 'a', 'all', ARRAY['SELECT', 'INSERT']),
			('q', 4, 'q', 'all', ARRAY['SELECT']),
			('t', 1, 't', 'all', ARRAY['INSERT']),
			('t', 1, 'seq', 'any', ARRAY['USAGE', 'UPDATE']),
			('t', 2, 't', 'all', ARRAY['SELECT']),
			('t', 2, 'c', 'all', ARRAY['SELECT', 'UPDATE']),
			('t', 2, 'g', 'all', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
			('t', 4, 't', 'all', ARRAY['SELECT'])),
		cand (queue_id, kind, grantee) AS (
			SELECT DISTINCT r.queue_id, q.kind, h.grantee
			  FROM rel r
			  JOIN held h ON h.relid OPERATOR(pg_catalog.=) r.relid
			  JOIN pgmq_c.queues q ON q.queue_id OPERATOR(pg_catalog.=) r.queue_id
			 WHERE h.grantee OPERATOR(pg_catalog.<>) q.owner
			   AND h.grantee OPERATOR(pg_catalog.<>) extowner),
		unmet (queue_id, grantee, bit) AS (
			SELECT c.queue_id, c.grantee, q.bit
			  FROM cand c
			  JOIN req q ON q.kind OPERATOR(pg_catalog.=) c.kind
			 WHERE EXISTS (SELECT FROM rel r
							WHERE r.queue_id OPERATOR(pg_catalog.=) c.queue_id
							  AND r.shape OPERATOR(pg_catalog.=) q.shape
							  AND NOT EXISTS (
								  SELECT FROM held h
								   WHERE h.relid OPERATOR(pg_catalog.=) r.relid
									 AND h.grantee OPERATOR(pg_catalog.=) c.grantee
									 AND CASE WHEN q.mode OPERATOR(pg_catalog.=) 'all'
											  THEN h.privs OPERATOR(pg_catalog.@>) q.privs
											  ELSE h.privs OPERATOR(pg_catalog.&&) q.privs END))
				OR (q.shape OPERATOR(pg_catalog.<>) 'g'
					AND NOT EXISTS (SELECT FROM rel r
									 WHERE r.queue_id OPERATOR(pg_catalog.=) c.queue_id
									   AND r.shape OPERATOR(pg_catalog.=) q.shape))),
		mask (queue_id, grantee, privileges) AS (
			SELECT c.queue_id, c.grantee, pg_catalog.bit_or(b.bit)
			  FROM cand c, (VALUES (1), (2), (4)) b (bit)
			 WHERE NOT EXISTS (SELECT FROM unmet u
								WHERE u.queue_id OPERATOR(pg_catalog.=) c.queue_id
								  AND u.grantee OPERATOR(pg_catalog.=) c.grantee
								  AND u.bit OPERATOR(pg_catalog.=) b.bit)
			 GROUP BY 1, 2)
		SELECT m.queue_id, m.grantee, m.privileges, q.queue_name, q.kind
		  FROM mask m
		  JOIN pgmq_c.queues q ON q.queue_id OPERATOR(pg_catalog.=) m.queue_id
		 ORDER BY q.queue_name COLLATE pg_catalog."C", m.grantee
	LOOP
		INSERT INTO pgmq_c.access AS x (queue_id, role_id, privileges)
		VALUES (it.queue_id, it.grantee::pg_catalog.regrole, it.privileges)
		ON CONFLICT (queue_id, role_id) DO UPDATE
		   SET privileges = x.privileges OPERATOR(pg_catalog.|) excluded.privileges;
		done := done OPERATOR(pg_catalog.||) pg_catalog.format('%s "%s": %s holds %s',
			CASE WHEN it.kind OPERATOR(pg_catalog.=) 't' THEN 'topic' ELSE 'queue' END,
			it.queue_name,
			CASE WHEN it.grantee OPERATOR(pg_catalog.=) 0 THEN 'public'
				 ELSE pg_catalog.format('role %s', it.grantee::pg_catalog.regrole) END,
			pg_catalog.array_to_string(ARRAY(
				SELECT p.name FROM (VALUES (1, 'send'), (2, 'consume'), (4, 'monitor')) p (bit, name)
				 WHERE (it.privileges OPERATOR(pg_catalog.&) p.bit) OPERATOR(pg_catalog.<>) 0
				 ORDER BY p.bit), ', '));
	END LOOP;
	-- (ALTER EXTENSION shows warnings, not notices)
	n := pg_catalog.cardinality(done);
	IF n OPERATOR(pg_catalog.>) 0 THEN
		RAISE WARNING USING
			MESSAGE = pg_catalog.format('pgmq_c 0.4.0: %s grant(s) made from the table privileges that let roles use queues and topics under 0.3.0', n),
			DETAIL = pg_catalog.array_to_string(done[1:50], E'\n')
				OPERATOR(pg_catalog.||)
				CASE WHEN n OPERATOR(pg_catalog.>) 50
					 THEN pg_catalog.format(E'\n... and %s more', n OPERATOR(pg_catalog.-) 50)
					 ELSE '' END,
			HINT = 'Table privileges no longer count. Review the grants with pgmq_c.list_access() and change them with pgmq_c.grant_access() and pgmq_c.revoke_access().';
	END IF;

	-- creating queues now needs EXECUTE, which a DBA grants (not recorded
	-- here: a grant made by an extension script would not be dumped)
	SELECT pg_catalog.string_agg(DISTINCT a.grantee::pg_catalog.regrole::pg_catalog.text, ', ')
	  INTO it_roles
	  FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) a
	 WHERE c.oid OPERATOR(pg_catalog.=) 'pgmq_c.queues'::pg_catalog.regclass
	   AND a.privilege_type OPERATOR(pg_catalog.=) 'INSERT'
	   AND a.grantee OPERATOR(pg_catalog.<>) 0
	   AND a.grantee OPERATOR(pg_catalog.<>) extowner;
	IF it_roles IS NOT NULL THEN
		RAISE WARNING 'pgmq_c 0.4.0: these roles could create queues and topics under 0.3.0 and now cannot: %', it_roles
			USING HINT = pg_catalog.format('Creating needs EXECUTE on the two functions: GRANT EXECUTE ON FUNCTION pgmq_c.create_queue(text, interval), pgmq_c.create_topic(text, interval, bigint) TO %s;', it_roles);
	END IF;

	--
	-- 4. Triggers (a partition's come from its log's), rules, policies and
	-- extended statistics: none is pgmq_c's, and each would run its code as
	-- the extension owner.
	--
	done := '{}';
	FOR it IN
		SELECT t.tgname, t.tgrelid::pg_catalog.regclass AS rel
		  FROM pg_catalog.pg_trigger t
		 WHERE t.tgrelid OPERATOR(pg_catalog.=) ANY (rels)
		   AND NOT t.tgisinternal
		   AND t.tgparentid OPERATOR(pg_catalog.=) 0
		 ORDER BY 2, 1
	LOOP
		done := done OPERATOR(pg_catalog.||) pg_catalog.format('trigger %I on %s', it.tgname, it.rel);
		EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', it.tgname, it.rel);
	END LOOP;
	FOR it IN
		SELECT w.rulename, w.ev_class::pg_catalog.regclass AS rel
		  FROM pg_catalog.pg_rewrite w
		 WHERE w.ev_class OPERATOR(pg_catalog.=) ANY (rels)
		 ORDER BY 2, 1
	LOOP
		done := done OPERATOR(pg_catalog.||) pg_catalog.format('rule %I on %s', it.rulename, it.rel);
		EXECUTE pg_catalog.format('DROP RULE %I ON %s', it.rulename, it.rel);
	END LOOP;
	FOR it IN
		SELECT p.polname, p.polrelid::pg_catalog.regclass AS rel
		  FROM pg_catalog.pg_policy p
		 WHERE p.polrelid OPERATOR(pg_catalog.=) ANY (rels)
		 ORDER BY 2, 1
	LOOP
		done := done OPERATOR(pg_catalog.||) pg_catalog.format('policy %I on %s', it.polname, it.rel);
		EXECUTE pg_catalog.format('DROP POLICY %I ON %s', it.polname, it.rel);
	END LOOP;
	FOR it IN
		SELECT c.oid::pg_catalog.regclass AS rel
		  FROM pg_catalog.pg_class c
		 WHERE c.oid OPERATOR(pg_catalog.=) ANY (rels)
		   AND (c.relrowsecurity OR c.relforcerowsecurity)
		 ORDER BY 1
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY', it.rel);
	END LOOP;
	FOR it IN
		SELECT pg_catalog.format('%I.%I', s.nspname, x.stxname) AS stat,
			   x.stxrelid::pg_catalog.regclass AS rel
		  FROM pg_catalog.pg_statistic_ext x
		  JOIN pg_catalog.pg_namespace s ON s.oid OPERATOR(pg_catalog.=) x.stxnamespace
		 WHERE x.stxrelid OPERATOR(pg_catalog.=) ANY (rels)
		 ORDER BY 2, 1
	LOOP
		done := done OPERATOR(pg_catalog.||) pg_catalog.format('statistics object %s on %s', it.stat, it.rel);
		EXECUTE pg_catalog.format('DROP STATISTICS %s', it.stat);
	END LOOP;
	n := pg_catalog.cardinality(done);
	IF n OPERATOR(pg_catalog.>) 0 THEN
		RAISE WARNING USING
			MESSAGE = pg_catalog.format('pgmq_c 0.4.0: dropped %s object(s) from the tables of queues and topics', n),
			DETAIL = pg_catalog.array_to_string(done[1:50], E'\n')
				OPERATOR(pg_catalog.||)
				CASE WHEN n OPERATOR(pg_catalog.>) 50
					 THEN pg_catalog.format(E'\n... and %s more', n OPERATOR(pg_catalog.-) 50)
					 ELSE '' END,
			HINT = 'These tables now belong to the extension owner: a trigger, rule, policy or statistics object on them would run code with its rights.';
	END IF;

	--
	-- 5. Ownership.  ALTER TABLE moves a table's indexes, TOAST table and
	-- the sequence owned by its column with it; a sequence that was
	-- detached from its table (ALTER SEQUENCE ... OWNED BY NONE) is moved
	-- on its own and attached again, so that dropping the queue drops it.
	--
	FOR it IN
		SELECT c.oid::pg_catalog.regclass AS rel
		  FROM pg_catalog.pg_class c
		 WHERE c.oid OPERATOR(pg_catalog.=) ANY (rels)
		   AND c.relkind OPERATOR(pg_catalog.<>) 'S'
		   AND c.relowner OPERATOR(pg_catalog.<>) extowner
		 ORDER BY c.oid
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE %s OWNER TO %I', it.rel,
								  pg_catalog.pg_get_userbyid(extowner));
	END LOOP;
	FOR it IN
		SELECT c.oid::pg_catalog.regclass AS seq, t.oid::pg_catalog.regclass AS rel,
			   EXISTS (SELECT FROM pg_catalog.pg_depend d
						WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
						  AND d.objid OPERATOR(pg_catalog.=) c.oid
						  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
						  AND d.deptype OPERATOR(pg_catalog.=) 'a') AS linked,
			   c.relowner OPERATOR(pg_catalog.<>) extowner AS move
		  FROM ROWS FROM (pg_catalog.unnest(rels), pg_catalog.unnest(shapes), pg_catalog.unnest(qids)) AS u (relid, shape, queue_id)
		  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) u.relid
		  JOIN pgmq_c.queues q ON q.queue_id OPERATOR(pg_catalog.=) u.queue_id
		  LEFT JOIN pg_catalog.pg_class t
			ON t.relname OPERATOR(pg_catalog.=) pg_catalog.format('%s_%s', q.kind, q.queue_id)
		   AND t.relnamespace OPERATOR(pg_catalog.=) nsp
		   AND t.oid OPERATOR(pg_catalog.=) ANY (rels)
		 WHERE u.shape OPERATOR(pg_catalog.=) 'seq'
		 ORDER BY c.oid
	LOOP
		IF NOT it.linked AND it.move THEN
			EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNER TO %I', it.seq,
									  pg_catalog.pg_get_userbyid(extowner));
		END IF;
		IF NOT it.linked AND it.rel IS NOT NULL THEN
			EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNED BY %s.msg_id', it.seq, it.rel);
		END IF;
	END LOOP;

	--
	-- 6. Privileges.  REVOKE ... ON TABLE also revokes column privileges;
	-- CASCADE takes grants made onwards with a grant option.  The per-queue
	-- relations, then every relation of the extension (pgmq_c.queues and
	-- pgmq_c.groups were readable by PUBLIC, and 0.3.0 told queue creators
	-- to get INSERT, UPDATE and DELETE on them).
	--
	FOR it IN
		SELECT c.oid::pg_catalog.regclass AS rel,
			   CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
			   a.grantee
		  FROM pg_catalog.pg_class c,
			   LATERAL (SELECT x.grantee FROM pg_catalog.aclexplode(c.relacl) x
						UNION
						SELECT x.grantee FROM pg_catalog.pg_attribute t,
							   LATERAL pg_catalog.aclexplode(t.attacl) x
						 WHERE t.attrelid OPERATOR(pg_catalog.=) c.oid) a
		 WHERE (c.oid OPERATOR(pg_catalog.=) ANY (rels)
				OR EXISTS (SELECT FROM pg_catalog.pg_depend d
							WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
							  AND d.objid OPERATOR(pg_catalog.=) c.oid
							  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
							  AND d.refobjid OPERATOR(pg_catalog.=) extoid
							  AND d.deptype OPERATOR(pg_catalog.=) 'e'))
		   AND a.grantee OPERATOR(pg_catalog.<>) c.relowner
		 ORDER BY c.oid, a.grantee
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM %s CASCADE', it.kind, it.rel,
								  CASE WHEN it.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
									   ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(it.grantee)) END);
	END LOOP;

	-- schema pgmq_c: its owner's, with USAGE for PUBLIC and nothing else
	IF (SELECT s.nspowner FROM pg_catalog.pg_namespace s
		 WHERE s.oid OPERATOR(pg_catalog.=) nsp) OPERATOR(pg_catalog.<>) extowner THEN
		EXECUTE pg_catalog.format('ALTER SCHEMA pgmq_c OWNER TO %I',
								  pg_catalog.pg_get_userbyid(extowner));
	END IF;
	FOR it IN
		SELECT DISTINCT a.grantee
		  FROM pg_catalog.pg_namespace s, LATERAL pg_catalog.aclexplode(s.nspacl) a
		 WHERE s.oid OPERATOR(pg_catalog.=) nsp
		   AND a.grantee OPERATOR(pg_catalog.<>) s.nspowner
		 ORDER BY 1
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA pgmq_c FROM %s CASCADE',
								  CASE WHEN it.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
									   ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(it.grantee)) END);
	END LOOP;
	GRANT USAGE ON SCHEMA pgmq_c TO PUBLIC;

	--
	-- Check the result: every per-queue relation (and index) is the
	-- extension owner's, and nobody else holds a privilege on it.
	--
	SELECT pg_catalog.array_agg(pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, c.oid, 0))
	  INTO problems
	  FROM pg_catalog.pg_class c
	 WHERE (c.oid OPERATOR(pg_catalog.=) ANY (rels)
			OR EXISTS (SELECT FROM pg_catalog.pg_index i
						WHERE i.indexrelid OPERATOR(pg_catalog.=) c.oid
						  AND i.indrelid OPERATOR(pg_catalog.=) ANY (rels)))
	   AND (c.relowner OPERATOR(pg_catalog.<>) extowner
			OR EXISTS (SELECT FROM pg_catalog.aclexplode(c.relacl) a
						WHERE a.grantee OPERATOR(pg_catalog.<>) extowner)
			OR EXISTS (SELECT FROM pg_catalog.pg_attribute t, pg_catalog.aclexplode(t.attacl) a
						WHERE t.attrelid OPERATOR(pg_catalog.=) c.oid
						  AND a.grantee OPERATOR(pg_catalog.<>) extowner));
	IF problems IS NOT NULL THEN
		RAISE EXCEPTION 'pgmq_c 0.4.0: could not take over %', problems[1]
			USING ERRCODE = 'internal_error';
	END IF;
END
$migrate$;

-- == end of migration ==

-- any queue whose creator could not be told belongs to the extension owner
UPDATE pgmq_c.queues
   SET owner = (SELECT e.extowner::pg_catalog.regrole
				  FROM pg_catalog.pg_extension e
				 WHERE e.extname OPERATOR(pg_catalog.=) 'pgmq_c')
 WHERE owner IS NULL;
ALTER TABLE pgmq_c.queues ALTER COLUMN owner SET NOT NULL;

--
-- Listings: rows only for queues and topics the caller holds some privilege
-- on; they gain the owner.
--
DROP FUNCTION pgmq_c.list_queues();
CREATE FUNCTION pgmq_c.list_queues()
RETURNS TABLE (queue_name text, queue_id integer, visibility_timeout interval,
			   created_at timestamptz, owner text)
AS 'MODULE_PATHNAME', 'pgmqc_list_queues'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.list_queues() IS 'one row per queue on which the caller holds some privilege';

DROP FUNCTION pgmq_c.list_topics();
CREATE FUNCTION pgmq_c.list_topics()
RETURNS TABLE (topic_name text, topic_id integer, retention interval,
			   partition_size bigint, groups bigint, created_at timestamptz,
			   owner text)
AS 'MODULE_PATHNAME', 'pgmqc_list_topics'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.list_topics() IS 'one row per topic on which the caller holds some privilege';

--
-- Per-queue access
--
CREATE FUNCTION pgmq_c.grant_access(queue_name text, role_name text,
									privileges text[])
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_grant_access'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.grant_access(text, text, text[]) IS 'grant privileges (''send'', ''consume'', ''monitor'', ''admin'' or ''all'') on a queue or topic to a role or to ''public''; needs ''admin''';

CREATE FUNCTION pgmq_c.revoke_access(queue_name text, role_name text,
									 privileges text[])
RETURNS void
AS 'MODULE_PATHNAME', 'pgmqc_revoke_access'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.revoke_access(text, text, text[]) IS 'revoke privileges on a queue or topic from a role or from ''public''; the owner keeps all of them; needs ''admin''';

CREATE FUNCTION pgmq_c.list_access(queue_name text)
RETURNS TABLE (role_name text, privileges text[])
AS 'MODULE_PATHNAME', 'pgmqc_list_access'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgmq_c.list_access(text) IS 'who holds which privileges on a queue or topic: its owner first, then ''public'', then roles';

--
-- Privileges on pgmq_c's own objects.  Everything runs as the extension
-- owner, so callers need no privilege on any table: only USAGE on the schema
-- and EXECUTE on the functions, which check per-queue privileges themselves.
-- Creating queues and topics, and running the worker's maintenance by hand,
-- are granted by a DBA: GRANT EXECUTE ON FUNCTION pgmq_c.create_queue(text,
-- interval) TO some_role.
--
REVOKE ALL ON SCHEMA pgmq_c FROM PUBLIC;
GRANT USAGE ON SCHEMA pgmq_c TO PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA pgmq_c FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA pgmq_c FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c.create_queue(text, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c.create_topic(text, interval, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pgmq_c.maintain_topics() FROM PUBLIC;
