# 040_worker_lock_waits.pl: a client's open transaction cannot stop the
# database's background worker.
#
# The worker locks what clients lock: a queue's tables, the row of an
# ordering key.  A role that may create queues (or send to and read a keyed
# queue) can hold such a lock in a transaction it never ends.  The worker
# waits for no lock longer than its lock_timeout (1 s): it leaves that
# queue for its next pass and serves the others meanwhile.  Checked through
# the notifications of another role's queue, which the worker sends:
#
# - a queue's tables: purge_queue() in an open transaction holds the queue
#   the worker's dead-letter pass locks first;
# - a key's row: a keyed message whose lease ends on a queue with
#   max_deliveries 1 is a dead letter the worker moves, which waits for an
#   open transaction that sent the same key.
#
# Once the transaction ends, the worker does what it left: the dead letter
# reaches its dead-letter queue.  A transaction that holds many queues (or
# a dead-letter queue many name, or queues with notifications on) does not
# add up the waits: the worker leaves a queue whose lock is held at once.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(gettimeofday tv_interval);
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('lockwaits');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{
SELECT pgmq_c.create_queue('vq');
SELECT pgmq_c.enable_notify('vq', '0');
SELECT pgmq_c.create_queue('k_dlq');
SELECT pgmq_c.create_queue('kq', max_deliveries => 1, dead_letter_queue => 'k_dlq');
SELECT pgmq_c.create_queue('pq', max_deliveries => 1);
});
# the worker runs
sql(q{SELECT pgmq_c.send('vq', '{"warm": 1}')});
ok(defined worker_pid($node, 'postgres'), 'the worker runs');

my $listener = start_listener($node, 'postgres');

# A notification of vq arrives within $secs seconds of a send.
my @drained;    # what notified_within() took out of the way, and when

sub notified_within
{
	my ($secs, $what) = @_;
	my @notes;
	collect_notes($listener, \@notes, 1);    # drain what came before
	push @drained, @notes;
	@notes = ();
	sql(qq{SELECT pgmq_c.send('vq', '{"what": "$what"}')});
	my $n = collect_notes($listener, \@notes, $secs, 1, 'vq');
	push @drained, @notes;
	return $n >= 1;
}

ok(notified_within(10, 'before'), 'a send to vq is notified');

# A client of the node, known as $app, that runs $sql in a transaction it
# keeps open for $secs seconds; returned once it sleeps (one test).
sub hold
{
	my ($app, $secs, $sql, $what) = @_;
	my $h = start_psql($node, app => $app,
		sql => [ 'BEGIN', $sql, "SELECT pg_sleep($secs)", 'COMMIT' ]);
	ok( $node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE application_name = '$app' AND query LIKE '%pg_sleep%'}), $what);
	return $h;
}

# End hold()'s client $h, known as $app: its transaction rolls back.
sub release
{
	my ($app, $h) = @_;
	$node->safe_psql('postgres', qq{SELECT pg_terminate_backend(pid)
  FROM pg_stat_activity WHERE application_name = '$app'});
	finish_session($h);
}

#
# 1. A queue's tables.
#
my $holder = hold('purge_holder', 40,
	q{SELECT pgmq_c.purge_queue('pq')},
	'a transaction that purged queue pq stays open');
sleep 3;						# at least one pass meets the queue
ok(notified_within(10, 'queue held'),
	'while it is open, a send to another queue is notified');
release('purge_holder', $holder);
ok(notified_within(10, 'after purge'), 'and after it ends');

#
# 2. A key's row.
#
sql(q{SELECT pgmq_c.send('kq', '{"n": 1}', ordering_key => 'K')});
is(sql(q{SELECT count(*) FROM pgmq_c.read('kq', '1 second', 1)}), '1',
	'the keyed message is leased for 1 s (a dead letter when it ends)');
$holder = hold('key_holder', 40,
	q{SELECT pgmq_c.send('kq', '{"n": 2}', ordering_key => 'K')},
	'a transaction that sent key K stays open');
sleep 3;						# the lease ends; the worker's pass meets the key
ok(notified_within(10, 'key held'),
	'while it is open, a send to another queue is notified');
is(sql(q{SELECT count(*) FROM pgmq_c.read('k_dlq', '0', 10)}), '0',
	'the dead letter waits for the key');
release('key_holder', $holder);
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pgmq_c.read('k_dlq', '0', 10)}),
	'once it ends, the worker moves the dead letter');

#
# 3. Many queues at once.  Each queue whose lock is held would cost the
#    worker's pass a lock_timeout (twice, with its archive step): 20 of them
#    held up its timers and notifications for about 40 s.  The pass now
#    takes a queue's lock only when it is free, and leaves the others for a
#    later pass.
#
sql(q{SELECT count(pgmq_c.create_queue('pq_' || i, max_deliveries => 1)) FROM generate_series(1, 20) i});
$holder = hold('many_holder', 60,
	q{SELECT count(pgmq_c.purge_queue('pq_' || i)) FROM generate_series(1, 20) i},
	'a transaction that purged 20 queues stays open');
