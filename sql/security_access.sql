-- security_access: who may call what (README "Privileges").
--
-- 1. A truth table: roles x every function of the API, each cell 'ok' or the
--    SQLSTATE of the refusal.
-- 2. The refusal message, once for a queue and once for a topic.
-- 3. list_queues and list_topics show only the queues and topics on which
--    the caller holds some privilege, metrics_all those it may monitor.
-- 4. grant_access, revoke_access and list_access: granting twice, merging,
--    revoking, the owner's implicit privileges, role membership, bad input.
--
-- Roles are cluster-wide: all are named regress_pgmqc_* and dropped at the end.

CREATE ROLE regress_pgmqc_owner;                -- creates the queues and topics
CREATE ROLE regress_pgmqc_send;
CREATE ROLE regress_pgmqc_consume;
CREATE ROLE regress_pgmqc_monitor;
CREATE ROLE regress_pgmqc_admin;
CREATE ROLE regress_pgmqc_consumers;            -- a group role, granted consume
CREATE ROLE regress_pgmqc_member IN ROLE regress_pgmqc_consumers;
CREATE ROLE regress_pgmqc_noinherit NOINHERIT IN ROLE regress_pgmqc_consumers;
CREATE ROLE regress_pgmqc_nobody;               -- holds no grant of its own
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue,
	pgmq_c.create_topic TO regress_pgmqc_owner;

-- a scratch schema every role may use
CREATE SCHEMA regress_sec;
GRANT USAGE ON SCHEMA regress_sec TO PUBLIC;

-- One queue and one topic (with group g and 4 messages each) per column of
-- the table, all created by regress_pgmqc_owner, so that each column's
-- destructive calls (purge, drop) touch only its own.
SET ROLE regress_pgmqc_owner;
DO $$
DECLARE
	c	text;
BEGIN
	FOREACH c IN ARRAY ARRAY['owner', 'send', 'consume', 'monitor', 'admin',
							 'member', 'noinherit', 'public', 'none', 'super']
	LOOP
		PERFORM pgmq_c.create_queue('sec_q_' || c);
		PERFORM pgmq_c.create_topic('sec_t_' || c);
		PERFORM pgmq_c.create_group('sec_t_' || c, 'g', 'earliest');
		PERFORM pgmq_c.send_batch('sec_q_' || c, array_fill('{"m": 1}'::jsonb, ARRAY[4]));
		PERFORM pgmq_c.send_batch('sec_t_' || c, array_fill('{"m": 1}'::jsonb, ARRAY[4]));
	END LOOP;
END $$;
-- the owner grants: each single privilege, consume to a group role (whose
-- members are regress_pgmqc_member, and regress_pgmqc_noinherit which does
-- not inherit), and send + consume to PUBLIC
SELECT k || c AS queue, r AS role_name, p AS privileges, pgmq_c.grant_access(k || c, r, p)
  FROM (VALUES ('send', 'regress_pgmqc_send', '{send}'::text[]),
			   ('consume', 'regress_pgmqc_consume', '{consume}'),
			   ('monitor', 'regress_pgmqc_monitor', '{monitor}'),
			   ('admin', 'regress_pgmqc_admin', '{admin}'),
			   ('member', 'regress_pgmqc_consumers', '{consume}'),
			   ('noinherit', 'regress_pgmqc_consumers', '{consume}'),
			   ('public', 'public', '{send,consume}')) AS v(c, r, p),
	   (VALUES ('sec_q_'), ('sec_t_')) AS k(k)
 ORDER BY 1;
RESET ROLE;

