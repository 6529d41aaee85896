# 045_group_replay_snapshot.pl: a long-lived backend that reads a consumer
# group under REPEATABLE READ or SERIALIZABLE gets the messages a seek or a
# redrive puts back, as a READ COMMITTED reader does.
#
# A backend keeps, per group, a low watermark (claims start there) and the
# cursor as it last saw it (a fill is skipped while that is past the
# settled id).  Both were brought up to date only by the watermark's
# recomputation, which never ran under a transaction snapshot, so:
#
# 1. A backend that read the group in READ COMMITTED, then reads it in
#    REPEATABLE READ / SERIALIZABLE after a seek to an earlier msg_id, kept
#    its watermark past the messages replayed and never asked for a fill
#    (until a new message was sent, and then got only the messages above
#    its old watermark).
# 2. A backend that read the group only under the transaction snapshot
#    never asked for a fill after a seek by time: its cursor was still the
#    old one.
# 3. A group's dead letter redriven back below the backend's watermark was
#    never seen.
# 4. A transaction that began before a seek sees nothing of it (its
#    snapshot), and does not hold the backend back once it ends.
# 5. A seek to a time while more sends are open than the topic's slot
#    records went back to msg_id 1.
#
# Every message comes back once, and none twice while its lease holds.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('replay_snapshot');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# how long a reader is given to see what was put back (a READ COMMITTED
# reader sees it at its next read; a reader under a transaction snapshot
# at the read after the worker's fill, well under a second)
my $patience = 10;

# Read topic $t's group g in session $s, 5 at a time, acknowledging what
# it gets, until $want messages came or $patience seconds passed; then one
# more read, which must find nothing.  Returns the msg_ids got, sorted,
# joined by commas.
sub drain
{
	my ($s, $t, $want, %o) = @_;
	my @got;
	my $t0 = time;
	while (@got < $want && time - $t0 < $patience)
	{
		my $r = $s->query_safe(
			"SELECT string_agg(msg_id::text, ',' ORDER BY msg_id) "
			  . "FROM pgmq_c.read_group('$t', 'g', '30 s', 5)");
		if ($r eq '')
		{
			usleep(200_000);
			next;
		}
		push @got, split(/,/, $r);
		foreach my $id (split /,/, $r)
		{
			if (defined $o{nack} && $id == $o{nack})
			{
				$s->query_safe("SELECT pgmq_c.nack('$t', 'g', ${id}::bigint)");
			}
			else
			{
				$s->query_safe("SELECT pgmq_c.ack('$t', 'g', ${id}::bigint)");
			}
		}
	}
	# a last read finds nothing more (and, after a short pause, moves a
	# READ COMMITTED reader's watermark past what it acknowledged)
	usleep(100_000);
	my $more = $s->query_safe(
		"SELECT count(*) FROM pgmq_c.read_group('$t', 'g', '30 s', 5)");
	return join(',', sort { $a <=> $b } @got)
	  . ($more ne '0' ? " and $more more" : '');
}

# a topic $t with group g from the earliest message, and ten messages;
# returns their msg_ids joined by commas, and the time before the sends
sub topic_of_ten
{
	my ($t, $group_options) = @_;
	$group_options //= '';
	sql("SELECT pgmq_c.create_topic('$t')");
	sql("SELECT pgmq_c.create_group('$t', 'g', start_at => 'earliest'"
		  . "$group_options)");
	my $before = sql('SELECT clock_timestamp()');
	usleep(10_000);
	my $ids = sql(
		"SELECT string_agg(id::text, ',' ORDER BY id) FROM (SELECT "
		  . "pgmq_c.send('$t', jsonb_build_object('i', i)) AS id "
		  . "FROM generate_series(1, 10) i) s");
	return ($ids, $before);
}

