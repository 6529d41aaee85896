-- scripts/api-reference.sql - the API of pgmq_c as installed, as Markdown
--
-- One query over the catalog of the current database, in which pgmq_c has
-- been created (with the library loaded, so that its settings exist).  It
-- sets the psql variable "api" to the text of docs/api.md.  It is the only
-- copy of the query, read by:
--
--   scripts/api-reference.sh  writes docs/api.md from a fresh cluster;
--   sql/api.sql               the regression test: prints the text and
--                             checks that docs/api.md is the same, so
--                             expected/api.out is the checked reference.
--
-- Nothing printed depends on OIDs or on the names of the database or of the
-- role that created the extension ("extension owner").  Functions are
-- grouped as in the README's API reference by the list "place" below; a
-- function missing from it is printed under "Functions not yet placed".

-- types outside pg_catalog print schema-qualified; defaults print the same
-- whatever the session's IntervalStyle
SET search_path = pg_catalog, pg_temp;
SET intervalstyle = postgres;

WITH
ext AS (
	SELECT e.oid, e.extowner, e.extversion, e.extconfig
	  FROM pg_extension e
	 WHERE e.extname = 'pgmq_c'),
member (classid, objid) AS (
	SELECT d.classid, d.objid
	  FROM pg_depend d, ext
	 WHERE d.refclassid = 'pg_extension'::regclass
	   AND d.refobjid = ext.oid AND d.deptype = 'e'),
section (sec, title) AS (VALUES
	(1, 'Queues'), (2, 'Sending'), (3, 'Receiving'), (4, 'Acknowledging'),
	(5, 'Notifications and status'), (6, 'Topics and groups'), (7, 'Access'),
	(8, 'Metrics'), (9, 'Functions not yet placed in a section'),
	(10, 'Types'), (11, 'Catalog tables'), (12, 'Sequences'),
	(13, 'Settings'), (14, 'Other members')),
-- function name (and name of the first argument, where overloads of one
-- name belong to different sections) -> section and position in it
place (name, first_arg, sec, pos) AS (VALUES
	('create_queue', NULL, 1, 1), ('alter_queue', NULL, 1, 2),
	('drop_queue', NULL, 1, 3), ('purge_queue', NULL, 1, 4),
	('list_queues', NULL, 1, 5),
	('send', NULL, 2, 1), ('send_batch', NULL, 2, 2),
	('read', NULL, 3, 1), ('receive', NULL, 3, 2), ('pop', NULL, 3, 3),
	('delete', NULL, 4, 1), ('archive', NULL, 4, 2),
	('set_vt', 'queue_name', 4, 3), ('nack', 'queue_name', 4, 4),
	('read_archive', NULL, 4, 5), ('redrive', NULL, 4, 6),
	('enable_notify', NULL, 5, 1), ('disable_notify', NULL, 5, 2),
	('list_notifications', NULL, 5, 3), ('status', NULL, 5, 4),
	('create_topic', NULL, 6, 1), ('drop_topic', NULL, 6, 2),
	('list_topics', NULL, 6, 3), ('create_group', NULL, 6, 4),
	('alter_group', NULL, 6, 5),
	('drop_group', NULL, 6, 6), ('list_groups', NULL, 6, 7),
	('read_group', NULL, 6, 8), ('receive_group', NULL, 6, 9),
	('ack', NULL, 6, 10), ('nack', 'topic_name', 6, 11),
	('set_vt', 'topic_name', 6, 12), ('seek', NULL, 6, 13),
	('maintain_topics', NULL, 6, 14),
	('grant_access', NULL, 7, 1), ('revoke_access', NULL, 7, 2),
	('list_access', NULL, 7, 3),
	('metrics', NULL, 8, 1), ('metrics_all', NULL, 8, 2)),