--
-- 1. The truth table.  Columns: the role that calls (on its column's queue
-- q and topic t):
--   owner     regress_pgmqc_owner, which created them
--   send .. admin   a role granted that single privilege
--   member    a member of a role granted consume
--   noinherit a NOINHERIT member of that role (gets nothing through it)
--   public    regress_pgmqc_nobody, on a queue granted send+consume to PUBLIC
--   none      regress_pgmqc_nobody, on a queue with no grant
--   super     the superuser running the test
-- Rows run top to bottom, each in its own subtransaction.
--
CREATE TABLE regress_sec.cells (ord integer, fn text, col text, cell text);
DO $$
DECLARE
	cols	text[] := ARRAY['owner', 'send', 'consume', 'monitor', 'admin',
							'member', 'noinherit', 'public', 'none', 'super'];
	roles	text[] := ARRAY['regress_pgmqc_owner', 'regress_pgmqc_send',
							'regress_pgmqc_consume', 'regress_pgmqc_monitor',
							'regress_pgmqc_admin', 'regress_pgmqc_member',
							'regress_pgmqc_noinherit', 'regress_pgmqc_nobody',
							'regress_pgmqc_nobody', NULL];
	-- %1$L: the column's queue, %2$L: its topic, %3$L: the column's name
	calls	text[] := ARRAY[
		'create_queue',			'SELECT pgmq_c.create_queue(''sec_new_q_'' || %3$L)',
		'create_topic',			'SELECT pgmq_c.create_topic(''sec_new_t_'' || %3$L)',
		'status',				'SELECT * FROM pgmq_c.status()',
		'list_queues',			'SELECT * FROM pgmq_c.list_queues()',
		'list_topics',			'SELECT * FROM pgmq_c.list_topics()',
		'metrics_all',			'SELECT * FROM pgmq_c.metrics_all()',
		'metrics (queue)',		'SELECT * FROM pgmq_c.metrics(%1$L)',
		'metrics (topic)',		'SELECT * FROM pgmq_c.metrics(%2$L)',
		'list_groups',			'SELECT * FROM pgmq_c.list_groups(%2$L)',
		'list_access (queue)',	'SELECT * FROM pgmq_c.list_access(%1$L)',
		'list_access (topic)',	'SELECT * FROM pgmq_c.list_access(%2$L)',
		'send (queue)',			'SELECT pgmq_c.send(%1$L, ''{"s": 1}'')',
		'send (topic)',			'SELECT pgmq_c.send(%2$L, ''{"s": 1}'')',
		'send_batch (queue)',	'SELECT pgmq_c.send_batch(%1$L, ARRAY[''{"s": 2}'']::jsonb[])',
		'send_batch (topic)',	'SELECT pgmq_c.send_batch(%2$L, ARRAY[''{"s": 2}'']::jsonb[])',
		'read',					'SELECT * FROM pgmq_c.read(%1$L, ''1 hour'', 1)',
		'pop',					'SELECT * FROM pgmq_c.pop(%1$L)',
		'CALL receive',			'CALL pgmq_c.receive(%1$L, ''1 hour'', 1, ''0'', NULL)',
		'delete (id)',			'SELECT pgmq_c.delete(%1$L, 1::bigint)',
		'delete (ids)',			'SELECT pgmq_c.delete(%1$L, ARRAY[1, 2]::bigint[])',
		'archive (id)',			'SELECT pgmq_c.archive(%1$L, 3::bigint)',
		'archive (ids)',		'SELECT pgmq_c.archive(%1$L, ARRAY[3, 4]::bigint[])',
		'delete (no ids)',		'SELECT pgmq_c.delete(%1$L, ''{}''::bigint[])',
		'archive (no ids)',		'SELECT pgmq_c.archive(%1$L, ''{}''::bigint[])',
		'set_vt (queue)',		'SELECT * FROM pgmq_c.set_vt(%1$L, 4::bigint, ''0'')',
		'nack (queue)',			'SELECT pgmq_c.nack(%1$L, 5::bigint)',
		'redrive',				'SELECT pgmq_c.redrive(%1$L)',
		'read_archive',			'SELECT * FROM pgmq_c.read_archive(%1$L)',
		'read_group',			'SELECT * FROM pgmq_c.read_group(%2$L, ''g'', ''1 hour'', 1)',
		'CALL receive_group',	'CALL pgmq_c.receive_group(%2$L, ''g'', ''1 hour'', 1, ''0'', NULL)',
		'set_vt (group)',		'SELECT * FROM pgmq_c.set_vt(%2$L, ''g'', 1::bigint, ''0'')',
		'ack (id)',				'SELECT pgmq_c.ack(%2$L, ''g'', 1::bigint)',
		'ack (ids)',			'SELECT pgmq_c.ack(%2$L, ''g'', ARRAY[1, 2]::bigint[])',
		'ack (receipt)',		'SELECT pgmq_c.ack(%2$L, ''g'', 1::bigint, 1)',
		'nack',					'SELECT pgmq_c.nack(%2$L, ''g'', 3::bigint)',
		'seek (msg_id)',		'SELECT pgmq_c.seek(%2$L, ''g'', 1::bigint)',
		'seek (time)',			'SELECT pgmq_c.seek(%2$L, ''g'', now())',
		'enable_notify',		'SELECT pgmq_c.enable_notify(%1$L)',
		'disable_notify',		'SELECT pgmq_c.disable_notify(%1$L)',
		'create_group',			'SELECT pgmq_c.create_group(%2$L, ''g2'')',
		'drop_group',			'SELECT pgmq_c.drop_group(%2$L, ''g2'')',
		'grant_access',			'SELECT pgmq_c.grant_access(%1$L, ''regress_pgmqc_nobody'', ''{monitor}'')',
		'revoke_access',		'SELECT pgmq_c.revoke_access(%1$L, ''regress_pgmqc_nobody'', ''{monitor}'')',
		'alter_queue',			'SELECT pgmq_c.alter_queue(%1$L, ''31 seconds'')',
		'alter_group',			'SELECT pgmq_c.alter_group(%2$L, ''g'', ''31 seconds'')',
		'purge_queue',			'SELECT pgmq_c.purge_queue(%1$L)',
		'maintain_topics',		'SELECT pgmq_c.maintain_topics()',
		'drop_queue',			'SELECT pgmq_c.drop_queue(%1$L)',
		'drop_topic',			'SELECT pgmq_c.drop_topic(%2$L)'];
	cells	text[] := '{}';
	cell	text;
	i		integer;
	j		integer;
