# 015_topic_groups.pl: one topic, 3 consumer groups of 3 consumers each,
# 100,000 messages sent by 4 producers at once.
#
# Producers and consumers are PL/pgSQL procedures created below, each CALLed
# from its own psql process, all thirteen running at once (as in
# 001_concurrency.pl).  Consumers log every delivery (group, msg_id, read_ct,
# payload) in the transaction of the read and ack it in a later one, logging
# whether the ack was accepted.  With a lease of 5 minutes nothing expires,
# so every group must get every message exactly once, and each message is
# stored once in the topic's log whatever the number of groups.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(time);

my $nprod = 4;
my $per_producer = 25000;
my $total = $nprod * $per_producer;
my @groups = ('g_one', 'g_two', 'g_three');
my $ncons = 3;    # per group

my $node = pgmqc_node('topic_groups', conf => 'max_connections = 40');

# The groups exist before anything is sent; g_three gets its lease from the
# group's default.
$node->safe_psql(
	'postgres', q{
SELECT pgmq_c.create_topic('events');
SELECT pgmq_c.create_group('events', 'g_one', 'earliest');
SELECT pgmq_c.create_group('events', 'g_two', 'earliest', '30 seconds');
SELECT pgmq_c.create_group('events', 'g_three', 'earliest', '5 minutes');
});

