# 006_wait.pl: readers that wait inside the server (pgmq_c preloaded).
#
# - A reader in read(..., wait) is still asleep while a send is uncommitted
#   and gets the message at the producer's COMMIT, not later than the wake-up
#   (its wait_slice is set far beyond the test's bounds, so only the commit's
#   wake-up can explain a prompt return).
# - A rolled-back send wakes nobody: the reader returns nothing at the end of
#   its wait and the cluster-wide wake-up count does not move.
# - Delayed messages (two waiters, two messages in one batch) are delivered
#   at their due time, not before and not much later.
# - A lease that runs out is delivered to a waiting reader with read_ct 2, at
#   the lease end.
# - A nack (set_vt '0'), or a claim rolled back (also to a savepoint),
#   wakes a waiting reader at once, and so does the commit of a claim whose
#   lease ended while its transaction ran, and the rollback of a delete,
#   archive, set_vt or nack of a visible message (and of a group's ack).
# - pg_cancel_backend and statement_timeout end a waiting read() or receive()
#   promptly, and no sleeper is left registered; nor after a waiting
#   read(), receive() or receive_group() is terminated.
# - Commit order unlike msg_id order: a session that waits twice gets both.
# - A waiting reader holds no tuple or transaction-id lock: other sessions
#   send, read and delete on the same queue meanwhile; a waiting top-level
#   CALL receive() holds no lock at all (purge_queue runs beside it).
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(gettimeofday tv_interval usleep);

my $node = pgmqc_node('wait');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub pid_of
{
	my ($app) = @_;
	return sql("SELECT pid FROM pg_stat_activity WHERE application_name = '$app'");
}

sub wakeups { return sql('SELECT wakeups FROM pgmq_c.status()'); }

foreach my $q (qw(w rb dl ls nk rv cx lk lk2))
{
	sql("SELECT pgmq_c.create_queue('$q')");
}

# only the commit's wake-up (or the worker's timer) can end these sleeps early
my $long_slice = "SET pgmq_c.wait_slice = '60s'";

#
# 1. Wake on COMMIT, not on INSERT.
#
my $r = start_session($node, 'r_commit', $long_slice,
	"SELECT msg_id, read_ct, message->>'n' FROM pgmq_c.read('w', '30 s', 1, '25 s')");
ok(wait_sleeping($node, 'r_commit', 1, $r), 'reader sleeps in read(..., wait)');
is(sql('SELECT sleeping_readers FROM pgmq_c.status()'),
	'1', 'status() counts one sleeping reader');

my $sender = $node->background_psql('postgres');
$sender->query_safe('BEGIN');
my $id = $sender->query_safe(q{SELECT pgmq_c.send('w', '{"n": 1}')});
my $w0 = wakeups();
# give a reader that wrongly saw uncommitted rows, or was woken by the insert,
# time to return (more than one default wait_slice)
usleep(1_500_000);
$r->{h}->pump_nb;
is($r->{out}, '', 'the reader returned nothing while the send is uncommitted');
is( sql(qq{
SELECT wait_event_type || ':' || state FROM pg_stat_activity
 WHERE application_name = 'r_commit'}),
	'Extension:active',
	'the reader still waits (wait_event_type Extension) while the send is open');
is(sql("SELECT count(*) FROM pgmq_c.read('w', '30 s', 1)"),
	'0', 'a third session sees no visible message either');
is(wakeups(), $w0, 'the uncommitted send woke nobody');

my $t_commit = [gettimeofday];
$sender->query_safe('COMMIT');
is(finish_session($r), "$id|1|1", 'the reader gets the message after COMMIT');
my $lag = tv_interval($t_commit);
ok($lag < 3, "the reader returned ${lag}s after COMMIT (wait_slice 60 s)");
ok(wakeups() > $w0, 'status().wakeups counted the wake-up');
sql("SELECT pgmq_c.delete('w', $id)");

#
# 2. A rolled-back send wakes nobody and delivers nothing.
#
$r = start_session($node, 'r_rb', $long_slice,
	"SELECT count(*) FROM pgmq_c.read('rb', '30 s', 1, '3 s')");