-- privileges on members, one row per holder: who, and what ("ALL" when it is
-- everything the owner holds by default)
holder (classid, objid, who, ord, privs) AS (
	SELECT o.classid, o.objid,
		   CASE WHEN a.grantee = 0 THEN 'PUBLIC'
				WHEN a.grantee = (SELECT extowner FROM ext) THEN 'extension owner'
				ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
		   CASE WHEN a.grantee = (SELECT extowner FROM ext) THEN 0
				WHEN a.grantee = 0 THEN 1 ELSE 2 END,
		   CASE WHEN array_agg(a.privilege_type ORDER BY a.privilege_type) =
					 (SELECT array_agg(d.privilege_type ORDER BY d.privilege_type)
						FROM aclexplode(acldefault(o.kind, o.owner)) d
					   WHERE d.grantee = o.owner)
					 AND NOT bool_or(a.is_grantable AND a.grantee <> o.owner)
				THEN 'ALL'
				ELSE string_agg(a.privilege_type ||
								CASE WHEN a.is_grantable AND a.grantee <> o.owner
									 THEN ' WITH GRANT OPTION' ELSE '' END,
								', ' ORDER BY a.privilege_type) END
	  FROM (SELECT 'pg_proc'::regclass, p.oid, 'f'::"char", p.proowner, p.proacl
			  FROM pg_proc p
			UNION ALL
			SELECT 'pg_class'::regclass, c.oid,
				   CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char",
				   c.relowner, c.relacl
			  FROM pg_class c
			UNION ALL
			SELECT 'pg_namespace'::regclass, n.oid, 'n'::"char", n.nspowner, n.nspacl
			  FROM pg_namespace n) o (classid, objid, kind, owner, acl)
	  JOIN member m ON m.classid = o.classid AND m.objid = o.objid,
		   aclexplode(coalesce(o.acl, acldefault(o.kind, o.owner))) a
	 GROUP BY o.classid, o.objid, o.kind, o.owner, a.grantee),
privileges (classid, objid, text) AS (
	SELECT h.classid, h.objid,
		   string_agg(h.who || ': ' || h.privs, '; ' ORDER BY h.ord, h.who COLLATE "C")
	  FROM holder h
	 GROUP BY h.classid, h.objid),
-- the role owning an object, when it is not the extension owner
owner_note (classid, objid, text) AS (
	SELECT o.classid, o.objid, 'Owner: ' || quote_ident(pg_get_userbyid(o.owner)) || '.'
	  FROM (SELECT 'pg_proc'::regclass, p.oid, p.proowner FROM pg_proc p
			UNION ALL
			SELECT 'pg_class'::regclass, c.oid, c.relowner FROM pg_class c
			UNION ALL
			SELECT 'pg_type'::regclass, t.oid, t.typowner FROM pg_type t
			UNION ALL
			SELECT 'pg_namespace'::regclass, n.oid, n.nspowner FROM pg_namespace n)
		   o (classid, objid, owner)
	  JOIN member m ON m.classid = o.classid AND m.objid = o.objid
	 WHERE o.owner <> (SELECT extowner FROM ext)),
func AS (
	SELECT p.oid, p.proname, p.prokind,
		   coalesce(pl.sec, 9) AS sec, coalesce(pl.pos, 0) AS pos,
		   pg_get_function_identity_arguments(p.oid) AS ident,
		   p.oid::regprocedure::text AS sig
	  FROM pg_proc p
	  JOIN member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
	  LEFT JOIN place pl ON pl.name = p.proname
		   AND (pl.first_arg IS NULL OR pl.first_arg = p.proargnames[1])),
func_arg (oid, n, mode, line) AS (
	SELECT f.oid, a.n, coalesce(p.proargmodes[a.n], 'i'),
		   '    ' ||
		   CASE coalesce(p.proargmodes[a.n], 'i')
				WHEN 'o' THEN 'OUT ' WHEN 'b' THEN 'INOUT '
				WHEN 'v' THEN 'VARIADIC ' ELSE '' END ||
		   coalesce(quote_ident(nullif(p.proargnames[a.n], '')) || ' ', '') ||
		   format_type(a.typ, NULL) ||
		   coalesce(' DEFAULT ' || pg_get_function_arg_default(f.oid, a.n::integer), '')
	  FROM func f
	  JOIN pg_proc p ON p.oid = f.oid,
		   unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
		   WITH ORDINALITY a (typ, n)),
