# 035_group_fill_ahead.pl: the worker fills a consumer group for readers
# before they run dry (inside transaction blocks, and autocommit ones), and
# only the groups of the topics whose readers asked.
#
# A reader inside BEGIN ... COMMIT does not fill its group itself (it would
# hold the group's cursor until its commit): it asks the background worker
# and waits for the worker's commit.  The worker hands out 2,048 messages
# (rounded up to whole blocks of what readers of 32 or more ask for)
# per fill.  The reader that claims past the first quarter of them asks for
# the next fill at once, so the cursor moves on while the group still has
# messages ready; before, nothing asked until a reader found the group
# empty.  A request names its group: the worker fills that group, not
# every group of the database (before, one reader's request filled them
# all).
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('fill_ahead');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{
SELECT pgmq_c.create_topic('ta');
SELECT pgmq_c.create_group('ta', 'g1', start_at => 'earliest');
SELECT pgmq_c.create_group('ta', 'g2', start_at => 'earliest');
SELECT pgmq_c.create_topic('tb');
SELECT pgmq_c.create_group('tb', 'g1', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('ta',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 3000) i));
SELECT count(*) FROM pgmq_c.send_batch('tb',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 100) i));
});

# readers ask the worker only while one runs (else they fill themselves):
# the calls above started it
ok(defined worker_pid($node, 'postgres'), 'the worker runs');

# "next_id rows" of a group: its cursor, and the messages handed to it and
# not acknowledged (its rows, and the messages of its blocks: readers of 100
# get blocks, src/topic/group_blocks.c)
sub group_pos_of
{
	my ($topic, $group) = @_;
	my ($tid, $gid) = split /\|/, sql(qq{
SELECT q.queue_id, g.group_id
  FROM pgmq_c.queues q JOIN pgmq_c.groups g ON g.topic_id = q.queue_id
 WHERE q.queue_name = '$topic' AND g.group_name = '$group'});
	return sql(qq{
SELECT (SELECT next_id FROM pgmq_c.c_$tid WHERE group_id = $gid)
       || ' ' || ((SELECT count(*) FROM pgmq_c.g_$gid)
                  + (SELECT coalesce(sum(messages), 0) FROM pgmq_c.group_blocks
                     WHERE group_id = $gid))});
}

# one read of 100 and its ack, in one transaction block: "count first last"
sub read_ack_block
{
	return sql(q{
BEGIN;
CREATE TEMP TABLE r ON COMMIT DROP AS
  SELECT msg_id FROM pgmq_c.read_group('ta', 'g1', '1 hour', 100, '10 s');
SELECT count(*) FROM pgmq_c.ack('ta', 'g1', ARRAY(SELECT msg_id FROM r));
SELECT count(*) || ' ' || min(msg_id) || ' ' || max(msg_id) FROM r;
COMMIT;});
}

my $first = read_ack_block();
is((split /\n/, $first)[-1], '100 1 100',
	'the first read in a transaction block gets messages 1 to 100 (the worker filled the group)');
is(group_pos_of('ta', 'g1'), '2101 2000',
	'the worker handed the group 2,100 messages (2,048 made whole blocks of the readers\' 100); 2,000 wait after the ack');

# messages 101 to 600: the fifth of these reads claims past message 526, a
# quarter of the way into the fill, and asks for the next one (until
# session 53 the mark was the middle, message 1,025, and nothing asked yet)
my @got;
push @got, (split /\n/, read_ack_block())[-1] for 1 .. 5;
my ($tid, $gid) = split /\|/, sql(q{
SELECT q.queue_id, g.group_id
  FROM pgmq_c.queues q JOIN pgmq_c.groups g ON g.topic_id = q.queue_id
 WHERE q.queue_name = 'ta' AND g.group_name = 'g1'});
ok( $node->poll_query_until(
		'postgres', qq{SELECT next_id > 2101 FROM pgmq_c.c_$tid WHERE group_id = $gid}),
	'the worker filled the group again while 1,448 messages were still ready');
