-- cleanup: DROP EXTENSION refuses while queues exist; CASCADE removes them all
SELECT pgmq_c.create_queue('last');
SELECT pgmq_c.send('last', '{}') > 0 AS sent;
\set VERBOSITY terse
DROP EXTENSION pgmq_c;
\set VERBOSITY default
SET client_min_messages = warning;
DROP EXTENSION pgmq_c CASCADE;
RESET client_min_messages;
SELECT count(*) AS leftover FROM pg_namespace WHERE nspname = 'pgmq_c';
-- and it can be installed again
CREATE EXTENSION pgmq_c;
SELECT count(*) FROM pgmq_c.list_queues();
DROP EXTENSION pgmq_c;
-- the tests' helpers (setup.sql)
SET client_min_messages = warning;
DROP SCHEMA pgmqc_test CASCADE;
RESET client_min_messages;
