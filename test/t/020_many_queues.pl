# 020_many_queues.pl: metrics_all() and the listings with 10,000 queues at
# the default max_locks_per_transaction (64) and max_connections (100).
#
# The shared lock table holds about 64 * 100 locks for the whole server;
# metrics_all() used to lock every queue's tables in one transaction and
# failed with "out of shared memory" at about 1,700 queues.  It now computes
# each row in a subtransaction that releases its locks.  Checked here: all
# 10,000 rows, the right counts for the queues that hold messages (visible,
# leased, delayed, archived) and zeros for the others, a topic among them,
# few locks left in the calling transaction, rows limited to the queues a
# non-superuser holds a privilege on, and list_queues() with 10,000 rows.
# Then the worker with 3,000 queues notified, then under a retry policy:
# notifications and the retry pass reach the last queues, and nobody runs
# out of the lock table.
# How long metrics_all() takes is printed (note), not asserted: timings
# belong to docs/benchmarks.md.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(gettimeofday tv_interval);

my $nqueues = 10000;
my $batch = 200;    # queues created per transaction (each locks ~14 relations)

my $node = pgmqc_node(
	'many_queues', conf => q{
max_locks_per_transaction = 64
max_connections = 100
max_prepared_transactions = 0
});

sub sql { return $node->safe_psql('postgres', $_[0]); }

is(sql('SHOW max_locks_per_transaction') . '|' . sql('SHOW max_connections'),
	'64|100', 'default lock table size');

my $t0 = [gettimeofday];
for (my $first = 1; $first <= $nqueues; $first += $batch)
{
	my $last = $first + $batch - 1;
	sql(qq{SELECT count(pgmq_c.create_queue(pg_catalog.format('mq_%s', pg_catalog.lpad(g::text, 5, '0'))))
	         FROM pg_catalog.generate_series($first, $last) g});
}
note(sprintf('created %d queues in %.1f s', $nqueues, tv_interval($t0)));
sql(q{SELECT pgmq_c.create_topic('mq_topic')});

# Messages in a few queues: every 997th gets (i mod 5) + 1 messages; one
# of them also a delayed message, one a leased message, one an archived one.
my %expect;
for (my $i = 997; $i <= $nqueues; $i += 997)
{
	my $q = sprintf('mq_%05d', $i);
	my $n = ($i % 5) + 1;
	sql(qq{SELECT count(*) FROM pgmq_c.send_batch('$q',
	        array_fill('{"n": 1}'::jsonb, ARRAY[$n]))});
	$expect{$q} = [ $n, $n, 0, 0, 0 ]; # length, visible, delayed, leased, archived
}
sql(q{SELECT pgmq_c.send('mq_00997', '{"later": 1}', delay => '1 hour')});
$expect{mq_00997} = [ $expect{mq_00997}[0] + 1, $expect{mq_00997}[1], 1, 0, 0 ];
sql(q{SELECT count(*) FROM pgmq_c.read('mq_01994', '1 hour', 2)});
$expect{mq_01994} = [ $expect{mq_01994}[0], $expect{mq_01994}[1] - 2, 0, 2, 0 ];
sql(q{SELECT pgmq_c.archive('mq_02991', (SELECT min(msg_id) FROM pgmq_c.read('mq_02991', '0', 1)))});
$expect{mq_02991} = [ $expect{mq_02991}[0] - 1, $expect{mq_02991}[1] - 1, 0, 0, 1 ];
sql(q{SELECT pgmq_c.send('mq_topic', '{"t": 1}')});

# metrics_all() over every queue, in one transaction that then reports how
# many locks it still holds
$t0 = [gettimeofday];
my ($ret, $out, $err) = $node->psql('postgres', q{
BEGIN;
CREATE TEMP TABLE m ON COMMIT DROP AS SELECT * FROM pgmq_c.metrics_all();
SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation';
SELECT count(*), count(*) FILTER (WHERE kind = 'queue'), sum(queue_length),
       sum(total_messages)
  FROM m;
SELECT string_agg(format('%s:%s,%s,%s,%s,%s', queue_name, queue_length, visible_length,
                         delayed_length, in_flight_length, archived_length),
                  ' ' ORDER BY queue_name COLLATE "C")
  FROM m WHERE queue_length > 0 OR archived_length > 0;
SELECT count(*) FROM m
 WHERE kind = 'queue' AND queue_length = 0 AND archived_length = 0
   AND total_messages = 0 AND oldest_msg_age_sec IS NULL AND length_is_exact;
SELECT queue_length FROM m WHERE kind = 'topic';
COMMIT;
});
my $elapsed = tv_interval($t0);
is($ret, 0, 'metrics_all() with 10,000 queues succeeds') or diag($err);
is($err, '', 'no error or warning');
note(sprintf('metrics_all() over %d queues and a topic: %.1f s', $nqueues, $elapsed));

