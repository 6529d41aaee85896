# 052_group_blocks.pl: consumer groups whose readers lease straight from
# blocks of the topic's log (src/topic/group_blocks.c).
#
# While a group's readers ask for 32 messages or more at a time, the
# worker's fill hands the group its messages in blocks (a row of
# pgmq_c.group_blocks for up to what the readers ask for) instead of a row
# per message, and a reader inserts its leases straight from the log.  A
# block and the leases taken from it commit or vanish together: what a
# rolled-back transaction, a rolled-back savepoint, a crash or a prepared
# transaction rolled back after a restart took is delivered again, and
# nothing is delivered twice.  Messages with an ordering key and delayed
# ones still get rows; readers of few messages inside transaction blocks
# take no block, and the worker turns blocks into rows for them.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('group_blocks', conf => q{
max_prepared_transactions = 5
});

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub ids_of
{
	my ($topic) = @_;
	return split /\|/, sql(qq{
SELECT q.queue_id || '|' || g.group_id FROM pgmq_c.queues q
  JOIN pgmq_c.groups g ON g.topic_id = q.queue_id
 WHERE q.queue_name = '$topic'});
}

# "blocks messages-in-blocks rows-of-g_" of the group of $topic
sub state_of
{
	my ($topic) = @_;
	my ($tid, $gid) = ids_of($topic);
	return sql(qq{
SELECT (SELECT count(*) FROM pgmq_c.group_blocks WHERE group_id = $gid)
       || ' ' || (SELECT coalesce(sum(messages), 0) FROM pgmq_c.group_blocks WHERE group_id = $gid)
       || ' ' || (SELECT count(*) FROM pgmq_c.g_$gid)});
}

# A read of $qty in a transaction block that ends with $end: "count first last"
sub read_in_block
{
	my ($topic, $qty, $end, $vt) = @_;
	$vt //= '1 hour';
	my $out = sql(qq{
BEGIN;
CREATE TEMP TABLE r ON COMMIT DROP AS
  SELECT msg_id FROM pgmq_c.read_group('$topic', 'g', '$vt', $qty, '10 s');
SELECT count(*) || ' ' || coalesce(min(msg_id), 0) || ' ' || coalesce(max(msg_id), 0) FROM r;
$end;});
	return (split /\n/, $out)[-1];
}

sql(q{
SELECT pgmq_c.create_topic('tb');
SELECT pgmq_c.create_group('tb', 'g', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('tb',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 2000) i));
});
ok(defined worker_pid($node, 'postgres'), 'the worker runs');

# 1. blocks instead of rows
is(read_in_block('tb', 100, 'COMMIT'), '100 1 100',
	'a reader of 100 in a transaction block gets messages 1 to 100');
my ($blocks, $in_blocks, $rows) = split / /, state_of('tb');
cmp_ok($blocks, '>=', 10, 'the worker handed the group blocks');
is($in_blocks + $rows, 2000,
	'every message is in a block or has a row: the 100 leased, the rest in blocks');
is($rows, 100, 'only the leased messages have rows of the group');
my ($tid, $gid) = ids_of('tb');
is(sql(qq{SELECT count(*) FROM pgmq_c.group_blocks b1 JOIN pgmq_c.group_blocks b2
  ON b1.group_id = b2.group_id AND b1.first_id < b2.first_id AND b2.next_id <= b1.last_id
 WHERE b1.group_id = $gid}), '0', 'no two blocks overlap');

# 2. a rolled-back read gives its messages back
is(read_in_block('tb', 100, 'ROLLBACK'), '100 101 200',
	'a reader that rolls back took messages 101 to 200');
is(read_in_block('tb', 100, 'COMMIT'), '100 101 200',
	'the next reader gets the same messages');

# 3. a savepoint rolled back inside a transaction that commits
is((split /\n/, sql(q{
BEGIN;
SAVEPOINT s;
SELECT count(*) FROM pgmq_c.read_group('tb', 'g', '1 hour', 100);
ROLLBACK TO SAVEPOINT s;
SELECT count(*) || ' ' || min(msg_id) || ' ' || max(msg_id) FROM pgmq_c.read_group('tb', 'g', '1 hour', 100);
COMMIT;}))[-1], '100 201 300',
	'after a savepoint rolled back, the same transaction takes the same messages');
is(sql(q{SELECT count(*) FROM pgmq_c.read_group('tb', 'g', '1 hour', 100) WHERE msg_id <= 300}), '0',
	'and they are leased once only');

# 4. a lease taken from a block that ends unacknowledged is delivered again
is(read_in_block('tb', 100, 'COMMIT', '1 second'), '100 401 500',
	'a reader leases messages 401 to 500 for a second');
