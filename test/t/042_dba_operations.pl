# 042_dba_operations.pl: what a DBA does to pgmq_c's tables and sequences
# by hand does not hide messages, and what it cannot support is refused.
#
# - DROP EXTENSION pgmq_c CASCADE while a reader waits in CALL receive
#   (10 minutes): it is woken and told that its queue is gone (42704).
# - DROP EXTENSION pgmq_c CASCADE and CREATE EXTENSION again, in a session
#   that had consumed messages: the queue and the group made again under
#   their names (and ids) are read from their first message, by that
#   session and by a new one.
# - A queue's msg_id sequence moved back (setval, TRUNCATE ... RESTART
#   IDENTITY) after messages were consumed: the messages sent then are read.
# - A msg_id sequence with CACHE > 1 is refused at the send (55000), as it
#   would hand out ids behind what readers passed.
# - The current partition of a topic's log detached by hand: a send is
#   refused (23514), as routing refuses a batch, and writes nothing into
#   the detached table.
# - REINDEX TABLE CONCURRENTLY of the day partition holding deduplication
#   ids, held up by an older snapshot: sends with ids go on, a resent id
#   still finds its first msg_id, and an id sent meanwhile is found after.
# - A publication FOR ALL TABLES made before the extension: the deletes of
#   deduplication ids past their window run, and every table pgmq_c deletes
#   from has a replica identity.
# - pg_dump | psql -v ON_ERROR_STOP=1 into a new database while the worker
#   runs: the restore does not race the worker for the day partitions of
#   pgmq_c.dedup_ids, and the remembered ids come back.
# - A pg_dump --schema-only restored: new queues, topics and groups pass
#   over the ids whose tables the restore left, and say so.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('dba_operations', extension => 0,
	conf => 'max_worker_processes = 20');

