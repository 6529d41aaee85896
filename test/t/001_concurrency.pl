# 001_concurrency.pl: 4 producers and 4 consumers moving 100,000 messages
# through one queue, then 20,000 messages with leases expiring on purpose.
#
# Producers and consumers are PL/pgSQL procedures created below, each CALLed
# from its own psql process, all eight running at once.  Consumers log every
# delivery (msg_id, read_ct, payload) in one transaction and ack it with its
# receipt (msg_id, read_ct) in a later one, logging whether the ack was
# accepted.  The checks then work on those logs.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(time);

my $node = pgmqc_node('concurrency', conf => 'max_connections = 40');

$node->safe_psql(
	'postgres', q{
CREATE TABLE producer_done (round int, p int, PRIMARY KEY (round, p));

-- one row per delivery a consumer received
CREATE TABLE deliveries (round int, consumer int, msg_id bigint,
						 read_ct int, p int, i int,
						 at timestamptz DEFAULT clock_timestamp());

-- one row per ack attempt and whether it was accepted
CREATE TABLE acks (round int, consumer int, kind text, msg_id bigint,
				   read_ct int, p int, i int, ok boolean);

-- send n messages {"p": p, "i": 1..n}, per_txn per transaction, either one
-- send() each or one send_batch() per transaction.  With a_hold_first, the
-- first transaction stays open until every message of the other producers
-- has been acked, and 200 ms more: its messages have the smallest msg_ids
-- but become visible last, after readers have consumed everything above
-- them and had time to move their starting point up.
CREATE PROCEDURE produce(a_round int, a_queue text, a_p int, a_n int,
						 a_per_txn int, a_batch boolean, a_hold_first boolean,
						 a_producers int)
LANGUAGE plpgsql AS $$
DECLARE
	first int := 1;
	last int;
	j int;
BEGIN
	WHILE first <= a_n LOOP
		last := least(first + a_per_txn - 1, a_n);
		IF a_batch THEN
			PERFORM pgmq_c.send_batch(a_queue,
				ARRAY(SELECT jsonb_build_object('p', a_p, 'i', g)
						FROM generate_series(first, last) g));
		ELSE
			FOR j IN first .. last LOOP
				PERFORM pgmq_c.send(a_queue, jsonb_build_object('p', a_p, 'i', j));
			END LOOP;
		END IF;
		IF a_hold_first AND first = 1 THEN
			LOOP
				EXIT WHEN (SELECT count(*) FROM acks
							WHERE round = a_round AND ok AND p <> a_p)
						  >= (a_producers - 1) * a_n;
				PERFORM pg_sleep(0.05);
			END LOOP;
			PERFORM pg_sleep(0.2);
		END IF;
		COMMIT;
		first := last + 1;
	END LOOP;
	INSERT INTO producer_done VALUES (a_round, a_p);
	COMMIT;
END $$;

-- read up to a_qty messages with lease a_vt in one transaction and log them;
-- ack them (a_kind: delete, delete_many, archive) with their receipts in a
-- second transaction.  With a_skip, the first delivery of every message
-- whose i is a multiple of 10 is not acked, so its lease runs out, and the
-- consumer sometimes waits past its leases before acking.  Stops
-- when every producer is done and the queue is empty.
CREATE PROCEDURE consume(a_round int, a_queue text, a_c int, a_producers int,
						 a_qty int, a_vt interval, a_kind text, a_skip boolean)
LANGUAGE plpgsql AS $$
DECLARE
	m record;
	ids bigint[];
	cts int[];
	ps int[];
	iss int[];
	ack_ids bigint[];
	ack_cts int[];
	done_ids bigint[];
	n int;
	k int;
	ok boolean;
BEGIN
	LOOP
		ids := '{}'; cts := '{}'; ps := '{}'; iss := '{}';
		FOR m IN SELECT * FROM pgmq_c.read(a_queue, a_vt, a_qty) LOOP
			ids := ids || m.msg_id;
			cts := cts || m.read_ct;
			ps := ps || (m.message->>'p')::int;
			iss := iss || (m.message->>'i')::int;
		END LOOP;
		n := coalesce(array_length(ids, 1), 0);
		INSERT INTO deliveries (round, consumer, msg_id, read_ct, p, i)
			SELECT a_round, a_c, u.id, u.ct, u.p, u.i
			  FROM unnest(ids, cts, ps, iss) AS u(id, ct, p, i);
		COMMIT;

		IF n = 0 THEN
			EXIT WHEN (SELECT count(*) FROM producer_done
						WHERE round = a_round) = a_producers
				  AND (SELECT queue_length = 0 AND length_is_exact
						 FROM pgmq_c.metrics(a_queue));
			-- nothing visible yet: back off a little before polling again
			PERFORM pg_sleep(0.005);
			CONTINUE;
		END IF;

		-- with a_skip, a consumer also dawdles past its leases now and then:
		-- whenever its batch holds the first or second delivery of an i
		-- divisible by 250.  Another consumer then gets those messages, and
		-- the second one dawdles too, so the first one's late ack comes while
		-- the message is leased to the second: it must be refused.
		IF a_skip AND EXISTS (SELECT 1 FROM unnest(cts, iss) AS u(ct, i)
							   WHERE u.ct <= 2 AND u.i % 250 = 0) THEN
			PERFORM pg_sleep(0.3);
		END IF;

		IF a_kind = 'delete_many' THEN
			ack_ids := '{}'; ack_cts := '{}';
			FOR k IN 1 .. n LOOP
				CONTINUE WHEN a_skip AND cts[k] = 1 AND iss[k] % 10 = 0;
				ack_ids := ack_ids || ids[k];
				ack_cts := ack_cts || cts[k];
			END LOOP;
			SELECT coalesce(array_agg(x), '{}') INTO done_ids
			  FROM pgmq_c.delete(a_queue, ack_ids, ack_cts) AS x;
			INSERT INTO acks
				SELECT a_round, a_c, a_kind, u.id, u.ct, u.p, u.i,
					   u.id = ANY (done_ids)
				  FROM unnest(ids, cts, ps, iss) AS u(id, ct, p, i)
				 WHERE u.id = ANY (ack_ids);
		ELSE
			FOR k IN 1 .. n LOOP
				CONTINUE WHEN a_skip AND cts[k] = 1 AND iss[k] % 10 = 0;
				IF a_kind = 'archive' THEN
					ok := pgmq_c.archive(a_queue, ids[k], cts[k]);
				ELSE
					ok := pgmq_c.delete(a_queue, ids[k], cts[k]);
				END IF;
				INSERT INTO acks VALUES (a_round, a_c, a_kind, ids[k], cts[k],
										 ps[k], iss[k], ok);
			END LOOP;
		END IF;
		COMMIT;
	END LOOP;
END $$;

-- every msg_id in a queue's archive, paging through read_archive
CREATE FUNCTION archived_ids(a_queue text) RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
	after bigint := 0;
	got bigint;
	r record;
BEGIN
	LOOP
		got := 0;
		FOR r IN SELECT msg_id FROM pgmq_c.read_archive(a_queue, after, 100) LOOP
			RETURN NEXT r.msg_id;
			after := r.msg_id;
			got := got + 1;
		END LOOP;
		EXIT WHEN got = 0;
	END LOOP;
END $$;
});

