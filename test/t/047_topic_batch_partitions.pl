# 047_topic_batch_partitions.pl: several senders of large batches at once
# to a topic with small partitions (review h42).
#
# A send checks before it draws its msg_ids that the log's partitions reach
# one batch past the last msg_id drawn, which allows for one batch drawn
# meanwhile by another sender.  Four senders of 10,000 messages at once
# draw up to 40,000 between one check and their inserts; on a topic of
# 1,000 msg_ids per partition every batch then failed with "no partition
# of relation ... found for row" (23514).  A batch now draws its msg_ids
# first and makes sure their partitions exist before the insert.
#
# With the background worker (which makes the partitions when asked), and
# without it (each sender makes them in its own transaction).
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('batch_partitions');

my $senders = 4;
my $batches = 3;
my $size = 10_000;

# $senders clients, each sending $batches batches of $size messages to
# $topic, one transaction each; then the messages are counted
sub send_at_once
{
	my ($topic, $what) = @_;
	$node->safe_psql('postgres',
		qq{SELECT pgmq_c.create_topic('$topic', retention => '1 hour', partition_size => 1000);
		   SELECT pgmq_c.create_group('$topic', 'g', 'earliest');});
	my @clients;
	foreach my $s (1 .. $senders)
	{
		push @clients, start_psql(
			$node,
			name => "$what sender $s",
			sql => [
				qq{DO \$\$
BEGIN
	FOR b IN 1 .. $batches LOOP
		PERFORM pgmq_c.send_batch('$topic',
			ARRAY(SELECT jsonb_build_object('s', $s, 'b', b, 'i', i)
					FROM generate_series(1, $size) i));
		COMMIT;
	END LOOP;
END \$\$}
			]);
	}
	ok(finish_all(@clients), "$what: every batch was sent");
	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*), count(DISTINCT msg_id),
       count(DISTINCT (message->>'s', message->>'b', message->>'i'))
  FROM pgmq_c.read_group('$topic', 'g', '1 hour', 10000)}),
		'10000|10000|10000',
		"$what: the group reads the first 10,000, each once");
	my $total = $senders * $batches * $size;
	is( $node->safe_psql(
			'postgres', qq{
SET pgmq_c.metrics_exact_limit = 10000000;
SELECT lag, lag_is_exact FROM pgmq_c.list_groups('$topic') WHERE group_name = 'g'}),
		"$total|t",
		"$what: the group has all $total messages to acknowledge");
	my $id = $node->safe_psql('postgres',
		qq{SELECT queue_id FROM pgmq_c.queues WHERE queue_name = '$topic'});
	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*), count(DISTINCT (message->>'s', message->>'b', message->>'i'))
  FROM pgmq_c.t_$id}),
		"$total|$total",
		"$what: the log holds each message once");
}

send_at_once('tb_worker', 'with the worker');

# without the worker: senders make the partitions themselves
$node->safe_psql('postgres',
	q{ALTER SYSTEM SET pgmq_c.worker = off; SELECT pg_reload_conf();});
$node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker'})
  or die 'the workers did not stop';
send_at_once('tb_no_worker', 'without the worker');

$node->stop;
done_testing();
