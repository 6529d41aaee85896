# 053_group_blocks_small_readers.pl: readers of fewer than 32 messages
# inside transaction blocks take no block (src/topic/group_blocks.c); they
# must still get the messages of their group's blocks.
#
# 1. The block size the worker's fills use, and whether the worker turns
#    blocks into rows for a short read, come from the topic's wake-up slot,
#    which every group of the topic (and every topic hashed to the slot)
#    writes.  A group read one message at a time in transaction blocks,
#    next to another group of the same topic read in batches of 100, must
#    still get its messages.
# 2. A reader in a transaction block that took part of a block (a read of
#    50) and then asks for one message in the same transaction.
# 3. Blocks left when the worker stops: readers of one message in
#    transaction blocks fill themselves.
# 4. An invalid index on pgmq_c.group_blocks (a cancelled CREATE INDEX
#    CONCURRENTLY): the blocks must still be read.
# 5. The same with an invalid index on the group's table.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('group_blocks_small');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub blocks_of
{
	my ($topic, $group) = @_;
	return sql(qq{
SELECT count(*) FROM pgmq_c.group_blocks b
  JOIN pgmq_c.groups g ON g.group_id = b.group_id
  JOIN pgmq_c.queues q ON q.queue_id = g.topic_id
 WHERE q.queue_name = '$topic' AND g.group_name = '$group'});
}

# A read of $qty of $group in a transaction block: "count first last"
sub read_in_block
{
	my ($topic, $group, $qty) = @_;
	my $out = sql(qq{
BEGIN;
CREATE TEMP TABLE r ON COMMIT DROP AS
  SELECT msg_id FROM pgmq_c.read_group('$topic', '$group', '1 hour', $qty);
SELECT count(*) || ' ' || coalesce(min(msg_id), 0) || ' ' || coalesce(max(msg_id), 0) FROM r;
COMMIT;});
	return (split /\n/, $out)[-1];
}

sql(q{
SELECT pgmq_c.create_topic('tr');
SELECT pgmq_c.create_group('tr', 'bulk', start_at => 'earliest');
SELECT pgmq_c.create_group('tr', 'one', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('tr',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 500) i));
});
ok(defined worker_pid($node, 'postgres'), 'the worker runs');

# 1. group "one" is handed blocks (a read of 50 in a transaction block)
is(read_in_block('tr', 'one', 50), '50 1 50', 'a reader of 50 of group one');
cmp_ok(blocks_of('tr', 'one'), '>', 0, 'group one has blocks');

# group "bulk" of the same topic is read in batches of 100, again and again
my $bulk = start_psql($node, app => 'bulk', sql => [q{
DO $$
BEGIN
	FOR i IN 1 .. 5000000 LOOP
		PERFORM count(*) FROM pgmq_c.read_group('tr', 'bulk', '1 hour', 100);
	END LOOP;
END
$$}]);
$node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'bulk' AND state = 'active'})
  or die 'the bulk reader did not start';
sleep 1;

my $got = 0;
my $t0 = time;
for my $round (1 .. 5)
{
	my ($n) = split / /, read_in_block('tr', 'one', 1);
	$got += $n;
}
note sprintf('5 reads of one message took %d s', time - $t0);
is($got, 5,
	'while another group of the topic reads batches of 100, each read of one message of group one in a transaction block gets one');

sql(q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'bulk'});
eval { finish_session($bulk); };

# 2. the same transaction: a read of 50 takes part of a block, a read of
# one after it finds the rest of that block held by its own transaction
sql(q{
SELECT pgmq_c.create_topic('ts');
SELECT pgmq_c.create_group('ts', 'g', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('ts',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 200) i));
});
is(read_in_block('ts', 'g', 100), '100 1 100', 'a reader of 100 (blocks of 100)');
cmp_ok(blocks_of('ts', 'g'), '>', 0, 'the group has blocks');
my $out = sql(q{
BEGIN;
SELECT 'a ' || count(*) FROM pgmq_c.read_group('ts', 'g', '1 hour', 50);
SELECT 'b ' || count(*) FROM pgmq_c.read_group('ts', 'g', '1 hour', 1);
COMMIT;});
like($out, qr/^a 50$/m, 'a read of 50 in a transaction block');
like($out, qr/^b 1$/m,
	'a read of one after it in the same transaction gets the next message (the rest of the block is its own)');

