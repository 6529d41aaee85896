# 028_failover_sync.pl: ten failovers to a synchronous standby under a
# recorded load lose nothing.
#
# Every node has synchronous_standby_names = '*': a commit returns once the
# standby has the commit record (synchronous_commit = on, odd rounds) or has
# applied it (remote_apply, even rounds).  Four producers and four consumers
# (test/history/PgmqcHistory.pm) work on a queue, a keyed queue and a topic
# with two groups, with delayed messages, short leases, nacks and abandoned
# leases.  Each round the primary is stopped in immediate mode, the standby
# promoted, the clients pointed at it (they reread their connection string
# when they reconnect), and a new synchronous standby is made from it.
# After the tenth the checker reads the history: 0 lost, 0 resurrected, 0
# unexpected, no msg_id naming two messages, no key out of order.
#
# Before the last failover the test also leaves on the old primary: a lease
# of 300 s and one of 6 s, a message delayed 3 s, a topic whose 2500
# messages are older than its 3 s retention soon after, and a queue with
# notifications on.  On the promoted node: the 300 s lease still holds, with
# the same lease end, and its receipt deletes the message; the 6 s lease ends
# at its absolute time (the message comes back, not before its old vt); the
# delayed message comes due, not early; the background worker runs, drops
# the topic's expired partitions and sends notifications; a consumer can
# wait for a message again.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use lib "$FindBin::RealBin/../history";
use PgmqcTest;
use PgmqcHistory qw(setup run_load finish_history history_is_clean);
use Time::HiRes qw(usleep);

my $primary = pgmqc_node('sync0', init => { allows_streaming => 1 });
my $dir = PostgreSQL::Test::Utils::tempdir();
my $conninfo_file = "$dir/conninfo";
my %load = (%PgmqcHistory::SHAPE, conninfo => $primary->connstr('postgres'),
	conninfo_file => $conninfo_file, dir => $dir);

sub sql { return timed_sql($primary, $_[0]); }

setup(%load);
sql(q{
SELECT pgmq_c.create_queue('lease');
SELECT pgmq_c.create_queue('later');
SELECT pgmq_c.create_queue('noted');
SELECT pgmq_c.enable_notify('noted');
SELECT pgmq_c.create_queue('waited');
SELECT pgmq_c.create_topic('brief', retention => '3 seconds', partition_size => 1000)});
point_clients_at($conninfo_file, $primary);
# synchronous from now on: each node made later inherits the setting
sql("ALTER SYSTEM SET synchronous_standby_names = '*'");
sql('SELECT pg_reload_conf()');
my $standby = next_standby($primary, 'sync', 1);
my @pids = run_load(%load);

my (%long, %short, $due);
for my $round (1 .. 10)
{
	my $mode = $round % 2 ? 'on' : 'remote_apply';
	sql("ALTER SYSTEM SET synchronous_commit = '$mode'");
	sql('SELECT pg_reload_conf()');
	usleep(1_500_000 + int(rand(1_500_000)));
	if ($round == 10)
	{
		# leases, a delayed message, expired topic messages to come
		sql("SELECT pgmq_c.send('lease', '{\"n\": 1}'), pgmq_c.send('lease', '{\"n\": 2}')");
		@long{qw(id read_ct vt)} = split /\|/,
		  sql("SELECT msg_id, read_ct, vt FROM pgmq_c.read('lease', '300 seconds', 1)");
		@short{qw(id read_ct vt)} = split /\|/,
		  sql("SELECT msg_id, read_ct, vt FROM pgmq_c.read('lease', '6 seconds', 1)");
		$due = sql(q{
SELECT pgmq_c.send('later', '{"late": true}', delay => '3 seconds');
SELECT now() + interval '3 seconds'});
		($due) = (split /\n/, $due)[-1];
		sql(q{
SELECT count(*) FROM pgmq_c.send_batch('brief',
	array_fill('{"old": true}'::jsonb, ARRAY[2500]))});
		is(sql("SELECT queue_length FROM pgmq_c.metrics('brief')"), '2500',
			'the old primary keeps the topic\'s messages up to its failure');
	}
	$primary->stop('immediate');
	$standby->promote;
	point_clients_at($conninfo_file, $standby);
	my $next = next_standby($standby, 'sync', 1);
	($primary, $standby) = ($standby, $next);
	note "round $round ($mode): " . $primary->name . ' promoted';
}
sleep 2;
my ($r, $left) = finish_history(\%load, \@pids);
ok($r->{sent_ok} > 500, "the load sent ($r->{sent_ok} sends acknowledged)");
history_is_clean($r, $left);

# leases granted on the old primary
my $lease_id = sql("SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'lease'");
is(sql("SELECT vt = '$long{vt}' FROM pgmq_c.q_$lease_id WHERE msg_id = $long{id}"), 't',
	'a lease of the old primary has the same lease end on the new one');
is(sql("SELECT pgmq_c.delete('lease', $long{id}, $long{read_ct})"), 't',
	'and the receipt from before the failover deletes its message');
# (a delivery before the old lease end would print false, and the poll fail)
ok( $primary->poll_query_until(
		'postgres', qq{
SELECT msg_id || ':' || read_ct || ':' || (pg_catalog.now() >= '$short{vt}')
  FROM pgmq_c.read('lease', '60 seconds', 1)}, "$short{id}:2:true"),
	'the short lease of the old primary ends on the new one at its lease end, not before');

# a delayed message of the old primary comes due, not early
ok( $primary->poll_query_until(
		'postgres', qq{
SELECT read_ct || ':' || (pg_catalog.now() >= '$due')
  FROM pgmq_c.read('later', '60 seconds', 1)}, '1:true'),
	'the delayed message of the old primary comes due on the new one, not early');

# a promotion moves the msg_ids on, for the new timeline
like(slurp_file($primary->logfile),
	qr/pgmq_c: timeline \d+ began: the msg_ids of \d+ queues and topics moved on/,
	'the promoted node moved the msg_ids on for its timeline');

# the worker runs and does its time-driven work
ok(defined worker_pid($primary, 'postgres'), 'the background worker runs on the promoted node');
ok( $primary->poll_query_until(
		'postgres', "SELECT queue_length < 2500 FROM pgmq_c.metrics('brief')"),
	'topic retention resumes: the expired partitions are dropped');
my $listener = start_listener($primary, 'postgres');
sql("SELECT pgmq_c.send('noted', '{}')");
my @notes;
ok(collect_notes($listener, \@notes, $PostgreSQL::Test::Utils::timeout_default, 1, 'noted') >= 1,
	'notifications resume');
$listener->quit;

# a consumer can wait again
my $waiter = start_session($primary, 'waiter',
	"SELECT msg_id FROM pgmq_c.read('waited', '30 seconds', 1, wait => '25 seconds')");
ok(wait_sleeping($primary, 'waiter', 1, $waiter), 'a reader sleeps waiting on the promoted node');
my $sent = sql("SELECT pgmq_c.send('waited', '{}')");
is(finish_session($waiter), $sent, 'and the send wakes it with the message');

done_testing();
