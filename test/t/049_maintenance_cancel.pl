# 049_maintenance_cancel.pl: maintain_topics() stops at a cancel.
#
# Its work on each topic, and on the days of pgmq_c.dedup_ids, runs in a
# subtransaction that fails alone and reports the failure as a WARNING, so
# that one damaged topic does not stop the others.  That caught a cancel
# too (statement_timeout, pg_cancel_backend): the call ran on to its end
# and returned as if nothing had happened (review h48).  Here a session
# holds pgmq_c.dedup_ids_default, whose cleanup maintain_topics() waits
# for (up to 200 ms), and maintain_topics() runs with a statement_timeout
# of 50 ms: it fails with 57014.  Once nothing is in its way it runs.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('maintenance_cancel', conf => "pgmq_c.worker = off\n");
$node->safe_psql('postgres', q{SELECT pgmq_c.create_queue('mcq')});

my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
$holder->query_safe('LOCK TABLE pgmq_c.dedup_ids_default IN EXCLUSIVE MODE');

my ($rc, $out, $err) = $node->psql('postgres',
	q{SET statement_timeout = '50ms'; SELECT pgmq_c.maintain_topics();},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($rc, 0, 'maintain_topics() fails while its statement_timeout passes');
like($err, qr/ERROR:  57014: canceling statement due to statement timeout/,
	'with 57014, not a WARNING');
is($out, '', 'and returns nothing');

$holder->query_safe('COMMIT');
$holder->quit;
is($node->safe_psql('postgres', q{SELECT pgmq_c.maintain_topics() >= 0}),
	't', 'with nothing in its way it runs');

$node->stop;
done_testing();
