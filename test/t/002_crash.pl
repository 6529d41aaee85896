# 002_crash.pl: a crash under load loses no acknowledged send and
# resurrects no acknowledged delete or archive.
#
# Producers and consumers are psql processes running generated scripts.  A
# line reaches a client's stdout only after the server acknowledged the
# COMMIT of what it reports:
#   S <msg_id> <p> <i>        a send whose transaction committed
#   I <msg_id> <read_ct>      a consumer is about to ack this message
#   D|A <msg_id> <read_ct> <ok>  an acked delete / archive (autocommit)
# The server is crashed twice mid-load: once with an immediate stop, once by
# SIGKILL of a backend (crash restart of all backends).  After each crash
# every msg_id up to above the highest one seen is probed with
# set_vt(q, id, '0'), which returns the message if and only if it is still
# in the queue, whatever its lease.  Then:
#   - every acknowledged send is in the queue, or was acknowledged as acked,
#     or is the one ack each consumer had in flight at the crash;
#   - no acknowledged delete or archive is in the queue again;
#   - anything else in the queue is a send that was in flight at the crash.
# A transaction left open at the first crash (a send and a delete on a second
# queue) must be rolled back.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(usleep);

my $nprod = 4;
my $ncons = 4;
my $sends_per_producer = 20000;    # more than can be sent before the crash
my $reads_per_consumer = 40000;

my $node = pgmqc_node(
	'crash', conf => q{
synchronous_commit = on
restart_after_crash = on
max_connections = 40
});

$node->safe_psql(
	'postgres', q{
SELECT pgmq_c.create_queue('crash');
-- the client logs of every cycle, loaded after each crash
CREATE TABLE acked_send (cycle int, msg_id bigint, p int, i int);
CREATE TABLE acked_ack (cycle int, consumer int, kind text, msg_id bigint,
						read_ct int, ok boolean);
CREATE TABLE intent (cycle int, consumer int, msg_id bigint, read_ct int);
CREATE TABLE present (cycle int, msg_id bigint, read_ct int, message jsonb);
});

my $tmp = PostgreSQL::Test::Utils::tempdir;

# Producer script.  Odd producers send one message per autocommitted
# statement; even ones send 5 per explicit transaction and echo the ids only
# after COMMIT returned.
sub producer_script
{
	my ($cycle, $p) = @_;
	my $file = "$tmp/producer_${cycle}_$p.sql";
	my $pid = $cycle * 10 + $p;    # producer id in payloads, unique per cycle
	open my $fh, '>', $file or die "could not write $file: $!";
	if ($p % 2)
	{
		for my $i (1 .. $sends_per_producer)
		{
			print $fh "SELECT 'S ' || pgmq_c.send('crash', "
			  . "'{\"p\": $pid, \"i\": $i}') || ' $pid $i';\n";
		}
	}
	else
	{
		for (my $i = 1; $i <= $sends_per_producer; $i += 5)
		{
			print $fh "BEGIN;\n";
			for my $k (0 .. 4)
			{
				my $j = $i + $k;
				print $fh "SELECT pgmq_c.send('crash', "
				  . "'{\"p\": $pid, \"i\": $j}') AS m$k \\gset\n";
			}
			print $fh "COMMIT;\n";
			for my $k (0 .. 4)
			{
				my $j = $i + $k;
				print $fh "\\echo S :m$k $pid $j\n";
			}
		}
	}
	close $fh;
	return $file;
}

# Consumer script: read up to 5 (committed), then for each message print the
# intent and ack it in its own autocommitted statement.  Odd consumers
# delete, even ones archive.
sub consumer_script
{
	my ($cycle, $c) = @_;
	my $file = "$tmp/consumer_${cycle}_$c.sql";
	my ($kind, $fn) = $c % 2 ? ('D', 'delete') : ('A', 'archive');
	open my $fh, '>', $file or die "could not write $file: $!";
	for (1 .. $reads_per_consumer)
	{
		print $fh "SELECT format('SELECT ''I %s %s''', msg_id, read_ct), "
		  . "format('SELECT ''$kind %s %s '' || pgmq_c.$fn(''crash'', %s, %s)', "
		  . "msg_id, read_ct, msg_id, read_ct) "
		  . "FROM pgmq_c.read('crash', '30 seconds', 5) \\gexec\n";
	}
	close $fh;
	return $file;
}

