# 044_router_errors.pl: pgmq_c_router when a node answers with an error of
# its own while a read waits, and when a node refuses the connection.
#
# One cluster holds the router (database r) and its three nodes (databases
# n0, n1, n2), as the regression test router does; here other sessions act
# while a router call runs, and pg_hba.conf turns some roles away.
#   - A reader waits on node 0 (wait_slice 3 s); meanwhile the queue is
#     dropped on node 2 and a message arrives on node 0.  The reader gets
#     that message, with a WARNING for node 2's error, rather than an error
#     that would leave the message leased on node 0 until its lease ends.
#   - A role that pg_hba.conf rejects, or whose password is wrong, gets an
#     error with the node's SQLSTATE (28000, 28P01), not "no node can be
#     reached"; a role rejected by one node only gets what the other nodes
#     leased with a WARNING, else the error; a send in turn does not pass
#     over the node that refused.
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
$node->safe_psql('postgres', q{
CREATE ROLE hba_rejected LOGIN;
CREATE ROLE partial LOGIN;
CREATE ROLE pw_role LOGIN PASSWORD 'right';
});
$node->safe_psql('r', qq{
CREATE EXTENSION pgmq_c_router CASCADE;
CREATE SERVER pgmq_c_cluster FOREIGN DATA WRAPPER plproxy OPTIONS (modular_mapping '1',
	p0 'host=$host port=$port dbname=n0', p1 'host=$host port=$port dbname=n1',
	p2 'host=$host port=$port dbname=n2');
CREATE USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster;
CREATE USER MAPPING FOR hba_rejected SERVER pgmq_c_cluster OPTIONS (user 'hba_rejected');
CREATE USER MAPPING FOR partial SERVER pgmq_c_cluster OPTIONS (user 'partial');
CREATE USER MAPPING FOR pw_role SERVER pgmq_c_cluster OPTIONS (user 'pw_role', password 'wrong');
GRANT USAGE ON FOREIGN SERVER pgmq_c_cluster TO hba_rejected, partial, pw_role;
SELECT pgmq_c_router.create_queue('wq');
SELECT pgmq_c_router.create_queue('pq');
SELECT pgmq_c_router.grant_access(q, r, ARRAY['send', 'consume'])
  FROM unnest(ARRAY['wq', 'pq']) q, unnest(ARRAY['hba_rejected', 'partial', 'pw_role']) r;
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

# --- connections the nodes refuse
open(my $fh, '<', $node->data_dir . '/pg_hba.conf') or die $!;
my $hba = do { local $/; <$fh> };
close $fh;
open($fh, '>', $node->data_dir . '/pg_hba.conf') or die $!;
print $fh "local n0,n1,n2 hba_rejected reject\n"
  . "local n2 partial reject\n"
  . "local n0,n1,n2 pw_role scram-sha-256\n"
  . $hba;
close $fh;
$node->reload;

# (the sessions' turns: read_turn 2 starts a read at node 0, send_turn 0
# sends to node 1 first)
sub router_call
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('r', $sql,
		extra_params => [ '-U', $role, '-v', 'VERBOSITY=verbose' ]);
	return ($ret, $out, $err);
}

my ($ret, $out, $err) = router_call('hba_rejected',
	q{SELECT count(*) FROM pgmq_c_router.read('pq', '30 seconds', 10)});
like($err, qr/ERROR:  28000: a node of server pgmq_c_cluster refused the connection of role "hba_rejected"/,
	'a role pg_hba.conf rejects: 28000, not a node that is down');
like($err, qr/pg_hba\.conf rejects connection/, 'the node\'s words are in the detail');

($ret, $out, $err) = router_call('pw_role',
	q{SELECT pgmq_c_router.send('pq', '{}')});
like($err, qr/ERROR:  28P01: a node of server pgmq_c_cluster refused the connection of role "pw_role"/,
	'a wrong password: 28P01');

$node->safe_psql('n0', q{SELECT pgmq_c.send('pq', '{"on": 0}')});
($ret, $out, $err) = router_call('partial',
	q{SET pgmq_c_router.read_turn = '2'; SET client_min_messages = warning;
	  SELECT msg_id >> 48, message FROM pgmq_c_router.read('pq', '30 seconds', 10)});
is($out, qq{0|{"on": 0}}, 'a role one node rejects gets what the other nodes leased');
like($err, qr/WARNING:  01000: node 2 of server pgmq_c_cluster: .*pg_hba\.conf rejects connection/,
	'with a WARNING that names the node that refused');
($ret, $out, $err) = router_call('partial',
	q{SET pgmq_c_router.read_turn = '2';
	  SELECT count(*) FROM pgmq_c_router.read('pq', '30 seconds', 10)});
like($err, qr/ERROR:  28000: a node of server pgmq_c_cluster refused/,
	'and the error when nothing was leased');
($ret, $out, $err) = router_call('partial',
	q{SET pgmq_c_router.send_turn = '1';
	  SELECT pgmq_c_router.send('pq', '{"to": "node 2"}') >> 48});
like($err, qr/ERROR:  28000: a node of server pgmq_c_cluster refused/,
	'a send in turn does not pass over the node that refused');
is($node->safe_psql('n0', q{SELECT count(*) FROM pgmq_c.metrics_all() WHERE queue_length > 1}),
	'0', 'nor does it land on another node');

done_testing();
