# 044_router_errors.pl: pgmq_c_router when a node answers with an error of
# its own while a read waits.
#
# One cluster holds the router (database r) and its three nodes (databases
# n0, n1, n2), as the regression test router does; here other sessions act
# while a router call runs.
#   - A reader waits on node 0 (wait_slice 3 s); meanwhile the queue is
#     dropped on node 2 and a message arrives on node 0.  The reader gets
#     that message, with a WARNING for node 2's error, rather than an error
#     that would leave the message leased on node 0 until its lease ends.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('main', extension => 0);
my $host = $node->host;
my $port = $node->port;

$node->safe_psql('postgres', "CREATE DATABASE $_") foreach qw(r n0 n1 n2);
$node->safe_psql($_, 'CREATE EXTENSION pgmq_c') foreach qw(n0 n1 n2);
$node->safe_psql('r', qq{
CREATE EXTENSION pgmq_c_router CASCADE;
CREATE SERVER pgmq_c_cluster FOREIGN DATA WRAPPER plproxy OPTIONS (modular_mapping '1',
	p0 'host=$host port=$port dbname=n0', p1 'host=$host port=$port dbname=n1',
	p2 'host=$host port=$port dbname=n2');
CREATE USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster;
SELECT pgmq_c_router.create_queue('wq');
});

# --- an error of a node's own during the wait, after another node leased
# The reader's turn makes its first pass start at node 2 and its wait start
# on node 0 (read_turn 1: the call's turn is 2, the wait starts at the next).
my $reader = start_psql($node, db => 'r', name => 'reader',
	options => '-c pgmq_c_router.read_turn=1 -c pgmq_c_router.wait_slice=3s -c client_min_messages=warning',
	sql => [q{SELECT msg_id >> 48, message FROM pgmq_c_router.read('wq', '60 seconds', 10, '5 seconds')}]);
$node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE datname = 'n0' AND state = 'active' AND wait_event_type = 'Extension'})
  or die 'the reader does not wait on node 0';
$node->safe_psql('n2', q{SELECT pgmq_c.drop_queue('wq')});
$node->safe_psql('n0', q{SELECT pgmq_c.send('wq', '{"kept": true}')});
is(finish_session($reader), qq{0|{"kept": true}},
	'a node\'s own error in the wait loop: the reader gets what node 0 leased');
like($reader->{err}, qr/WARNING:  node 2 of server pgmq_c_cluster: .*queue "wq" does not exist/,
	'and a WARNING names node 2 and its error');
is($node->safe_psql('n0', q{SELECT in_flight_length FROM pgmq_c.metrics('wq')}),
	'1', 'the message is leased to that reader');

done_testing();