func_block (sec, pos, sig, body) AS (
	SELECT f.sec, f.pos, f.ident,
		   -- one heading for the overloads of a name within a section
		   CASE WHEN row_number() OVER (PARTITION BY f.sec, f.proname
										ORDER BY f.ident COLLATE "C") = 1
				THEN '### ' || f.proname || E'\n\n' ELSE '' END ||
		   E'```sql\n' ||
		   CASE WHEN p.prokind = 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END ||
		   quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' ||
		   coalesce(E'\n' || (SELECT string_agg(a.line, E',\n' ORDER BY a.n)
								FROM func_arg a
							   WHERE a.oid = f.oid AND a.mode <> 't') || E'\n', '') ||
		   ')' ||
		   CASE WHEN p.prokind = 'p' THEN ''
				WHEN EXISTS (SELECT FROM func_arg a WHERE a.oid = f.oid AND a.mode = 't')
				THEN E' RETURNS TABLE (\n' ||
					 (SELECT string_agg(a.line, E',\n' ORDER BY a.n)
						FROM func_arg a WHERE a.oid = f.oid AND a.mode = 't') ||
					 E'\n)'
				ELSE ' RETURNS ' || pg_get_function_result(f.oid) END ||
		   E'\n  LANGUAGE ' || quote_ident(l.lanname) ||
		   CASE WHEN p.prokind = 'p' THEN ''
				ELSE CASE p.provolatile WHEN 'i' THEN ' IMMUTABLE'
						 WHEN 's' THEN ' STABLE' ELSE ' VOLATILE' END ||
					 CASE WHEN p.proisstrict THEN ' STRICT'
						  ELSE ' CALLED ON NULL INPUT' END END ||
		   CASE WHEN p.prosecdef THEN ' SECURITY DEFINER' ELSE ' SECURITY INVOKER' END ||
		   CASE WHEN p.prokind = 'p' THEN ''
				ELSE ' PARALLEL ' || CASE p.proparallel WHEN 's' THEN 'SAFE'
										   WHEN 'r' THEN 'RESTRICTED'
										   ELSE 'UNSAFE' END END ||
		   CASE WHEN p.proleakproof THEN ' LEAKPROOF' ELSE '' END ||
		   CASE WHEN p.proretset THEN ' ROWS ' || p.prorows::text ELSE '' END ||
		   coalesce((SELECT string_agg(E'\n  SET ' || c, '' ORDER BY c)
					   FROM unnest(p.proconfig) c), '') ||
		   CASE WHEN l.lanname = 'c'
				THEN E'\n  AS ' || quote_literal(p.probin) || ', ' || quote_literal(p.prosrc)
				ELSE '' END ||
		   E'\n```' ||
		   coalesce(E'\n\n' || obj_description(f.oid, 'pg_proc'), '') ||
		   E'\n\nEXECUTE: ' ||
		   coalesce((SELECT string_agg(h.who, ', ' ORDER BY h.ord, h.who COLLATE "C")
					   FROM holder h
					  WHERE h.classid = 'pg_proc'::regclass AND h.objid = f.oid
						AND (h.privs = 'ALL' OR h.privs LIKE '%EXECUTE%')), 'nobody') || '.' ||
		   coalesce(' ' || (SELECT o.text FROM owner_note o
							 WHERE o.classid = 'pg_proc'::regclass AND o.objid = f.oid), '')
	  FROM func f
	  JOIN pg_proc p ON p.oid = f.oid
	  JOIN pg_namespace n ON n.oid = p.pronamespace
	  JOIN pg_language l ON l.oid = p.prolang),
-- columns of a composite type or a table, as a Markdown table
col (relid, attnum, cells) AS (
	SELECT a.attrelid, a.attnum,
		   '| ' || quote_ident(a.attname) || ' | ' || format_type(a.atttypid, a.atttypmod) ||
		   CASE WHEN c.relkind = 'c' THEN ' |'
				ELSE ' | ' || CASE WHEN a.attnotnull THEN 'not null' ELSE '' END ||
					 ' | ' || CASE a.attidentity
								  WHEN 'a' THEN 'generated always as identity'
								  WHEN 'd' THEN 'generated by default as identity'
								  ELSE CASE WHEN a.attgenerated = 's'
											THEN 'generated always as (' ||
												 pg_get_expr(ad.adbin, ad.adrelid) || ') stored'
											ELSE replace(coalesce(pg_get_expr(ad.adbin, ad.adrelid), ''),
														 '|', '\|') END
							  END ||
					 ' | ' || replace(coalesce(col_description(a.attrelid, a.attnum), ''), '|', '\|') ||
					 ' |'
		   END
	  FROM pg_attribute a
	  JOIN pg_class c ON c.oid = a.attrelid
	  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	 WHERE a.attnum > 0 AND NOT a.attisdropped),