BEGIN
	FOR i IN 1 .. array_length(calls, 1) / 2
	LOOP
		FOR j IN 1 .. array_length(cols, 1)
		LOOP
			IF roles[j] IS NULL THEN
				RESET ROLE;
			ELSE
				EXECUTE format('SET ROLE %I', roles[j]);
			END IF;
			BEGIN
				EXECUTE format(calls[2 * i], 'sec_q_' || cols[j], 'sec_t_' || cols[j], cols[j]);
				cell := 'ok';
			EXCEPTION WHEN OTHERS THEN
				cell := SQLSTATE;
			END;
			RESET ROLE;
			cells := cells || ARRAY[i::text, calls[2 * i - 1], cols[j], cell];
		END LOOP;
	END LOOP;
	INSERT INTO regress_sec.cells
		SELECT cells[4 * k - 3]::integer, cells[4 * k - 2], cells[4 * k - 1], cells[4 * k]
		  FROM generate_series(1, array_length(cells, 1) / 4) AS k;
END $$;

SELECT fn AS function,
	   max(cell) FILTER (WHERE col = 'owner') AS owner,
	   max(cell) FILTER (WHERE col = 'send') AS send,
	   max(cell) FILTER (WHERE col = 'consume') AS consume,
	   max(cell) FILTER (WHERE col = 'monitor') AS monitor,
	   max(cell) FILTER (WHERE col = 'admin') AS admin,
	   max(cell) FILTER (WHERE col = 'member') AS member,
	   max(cell) FILTER (WHERE col = 'noinherit') AS noinherit,
	   max(cell) FILTER (WHERE col = 'public') AS public,
	   max(cell) FILTER (WHERE col = 'none') AS none,
	   max(cell) FILTER (WHERE col = 'super') AS super
  FROM regress_sec.cells
 GROUP BY ord, fn
 ORDER BY ord;

-- every cell is 'ok' or 42501: no other error hides a missing check
SELECT count(*) AS cells, count(*) FILTER (WHERE cell = 'ok') AS allowed,
	   count(*) FILTER (WHERE cell = '42501') AS refused
  FROM regress_sec.cells;

-- the destructive calls did what they say where they were allowed
SELECT queue_name FROM pgmq_c.list_queues()
 WHERE queue_name LIKE 'sec\_%' ORDER BY queue_name COLLATE "C";
SELECT topic_name FROM pgmq_c.list_topics()
 WHERE topic_name LIKE 'sec\_%' ORDER BY topic_name COLLATE "C";

--
-- 2. A refusal names the queue (or topic) and the missing privilege.
--
SET ROLE regress_pgmqc_nobody;
SELECT * FROM pgmq_c.read('sec_q_none', '1 hour', 1);
SELECT pgmq_c.send('sec_t_none', '{"no": 1}');
SELECT * FROM pgmq_c.list_groups('sec_t_none');
SELECT pgmq_c.drop_topic('sec_t_public');     -- PUBLIC holds send+consume only
RESET ROLE;
-- without EXECUTE, creating is refused by PostgreSQL itself
SET ROLE regress_pgmqc_admin;
SELECT pgmq_c.create_queue('sec_not_allowed');
SELECT pgmq_c.maintain_topics();
RESET ROLE;

