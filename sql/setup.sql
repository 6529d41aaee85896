-- setup: install the extension and check what it creates
CREATE EXTENSION pgmq_c;

-- every function of the API, with its arguments
SELECT p.oid::regprocedure AS function, pg_get_function_result(p.oid) AS returns
  FROM pg_proc p
 WHERE p.pronamespace = 'pgmq_c'::regnamespace
 ORDER BY p.oid::regprocedure::text COLLATE "C";

-- the composite type returned by read, pop and set_vt
SELECT attname, format_type(atttypid, atttypmod)
  FROM pg_attribute
 WHERE attrelid = 'pgmq_c.message'::regclass AND attnum > 0
 ORDER BY attnum;

-- nothing of the API runs as its owner
SELECT count(*) AS security_definer_functions
  FROM pg_proc
 WHERE pronamespace = 'pgmq_c'::regnamespace AND prosecdef;

-- the tests' own helpers, in a schema of their own (cleanup.sql drops it)
CREATE SCHEMA pgmqc_test;
GRANT USAGE ON SCHEMA pgmqc_test TO PUBLIC;
-- 'ok', or the SQLSTATE and message of the error the statement raised, with
-- object ids masked (q_12 -> q_N); written with qualified operators only,
-- since security_exploit runs it under hostile search_paths
CREATE FUNCTION pgmqc_test.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE sql;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||)
		pg_catalog.regexp_replace(SQLERRM, '_[0-9]+', '_N', 'g');
END $$;
-- 'ok', or the SQLSTATE alone
CREATE FUNCTION pgmqc_test.sqlstate(sql text) RETURNS text LANGUAGE sql
	AS $$SELECT pg_catalog.split_part(pgmqc_test.try(sql), ':', 1)$$;
