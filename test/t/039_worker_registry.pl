# 039_worker_registry.pl: a role with CREATEDB cannot leave a database that
# uses pgmq_c without its background worker by filling the registry of
# workers (64 entries in shared memory, one per database).
#
# The launcher gives every database that allows connections an entry when
# it scans pg_database.  A role with CREATEDB, and nothing else, makes more
# empty databases than there are entries; after a restart the launcher's
# scan gives them every entry left, and their workers find no pgmq_c and
# stop.  A database the superuser then makes and installs pgmq_c in still
# gets its worker: its first send takes an entry whose worker found no
# pgmq_c.  The worker of the database that had one already keeps running.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $entries = 64;				# PGMQC_MAX_DATABASES
my $fillers = $entries + 6;

my $node = pgmqc_node('registry', conf => 'max_worker_processes = 16');

sub sql { return $node->safe_psql($_[1] // 'postgres', $_[0]); }

sql(q{SELECT pgmq_c.create_queue('q')});
sql(q{SELECT pgmq_c.send('q', '{}')});
my $first_worker = worker_pid($node, 'postgres');
ok(defined $first_worker, 'database postgres has its worker');

sql('CREATE ROLE filler LOGIN CREATEDB');
$node->safe_psql(
	'postgres',
	join("\n",
		map { "CREATE DATABASE filler_$_ TEMPLATE template0;" } 1 .. $fillers),
	extra_params => [ '-U', 'filler' ]);
is(sql(q{SELECT count(*) FROM pg_database WHERE datname LIKE 'filler\_%'}),
	$fillers, "role filler made $fillers empty databases");

# the launcher scans pg_database when it starts: the fillers take every
# entry that database postgres does not have
$node->restart;
$first_worker = worker_pid($node, 'postgres');
ok(defined $first_worker, 'database postgres has its worker after the restart');

# their workers start (as worker processes come free), find no pgmq_c and
# stop: wait until the launcher has tried them all and none runs
ok( $node->poll_query_until(
		'postgres', q{
SELECT count(*) = 0 FROM pg_stat_activity
 WHERE backend_type = 'pgmq_c worker' AND datname LIKE 'filler\_%'}),
	'the fillers\' workers found no pgmq_c and stopped');

sql('CREATE DATABASE victim');
sql('CREATE EXTENSION pgmq_c', 'victim');
sql(q{SELECT pgmq_c.create_queue('v')}, 'victim');

# every send asks for the database's worker; some of the fillers' workers
# may still be waiting for a worker process to start, so ask until it runs
my $victim_worker;
for my $try (1 .. 60)
{
	sql(q{SELECT pgmq_c.send('v', '{}')}, 'victim');
	$victim_worker = sql(
		q{SELECT pid FROM pg_stat_activity
		   WHERE backend_type = 'pgmq_c worker' AND datname = 'victim'});
	last if $victim_worker ne '';
	sleep 1;
}
isnt($victim_worker, '',
	'database victim, made after the fillers, gets a worker');
ok( $node->poll_query_until(
		'victim', "SELECT worker_pid = $victim_worker FROM pgmq_c.status()"),
	'status() in database victim names it')
  if $victim_worker ne '';

is(worker_pid($node, 'postgres'), $first_worker,
	'the worker of database postgres kept its entry and runs on');

$node->stop;
done_testing();