--
-- 3. The list functions show what the caller holds some privilege on;
-- metrics_all() what it may monitor, as metrics() requires.
--
CREATE FUNCTION regress_sec.visible() RETURNS TABLE (kind text, name text, owner text)
LANGUAGE sql AS $$
	SELECT * FROM (
		SELECT 'queue', queue_name, owner FROM pgmq_c.list_queues() WHERE queue_name LIKE 'sec\_%'
		UNION ALL
		SELECT 'topic', topic_name, owner FROM pgmq_c.list_topics() WHERE topic_name LIKE 'sec\_%'
		UNION ALL
		SELECT 'metrics (' || kind || ')', queue_name, NULL FROM pgmq_c.metrics_all() WHERE queue_name LIKE 'sec\_%'
	) AS v (k, n, o)
	ORDER BY k, n COLLATE "C"
$$;
SET ROLE regress_pgmqc_send;
SELECT * FROM regress_sec.visible();
SET ROLE regress_pgmqc_member;
SELECT * FROM regress_sec.visible();
SET ROLE regress_pgmqc_noinherit;               -- PUBLIC's only
SELECT * FROM regress_sec.visible();
SET ROLE regress_pgmqc_monitor;
SELECT * FROM regress_sec.visible();
SET ROLE regress_pgmqc_owner;
SELECT * FROM regress_sec.visible();
RESET ROLE;
-- a superuser sees everything, including queues it holds no grant on
SELECT kind, name, CASE WHEN owner = session_user THEN '(the superuser)' ELSE owner END AS owner
  FROM regress_sec.visible();

--
-- 4. grant_access, revoke_access, list_access.
--
SET ROLE regress_pgmqc_owner;
SELECT * FROM pgmq_c.list_access('sec_q_none');          -- the owner alone
SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_nobody', '{send}');
SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_nobody', '{send}');  -- twice: no-op
SELECT * FROM pgmq_c.list_access('sec_q_none');
-- privileges add up; 'public' is PUBLIC (in lower case only: 'PUBLIC' is a
-- role of that name, sql/bad_input.sql); 'all' is the four
SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_nobody', '{monitor, consume}');
SELECT pgmq_c.grant_access('sec_q_none', 'public', '{all}');
SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_admin', '{admin, send, admin}');
SELECT * FROM pgmq_c.list_access('sec_q_none');
-- the grantee uses them at once (same backend: the cache is invalidated)
SET ROLE regress_pgmqc_nobody;
SELECT count(*) AS read FROM pgmq_c.read('sec_q_none', '0', 10);
SELECT queue_length > 0 AS has_messages FROM pgmq_c.metrics('sec_q_none');
SELECT * FROM pgmq_c.list_access('sec_q_none');          -- any privilege shows it
SET ROLE regress_pgmqc_owner;
-- revoke some, then PUBLIC's row entirely; revoking what is not held is a no-op
SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_nobody', '{consume}');
SELECT pgmq_c.revoke_access('sec_q_none', 'public', '{all}');
SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_consume', '{all}');
SELECT * FROM pgmq_c.list_access('sec_q_none');
SET ROLE regress_pgmqc_nobody;
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('sec_q_none', '0', 10)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_q_none', '{"still": "sends"}')$$);
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_nobody', '{all}');
SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_admin', '{admin}');
SELECT * FROM pgmq_c.list_access('sec_q_none');
SET ROLE regress_pgmqc_nobody;
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_q_none', '{"no": "more"}')$$);
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.list_access('sec_q_none')$$);

-- the owner cannot lose its privileges, not even by revoking them itself
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_owner', '{all}');
SELECT * FROM pgmq_c.list_access('sec_q_none');
SELECT count(*) AS owner_reads FROM pgmq_c.read('sec_q_none', '0', 10);
-- nor through an admin: an admin grantee cannot take the owner's away either
SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_admin', '{admin}');
SET ROLE regress_pgmqc_admin;
SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_owner', '{all}');
-- an admin grantee may grant and revoke on the queue
SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_nobody', '{send}');
SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_nobody', '{send}');
SET ROLE regress_pgmqc_owner;
SELECT queue_name AS owner_monitors FROM pgmq_c.metrics('sec_q_none');
SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_admin', '{all}');
SELECT * FROM pgmq_c.list_access('sec_q_none');
RESET ROLE;

-- members of the owner role hold everything, as the owner does
CREATE ROLE regress_pgmqc_owner_member IN ROLE regress_pgmqc_owner;
SET ROLE regress_pgmqc_owner_member;
SELECT pgmqc_test.try($$SELECT pgmq_c.purge_queue('sec_q_none')$$);
RESET ROLE;