# 4. an invalid index on pgmq_c.group_blocks (a DBA's CREATE INDEX
# CONCURRENTLY that was cancelled): the blocks the group has must still be
# read, as its rows would be
sql(q{
SELECT pgmq_c.create_topic('ti');
SELECT pgmq_c.create_group('ti', 'g', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('ti',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 400) i));
});
is(read_in_block('ti', 'g', 100), '100 1 100', 'a reader of 100 (blocks of 100)');
cmp_ok(blocks_of('ti', 'g'), '>', 1, 'the group has blocks');
my $locker = start_session($node, 'locker', 'BEGIN',
	'LOCK TABLE pgmq_c.group_blocks IN ROW EXCLUSIVE MODE', 'SELECT pg_sleep(600)');
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'locker'
	  AND query LIKE '%pg_sleep%'}) or die 'the locker did not start';
my ($rc) = $node->psql('postgres', q{SET statement_timeout = '1s';
CREATE INDEX CONCURRENTLY blocks_by_next ON pgmq_c.group_blocks (group_id, next_id)});
isnt($rc, 0, 'a CREATE INDEX CONCURRENTLY cancelled while it waits leaves an invalid index');
sql(q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'});
eval { finish_session($locker); };
is(sql(q{SELECT count(*) FROM pg_index WHERE indexrelid = 'pgmq_c.blocks_by_next'::regclass
  AND NOT indisvalid}), '1', 'the index is there, invalid');
is(sql(q{SELECT count(*) FROM pgmq_c.read_group('ti', 'g', '1 hour', 100)}), '100',
	'a reader still gets the 100 messages of the next block');
sql(q{DROP INDEX pgmq_c.blocks_by_next});

# 5. the same with an invalid index on the group's table g_<id>: its rows
# are claimed by statements then, its blocks must be read too
{
	my $gid = sql(q{SELECT g.group_id FROM pgmq_c.groups g JOIN pgmq_c.queues q
	  ON q.queue_id = g.topic_id WHERE q.queue_name = 'ti'});
	my $locker = start_session($node, 'locker2', 'BEGIN',
		"LOCK TABLE pgmq_c.g_$gid IN ROW EXCLUSIVE MODE", 'SELECT pg_sleep(600)');
	$node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'locker2'
		  AND query LIKE '%pg_sleep%'}) or die 'the locker did not start';
	my ($rc) = $node->psql('postgres', qq{SET statement_timeout = '1s';
CREATE INDEX CONCURRENTLY g_by_vt ON pgmq_c.g_$gid (vt)});
	isnt($rc, 0, 'a CREATE INDEX CONCURRENTLY on the group\'s table cancelled while it waits');
	sql(q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker2'});
	eval { finish_session($locker); };
	TODO:
	{
		local $TODO = 'run_walk needs g_ plain (pgmqc_direct_columns_fit); nothing takes blocks another way';
		is(sql(q{SELECT count(*) FROM pgmq_c.read_group('ti', 'g', '1 hour', 100)}), '100',
			'a reader still gets the 100 messages of the last block');
	}
	sql(q{DROP INDEX pgmq_c.g_by_vt});
}

# 3. blocks left when the worker stops (pgmq_c.worker = off): readers of
# one in transaction blocks then fill themselves
sql(q{
SELECT pgmq_c.create_topic('tw');
SELECT pgmq_c.create_group('tw', 'g', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('tw',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 200) i));
});
is(read_in_block('tw', 'g', 100), '100 1 100', 'a reader of 100 (blocks of 100)');
cmp_ok(blocks_of('tw', 'g'), '>', 0, 'the group has blocks');
sql(q{ALTER SYSTEM SET pgmq_c.worker = off});
$node->reload;
$node->poll_query_until('postgres', q{
SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker'})
  or die 'the worker did not stop';
is(read_in_block('tw', 'g', 1), '1 101 101',
	'without the worker, a reader of one in a transaction block gets the next message of the blocks');

$node->stop;
done_testing();
