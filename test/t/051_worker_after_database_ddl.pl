# 051_worker_after_database_ddl.pl: a database's worker comes back after a
# statement that stopped it and did not drop the database.
#
# DROP DATABASE, ALTER DATABASE ... RENAME and CREATE DATABASE ... TEMPLATE
# need the database without other sessions, so pgmq_c stops its worker
# first.  Before, only a pgmq_c call in that database asked for the worker
# again: a DROP DATABASE that failed (another session was connected), a
# rename or a copy left the database without its notifications and
# time-driven work (review h49).  Here each of the three, and the worker
# runs again afterwards without any call in the database.  Also: an
# extension owner that may log in but not connect to its database.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('worker_db_ddl', extension => 0);
$node->safe_psql('postgres', 'CREATE DATABASE a1');
$node->safe_psql('a1', q{CREATE EXTENSION pgmq_c; SELECT pgmq_c.create_queue('q1')});
my $pid = worker_pid($node, 'a1');
ok(defined $pid, 'a1 has its worker');

# a session of a1 keeps DROP DATABASE from going through
my $s = $node->background_psql('a1');
$s->query_safe('SELECT 1');
my ($rc, $out, $err) = $node->psql('postgres', 'DROP DATABASE a1');
like($err, qr/is being accessed by other users/, 'DROP DATABASE a1 fails: a session is connected');
$s->quit;
my $pid2 = worker_pid($node, 'a1', $pid);
ok(defined $pid2, 'a1 has a worker again after the failed drop, with no call there');

# a rename goes through; the worker comes back under the new name
$node->safe_psql('postgres', 'ALTER DATABASE a1 RENAME TO a2');
my $pid3 = worker_pid($node, 'a2', $pid2);
ok(defined $pid3, 'a2 (renamed) has a worker again');

# a copy of it as a template goes through; its worker comes back
$node->safe_psql('postgres', 'CREATE DATABASE a3 TEMPLATE a2');
my $pid4 = worker_pid($node, 'a2', $pid3);
ok(defined $pid4, 'a2 has a worker again after serving as a template');

# a drop that goes through leaves no worker behind
$node->safe_psql('postgres', 'DROP DATABASE a3');
$node->safe_psql('postgres', 'DROP DATABASE a2');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker'}),
	'0', 'the dropped databases have no worker');

# An extension owner that may log in but may not connect to its database
# (no CONNECT, no superuser): the worker works there as the bootstrap
# superuser's session, acting as the owner.  Before, it went back and
# forth each second between that session and the owner's refused login,
# and never worked: here, a delayed message's notification never came.
$node->safe_psql('postgres', q{CREATE ROLE alice LOGIN SUPERUSER; CREATE DATABASE k1});
$node->safe_psql('k1', q{
SET ROLE alice;
CREATE EXTENSION pgmq_c;
SELECT pgmq_c.create_queue('n1');
SELECT pgmq_c.enable_notify('n1');});
my $kpid = worker_pid($node, 'k1');
ok(defined $kpid, 'k1 has its worker');
$node->safe_psql('postgres', q{
ALTER ROLE alice NOSUPERUSER;
REVOKE CONNECT ON DATABASE k1 FROM PUBLIC;});
$node->safe_psql('postgres', qq{SELECT pg_terminate_backend($kpid)});
my $listener = start_listener($node, 'k1');
$node->safe_psql('k1', q{SELECT pgmq_c.send('n1', '{}', delay => '1 second')});
my @notes;
is(scalar(collect_notes($listener, \@notes, 30, 1, 'n1')), 1,
	'the message that matured was notified: the worker works');
my $user = $node->safe_psql('postgres',
	q{SELECT usename FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker' AND datname = 'k1'});
isnt($user, 'alice', "the worker is the bootstrap superuser's session ($user)");
$listener->quit;

$node->stop;
done_testing();
