# 004_no_preload.pl: pgmq_c works without shared_preload_libraries (the
# library is then loaded on first use), and a queue created that way keeps
# its messages when the preload is added later.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('no_preload', preload => 0);

sub sql { return $node->safe_psql('postgres', $_[0]); }

is(sql('SHOW shared_preload_libraries'),
	'', 'pgmq_c is not preloaded');

sql("SELECT pgmq_c.create_queue('np')");

my $ids = sql(q{
SELECT pgmq_c.send('np', '{"n": 1}');
SELECT pgmq_c.send('np', '{"n": 2}', '{"h": true}');
SELECT * FROM pgmq_c.send_batch('np', ARRAY['{"n": 3}', '{"n": 4}']::jsonb[]);
});
my @ids = split /\n/, $ids;
is(scalar(@ids), 4, 'send and send_batch return 4 msg_ids');
ok($ids[0] < $ids[1] && $ids[1] < $ids[2] && $ids[2] < $ids[3],
	'msg_ids increase in send order');

is(sql("SELECT msg_id, read_ct, message->>'n', headers FROM pgmq_c.read('np', '1 hour', 2)"),
	"$ids[0]|1|1|\n$ids[1]|1|2|{\"h\": true}",
	'read returns the two oldest messages, leased, with headers');

is(sql("SELECT message->>'n' FROM pgmq_c.read('np', '1 hour', 10)"),
	"3\n4", 'a second read skips the leased messages');

is(sql("SELECT pgmq_c.delete('np', $ids[0], 1)"),
	't', 'delete with the receipt');
is(sql("SELECT pgmq_c.delete('np', $ids[0], 1)"),
	'f', 'a second delete finds nothing');
is(sql("SELECT pgmq_c.archive('np', $ids[1], 1)"),
	't', 'archive with the receipt');
is(sql("SELECT msg_id, read_ct, message->>'n' FROM pgmq_c.read_archive('np')"),
	"$ids[1]|1|2", 'the archived message is in the archive');

is(sql("SELECT message->>'n' FROM pgmq_c.pop('np', 1)"),
	'', 'pop finds nothing while everything is leased');
is(sql("SELECT read_ct FROM pgmq_c.set_vt('np', $ids[2], '0', 1)"),
	'1', 'set_vt with the receipt releases a lease');
is(sql("SELECT message->>'n', read_ct FROM pgmq_c.pop('np', 1)"),
	'3|2', 'pop returns the released message');
is(sql("SELECT queue_length, visible_length, in_flight_length, archived_length
		   FROM pgmq_c.metrics('np')"),
	'1|0|1|1', 'metrics: one message left, leased; one archived');

# the library really is loaded on demand in a fresh backend
is(sql("SELECT count(*) FROM pgmq_c.read('np', '1 hour', 1);
		 SELECT count(*) > 0 FROM pg_settings WHERE name LIKE 'pgmq\\_c.%'"),
	"0\nt", 'a fresh backend loads pgmq_c on first use');

# add the preload: the existing queue and its lease survive the restart
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgmq_c'");
$node->restart;
is(sql('SHOW shared_preload_libraries'),
	'pgmq_c', 'pgmq_c is preloaded after the restart');
is(sql("SELECT count(*) FROM pgmq_c.read('np', '1 hour', 10)"),
	0, 'the lease taken before the restart still holds');
is(sql("SELECT message->>'n', read_ct FROM pgmq_c.set_vt('np', $ids[3], '0');
		 SELECT message->>'n', read_ct FROM pgmq_c.read('np', '1 hour', 10)"),
	"4|1\n4|2", 'the message is there and is delivered again after a nack');
is(sql("SELECT pgmq_c.delete('np', $ids[3], 2)"),
	't', 'delete after the restart');
is(sql("SELECT queue_length FROM pgmq_c.metrics('np')"),
	'0', 'the queue is empty');
is(sql("SELECT pgmq_c.drop_queue('np')"),
	't', 'drop_queue');

$node->stop;
done_testing();
