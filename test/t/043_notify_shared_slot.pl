# 043_notify_shared_slot.pl: a queue with notifications on is not announced
# again when nothing became visible in it, however often the wake-up slot
# it shares with another queue fires.
#
# With pgmq_c.wait_slots = 16, queue "backlog" (notifications on, one old
# message, and a delayed one that came due, announced once, and was not
# read) and queue "timer<i>" hashed onto the same slot (found by
# computing shmem.c's hash: slot_of in PgmqcTest.pm); 30 delayed messages
# to the timer queue, 10 ms each, make the worker wake that slot at each
# due time.  The timer queue is announced (its messages became visible);
# "backlog", where nothing happened, is not.
#
# Then, on a cluster without a free background worker slot for the
# database's worker, enable_notify warns that no notification will come.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('notify_shared_slot', conf => 'pgmq_c.wait_slots = 16');

sub sql { return $node->safe_psql('postgres', $_[0]); }


my $db = sql(q{SELECT oid FROM pg_database WHERE datname = current_database()});
sql(q{SELECT pgmq_c.create_queue('backlog');
	  SELECT pgmq_c.enable_notify('backlog');
	  SELECT pgmq_c.send('backlog', '{"old": true}');});
my $backlog_slot = slot_of($db,
	sql(q{SELECT queue_id FROM pgmq_c.queues WHERE queue_name = 'backlog'}), 16);
my $timer;
for my $i (1 .. 200)
{
	sql("SELECT pgmq_c.create_queue('timer$i')");
	my $id = sql("SELECT queue_id FROM pgmq_c.queues WHERE queue_name = 'timer$i'");
	if (slot_of($db, $id, 16) == $backlog_slot)
	{
		$timer = "timer$i";
		last;
	}
}
ok(defined $timer, "a queue shares the wake-up slot of \"backlog\"");
sql("SELECT pgmq_c.enable_notify('$timer')");

my $listener = start_listener($node, 'postgres');
my @notes;
collect_notes($listener, \@notes, 2);    # the old message's announcement
@notes = ();
# a delayed message comes due in "backlog" and nobody reads it: announced
# once, and not again at each later wake-up of the slot (until 0.8.0 a due
# delayed message was news at every look until a read moved it)
sql(q{SELECT pgmq_c.send('backlog', '{"delayed": true}', delay => '300 ms')});
collect_notes($listener, \@notes, 5, 1, 'backlog');
is(scalar(grep { $_->[1] eq 'backlog' } @notes), 1,
	'the delayed message of "backlog" is announced when it comes due');
collect_notes($listener, \@notes, 0.5);
@notes = ();

$node->safe_psql('postgres', qq{
DO \$\$
BEGIN
	FOR i IN 1..30 LOOP
		PERFORM pgmq_c.send('$timer', '{}', delay => '10 ms');
		COMMIT;
		PERFORM pg_sleep(0.02);
	END LOOP;
END \$\$});
collect_notes($listener, \@notes, 2);
my $timer_notes = grep { $_->[1] eq $timer } @notes;
my $backlog_notes = grep { $_->[1] eq 'backlog' } @notes;
cmp_ok($timer_notes, '>=', 1, "the queue whose messages became visible is announced");
is($backlog_notes, 0, '"backlog", where nothing became visible, is not announced again');
is(sql(q{SELECT queue_length FROM pgmq_c.metrics('backlog')}), '2',
	'it still holds its old message and the delayed one');

my ($ret, $out, $err) = $node->psql('postgres', q{SELECT pgmq_c.enable_notify('backlog')});
is($err, '', 'with a worker running, enable_notify warns of nothing');
$listener->quit;
$node->stop;

# A database that cannot have a worker (no background worker slot left:
# pgmq_c's launcher and PostgreSQL's logical replication launcher take the
# two there are): enable_notify warns that no notification will come, and
# the server log names the database.
my $bare = pgmqc_node('notify_no_worker', conf => 'max_worker_processes = 2');
$bare->wait_for_log(qr/pgmq_c could not start a worker for database "postgres" \(OID \d+\)/);
pass('the launcher says which database it could not start a worker for');
$bare->safe_psql('postgres', q{SELECT pgmq_c.create_queue('q')});
($ret, $out, $err) = $bare->psql('postgres', q{SELECT pgmq_c.enable_notify('q')});
is($ret, 0, 'enable_notify succeeds without a worker');
like($err, qr/WARNING:  no pgmq_c background worker runs for database "postgres"/,
	'and warns that no worker runs to send the notifications');
$bare->stop;
done_testing();
