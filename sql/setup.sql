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
