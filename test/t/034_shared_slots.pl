# 034_shared_slots.pl: queues that share a wake-up slot.
#
# Queues are hashed onto pgmq_c.wait_slots slots (16 here, the least); 24
# queues on 16 slots share some.  A wake-up of a slot used to signal as many
# sleepers as messages became visible, the longest-waiting first, whatever
# queue they wait on: a send to the queue of the second reader of a slot
# woke the first, which found nothing and slept again, and the right reader
# slept on to the end of its wait.  A slot where readers of two queues have
# slept is now marked mixed, and its wake-ups wake every sleeper.
#
# One reader waits on each queue (20 s, wait_slice 60 s), started in queue
# order; then one message is sent to each queue, in the reverse order, so
# that in every shared slot the later reader's queue gets its message first.
# Every reader must have its message within a few seconds of the last send.
#
# A transaction that sent to one queue of a slot and stays open holds back
# no reader of another: a topic's group reads on, create_group(...,
# 'latest') does not wait.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(gettimeofday tv_interval usleep);

my $nq = 24;
my $node = pgmqc_node(
	'slots', conf => q{
pgmq_c.wait_slots = 16
max_connections = 60
max_prepared_transactions = 5
});

sub sql { return $node->safe_psql('postgres', $_[0]); }

# the first of queues q<from>..q<to>, created in turn, whose wake-up slot is
# that of queue or topic $id (16 slots)
sub queue_in_slot_of
{
	my ($prefix, $from, $to, $dboid, $id) = @_;
	for my $i ($from .. $to)
	{
		sql("SELECT pgmq_c.create_queue('$prefix$i')");
		my $qid = sql("SELECT queue_id FROM pgmq_c.queues WHERE queue_name = '$prefix$i'");
		return "$prefix$i" if slot_of($dboid, $qid, 16) == slot_of($dboid, $id, 16);
	}
	return undef;
}

# the msg_ids group g of topic vt reads first, within 15 s
sub group_reads
{
	return first_result(
		q{SELECT string_agg(msg_id::text, ',') FROM pgmq_c.read_group('vt', 'g', '1 hour', 10)}
	);
}

# the first non-empty result of $query within 15 s
sub first_result
{
	my ($query) = @_;
	my $got = '';
	my $t0 = [gettimeofday];
	while ($got eq '' && tv_interval($t0) < 15)
	{
		$got = sql($query);
		usleep(200_000) if $got eq '';
	}
	return $got;
}

sql(join('', map { "SELECT pgmq_c.create_queue('s$_');" } 1 .. $nq));

my @r;
for my $i (1 .. $nq)
{
	push @r,
	  start_session($node, "slot_$i", "SET pgmq_c.wait_slice = '60s'",
		"SELECT msg_id FROM pgmq_c.read('s$i', '1 hour', 1, '20 s')");
	# one at a time, so that the order of the sleepers is the queue order
	ok(wait_sleeping($node, 'slot\\_%', $i, @r), "reader $i sleeps");
}

my %sent;
for my $i (reverse 1 .. $nq)
{
	$sent{$i} = sql("SELECT pgmq_c.send('s$i', '{\"q\": $i}')");
	usleep(50_000);
}
my $t_last = [gettimeofday];
finish_session($_) foreach @r;
my $lag = tv_interval($t_last);

my @wrong = grep { $r[ $_ - 1 ]->{out} ne $sent{$_} } 1 .. $nq;
is(scalar(@wrong), 0, "every reader got its queue's message (wrong: @wrong)");
ok($lag < 5, "all $nq readers were done ${lag}s after the last send (waits of 20 s)");
is(sql(q{SELECT sum(queue_length) FROM pgmq_c.metrics_all()}), $nq,
	'each message was read once and is leased');

#
# Senders are recorded per slot with their queue: an open transaction that
# sent to another queue of the same slot does not hold back a topic's
# groups (which wait for the topic's own senders only) nor
# create_group(..., 'latest').  The slot of a queue or topic is
# hash_combine(murmurhash32(database oid), murmurhash32(queue id)) modulo
# pgmq_c.wait_slots (shared_memory/shmem.c).
#