type_block (sig, body) AS (
	SELECT format_type(t.oid, NULL),
		   '### ' || format_type(t.oid, NULL) ||
		   coalesce(E'\n\n' || obj_description(t.oid, 'pg_type'), '') ||
		   CASE WHEN t.typtype = 'c'
				THEN E'\n\nComposite type.\n\n| column | type |\n|---|---|\n' ||
					 (SELECT string_agg(c.cells, E'\n' ORDER BY c.attnum)
						FROM col c WHERE c.relid = t.typrelid)
				WHEN t.typtype = 'e'
				THEN E'\n\nEnum: ' ||
					 (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
						FROM pg_enum e WHERE e.enumtypid = t.oid) || '.'
				WHEN t.typtype = 'd'
				THEN E'\n\nDomain over ' || format_type(t.typbasetype, t.typtypmod) || '.'
				ELSE E'\n\n' || pg_describe_object('pg_type'::regclass, t.oid, 0) || '.'
		   END ||
		   coalesce(E'\n\n' || (SELECT o.text FROM owner_note o
								 WHERE o.classid = 'pg_type'::regclass AND o.objid = t.oid), '')
	  FROM pg_type t
	  JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid),
rel_block (sec, sig, body) AS (
	SELECT CASE WHEN c.relkind = 'S' THEN 12 ELSE 11 END,
		   c.oid::regclass::text,
		   '### ' || c.oid::regclass::text ||
		   coalesce(E'\n\n' || obj_description(c.oid, 'pg_class'), '') ||
		   CASE c.relkind
				WHEN 'S' THEN
					coalesce((SELECT E'\n\nIdentity of ' || r.oid::regclass::text || '.' ||
									 quote_ident(a.attname) || '.'
								FROM pg_depend d
								JOIN pg_class r ON r.oid = d.refobjid
								JOIN pg_attribute a ON a.attrelid = d.refobjid
									 AND a.attnum = d.refobjsubid
							   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
								 AND d.refclassid = 'pg_class'::regclass
								 AND d.deptype IN ('a', 'i')), '')
				ELSE
					E'\n\n' ||
					CASE c.relkind WHEN 'r' THEN 'Table' WHEN 'p' THEN 'Partitioned table'
						 WHEN 'v' THEN 'View' WHEN 'm' THEN 'Materialized view'
						 WHEN 'f' THEN 'Foreign table' ELSE 'Relation' END ||
					E'.\n\n| column | type | nullable | default | comment |\n|---|---|---|---|---|\n' ||
					(SELECT string_agg(l.cells, E'\n' ORDER BY l.attnum)
					   FROM col l WHERE l.relid = c.oid) ||
					coalesce(E'\n\nConstraints:\n\n' ||
							 (SELECT string_agg('- `' || quote_ident(k.conname) || '` ' ||
												pg_get_constraintdef(k.oid),
												E'\n' ORDER BY k.conname COLLATE "C")
								FROM pg_constraint k WHERE k.conrelid = c.oid), '') ||
					coalesce(E'\n\nOther indexes:\n\n' ||
							 (SELECT string_agg('- `' || pg_get_indexdef(i.indexrelid) || '`',
												E'\n' ORDER BY i.indexrelid::regclass::text COLLATE "C")
								FROM pg_index i
							   WHERE i.indrelid = c.oid
								 AND NOT EXISTS (SELECT FROM pg_constraint k
												  WHERE k.conindid = i.indexrelid
													AND k.conrelid = c.oid)), '') ||
					CASE WHEN c.relkind = 'v'
						 THEN E'\n\n```sql\n' || pg_get_viewdef(c.oid, true) || E'\n```'
						 ELSE '' END
		   END ||
		   E'\n\nPrivileges: ' ||
		   coalesce((SELECT p.text FROM privileges p
					  WHERE p.classid = 'pg_class'::regclass AND p.objid = c.oid), 'none') || '.' ||
		   CASE WHEN c.oid = ANY ((SELECT e.extconfig FROM ext e)::oid[])
				THEN ' Its rows are dumped by pg_dump (`pg_extension_config_dump`).'
				ELSE '' END ||
		   coalesce(' ' || (SELECT o.text FROM owner_note o
							 WHERE o.classid = 'pg_class'::regclass AND o.objid = c.oid), '')
	  FROM pg_class c
	  JOIN member m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
	 WHERE c.relkind <> 'c'),
