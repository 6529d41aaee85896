# 008_herd.pl: no thundering herd.  50 readers wait on one queue (25 with
# SELECT read(..., wait), 25 with CALL receive(..., wait), qty 1), then one
# transaction sends 10 messages:
#   - exactly 10 readers get a message, each message exactly once;
#   - the other 40 keep sleeping and end their wait with nothing;
#   - status().wakeups grows by about 10, not 50.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(gettimeofday tv_interval);

my $nwait = 50;
my $nmsg = 10;

my $node = pgmqc_node('herd', conf => 'max_connections = 80');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql("SELECT pgmq_c.create_queue('herd')");

# Long wait slices: a reader leaves its sleep only when woken (or at the end
# of its wait), so the wake-up count is exact.
my @w;
for my $i (1 .. $nwait)
{
	my $stmt =
	  $i % 2
	  ? "SELECT msg_id, read_ct FROM pgmq_c.read('herd', '1 hour', 1, '15 s')"
	  : "CALL pgmq_c.receive('herd', '1 hour', 1, '15 s')";
	my $s = start_session($node, "herd_$i", "SET pgmq_c.wait_slice = '60s'", $stmt);
	$s->{i} = $i;
	$s->{form} = $i % 2 ? 'read' : 'receive';
	push @w, $s;
}

ok(wait_sleeping($node, 'herd\\_%', $nwait, @w), "$nwait readers sleep");
is(sql('SELECT sleeping_readers FROM pgmq_c.status()'), $nwait,
	"status() counts $nwait sleeping readers");
my $w0 = sql('SELECT wakeups FROM pgmq_c.status()');

my @ids = split /\n/,
  sql("SELECT * FROM pgmq_c.send_batch('herd', array_fill('{\"m\": 1}'::jsonb, ARRAY[$nmsg]))");
is(scalar(@ids), $nmsg, "$nmsg messages sent in one transaction");

ok( $node->poll_query_until(
		'postgres', "SELECT in_flight_length = $nmsg FROM pgmq_c.metrics('herd')"),
	"all $nmsg messages were claimed");
ok( $node->poll_query_until(
		'postgres', qq{
SELECT count(*) = 0 FROM pg_stat_activity
 WHERE application_name LIKE 'herd\\_%' AND wait_event_type IS DISTINCT FROM 'Extension'}),
	'every reader that is still connected is asleep again');
my $still = sql(q{
SELECT count(*) FROM pg_stat_activity
 WHERE application_name LIKE 'herd\_%' AND wait_event_type = 'Extension'});
is($still, $nwait - $nmsg, ($nwait - $nmsg) . ' readers keep waiting');
is(sql('SELECT sleeping_readers FROM pgmq_c.status()'), $nwait - $nmsg,
	'status() agrees');
my $woken = sql('SELECT wakeups FROM pgmq_c.status()') - $w0;
ok($woken >= $nmsg && $woken <= 2 * $nmsg,
	"$woken wake-ups for $nmsg messages and $nwait sleepers");

# everyone ends: 10 with one message each, 40 with nothing at the end of the wait
my (%delivered, $with, $without, @bad);
foreach my $s (@w)
{
	finish_session($s);
	push @bad, "herd_$s->{i}: $s->{err}" if $s->{err} ne '';
	my $mid;
	if ($s->{form} eq 'read')
	{
		($mid) = $s->{out} =~ /^(\d+)\|1$/;
		push @bad, "herd_$s->{i}: '$s->{out}'"
		  unless defined $mid || $s->{out} eq '';
	}
	else
	{
		($mid) = $s->{out} =~ /^\{"\((\d+),1,.*\)"\}$/;
		push @bad, "herd_$s->{i}: '$s->{out}'"
		  unless defined $mid || $s->{out} eq '{}';
	}
	if (defined $mid) { $delivered{$mid}++; $with++; }
	else { $without++; }
}
is_deeply(\@bad, [], 'every reader ended cleanly with one message or none');
is($with, $nmsg, "$nmsg readers got a message");
is($without, $nwait - $nmsg, ($nwait - $nmsg) . ' readers got nothing');
is_deeply([ sort { $a <=> $b } keys %delivered ], [ sort { $a <=> $b } @ids ],
	'every message was delivered');
is(scalar(grep { $_ != 1 } values %delivered), 0, 'no message twice');
is(sql('SELECT sleeping_readers FROM pgmq_c.status()'), '0', 'nobody sleeps at the end');

#
# A wake-up is not lost with the reader it woke.  Two readers sleep on a
# queue; one send wakes one of them, whose look then waits for a lock that
# a third session holds on the queue's delayed table, and is cancelled
# there.  The cancel passes the wake-up on: the other reader gets the
# message once the lock is gone, long before the end of its wait (before
# the fix it slept to the end and got nothing).
#
sql("SELECT pgmq_c.create_queue('pass')");
my $pass_qid = sql("SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'pass'");
my @pass;
foreach my $who (qw(pass_a pass_b))
{
	my $s = start_session($node, $who, "SET pgmq_c.wait_slice = '60s'",
		"CALL pgmq_c.receive('pass', '1 hour', 1, '30 s')");
	$s->{name} = $who;
	ok(wait_sleeping($node, $who, 1, $s), "$who sleeps");
	push @pass, $s;
}
my $locker = start_session($node, 'pass_lock', 'BEGIN',
	"LOCK TABLE pgmq_c.d_$pass_qid IN ACCESS EXCLUSIVE MODE",
	'SELECT pg_sleep(3)', 'COMMIT');
is( poll_sessions(
		$node, qq{SELECT count(*) FROM pg_locks
 WHERE relation = 'pgmq_c.d_$pass_qid'::regclass AND mode = 'AccessExclusiveLock' AND granted},
		sub { $_[0] eq '1' }, $locker),
	'1', 'a session holds a lock on the delayed table');
my $pass_id = sql("SELECT pgmq_c.send('pass', '{\"pass\": \"on\"}')");
my $t_sent = [gettimeofday];
my $blocked = poll_sessions(
	$node, q{SELECT string_agg(application_name, ',') FROM pg_stat_activity
 WHERE application_name LIKE 'pass\_%' AND wait_event_type = 'Lock'},
	sub { $_[0] =~ /^pass_[ab]$/ }, @pass);
like($blocked, qr/^pass_[ab]$/, "the woken reader ($blocked) waits for the lock");
is(sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = '$blocked'"),
	't', 'it is cancelled');
my ($cancelled) = grep { $_->{name} eq $blocked } @pass;
my ($other) = grep { $_->{name} ne $blocked } @pass;
finish_session($cancelled);
like($cancelled->{err}, qr/canceling statement/, "$blocked: cancelled");
finish_session($other);
my $pass_lag = tv_interval($t_sent);
like($other->{out}, qr/^\{"\($pass_id,1,/, "$other->{name} gets the message");
ok($pass_lag < 15, "${pass_lag}s after the send (the wait was 30 s, the lock held about 3 s)");
finish_session($locker);

$node->stop;
done_testing();