sub start_client
{
	my ($name, $file) = @_;
	return start_psql($node, name => $name, file => $file,
		timeout => 3 * $PostgreSQL::Test::Utils::timeout_default);
}

# Load the clients' logs of one cycle into the tables above.
sub load_logs
{
	my ($cycle, $producers, $consumers) = @_;
	my (@send, @ack, @intent);
	foreach my $c (@$producers)
	{
		foreach my $line (split /\n/, $c->{out})
		{
			if ($line =~ /^S (\d+) (\d+) (\d+)$/)
			{
				push @send, "($cycle,$1,$2,$3)";
			}
			else
			{
				die "$c->{name}: unexpected output line: $line";
			}
		}
	}
	foreach my $c (@$consumers)
	{
		foreach my $line (split /\n/, $c->{out})
		{
			if ($line =~ /^I (\d+) (\d+)$/)
			{
				push @intent, "($cycle,$c->{num},$1,$2)";
			}
			elsif ($line =~ /^([DA]) (\d+) (\d+) (true|false)$/)
			{
				push @ack, "($cycle,$c->{num},'$1',$2,$3,$4)";
			}
			else
			{
				die "$c->{name}: unexpected output line: $line";
			}
		}
	}
	# insert in chunks to keep each statement small
	my $ins = sub {
		my ($table, $rows) = @_;
		while (my @chunk = splice(@$rows, 0, 5000))
		{
			$node->safe_psql('postgres',
				"INSERT INTO $table VALUES " . join(',', @chunk));
		}
	};
	my @counts = (scalar(@send), scalar(@ack), scalar(@intent));
	$ins->('acked_send', \@send);
	$ins->('acked_ack', \@ack);
	$ins->('intent', \@intent);
	return @counts;
}

sub run_cycle
{
	my ($cycle, $crash) = @_;
	my (@producers, @consumers);

	for my $c (1 .. $ncons)
	{
		my $cl = start_client("cycle $cycle consumer $c",
			consumer_script($cycle, $c));
		$cl->{num} = $c;
		push @consumers, $cl;
	}
	for my $p (1 .. $nprod)
	{
		push @producers,
		  start_client("cycle $cycle producer $p", producer_script($cycle, $p));
	}

	# Wait until every client has reported some acknowledged work (psql
	# block-buffers its stdout in 4 kB blocks: this means some 500 sends for
	# each producer and a few hundred acks for each consumer).
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (1)
	{
		$_->{h}->pump_nb foreach (@producers, @consumers);
		last
		  unless grep { length($_->{out}) < 8192 } @producers
		  or grep { $_->{out} eq '' } @consumers;
		if (time > $deadline)
		{
			diag "$_->{name}: $_->{err}" foreach (@producers, @consumers);
			BAIL_OUT("clients made no progress");
		}
		usleep(20_000);
	}

	my $running = grep { $_->{h}->pumpable } @producers;
	is($running, $nprod, "cycle $cycle: all producers still running at the crash");

	$crash->();

	# Every client must now end (with a lost connection, or normally if it
	# happened to finish).
	end_clients(@producers, @consumers);
	my $lost_connections = grep { $_->{h}->result != 0 } @producers;
	cmp_ok($lost_connections, '>', 0,
		"cycle $cycle: producers lost their connections in the crash");

	my ($s, $a, $i) = load_logs($cycle, \@producers, \@consumers);
	note "cycle $cycle: $s acknowledged sends, $a acknowledged acks, $i intents";
	cmp_ok($s, '>', 0, "cycle $cycle: some sends acknowledged before the crash");
	cmp_ok($a, '>', 0, "cycle $cycle: some acks acknowledged before the crash");
}

