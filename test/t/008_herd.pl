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

$node->stop;
done_testing();
