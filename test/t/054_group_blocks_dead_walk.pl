# 054_group_blocks_dead_walk.pl: what a read of a group with blocks walks
# must not grow with the blocks its readers took before, while an old
# snapshot keeps their dead versions (src/topic/group_blocks.c walks the
# group's blocks from the first block it saw last time, review h56, or
# that any backend saw, as the topic's wake-up slot records it).
#
# Measured as the index entries of pgmq_c.group_blocks' primary key that a
# read returns (pg_stat_all_indexes.idx_tup_read), at the start and after
# 150 reads of 100 that each took a whole block, with a REPEATABLE READ
# transaction open all along.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('group_blocks_dead');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub entries_read
{
	return sql(q{
SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_all_indexes
 WHERE relid = 'pgmq_c.group_blocks'::regclass});
}

# one read of 100 in a transaction block, the stats flushed after it:
# "count first"
sub read_100
{
	my $out = sql(q{
BEGIN;
CREATE TEMP TABLE r ON COMMIT DROP AS
  SELECT msg_id FROM pgmq_c.read_group('tp', 'g', '1 hour', 100, '5 s');
SELECT count(*) || ' ' || coalesce(min(msg_id), 0) FROM r;
COMMIT;
SELECT pg_stat_force_next_flush();
SELECT 1;});
	return (split /\n/, $out)[-3];
}

# the index entries one read walks
sub walked_by_one_read
{
	my $before = entries_read();
	my $got = read_100();
	my $after = entries_read();
	note "read: $got, index entries walked: " . ($after - $before);
	return $after - $before;
}

sql(q{
SELECT pgmq_c.create_topic('tp');
SELECT pgmq_c.create_group('tp', 'g', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('tp',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 10000) i));
SELECT count(*) FROM pgmq_c.send_batch('tp',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(10001, 20000) i));
});
ok(defined worker_pid($node, 'postgres'), 'the worker runs');
read_100();
read_100();

my $holder = start_session($node, 'holder',
	'BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM pgmq_c.queues; SELECT pg_sleep(600)');
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'holder'
	  AND query LIKE '%pg_sleep%'}) or die 'the snapshot holder did not start';

my $first = walked_by_one_read();
read_100() for 1 .. 150;
my $later = walked_by_one_read();
# Each read here is a new connection: it starts where the backends before
# it saw the group's blocks start (the slot's bound, shared_watermarks.c),
# not at the group's first index entry (before: 466 entries after 150
# blocks, against 4 for the first read).
cmp_ok($later, '<=', $first + 20,
	'a read after 150 blocks were taken walks about as many index entries as the first');

# A seek back makes blocks below where the backends saw them start (the
# bound they share, at the seek count before): a reader must take the
# first of them.  A connection reading 25 at a time in transaction blocks
# takes rows, which the worker makes of the blocks: its watermark must not
# pass those blocks (the scan takes the shared bound only at the seek
# count it was seen at), else the rows made of them would lie below it and
# never be claimed.  The readers until then are REPEATABLE READ ones,
# whose walks publish no bound: the one shared is still the old one.
sql(q{CREATE TABLE got (msg_id bigint)});
my $blocks_start = sql(q{SELECT min(first_id) FROM pgmq_c.group_blocks});
cmp_ok($blocks_start, '>', 14100, "the group's blocks start at $blocks_start");
is(sql(q{SELECT pgmq_c.seek('tp', 'g', 14001)}),
	'14001', 'the group is sought back to msg_id 14001');
my $rr_got = 0;
for my $try (1 .. 100)
{
	$rr_got = sql(q{
BEGIN ISOLATION LEVEL REPEATABLE READ;
WITH r AS (INSERT INTO got SELECT msg_id FROM pgmq_c.read_group('tp', 'g', '1 hour', 100)
           RETURNING 1)
SELECT count(*) FROM r;
COMMIT;});
	last if $rr_got > 0;
	usleep(100_000);
}
cmp_ok($rr_got, '>', 0,
	'a REPEATABLE READ reader gets messages after the seek (asked, the worker hands out blocks)');
is(sql(q{SELECT count(*) || ' ' || min(msg_id) FROM got}),
	'100 14001', 'it took the first of them: 100 from msg_id 14001');
is( sql(qq{SELECT count(*) > 0 FROM pgmq_c.group_blocks WHERE first_id < $blocks_start}),
	't', 'blocks are left below where the blocks started before the seek');
is( sql(q{SELECT count(*) FROM pgmq_c.ack('tp', 'g', ARRAY(SELECT msg_id FROM got))}),
	'100', 'its messages are acknowledged (no lease of the group is left below the blocks)');
# one connection: a watermark past the blocks would stay with it (reads
# until all 6,000 are in, at most 600)
sql(join('', map { q{
SELECT count(*) < 6000 AS more FROM got \gset
\if :more
BEGIN;
INSERT INTO got SELECT msg_id FROM pgmq_c.read_group('tp', 'g', '1 hour', 25, '1 s');
COMMIT;
\endif} } 1 .. 600));
is( sql(q{SELECT count(*) || ' ' || count(DISTINCT msg_id) || ' ' || min(msg_id) || ' ' || max(msg_id) FROM got}),
	'6000 6000 14001 20000',
	'after the seek, a connection reading 25 at a time gets every message once');

# A transaction that took a whole block and walks again no longer sees that
# block, which the others still see (and which comes back if it rolls
# back): its second walk must not tell them the blocks start past it.
sql(q{
SELECT pgmq_c.create_topic('tp2');
SELECT pgmq_c.create_group('tp2', 'g2', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('tp2',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 3000) i));
});
my ($first_read, $second_read) = split /\n/, sql(q{
BEGIN;
SELECT min(msg_id) FROM pgmq_c.read_group('tp2', 'g2', '1 hour', 100, '5 s');
SELECT min(msg_id) FROM pgmq_c.read_group('tp2', 'g2', '1 hour', 100, '5 s');
ROLLBACK;});
is($second_read - $first_read, 100,
	'a transaction takes two whole blocks, one walk each, and rolls back');
is( sql(q{
BEGIN;
SELECT min(msg_id) FROM pgmq_c.read_group('tp2', 'g2', '1 hour', 100, '5 s');
COMMIT;}),
	$first_read,
	'a new connection then takes the first of them again (the second walk told no one the blocks start past it)');

sql(q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'});
eval { finish_session($holder); };
$node->stop;
done_testing();