sleep 2;
is(sql(q{SELECT count(*) || ' ' || min(msg_id) || ' ' || max(read_ct)
  FROM pgmq_c.read_group('tb', 'g', '1 hour', 100)}), '100 401 2',
	'once the lease is over, they are delivered again (read_ct 2)');

# 5. a prepared transaction holds its block across an immediate restart
sql(q{
BEGIN;
SELECT count(*) FROM pgmq_c.read_group('tb', 'g', '1 hour', 100);
PREPARE TRANSACTION 'blocks_commit';
});
sql(q{
BEGIN;
SELECT count(*) FROM pgmq_c.read_group('tb', 'g', '1 hour', 100);
PREPARE TRANSACTION 'blocks_rollback';
});
$node->stop('immediate');
$node->start;
my $after = read_in_block('tb', 100, 'COMMIT');
is($after, '100 701 800',
	'after the restart a reader skips what the two prepared transactions took');
sql(q{COMMIT PREPARED 'blocks_commit'});
sql(q{ROLLBACK PREPARED 'blocks_rollback'});
is(read_in_block('tb', 100, 'COMMIT'), '100 601 700',
	'what the prepared transaction rolled back after the restart is delivered again');
is(sql(qq{SELECT count(*) FROM pgmq_c.g_$gid WHERE msg_id BETWEEN 501 AND 600 AND read_ct = 1 AND leased}),
	'100', 'what the committed one took stays leased');

# 6. a crash with blocks in flight
my $held = start_session($node, 'held', 'BEGIN',
	q{SELECT count(*) FROM pgmq_c.read_group('tb', 'g', '1 hour', 100)},
	q{SELECT pg_sleep(600)});
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'held'
	  AND query LIKE '%pg_sleep%'}) or die 'the held reader did not start';
$node->stop('immediate');
eval { $held->{h}->finish; };
$node->start;
# messages 1001 on (801 to 1000 went to the reads of section 5 and 6)
my %seen;
my $dup = 0;
for my $round (1 .. 20)
{
	my $got = sql(q{SELECT string_agg(msg_id::text, ' ') FROM pgmq_c.read_group('tb', 'g', '1 hour', 100)});
	last if $got eq '';
	for my $id (split / /, $got) { $dup++ if $seen{$id}++; }
}
is($dup, 0, 'after the crash no message is delivered twice');
is(scalar(grep { $_ > 800 && $_ <= 2000 } keys %seen), 1200,
	'after the crash every message from 801 on comes, the crashed reader\'s too');
is(scalar(grep { $_ <= 800 } keys %seen), 0, 'and none leased before the crash');

# 7. readers of few messages in transaction blocks take no block: the worker
# turns blocks into rows for them
sql(q{
SELECT pgmq_c.create_topic('ts');
SELECT pgmq_c.create_group('ts', 'g', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('ts',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 500) i));
});
is(read_in_block('ts', 50, 'COMMIT'), '50 1 50', 'a reader of 50 leases messages 1 to 50');
cmp_ok((split / /, state_of('ts'))[0], '>', 0, 'the group has blocks');
is(read_in_block('ts', 1, 'COMMIT'), '1 51 51',
	'a reader of one in a transaction block gets the next message');
is(read_in_block('ts', 1, 'COMMIT'), '1 52 52', 'and the one after');

# 8. filters, ordering keys and delayed messages among block messages
sql(q{
SELECT pgmq_c.create_topic('tf');
SELECT pgmq_c.create_group('tf', 'g', start_at => 'earliest', filter => '{"kind": "a"}');
SELECT count(*) FROM pgmq_c.send_batch('tf',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 600) i),
	ARRAY(SELECT jsonb_build_object('kind', CASE WHEN i % 3 = 0 THEN 'b' ELSE 'a' END)
	        FROM generate_series(1, 600) i));
SELECT count(*) FROM pgmq_c.send_batch('tf',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(601, 700) i),
	ARRAY(SELECT '{"kind": "a"}'::jsonb FROM generate_series(601, 700) i),
	ordering_keys => ARRAY(SELECT 'k' || (i % 7) FROM generate_series(601, 700) i));
SELECT count(*) FROM pgmq_c.send_batch('tf',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(701, 800) i),
	ARRAY(SELECT '{"kind": "a"}'::jsonb FROM generate_series(701, 800) i),
	delay => '2 seconds');