# messages 601 to 1,100
push @got, (split /\n/, read_ack_block())[-1] for 6 .. 10;
is_deeply(
	\@got,
	[ map { '100 ' . (100 * $_ + 1) . ' ' . (100 * $_ + 100) } 1 .. 10 ],
	'ten more reads in transaction blocks get the next 1,000 messages in order');
is(group_pos_of('ta', 'g1'), '3001 1900',
	'the second fill handed out the last 900: 1,900 ready, none taken by the fill itself');

is(group_pos_of('ta', 'g2'), '0 0',
	'group g2 of the same topic, whose readers never asked, was not filled');
is(group_pos_of('tb', 'g1'), '0 0',
	'nor was the group of topic tb');

# a reader of tb in a transaction block gets its topic filled
is( sql(q{
BEGIN;
SELECT count(*) FROM pgmq_c.read_group('tb', 'g1', '1 hour', 10, '10 s');
COMMIT;}),
	'10',
	'a reader of topic tb in a transaction block has its group filled');
is(group_pos_of('tb', 'g1'), '101 100', 'all 100 messages of tb were handed out');

# An autocommit reader fills its group itself when it runs dry, and its
# group's other readers wait for that commit; so it too asks the worker
# once its claims pass the first quarter of the last fill.  Its first read
# of 10 fills 256 messages (the least a fill examines) and leases 10 of
# them; the quarter mark is message 65.
is(sql(q{SELECT count(*) FROM pgmq_c.read_group('ta', 'g2', '1 hour', 10)}),
	'10', 'an autocommit reader of group g2 fills it itself');
is(group_pos_of('ta', 'g2'), '257 256', 'its fill handed out 256 messages');
@got = ();
push @got, sql(q{
SELECT count(*) || ' ' || min(msg_id) || ' ' || max(msg_id)
  FROM pgmq_c.read_group('ta', 'g2', '1 hour', 10)}) for 1 .. 12;
is_deeply(
	\@got,
	[ map { '10 ' . (10 * $_ + 1) . ' ' . (10 * $_ + 10) } 1 .. 12 ],
	'twelve more autocommit reads get messages 11 to 130 in order');
($tid, $gid) = split /\|/, sql(q{
SELECT q.queue_id, g.group_id
  FROM pgmq_c.queues q JOIN pgmq_c.groups g ON g.topic_id = q.queue_id
 WHERE q.queue_name = 'ta' AND g.group_name = 'g2'});
ok( $node->poll_query_until(
		'postgres', qq{SELECT next_id > 257 FROM pgmq_c.c_$tid WHERE group_id = $gid}),
	'the read that claimed past message 65 had the worker fill the group while 190 were ready'
);
is(group_pos_of('ta', 'g2'), '2305 2304',
	'the worker handed out 2,048 more, and the readers filled nothing since');

# The worker's fills commit without waiting for the disk (its fill
# transactions run with synchronous_commit off): whoever uses a fill
# commits after it, and that flush covers the fill; a crash before loses
# the rows handed out and the cursor move together.
sql(q{
SELECT pgmq_c.create_topic('tc');
SELECT pgmq_c.create_group('tc', 'g1', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('tc',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 3000) i));
});

# a reader in a transaction block has the worker fill, reads, acks 100 and
# commits; at once a crash (immediate stop: no shutdown checkpoint, WAL not
# yet written is lost)
is( (split /\n/, sql(q{
BEGIN;
CREATE TEMP TABLE r ON COMMIT DROP AS
  SELECT msg_id FROM pgmq_c.read_group('tc', 'g1', '1 hour', 100, '10 s');
SELECT count(*) FROM pgmq_c.ack('tc', 'g1', ARRAY(SELECT msg_id FROM r));
SELECT count(*) || ' ' || min(msg_id) || ' ' || max(msg_id) FROM r;
COMMIT;}))[-1],
	'100 1 100',
	'tc: a reader in a transaction block reads messages 1 to 100 and acks them');
$node->stop('immediate');
$node->start;
is(group_pos_of('tc', 'g1'), '2101 2000',
	'after a crash the fill is there: the reader\'s commit flushed it with its own');

