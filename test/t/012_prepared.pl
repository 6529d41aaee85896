# 012_prepared.pl: wake-ups of prepared transactions, and of rows written
# behind the API's back.
#
# COMMIT PREPARED and ROLLBACK PREPARED run in a session that knows nothing
# of the prepared transaction's sends and reads: at PREPARE TRANSACTION the
# wake-ups are kept in shared memory under the gid, and the session that
# finishes the transaction sends them.  The readers here sleep with a 60-s
# wait_slice, so only those wake-ups can wake them in time.  Rows inserted
# behind the API's back (as COPY would) announce nothing: waiting readers
# find them at the end of their current slice (pgmq_c.wait_slice, 200 ms in
# that part).  A delayed message sent in a prepared transaction is delivered
# at its due time through the worker's timer.  A send prepared before a
# restart is not lost.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(gettimeofday tv_interval usleep);

my $node = pgmqc_node(
	'prepared', conf => q{
max_prepared_transactions = 5
pgmq_c.wait_slice = '200ms'
});

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $long_slice = "SET pgmq_c.wait_slice = '60s'";
sql("SELECT pgmq_c.create_queue('$_')") foreach qw(p1 p2 p3 cp pd);
sql("SELECT pgmq_c.create_topic('pt')");
sql("SELECT pgmq_c.create_group('pt', 'g', 'earliest')");

#
# 1. COMMIT PREPARED from another session, for read(), receive() and a
#    consumer group.
#
foreach my $form (
	[ 'p1', 'read', "SELECT msg_id, read_ct FROM pgmq_c.read('p1', '30 s', 1, '10 s')" ],
	[ 'p2', 'receive', "CALL pgmq_c.receive('p2', '30 s', 1, '10 s')" ],
	[ 'pt', 'read_group', "SELECT msg_id, read_ct FROM pgmq_c.read_group('pt', 'g', '30 s', 1, '10 s')" ])
{
	my ($q, $what, $stmt) = @$form;
	my $r = start_session($node, "r_$q", $long_slice, $stmt);
	ok(wait_sleeping($node, "r_$q", 1, $r), "$what: the reader waits");
	my $id = sql(qq{
BEGIN;
SELECT pgmq_c.send('$q', '{"2pc": "$what"}');
PREPARE TRANSACTION 'tx_$q';});
	usleep(500_000);    # for a reader that wrongly sees it
	$r->{h}->pump_nb;
	is($r->{out}, '', "$what: nothing delivered while the transaction is prepared");
	my $peek = $q eq 'pt'
	  ? "SELECT count(*) FROM pgmq_c.read_group('pt', 'g', '30 s', 1)"
	  : "SELECT count(*) FROM pgmq_c.read('$q', '30 s', 1)";
	is(sql($peek), '0', "$what: the prepared send is invisible to others");
	my $t_commit = [gettimeofday];
	sql("COMMIT PREPARED 'tx_$q'");
	finish_session($r);
	my $lag = tv_interval($t_commit);
	is_delivered($what eq 'receive' ? 'receive' : 'read',
		$r->{out}, $id, "$what: gets the message after COMMIT PREPARED");
	is($r->{err}, '', "$what: no error");
	ok($lag < 3, "$what: ${lag}s after COMMIT PREPARED (wait_slice 60 s, wait 10 s)");
}

#
# 1b. ROLLBACK PREPARED of a read: the lease it took is undone, and a reader
#     waiting for the message is woken.
#
my $p3 = sql(q{SELECT pgmq_c.send('p3', '{"leased": "by 2pc"}')});
sql(q{
BEGIN;
SELECT count(*) FROM pgmq_c.read('p3', '1 hour', 1);
PREPARE TRANSACTION 'tx_p3';});
my $r3 = start_session($node, 'r_p3', $long_slice,
	"SELECT msg_id FROM pgmq_c.read('p3', '30 s', 1, '10 s')");
ok(wait_sleeping($node, 'r_p3', 1, $r3), 'a reader waits while the message is leased by a prepared read');
my $t_rollback = [gettimeofday];
sql("ROLLBACK PREPARED 'tx_p3'");
finish_session($r3);
my $lag3 = tv_interval($t_rollback);
is($r3->{out}, $p3, 'ROLLBACK PREPARED of the read: the waiting reader gets the message');
ok($lag3 < 3, "${lag3}s after ROLLBACK PREPARED (wait_slice 60 s, wait 10 s)");

#
# 1b'. Notifications: a queue with enable_notify announces a prepared send
#      when it commits, not before.
#
sql(q{SELECT pgmq_c.create_queue('pn'); SELECT pgmq_c.enable_notify('pn', '0')});
my $listener = start_listener($node, 'postgres');
my @notes;
sql(q{
BEGIN;
SELECT pgmq_c.send('pn', '{"notify": "after 2pc"}');
PREPARE TRANSACTION 'tx_pn';});
is(scalar(collect_notes($listener, \@notes, 1.5, 1, 'pn')), 0,
	'no notification while the send is prepared');