sub check_after_crash
{
	my ($cycle) = @_;

	# Probe, through the API, every msg_id that was reported and every one
	# the queue's table holds (msg_ids are not dense: a start after a crash
	# moves them on by 2^32).
	my $qid = $node->safe_psql('postgres',
		"SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'crash'");
	$node->safe_psql(
		'postgres', qq{
INSERT INTO present
SELECT $cycle, m.msg_id, m.read_ct, m.message
  FROM (SELECT msg_id FROM acked_send UNION SELECT msg_id FROM pgmq_c.q_$qid) g,
	   LATERAL pgmq_c.set_vt('crash', g.msg_id, '0') m;
});

	is($node->safe_psql('postgres',
			"SELECT count(*) FROM acked_ack WHERE NOT ok"),
		0, "after crash $cycle: no ack was refused");

	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*) FROM present pr JOIN acked_ack a USING (msg_id)
 WHERE pr.cycle = $cycle AND a.ok}),
		0,
		"after crash $cycle: no acknowledged delete or archive is back in the queue");

	# Acknowledged sends that are neither in the queue nor acknowledged as
	# acked must each be the ack some consumer had in flight at a crash:
	# its last intent without an ack line.
	my $missing = $node->safe_psql(
		'postgres', qq{
SELECT s.msg_id FROM acked_send s
 WHERE NOT EXISTS (SELECT 1 FROM present pr
					WHERE pr.cycle = $cycle AND pr.msg_id = s.msg_id)
   AND NOT EXISTS (SELECT 1 FROM acked_ack a WHERE a.msg_id = s.msg_id AND a.ok)
   AND NOT EXISTS (SELECT 1 FROM intent t
					WHERE t.msg_id = s.msg_id
					  AND NOT EXISTS (SELECT 1 FROM acked_ack a
									   WHERE a.cycle = t.cycle
										 AND a.consumer = t.consumer
										 AND a.msg_id = t.msg_id))
 ORDER BY 1});
	is($missing, '', "after crash $cycle: no acknowledged send lost");

	# At most one unanswered ack per consumer per cycle.
	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*) FROM (
  SELECT t.cycle, t.consumer FROM intent t
   WHERE NOT EXISTS (SELECT 1 FROM acked_ack a
					  WHERE a.cycle = t.cycle AND a.consumer = t.consumer
						AND a.msg_id = t.msg_id)
   GROUP BY 1, 2 HAVING count(*) > 1) x}),
		0,
		"after crash $cycle: at most one ack in flight per consumer");

	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*) FROM present pr JOIN acked_send s USING (msg_id)
 WHERE pr.cycle = $cycle
   AND pr.message <> jsonb_build_object('p', s.p, 'i', s.i)}),
		0,
		"after crash $cycle: payloads intact");

	# Messages in the queue that no client saw acknowledged: only sends that
	# were in flight at a crash, i.e. at most 5 right after the last
	# acknowledged one of their producer.
	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*) FROM present pr
 WHERE pr.cycle = $cycle
   AND pr.message ? 'p'
   AND NOT EXISTS (SELECT 1 FROM acked_send s WHERE s.msg_id = pr.msg_id)
   AND NOT ((pr.message->>'i')::int - 5 <=
			 coalesce((SELECT max(i) FROM acked_send s
						WHERE s.p = (pr.message->>'p')::int), 0)
			AND (pr.message->>'i')::int >
			 coalesce((SELECT max(i) FROM acked_send s
						WHERE s.p = (pr.message->>'p')::int), 0))}),
		0,
		"after crash $cycle: nothing in the queue but acknowledged or in-flight sends");

	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*) FROM (SELECT pr.message FROM present pr
						WHERE pr.cycle = $cycle
						GROUP BY pr.message HAVING count(*) > 1) d}),
		0,
		"after crash $cycle: no payload twice in the queue");

	# Archived acks are in the archive.
	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*) FROM acked_ack a
 WHERE a.kind = 'A' AND a.ok
   AND NOT EXISTS (SELECT 1 FROM pgmq_c.read_archive('crash', a.msg_id - 1, 1) r
					WHERE r.msg_id = a.msg_id)}),
		0,
		"after crash $cycle: every acknowledged archive is in the archive");

	# Anything else in the queue was sent by this test after a crash.
	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*) FROM present pr
 WHERE pr.cycle = $cycle AND NOT pr.message ? 'p' AND NOT pr.message ? 'after'}),
		0,
		"after crash $cycle: no unexpected message in the queue");

	# The queue still works after recovery.
	is( $node->safe_psql(
			'postgres',
			"SELECT pgmq_c.send('crash', '{\"after\": $cycle}') > 0"),
		't',
		"after crash $cycle: send works");
}

