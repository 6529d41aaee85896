# 010_standby.pl: the background worker and waiting on a hot standby.
#
# - Primary and streaming standby both preload pgmq_c.  No pgmq_c launcher or
#   worker runs on the standby, and status() there names no worker.
# - read(..., wait) and CALL receive(..., wait) on the standby fail at once
#   with SQLSTATE 25006 instead of waiting for what can never come;
#   enable_notify and disable_notify (which write) are refused the same way.
# - After promotion a worker starts on the new primary, and a reader waiting
#   there is woken by a send.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(gettimeofday tv_interval);

my $primary = pgmqc_node('primary', init => { allows_streaming => 1 });
$primary->safe_psql('postgres', "SELECT pgmq_c.create_queue('sb')");
$primary->safe_psql('postgres', "SELECT pgmq_c.send('sb', '{\"before\": 1}')");

my $standby = pgmqc_standby($primary, 'standby');

# the primary's worker, as a control for the checks on the standby
ok(defined worker_pid($primary, 'postgres'), 'a pgmq_c worker runs on the primary');
$primary->safe_psql('postgres', "SELECT pgmq_c.send('sb', '{\"streamed\": 1}')");
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', "SELECT queue_length FROM pgmq_c.metrics('sb')"),
	'2', 'the standby has both messages');

is( $standby->safe_psql(
		'postgres', q{
SELECT count(*) FROM pg_stat_activity
 WHERE backend_type IN ('pgmq_c worker', 'pgmq_c launcher')}),
	'0', 'no pgmq_c launcher or worker runs on the standby');
is( $standby->safe_psql(
		'postgres',
		"SELECT preloaded::text || '|' || coalesce(worker_pid::text, 'none') FROM pgmq_c.status()"),
	'true|none', 'status() on the standby: preloaded, no worker');

foreach my $call (
	"SELECT * FROM pgmq_c.read('sb', '30 s', 1, '5 s')",
	"CALL pgmq_c.receive('sb', '30 s', 1, '5 s')")
{
	my $t0 = [gettimeofday];
	my ($ret, $stdout, $stderr) =
	  $standby->psql('postgres', "\\set VERBOSITY sqlstate\n$call");
	my $took = tv_interval($t0);
	like($stderr, qr/ERROR:  25006/, "refused on the standby with 25006: $call");
	ok($took < 4, "at once, without waiting ($took s)");
}

foreach my $call (
	"SELECT pgmq_c.enable_notify('sb')",
	"SELECT pgmq_c.disable_notify('sb')")
{
	my ($ret, $stdout, $stderr) =
	  $standby->psql('postgres', "\\set VERBOSITY sqlstate\n$call");
	like($stderr, qr/ERROR:  25006/, "refused on the standby with 25006: $call");
}

# nothing started on the standby in the meantime either
is( $standby->safe_psql(
		'postgres', q{
SELECT count(*) FROM pg_stat_activity
 WHERE backend_type IN ('pgmq_c worker', 'pgmq_c launcher')}),
	'0', 'still no pgmq_c background process on the standby');

# promotion
$primary->stop;
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'standby did not leave recovery';

ok( $standby->poll_query_until(
		'postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pgmq_c launcher'}),
	'after promotion the launcher runs');
ok(defined worker_pid($standby, 'postgres'), 'and a worker for database postgres');
ok( $standby->poll_query_until(
		'postgres', q{
SELECT worker_pid = (SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker')
  FROM pgmq_c.status()}),
	'status() names it');

# drain the two old messages, then wait for a new one
is( $standby->safe_psql('postgres', "SELECT count(*) FROM pgmq_c.read('sb', '1 hour', 10)"),
	'2', 'the new primary serves the old messages');

my $reader = start_session($standby, 'sb_reader', "SET pgmq_c.wait_slice = '60s'",
	"SELECT message->>'after' FROM pgmq_c.read('sb', '30 s', 1, '20 s')");
ok(wait_sleeping($standby, 'sb_reader', 1, $reader), 'a reader waits on the new primary');
my $t_send = [gettimeofday];
$standby->safe_psql('postgres', "SELECT pgmq_c.send('sb', '{\"after\": \"promotion\"}')");
my $out = finish_session($reader);
my $lag = tv_interval($t_send);
is($out, 'promotion', 'the waiting reader gets the message sent after promotion');
is($reader->{err}, '', 'without error');
ok($lag < 3, "woken by the send ($lag s; wait_slice 60 s)");

$standby->stop;
done_testing();
