# 011_no_preload.pl: waiting without shared_preload_libraries.
#
# Waiting readers then poll every pgmq_c.poll_interval (20 ms) instead of
# being woken, but read(..., wait) and CALL receive(..., wait) still deliver a
# message sent from another session during the wait (and a delayed message
# at its time).  status() says preloaded = false with no worker, no pgmq_c
# background process runs, and enable_notify is refused with 55000.  A
# consumer group's reader inside a transaction block fills the group itself
# (under REPEATABLE READ it does not, and gets nothing new).
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(gettimeofday tv_interval);

my $node = pgmqc_node('no_preload_wait', preload => 0);

sub sql { return $node->safe_psql('postgres', $_[0]); }

is(sql('SHOW shared_preload_libraries'), '', 'pgmq_c is not preloaded');
sql("SELECT pgmq_c.create_queue('$_')") foreach qw(np npd);

is( sql(q{
SELECT preloaded::text || '|' || coalesce(worker_pid::text, 'none') || '|' ||
       coalesce(sleeping_readers::text, 'none') || '|' || coalesce(wakeups::text, 'none')
  FROM pgmq_c.status()}),
	'false|none|none|none', 'status(): not preloaded, no worker, no shared counters');

foreach my $form (
	[ 'read', "SELECT msg_id, read_ct FROM pgmq_c.read('np', '30 s', 1, '10 s')" ],
	[ 'receive', "CALL pgmq_c.receive('np', '30 s', 1, '10 s')" ])
{
	my ($what, $stmt) = @$form;
	my $r = start_session($node, "np_$what", $stmt);
	ok(wait_sleeping($node, "np_$what", 1, $r), "$what: the reader waits (polling)");
	my $t_send = [gettimeofday];
	my $id = sql(qq{SELECT pgmq_c.send('np', '{"form": "$what"}')});
	finish_session($r);
	my $lag = tv_interval($t_send);
	is_delivered($what, $r->{out}, $id, "$what: gets the message sent during the wait");
	is($r->{err}, '', "$what: no error");
	ok($lag < 3, "$what: ${lag}s after the send, well within the 10 s wait");
}

# a delayed message reaches a waiting reader at its time
my $r = start_session($node, 'np_delay',
	"SELECT extract(epoch FROM vt - interval '30 s') - extract(epoch FROM enqueued_at)
	   FROM pgmq_c.read('npd', '30 s', 1, '10 s')");
ok(wait_sleeping($node, 'np_delay', 1, $r), 'a reader waits on queue npd');
sql(q{SELECT pgmq_c.send('npd', '{"late": 1}', NULL, '1 s')});
finish_session($r);
ok($r->{out} ne '' && $r->{out} >= 1.0 && $r->{out} < 3.0,
	"a delayed message is delivered at its time ($r->{out} s after the send, delay 1 s)");

# a rolled-back send delivers nothing
$r = start_session($node, 'np_rb',
	"SELECT count(*) FROM pgmq_c.read('np', '30 s', 1, '2 s')");
sql(q{BEGIN; SELECT pgmq_c.send('np', '{"rolled": "back"}'); ROLLBACK});
finish_session($r);
is($r->{out}, '0', 'a rolled-back send delivers nothing to a waiting reader');

my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"\\set VERBOSITY sqlstate\nSELECT pgmq_c.enable_notify('np')");
like($stderr, qr/ERROR:  55000/, 'enable_notify is refused with 55000');
is(sql(q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pgmq\_c%'}),
	'0', 'no pgmq_c background process runs');

# a consumer group's reader inside a transaction block, which would ask the
# worker to fill the group, fills it itself (it crashed the backend before)
sql(q{SELECT pgmq_c.create_topic('npt'); SELECT pgmq_c.create_group('npt', 'g');
	  SELECT pgmq_c.send('npt', '{"n": 1}');});
is(sql(q{BEGIN; SELECT msg_id FROM pgmq_c.read_group('npt', 'g', '30 s', 1); COMMIT;}),
	'1', 'read_group inside BEGIN fills the group itself without a worker');
sql(q{SELECT pgmq_c.send('npt', '{"n": 2}')});
is(sql(q{BEGIN ISOLATION LEVEL REPEATABLE READ;
		 SELECT count(*) FROM pgmq_c.read_group('npt', 'g', '30 s', 1); COMMIT;}),
	'0', 'under REPEATABLE READ it does not fill (its snapshot may miss messages) and returns nothing');
is(sql(q{SELECT msg_id FROM pgmq_c.read_group('npt', 'g', '30 s', 1)}), '2',
	'an autocommit read then fills and gets the message');

$node->stop;
done_testing();
