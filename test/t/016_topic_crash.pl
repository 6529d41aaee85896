# 016_topic_crash.pl: a crash under load on a topic with two consumer groups
# loses no committed send and brings back no committed ack.
#
# Producers and consumers are PL/pgSQL procedures CALLed from psql processes
# (as in 015_topic_groups.pl).  Each logs what it did in the transaction that
# did it: a producer inserts the msg_ids that send/send_batch returned into
# sent_log before its COMMIT, a consumer inserts the msg_ids that ack
# accepted into acked_log before its COMMIT.  So after a crash the logs hold
# exactly what committed, and:
#   - the topic's log t_<id> holds exactly the msg_ids in sent_log;
#   - no msg_id in acked_log for a group is in the group's table g_<id>, and
#     none is delivered to that group again;
#   - everything sent and not acked is still delivered: draining each group
#     after the restart gets exactly sent_log minus acked_log.
# A transaction left open at the crash (a read, an ack and a send on a second
# topic) must be rolled back.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(usleep);

my @groups = ('ga', 'gb');

my $node = pgmqc_node(
	'topic_crash', conf => q{
synchronous_commit = on
max_connections = 40
});

$node->safe_psql(
	'postgres', q{
SELECT pgmq_c.create_topic('crashy');
SELECT pgmq_c.create_group('crashy', 'ga', 'earliest');
SELECT pgmq_c.create_group('crashy', 'gb', 'latest', '2 seconds');

CREATE TABLE sent_log (p int, i int, msg_id bigint);
CREATE TABLE acked_log (grp text, consumer int, msg_id bigint);
-- what the drain after the crash got
CREATE TABLE drained (grp text, msg_id bigint, read_ct int, p int, i int);

-- Send {"p": p, "i": 1, 2, ...} until the connection is lost, logging the
-- msg_ids in the transaction of the send (10,000 at full speed, then one
-- transaction every 10 ms):
--   1: one send() per transaction
--   5: five send() per transaction
--   10: one send_batch() of ten per transaction, with headers
CREATE PROCEDURE produce(a_topic text, a_p int, a_per_txn int)
LANGUAGE plpgsql AS $$
DECLARE
	i int := 1;
	j int;
BEGIN
	LOOP
		IF a_per_txn = 10 THEN
			INSERT INTO sent_log
			SELECT a_p, i - 1 + ord, x
			  FROM pgmq_c.send_batch(a_topic,
					ARRAY(SELECT jsonb_build_object('p', a_p, 'i', g)
							FROM generate_series(i, i + 9) g ORDER BY g),
					ARRAY(SELECT jsonb_build_object('p', a_p)
							FROM generate_series(i, i + 9) g))
				   WITH ORDINALITY AS b(x, ord);
		ELSE
			FOR j IN i .. i + a_per_txn - 1 LOOP
				INSERT INTO sent_log
				VALUES (a_p, j,
						pgmq_c.send(a_topic, jsonb_build_object('p', a_p, 'i', j)));
			END LOOP;
		END IF;
		COMMIT;
		i := i + a_per_txn;
		-- past 10,000 messages, slow down (the consumers are slower)
		IF i > 10000 THEN
			PERFORM pg_sleep(0.01);
		END IF;
	END LOOP;
END $$;

-- Consume until the connection is lost, leases of 2 seconds:
--   'same'  read_group, ack(msg_id) each and log the accepted acks, all in
--           one transaction
--   'split' read_group (or CALL receive_group with a_receive) and commit;
--           then ack(msg_ids[]) and log the accepted acks in a second one
CREATE PROCEDURE consume(a_topic text, a_group text, a_c int, a_mode text,
						 a_receive boolean)
LANGUAGE plpgsql AS $$
DECLARE
	msgs pgmq_c.message[];
	ids bigint[];
BEGIN
	LOOP
		IF a_mode = 'same' THEN
			INSERT INTO acked_log
			SELECT a_group, a_c, r.msg_id
			  FROM pgmq_c.read_group(a_topic, a_group, '2 seconds',
									 1 + floor(random() * 10)::int, '100 ms') r
			 WHERE pgmq_c.ack(a_topic, a_group, r.msg_id);
			COMMIT;
		ELSE
			IF a_receive THEN
				msgs := NULL;
				CALL pgmq_c.receive_group(a_topic, a_group, '2 seconds',
										  1 + floor(random() * 10)::int,
										  '100 ms', msgs);
				SELECT coalesce(array_agg(u.msg_id), '{}') INTO ids
				  FROM unnest(msgs) u;
			ELSE
				SELECT coalesce(array_agg(r.msg_id), '{}') INTO ids
				  FROM pgmq_c.read_group(a_topic, a_group, '2 seconds',
										 1 + floor(random() * 10)::int,
										 '100 ms') r;
			END IF;
			COMMIT;
			IF array_length(ids, 1) > 0 THEN
				INSERT INTO acked_log
				SELECT a_group, a_c, x FROM pgmq_c.ack(a_topic, a_group, ids) x;
				COMMIT;
			END IF;
		END IF;
	END LOOP;
END $$;

-- Read the group with 1-hour leases, logging and acking what comes, until
-- its lag is 0 (leases taken before the crash run out within 2 seconds), or
-- a minute has passed.
CREATE PROCEDURE drain(a_topic text, a_group text)
LANGUAGE plpgsql AS $$
DECLARE
	ids bigint[];
	deadline timestamptz := clock_timestamp() + interval '1 minute';
BEGIN
	LOOP
		WITH r AS (SELECT * FROM pgmq_c.read_group(a_topic, a_group, '1 hour',
												   500, '1 second')),
			 ins AS (INSERT INTO drained
					 SELECT a_group, msg_id, read_ct, (message->>'p')::int,
							(message->>'i')::int FROM r RETURNING msg_id)
		SELECT coalesce(array_agg(msg_id), '{}') INTO ids FROM ins;
		IF array_length(ids, 1) > 0 THEN
			PERFORM pgmq_c.ack(a_topic, a_group, ids);
		END IF;
		COMMIT;
		EXIT WHEN (SELECT lag = 0 FROM pgmq_c.list_groups(a_topic)
					WHERE group_name = a_group)
			   OR clock_timestamp() > deadline;
	END LOOP;
END $$;
});