SELECT count(*) FROM pgmq_c.send_batch('tf',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(801, 1000) i),
	ARRAY(SELECT jsonb_build_object('kind', CASE WHEN i % 3 = 0 THEN 'b' ELSE 'a' END)
	        FROM generate_series(801, 1000) i));
});
%seen = ();
$dup = 0;
my $wrong = 0;
for my $round (1 .. 100)
{
	my $got = (split /\n/, sql(q{
BEGIN;
CREATE TEMP TABLE r ON COMMIT DROP AS
  SELECT msg_id, headers->>'kind' AS kind FROM pgmq_c.read_group('tf', 'g', '1 hour', 100, '3 s');
SELECT count(*) FROM pgmq_c.ack('tf', 'g', ARRAY(SELECT msg_id FROM r));
SELECT 'x' || coalesce(string_agg(msg_id::text || ':' || kind, ' '), '') FROM r;
COMMIT;}))[-1];
	$got =~ s/^x//;
	last if $got eq '';
	for my $pair (split / /, $got)
	{
		my ($id, $kind) = split /:/, $pair;
		$dup++ if $seen{$id}++;
		$wrong++ if $kind ne 'a';
	}
}
is($dup, 0, 'with a filter, keys and delays, nothing is delivered twice');
is($wrong, 0, 'and only messages that pass the filter are delivered');
is(scalar(keys %seen), 400 + 100 + 100 + scalar(grep { $_ % 3 } 801 .. 1000),
	'every message that passes the filter is delivered (keyed and delayed ones too)');

# 9. a lease taken from a block below the group's watermark: once every
# row of the group was acknowledged, the watermark a backend computes is
# the cursor, past the blocks; a lease from a block that then ends
# unacknowledged must still be claimed again by that backend
sql(q{
SELECT pgmq_c.create_topic('tw');
SELECT pgmq_c.create_group('tw', 'g', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('tw',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 1000) i));
});
my $w = start_psql($node, name => 'watermark', sql => [
	q{BEGIN; CREATE TEMP TABLE r ON COMMIT DROP AS
	    SELECT msg_id FROM pgmq_c.read_group('tw', 'g', '1 hour', 100, '10 s');
	  SELECT count(*) FROM pgmq_c.ack('tw', 'g', ARRAY(SELECT msg_id FROM r));
	  COMMIT},
	q{SELECT pg_sleep(1.2)},
	q{SELECT 'first ' || count(*) || ' ' || min(msg_id) FROM pgmq_c.read_group('tw', 'g', '1 second', 100)},
	q{SELECT pg_sleep(2)},
	q{SELECT 'again ' || count(*) || ' ' || min(msg_id) || ' ' || max(read_ct)
	    FROM pgmq_c.read_group('tw', 'g', '1 hour', 100)}]);
my $wout = finish_session($w);
like($wout, qr/^first 100 101$/m,
	'a backend whose group rows were all acknowledged leases messages 101 to 200 for a second');
like($wout, qr/^again 100 101 2$/m,
	'once their lease is over, the same backend claims them again, whatever its watermark');

# 10. a filter that leaves most messages out: a block spans at most twice
# the messages it holds (its reader walks the others again)
sql(q{
SELECT pgmq_c.create_topic('tsp');
SELECT pgmq_c.create_group('tsp', 'g', start_at => 'earliest', filter => '{"kind": "a"}');
SELECT count(*) FROM pgmq_c.send_batch('tsp',
	ARRAY(SELECT jsonb_build_object('n', i) FROM generate_series(1, 2000) i),
	ARRAY(SELECT jsonb_build_object('kind', CASE WHEN i % 10 = 0 OR i > 1500 THEN 'a' ELSE 'b' END)
	        FROM generate_series(1, 2000) i));
});
is(read_in_block('tsp', 50, 'COMMIT'), '50 10 500', 'a reader of 50 gets the first 50 that pass the filter');
my ($sptid, $spgid) = ids_of('tsp');
is(sql(qq{SELECT count(*) > 0 AND bool_and(last_id - first_id + 1 <= 2 * messages)
  FROM pgmq_c.group_blocks WHERE group_id = $spgid}), 't',
	'every block spans at most twice the messages it holds');
is(sql(qq{SELECT max(messages) FROM pgmq_c.group_blocks WHERE group_id = $spgid AND first_id > 1500}), '50',
	'where every message passes, blocks are whole (the readers\' 50)');
is(sql(q{SELECT count(*) || ' ' || count(DISTINCT msg_id) || ' ' || bool_and(headers->>'kind' = 'a')
  FROM pgmq_c.read_group('tsp', 'g', '1 hour', 1000)}), '600 600 true',
	'the other 600 that pass the filter are delivered once');

$node->stop;
done_testing();
