# 007_xmin.pl: what each waiting form holds back while it sleeps.
#
#   SELECT pgmq_c.read(..., wait)          backend_xmin set (statement snapshot)
#   CALL pgmq_c.receive(..., wait)         backend_xmin and backend_xid NULL
#     (top level, autocommit)
#   BEGIN; CALL pgmq_c.receive(...)        backend_xmin set (cannot commit)
#
# Each sample is taken only while the backend sleeps in the pgmq_c wait
# (wait_event_type 'Extension'); wait_slice is long so the sleeps are not cut
# into slices.  Each form then returns the message sent to it.  Finally the
# xmin a waiting read() holds keeps VACUUM from removing a dead row, while a
# waiting receive() does not.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(usleep);

my $node = pgmqc_node(
	'xmin', conf => q{
pgmq_c.wait_slice = '60s'
autovacuum = off
});

sub sql { return $node->safe_psql('postgres', $_[0]); }

# backend_xmin / backend_xid of $app, sampled while it sleeps in the wait
# ('' if its session $s ended instead)
sub xmin_while_sleeping
{
	my ($app, $s) = @_;
	return poll_sessions($node, qq{
SELECT coalesce(backend_xmin::text, 'NULL') || '|' || coalesce(backend_xid::text, 'NULL')
  FROM pg_stat_activity
 WHERE application_name = '$app' AND wait_event_type = 'Extension' AND state = 'active'},
		sub { $_[0] ne '' }, $s);
}

sql("SELECT pgmq_c.create_queue('$_')") foreach qw(xr xc xb);
# a table whose dead row shows whether VACUUM is held back
sql("CREATE TABLE junk (i int); INSERT INTO junk VALUES (1)");

my %forms = (
	xr => [ "SELECT msg_id, read_ct FROM pgmq_c.read('xr', '30 s', 1, '25 s')" ],
	xc => [ "CALL pgmq_c.receive('xc', '30 s', 1, '25 s')" ],
	xb => [ 'BEGIN', "CALL pgmq_c.receive('xb', '30 s', 1, '25 s')", 'COMMIT' ],
);
my %name = (
	xr => 'SELECT read(..., wait)',
	xc => 'top-level CALL receive(..., wait)',
	xb => 'CALL receive(..., wait) inside BEGIN');
my %expect_xmin = (xr => 1, xc => 0, xb => 1);

foreach my $q (qw(xr xc xb))
{
	my $s = start_session($node, "w_$q", @{ $forms{$q} });
	my $res = xmin_while_sleeping("w_$q", $s);
	isnt($res, '', "$name{$q}: sleeps");
	my ($xmin, $xid) = split /\|/, $res;
	if ($expect_xmin{$q})
	{
		like($xmin, qr/^\d+$/, "$name{$q}: backend_xmin is set while it waits ($xmin)");
	}
	else
	{
		is($xmin, 'NULL', "$name{$q}: backend_xmin is NULL while it waits");
		# sample again later in the same sleep: still nothing held
		usleep(300_000);
		is(xmin_while_sleeping("w_$q", $s), 'NULL|NULL',
			"$name{$q}: backend_xmin and backend_xid stay NULL");
	}
	is($xid, 'NULL', "$name{$q}: no transaction id while it waits");

	# VACUUM: a row deleted now is dead to everybody but a snapshot holder
	sql('DELETE FROM junk; INSERT INTO junk VALUES (1)');
	my $vac = sql(q{
VACUUM junk;
SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'junk'});
	if ($expect_xmin{$q})
	{
		ok($vac > 0, "$name{$q}: VACUUM cannot remove the row deleted during the wait ($vac dead)");
	}
	else
	{
		is($vac, '0', "$name{$q}: VACUUM removes the row deleted during the wait");
	}

	my $id = sql(qq{SELECT pgmq_c.send('$q', '{"to": "$q"}')});
	my $out = finish_session($s);
	is_delivered($q eq 'xr' ? 'read' : 'receive', $out, $id,
		"$name{$q}: returns the message once sent");
	is($s->{err}, '', "$name{$q}: no error");
}

# the leases taken by receive() were committed: nothing is visible any more
is( sql(q{SELECT count(*) FROM pgmq_c.read('xc', '30 s', 10)}) .
	  sql(q{SELECT count(*) FROM pgmq_c.read('xb', '30 s', 10)}),
	'00', 'messages returned by receive() stay leased (the CALL committed)');

$node->stop;
done_testing();
