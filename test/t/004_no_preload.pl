# 004_no_preload.pl: pgmq_c works without shared_preload_libraries (the
# library is then loaded on first use), and a queue created that way keeps
# its messages when the preload is added later.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('no_preload');
$node->init;
$node->start;

is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'', 'pgmq_c is not preloaded');

$node->safe_psql('postgres', 'CREATE EXTENSION pgmq_c');
$node->safe_psql('postgres', "SELECT pgmq_c.create_queue('np')");

my $ids = $node->safe_psql(
	'postgres', q{
SELECT pgmq_c.send('np', '{"n": 1}');
SELECT pgmq_c.send('np', '{"n": 2}', '{"h": true}');
SELECT * FROM pgmq_c.send_batch('np', ARRAY['{"n": 3}', '{"n": 4}']::jsonb[]);
});
my @ids = split /\n/, $ids;
is(scalar(@ids), 4, 'send and send_batch return 4 msg_ids');
ok($ids[0] < $ids[1] && $ids[1] < $ids[2] && $ids[2] < $ids[3],
	'msg_ids increase in send order');

is( $node->safe_psql(
		'postgres',
		"SELECT msg_id, read_ct, message->>'n', headers FROM pgmq_c.read('np', '1 hour', 2)"
	),
	"$ids[0]|1|1|\n$ids[1]|1|2|{\"h\": true}",
	'read returns the two oldest messages, leased, with headers');

is( $node->safe_psql(
		'postgres', "SELECT message->>'n' FROM pgmq_c.read('np', '1 hour', 10)"),
	"3\n4", 'a second read skips the leased messages');

is( $node->safe_psql(
		'postgres', "SELECT pgmq_c.delete('np', $ids[0], 1)"),
	't', 'delete with the receipt');
is( $node->safe_psql(
		'postgres', "SELECT pgmq_c.delete('np', $ids[0], 1)"),
	'f', 'a second delete finds nothing');
is( $node->safe_psql(
		'postgres', "SELECT pgmq_c.archive('np', $ids[1], 1)"),
	't', 'archive with the receipt');
is( $node->safe_psql(
		'postgres', "SELECT msg_id, read_ct, message->>'n' FROM pgmq_c.read_archive('np')"),
	"$ids[1]|1|2", 'the archived message is in the archive');

is( $node->safe_psql(
		'postgres', "SELECT message->>'n' FROM pgmq_c.pop('np', 1)"),
	'', 'pop finds nothing while everything is leased');
is( $node->safe_psql(
		'postgres', "SELECT read_ct FROM pgmq_c.set_vt('np', $ids[2], '0', 1)"),
	'1', 'set_vt with the receipt releases a lease');
is( $node->safe_psql(
		'postgres', "SELECT message->>'n', read_ct FROM pgmq_c.pop('np', 1)"),
	'3|2', 'pop returns the released message');
is( $node->safe_psql(
		'postgres',
		"SELECT queue_length, visible_length, in_flight_length, archived_length
		   FROM pgmq_c.metrics('np')"),
	'1|0|1|1', 'metrics: one message left, leased; one archived');

# the library really is loaded on demand in a fresh backend
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pgmq_c.read('np', '1 hour', 1);
		 SELECT count(*) > 0 FROM pg_settings WHERE name LIKE 'pgmq\\_c.%'"),
	"0\nt", 'a fresh backend loads pgmq_c on first use');

# add the preload: the existing queue and its lease survive the restart
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgmq_c'");
$node->restart;
is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'pgmq_c', 'pgmq_c is preloaded after the restart');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM pgmq_c.read('np', '1 hour', 10)"),
	0, 'the lease taken before the restart still holds');
is( $node->safe_psql(
		'postgres',
		"SELECT message->>'n', read_ct FROM pgmq_c.set_vt('np', $ids[3], '0');
		 SELECT message->>'n', read_ct FROM pgmq_c.read('np', '1 hour', 10)"),
	"4|1\n4|2", 'the message is there and is delivered again after a nack');
is( $node->safe_psql(
		'postgres', "SELECT pgmq_c.delete('np', $ids[3], 2)"),
	't', 'delete after the restart');
is( $node->safe_psql(
		'postgres', "SELECT queue_length FROM pgmq_c.metrics('np')"),
	'0', 'the queue is empty');
is($node->safe_psql('postgres', "SELECT pgmq_c.drop_queue('np')"),
	't', 'drop_queue');

$node->stop;
done_testing();