my @lines = split /\n/, $out;
ok(@lines == 5 && $lines[0] < 100,
	"the calling transaction holds few relation locks afterwards ($lines[0])");
my $nsent = scalar(keys %expect);
my ($length, $ids) = (1, 1);    # the topic's message
foreach my $e (values %expect)
{
	$length += $e->[0];
	$ids += $e->[0] + $e->[4];    # every message still there or archived
}
is($lines[1], "@{[$nqueues + 1]}|$nqueues|$length|$ids",
	'one row per queue and topic; lengths and msg_ids add up');
my $want = join(' ', map { "$_:" . join(',', @{ $expect{$_} }) } sort keys %expect);
$want .= ' mq_topic:1,1,0,,';
is($lines[2], $want, 'the queues sent to have the right counts');
is($lines[3], $nqueues - $nsent, 'every other queue is empty, with exact counts');
is($lines[4], '1', 'the topic has its message');

# a role holding a privilege on three queues sees those three
sql(q{CREATE ROLE mq_watcher});
sql(qq{SELECT pgmq_c.grant_access(q, 'mq_watcher', '{monitor}')
        FROM unnest(ARRAY['mq_00001', 'mq_00997', 'mq_10000']) q});
is( sql(q{SET ROLE mq_watcher;
          SELECT string_agg(queue_name || ':' || queue_length, ' ' ORDER BY queue_name COLLATE "C")
            FROM pgmq_c.metrics_all()}),
	"mq_00001:0 mq_00997:$expect{mq_00997}[0] mq_10000:0",
	'metrics_all() shows a non-superuser only the queues it holds a privilege on');

# the listings
is(sql('SELECT count(*) FROM pgmq_c.list_queues()'), $nqueues,
	'list_queues() returns 10,000 rows');
is(sql('SELECT count(*) FROM pgmq_c.list_topics()'), 1, 'list_topics() returns the topic');

# The worker with 3,000 queues notified, then under a retry policy.  Its
# notification checks and its retry pass look into 200 queues per
# transaction: in one transaction, as before, they locked every queue's
# tables and filled the lock table ("out of shared memory", for every
# session of the server) at about 1,700 queues.
my $nnotify = 3000;
my $log_offset = -s $node->logfile;
for (my $first = 1; $first <= $nnotify; $first += $batch)
{
	my $last = $first + $batch - 1;
	sql(qq{SELECT count(pgmq_c.enable_notify(pg_catalog.format('mq_%s', pg_catalog.lpad(g::text, 5, '0'))))
	         FROM pg_catalog.generate_series($first, $last) g});
}
my $listener = start_listener($node, 'postgres');
my @notes;
sql(q{SELECT pgmq_c.send('mq_02999', '{"n": 1}')});
is(scalar(collect_notes($listener, \@notes, 120, 1, 'mq_02999')), 1,
	'a send to the last queue but one is notified with 3,000 queues notified');
$listener->quit;
# a message of the last queue read five times (vt 0 leases nothing): once
# max_deliveries is 5, it is dead, and nobody reads it again
sql(q{SELECT pgmq_c.send('mq_03000', '{"dead": 1}')});
sql(join(';', (q{SELECT count(*) FROM pgmq_c.read('mq_03000', '0', 1)}) x 5));
my $q3000 = sql(q{SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'mq_03000'});
is(sql("SELECT string_agg(read_ct::text, ',') FROM pgmq_c.q_$q3000"), '5',
	'the message of mq_03000 was read five times');
for (my $first = 1; $first <= $nnotify; $first += $batch)
{
	my $last = $first + $batch - 1;
	sql(qq{SELECT count(pgmq_c.alter_queue(pg_catalog.format('mq_%s', pg_catalog.lpad(g::text, 5, '0')),
	                                       max_deliveries => 5, dead_letter_queue => 'mq_09999'))
	         FROM pg_catalog.generate_series($first, $last) g});
}
ok( $node->poll_query_until('postgres',
		q{SELECT (SELECT queue_length FROM pgmq_c.metrics('mq_03000')) = 0
		     AND (SELECT queue_length FROM pgmq_c.metrics('mq_09999')) = 1}),
	'the retry pass reached the last queue with a policy: its dead message moved');
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/out of shared memory|max_locks_per_transaction/,
	'no session ran out of lock table meanwhile');
unlike($log, qr/WARNING:  pgmq_c/, 'and the worker reported no failure');

$node->stop;
done_testing();