sub start_call
{
	my ($name, $sql) = @_;
	return start_psql($node, name => $name, sql => [$sql]);
}

sub q1
{
	return $node->safe_psql('postgres', $_[0]);
}

# A second topic for the transaction left open at the crash: one message,
# which that transaction reads and acks, and sends another.
q1(q{
SELECT pgmq_c.create_topic('side');
SELECT pgmq_c.create_group('side', 'gs', 'earliest');
});
my $keep_id = q1(q{SELECT pgmq_c.send('side', '{"keep": 1}')});

my (@producers, @consumers);
foreach my $g (@groups)
{
	push @consumers,
	  start_call("$g consumer 1", "CALL consume('crashy', '$g', 1, 'same', false)");
	push @consumers,
	  start_call("$g consumer 2",
		"CALL consume('crashy', '$g', 2, 'split', " . ($g eq 'gb' ? 'true' : 'false') . ")");
}
my $p = 0;
foreach my $per_txn (1, 5, 10)
{
	$p++;
	push @producers,
	  start_call("producer $p", "CALL produce('crashy', $p, $per_txn)");
}

# Let the load run until every producer and consumer has committed some of
# its work.
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
while (1)
{
	last
	  if q1(q{
SELECT (SELECT count(DISTINCT p) FROM sent_log) = 3
   AND (SELECT count(*) FROM sent_log) >= 5000
   AND (SELECT count(DISTINCT (grp, consumer)) FROM acked_log) = 4
   AND (SELECT min(n) FROM (SELECT count(*) n FROM acked_log GROUP BY grp) c) >= 2000})
	  eq 't';
	if (time > $deadline)
	{
		$_->{h}->pump_nb foreach (@producers, @consumers);
		diag "$_->{name}: $_->{err}" foreach (@producers, @consumers);
		BAIL_OUT('the load made no progress');
	}
	usleep(100_000);
}
# Up to 5 messages of each group leased (committed) by this client and never
# acked: they must come back after the crash, once the lease has run out.
my %leased;
foreach my $g (@groups)
{
	# read_group may return fewer than asked for (or none) while another
	# reader is filling the group: ask again until there are some
	for (my $try = 0; $try < 100; $try++)
	{
		$leased{$g} = q1("SELECT string_agg(msg_id::text, ',' ORDER BY msg_id)
							FROM pgmq_c.read_group('crashy', '$g', '15 seconds', 5)");
		last if $leased{$g} ne '';
		usleep(10_000);
	}
	like($leased{$g}, qr/^\d+(,\d+)*$/, "$g: leased some messages before the crash");
}

my $running = grep { $_->{h}->pumpable } @producers, @consumers;
is($running, 7, 'all producers and consumers still running at the crash');

# The transaction left open: it claims and acks the kept message and sends
# another.
my $open = $node->background_psql('postgres');
$open->query_safe('BEGIN');
my $open_xid = $open->query_safe('SELECT pg_current_xact_id()');
is($open->query_safe(q{SELECT msg_id FROM pgmq_c.read_group('side', 'gs', '1 hour')}),
	$keep_id, 'the open transaction read the kept message');
is($open->query_safe("SELECT pgmq_c.ack('side', 'gs', $keep_id)"),
	't', 'the open transaction acked it');
$open->query_safe(q{SELECT pgmq_c.send('side', '{"open": 1}')});

$node->stop('immediate');
eval { $open->quit; };
$node->start;

end_clients(@producers, @consumers);
is(scalar(grep { $_->{h}->result != 0 } @producers, @consumers),
	7, 'every producer and consumer lost its connection in the crash');

is(q1("SELECT pg_xact_status('$open_xid')"),
	'aborted', 'the transaction open at the crash is aborted');
is( q1(q{SELECT msg_id || ' ' || read_ct || ' ' || message
		   FROM pgmq_c.read_group('side', 'gs', '1 hour', 10)}),
	qq($keep_id 1 {"keep": 1}),
	'its read and ack are undone and its send is gone');

my $topic_id =
  q1("SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name = 'crashy'");
my $log = "pgmq_c.t_$topic_id";
my %gid = map { $_ => q1("SELECT group_id FROM pgmq_c.groups
						   WHERE topic_id = $topic_id AND group_name = '$_'") }
  @groups;

my $sent = q1('SELECT count(*) FROM sent_log');
note "before the crash: $sent sends committed, acks committed per group: "
  . q1("SELECT string_agg(grp || ' ' || n, ', ' ORDER BY grp)
		  FROM (SELECT grp, count(*) n FROM acked_log GROUP BY grp) a");
is(q1('SELECT count(DISTINCT msg_id) FROM sent_log'),
	$sent, 'each committed send has its own msg_id');
is( q1(
		"SELECT count(*) FROM sent_log s
		  WHERE NOT EXISTS (SELECT 1 FROM $log t WHERE t.msg_id = s.msg_id)"),
	0,
	'every committed send is in the log');
is( q1(
		"SELECT count(*) FROM $log t
		  WHERE NOT EXISTS (SELECT 1 FROM sent_log s WHERE s.msg_id = t.msg_id)"),
	0,
	'nothing is in the log that was not committed');
is( q1(
		"SELECT count(*) FROM sent_log s JOIN $log t USING (msg_id)
		  WHERE t.message <> jsonb_build_object('p', s.p, 'i', s.i)
			 OR (s.p = 3) <> (t.headers IS NOT NULL)"),
	0,
	'payloads and headers intact');

foreach my $g (@groups)
{
	my $acked = q1("SELECT count(*) FROM acked_log WHERE grp = '$g'");
	cmp_ok($acked, '>', 0, "$g: acks committed before the crash");
	is(q1("SELECT count(DISTINCT msg_id) FROM acked_log WHERE grp = '$g'"),
		$acked, "$g: no message acked twice");
	is( q1(
			"SELECT count(*) FROM acked_log a
			  WHERE grp = '$g'
				AND NOT EXISTS (SELECT 1 FROM sent_log s WHERE s.msg_id = a.msg_id)"),
		0,
		"$g: only committed sends were acked");
	is( q1(
			"SELECT count(*) FROM acked_log a JOIN pgmq_c.g_$gid{$g} h USING (msg_id)
			  WHERE a.grp = '$g'"),
		0,
		"$g: no acked message is back in the group's table g_$gid{$g}");
	is( q1(
			"SELECT lag || ' ' || lag_is_exact FROM pgmq_c.list_groups('crashy')
			  WHERE group_name = '$g'"),
		($sent - $acked) . ' true',
		"$g: after the restart, lag is what was sent and not acked");
}

# Drain both groups at once: what is not acked must still come.
finish_all(map { start_call("drain $_", "CALL drain('crashy', '$_')") } @groups);

foreach my $g (@groups)
{
	note "$g: drained " . q1("SELECT count(*) FROM drained WHERE grp = '$g'");
	is( q1(
			"SELECT count(*) FROM drained d JOIN acked_log a USING (grp, msg_id)
			  WHERE d.grp = '$g'"),
		0,
		"$g: no acked message delivered again after the restart");
	is( q1(
			"SELECT count(*) FROM (SELECT msg_id FROM drained WHERE grp = '$g'
									GROUP BY msg_id HAVING count(*) > 1) d"),
		0,
		"$g: the drain got each message once");
	is( q1(
			"SELECT count(*) FROM (
			   (SELECT msg_id FROM sent_log
				EXCEPT
				SELECT msg_id FROM acked_log WHERE grp = '$g'
				EXCEPT
				SELECT msg_id FROM drained WHERE grp = '$g')
			   UNION ALL
			   (SELECT msg_id FROM drained WHERE grp = '$g'
				EXCEPT
				SELECT msg_id FROM sent_log)) d"),
		0,
		"$g: acked before the crash + drained after it = every committed send");
	is( q1(
			"SELECT count(*) FROM drained d JOIN sent_log s USING (msg_id)
			  WHERE d.grp = '$g' AND (d.p, d.i) IS DISTINCT FROM (s.p, s.i)"),
		0,
		"$g: drained payloads as sent");
	is( q1(
			"SELECT lag || ' ' || in_flight FROM pgmq_c.list_groups('crashy')
			  WHERE group_name = '$g'"),
		'0 0',
		"$g: lag 0 and nothing in flight after the drain");
	is(q1("SELECT count(*) FROM pgmq_c.g_$gid{$g}"),
		0, "$g: its table g_$gid{$g} is empty");
}
foreach my $g (@groups)
{
	is( q1(
			"SELECT string_agg(msg_id::text, ',' ORDER BY msg_id) FROM drained
			  WHERE grp = '$g' AND msg_id IN ($leased{$g}) AND read_ct >= 2"),
		$leased{$g},
		"$g: the messages leased before the crash came back with read_ct >= 2");
}
note 'drained with read_ct > 1: '
  . q1(q{SELECT count(*) FROM drained WHERE read_ct > 1});

# The topic works after the recovery: a new message reaches both groups.
my $new_id = q1(q{SELECT pgmq_c.send('crashy', '{"after": 1}')});
foreach my $g (@groups)
{
	is( q1(
			"SELECT msg_id || ' ' || read_ct
			   FROM pgmq_c.read_group('crashy', '$g', '1 hour', 10, '5 seconds')"),
		"$new_id 1",
		"$g: a message sent after the restart is delivered");
}

$node->stop;
done_testing();
