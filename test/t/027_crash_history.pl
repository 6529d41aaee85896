# 027_crash_history.pl: 20 crashes under a recorded load lose nothing.
#
# Four producers and four consumers (test/history/PgmqcHistory.pm) work on a
# queue, a queue with ordering keys and a topic with two groups: a fifth of
# the sends delayed up to 1.5 s, leases of 2 s, a tenth of the deliveries
# left to expire and a tenth nacked.  Twenty times, after 1 to 2.5 s, the
# server is stopped in immediate mode (a crash: no shutdown checkpoint,
# every connection cut) and started again; the clients reconnect and a
# producer resends a send of unknown outcome with its dedup_id.  Then the
# load stops, a drain consumes what is left (so delayed messages must come
# due and abandoned leases expire on the restarted server's worker), and the
# checker reads the whole history: 0 lost, 0 unexpected, 0 duplicated
# beyond the contract, 0 resurrected, no msg_id naming two messages, no key
# delivered out of order, nothing left.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use lib "$FindBin::RealBin/../history";
use PgmqcTest;
use PgmqcHistory qw(setup run_load finish_history history_is_clean);
use Time::HiRes qw(usleep);

my $node = pgmqc_node('crash_history');
my $dir = PostgreSQL::Test::Utils::tempdir();
my %load = (%PgmqcHistory::SHAPE, conninfo => $node->connstr('postgres'), dir => $dir);

setup(%load);
my @pids = run_load(%load);
for my $round (1 .. 20)
{
	usleep(1_000_000 + int(rand(1_500_000)));
	$node->stop('immediate');
	$node->start;
}
# some load on the last start, then the rest is drained
sleep 2;
my ($r, $left) = finish_history(\%load, \@pids);
ok($r->{sent_ok} > 1000, "the load sent ($r->{sent_ok} sends acknowledged)");
ok($r->{sent_failed} + $r->{sent_unknown} > 0,
	"the crashes cut sends short ($r->{sent_failed} failed, $r->{sent_unknown} unknown)");
history_is_clean($r, $left);

# the background worker came back with the last restart
ok(defined worker_pid($node, 'postgres'), 'the worker runs after the last restart');

$node->stop;
done_testing();