foreach my $level ('repeatable read', 'serializable')
{
	my $tag = $level eq 'serializable' ? 'ser' : 'rr';

	#
	# 1. Read in READ COMMITTED, then seek back by msg_id, then read under
	#    the transaction snapshot.
	#
	my ($ids, $before) = topic_of_ten("seek_id_$tag");
	my @ids = split /,/, $ids;
	my $b = $node->background_psql('postgres');
	is(drain($b, "seek_id_$tag", 10), $ids,
		"$level, seek by msg_id: B read the ten messages in READ COMMITTED");
	is(sql("SELECT pgmq_c.seek('seek_id_$tag', 'g', $ids[0])"), $ids[0],
		"$level, seek by msg_id: the group is moved back to the first");
	$b->query_safe("SET default_transaction_isolation = '$level'");
	is(drain($b, "seek_id_$tag", 10), $ids,
		"$level, seek by msg_id: B gets all ten again, under the snapshot");
	is(sql("SELECT lag FROM pgmq_c.list_groups('seek_id_$tag')"), '0',
		"$level, seek by msg_id: the group has no lag left");

	#
	# 2. A backend that reads only under the transaction snapshot, and a
	#    seek back by time.
	#
	($ids, $before) = topic_of_ten("seek_time_$tag");
	@ids = split /,/, $ids;
	my $c = $node->background_psql('postgres');
	$c->query_safe("SET default_transaction_isolation = '$level'");
	is(drain($c, "seek_time_$tag", 10), $ids,
		"$level, seek by time: C read the ten messages under the snapshot");
	is(sql("SELECT pgmq_c.seek('seek_time_$tag', 'g', '$before'::timestamptz)"),
		$ids[0], "$level, seek by time: the group is moved back to the first");
	is(drain($c, "seek_time_$tag", 10), $ids,
		"$level, seek by time: C gets all ten again");

	#
	# 3. A dead letter of the group redriven back, read by a backend that
	#    read the group in READ COMMITTED before.
	#
	sql("SELECT pgmq_c.create_queue('dlq_$tag')");
	($ids, $before) = topic_of_ten("redrive_$tag",
		", max_deliveries => 1, dead_letter_queue => 'dlq_$tag'");
	@ids = split /,/, $ids;
	my $d = $node->background_psql('postgres');
	is(drain($d, "redrive_$tag", 10, nack => $ids[2]), $ids,
		"$level, redrive: D read the ten messages, and gave the third back");
	is(sql("SELECT queue_length FROM pgmq_c.metrics('dlq_$tag')"), '1',
		"$level, redrive: the third is a dead letter");
	$d->query_safe("SET default_transaction_isolation = '$level'");
	is(sql("SELECT pgmq_c.redrive('dlq_$tag')"), '1',
		"$level, redrive: the dead letter is given back to the group");
	is(drain($d, "redrive_$tag", 1), $ids[2],
		"$level, redrive: D gets it under the snapshot");

	#
	# 4. A transaction that began before a seek does not see what it puts
	#    back; the backend's next transactions do.
	#
	$d->query_safe("BEGIN");
	is($d->query_safe(
			"SELECT count(*) FROM pgmq_c.read_group('redrive_$tag', 'g', '30 s', 5)"),
		'0', "$level, open transaction: nothing to read");
	is(sql("SELECT pgmq_c.seek('redrive_$tag', 'g', $ids[5])"), $ids[5],
		"$level, open transaction: another session seeks back to the sixth");
	usleep(100_000);
	is($d->query_safe(
			"SELECT count(*) FROM pgmq_c.read_group('redrive_$tag', 'g', '30 s', 5)"),
		'0', "$level, open transaction: its snapshot shows nothing of the seek");
	$d->query_safe("COMMIT");
	is(drain($d, "redrive_$tag", 5), join(',', @ids[5 .. 9]),
		"$level, open transaction: after it, D gets the sixth to the tenth");

	$_->quit foreach ($b, $c, $d);
}

# the backends read past what was replayed: each message of seek_id_rr was
# delivered twice in all, once before the seek and once after
is(sql(q{SELECT count(*) FROM pgmq_c.read_group('seek_id_rr', 'g', '30 s', 100)}),
	'0', 'nothing is left to read in seek_id_rr');

# 5. A seek to a time with more open sends than a slot records (32): a
#    backend that never learnt what was settled (it may not tell which
#    transactions sent to the topic) moved the cursor to msg_id 1, and the
#    group got every message it had acknowledged again.  The seek goes no
#    lower than the group's cursor: no send below it can still be open.
sql(q{SELECT pgmq_c.create_topic('seek_open');
SELECT pgmq_c.create_group('seek_open', 'g', start_at => 'earliest');
SELECT count(*) FROM pgmq_c.send_batch('seek_open', array_fill('{"old": 1}'::jsonb, ARRAY[100]));
SELECT count(*) FROM pgmq_c.ack('seek_open', 'g',
  ARRAY(SELECT msg_id FROM pgmq_c.read_group('seek_open', 'g', '1 min', 1000)))});
is(sql(q{SELECT next_msg_id || '|' || lag FROM pgmq_c.list_groups('seek_open')}), '101|0',
	'seek_open: the group has read and acknowledged its 100 messages');
my @senders = map {
	start_psql($node, app => "open_sender_$_",
		sql => [ 'BEGIN', qq{SELECT pgmq_c.send('seek_open', '{"new": $_}')},
			'SELECT pg_sleep(60)', 'COMMIT' ])
} 1 .. 40;
ok( $node->poll_query_until('postgres', q{
SELECT count(*) = 40 FROM pg_stat_activity
 WHERE application_name LIKE 'open\_sender\_%' AND query LIKE '%pg_sleep%'}),
	'40 transactions that sent to seek_open stay open');
is(sql(q{SELECT pgmq_c.seek('seek_open', 'g', now())}), '101',
	'a new backend seeks to now(): msg_id 101, the first open send, not 1');
$node->safe_psql('postgres', q{SELECT pg_cancel_backend(pid)
  FROM pg_stat_activity WHERE application_name LIKE 'open\_sender\_%'});
finish_session($_) foreach @senders;
is(sql(q{SELECT count(*) FROM pgmq_c.read_group('seek_open', 'g', '1 min', 1000)}), '0',
	'the sends rolled back: the group gets nothing again');

$node->stop;
done_testing();