-- membership counts while it lasts: revoking the role membership ends it
SET ROLE regress_pgmqc_member;
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('sec_q_member', '0', 1)$$);
RESET ROLE;
REVOKE regress_pgmqc_consumers FROM regress_pgmqc_member;
SET ROLE regress_pgmqc_member;
SELECT pgmqc_test.try($$SELECT * FROM pgmq_c.read('sec_q_member', '0', 1)$$);
RESET ROLE;

-- grants die with their queue: a queue created again under the same name
-- starts with the owner alone
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.create_queue('sec_again');
SELECT pgmq_c.grant_access('sec_again', 'regress_pgmqc_nobody', '{all}');
SELECT pgmq_c.drop_queue('sec_again');
SELECT pgmq_c.create_queue('sec_again');
SELECT * FROM pgmq_c.list_access('sec_again');
SET ROLE regress_pgmqc_nobody;
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_again', '{"a": 1}')$$);
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.drop_queue('sec_again');
RESET ROLE;

-- bad input
SET ROLE regress_pgmqc_owner;
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access(NULL, 'regress_pgmqc_nobody', '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_q_none', NULL, '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_nobody', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_nobody', '{send,NULL}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_no_such_role', '{send}')$$);
-- the role name is taken literally, not as an identifier
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_q_none', '"regress_pgmqc_nobody"', '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_q_none', 'REGRESS_PGMQC_NOBODY', '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_nobody', '{write}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_nobody', '{send, superuser}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_q_none', 'regress_pgmqc_nobody', '{}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('sec_no_such_queue', 'regress_pgmqc_nobody', '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.grant_access('bad name', 'regress_pgmqc_nobody', '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access(NULL, 'regress_pgmqc_nobody', '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access('sec_q_none', NULL, '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_nobody', NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_nobody', '{NULL}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_no_such_role', '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_nobody', '{write}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access('sec_q_none', 'regress_pgmqc_nobody', '{}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.revoke_access('sec_no_such_queue', 'regress_pgmqc_nobody', '{send}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.list_access(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.list_access('sec_no_such_queue')$$);
-- nothing of that changed the grants
SELECT * FROM pgmq_c.list_access('sec_q_none');
RESET ROLE;

-- retry policies.  Naming a dead-letter queue needs the send privilege on
-- it (a policy moves messages into it), besides admin on the source.
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.create_queue(q) FROM unnest(ARRAY['sec_retry_src', 'sec_retry_open', 'sec_retry_closed', 'sec_dlq']) q;
SELECT pgmq_c.create_topic('sec_retry_t');
SELECT pgmq_c.create_group('sec_retry_t', 'g');
SELECT pgmq_c.grant_access('sec_retry_src', 'regress_pgmqc_admin', '{admin}');
SELECT pgmq_c.grant_access('sec_retry_t', 'regress_pgmqc_admin', '{admin}');
SELECT pgmq_c.grant_access('sec_retry_open', 'public', '{send}');
SET ROLE regress_pgmqc_admin;
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('sec_retry_src', dead_letter_queue => 'sec_retry_closed')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('sec_retry_t', 'g', max_deliveries => 2, dead_letter_queue => 'sec_retry_closed')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_group('sec_retry_t', 'g_retry', max_deliveries => 1, dead_letter_queue => 'sec_retry_closed')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('sec_retry_closed', max_deliveries => 2)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('sec_retry_src', max_deliveries => 2, dead_letter_queue => 'sec_retry_open')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_group('sec_retry_t', 'g', max_deliveries => 2, dead_letter_queue => 'sec_retry_open')$$);
RESET ROLE;
SELECT queue_name, max_deliveries, dead_letter_queue FROM pgmq_c.list_queues()
 WHERE queue_name LIKE 'sec\_retry\_%' ORDER BY 1;
SELECT group_name, max_deliveries, dead_letter_queue FROM pgmq_c.list_groups('sec_retry_t');
-- redrive needs consume on the dead-letter queue and send where messages
-- go.  A dead letter whose origin (as its headers say) the caller may not
-- send to stays, and a NOTICE counts it.
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.grant_access('sec_dlq', 'regress_pgmqc_consume', '{consume}');
SELECT pgmq_c.send('sec_dlq', '{"dead": 1}', '{"pgmq_c_dead_letter": {"queue": "sec_retry_closed", "msg_id": 1}}') > 0 AS sent;
SET ROLE regress_pgmqc_consume;
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('sec_dlq', 'sec_retry_closed')$$);
SELECT pgmq_c.redrive('sec_dlq') AS moved_by_consumer;
SET ROLE regress_pgmqc_nobody;
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('sec_dlq')$$);
RESET ROLE;
SELECT message FROM pgmq_c.read('sec_dlq', '0', 5);
SELECT pgmq_c.redrive('sec_dlq') AS moved_by_superuser;
SELECT message, headers FROM pgmq_c.read('sec_retry_closed', '1 hour', 5);
-- Headers that name a dead letter's origin.  A role that may send to the
-- dead-letter queue but not to the origin cannot forge one: the owner's
-- redrive would otherwise put its message into a queue it may not send to
-- (or make a group read a message again).  Nothing is stored; an origin
-- the sender could write to itself, and names that are no origin, pass.
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.grant_access('sec_dlq', 'regress_pgmqc_send', '{send}');
SET ROLE regress_pgmqc_send;
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_dlq', '{"pay_to": "attacker"}',
	'{"pgmq_c_dead_letter": {"queue": "sec_retry_closed", "msg_id": 1, "read_ct": 3}}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send_batch('sec_dlq', ARRAY['{"n": 1}', '{"n": 2}']::jsonb[],
	ARRAY[NULL, '{"pgmq_c_dead_letter": {"queue": "sec_retry_closed"}}']::jsonb[])$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_dlq', '{}',
	'{"pgmq_c_dead_letter": {"topic": "sec_retry_t", "group": "g", "msg_id": 1}}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_dlq', '{}',
	'{"pgmq_c_dead_letter": {"queue": "sec_not_made_yet"}}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_dlq', '{}',
	'{"pgmq_c_dead_letter": {"topic": "sec_retry_t", "group": "no_such_group"}}')$$);
