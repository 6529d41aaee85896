# 050_maintenance_locks.pl: the worker's maintenance of many topics does not
# fill the cluster's lock table.
#
# Maintenance holds the locks of every topic it has done until its
# transaction ends, some fifteen per topic.  The worker did every topic of
# a database in one transaction: 150 topics filled the lock table of a
# cluster with max_connections 30, and other sessions of every database
# failed with "out of shared memory" meanwhile (review h48); here, before
# the fix, the session making the topics did.  It now commits every 8
# topics.  Here: a lock table of about 2,000 entries
# (max_locks_per_transaction 64), 250 topics made one per transaction, their
# msg_ids moved on five partitions; the worker's maintenance makes their
# partitions ahead with no "out of shared memory" in the log.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('maintenance_locks',
	conf => "max_connections = 20\nmax_locks_per_transaction = 64\n");
$node->safe_psql(
	'postgres', q{
DO $$
BEGIN
	FOR g IN 1 .. 250 LOOP
		PERFORM pgmq_c.create_topic('ml_' || g, partition_size => 1000);
		COMMIT;
	END LOOP;
END $$;});
is($node->safe_psql('postgres', q{SELECT count(*) FROM pgmq_c.list_topics()}),
	'250', '250 topics');

# every topic's msg_ids moved on to partition 5, as a sender's burst
# would: the worker's next round (every 5 seconds) makes partitions 2 to 6
# of each, some 1,250 tables with their indexes, each holding its locks
# until its transaction ends
$node->safe_psql('postgres',
	q{SELECT count(setval(format('pgmq_c.t_%s_seq', topic_id)::regclass, 5500)) FROM pgmq_c.list_topics()});
ok( $node->poll_query_until(
		'postgres', q{
SELECT count(*) = 250 FROM pgmq_c.list_topics() t
 WHERE (SELECT count(*) FROM pg_inherits i
         WHERE i.inhparent = format('pgmq_c.t_%s', t.topic_id)::regclass) >= 7}),
	'the worker made the partitions ahead of all 250 topics');
my $log = slurp_file($node->logfile);
unlike($log, qr/out of shared memory/, 'nothing ran out of shared memory');
unlike($log, qr/maintenance of topic .* failed/, 'no topic\'s maintenance failed');

$node->stop;
done_testing();