ok(wait_sleeping($node, 'r_rb', 1, $r), 'reader sleeps on queue rb');
$w0 = wakeups();
$sender->query_safe('BEGIN');
$sender->query_safe(q{SELECT pgmq_c.send('rb', '{"n": 2}')});
$sender->query_safe(q{SELECT pgmq_c.send('rb', '{"n": 3}')});
$sender->query_safe('ROLLBACK');
is(finish_session($r), '0', 'the reader returns no row after the rolled-back send');
ok($r->{elapsed} >= 2.5, "it waited its whole wait ($r->{elapsed}s of 3 s)");
is(wakeups(), $w0, 'status().wakeups did not move: the rollback woke nobody');
is(sql("SELECT queue_length FROM pgmq_c.metrics('rb')"), '0', 'queue rb is empty');

#
# 3. Delayed messages reach waiting readers at their due time.  Two readers,
#    two messages in one batch: the commit wakes only one of them (to learn
#    the due time); the other one needs the worker's timer.
#
my @dr = map { start_session($node, "r_dl$_", $long_slice,
	"SELECT msg_id, extract(epoch FROM enqueued_at), extract(epoch FROM vt - interval '30 s')
	   FROM pgmq_c.read('dl', '30 s', 1, '10 s')") } (1, 2);
ok(wait_sleeping($node, 'r_dl%', 2, @dr), 'two readers sleep on queue dl');
my @dids = split /\n/,
  sql(q{SELECT * FROM pgmq_c.send_batch('dl', ARRAY['{"d": 1}', '{"d": 2}']::jsonb[], NULL, '1 s')});
is(scalar(@dids), 2, 'two delayed messages sent (delay 1 s)');
my %got;
foreach my $s (@dr)
{
	my ($mid, $enq, $claimed) = split /\|/, finish_session($s);
	ok(defined $claimed, "reader $s->{app} got a delayed message")
	  or next;
	$got{$mid}++;
	my $after = $claimed - $enq;
	ok($after >= 1.0, "$s->{app}: claimed ${after}s after the send, not before the 1 s delay");
	ok($after < 3.0, "$s->{app}: claimed ${after}s after the send, soon after it was due");
}
is_deeply([ sort keys %got ], [ sort @dids ], 'each delayed message delivered once');

#
# 4. A lease that runs out is delivered to a waiting reader, read_ct 2.
#
my $lid = sql(q{SELECT pgmq_c.send('ls', '{"l": 1}')});
my $lease_end = sql(
	"SELECT extract(epoch FROM vt) FROM pgmq_c.read('ls', '2 s', 1)");
ok($lease_end > 0, 'consumer A leased the message for 2 s and keeps it');
$r = start_session($node, 'r_ls', $long_slice,
	"SELECT msg_id, read_ct, extract(epoch FROM vt - interval '30 s')
	   FROM pgmq_c.read('ls', '30 s', 1, '10 s')");
my ($lmid, $lct, $lclaimed) = split /\|/, finish_session($r);
is("$lmid|$lct", "$lid|2", 'the waiting reader gets the message with read_ct 2');
ok($lclaimed >= $lease_end, 'not before the lease ended');
ok($lclaimed - $lease_end < 2.0,
	'soon after the lease ended (' . ($lclaimed - $lease_end) . 's)');
ok($r->{elapsed} < 8, "well before the reader's wait ended ($r->{elapsed}s)");

#
# 5. A nack wakes a waiting reader at once.
#
my $nid = sql(q{SELECT pgmq_c.send('nk', '{"k": 1}')});
is(sql("SELECT read_ct FROM pgmq_c.read('nk', '1 hour', 1)"), '1',
	'consumer A leased the message for an hour');
$r = start_session($node, 'r_nk', $long_slice,
	"SELECT msg_id, read_ct FROM pgmq_c.read('nk', '30 s', 1, '20 s')");
ok(wait_sleeping($node, 'r_nk', 1, $r), 'reader sleeps on queue nk');
my $t_nack = [gettimeofday];
is(sql("SELECT read_ct FROM pgmq_c.set_vt('nk', $nid, '0', 1)"), '1', 'A nacks the message');
is(finish_session($r), "$nid|2", 'the waiting reader gets the nacked message, read_ct 2');
$lag = tv_interval($t_nack);
ok($lag < 3, "it returned ${lag}s after the nack (wait_slice 60 s)");

# A claim that rolls back makes its message visible again: it wakes a waiter.
my $cid = sql(q{SELECT pgmq_c.send('nk', '{"k": 2}')});
$sender->query_safe('BEGIN');
is($sender->query_safe("SELECT msg_id FROM pgmq_c.read('nk', '1 hour', 1)"),
	$cid, 'consumer A claims a message inside a transaction');
$r = start_session($node, 'r_nk2', $long_slice,
	"SELECT msg_id, read_ct FROM pgmq_c.read('nk', '30 s', 1, '20 s')");
ok(wait_sleeping($node, 'r_nk2', 1, $r), 'a reader sleeps while the claim is open');
$t_nack = [gettimeofday];
$sender->query_safe('ROLLBACK');
is(finish_session($r), "$cid|1", 'the waiting reader gets the message after the ROLLBACK');
$lag = tv_interval($t_nack);
ok($lag < 3, "it returned ${lag}s after the rollback (wait_slice 60 s)");

# 5b. A claim rolled back to a savepoint, the transaction still open: its
# message is visible again at once, so the waiter is woken then.
my $sid = sql(q{SELECT pgmq_c.send('nk', '{"k": 3}')});
$sender->query_safe('BEGIN');
$sender->query_safe('SAVEPOINT s');
is($sender->query_safe("SELECT msg_id FROM pgmq_c.read('nk', '1 hour', 1)"),
	$sid, 'consumer A claims a message inside a savepoint');
$r = start_session($node, 'r_nk3', $long_slice,
	"SELECT msg_id, read_ct FROM pgmq_c.read('nk', '30 s', 1, '20 s')");
ok(wait_sleeping($node, 'r_nk3', 1, $r), 'a reader sleeps while the claim is open');
$t_nack = [gettimeofday];
$sender->query_safe('ROLLBACK TO SAVEPOINT s');
is(finish_session($r), "$sid|1",
	'the waiting reader gets the message after ROLLBACK TO SAVEPOINT');
$lag = tv_interval($t_nack);
ok($lag < 3, "it returned ${lag}s after the rollback to the savepoint (wait_slice 60 s)");
$sender->query_safe('COMMIT');

# 5c. A lease that ends while its claim's transaction is still open: at the
# lease end the message is still locked, so the waiter finds nothing then;
# the claim's COMMIT after the lease end wakes it.
my $eid = sql(q{SELECT pgmq_c.send('nk', '{"k": 4}')});
$sender->query_safe('BEGIN');
is($sender->query_safe("SELECT msg_id FROM pgmq_c.read('nk', '1 second', 1)"),
	$eid, 'consumer A leases a message for 1 s inside a transaction');
$r = start_session($node, 'r_nk4', $long_slice,
	"SELECT msg_id, read_ct FROM pgmq_c.read('nk', '30 s', 1, '20 s')");
ok(wait_sleeping($node, 'r_nk4', 1, $r), 'a reader sleeps while the lease runs');
$sender->query_safe('SELECT pg_sleep(2)');
$t_nack = [gettimeofday];
$sender->query_safe('COMMIT');
is(finish_session($r), "$eid|2",
	'the waiting reader gets the message after the late COMMIT');
$lag = tv_interval($t_nack);
ok($lag < 3, "it returned ${lag}s after the COMMIT (wait_slice 60 s)");

# 5d. A delete, archive, set_vt or nack of a visible message (never read,
# or its lease ended) that rolls back: a reader that came meanwhile found
# the row locked and sleeps; the rollback makes the message visible again,
# and wakes it.
foreach my $form (
	[ 'delete', "SELECT pgmq_c.delete('rv', %d)" ],
	[ 'delete of an array', "SELECT count(*) FROM pgmq_c.delete('rv', ARRAY[%d]::bigint[])" ],
	[ 'archive', "SELECT pgmq_c.archive('rv', %d)" ],
	[ 'set_vt', "SELECT count(*) FROM pgmq_c.set_vt('rv', %d, '1 hour')" ],
	[ 'nack', "SELECT pgmq_c.nack('rv', %d, '1 hour')" ])
{
	my ($what, $stmt) = @$form;
	my $vid = sql(q{SELECT pgmq_c.send('rv', '{"k": 5}')});
	$sender->query_safe('BEGIN');
	$sender->query_safe(sprintf($stmt, $vid));
	my $app = 'r_rb_' . ($what =~ s/\W/_/gr);
	$r = start_session($node, $app, $long_slice,
		"SELECT msg_id, read_ct FROM pgmq_c.read('rv', '30 s', 1, '20 s')");
	ok(wait_sleeping($node, $app, 1, $r),
		"a reader sleeps while a $what of a visible message is open");
	$t_nack = [gettimeofday];
	$sender->query_safe('ROLLBACK');
	is(finish_session($r), "$vid|1",
		"the waiting reader gets the message after the $what rolls back");
	$lag = tv_interval($t_nack);
	ok($lag < 3, "it returned ${lag}s after the rollback (wait_slice 60 s)");
	sql("SELECT pgmq_c.delete('rv', $vid)");
}

# the same for a consumer group's ack of a message whose lease was ended
sql(q{SELECT pgmq_c.create_topic('nkt')});
sql(q{SELECT pgmq_c.create_group('nkt', 'g', start_at => 'earliest')});
my $gid = sql(q{SELECT pgmq_c.send('nkt', '{"k": 6}')});
is(sql(q{SELECT count(*) FROM pgmq_c.read_group('nkt', 'g', '1 hour', 1)}),
	'1', 'consumer A reads the topic message');
is(sql(qq{SELECT count(*) FROM pgmq_c.set_vt('nkt', 'g', $gid, '0')}),
	'1', 'and ends its lease');
$sender->query_safe('BEGIN');
$sender->query_safe(qq{SELECT pgmq_c.ack('nkt', 'g', $gid)});
$r = start_session($node, 'r_rb_ack', $long_slice,
	"SELECT msg_id, read_ct FROM pgmq_c.read_group('nkt', 'g', '30 s', 1, '20 s')");
ok(wait_sleeping($node, 'r_rb_ack', 1, $r),
	'a reader of the group sleeps while an ack of the visible message is open');
$t_nack = [gettimeofday];
$sender->query_safe('ROLLBACK');
is(finish_session($r), "$gid|2",
	'the waiting reader gets the message after the ack rolls back');
$lag = tv_interval($t_nack);
ok($lag < 3, "it returned ${lag}s after the rollback (wait_slice 60 s)");

#
# 6. Cancelling a waiting reader.
#
foreach my $form (
	[ 'read', "SELECT * FROM pgmq_c.read('cx', '30 s', 1, '25 s')" ],
	[ 'receive', "CALL pgmq_c.receive('cx', '30 s', 1, '25 s')" ])
{
	my ($what, $stmt) = @$form;
	$r = start_session($node, "r_cx_$what", $stmt);
	ok(wait_sleeping($node, "r_cx_$what", 1, $r), "$what: reader sleeps");
	my $pid = pid_of("r_cx_$what");
	my $t_cancel = [gettimeofday];
	is(sql("SELECT pg_cancel_backend($pid)"), 't', "$what: pg_cancel_backend");
	finish_session($r);
	$lag = tv_interval($t_cancel);
	like($r->{err}, qr/canceling statement due to user request/,
		"$what: the wait was cancelled");
	ok($lag < 2, "$what: it ended ${lag}s after the cancel");
}
foreach my $form (
	[ 'read', "SELECT * FROM pgmq_c.read('cx', '30 s', 1, '20 s')" ],
	[ 'receive', "CALL pgmq_c.receive('cx', '30 s', 1, '20 s')" ])
{
	my ($what, $stmt) = @$form;
	$r = start_session($node, "r_to_$what", "SET statement_timeout = '500ms'", $stmt);
	finish_session($r);
	like($r->{err}, qr/canceling statement due to statement timeout/,
		"$what: statement_timeout ends the wait");
	ok($r->{elapsed} < 3, "$what: after $r->{elapsed}s (timeout 0.5 s, wait 20 s)");
}
is(sql('SELECT sleeping_readers FROM pgmq_c.status()'),
	'0', 'no sleeper left registered after the cancellations');

# a backend that exits while it sleeps (pg_terminate_backend; a client that
# went away) is no sleeper any more either: FATAL passes no error handler
foreach my $form (
	[ 'read', "SELECT * FROM pgmq_c.read('cx', '30 s', 1, '20 s')" ],
	[ 'receive', "CALL pgmq_c.receive('cx', '30 s', 1, '20 s')" ],
	[ 'receive_group', "CALL pgmq_c.receive_group('cxt', 'g', '30 s', 1, '20 s')" ])
{
	my ($what, $stmt) = @$form;
	sql(q{SELECT pgmq_c.create_topic('cxt'); SELECT pgmq_c.create_group('cxt', 'g')})
	  if $what eq 'receive_group';
	$r = start_session($node, "r_kill_$what", $stmt);
	ok(wait_sleeping($node, "r_kill_$what", 1, $r), "$what: the reader sleeps");
	is(sql('SELECT sleeping_readers FROM pgmq_c.status()'), '1',
		"$what: one sleeper registered");
	my $pid = pid_of("r_kill_$what");
	is(sql("SELECT pg_terminate_backend($pid)"), 't', "$what: pg_terminate_backend");
	finish_session($r);
	ok( $node->poll_query_until('postgres', qq{
SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid}),
		"$what: the backend is gone");
	is(sql('SELECT sleeping_readers FROM pgmq_c.status()'), '0',
		"$what: no sleeper left registered after it exited");
}

#
# 7. Commit order different from msg_id order, one reading session: the
#    reader gets the later id first, then, waiting again, the earlier id when
#    its transaction commits (its watermark must not have passed it).
#
sql("SELECT pgmq_c.create_queue('ord')");
my $rd = $node->background_psql('postgres');
$rd->query_safe("SET application_name = 'r_ord'");
$rd->query_safe($long_slice);
my $n_ord = 0;

# start a waiting read in the session $rd without waiting for it
sub start_ord_read
{
	$n_ord++;
	$rd->{stdin} .= "SELECT msg_id FROM pgmq_c.read('ord', '1 hour', 1, '20 s');\n\\echo ORD_DONE_$n_ord\n";
	$rd->{run}->pump_nb;
}

sub finish_ord_read
{
	pump_until($rd->{run}, $rd->{timeout}, \$rd->{stdout}, qr/ORD_DONE_$n_ord\n/);
	my ($res) = $rd->{stdout} =~ /^(.*?)\n?ORD_DONE_$n_ord\n/s;
	$rd->{stdout} = '';
	return $res // '';
}

$sender->query_safe('BEGIN');
my $id_a = $sender->query_safe(q{SELECT pgmq_c.send('ord', '{"o": "a"}')});
start_ord_read();
ok(wait_sleeping($node, 'r_ord', 1), 'the reading session waits on queue ord');
my $id_b = sql(q{SELECT pgmq_c.send('ord', '{"o": "b"}')});
ok($id_b > $id_a, "a later msg_id ($id_b) commits before an earlier one ($id_a)");
is(finish_ord_read(), $id_b, 'the waiting reader gets the later id first');
start_ord_read();
ok(wait_sleeping($node, 'r_ord', 1), 'the same session waits again');
$t_commit = [gettimeofday];
$sender->query_safe('COMMIT');
is(finish_ord_read(), $id_a, 'and gets the earlier id when its transaction commits');
$lag = tv_interval($t_commit);
ok($lag < 3, "${lag}s after that COMMIT (wait_slice 60 s)");
$rd->quit;

#
# 7b. A topic's groups wait for an open sender (the settled ids): when it
#     rolls back, their waiting readers are woken for the messages sent
#     after it.
#
sql("SELECT pgmq_c.create_topic('rbt')");
sql("SELECT pgmq_c.create_group('rbt', 'g', 'earliest')");
$sender->query_safe('BEGIN');
$sender->query_safe(q{SELECT pgmq_c.send('rbt', '{"o": "rolled back"}')});
my $id_kept = sql(q{SELECT pgmq_c.send('rbt', '{"o": "kept"}')});
$r = start_session($node, 'r_rbt', $long_slice,
	"SELECT msg_id FROM pgmq_c.read_group('rbt', 'g', '30 s', 1, '10 s')");
ok(wait_sleeping($node, 'r_rbt', 1, $r), 'a group reader waits behind an open sender');
my $t_rollback = [gettimeofday];
$sender->query_safe('ROLLBACK');
is(finish_session($r), $id_kept,
	'the sender rolls back: the reader gets the message sent after it');
$lag = tv_interval($t_rollback);
ok($lag < 3, "${lag}s after the ROLLBACK (wait_slice 60 s, wait 10 s)");

#
# 8. A waiting reader holds no lock that blocks others.
#
$r = start_session($node, 'r_lk',
	"SELECT count(*) FROM pgmq_c.read('lk', '30 s', 1, '20 s')");
ok(wait_sleeping($node, 'r_lk', 1, $r), 'read() reader sleeps on queue lk');
my $pid = pid_of('r_lk');
is( sql(qq{
SELECT count(*) FILTER (WHERE NOT granted) || '|' ||
       count(*) FILTER (WHERE locktype IN ('tuple', 'transactionid')) || '|' ||
       count(*) FILTER (WHERE locktype NOT IN ('relation', 'virtualxid'))
  FROM pg_locks WHERE pid = $pid}),
	'0|0|0',
	'the waiting read() holds only relation and virtualxid locks, none awaited, no tuple or xid lock');
is(sql("SELECT count(*) FROM pg_locks WHERE pid = $pid AND mode NOT IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ExclusiveLock')"),
	'0', 'and only weak lock modes');
$w0 = wakeups();
is( sql(q{
SET lock_timeout = '5s';
BEGIN;
SELECT count(*) FROM (SELECT pgmq_c.send('lk', '{"x": 1}')) s;
SELECT count(*) FROM pgmq_c.delete('lk', ARRAY(SELECT msg_id FROM pgmq_c.read('lk', '30 s', 10)));
COMMIT;
SELECT queue_length FROM pgmq_c.metrics('lk');}),
	"1\n1\n0",
	'another session sends, reads and deletes on the queue meanwhile, unblocked');
ok($node->poll_query_until('postgres', "SELECT wakeups > $w0 FROM pgmq_c.status()"),
	'its commit woke the reader');
ok(wait_sleeping($node, 'r_lk', 1, $r), 'which found nothing and sleeps again');

my $r2 = start_session($node, 'r_lk2', "CALL pgmq_c.receive('lk2', '30 s', 1, '20 s')");
ok(wait_sleeping($node, 'r_lk2', 1, $r2), 'top-level CALL receive() sleeps on queue lk2');
$pid = pid_of('r_lk2');
is(sql("SELECT count(*) FROM pg_locks WHERE pid = $pid AND locktype <> 'virtualxid'"),
	'0', 'the waiting receive() holds no lock at all');
sql(q{SELECT pgmq_c.send('lk2', '{"y": 1}', NULL, '1 hour')});
is(sql("SET lock_timeout = '5s'; SELECT pgmq_c.purge_queue('lk2')"),
	'1', 'purge_queue (ACCESS EXCLUSIVE) runs while receive() waits');

foreach my $app ('r_lk', 'r_lk2')
{
	sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = '$app'");
}
finish_session($r);
finish_session($r2);
like($r->{err} . $r2->{err}, qr/canceling statement.*canceling statement/s,
	'both readers cancelled at the end');

$sender->quit;
$node->stop;
done_testing();
