# 048_standby_durability_switch.pl: a call on a standby that found a queue
# or topic logged, then waited for its tables while the primary's switch to
# unlogged (alter_queue(..., durability => 'unlogged')) was being replayed.
#
# The replay holds the switch's ACCESS EXCLUSIVE locks from the moment the
# primary took them to its commit.  A call that looked the queue up before
# then waited for those locks, and afterwards read tables that are now
# unlogged, which a standby does not have: metrics_all() failed with 58P01
# (their files missing) or with PostgreSQL's "cannot access temporary or
# unlogged relations during recovery", and metrics() of the queue too
# (review h44).  Here, with the primary's switch held open until the
# standby's call waits:
#   - metrics_all() leaves the switched queue and topic out and reports the
#     others;
#   - metrics() of the switched queue fails with pgmq_c's own 0A000 naming
#     it.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $primary = pgmqc_node('switch_primary', init => { allows_streaming => 1 });
$primary->safe_psql(
	'postgres', q{
SELECT pgmq_c.create_queue(q) FROM unnest('{flip,flip2,steady}'::text[]) q;
SELECT pgmq_c.create_topic('tflip');
SELECT pgmq_c.create_group('tflip', 'g', 'earliest');
SELECT pgmq_c.send(q, '{}') FROM unnest('{flip,flip2,steady,tflip}'::text[]) q;});
my $standby = pgmqc_standby($primary, 'switch_standby');
$primary->wait_for_catchup($standby);

is( $standby->safe_psql('postgres',
		q{SELECT string_agg(queue_name, ',' ORDER BY queue_name) FROM pgmq_c.metrics_all()}),
	'flip,flip2,steady,tflip',
	'the standby reports every queue and topic while they are logged');

# $call on the standby, started while the primary holds $switch open; the
# primary commits once the call waits for a lock.  Returns its stdout and
# stderr.
sub during_switch
{
	my ($switch, $call) = @_;
	my $b = $primary->background_psql('postgres');
	$b->query_safe('BEGIN');
	$b->query_safe($switch);
	$primary->wait_for_catchup($standby);
	my $s = start_psql($standby, name => 'call', sql => [$call]);
	ok( $standby->poll_query_until(
			'postgres', q{SELECT count(*) > 0 FROM pg_locks WHERE NOT granted}),
		'the standby\'s call waits for the replayed switch\'s lock');
	$b->query_safe('COMMIT');
	$b->quit;
	finish_session($s);
	return ($s->{out}, $s->{err});
}

my ($out, $err) = during_switch(
	q{SELECT pgmq_c.alter_queue('flip', durability => 'unlogged');
	  SELECT pgmq_c.alter_queue('tflip', durability => 'unlogged')},
	q{SELECT string_agg(queue_name, ',' ORDER BY queue_name) FROM pgmq_c.metrics_all()});
is($err, '', 'metrics_all() did not fail');
is($out, 'flip2,steady', 'it left out the queue and the topic made unlogged meanwhile');

($out, $err) = during_switch(
	q{SELECT pgmq_c.alter_queue('flip2', durability => 'unlogged')},
	q{SELECT queue_length FROM pgmq_c.metrics('flip2')});
like($err, qr/queue "flip2" is unlogged/,
	'metrics() of a queue made unlogged meanwhile is refused, naming it');
is($out, '', 'and returns nothing');

is( $standby->safe_psql('postgres',
		q{SELECT string_agg(queue_name || ':' || queue_length, ',' ORDER BY queue_name)
		    FROM pgmq_c.metrics_all()}),
	'steady:1', 'afterwards the standby reports the logged queue alone');

$standby->stop;
$primary->stop;
done_testing();
