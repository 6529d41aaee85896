# 005_standby.pl: a streaming hot standby has every queue and message; on the
# standby, functions that write refuse with SQLSTATE 25006 while metrics,
# list_queues and read_archive work; after promotion the new primary serves
# the queue with nothing lost and leases held.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $primary = pgmqc_node('primary', init => { allows_streaming => 1 });
$primary->safe_psql('postgres', "SELECT pgmq_c.create_queue('ha')");
$primary->safe_psql('postgres',
	"SELECT count(*) FROM pgmq_c.send_batch('ha', array_fill('{\"x\": 1}'::jsonb, ARRAY[100]))");

my $standby = pgmqc_standby($primary, 'standby');

# more traffic after the backup: it must arrive by streaming
$primary->safe_psql('postgres',
	"SELECT count(*) FROM pgmq_c.send_batch('ha', array_fill('{\"x\": 2}'::jsonb, ARRAY[50]))");
$primary->safe_psql('postgres', "SELECT count(*) FROM pgmq_c.read('ha', '1 hour', 30)");
$primary->safe_psql('postgres', "SELECT pgmq_c.archive('ha', ARRAY[1, 2, 3]::bigint[])");
$primary->safe_psql('postgres', "SELECT pgmq_c.send('ha', '{\"later\": 1}', NULL, '1 hour')");
$primary->wait_for_catchup($standby);

is( $standby->safe_psql(
		'postgres',
		'SELECT queue_length, in_flight_length, delayed_length, archived_length FROM pgmq_c.metrics(\'ha\')'),
	'148|27|1|3',
	'metrics on the standby: 147 live + 1 delayed, 27 leased, 3 archived');
is($standby->safe_psql('postgres', 'SELECT queue_name FROM pgmq_c.list_queues()'),
	'ha', 'list_queues on the standby');
is($standby->safe_psql('postgres', "SELECT count(*) FROM pgmq_c.read_archive('ha')"),
	'3', 'read_archive on the standby');

foreach my $call (
	"SELECT * FROM pgmq_c.read('ha')",
	"SELECT * FROM pgmq_c.pop('ha')",
	"SELECT pgmq_c.send('ha', '{}')",
	"SELECT pgmq_c.delete('ha', 10)",
	"SELECT pgmq_c.archive('ha', 10)",
	"SELECT * FROM pgmq_c.set_vt('ha', 10, '0')",
	"SELECT pgmq_c.purge_queue('ha')",
	"SELECT pgmq_c.create_queue('other')",
	"SELECT pgmq_c.drop_queue('ha')")
{
	my ($ret, $stdout, $stderr) = $standby->psql('postgres',
		"\\set VERBOSITY sqlstate\n$call");
	like($stderr, qr/ERROR:  25006/, "refused on the standby with 25006: $call");
}

# promotion: the new primary serves the queue
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'standby did not leave recovery';

is( $standby->safe_psql(
		'postgres', "SELECT count(*) FROM pgmq_c.read('ha', '1 hour', 10000)"),
	'120', 'after promotion, read returns every visible message (147 - 27 leased)');
is( $standby->safe_psql(
		'postgres', "SELECT count(*) FROM pgmq_c.read('ha', '1 hour', 10000)"),
	'0', 'leases taken before the failover still hold');
my $id = $standby->safe_psql('postgres', "SELECT pgmq_c.send('ha', '{\"after\": \"promotion\"}')");
ok($id > 151, 'send after promotion continues the msg_id sequence');
is($standby->safe_psql('postgres', "SELECT pgmq_c.delete('ha', $id, 0)"),
	't', 'delete after promotion');

$standby->stop;
$primary->stop;
done_testing();