my $dboid = sql(q{SELECT oid FROM pg_database WHERE datname = current_database()});
sql(q{SELECT pgmq_c.create_topic('vt'); SELECT pgmq_c.create_group('vt', 'g')});
my $vt_id = sql(q{SELECT queue_id FROM pgmq_c.queues WHERE queue_name = 'vt'});
my $other = queue_in_slot_of('other', 1, 200, $dboid, $vt_id);
ok(defined $other, "queue $other shares the slot of topic vt");

my $holder = start_session($node, 'other_sender', 'BEGIN',
	"SELECT pgmq_c.send('$other', '{}')", 'SELECT pg_sleep(60)', 'COMMIT');
ok( $node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE application_name = 'other_sender' AND query LIKE '%pg_sleep%'}),
	"a transaction that sent to $other stays open");
my $v = sql(q{SELECT pgmq_c.send('vt', '{"v": 1}')});
is(sql(q{SELECT msg_id FROM pgmq_c.read_group('vt', 'g', '1 hour', 10)}), $v,
	"the group reads the topic's message meanwhile");
sql(q{SET statement_timeout = '10s';
SELECT pgmq_c.create_group('vt', 'late', start_at => 'latest')});
is(sql(q{SELECT count(*) FROM pgmq_c.list_groups('vt') WHERE group_name = 'late'}),
	'1', "create_group(..., 'latest') does not wait for it");
sql(q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE application_name = 'other_sender'});
finish_session($holder);

#
# A slot records 32 senders.  Before session 49, 33 open transactions that
# sent to the other queue filled it: the topic's next send went
# unrecorded, the slot's overflow then covered "several queues", and the
# group waited for every older transaction, the other queue's 33
# included, as long as they stayed open (review h28).  Now the send goes
# unrecorded but takes its topic's sender lock, and the group's readers
# look for their senders among the slot's entries and that lock's holders
# (shared_memory/sender_locks.c).
#
# $count sessions named "<prefix>_<n>" that send to $other and stay open
# for $seconds; passes once all of them are sleeping
sub open_senders
{
	my ($prefix, $count, $seconds, $label) = @_;
	(my $pattern = $prefix) =~ s/_/\\_/g;
	my @sessions = map {
		start_session($node, "${prefix}_$_", 'BEGIN',
			"SELECT pgmq_c.send('$other', '{}')",
			"SELECT pg_sleep($seconds)", 'COMMIT')
	} 1 .. $count;
	ok( $node->poll_query_until('postgres', qq{
SELECT count(*) = $count FROM pg_stat_activity
 WHERE application_name LIKE '${pattern}\\_%' AND query LIKE '%pg_sleep%'}),
		$label);
	return @sessions;
}

my @hogs = open_senders('slot_hog', 33, 60,
	"33 transactions that sent to $other stay open");
$v = sql(q{SELECT pgmq_c.send('vt', '{"v": 2}')});
is(group_reads(), $v,
	"the group reads the topic's next message meanwhile (within 15 s)");
sql(q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE application_name LIKE 'slot\_hog\_%'});
finish_session($_) foreach @hogs;

#
# Two queues overflowed (review h31).  A slot keeps one overflow record:
# once senders of two queues went unrecorded, it said "several queues",
# and every queue and topic of the slot waited for every older
# transaction.  A role that could create two queues on the slot of another
# role's topic held that topic's groups for as long as it kept two
# transactions open.  A reader that cannot tell its senders from the slot
# now looks for them among the slot's entries and the holders of its
# topic's sender lock, which the senders the slot could not record take
# (shared_memory/sender_locks.c).
#
my $second = queue_in_slot_of('other', 201, 600, $dboid, $vt_id);
ok(defined $second, "queue $second shares the slot of topic vt too");