sub sql { return $node->safe_psql($_[1] // 'postgres', $_[0]); }

# Run $stmt in $db; returns the SQLSTATE of its error, or ''.
sub sqlstate
{
	my ($db, $stmt) = @_;
	my ($ret, $out, $err) = $node->psql($db,
		"\\set VERBOSITY sqlstate\n$stmt",
		extra_params => [ '-v', 'ON_ERROR_STOP=1' ]);
	my ($state) = $err =~ /ERROR:  ([0-9A-Z]{5})/;
	return $state // ($ret == 0 ? '' : "exit $ret: $err");
}

sub fresh_db
{
	my ($db) = @_;
	sql("CREATE DATABASE $db");
	sql("SET client_min_messages = warning; CREATE EXTENSION pgmq_c", $db);
}

# --- DROP EXTENSION and CREATE EXTENSION under a session that consumed
fresh_db('recreate');
my $out = sql(q{
SET client_min_messages = warning;
SELECT pgmq_c.create_queue('q');
SELECT pgmq_c.create_topic('t');
SELECT pgmq_c.create_group('t', 'g');
SELECT count(pgmq_c.send('q', '{}')) FROM generate_series(1, 300);
SELECT count(pgmq_c.send('t', '{}')) FROM generate_series(1, 300);
-- consume all of them, reading many times, so that this backend's
-- watermarks move far on
DO $$
BEGIN
	FOR i IN 1..60 LOOP
		PERFORM pgmq_c.delete('q', msg_id) FROM pgmq_c.read('q', '30 s', 10);
		PERFORM pgmq_c.ack('t', 'g', msg_id) FROM pgmq_c.read_group('t', 'g', '30 s', 10);
		PERFORM pg_sleep(0.06);
	END LOOP;
END $$;
SELECT 'left', (SELECT queue_length FROM pgmq_c.metrics('q')),
	   (SELECT count(*) FROM pgmq_c.read_group('t', 'g', '0', 10));
DROP EXTENSION pgmq_c CASCADE;
CREATE EXTENSION pgmq_c;
SELECT pgmq_c.create_queue('q');
SELECT pgmq_c.create_topic('t');
SELECT pgmq_c.create_group('t', 'g');
SELECT 'ids', queue_id FROM pgmq_c.queues WHERE queue_name = 'q';
SELECT pgmq_c.send('q', '{"after": 1}'), pgmq_c.send('q', '{"after": 2}');
SELECT pgmq_c.send('t', '{"after": 1}'), pgmq_c.send('t', '{"after": 2}');
SELECT 'read', string_agg(msg_id::text, ',' ORDER BY msg_id) FROM pgmq_c.read('q', '1 s', 10);
SELECT 'group', string_agg(msg_id::text, ',' ORDER BY msg_id) FROM pgmq_c.read_group('t', 'g', '1 s', 10);
SELECT pg_sleep(1.2);
SELECT 'again', string_agg(msg_id::text, ',' ORDER BY msg_id) FROM pgmq_c.read_group('t', 'g', '30 s', 10);
}, 'recreate');
like($out, qr/^left\|0\|0$/m, 'the session consumed every message first');
like($out, qr/^ids\|1$/m, 'the queue made again got its old id');
like($out, qr/^read\|1,2$/m,
	'after DROP and CREATE EXTENSION the same session reads the new queue from its first message');
like($out, qr/^group\|1,2$/m, 'and the new group from its first message');
like($out, qr/^again\|1,2$/m, 'and gets the group\'s messages again when their leases end');
is(sql(q{SELECT string_agg(msg_id::text, ',' ORDER BY msg_id) FROM pgmq_c.read('q', '30 s', 10)},
		'recreate'),
	'1,2', 'a new session reads them once their leases ended');

# --- DROP EXTENSION while a reader waits in CALL receive
fresh_db('waiting');
sql(q{SELECT pgmq_c.create_queue('q')}, 'waiting');
my $waiter = start_psql($node, db => 'waiting', app => 'waiter',
	sql => [ q{\set VERBOSITY sqlstate}, q{CALL pgmq_c.receive('q', wait => '10 min')} ]);
$node->poll_query_until('waiting',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'waiter'
		AND state = 'active' AND wait_event_type = 'Extension'})
  or die 'the waiter did not start waiting';
sql(q{SET client_min_messages = warning; DROP EXTENSION pgmq_c CASCADE}, 'waiting');
finish_session($waiter);
like($waiter->{err}, qr/ERROR:  42704/,
	'a reader waiting in receive is woken by DROP EXTENSION and told its queue is gone (42704)');

my $moved = 0;
foreach my $move ("SELECT setval('pgmq_c.q_1_seq', 1, false)",
	'TRUNCATE pgmq_c.q_1 RESTART IDENTITY')
{
	my $db = 'moved' . ++$moved;
	fresh_db($db);
	$out = sql(qq{
SET client_min_messages = warning;
SELECT pgmq_c.create_queue('q');
SELECT 'id', queue_id FROM pgmq_c.queues WHERE queue_name = 'q';
SELECT count(pgmq_c.send('q', '{}')) FROM generate_series(1, 300);
DO \$\$
BEGIN
	FOR i IN 1..40 LOOP
		PERFORM pgmq_c.delete('q', msg_id) FROM pgmq_c.read('q', '30 s', 10);
		PERFORM pg_sleep(0.06);
	END LOOP;
END \$\$;
$move;
SELECT pgmq_c.send('q', '{}'), pgmq_c.send('q', '{}'), pgmq_c.send('q', '{}');
SELECT pg_sleep(0.1);
SELECT 'read', string_agg(msg_id::text, ',' ORDER BY msg_id) FROM pgmq_c.read('q', '30 s', 10);
}, $db);
	SKIP:
	{
		skip 'the queue did not get id 1', 1 unless $out =~ /^id\|1$/m;
		like($out, qr/^read\|1,2,3$/m,
			"messages sent after \"$move\" are read by the session that consumed before it");
	}
}

# --- a sequence that caches values
fresh_db('cached');
sql(q{SELECT pgmq_c.create_queue('q'); SELECT pgmq_c.create_topic('t');}, 'cached');
sql(q{ALTER SEQUENCE pgmq_c.q_1_seq CACHE 100; ALTER SEQUENCE pgmq_c.t_2_seq CACHE 100},
	'cached');
is(sqlstate('cached', q{SELECT pgmq_c.send('q', '{}')}), '55000',
	'a send to a queue whose sequence caches values is refused');
is(sqlstate('cached', q{SELECT pgmq_c.send_batch('q', ARRAY['{}'::jsonb])}), '55000',
	'and a batch');
is(sqlstate('cached', q{SELECT pgmq_c.send('t', '{}')}), '55000', 'and a send to a topic');
like(
	scalar(($node->psql('cached', q{SELECT pgmq_c.send('q', '{}')}))[2]),
	qr/HINT:  Run ALTER SEQUENCE pgmq_c\.q_1_seq CACHE 1\./,
	'the hint names the statement that repairs it');
sql(q{ALTER SEQUENCE pgmq_c.q_1_seq CACHE 1}, 'cached');
is(sql(q{SELECT pgmq_c.send('q', '{}')}, 'cached'), '1', 'CACHE 1 again: the send works');

# --- the current partition of a topic's log detached
fresh_db('detached');
sql(q{SELECT pgmq_c.create_topic('t'); SELECT pgmq_c.create_group('t', 'g');
	  SELECT pgmq_c.send('t', '{}');}, 'detached');
my $part = sql(q{SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
				 WHERE i.inhparent = 'pgmq_c.t_1'::regclass ORDER BY c.relname LIMIT 1},
	'detached');
sql("ALTER TABLE pgmq_c.t_1 DETACH PARTITION pgmq_c.$part", 'detached');
is(sqlstate('detached', q{SELECT pgmq_c.send('t', '{"lost": true}')}), '23514',
	'a send whose partition was detached is refused');
is(sqlstate('detached', q{SELECT pgmq_c.send_batch('t', ARRAY['{"lost": true}'::jsonb])}),
	'23514', 'as a batch is');
is(sql("SELECT count(*) FROM pgmq_c.$part WHERE message ? 'lost'", 'detached'),
	'0', 'nothing was written into the detached table');

# --- REINDEX CONCURRENTLY of the deduplication ids
fresh_db('reindex');
sql(q{SELECT pgmq_c.create_queue('q'); SELECT pgmq_c.send('q', '{}', dedup_id => 'a');},
	'reindex');
my $where = sql(q{SELECT tableoid::regclass FROM pgmq_c.dedup_ids}, 'reindex');
my $blocker = start_psql($node, db => 'reindex', app => 'blocker',
	sql => [ 'BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM pg_class; '
		  . 'SELECT pg_sleep(4); COMMIT' ]);
$node->poll_query_until('reindex',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'blocker'
		AND wait_event = 'PgSleep'})
  or die 'the blocker did not start';