sleep 3;						# passes meet the queues
ok(notified_within(4, 'twenty held'),
	'while it is open, a send to another queue is notified within 4 s');
ok(notified_within(4, 'twenty held, again'), 'and again');
release('many_holder', $holder);

#
# 4. A dead-letter queue held.  The pass looks at the dead-letter queue's
#    primary key (bb6b8d8) for every queue that names it, before anything
#    is known to be dead: that look waited lock_timeout, 1 s for each of
#    20 empty queues (a notification 11 s late).  It now takes the
#    dead-letter queue's lock only when it is free.
#
sql(q{SELECT pgmq_c.create_queue('held_dlq');
SELECT count(pgmq_c.create_queue('dq_' || i, max_deliveries => 3,
                                 dead_letter_queue => 'held_dlq'))
  FROM generate_series(1, 20) i});
$holder = hold('dlq_holder', 60,
	q{SELECT pgmq_c.purge_queue('held_dlq')},
	'a transaction that purged the dead-letter queue of 20 queues stays open');
sleep 3;						# passes meet the queues
ok(notified_within(4, 'dead-letter queue held'),
	'while it is open, a send to another queue is notified within 4 s');
ok(notified_within(4, 'dead-letter queue held, again'), 'and again');
release('dlq_holder', $holder);

#
# 5. Queues with notifications on, held.  The notification step locked
#    each queue whose delayed message came due, waiting lock_timeout for
#    each held one (20: 20 s before the others' notifications), and then
#    left that queue out until the worker's settings were read again: its
#    messages, due meanwhile, were never notified.  It now leaves a held
#    queue for a look a second later.
#
sql(q{SELECT count(pgmq_c.create_queue('nq_' || i)) FROM generate_series(1, 20) i;
SELECT count(pgmq_c.enable_notify('nq_' || i, '0')) FROM generate_series(1, 20) i});
sql(q{SELECT count(pgmq_c.send('nq_' || i, '{"late": true}', delay => '4 s'))
  FROM generate_series(1, 20) i});
my $t_nq_due = [ gettimeofday ];
$t_nq_due->[0] += 4;
$holder = hold('notify_holder', 60,
	q{SELECT count(pgmq_c.purge_queue('nq_' || i)) FROM generate_series(1, 20) i},
	'a transaction that purged 20 queues with notifications on stays open');
sleep 5;						# their delayed messages come due meanwhile
ok(notified_within(4, 'notify queues held'),
	'while it is open, a send to another queue is notified within 4 s');
ok(notified_within(4, 'notify queues held, again'), 'and again');
# the purge rolls back: the 20 delayed messages are there, and due
release('notify_holder', $holder);
is(sql(q{SELECT sum(visible_length) FROM pgmq_c.metrics_all() WHERE queue_name LIKE 'nq\_%'}),
	'20', 'the purge rolled back: 20 messages are visible');
# (announced once it is free; or while it was held, after it came due, if
# an announcement of another queue sharing its bit made the worker notify
# it then: what was visible then is announced, and a reader waits for the
# lock and reads it once the purge rolls back)
my @late = grep { tv_interval($t_nq_due, $_->[0]) >= 0 } @drained;
collect_notes($listener, \@late, 8, 1, 'nq_20');
ok((grep { $_->[1] eq 'nq_20' } @late) >= 1,
	'the due message of a queue held back then is notified');

#
# 6. Topics held.  Retention drops a partition past it under a lock of the
#    topic's log that any transaction which read the topic holds until it
#    ends; maintenance waited 200 ms for each such topic (and as long for
#    its rotation), every round, before the worker's timers: 20 held
#    topics cost 8 s a round.  A round now waits that long three times at
#    most, then 1 ms.  Timed through maintain_topics(), which runs the same
#    round.
#
sql(q{SELECT count(pgmq_c.create_topic('mt_' || i, retention => '1 second',
                                       partition_size => 1000))
  FROM generate_series(1, 20) i});
sql(q{SELECT count(*) FROM generate_series(1, 20) i,
  LATERAL pgmq_c.send_batch('mt_' || i, array_fill('{"m": 1}'::jsonb, ARRAY[1001]))});
$holder = hold('topic_holder', 60,
	q{SELECT count(pgmq_c.metrics('mt_' || i)) FROM generate_series(1, 20) i},
	'a transaction that read 20 topics stays open');
sleep 2;						# partition 0 of each is past its retention
my $t0 = [gettimeofday];
is(sql(q{SELECT pgmq_c.maintain_topics()}), '0',
	'maintenance drops no partition of the held topics');
my $took = tv_interval($t0);
ok($took < 3, "and its round takes under 3 s, not 200 ms a topic (took $took s)");
release('topic_holder', $holder);
ok( $node->poll_query_until('postgres', q{
SELECT pgmq_c.maintain_topics() >= 0 AND
       (SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE c.relname ~ '^t_[0-9]+_p0$' AND c.relnamespace = 'pgmq_c'::regnamespace) = 0}),
	'once it ends, partition 0 of every topic is dropped');

$listener->quit;
$node->stop;
done_testing();