# 32 transactions that send to queue $q fill the slot and wait on a gate
# (an advisory lock a session holds); a 33rd, which stays open, goes
# unrecorded; then the gate opens and the 32 end
my @long;
sub overflow_with
{
	my ($q) = @_;
	my $gate = start_session($node, 'gate', 'SELECT pg_advisory_lock(4242)',
		'SELECT pg_sleep(600)');
	ok( $node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE application_name = 'gate' AND query LIKE '%pg_sleep%'}),
		'the gate is shut');
	my @short = map {
		start_session($node, "short_$_", 'BEGIN',
			"SELECT pgmq_c.send('$q', '{}')",
			'SELECT pg_advisory_xact_lock_shared(4242)', 'COMMIT')
	} 1 .. 32;
	ok( $node->poll_query_until('postgres', q{
SELECT count(*) = 32 FROM pg_stat_activity
 WHERE application_name LIKE 'short\_%' AND wait_event_type = 'Lock'}),
		"32 transactions that sent to $q are open");
	push @long,
	  start_session($node, "long_$q", 'BEGIN',
		"SELECT pgmq_c.send('$q', '{}')", 'SELECT pg_sleep(120)', 'COMMIT');
	ok( $node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE application_name = 'long_$q' AND query LIKE '%pg_sleep%'}),
		"a 33rd, unrecorded, stays open");
	sql(q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE application_name = 'gate'});
	eval { finish_session($gate) };
	finish_session($_) foreach @short;
}
overflow_with($other);
overflow_with($second);

# A role with no right on vt holds a lock on vt's msg_id sequence: nextval(),
# currval() and setval() take it before they check rights, and a rolled-back
# subtransaction leaves it with the transaction (review h32).  The readers
# ask for the lock pgmq_c's senders take, which no statement can take.
sql(q{CREATE ROLE mallory});
my $seq_oid = sql("SELECT 'pgmq_c.t_${vt_id}_seq'::regclass::oid");
my $seq_holder = start_session($node, 'seq_holder', 'BEGIN', 'SET LOCAL ROLE mallory',
	'SELECT pg_catalog.txid_current()',
	"DO \$\$BEGIN PERFORM pg_catalog.currval(${seq_oid}::regclass);
EXCEPTION WHEN insufficient_privilege THEN NULL; END\$\$",
	'SELECT pg_sleep(120)', 'COMMIT');
ok( $node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
 WHERE a.application_name = 'seq_holder' AND l.relation = $seq_oid
   AND l.mode = 'RowExclusiveLock' AND a.query LIKE '%pg_sleep%'}),
	"a role with no right on vt holds a lock on vt's sequence");

$v = sql(q{SELECT pgmq_c.send('vt', '{"v": 3}')});
is(group_reads(), $v,
	"with two queues of the slot overflowed, the group reads the topic's message (within 15 s)");

#
# The same path keeps commit order.  While 32 open transactions that sent
# to $other fill the slot, vt's senders go unrecorded and hold vt's sender
# lock instead: a send committed after an open send and a prepared one
# waits for both, and the group then gets the committed ones.
#
my @fillers = open_senders('filler', 32, 120,
	"32 transactions that sent to $other fill the slot");
sql(q{BEGIN; SELECT pgmq_c.send('vt', '{"v": "prepared"}');
PREPARE TRANSACTION 'vt_prepared'});
my $open = start_session($node, 'vt_open', 'BEGIN',
	q{SELECT pgmq_c.send('vt', '{"v": "open"}')}, 'SELECT pg_sleep(120)', 'COMMIT');
ok( $node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE application_name = 'vt_open' AND query LIKE '%pg_sleep%'}),
	'a transaction that sent to vt stays open');
is( sql(qq{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
 AND classid = $vt_id AND objid = 0 AND objsubid = 28787 AND mode = 'RowExclusiveLock'}),
	'2', "both hold vt's sender lock, unrecorded in the full slot");
my $after = sql(q{SELECT pgmq_c.send('vt', '{"v": "after"}')});
is( sql(q{SELECT count(*) FROM pgmq_c.read_group('vt', 'g', '1 hour', 10)}),
	'0',
	'the message sent after them waits for the open and the prepared send');
sql(q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE application_name = 'vt_open'});
finish_session($open);
is( sql(q{SELECT count(*) FROM pgmq_c.read_group('vt', 'g', '1 hour', 10)}),
	'0', 'and still for the prepared one once the open one rolled back');
sql(q{COMMIT PREPARED 'vt_prepared'});
is( first_result(
		q{SELECT string_agg(message->>'v', ',' ORDER BY msg_id)
 FROM pgmq_c.read_group('vt', 'g', '1 hour', 10)}
	),
	'prepared,after',
	'after COMMIT PREPARED the group gets the prepared message and the later one');

sql(q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE application_name LIKE 'long\_%' OR application_name LIKE 'filler\_%'
    OR application_name = 'seq_holder'});
finish_session($_) foreach @long, @fillers, $seq_holder;

$node->stop;
done_testing();