$node->safe_psql(
	'postgres', q{
CREATE TABLE producer_done (p int PRIMARY KEY);
-- a row here (a producer failed) makes the consumers give up
CREATE TABLE give_up (why text);

-- one row per delivery a consumer received
CREATE TABLE deliveries (grp text, consumer int, msg_id bigint, read_ct int,
						 p int, i int, h int);

-- one row per ack attempt and whether it was accepted; kind 'again' is a
-- second ack of a message already acked, in a later transaction
CREATE TABLE acks (grp text, consumer int, kind text, msg_id bigint,
				   p int, i int, ok boolean);

-- the ids send/send_batch returned, in the transaction of the send
CREATE TABLE sent (p int, i int, msg_id bigint);

-- send n messages {"p": p, "i": 1..n}, per_txn per transaction:
--   'send'  one send() each
--   'batch' one send_batch() per transaction, with headers {"h": i % 3}
--   'mixed' the first half of the transaction's messages with send(), one at
--           a time (every third with a header), the rest in one send_batch()
CREATE PROCEDURE produce(a_topic text, a_p int, a_n int, a_per_txn int,
						 a_mode text)
LANGUAGE plpgsql AS $$
DECLARE
	first int := 1;
	last int;
	half int;
	j int;
	id bigint;
BEGIN
	WHILE first <= a_n LOOP
		last := least(first + a_per_txn - 1, a_n);
		IF a_mode = 'send' THEN
			FOR j IN first .. last LOOP
				id := pgmq_c.send(a_topic, jsonb_build_object('p', a_p, 'i', j));
				INSERT INTO sent VALUES (a_p, j, id);
			END LOOP;
		ELSIF a_mode = 'batch' THEN
			INSERT INTO sent
			SELECT a_p, first - 1 + ord, x
			  FROM pgmq_c.send_batch(a_topic,
					ARRAY(SELECT jsonb_build_object('p', a_p, 'i', g)
							FROM generate_series(first, last) g ORDER BY g),
					ARRAY(SELECT jsonb_build_object('h', g % 3)
							FROM generate_series(first, last) g ORDER BY g))
				   WITH ORDINALITY AS b(x, ord);
		ELSE
			half := first + (last - first) / 2;
			FOR j IN first .. half LOOP
				IF j % 3 = 0 THEN
					id := pgmq_c.send(a_topic, jsonb_build_object('p', a_p, 'i', j),
									  jsonb_build_object('h', 0));
				ELSE
					id := pgmq_c.send(a_topic, jsonb_build_object('p', a_p, 'i', j));
				END IF;
				INSERT INTO sent VALUES (a_p, j, id);
			END LOOP;
			IF half < last THEN
				INSERT INTO sent
				SELECT a_p, half + ord, x
				  FROM pgmq_c.send_batch(a_topic,
						ARRAY(SELECT jsonb_build_object('p', a_p, 'i', g)
								FROM generate_series(half + 1, last) g ORDER BY g))
					   WITH ORDINALITY AS b(x, ord);
			END IF;
		END IF;
		COMMIT;
		first := last + 1;
	END LOOP;
	INSERT INTO producer_done VALUES (a_p);
	COMMIT;
END $$;

-- Read up to 1..a_max_qty messages (a random number each time) for the
-- group with lease a_vt (NULL: the group's default) and a short wait, log
-- them and commit; then ack them in a second transaction:
--   'single' one ack(msg_id) each
--   'array'  one ack(msg_ids[]) for the batch
--   'mixed'  alternately
-- Every message whose i is a multiple of 97 is acked once more, in the next
-- ack transaction (kind 'again'), which must be refused.  With a_receive the
-- read is CALL receive_group instead of read_group.  Stops when every
-- producer is done and the group's lag is 0.
CREATE PROCEDURE consume(a_topic text, a_group text, a_c int, a_producers int,
						 a_max_qty int, a_vt interval, a_kind text,
						 a_receive boolean)
LANGUAGE plpgsql AS $$
DECLARE
	m record;
	msgs pgmq_c.message[];
	ids bigint[];
	cts int[];
	ps int[];
	iss int[];
	hs int[];
	done_ids bigint[];
	again_ids bigint[] := '{}';
	again_ps int[] := '{}';
	again_is int[] := '{}';
	next_again_ids bigint[];
	next_again_ps int[];
	next_again_is int[];
	n int;
	k int;
	qty int;
	ok boolean;
	use_array boolean := a_kind = 'array';
BEGIN
	LOOP
		qty := 1 + floor(random() * a_max_qty)::int;
		ids := '{}'; cts := '{}'; ps := '{}'; iss := '{}'; hs := '{}';
		IF a_receive THEN
			msgs := NULL;
			CALL pgmq_c.receive_group(a_topic, a_group, a_vt, qty, '100 ms', msgs);
		ELSE
			msgs := ARRAY(SELECT r FROM pgmq_c.read_group(a_topic, a_group, a_vt,
														  qty, '100 ms') r);
		END IF;
		FOR m IN SELECT * FROM unnest(msgs) LOOP
			ids := ids || m.msg_id;
			cts := cts || m.read_ct;
			ps := ps || (m.message->>'p')::int;
			iss := iss || (m.message->>'i')::int;
			hs := hs || (m.headers->>'h')::int;
		END LOOP;
		n := coalesce(array_length(ids, 1), 0);
		INSERT INTO deliveries
			SELECT a_group, a_c, u.id, u.ct, u.p, u.i, u.h
			  FROM unnest(ids, cts, ps, iss, hs) AS u(id, ct, p, i, h);
		COMMIT;

		-- second acks of messages acked in an earlier transaction
		IF array_length(again_ids, 1) > 0 THEN
			FOR k IN 1 .. array_length(again_ids, 1) LOOP
				ok := pgmq_c.ack(a_topic, a_group, again_ids[k]);
				INSERT INTO acks VALUES (a_group, a_c, 'again', again_ids[k],
										 again_ps[k], again_is[k], ok);
			END LOOP;
			again_ids := '{}'; again_ps := '{}'; again_is := '{}';
		END IF;

		IF n = 0 THEN
			COMMIT;
			EXIT WHEN EXISTS (SELECT 1 FROM give_up);
			EXIT WHEN (SELECT count(*) FROM producer_done) = a_producers
				  AND (SELECT lag = 0 AND lag_is_exact
						 FROM pgmq_c.list_groups(a_topic)
						WHERE group_name = a_group);
			CONTINUE;
		END IF;

		IF a_kind = 'mixed' THEN
			use_array := NOT use_array;
		END IF;
		IF use_array THEN
			SELECT coalesce(array_agg(x), '{}') INTO done_ids
			  FROM pgmq_c.ack(a_topic, a_group, ids) AS x;
			INSERT INTO acks
				SELECT a_group, a_c, 'array', u.id, u.p, u.i, u.id = ANY (done_ids)
				  FROM unnest(ids, ps, iss) AS u(id, p, i);
		ELSE
			FOR k IN 1 .. n LOOP
				ok := pgmq_c.ack(a_topic, a_group, ids[k]);
				INSERT INTO acks VALUES (a_group, a_c, 'single', ids[k], ps[k],
										 iss[k], ok);
			END LOOP;
		END IF;
		FOR k IN 1 .. n LOOP
			IF iss[k] % 97 = 0 THEN
				again_ids := again_ids || ids[k];
				again_ps := again_ps || ps[k];
				again_is := again_is || iss[k];
			END IF;
		END LOOP;
		COMMIT;
	END LOOP;
	-- (the loop ends only after a read that got nothing, so every second
	-- ack has been made)
END $$;
});

# Start one psql process running $sql; returns a handle for finish_all.
sub start_call
{
	my ($name, $sql) = @_;
	return start_psql($node, name => $name, sql => [$sql],
		timeout => 3 * $PostgreSQL::Test::Utils::timeout_default);
}

sub q1 { return timed_sql($node, $_[0]); }

# [messages per transaction, mode]
my @producers = ([ 1, 'send' ], [ 5, 'send' ], [ 50, 'batch' ], [ 20, 'mixed' ]);
# per consumer within a group: [ack kind, receive_group instead of read_group]
my @consumers = ([ 'single', 'false' ], [ 'array', 'false' ], [ 'mixed', 'true' ]);
# per group: the lease asked for (NULL: the group's default of 5 minutes)
my %vt = (g_one => q{'5 minutes'}, g_two => q{'5 minutes'}, g_three => 'NULL');

my (@cons, @prods);
my $t0 = time;
foreach my $g (@groups)
{
	for my $c (1 .. $ncons)
	{
		my ($kind, $receive) = @{ $consumers[ $c - 1 ] };
		push @cons,
		  start_call("$g consumer $c",
			"CALL consume('events', '$g', $c, $nprod, 50, $vt{$g}, '$kind', $receive)");
	}
}
for my $p (1 .. $nprod)
{
	my ($per_txn, $mode) = @{ $producers[ $p - 1 ] };
	push @prods,
	  start_call("producer $p",
		"CALL produce('events', $p, $per_producer, $per_txn, '$mode')");
}
# producers first: if one fails, the consumers would wait for it forever
if (!finish_all(@prods))
{
	$node->safe_psql('postgres',
		"INSERT INTO give_up VALUES ('a producer failed')");
}
finish_all(@cons);
note sprintf("%d messages through %d groups in %.1f s",
	$total, scalar(@groups), time - $t0);

my $topic_id =
  q1("SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name = 'events'");
my $log = "pgmq_c.t_$topic_id";

is(q1("SELECT count(*) || ' ' || count(DISTINCT msg_id) FROM sent"),
	"$total $total", "$total sends, each with its own msg_id");
is(q1("SELECT count(*) FROM $log"),
	$total, "the log stores each message once ($total rows for 3 groups)");
is( q1(
		"SELECT count(*) FROM (
		   (SELECT msg_id, jsonb_build_object('p', p, 'i', i) FROM sent
			EXCEPT SELECT msg_id, message FROM $log)
		   UNION ALL
		   (SELECT msg_id, message FROM $log
			EXCEPT SELECT msg_id, jsonb_build_object('p', p, 'i', i) FROM sent)) d"),
	0,
	'the log holds exactly the ids and payloads that send returned');

foreach my $g (@groups)
{
	is(q1("SELECT count(*) FROM deliveries WHERE grp = '$g'"),
		$total, "$g: exactly $total deliveries (no message delivered twice)");
	is(q1("SELECT count(*) FROM deliveries WHERE grp = '$g' AND read_ct <> 1"),
		0, "$g: every delivery has read_ct 1");
	is( q1(
			"SELECT count(*) FROM (SELECT msg_id FROM deliveries WHERE grp = '$g'
									GROUP BY msg_id HAVING count(*) > 1) d"),
		0,
		"$g: no msg_id delivered to two consumers (or twice to one)");
	is( q1(
			"SELECT count(*) FROM deliveries d LEFT JOIN sent s USING (msg_id)
			  WHERE d.grp = '$g'
				AND (s.msg_id IS NULL OR (d.p, d.i) IS DISTINCT FROM (s.p, s.i))"),
		0,
		"$g: every delivery is a message sent, with its payload");
	is( q1(
			"SELECT count(*) FROM deliveries d JOIN sent s USING (msg_id)
			  WHERE d.grp = '$g'
				AND d.h IS DISTINCT FROM
					CASE WHEN s.p = 3 THEN s.i % 3
						 WHEN s.p = 4 AND s.i % 20 BETWEEN 1 AND 10
							  AND s.i % 3 = 0 THEN 0 END"),
		0,
		"$g: headers delivered as sent");
	is( q1(
			"SELECT count(*) FROM (
			   SELECT p, i FROM generate_series(1, $nprod) p,
								generate_series(1, $per_producer) i
			   EXCEPT
			   SELECT p, i FROM acks WHERE grp = '$g' AND ok) lost"),
		0,
		"$g: every (p, i) sent was acked (none lost)");
	is( q1(
			"SELECT count(*) || ' ' || count(DISTINCT msg_id) FROM acks
			  WHERE grp = '$g' AND ok"),
		"$total $total",
		"$g: acks accepted exactly once per msg_id");
	is( q1(
			"SELECT count(*) FROM acks WHERE grp = '$g' AND kind <> 'again'
			   AND NOT ok"),
		0,
		"$g: no first ack refused");
	is( q1(
			"SELECT count(*) || ' ' || count(*) FILTER (WHERE NOT ok) FROM acks
			  WHERE grp = '$g' AND kind = 'again'"),
		(4 * int($per_producer / 97)) . ' ' . (4 * int($per_producer / 97)),
		"$g: every second ack of an acked message refused");
	is( q1(
			"SELECT count(*) FROM acks a JOIN deliveries d USING (grp, msg_id)
			  WHERE a.grp = '$g' AND a.ok AND a.consumer <> d.consumer"),
		0,
		"$g: each message acked by the consumer it was delivered to");
	is( q1(
			"SELECT count(DISTINCT consumer) FROM deliveries WHERE grp = '$g'"),
		$ncons,
		"$g: all $ncons consumers received messages");
	is( q1(
			"SELECT count(DISTINCT kind) FROM acks WHERE grp = '$g' AND ok"),
		2,
		"$g: both ack forms (single and array) were used");
}

is( q1(
		"SELECT count(*) FROM (SELECT msg_id FROM deliveries GROUP BY msg_id
								HAVING count(DISTINCT (p, i)) > 1
									OR count(DISTINCT grp) <> 3) d"),
	0,
	'every msg_id went to all 3 groups with the same payload');

is( q1(
		"SELECT string_agg(group_name || ' ' || lag || ' ' || in_flight || ' '
						   || lag_is_exact || ' ' || missed, ', '
						   ORDER BY group_name)
		   FROM pgmq_c.list_groups('events')"),
	'g_one 0 0 true 0, g_three 0 0 true 0, g_two 0 0 true 0',
	'list_groups: lag 0 and nothing in flight in every group');
is( q1(
		"SELECT count(*) FROM pgmq_c.groups g
		   JOIN pgmq_c.list_topics() t ON t.topic_id = g.topic_id
		  WHERE t.topic_name = 'events'"),
	3,
	'the topic has its 3 groups');
foreach my $gid (
	split /\n/,
	q1("SELECT group_id FROM pgmq_c.groups ORDER BY group_id"))
{
	is(q1("SELECT count(*) FROM pgmq_c.g_$gid"),
		0, "group table g_$gid is empty at the end");
}
foreach my $g (@groups)
{
	is( q1(
			"SELECT count(*) FROM pgmq_c.read_group('events', '$g', '1 hour', 100)"),
		0,
		"$g: read_group finds nothing left");
}
is(q1("SELECT count(*) FROM $log"),
	$total, 'acking in every group leaves the log as it was');

$node->stop;
done_testing();