# Cycle 1: immediate stop (like a power cut of the postmaster), then start.
# At the crash a transaction on a second queue is open: it has sent one
# message and deleted another.  Neither may survive the crash.
$node->safe_psql('postgres', "SELECT pgmq_c.create_queue('side')");
my $keep_id =
  $node->safe_psql('postgres', q{SELECT pgmq_c.send('side', '{"keep": 1}')});
my $open_xid;
run_cycle(
	1,
	sub {
		my $open = $node->background_psql('postgres');
		$open->query_safe('BEGIN');
		$open_xid = $open->query_safe('SELECT pg_current_xact_id()');
		$open->query_safe(q{SELECT pgmq_c.send('side', '{"open": 1}')});
		is($open->query_safe("SELECT pgmq_c.delete('side', $keep_id)"),
			't', 'the open transaction deleted the kept message');
		$node->stop('immediate');
		eval { $open->quit; };
		$node->start;
	});
check_after_crash(1);
is($node->safe_psql('postgres', "SELECT pg_xact_status('$open_xid')"),
	'aborted', 'the transaction open at the crash is aborted');
is( $node->safe_psql(
		'postgres', "SELECT msg_id, message FROM pgmq_c.read('side', '1 hour', 10)"),
	qq($keep_id|{"keep": 1}),
	"its delete is undone and its send is gone");

# Cycle 2: SIGKILL one client backend; the postmaster resets every backend
# and recovers (restart_after_crash = on).
run_cycle(
	2,
	sub {
		my $log_offset = -s $node->logfile;
		my $pid = $node->safe_psql(
			'postgres', q{
SELECT pid FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
   AND datname = 'postgres'
 ORDER BY pid LIMIT 1});
		ok($pid =~ /^\d+$/, 'found a client backend to kill');
		kill 'KILL', $pid;
		$node->wait_for_log(qr/database system is ready to accept connections/,
			$log_offset);
		$node->poll_query_until('postgres', 'SELECT true')
		  or BAIL_OUT('server did not come back after the backend crash');
	});
check_after_crash(2);

# Finally drain the queue: everything in it can be read and deleted, and the
# acknowledged sends are all accounted for across both crashes.
my $drained = $node->safe_psql(
	'postgres', q{
CREATE TABLE drained (msg_id bigint, message jsonb);
DO $$
DECLARE n int;
BEGIN
	LOOP
		WITH r AS (SELECT * FROM pgmq_c.read('crash', '1 hour', 100)),
			 d AS (INSERT INTO drained SELECT msg_id, message FROM r
				   WHERE pgmq_c.delete('crash', msg_id, read_ct) RETURNING 1)
		SELECT count(*) INTO n FROM d;
		EXIT WHEN n = 0;
	END LOOP;
END $$;
SELECT count(*) FROM drained});
note "drained $drained messages after the crashes";
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM acked_send s
 WHERE NOT EXISTS (SELECT 1 FROM drained d WHERE d.msg_id = s.msg_id)
   AND NOT EXISTS (SELECT 1 FROM acked_ack a WHERE a.msg_id = s.msg_id AND a.ok)
   AND NOT EXISTS (SELECT 1 FROM intent t WHERE t.msg_id = s.msg_id)}),
	0,
	'every acknowledged send was acked or drained at the end');
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM drained d JOIN acked_ack a ON a.msg_id = d.msg_id AND a.ok}),
	0,
	'nothing acknowledged as acked was drained');
is($node->safe_psql('postgres', "SELECT queue_length FROM pgmq_c.metrics('crash')"),
	0, 'queue empty after draining');

$node->stop;
done_testing();