my $reindex = start_psql($node, db => 'reindex', app => 'reindex',
	sql => ["REINDEX TABLE CONCURRENTLY $where"]);
$node->poll_query_until('reindex',
	q{SELECT count(*) = 1 FROM pg_index WHERE NOT indisvalid
		AND indrelid::regclass::text LIKE 'pgmq_c.dedup_ids%'})
  or die 'the reindex did not start';
is(sql(q{SELECT pgmq_c.send('q', '{}', dedup_id => 'a')}, 'reindex'), '1',
	'while the index is remade, a resent id finds its first msg_id');
is(sql(q{SELECT pgmq_c.send('q', '{}', dedup_id => 'c')}, 'reindex'), '2',
	'and a new id is stored');
finish_session($blocker);
finish_session($reindex);
is($reindex->{err}, '', 'the reindex finished without an error');
is(sql(q{SELECT pgmq_c.send('q', '{}', dedup_id => 'c')}, 'reindex'), '2',
	'the id sent meanwhile is found in the remade index');

# --- a publication FOR ALL TABLES (logical replication, change data capture)
sql('CREATE DATABASE published');
# (the queue made and the id sent in one transaction block: create_queue
# leaves the days to the worker there, so the id goes to the default
# partition, from which the maintenance -- the worker's or the call below --
# deletes the ids past their window)
sql(q{CREATE PUBLICATION everything FOR ALL TABLES;
	  SET client_min_messages = warning; CREATE EXTENSION pgmq_c;
	  BEGIN;
	  SELECT pgmq_c.create_queue('q', dedup_window => '1 ms', archive_retention => '1 day');
	  SELECT pgmq_c.send('q', '{}', dedup_id => 'p');
	  COMMIT;
	  SELECT pgmq_c.archive('q', 1);}, 'published');
my ($pret, $pout, $perr) = $node->psql('published', q{SELECT pg_sleep(0.1); SELECT pgmq_c.maintain_topics()});
is($perr, '', 'under a publication FOR ALL TABLES the maintenance of the deduplication ids runs without a warning');
is(sql(q{SELECT count(*) FROM pgmq_c.dedup_ids}, 'published'), '0',
	'and forgets the ids past their window');
is(sql(q{SELECT string_agg(c.relname, ',') FROM pg_class c
		  WHERE c.relnamespace = 'pgmq_c'::regnamespace AND c.relkind = 'r'
			AND c.relreplident = 'd'
			AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)},
		'published'),
	'', 'every table pgmq_c deletes from has a replica identity');

# --- a restore while the worker runs
fresh_db('dumped');
sql(q{SELECT pgmq_c.create_queue('q', dedup_window => '1 day');
	  SELECT pgmq_c.create_topic('t');
	  SELECT pgmq_c.create_group('t', 'g');
	  SELECT pgmq_c.send('q', '{}', dedup_id => 'x' || i) FROM generate_series(1, 5) i;
	  SELECT pgmq_c.send('t', '{}');}, 'dumped');
