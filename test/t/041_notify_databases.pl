# 041_notify_databases.pl: notifications at due times with several
# databases using pgmq_c.
#
# The wake-up slots, and the due times of delayed messages and lease ends
# kept in them, are shared by every database; each database's worker wakes
# the slots whose due time came, and the first one clears it.  The worker
# of the queue's own database must still learn of it, or the notification
# "a delayed message is due" of a queue with enable_notify would be sent
# only when the right worker happened to come first (one time in four
# here).  Four databases use pgmq_c; a queue of database postgres gets six
# delayed messages one after the other, and a notification at each due
# time (before any read), and one at each lease end.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('notifydb');

sub sql { return $node->safe_psql($_[1] // 'postgres', $_[0]); }

foreach my $db (qw(other1 other2 other3))
{
	sql("CREATE DATABASE $db");
	sql('CREATE EXTENSION pgmq_c', $db);
	sql(q{SELECT pgmq_c.create_queue('busy'); SELECT pgmq_c.send('busy', '{}')}, $db);
	ok(defined worker_pid($node, $db), "database $db has its worker");
}
sql(q{SELECT pgmq_c.create_queue('nq'); SELECT pgmq_c.enable_notify('nq', '0')});
sql(q{SELECT pgmq_c.send('nq', '{"warm": 1}')});
ok(defined worker_pid($node, 'postgres'), 'database postgres has its worker');
sql(q{SELECT pgmq_c.purge_queue('nq')});

my $listener = start_listener($node, 'postgres');
my @notes;
collect_notes($listener, \@notes, 2);    # what the warm-up sent

my $due_notes = 0;
for my $round (1 .. 6)
{
	@notes = ();
	sql(q{SELECT pgmq_c.send('nq', '{"late": 1}', delay => '1 second')});
	# nothing is visible before the due time, so a notification within 6 s
	# can only be the due time's
	$due_notes++ if collect_notes($listener, \@notes, 6, 1, 'nq') >= 1;
	sql(q{SELECT pgmq_c.purge_queue('nq')});
}
is($due_notes, 6, 'each of 6 delayed messages was notified when due');

my $lease_notes = 0;
for my $round (1 .. 4)
{
	sql(q{SELECT pgmq_c.send('nq', '{"leased": 1}')});
	collect_notes($listener, \@notes, 2);    # the send's own
	@notes = ();
	is(sql(q{SELECT count(*) FROM pgmq_c.read('nq', '1 second', 1)}), '1',
		"round $round: leased for 1 s");
	$lease_notes++ if collect_notes($listener, \@notes, 6, 1, 'nq') >= 1;
	sql(q{SELECT pgmq_c.purge_queue('nq')});
}
is($lease_notes, 4, 'each of 4 lease ends was notified');

$listener->quit;
$node->stop;
done_testing();