-- nor under "previous", where a dead letter dead-lettered again keeps its
-- earlier origin and which a redrive to the outer origin puts back: an
-- outer origin it may send to does not let an inner one through, however
-- deep (before, only the outer one was checked: review h46)
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_dlq', '{"pay_to": "attacker"}',
	'{"pgmq_c_dead_letter": {"queue": "sec_retry_open", "msg_id": 1,
	  "previous": {"queue": "sec_retry_closed", "msg_id": 1}}}')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_dlq', '{"replay": true}',
	'{"pgmq_c_dead_letter": {"queue": "sec_retry_open", "previous": {"queue": "sec_retry_open",
	  "previous": {"topic": "sec_retry_t", "group": "g", "msg_id": 1}}}}')$$);
-- a queue it may send to, and headers that name no origin a redrive uses
SELECT pgmq_c.send('sec_dlq', '{"own": 1}',
	'{"pgmq_c_dead_letter": {"queue": "sec_retry_open", "msg_id": 1}}') > 0 AS own_origin;
SELECT pgmq_c.send('sec_dlq', '{"own": 2}',
	'{"pgmq_c_dead_letter": {"queue": "not a name", "topic": "sec_retry_t"}}') > 0 AS no_origin;
SELECT pgmq_c.send('sec_dlq', '{"own": 3}', '{"pgmq_c_dead_letter": "sec_retry_closed"}') > 0 AS not_an_object;
RESET ROLE;
-- only the three messages the sender could send are there; the owner's
-- redrive moves one to sec_retry_open and leaves the other two
SELECT message FROM pgmq_c.read('sec_dlq', '0', 10);
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.redrive('sec_dlq') AS moved;
SELECT message FROM pgmq_c.read('sec_retry_open', '0', 10);
SELECT count(*) AS closed_untouched FROM pgmq_c.read('sec_retry_closed', '0', 10);
SELECT pgmq_c.purge_queue('sec_dlq') AS purged;
SELECT pgmq_c.purge_queue('sec_retry_open') AS purged;
SELECT pgmq_c.revoke_access('sec_dlq', 'regress_pgmqc_send', '{send}');
RESET ROLE;
-- a dead-letter queue in use is not dropped; cleared, it is
SELECT pgmqc_test.try($$SELECT pgmq_c.drop_queue('sec_retry_open')$$);
SELECT pgmq_c.alter_queue('sec_retry_src', max_deliveries => 0, dead_letter_queue => '');
SELECT pgmqc_test.try($$SELECT pgmq_c.drop_queue('sec_retry_open')$$);
SELECT pgmq_c.alter_group('sec_retry_t', 'g', max_deliveries => 0, dead_letter_queue => '');
SELECT pgmqc_test.try($$SELECT pgmq_c.drop_queue('sec_retry_open')$$);