$node->poll_query_until('dumped',
	q{SELECT count(*) >= 3 FROM pg_inherits WHERE inhparent = 'pgmq_c.dedup_ids'::regclass})
  or die 'the worker made no day partitions';
my $dump = $node->basedir . '/dumped.sql';
$node->command_ok([ $node->installed_command('pg_dump'), '-d', $node->connstr('dumped'),
		'-f', $dump ], 'pg_dump');
sql('CREATE DATABASE restored');
my ($ret, $rout, $rerr) = $node->psql('restored', undef,
	extra_params => [ '-v', 'ON_ERROR_STOP=1', '-f', $dump ]);
is($ret, 0, 'the plain dump restores with ON_ERROR_STOP while the worker runs');
is($rerr =~ /ERROR/ ? $rerr : '', '', 'without an error');
is(sql(q{SELECT pgmq_c.send('q', '{}', dedup_id => 'x3')}, 'restored'), '3',
	'a remembered id comes back with the restore');
is(sql(q{SELECT count(*) FROM pgmq_c.read_group('t', 'g', '30 s', 10)}, 'restored'), '1',
	'and the topic\'s message');

# --- a --schema-only dump restored: the queues' and groups' tables come
# back without the catalog rows that name them, and the identities start
# at 1 again; new queues, topics and groups pass over the ids whose tables
# exist (and say so) instead of failing on them
my $schema_dump = $node->basedir . '/schema_only.sql';
$node->command_ok([ $node->installed_command('pg_dump'), '--schema-only',
		'-d', $node->connstr('dumped'), '-f', $schema_dump ], 'pg_dump --schema-only');
sql('CREATE DATABASE schema_only');
($ret, $rout, $rerr) = $node->psql('schema_only', undef,
	extra_params => [ '-v', 'ON_ERROR_STOP=1', '-f', $schema_dump ]);
is($ret, 0, 'the schema-only dump restores');
is(sql(q{SELECT count(*) FROM pgmq_c.queues}, 'schema_only')
	  . ' ' . sql(q{SELECT to_regclass('pgmq_c.q_1') IS NOT NULL AND to_regclass('pgmq_c.g_1') IS NOT NULL},
		'schema_only'), '0 t', 'without catalog rows, with the queue\'s and group\'s tables');
my ($cret, $cout, $cerr) = $node->psql('schema_only', q{
	SELECT pgmq_c.create_queue('q');
	SELECT pgmq_c.create_topic('t');
	SELECT pgmq_c.create_group('t', 'g');
	SELECT pgmq_c.send('q', '{"n": 1}');
	SELECT pgmq_c.send('t', '{"n": 2}');
	SELECT q.queue_id || ':' || (SELECT group_id FROM pgmq_c.groups)
	  FROM pgmq_c.queues q WHERE queue_name = 'q';},
	extra_params => [ '-v', 'ON_ERROR_STOP=1' ]);
is($cret, 0, 'create_queue, create_topic and create_group work after it');
like($cout, qr/^2:2$/m, 'the queue and the group passed over the ids of the tables left');
is(scalar(() = $cerr =~ /NOTICE:  pgmq_c passed over id 1, whose tables exist without a row in its catalog/g),
	2, 'each says which id it passed over') or diag($cerr);
is(sql(q{SELECT message->>'n' FROM pgmq_c.read('q', '30 s', 1)}, 'schema_only')
	  . sql(q{SELECT message->>'n' FROM pgmq_c.read_group('t', 'g', '30 s', 1)}, 'schema_only'),
	'12', 'and their messages are read');
is(sql(q{SELECT count(*) FROM pgmq_c.q_1}, 'schema_only'), '0',
	'the tables left are not touched');
# more than 1,000 such ids in a row: refused, nothing made
sql(q{DO $$BEGIN
	FOR i IN 3 .. 1003 LOOP
		EXECUTE pg_catalog.format('CREATE TABLE pgmq_c.g_%s ()', i);
	END LOOP;
END$$}, 'schema_only');
is(sqlstate('schema_only', q{SELECT pgmq_c.create_group('t', 'g2')}), '42P07',
	'past 1,000 taken ids create_group gives up with 42P07');
is(sql(q{SELECT count(*) FROM pgmq_c.groups}, 'schema_only'), '1',
	'and makes no group');

$node->stop;
done_testing();