sql("COMMIT PREPARED 'tx_pn'");
is(scalar(collect_notes($listener, \@notes, 10, 1, 'pn')), 1,
	'COMMIT PREPARED of a send: the queue\'s notification is sent');

# enable_notify committed through PREPARE TRANSACTION: the session that
# commits it tells the worker (which otherwise re-reads the settings every
# 10 s)
sql(q{SELECT pgmq_c.create_queue('pn2')});
sql(q{
BEGIN;
SELECT pgmq_c.enable_notify('pn2', '0');
PREPARE TRANSACTION 'tx_pn2';});
sql("COMMIT PREPARED 'tx_pn2'");
sql(q{SELECT pgmq_c.send('pn2', '{"notify": "enabled by 2pc"}')});
is(scalar(collect_notes($listener, \@notes, 2, 1, 'pn2')), 1,
	'enable_notify by COMMIT PREPARED: the next send is announced at once');
$listener->quit;

#
# 1b''. COMMIT PREPARED of a read whose lease ended while it was prepared:
#       a reader waiting for the message found it locked at the lease's end,
#       and is woken by the commit.
#
sql(q{SELECT pgmq_c.create_queue('p4')});
my $p4 = sql(q{SELECT pgmq_c.send('p4', '{"lease": "ends while prepared"}')});
sql(q{
BEGIN;
SELECT count(*) FROM pgmq_c.read('p4', '1 second', 1);
PREPARE TRANSACTION 'tx_p4';});
my $r4 = start_session($node, 'r_p4', $long_slice,
	"SELECT msg_id FROM pgmq_c.read('p4', '30 s', 1, '15 s')");
ok(wait_sleeping($node, 'r_p4', 1, $r4), 'a reader waits while a prepared read holds the message');
usleep(2_500_000);    # the lease ends meanwhile
my $t_p4 = [gettimeofday];
sql("COMMIT PREPARED 'tx_p4'");
finish_session($r4);
my $lag4 = tv_interval($t_p4);
is($r4->{out}, $p4, 'COMMIT PREPARED of a read whose lease ended: the waiting reader gets the message');
ok($lag4 < 3, "${lag4}s after COMMIT PREPARED (wait_slice 60 s, wait 15 s)");

#
# 1c. A prepared transaction that touched no queue, under a gid used before
#     by one that did: it commits as any other.
#
sql(q{BEGIN; SELECT 1; PREPARE TRANSACTION 'tx_p1';});
sql(q{COMMIT PREPARED 'tx_p1'});
is(sql(q{SELECT count(*) FROM pg_prepared_xacts}), '0',
	'a prepared transaction without sends, under a reused gid, commits');

#
# 2. A row inserted directly into the queue table (as COPY would do).
#
my $qid = sql(q{SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'cp'});
my $r = start_session($node, 'r_cp',
	"SELECT message->>'copied' FROM pgmq_c.read('cp', '30 s', 1, '10 s')");
ok(wait_sleeping($node, 'r_cp', 1, $r), 'a reader waits on queue cp');
my $t_ins = [gettimeofday];
sql(qq{
INSERT INTO pgmq_c.q_$qid (msg_id, read_ct, enqueued_at, vt, message)
VALUES (nextval('pgmq_c.q_${qid}_seq'), 0, clock_timestamp(), clock_timestamp(),
        '{"copied": "yes"}')});
finish_session($r);
my $lag = tv_interval($t_ins);
is($r->{out}, 'yes', 'the reader gets the row loaded behind the API');
ok($lag < 2, "${lag}s after the insert (wait_slice 0.2 s)");