setting_block (body) AS (
	SELECT E'| setting | type | context | default | unit | range | description |\n' ||
		   E'|---|---|---|---|---|---|---|\n' ||
		   string_agg('| `' || s.name || '` | ' || s.vartype || ' | ' || s.context ||
					  ' | ' || coalesce(s.boot_val, '') || ' | ' || coalesce(s.unit, '') ||
					  ' | ' || CASE WHEN s.enumvals IS NOT NULL
									THEN array_to_string(s.enumvals, ', ')
									WHEN s.min_val IS NOT NULL
									THEN s.min_val || ' .. ' || s.max_val
									ELSE '' END ||
					  ' | ' || coalesce(s.short_desc, '') || ' |',
					  E'\n' ORDER BY s.name COLLATE "C")
	  FROM pg_settings s
	 WHERE s.name LIKE 'pgmq\_c.%'
	HAVING count(*) > 0),
other_block (sig, body) AS (
	SELECT pg_describe_object(m.classid, m.objid, 0),
		   '- ' || pg_describe_object(m.classid, m.objid, 0)
	  FROM member m
	 WHERE m.classid NOT IN ('pg_proc'::regclass, 'pg_type'::regclass,
							 'pg_class'::regclass, 'pg_namespace'::regclass)),
block (sec, pos, sig, body) AS (
	SELECT f.sec, f.pos, f.sig, f.body FROM func_block f
	UNION ALL
	SELECT 10, 0, t.sig, t.body FROM type_block t
	UNION ALL
	SELECT r.sec, 0, r.sig, r.body FROM rel_block r
	UNION ALL
	SELECT 13, 0, '', s.body FROM setting_block s
	UNION ALL
	SELECT 14, 0, o.sig, o.body FROM other_block o),
used_section AS (
	SELECT s.sec, s.title
	  FROM section s
	 WHERE EXISTS (SELECT FROM block b WHERE b.sec = s.sec)),
head (body) AS (
	SELECT '# pgmq_c ' || ext.extversion || E' API reference\n\n' ||
		   E'Every object of the extension as `CREATE EXTENSION pgmq_c` installs it,\n' ||
		   E'read from the catalog with the library in `shared_preload_libraries`.\n' ||
		   E'Generated by `scripts/api-reference.sh` from `scripts/api-reference.sql`;\n' ||
		   E'the regression test `api` prints the same text and fails when this file\n' ||
		   E'or the catalog differs from it, so do not edit it by hand. The README\'s\n' ||
		   E'[API reference](../README.md#api-reference) explains what each function does.\n\n' ||
		   E'"extension owner" is the role that ran `CREATE EXTENSION`; `PUBLIC` is every\n' ||
		   E'role. Superusers may call every function.\n\n' ||
		   'Schema `pgmq_c`. Privileges: ' ||
		   coalesce((SELECT p.text FROM privileges p, pg_namespace n
					  WHERE p.classid = 'pg_namespace'::regclass AND p.objid = n.oid
						AND n.nspname = 'pgmq_c'), 'none') || '.' ||
		   E'\n\n## Contents\n\n' ||
		   (SELECT string_agg('- [' || u.title || '](#' ||
							  replace(lower(u.title), ' ', '-') || ')', E'\n' ORDER BY u.sec)
			  FROM used_section u)
	  FROM ext)
SELECT string_agg(x.body, E'\n\n' ORDER BY x.sec, x.pos, x.sig COLLATE "C", x.part)
	   AS api
  FROM (SELECT 0 AS sec, 0 AS pos, '' AS sig, 0 AS part, h.body FROM head h
		UNION ALL
		SELECT u.sec, -1, '', 0, '## ' || u.title FROM used_section u
		UNION ALL
		SELECT b.sec, b.pos, b.sig, 1, b.body FROM block b) x
\gset