-- Dead letters are sent on the source owner's behalf, so its send
-- privilege on the dead-letter queue is checked at every move, not only
-- when the queue is named: once it is revoked, a queue's dead letters go to
-- its own archive and a group's wait in the group; and the dead-letter
-- queue's owner may drop it (the sources forget it then).  While the
-- source's owner may still send, the drop is refused, without naming a
-- source the caller holds no privilege on.
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue, pgmq_c.create_topic TO regress_pgmqc_nobody;
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.create_queue('sec_inbox');
SELECT pgmq_c.create_queue('sec_inbox2');
SELECT pgmq_c.grant_access('sec_inbox', 'public', '{send}');
SELECT pgmq_c.grant_access('sec_inbox2', 'public', '{send}');
SET ROLE regress_pgmqc_nobody;
SELECT pgmq_c.create_queue('sec_att', max_deliveries => 1, dead_letter_queue => 'sec_inbox');
SELECT pgmq_c.create_queue('sec_att2', max_deliveries => 1, dead_letter_queue => 'sec_inbox2');
SELECT pgmq_c.create_topic('sec_att_t');
SELECT pgmq_c.create_group('sec_att_t', 'g', max_deliveries => 1, dead_letter_queue => 'sec_inbox');
SELECT pgmq_c.send('sec_att', '{"n": 1}') > 0 AS sent;
SELECT pgmq_c.nack('sec_att', msg_id) AS dead FROM pgmq_c.read('sec_att', '1 hour', 1);
SET ROLE regress_pgmqc_owner;
SELECT message, headers->'pgmq_c_dead_letter'->>'queue' AS origin
  FROM pgmq_c.read('sec_inbox', '0', 10);
SELECT pgmq_c.revoke_access('sec_inbox', 'public', '{send}');
SET ROLE regress_pgmqc_nobody;
SELECT pgmqc_test.try($$SELECT pgmq_c.send('sec_inbox', '{"forged": 1}')$$);
SELECT pgmq_c.send('sec_att', '{"forged": 2}') > 0 AS sent;
SELECT pgmq_c.nack('sec_att', msg_id) AS dead FROM pgmq_c.read('sec_att', '1 hour', 1);
SELECT message FROM pgmq_c.read_archive('sec_att');
SELECT pgmq_c.send('sec_att_t', '{"forged": 3}') > 0 AS sent;
SELECT pgmq_c.nack('sec_att_t', 'g', msg_id) AS dead FROM pgmq_c.read_group('sec_att_t', 'g', '1 hour', 1);
SELECT count(*) AS group_redelivers FROM pgmq_c.read_group('sec_att_t', 'g', '1 hour', 10);
-- the message marked dead and waiting in the group counts in the lag, not
-- as in flight
SELECT group_name, lag, in_flight FROM pgmq_c.list_groups('sec_att_t');
SET ROLE regress_pgmqc_owner;
SELECT message FROM pgmq_c.read('sec_inbox', '0', 10);
DO $$
DECLARE
	detail text;
BEGIN
	PERFORM pgmq_c.drop_queue('sec_inbox2');
EXCEPTION WHEN dependent_objects_still_exist THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RAISE NOTICE 'drop refused: %', detail;
END $$;
SELECT pgmq_c.drop_queue('sec_inbox') AS dropped_inbox;
SET ROLE regress_pgmqc_nobody;
SELECT queue_name, max_deliveries, dead_letter_queue FROM pgmq_c.list_queues()
 WHERE queue_name LIKE 'sec\_att%' ORDER BY 1;
