# 029_async_loss.pl: what asynchronous durability loses, measured with the
# recorded load, and what it never does.
#
# 1. synchronous_commit = off for the clients (the "asynchronous flush"
#    recipe): five crashes (immediate stop) under the load.  A commit then
#    returns before its WAL is written; the WAL writer writes it within
#    about 3 x wal_writer_delay, and what was not yet written when the
#    server died is gone.  Acknowledged sends may be lost, acknowledged
#    deletes may come back.
# 2. An asynchronous standby: three failovers (immediate stop of the
#    primary, promotion) under the load.  What the standby had not received
#    is gone.
# Both are measured, not asserted: the counts and, for lost sends, how long
# before the crash they were acknowledged, are printed (TAP notes, and one
# "loss:" line each for docs/failover.md).  What must hold all the same is
# asserted: no message appears that was not sent, every queue and group can
# be drained, and the history has deliveries; after the failovers also that
# no msg_id names two messages (the promoted node's sequences move past the
# old primary's, timelines.c).  After a crash with asynchronous commit a
# msg_id can be handed out twice (the sequence's WAL lost with the sends):
# measured, a known limit (README, "Asynchronous commit").
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
use Time::HiRes qw(time usleep);

# How long before a crash the lost sends of $dir were acknowledged: the
# largest gap, in ms (0 when nothing was lost).  @$crashes are the times
# each stop had returned (the server dead), so the gap includes pg_ctl's
# wait, up to a few hundred ms.
sub loss_window_ms
{
	my ($dir, $r, $crashes) = @_;
	my $worst = 0;
	foreach my $line (@{ $r->{details} })
	{
		next unless $line =~ /^lost \S+ message (\S+) /;
		my $id = $1;
		my ($client) = $id =~ /^p(\d+)\./;
		open(my $fh, '<', "$dir/producer-$client.log") or next;
		while (<$fh>)
		{
			my @f = split /\t/;
			next unless $f[2] eq 'send' && $f[4] eq $id && $f[7] eq 'ok';
			my ($crash) = grep { $_ >= $f[1] } @$crashes;
			$worst = 1000 * ($crash - $f[1]) if defined $crash && 1000 * ($crash - $f[1]) > $worst;
		}
		close $fh;
	}
	return $worst;
}

sub summary
{
	my ($what, $r, $window) = @_;
	my $line = sprintf(
		'loss: %s: %d sends acknowledged, %d lost, %d resurrected, %d duplicated, %d out of order, %d reused ids; lost sends acknowledged at most %.0f ms before the failure',
		$what, $r->{sent_ok}, $r->{lost}, $r->{resurrected}, $r->{duplicated}, $r->{order},
		$r->{reused_id}, $window);
	diag $line;
	return $line;
}

# the assertions that hold whatever the durability (@kinds: more of them)
sub holds
{
	my ($r, $left, @kinds) = @_;
	ok($r->{delivered} > 0, 'messages were delivered');
	history_is_clean($r, $left, 'unexpected', @kinds);
}

#
# 1. Asynchronous commit, five crashes
#
my $node = pgmqc_node('async_commit', conf => "wal_writer_delay = '200ms'\n");
my $dir = PostgreSQL::Test::Utils::tempdir();
my %load = (%PgmqcHistory::SHAPE,
	conninfo => $node->connstr('postgres') . " options='-c synchronous_commit=off'",
	dir => $dir);
setup(%load);
my @pids = run_load(%load);
my @crashes;
for my $round (1 .. 5)
{
	usleep(1_500_000 + int(rand(1_000_000)));
	$node->stop('immediate');
	# once stopped: every acknowledgement before now came before the crash
	push @crashes, time();
	$node->start;
}
sleep 1;
my ($r, $left) = finish_history(\%load, \@pids);
summary('synchronous_commit = off, 5 crashes', $r, loss_window_ms($dir, $r, \@crashes));
holds($r, $left);
$node->stop;

#
# 2. An asynchronous standby, three failovers
#
my $primary = pgmqc_node('async0', init => { allows_streaming => 1 });
$dir = PostgreSQL::Test::Utils::tempdir();
my $conninfo_file = "$dir/conninfo";
%load = (%PgmqcHistory::SHAPE, conninfo => $primary->connstr('postgres'),
	conninfo_file => $conninfo_file, dir => $dir);

setup(%load);
point_clients_at($conninfo_file, $primary);
my $standby = next_standby($primary, 'async', 0);
@pids = run_load(%load);
@crashes = ();
for my $round (1 .. 3)
{
	usleep(1_500_000 + int(rand(1_000_000)));
	$primary->stop('immediate');
	push @crashes, time();
	$standby->promote;
	point_clients_at($conninfo_file, $standby);
	my $next = next_standby($standby, 'async', 0);
	($primary, $standby) = ($standby, $next);
}
sleep 1;
($r, $left) = finish_history(\%load, \@pids);
summary('asynchronous standby, 3 failovers', $r, loss_window_ms($dir, $r, \@crashes));
holds($r, $left, 'reused_id');

done_testing();