# Start one psql process running $sql; returns a handle for finish_all.
sub start_call
{
	my ($name, $sql) = @_;
	return start_psql($node, name => $name, sql => [$sql]);
}

sub q1 { return timed_sql($node, $_[0]); }

# Run one round: 4 producers (per_txn, batch) and 4 consumers (ack kind).
sub run_round
{
	my ($round, $queue, $per_producer, $vt, $skip, $hold2) = @_;
	# [messages per transaction, send_batch, hold the first transaction open]
	my @producers = (
		[ 1, 'false', 'false' ],
		[ 5, 'false', $hold2 ],
		[ 10, 'false', 'false' ],
		[ 20, 'true', 'false' ]);
	my @kinds = ('delete', 'delete', 'delete_many', 'archive');
	my @procs;
	my $t0 = time;

	for my $c (1 .. 4)
	{
		push @procs,
		  start_call("round $round consumer $c",
			"CALL consume($round, '$queue', $c, 4, 10, '$vt', "
			  . "'$kinds[$c - 1]', $skip)");
	}
	# The producer holding its first transaction starts first, and the
	# others only once it sleeps in that transaction, its messages sent:
	# every other message then has a higher msg_id than those.
	my @order = $hold2 eq 'true' ? (2, 1, 3, 4) : (1 .. 4);
	for my $p (@order)
	{
		my ($per_txn, $batch, $hold) = @{ $producers[ $p - 1 ] };
		push @procs,
		  start_call("round $round producer $p",
			"CALL produce($round, '$queue', $p, $per_producer, $per_txn, "
			  . "$batch, $hold, 4)");
		next unless $hold eq 'true';
		$node->poll_query_until(
			'postgres', qq{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE query LIKE 'CALL produce($round, ''$queue'', $p,%'
   AND wait_event = 'PgSleep' AND backend_xid IS NOT NULL})
		  or die "round $round: producer $p never held its first transaction";
	}
	finish_all(@procs);
	note sprintf("round %d: %d messages in %.1f s",
		$round, 4 * $per_producer, time - $t0);
}

