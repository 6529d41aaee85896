# 036_worker_looks.pl: the worker looks into a queue's tables for the
# readers that sleep past their wait slice (src/worker/probes.c).
#
# - A reader that waits 4 s with a 1-s slice looks into the queue's table
#   once, at the start of its wait, and a second wait with nothing come
#   since not at all (its transaction's own scan count of the table);
#   on a cluster without the worker the same waits look at every slice.
# - A row written into the queue's table behind the API while a reader
#   waits is found by the worker's look, which wakes the reader (the
#   cluster's wake-up count moves; a reader whose slice ended would have
#   timed out instead).  A delayed row written behind the API is delivered
#   at its due time, which the worker's look published.
# - A worker that stops wakes the readers that left their looks to it:
#   a reader whose slice (60 s) is longer than its wait (20 s) finds a row
#   written behind the API when the worker is terminated, instead of
#   sleeping to the end of its wait.
# - With 16 wake-up slots (the least) and 17 queues, some slot is shared by
#   readers of several queues; the worker looks into every queue of such a
#   slot, so that 17 readers, one per queue, each waiting 4 s with a 1-s
#   slice, still look once each.
# (A consumer group's reader keeps looking at the end of its own slice:
# regression test queue_wait.)
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('looks');
my $bare = pgmqc_node('no_worker', conf => 'pgmq_c.worker = off');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub wakeups { return sql('SELECT wakeups FROM pgmq_c.status()'); }

# a row written into queue $q's table directly, visible now or after $delay
sub insert_behind
{
	my ($n, $q, $body, $delay) = @_;
	my $id = $n->safe_psql('postgres',
		"SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = '$q'");
	if (defined $delay)
	{
		return $n->safe_psql('postgres', qq{
INSERT INTO pgmq_c.d_$id (msg_id, enqueued_at, deliver_at, message)
VALUES (nextval('pgmq_c.q_${id}_seq'), clock_timestamp(),
        clock_timestamp() + interval '$delay', '$body') RETURNING msg_id});
	}
	return $n->safe_psql('postgres', qq{
INSERT INTO pgmq_c.q_$id (msg_id, read_ct, enqueued_at, vt, message)
VALUES (nextval('pgmq_c.q_${id}_seq'), 0, clock_timestamp(), clock_timestamp(),
        '$body') RETURNING msg_id});
}

# two 4-s waits with a 1-s slice in one transaction: the scans of the
# queue's table after each
sub scans_of_two_waits
{
	my ($n, $q) = @_;
	$n->safe_psql('postgres', "SELECT pgmq_c.create_queue('$q')");
	my $table = $n->safe_psql('postgres',
		"SELECT format('pgmq_c.q_%s', queue_id) FROM pgmq_c.list_queues() WHERE queue_name = '$q'");
	my $out = $n->safe_psql('postgres', qq{
SET pgmq_c.wait_slice = '1s';
BEGIN;
SELECT count(*) FROM pgmq_c.read('$q', '1 hour', 1, '4 seconds');
SELECT pg_stat_get_xact_numscans('$table'::regclass);
SELECT count(*) FROM pgmq_c.read('$q', '1 hour', 1, '4 seconds');
SELECT pg_stat_get_xact_numscans('$table'::regclass);
COMMIT;});
	my @l = split /\n/, $out;
	is("$l[0]|$l[2]", '0|0', "$q: both waits found nothing");
	return ($l[1], $l[3]);
}

#
# 1. Looks per wait, with and without the worker.
#
ok(defined worker_pid($node, 'postgres'), 'a pgmq_c worker runs');
my ($first, $second) = scans_of_two_waits($node, 'lk');
ok($first >= 1 && $first <= 2,
	"with the worker, a 4-s wait with a 1-s slice scanned the table $first time(s)");
is($second, $first, 'the second wait, with nothing come since, did not look at all');

my ($bare_first, $bare_second) = scans_of_two_waits($bare, 'lk');
ok($bare_first >= 3,
	"without the worker, the same wait scanned it $bare_first times (a look per slice)");
ok($bare_second > $bare_first, "and so did the second wait ($bare_second in all)");
$bare->stop;

