# 012_prepared.pl: wake-ups the commit callback cannot see.
#
# COMMIT PREPARED runs in a session that knows nothing of the prepared
# transaction's sends, and rows inserted behind the API's back (as COPY
# would) announce nothing: waiting readers find such messages at the end of
# their current sleep, within pgmq_c.wait_slice (200 ms here), well before
# their wait ends.  A delayed message sent in a prepared transaction is
# delivered at its due time through the worker's timer even to a reader whose
# wait_slice is long.
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

sql("SELECT pgmq_c.create_queue('$_')") foreach qw(p1 p2 cp pd);

#
# 1. COMMIT PREPARED from another session, for read() and receive().
#
foreach my $form (
	[ 'p1', 'read', "SELECT msg_id, read_ct FROM pgmq_c.read('p1', '30 s', 1, '10 s')" ],
	[ 'p2', 'receive', "CALL pgmq_c.receive('p2', '30 s', 1, '10 s')" ])
{
	my ($q, $what, $stmt) = @$form;
	my $r = start_session($node, "r_$q", $stmt);
	ok(wait_sleeping($node, "r_$q", 1, $r), "$what: the reader waits");
	my $id = sql(qq{
BEGIN;
SELECT pgmq_c.send('$q', '{"2pc": "$what"}');
PREPARE TRANSACTION 'tx_$q';});
	usleep(500_000);    # a few slices, for a reader that wrongly sees it
	$r->{h}->pump_nb;
	is($r->{out}, '', "$what: nothing delivered while the transaction is prepared");
	is(sql("SELECT count(*) FROM pgmq_c.read('$q', '30 s', 1)"), '0',
		"$what: the prepared send is invisible to others");
	my $t_commit = [gettimeofday];
	sql("COMMIT PREPARED 'tx_$q'");
	finish_session($r);
	my $lag = tv_interval($t_commit);
	is_delivered($what, $r->{out}, $id, "$what: gets the message after COMMIT PREPARED");
	is($r->{err}, '', "$what: no error");
	ok($lag < 2, "$what: ${lag}s after COMMIT PREPARED (wait_slice 0.2 s, wait 10 s)");
}

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
#    behind the open sender, as it does for any.
#
sql("SELECT pgmq_c.create_queue('rs')");
sql("SELECT pgmq_c.create_topic('rt')");
sql("SELECT pgmq_c.create_group('rt', 'g', 'earliest')");
my $q_prepared = sql(q{
BEGIN;
SELECT pgmq_c.send('rs', '{"prepared": "queue"}');
PREPARE TRANSACTION 'tx_rs';});
my $t_prepared = sql(q{
BEGIN;
SELECT pgmq_c.send('rt', '{"prepared": "topic"}');
PREPARE TRANSACTION 'tx_rt';});
$node->restart;
is(sql('SELECT count(*) FROM pg_prepared_xacts'), '2',
	'both prepared transactions survive the restart');

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
