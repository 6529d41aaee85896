# 013_notify_edges.pl: notifications in the corners.
#
# A. A delayed message whose sending transaction commits after its due time
#    is notified after the COMMIT (the worker's timer fires while the row is
#    still invisible; the commit must not be forgotten).
# B. A send inside a throttle window is notified when the window ends, even
#    if the worker re-reads its settings meanwhile (enable_notify of another
#    queue).
# C. Re-reading the settings does not open a new throttle window: a queue
#    still gets at most one notification per window.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(gettimeofday tv_interval usleep);

my $node = PostgreSQL::Test::Cluster->new('notify_edges');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgmq_c'");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql('CREATE EXTENSION pgmq_c');
sql("SELECT pgmq_c.create_queue('$_')") foreach qw(qa qb qc other);
# the first send asks for the worker
sql(q{SELECT pgmq_c.delete('other', pgmq_c.send('other', '{}'))});
ok( $node->poll_query_until(
		'postgres', 'SELECT worker_pid IS NOT NULL FROM pgmq_c.status()'),
	'the worker runs');

my $listener = $node->background_psql('postgres');
$listener->set_query_timer_restart;
$listener->query_safe('LISTEN pgmq_c');
my @notes;    # [ time seen, payload ]

sub poll_notes
{
	my $out = $listener->query_safe('SELECT 1');
	while ($out =~ /Asynchronous notification "pgmq_c" with payload "([^"]*)" received/g)
	{
		push @notes, [ [gettimeofday], $1 ];
	}
}

# poll for $secs seconds, or until there are $n notifications for $q
sub collect_notes
{
	my ($secs, $q, $n) = @_;
	my $t0 = [gettimeofday];
	while (tv_interval($t0) < $secs)
	{
		poll_notes();
		last if defined $n && grep({ $_->[1] eq $q } @notes) >= $n;
		usleep(20_000);
	}
	return grep { $_->[1] eq $q } @notes;
}

#
# A. Delayed send committed after its due time.
#
sql(q{SELECT pgmq_c.enable_notify('qa')});
my $tx = $node->background_psql('postgres');
$tx->query_safe('BEGIN');
my $aid = $tx->query_safe(q{SELECT pgmq_c.send('qa', '{"late": 1}', NULL, '1 s')});
@notes = ();
# the send stays uncommitted past its due time
my @before = collect_notes(2.5, 'qa');
is(scalar(@before), 0,
	'A: no notification while the delayed send is uncommitted (nothing is visible)');
my $t_commit = [gettimeofday];
$tx->query_safe('COMMIT');
@notes = ();
my @after = collect_notes(3, 'qa', 1);
is(scalar(@after), 1,
	'A: the delayed message, due before its COMMIT, is notified after the COMMIT');
is(sql(q{SELECT count(*) FROM pgmq_c.read('qa', '1 hour', 10)}), '1',
	'A: the message is there to read');
$tx->quit;

#
# B. A pending (throttled) notification survives a settings reload.
#
sql(q{SELECT pgmq_c.enable_notify('qb', '3 s')});
collect_notes(0.5, 'qb');
@notes = ();
sql(q{SELECT pgmq_c.send('qb', '{"b": 1}')});
my @b = collect_notes(3, 'qb', 1);
is(scalar(@b), 1, 'B: the first send is notified at once');
my $t_first = @b ? $b[0][0] : [gettimeofday];
sql(q{SELECT pgmq_c.send('qb', '{"b": 2}')});    # inside the 3 s window
sql(q{SELECT pgmq_c.enable_notify('other')});     # the worker re-reads its settings
@b = collect_notes(5.5 - tv_interval($t_first), 'qb', 2);
is(scalar(@b), 2,
	'B: the send inside the throttle window is notified when the window ends, despite the reload');
if (@b == 2)
{
	my $gap = tv_interval($t_first, $b[1][0]);
	ok($gap >= 2.5, "B: a window after the first ($gap s)");
}
sql(q{SELECT pgmq_c.disable_notify('other')});

#
# C. A settings reload does not open a new throttle window.
#
sql(q{SELECT pgmq_c.enable_notify('qc', '5 s')});
collect_notes(0.5, 'qc');
@notes = ();
sql(q{SELECT pgmq_c.send('qc', '{"c": 1}')});
my @c = collect_notes(3, 'qc', 1);
is(scalar(@c), 1, 'C: the first send is notified at once');
$t_first = @c ? $c[0][0] : [gettimeofday];
sql(q{SELECT pgmq_c.enable_notify('other')});    # reload
sql(q{SELECT pgmq_c.send('qc', '{"c": 2}')});
@c = collect_notes(7.5 - tv_interval($t_first), 'qc', 2);
is(scalar(@c), 2, 'C: the second send is notified too');
if (@c == 2)
{
	my $gap = tv_interval($t_first, $c[1][0]);
	ok($gap >= 4.5, "C: but not before the 5 s window ended ($gap s after the first)");
}

$listener->quit;
$node->stop;
done_testing();