SELECT group_name, max_deliveries, dead_letter_queue FROM pgmq_c.list_groups('sec_att_t');
-- the group's message that was marked dead and stayed is delivered again
SELECT message, read_ct FROM pgmq_c.read_group('sec_att_t', 'g', '1 hour', 10);
RESET ROLE;
-- a group's dead message that stayed while its owner could not send moves
-- to the dead-letter queue once it may again
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.create_queue('sec_inbox3');
SELECT pgmq_c.grant_access('sec_inbox3', 'public', '{send}');
SET ROLE regress_pgmqc_nobody;
SELECT pgmq_c.create_topic('sec_att_t3');
SELECT pgmq_c.create_group('sec_att_t3', 'g', 'earliest', max_deliveries => 1, dead_letter_queue => 'sec_inbox3');
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.revoke_access('sec_inbox3', 'public', '{send}');
SET ROLE regress_pgmqc_nobody;
SELECT pgmq_c.send('sec_att_t3', '{"stuck": 1}') > 0 AS sent;
SELECT pgmq_c.nack('sec_att_t3', 'g', msg_id) AS dead FROM pgmq_c.read_group('sec_att_t3', 'g', '1 hour', 1);
SET ROLE regress_pgmqc_owner;
SELECT count(*) AS in_inbox3 FROM pgmq_c.read('sec_inbox3', '0', 10);
SELECT pgmq_c.grant_access('sec_inbox3', 'public', '{send}');
SET ROLE regress_pgmqc_nobody;
-- a read of the group (or the worker's pass, within a second) moves it
SELECT count(*) AS delivered FROM pgmq_c.read_group('sec_att_t3', 'g', '1 hour', 10);
SET ROLE regress_pgmqc_owner;
DO $$
BEGIN
	FOR i IN 1..100 LOOP
		EXIT WHEN (SELECT queue_length FROM pgmq_c.metrics('sec_inbox3')) > 0;
		PERFORM pg_sleep(0.1);
	END LOOP;
END $$;
SELECT message, headers->'pgmq_c_dead_letter'->>'topic' AS topic
  FROM pgmq_c.read('sec_inbox3', '0', 10);
SET ROLE regress_pgmqc_nobody;
SELECT pgmq_c.drop_topic('sec_att_t3');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION pgmq_c.create_queue, pgmq_c.create_topic FROM regress_pgmqc_nobody;

-- a dead-letter queue's name is shown only to roles with a privilege on it:
-- list_queues() and list_groups() show NULL to the others
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.create_queue('sec_hidden_dlq');
SELECT pgmq_c.create_queue('sec_shown_src', max_deliveries => 3, dead_letter_queue => 'sec_hidden_dlq');
SELECT pgmq_c.create_topic('sec_shown_t');
SELECT pgmq_c.create_group('sec_shown_t', 'g', max_deliveries => 3, dead_letter_queue => 'sec_hidden_dlq');
SELECT pgmq_c.grant_access('sec_shown_src', 'regress_pgmqc_send', '{send}');
SELECT pgmq_c.grant_access('sec_shown_t', 'regress_pgmqc_send', '{monitor}');
SET ROLE regress_pgmqc_send;
SELECT queue_name, dead_letter_queue FROM pgmq_c.list_queues() WHERE queue_name LIKE 'sec\_shown%';
SELECT group_name, dead_letter_queue FROM pgmq_c.list_groups('sec_shown_t');
SET ROLE regress_pgmqc_owner;
SELECT pgmq_c.grant_access('sec_hidden_dlq', 'regress_pgmqc_send', '{monitor}');
SET ROLE regress_pgmqc_send;
SELECT queue_name, dead_letter_queue FROM pgmq_c.list_queues() WHERE queue_name LIKE 'sec\_shown%';
SELECT group_name, dead_letter_queue FROM pgmq_c.list_groups('sec_shown_t');
SET ROLE regress_pgmqc_owner;
SELECT queue_name, dead_letter_queue FROM pgmq_c.list_queues() WHERE queue_name LIKE 'sec\_shown%';
SELECT pgmq_c.drop_queue('sec_shown_src'), pgmq_c.drop_topic('sec_shown_t'),
       pgmq_c.drop_queue('sec_hidden_dlq');
RESET ROLE;

-- clean up: queues and topics (the superuser may drop them all), then roles
SELECT count(*) AS dropped
  FROM (SELECT pgmq_c.drop_queue(queue_name) FROM pgmq_c.list_queues()
		 WHERE queue_name LIKE 'sec\_%'
		UNION ALL
		SELECT pgmq_c.drop_topic(topic_name) FROM pgmq_c.list_topics()
		 WHERE topic_name LIKE 'sec\_%') AS d;
SET client_min_messages = warning;
DROP SCHEMA regress_sec CASCADE;
RESET client_min_messages;
REVOKE EXECUTE ON FUNCTION pgmq_c.create_queue,
	pgmq_c.create_topic FROM regress_pgmqc_owner;
DROP ROLE regress_pgmqc_owner_member, regress_pgmqc_owner, regress_pgmqc_send,
	regress_pgmqc_consume, regress_pgmqc_monitor, regress_pgmqc_admin,
	regress_pgmqc_member, regress_pgmqc_noinherit, regress_pgmqc_consumers,
	regress_pgmqc_nobody;
