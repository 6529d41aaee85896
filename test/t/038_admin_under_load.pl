# 038_admin_under_load.pl: administrative calls against busy clients.
#
# Four clients loop over transactions that take a queue's tables in
# different orders -- a delayed send (delayed table, then sequence) and a
# plain send (message table), a read and a delete; a keyed send (keys
# table first, before 0.8.0) -- and four over a topic's send, a group's
# read and an ack (two in each order, with a pause between: without one
# lock that every call on a topic takes first, a change of the topic's
# durability went round and round between them); two more only send, to
# a queue that the administrator drops and makes again in one
# transaction.  Meanwhile one client loops
# over purge_queue(), alter_queue(..., durability) of the queue and of the
# topic, and drop_queue() + create_queue(); the background worker checks
# the first queue for notifications (enable_notify) all the while.  Before pgmq_c 0.8.0 these
# administrative calls took their tables one by one and deadlocked with
# such transactions (40P01); now they wait holding none of them
# (common/relation_locks.c).  Every client must finish without an error,
# and the server log must show no deadlock.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $rounds = 40;

my $node = pgmqc_node('admin_load', conf => "max_connections = 40\nlog_lock_waits = on");

$node->safe_psql(
	'postgres', q{
CREATE TABLE ctl (done boolean NOT NULL);
INSERT INTO ctl VALUES (false);
CREATE TABLE progress (client text PRIMARY KEY, loops int NOT NULL);

SELECT pgmq_c.create_queue('lq');
-- the worker's notification checks look into the queue's tables too
SELECT pgmq_c.enable_notify('lq', '0');
SELECT pgmq_c.create_queue('lq2');
SELECT pgmq_c.create_topic('lt');
SELECT pgmq_c.create_group('lt', 'g');

-- a queue's client: a transaction that sends a delayed and a plain
-- message, then reads one and deletes it; and one of a keyed send (of its
-- own keys: a delete of another client's keyed message waits for that
-- key's send, so the two are not in one transaction, as the README says)
CREATE PROCEDURE queue_client(a_name text)
LANGUAGE plpgsql AS $$
DECLARE
	n int := 0;
	m record;
BEGIN
	LOOP
		EXIT WHEN (SELECT done FROM ctl);
		n := n + 1;
		PERFORM pgmq_c.send('lq', jsonb_build_object('n', n),
							ordering_key => a_name || (n % 3));
		COMMIT;
		PERFORM pgmq_c.send('lq', jsonb_build_object('n', n), delay => '1 hour');
		PERFORM pgmq_c.send('lq', jsonb_build_object('n', n));
		FOR m IN SELECT * FROM pgmq_c.read('lq', '1 minute', 1) LOOP
			PERFORM pgmq_c.delete('lq', m.msg_id, m.read_ct);
		END LOOP;
		INSERT INTO progress VALUES (a_name, n)
			ON CONFLICT (client) DO UPDATE SET loops = excluded.loops;
		COMMIT;
	END LOOP;
END $$;

-- a topic's client: a send, then a group's read and ack, in one
-- transaction (or the read first), with a pause between them: a send
-- takes the log's sequence and a partition, a read the group's table and
-- the log, so that without one first lock for every call on a topic a
-- change of durability went round and round between them
CREATE PROCEDURE topic_client(a_name text, a_read_first boolean)
LANGUAGE plpgsql AS $$
DECLARE
	n int := 0;
	m record;
BEGIN
	LOOP
		EXIT WHEN (SELECT done FROM ctl);
		n := n + 1;
		IF NOT a_read_first THEN
			PERFORM pgmq_c.send('lt', jsonb_build_object('n', n));
			PERFORM pg_sleep(0.01);
		END IF;
		FOR m IN SELECT * FROM pgmq_c.read_group('lt', 'g', '1 minute', 1) LOOP
			PERFORM pgmq_c.ack('lt', 'g', m.msg_id, m.read_ct);
		END LOOP;
		IF a_read_first THEN
			PERFORM pg_sleep(0.01);
			PERFORM pgmq_c.send('lt', jsonb_build_object('n', n));
		END IF;
		INSERT INTO progress VALUES (a_name, n)
			ON CONFLICT (client) DO UPDATE SET loops = excluded.loops;
		COMMIT;
	END LOOP;
END $$;

-- a sender to the queue that is dropped and made again: a delayed and a
-- plain send per transaction
CREATE PROCEDURE resend_client(a_name text)
LANGUAGE plpgsql AS $$
DECLARE
	n int := 0;
BEGIN
	LOOP
		EXIT WHEN (SELECT done FROM ctl);
		n := n + 1;
		PERFORM pgmq_c.send('lq2', jsonb_build_object('n', n), delay => '1 hour');
		PERFORM pgmq_c.send('lq2', jsonb_build_object('n', n));
		INSERT INTO progress VALUES (a_name, n)
			ON CONFLICT (client) DO UPDATE SET loops = excluded.loops;
		COMMIT;
	END LOOP;
END $$;

-- the administrator: each round, one transaction per call
CREATE PROCEDURE administrate(a_rounds int)
LANGUAGE plpgsql AS $$
BEGIN
	-- the clients are under way first
	WHILE (SELECT count(*) FROM progress) < 10 LOOP
		PERFORM pg_sleep(0.01);
		COMMIT;
	END LOOP;
	FOR i IN 1 .. a_rounds LOOP
		PERFORM pgmq_c.purge_queue('lq');
		COMMIT;
		PERFORM pgmq_c.alter_queue('lq', durability =>
			CASE WHEN i % 2 = 1 THEN 'unlogged' ELSE 'logged' END);
		COMMIT;
		PERFORM pgmq_c.alter_queue('lt', durability =>
			CASE WHEN i % 2 = 1 THEN 'unlogged' ELSE 'logged' END);
		COMMIT;
		PERFORM pgmq_c.drop_queue('lq2');
		PERFORM pgmq_c.create_queue('lq2');
		COMMIT;
		INSERT INTO progress VALUES ('admin', i)
			ON CONFLICT (client) DO UPDATE SET loops = excluded.loops;
		COMMIT;
	END LOOP;
	UPDATE ctl SET done = true;
END $$;
});

my $log_start = -s $node->logfile;
my @clients;
push @clients, start_session($node, "q$_", "CALL queue_client('q$_')") foreach 1 .. 4;
push @clients, start_session($node, "t$_", "CALL topic_client('t$_', " . ($_ % 2 ? 'false' : 'true') . ")")
  foreach 1 .. 4;
push @clients, start_session($node, "r$_", "CALL resend_client('r$_')") foreach 1 .. 2;
my $admin = start_session($node, 'admin', "CALL administrate($rounds)");

# the clients stop when the administrator is done, or has failed
my $admin_ok = eval { $admin->{h}->finish; 1 } && $admin->{h}->result == 0;
$node->safe_psql('postgres', 'UPDATE ctl SET done = true');
ok($admin_ok, 'the administrator finished without error')
  or diag "admin stderr: $admin->{err}";
finish_all(@clients);

is($node->safe_psql('postgres', q{SELECT loops FROM progress WHERE client = 'admin'}),
	$rounds, "the administrator did all $rounds rounds");
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*) FROM progress WHERE client <> 'admin' AND loops > 0}),
	'10',
	'every client committed transactions meanwhile');

my $log = slurp_file($node->logfile, $log_start);
unlike($log, qr/deadlock detected/, 'the server log shows no deadlock');
unlike($log, qr/ERROR:/, 'the server log shows no error');
my $waits = () = $log =~ /still waiting for AccessExclusiveLock/g;
note "administrative calls that waited more than deadlock_timeout: $waits";

# the queue made again under its name took the last sends
cmp_ok($node->safe_psql('postgres', q{SELECT total_messages FROM pgmq_c.metrics('lq2')}),
	'>', 0, 'the queue made again last has sends of the clients');

$node->stop;
done_testing();