#
# 2. A row written behind the API is found by the worker's look.
#
sql("SELECT pgmq_c.create_queue('bh')");
my $r = start_session($node, 'r_behind', "SET pgmq_c.wait_slice = '2s'",
	"SELECT message->>'n' FROM pgmq_c.read('bh', '1 hour', 1, '30 s')");
ok(wait_sleeping($node, 'r_behind', 1, $r), 'a reader sleeps on queue bh');
my $w0 = wakeups();
my $id = insert_behind($node, 'bh', '{"n": "behind"}');
is(finish_session($r), 'behind', 'the reader got the row written behind the API');
ok($r->{elapsed} < 30, "before its wait ended ($r->{elapsed} s of 30)");
ok(wakeups() > $w0, 'it was woken (the worker looked), not timed out');
sql("SELECT pgmq_c.delete('bh', $id)");

# a delayed row behind the API: the worker's look publishes its due time
$r = start_session($node, 'r_delayed', "SET pgmq_c.wait_slice = '1s'",
	"SELECT message->>'n' FROM pgmq_c.read('bh', '1 hour', 1, '30 s')");
ok(wait_sleeping($node, 'r_delayed', 1, $r), 'a reader sleeps on queue bh again');
$id = insert_behind($node, 'bh', '{"n": "delayed"}', '3 seconds');
is(finish_session($r), 'delayed', 'it got the delayed row written behind the API');
ok($r->{elapsed} >= 2.5, "not before its due time ($r->{elapsed} s, due after 3 s)");
ok($r->{elapsed} < 30, 'before its wait ended');
sql("SELECT pgmq_c.delete('bh', $id)");

#
# 3. A worker that stops wakes the readers that left their looks to it.
#
sql("SELECT pgmq_c.create_queue('ws')");
my $wpid = worker_pid($node, 'postgres');
$r = start_session($node, 'r_stop', "SET pgmq_c.wait_slice = '60s'",
	"SELECT message->>'n' FROM pgmq_c.read('ws', '1 hour', 1, '20 s')");
ok(wait_sleeping($node, 'r_stop', 1, $r), 'a reader sleeps on queue ws (slice 60 s)');
$id = insert_behind($node, 'ws', '{"n": "stopped"}');
sql("SELECT pg_terminate_backend($wpid)");
is(finish_session($r), 'stopped',
	'the worker that stopped woke the reader, which found the row itself');
ok($r->{elapsed} < 20, "before its wait ended ($r->{elapsed} s of 20)");
ok(defined worker_pid($node, 'postgres', $wpid), 'the launcher started a new worker');
sql("SELECT pgmq_c.delete('ws', $id)");

#
# 4. Slots shared by several queues of the database.
#
my $slots = pgmqc_node('slots', conf => 'pgmq_c.wait_slots = 16');
my @queues = map { "s$_" } 1 .. 17;
$slots->safe_psql('postgres', "SELECT pgmq_c.create_queue('$_')") foreach @queues;
# a reader of every queue sleeps once: slots of two or more queues are
# marked shared for good
$slots->safe_psql('postgres',
	"SELECT count(*) FROM pgmq_c.read('$_', '1 hour', 1, '10 milliseconds')")
  foreach @queues;
my @readers;
foreach my $q (@queues)
{
	push @readers, start_session($slots, "r_$q", "SET pgmq_c.wait_slice = '1s'",
		'BEGIN',
		"SELECT count(*) FROM pgmq_c.read('$q', '1 hour', 1, '4 seconds')",
		qq{SELECT pg_stat_get_xact_numscans(format('pgmq_c.q_%s', queue_id)::regclass)
		     FROM pgmq_c.list_queues() WHERE queue_name = '$q'},
		'COMMIT');
}
my @looks = map { my ($n, $scans) = split /\n/, finish_session($_); "$n:$scans" } @readers;
is(scalar(grep { $_ eq '0:1' || $_ eq '0:2' } @looks), 17,
	'17 readers on 16 slots found nothing and looked once or twice each: ' . join(' ', @looks));
$slots->stop;

done_testing();