# Checks that hold in both rounds.
sub check_common
{
	my ($round, $queue, $per_producer) = @_;
	my $total = 4 * $per_producer;

	is(q1("SELECT count(*) FROM acks WHERE round = $round AND ok"),
		$total, "round $round: $total acks accepted");
	is( q1(
			"SELECT count(*) FROM (SELECT p, i FROM acks WHERE round = $round AND ok
								   GROUP BY p, i HAVING count(*) > 1) d"),
		0,
		"round $round: no message acked twice");
	is( q1(
			"SELECT count(*) FROM
			   (SELECT p, i FROM generate_series(1, 4) p,
								 generate_series(1, $per_producer) i
				EXCEPT
				SELECT p, i FROM acks WHERE round = $round AND ok) lost"),
		0,
		"round $round: every (p, i) sent was acked (none lost)");
	is( q1(
			"SELECT count(*) FROM deliveries WHERE round = $round
			   AND NOT (p BETWEEN 1 AND 4 AND i BETWEEN 1 AND $per_producer)"),
		0,
		"round $round: nothing delivered that was not sent");
	is( q1(
			"SELECT count(DISTINCT msg_id) || ' ' || count(DISTINCT (msg_id, p, i))
			   FROM deliveries WHERE round = $round"),
		"$total $total",
		"round $round: one msg_id per message, payload never changes");
	is( q1(
			"SELECT count(*) FROM (SELECT msg_id, read_ct FROM deliveries
									WHERE round = $round
									GROUP BY 1, 2 HAVING count(*) > 1) d"),
		0,
		"round $round: no receipt (msg_id, read_ct) handed out twice");
	is( q1(
			"SELECT count(*) FROM (SELECT msg_id FROM deliveries WHERE round = $round
									GROUP BY msg_id
								   HAVING min(read_ct) <> 1
									   OR max(read_ct) <> count(*)) d"),
		0,
		"round $round: read_ct counts deliveries 1, 2, ... without gaps");
	is( q1(
			"SELECT count(*) FROM acks a
			   LEFT JOIN (SELECT msg_id, max(read_ct) AS last_ct FROM deliveries
						   WHERE round = $round GROUP BY msg_id) d USING (msg_id)
			  WHERE a.round = $round AND a.ok
				AND (d.last_ct IS NULL OR a.read_ct <> d.last_ct)"),
		0,
		"round $round: every accepted ack used the latest receipt");
	is( q1(
			"SELECT count(*) FROM acks a
			   LEFT JOIN (SELECT msg_id, max(read_ct) AS last_ct FROM deliveries
						   WHERE round = $round GROUP BY msg_id) d USING (msg_id)
			  WHERE a.round = $round AND NOT a.ok
				AND (d.last_ct IS NULL OR a.read_ct >= d.last_ct)"),
		0,
		"round $round: every refused ack was stale (message delivered again)");
	is( q1(
			"SELECT queue_length, visible_length FROM pgmq_c.metrics('$queue')"),
		"0|0", "round $round: metrics show the queue empty");
	is(q1("SELECT count(*) FROM pgmq_c.read('$queue', '1 hour', 100)"),
		0, "round $round: read finds nothing left");

	my $archive_acks = q1(
		"SELECT count(*) FROM acks WHERE round = $round AND ok AND kind = 'archive'"
	);
	cmp_ok($archive_acks, '>', 0, "round $round: the archiving consumer acked some");
	is( q1(
			"SELECT count(*) FROM (
			   (SELECT archived_ids('$queue')
				EXCEPT ALL
				SELECT msg_id FROM acks WHERE round = $round AND ok AND kind = 'archive')
			   UNION ALL
			   (SELECT msg_id FROM acks WHERE round = $round AND ok AND kind = 'archive'
				EXCEPT ALL
				SELECT archived_ids('$queue'))) diff"),
		0,
		"round $round: the archive holds exactly the archived messages");
	is( q1(
			"SELECT archived_length FROM pgmq_c.metrics('$queue')"),
		$archive_acks,
		"round $round: metrics archived_length matches");
}

#
# Round 1: 100,000 messages, 30 s leases, every delivery acked in time.
#
q1("SELECT pgmq_c.create_queue('conc1')");
run_round(1, 'conc1', 25000, '30 seconds', 'false', 'false');
check_common(1, 'conc1', 25000);

is(q1("SELECT count(*) FROM deliveries WHERE round = 1"),
	100000, 'round 1: exactly 100000 deliveries (no redelivery)');
is(q1("SELECT count(*) FROM deliveries WHERE round = 1 AND read_ct <> 1"),
	0, 'round 1: every delivery has read_ct 1');
is(q1("SELECT count(*) FROM acks WHERE round = 1 AND NOT ok"),
	0, 'round 1: no ack was refused');
is(q1("SELECT count(*) FROM acks WHERE round = 1"),
	100000, 'round 1: one ack per message');
is( q1(
		"SELECT count(DISTINCT consumer) FROM deliveries WHERE round = 1"),
	4,
	'round 1: all four consumers received messages');


#
# Round 2: 20,000 messages, 200 ms leases; the first delivery of every tenth
# message is never acked, so it must come back with read_ct > 1.  Producer 2
# holds its first transaction open until everything else is consumed (this
# pins the xmin horizon, so it is kept to the smaller round).
#
q1("SELECT pgmq_c.create_queue('conc2')");
run_round(2, 'conc2', 5000, '200 milliseconds', 'true', 'true');
check_common(2, 'conc2', 5000);

is( q1(
		"SELECT count(*) FROM (SELECT p, i FROM deliveries
								WHERE round = 2 AND i % 10 = 0
								GROUP BY p, i HAVING max(read_ct) >= 2) r"),
	2000,
	'round 2: every skipped message was redelivered with read_ct > 1');
is( q1(
		"SELECT count(*) FROM acks WHERE round = 2 AND ok AND i % 10 = 0
		   AND read_ct < 2"),
	0,
	'round 2: skipped messages were acked only on a later delivery');
# Producer 2's first transaction (i 1..5) was sent before any other
# producer started and committed after every other message was acked: its
# messages have smaller msg_ids than all 15,000 others and were delivered
# after them (and, as checked above, delivered at all: a reader that had
# moved its starting msg_id past them would have lost them).
is( q1( "SELECT count(DISTINCT msg_id) FROM deliveries
		  WHERE round = 2 AND p <> 2
			AND msg_id > (SELECT max(msg_id) FROM deliveries
						   WHERE round = 2 AND p = 2 AND i <= 5)
			AND at < (SELECT min(at) FROM deliveries
					   WHERE round = 2 AND p = 2 AND i <= 5)"),
	15000,
	'round 2: messages committed after higher msg_ids were consumed are delivered');
cmp_ok(q1("SELECT max(read_ct) FROM deliveries WHERE round = 2"),
	'>=', 2, 'round 2: read_ct went above 1');
cmp_ok(q1("SELECT count(*) FROM acks WHERE round = 2 AND NOT ok"),
	'>', 0, 'round 2: acks made after the lease ran out were refused');
note 'round 2: redeliveries beyond the skipped ones: '
  . q1(
	"SELECT count(*) FROM deliveries WHERE round = 2 AND read_ct > 1 AND i % 10 <> 0"
  )
  . ', refused acks: '
  . q1("SELECT count(*) FROM acks WHERE round = 2 AND NOT ok");

$node->stop;
done_testing();