# a fill nobody committed after: messages 101 to 2,100 read and acked
# (autocommit, from what is there: no fill), then a reader in a transaction
# block finds the group empty, has the worker fill, and rolls back
is( sql(q{SELECT count(*) FROM pgmq_c.ack('tc', 'g1',
	ARRAY(SELECT msg_id FROM pgmq_c.read_group('tc', 'g1', '1 hour', 2000)))}),
	'2000', 'tc: messages 101 to 2,100 read and acked');
# readers in transaction blocks fill themselves while no worker runs
ok(defined worker_pid($node, 'postgres'), 'the worker runs again after the crash');
is( (split /\n/, sql(q{
BEGIN;
SELECT count(*) || ' ' || min(msg_id) || ' ' || max(msg_id)
  FROM pgmq_c.read_group('tc', 'g1', '1 hour', 100, '10 s');
ROLLBACK;}))[-1],
	'100 2101 2200',
	'tc: the worker filled the group for a reader in a transaction block, which rolled back');
$node->stop('immediate');
$node->start;
my $pos = group_pos_of('tc', 'g1');
# (the fill hands out messages 2,049 to 3,000 and moves the cursor past
# every settled id: after a crash the topic's sequence has skipped ahead)
ok($pos eq '2101 0' || ($pos =~ /^(\d+) 900$/ && $1 > 3000),
	"after a crash the second fill is there whole or not at all ($pos)");

# either way every message not acknowledged is delivered once, in order
my $drained = sql(q{
DO $$
DECLARE
	ids bigint[];
BEGIN
	CREATE TABLE tc_drained (msg_id bigint);
	LOOP
		ids := ARRAY(SELECT msg_id FROM pgmq_c.read_group('tc', 'g1', '1 hour', 1000));
		EXIT WHEN cardinality(ids) = 0;
		INSERT INTO tc_drained SELECT unnest(ids);
		PERFORM pgmq_c.ack('tc', 'g1', ids);
	END LOOP;
END $$;
SELECT count(*) || ' ' || count(DISTINCT msg_id) || ' ' || min(msg_id) || ' ' || max(msg_id)
  FROM tc_drained;});
is($drained, '900 900 2101 3000',
	'the drain after the crashes gets messages 2,101 to 3,000, each once');

# A reader in a transaction block whose claim comes back short has the
# worker fill however many rows other readers' open transactions hold: the
# worker's snapshot shows those rows as ready, and before, with 2,048 of
# them leased and not committed, it counted them and filled nothing, so
# readers in transaction blocks got nothing while that transaction lasted.
sql(q{
SELECT pgmq_c.create_topic('td');
SELECT pgmq_c.create_group('td', 'g', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('td',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 3000) i));
});
my $hold = start_session($node, 'td_hold', 'BEGIN',
	q{SELECT count(*) FROM pgmq_c.read_group('td', 'g', '1 hour', 2048, '10 s')},
	'SELECT pg_sleep(20)', 'COMMIT');
is( poll_sessions(
		$node, q{SELECT count(*) FROM pg_stat_activity
 WHERE application_name = 'td_hold' AND wait_event = 'PgSleep'},
		sub { $_[0] eq '1' }, $hold),
	'1', 'td: one reader holds 2,048 messages in an open transaction');
is( sql(q{SELECT count(*) FROM pgmq_c.ack('td', 'g',
	ARRAY(SELECT msg_id FROM pgmq_c.read_group('td', 'g', '1 hour', 1000)))}),
	'952', 'td: the other 952 are read and acknowledged');
sql(q{SELECT count(*) FROM pgmq_c.send_batch('td',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(3001, 3100) i))});
is( (split /\n/, sql(q{
BEGIN;
SELECT count(*) || ' ' || min(msg_id) FROM pgmq_c.read_group('td', 'g', '1 hour', 10, '5 s');
COMMIT;}))[-1],
	'10 3001',
	'td: a reader in a transaction block gets the new messages while the other transaction lasts');
$hold->{h}->kill_kill;

done_testing();