#
# 3. A delayed message in a prepared transaction; the reader's wait_slice is
#    60 s, so only the worker's timer can deliver it on time.
#
$r = start_session($node, 'r_pd', "SET pgmq_c.wait_slice = '60s'",
	"SELECT msg_id, extract(epoch FROM vt - interval '30 s') - extract(epoch FROM enqueued_at)
	   FROM pgmq_c.read('pd', '30 s', 1, '10 s')");
ok(wait_sleeping($node, 'r_pd', 1, $r), 'a reader waits on queue pd (wait_slice 60 s)');
my $did = sql(q{
BEGIN;
SELECT pgmq_c.send('pd', '{"later": 1}', NULL, '2 s');
PREPARE TRANSACTION 'tx_pd';
COMMIT PREPARED 'tx_pd';});
finish_session($r);
my ($mid, $after) = split /\|/, $r->{out};
is($mid, $did, 'the delayed message of the prepared transaction is delivered');
ok(defined $after && $after >= 2.0, 'not before its due time (' . ($after // 'never') . ' s)');
ok(defined $after && $after < 4.0, 'soon after its due time, long before the reader\'s slice ended');

is(sql('SELECT count(*) FROM pg_prepared_xacts'), '0', 'no prepared transaction left');

#
# 4. A send prepared before a restart.  Shared memory starts empty, so the
#    restarted server's record of open senders does not know the recovered
#    prepared transaction: readers must not move their watermark (a queue)
#    or their settled ids (a topic's groups) past its message while it may
#    still commit.  (Before the fix, the group passed it and never delivered
#    it.)  A queue serves later messages meanwhile; a topic holds them back
#    behind the open sender, as it does for any.  A topic that neither
#    prepared transaction sent to does not wait for them: the recovered
#    transactions hold the locks pgmq_c's senders take, and the readers of a
#    topic wait only for the holders of its own (before session 50, every
#    topic waited for every recovered prepared transaction).  Nor does it
#    wait for a prepared transaction that only holds a lock on its msg_id
#    sequence (currval() takes it before it fails; review h32).
#
sql("SELECT pgmq_c.create_queue('rs')");
sql("SELECT pgmq_c.create_topic('rt')");
sql("SELECT pgmq_c.create_group('rt', 'g', 'earliest')");
sql("SELECT pgmq_c.create_topic('ru')");
sql("SELECT pgmq_c.create_group('ru', 'g', 'earliest')");
my $q_prepared = sql(q{
BEGIN;
SELECT pgmq_c.send('rs', '{"prepared": "queue"}');
PREPARE TRANSACTION 'tx_rs';});
my $t_prepared = sql(q{
BEGIN;
SELECT pgmq_c.send('rt', '{"prepared": "topic"}');
PREPARE TRANSACTION 'tx_rt';});
my $ru_seq = sql(q{SELECT 'pgmq_c.t_' || queue_id || '_seq' FROM pgmq_c.queues WHERE queue_name = 'ru'});
sql(qq{
BEGIN;
SELECT pg_catalog.txid_current();
DO \$\$BEGIN PERFORM pg_catalog.currval('$ru_seq'::regclass);
EXCEPTION WHEN object_not_in_prerequisite_state THEN NULL; END\$\$;
PREPARE TRANSACTION 'tx_seq_lock';});
$node->restart;
is(sql('SELECT count(*) FROM pg_prepared_xacts'), '3',
	'the three prepared transactions survive the restart');
is( sql(qq{SELECT count(*) FROM pg_locks WHERE relation = '$ru_seq'::regclass
 AND mode = 'RowExclusiveLock' AND virtualtransaction LIKE '-1/%'}),
	'1', "one of them holds a lock on topic ru's sequence");
my $u = sql(q{SELECT pgmq_c.send('ru', '{"other": "topic"}')});
my $u_got = '';
my $u_t0 = [gettimeofday];
while ($u_got eq '' && tv_interval($u_t0) < 15)
{
	$u_got = sql(q{SELECT string_agg(msg_id::text, ',') FROM pgmq_c.read_group('ru', 'g', '30 s', 10)});
	usleep(100_000) if $u_got eq '';
}
is($u_got, $u,
	'a topic no recovered prepared transaction sent to is read meanwhile');

# consume later messages for a while, so that readers advance whatever
# they may (watermarks advance at most every 50 ms)
for my $round (1 .. 20)
{
	sql(q{SELECT pgmq_c.send('rs', '{"later": 1}');
SELECT pgmq_c.send('rt', '{"later": 1}');});
	sql(q{SELECT pgmq_c.delete('rs', msg_id) FROM pgmq_c.read('rs', '30 s', 10);
SELECT pgmq_c.ack('rt', 'g', msg_id) FROM pgmq_c.read_group('rt', 'g', '30 s', 10);});
	usleep(60_000);
}
is( sql(q{SELECT count(*) FROM pgmq_c.read('rs', '30 s', 10)}), '0',
	'queue: the later messages are consumed, the prepared one is not visible');
sql("ROLLBACK PREPARED 'tx_seq_lock'");
sql("COMMIT PREPARED 'tx_rs'");
sql("COMMIT PREPARED 'tx_rt'");
is( sql(q{SELECT msg_id || ' ' || (message->>'prepared') FROM pgmq_c.read('rs', '30 s', 10)}),
	"$q_prepared queue",
	'queue: the message of the recovered prepared transaction is delivered after COMMIT PREPARED');
is( sql(q{SELECT string_agg(coalesce(message->>'prepared', 'later'), ',' ORDER BY msg_id)
  FROM pgmq_c.read_group('rt', 'g', '30 s', 100)}),
	'topic,' . join(',', ('later') x 20),
	'topic: the recovered prepared message is delivered after COMMIT PREPARED, '
	  . 'then the 20 sent after it, which waited for it as for any open sender');
is($t_prepared, '1', 'topic: it was the topic\'s first message');
$node->stop;
done_testing();
