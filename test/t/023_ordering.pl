# 023_ordering.pl: ordering keys and deduplication ids under concurrency.
#
# Producers and consumers are PL/pgSQL procedures created below, each CALLed
# from its own psql process.  Each producer owns a set of ordering keys and
# sends their messages {"k": k, "seq": seq} (seq 1, 2, 3... per key) with
# send_batch, so the send order of each key is known; it logs what it sent
# in the transaction of the send.  Consumers read with a short lease and,
# for each message, mostly delete it (ack it, in a group) with its receipt,
# sometimes nack it (no delay, or 50 ms), sometimes let its lease expire --
# and then, for half of those, try to delete it with the stale receipt
# later.  Every delivery is logged with its read time, its lease end (vt)
# and what became of it, in the transaction of the delete or nack.  From
# these logs:
#   - per key, the first deliveries come exactly in send order;
#   - no two deliveries of a key ever overlap: a delivery read at r ends at
#     its accepted delete or nack, or else at its lease end; the next
#     delivery of the key is read no earlier (times are taken after the
#     read returned and before the delete's commit, so a correct server
#     always passes);
#   - no message of a key is delivered before the previous message of the
#     key was deleted;
#   - each message is delivered with read_ct 1, 2, ..., deleted exactly
#     once, by its last delivery; a delete or nack is refused only after its
#     lease ended and the message was delivered again.
#
# 1. A queue: 4 producers, 4 consumers, 1,000 keys, 200,000 messages.
# 2. A topic with 3 groups of 2 consumers each, 20,000 messages over 200
#    keys: group g1 never nacks nor lets a lease expire, g2 nacks often, g3
#    now and then; the checks are made per group.
# 3. Deduplication: 4 producers send every message twice with the same
#    dedup_id (once by its owner, once by a neighbour, racing) while 2
#    consumers consume: each message is stored once and both sends return
#    its msg_id; a third send of every id after all were consumed returns
#    the same msg_ids and stores nothing.  Then across an immediate stop:
#    ids sent and committed before it are still known after it, and the id
#    of a send whose transaction was open at the stop is free.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(time usleep);

my $node = pgmqc_node(
	'ordering', conf => q{
max_connections = 40
synchronous_commit = on
});

sub sql { return timed_sql($node, $_[0]); }

# the id of queue or topic $name
sub qid
{
	my ($name) = @_;
	my $id = sql("SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = '$name'");
	die "no queue $name" if $id eq '';
	return $id;
}

$node->safe_psql(
	'postgres', q{
-- what producers sent: one row per message, in the transaction of the send
CREATE TABLE sent (run text, p int, k int, seq int, msg_id bigint);
-- producers that are done, per run
CREATE TABLE finished (run text, who text);
-- a row here makes everybody stop (a client failed)
CREATE TABLE give_up (why text);
-- one row per delivery (grp NULL for a queue): when it was read (after the
-- read returned), its lease end (vt), and what the consumer did: 'delete'
-- (ack), 'nack' (with nack_delay) or 'expire' (nothing); act_at: when the
-- delete or nack returned (before its commit), ok: whether it was accepted
CREATE TABLE deliveries (run text, grp text, consumer int, msg_id bigint,
						 k int, seq int, read_ct int, read_at timestamptz,
						 vt timestamptz, act text, act_at timestamptz,
						 ok boolean, nack_delay interval);
-- deletes (acks) tried after a lease was let expire, with its receipt
CREATE TABLE late (run text, grp text, consumer int, msg_id bigint,
				   read_ct int, vt timestamptz, at timestamptz, ok boolean);
CREATE INDEX ON sent (run, k, seq);
CREATE INDEX ON sent (msg_id);
CREATE INDEX ON deliveries (msg_id);

-- Send the messages of producer a_p of a_np: keys a_p - 1, a_p - 1 + a_np,
-- ... below a_keys, a_per_key messages each, a_per_txn per send_batch and
-- transaction.  Key k's seq-th message goes at position
-- seq * (1 + (k / a_np) % 4): some keys are sent up to 4 times as fast as
-- others, so that early batches hold many keys once and late ones a few
-- keys several times.
CREATE PROCEDURE produce(a_run text, a_q text, a_p int, a_np int, a_keys int,
						 a_per_key int, a_per_txn int)
LANGUAGE plpgsql AS $$
DECLARE
	ks int[];
	ss int[];
	n int;
	i int := 1;
	j int;
BEGIN
	SELECT array_agg(k ORDER BY o), array_agg(seq ORDER BY o) INTO ks, ss
	  FROM (SELECT k, seq,
				   row_number() OVER (ORDER BY seq * (1 + (k / a_np) % 4), k) AS o
			  FROM generate_series(a_p - 1, a_keys - 1, a_np) k,
				   generate_series(1, a_per_key) seq) x;
	n := cardinality(ks);
	WHILE i <= n LOOP
		EXIT WHEN EXISTS (SELECT 1 FROM give_up);
		j := least(i + a_per_txn - 1, n);
		INSERT INTO sent
		SELECT a_run, a_p, u.k, u.s, b.msg_id
		  FROM unnest(ks[i:j], ss[i:j]) WITH ORDINALITY AS u(k, s, o)
		  JOIN pgmq_c.send_batch(a_q,
				ARRAY(SELECT jsonb_build_object('k', x.k, 'seq', x.s)
						FROM unnest(ks[i:j], ss[i:j]) WITH ORDINALITY AS x(k, s, o)
					   ORDER BY x.o),
				ordering_keys => ARRAY(SELECT 'key ' || x.k
										 FROM unnest(ks[i:j]) WITH ORDINALITY AS x(k, o)
										ORDER BY x.o))
			   WITH ORDINALITY AS b(msg_id, o) ON b.o = u.o;
		COMMIT;
		i := j + 1;
	END LOOP;
	INSERT INTO finished VALUES (a_run, 'producer ' || a_p);
	COMMIT;
END $$;

-- Delete (a_grp NULL) or acknowledge in group a_grp the receipts (ids,
-- cts) of a_src in one call; returns the msg_ids it took.
CREATE FUNCTION acknowledge(a_src text, a_grp text, ids bigint[], cts int[])
RETURNS bigint[] LANGUAGE sql AS $$
	SELECT CASE WHEN a_grp IS NULL THEN ARRAY(SELECT pgmq_c.delete(a_src, ids, cts))
				ELSE ARRAY(SELECT pgmq_c.ack(a_src, a_grp, ids, cts)) END
$$;

-- A consumer of queue a_src (a_grp NULL) or of group a_grp of topic a_src,
-- reading up to a_qty messages at a time for a_vt.  Of the messages read,
-- a share a_expire is let expire (and a_late of those deleted later with
-- the stale receipt, once past the lease), a share a_nack is nacked (half
-- with delay 0, half 50 ms), the rest deleted (acked) with their receipts
-- in one call; the nacks follow in a transaction of their own.  Stops once a_need producers of the run are done and
-- nothing is left, or after a_limit.
CREATE PROCEDURE consume(a_run text, a_src text, a_grp text, a_c int,
						 a_vt interval, a_qty int, a_expire float8,
						 a_nack float8, a_late float8, a_need int,
						 a_limit interval)
LANGUAGE plpgsql AS $$
DECLARE
	msgs pgmq_c.message[];
	m pgmq_c.message;
	del pgmq_c.message[];
	nacks pgmq_c.message[];
	ids bigint[];
	cts int[];
	gone bigint[];
	late_ids bigint[] := '{}';
	late_cts int[] := '{}';
	late_vts timestamptz[] := '{}';
	due_vts timestamptz[];
	keep_ids bigint[];
	keep_cts int[];
	keep_vts timestamptz[];
	t0 timestamptz := clock_timestamp();
	read_at timestamptz;
	at timestamptz;
	r float8;
	d interval;
	ok boolean;
	qid int;
	empty boolean;
BEGIN
	IF a_grp IS NULL THEN
		SELECT queue_id INTO qid FROM pgmq_c.list_queues() WHERE queue_name = a_src;
	END IF;
	LOOP
		IF a_grp IS NULL THEN
			msgs := ARRAY(SELECT x FROM pgmq_c.read(a_src, a_vt, a_qty, '100 ms') x);
		ELSE
			msgs := ARRAY(SELECT x FROM pgmq_c.read_group(a_src, a_grp, a_vt, a_qty,
														  '100 ms') x);
		END IF;
		read_at := clock_timestamp();
		COMMIT;

		-- late deletes of the leases let expire, once they are over: all
		-- that are due in one call, as the README asks of a transaction that
		-- deletes keyed messages (several single deletes in one transaction
		-- lock their keys in call order and may deadlock with a send)
		IF cardinality(late_ids) > 0 THEN
			keep_ids := '{}';
			keep_cts := '{}';
			keep_vts := '{}';
			ids := '{}';
			cts := '{}';
			due_vts := '{}';
			FOR i IN 1 .. cardinality(late_ids) LOOP
				IF late_vts[i] < clock_timestamp() THEN
					ids := ids || late_ids[i];
					cts := cts || late_cts[i];
					due_vts := due_vts || late_vts[i];
				ELSE
					keep_ids := keep_ids || late_ids[i];
					keep_cts := keep_cts || late_cts[i];
					keep_vts := keep_vts || late_vts[i];
				END IF;
			END LOOP;
			IF cardinality(ids) > 0 THEN
				gone := acknowledge(a_src, a_grp, ids, cts);
				at := clock_timestamp();
				INSERT INTO late
				SELECT a_run, a_grp, a_c, u.id, u.ct, u.vt, at, u.id = ANY (gone)
				  FROM unnest(ids, cts, due_vts) AS u(id, ct, vt);
			END IF;
			late_ids := keep_ids;
			late_cts := keep_cts;
			late_vts := keep_vts;
			COMMIT;
		END IF;

		IF cardinality(msgs) = 0 THEN
			EXIT WHEN EXISTS (SELECT 1 FROM give_up);
			EXIT WHEN clock_timestamp() > t0 + a_limit;
			IF (SELECT count(DISTINCT who) FROM finished WHERE run = a_run) >= a_need THEN
				IF a_grp IS NULL THEN
					EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM pgmq_c.q_%s)
									   AND NOT EXISTS (SELECT 1 FROM pgmq_c.d_%s)
									   AND NOT EXISTS (SELECT 1 FROM pgmq_c.p_%s)',
								   qid, qid, qid)
					   INTO empty;
				ELSE
					SELECT lag = 0 AND lag_is_exact INTO empty
					  FROM pgmq_c.list_groups(a_src) WHERE group_name = a_grp;
				END IF;
				EXIT WHEN empty;
			END IF;
			CONTINUE;
		END IF;

		del := '{}';
		nacks := '{}';
		FOREACH m IN ARRAY msgs LOOP
			r := random();
			IF r < a_expire THEN
				INSERT INTO deliveries VALUES (a_run, a_grp, a_c, m.msg_id,
					(m.message->>'k')::int, (m.message->>'seq')::int, m.read_ct,
					read_at, m.vt, 'expire', NULL, NULL, NULL);
				IF random() < a_late THEN
					late_ids := late_ids || m.msg_id;
					late_cts := late_cts || m.read_ct;
					late_vts := late_vts || m.vt;
				END IF;
			ELSIF r < a_expire + a_nack THEN
				nacks := nacks || m;
			ELSE
				del := del || m;
			END IF;
		END LOOP;
		IF cardinality(del) > 0 THEN
			SELECT array_agg(u.msg_id ORDER BY u.msg_id),
				   array_agg(u.read_ct ORDER BY u.msg_id)
			  INTO ids, cts FROM unnest(del) u;
			gone := acknowledge(a_src, a_grp, ids, cts);
			at := clock_timestamp();
			INSERT INTO deliveries
			SELECT a_run, a_grp, a_c, u.msg_id, (u.message->>'k')::int,
				   (u.message->>'seq')::int, u.read_ct, read_at, u.vt, 'delete', at,
				   u.msg_id = ANY (gone), NULL
			  FROM unnest(del) u;
		END IF;
		COMMIT;

		-- the nacks in a transaction of their own, in msg_id order: a
		-- transaction that takes its messages out of msg_id order (nacks,
		-- then a delete of lower msg_ids) can deadlock with another
		-- consumer's delete of a receipt that expired (README, "Receipts")
		FOR m IN SELECT * FROM unnest(nacks) u ORDER BY u.msg_id LOOP
			d := CASE WHEN random() < 0.5 THEN interval '0' ELSE interval '50 ms' END;
			IF a_grp IS NULL THEN
				ok := pgmq_c.nack(a_src, m.msg_id, d, m.read_ct);
			ELSE
				ok := pgmq_c.nack(a_src, a_grp, m.msg_id, d, m.read_ct);
			END IF;
			INSERT INTO deliveries VALUES (a_run, a_grp, a_c, m.msg_id,
				(m.message->>'k')::int, (m.message->>'seq')::int, m.read_ct,
				read_at, m.vt, 'nack', clock_timestamp(), ok, d);
		END LOOP;
		COMMIT;
	END LOOP;
END $$;
});

# psql running CALL $sql, known as $name
sub start_call
{
	my ($name, $sql) = @_;
	return start_psql($node, name => $name, sql => [$sql], timeout => 1200);
}

# Wait for the clients @c; as soon as one fails, make the others stop (a
# row in give_up).  One test per client that it exited cleanly.
sub wait_clients
{
	my @c = @_;
	my @left = @c;
	my $gave_up = 0;
	while (@left)
	{
		my @still;
		foreach my $c (@left)
		{
			my $alive = eval { $c->{h}->pump_nb; $c->{h}->pumpable };
			if (!defined $alive)
			{
				diag "$c->{name}: $@";
				$c->{h}->kill_kill;
				$c->{rc} = 'killed';
			}
			elsif ($alive)
			{
				push @still, $c;
				next;
			}
			else
			{
				# result: the first non-zero exit status, false if none
				$c->{rc} = eval { $c->{h}->finish; $c->{h}->result || 0 } // 'lost';
			}
			if ($c->{rc} ne '0' && !$gave_up)
			{
				$node->safe_psql('postgres',
					"INSERT INTO give_up VALUES ('$c->{name} failed')");
				$gave_up = 1;
			}
		}
		@left = @still;
		usleep(200_000) if @left;
	}
	foreach my $c (@c)
	{
		is($c->{rc}, '0', "$c->{name} finished without error")
		  or diag "$c->{name} stderr: $c->{err}";
	}
}

# The checks of the logs of run $run, group $grp (undef: a queue), whose
# producers sent $n messages; $acts: whether its consumers nacked and let
# leases expire.
sub check_run
{
	my ($run, $grp, $n, $acts) = @_;
	my $g = defined $grp ? "= '$grp'" : 'IS NULL';
	my $who = $run . (defined $grp ? " $grp" : '');
	# the deliveries, each with the end of its lease: its accepted delete
	# or nack, or else its vt
	my $d = "(SELECT *, CASE WHEN act IN ('delete', 'nack') AND ok THEN least(act_at, vt)
							 ELSE vt END AS end_at
				FROM deliveries WHERE run = '$run' AND grp $g)";
	# the accepted deletes (acks), when they returned
	my $e = "(SELECT msg_id, read_ct, act_at AS at FROM deliveries
			   WHERE run = '$run' AND grp $g AND act = 'delete' AND ok
			  UNION ALL
			  SELECT msg_id, read_ct, at FROM late WHERE run = '$run' AND grp $g AND ok)";

	my ($first, $bad_order) = split /\|/, sql(
		"SELECT count(*), count(*) FILTER (WHERE n <> seq) FROM (
		   SELECT seq, row_number() OVER (PARTITION BY k ORDER BY read_at) AS n
			 FROM $d x WHERE read_ct = 1) y");
	is($first, $n, "$who: $n first deliveries (read_ct 1)");
	is($bad_order, 0, "$who: per key, the first deliveries came exactly in send order");

	my ($pairs, $overlaps) = split /\|/, sql(
		"SELECT count(prev_end), count(*) FILTER (WHERE read_at < prev_end) FROM (
		   SELECT read_at, max(end_at) OVER (PARTITION BY k ORDER BY read_at
											 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
					AS prev_end
			 FROM $d x) y");
	is($overlaps, 0,
		"$who: no delivery of a key began before every earlier one of the key had ended");
	ok($pairs > 0, "$who: the overlap check compared $pairs deliveries with earlier ones");

	my ($behind, $early) = split /\|/, sql(
		"SELECT count(*), count(*) FILTER (WHERE x.read_at < e.at)
		   FROM $d x
		   JOIN sent s ON s.run = '$run' AND s.k = x.k AND s.seq = x.seq - 1
		   JOIN $e e ON e.msg_id = s.msg_id");
	is($early, 0,
		"$who: no message was delivered before the previous one of its key was deleted");
	ok($behind > 0, "$who: that check saw $behind deliveries");

	is( sql(
			"SELECT count(*) FROM (SELECT msg_id FROM sent WHERE run = '$run') s
			   FULL JOIN (SELECT msg_id, count(*) AS c FROM $e e GROUP BY msg_id) e
			  USING (msg_id)
			  WHERE s.msg_id IS NULL OR e.c IS DISTINCT FROM 1"),
		0,
		"$who: every message sent was deleted exactly once, and nothing else");
	is( sql(
			"SELECT count(*) FROM $d x
			  WHERE NOT EXISTS (SELECT 1 FROM sent s WHERE s.run = '$run'
								   AND s.msg_id = x.msg_id AND (s.k, s.seq) = (x.k, x.seq))"),
		0,
		"$who: every delivery is of a message sent, with its payload");
	is( sql(
			"SELECT count(*) FROM (
			   SELECT msg_id, count(*) AS c, count(DISTINCT read_ct) AS dc,
					  min(read_ct) AS lo, max(read_ct) AS hi
				 FROM $d x GROUP BY msg_id) y
			  WHERE c <> dc OR lo <> 1 OR hi <> c"),
		0,
		"$who: the deliveries of each message have read_ct 1, 2, ... n");
	is( sql(
			"SELECT count(*) FROM $e e
			  WHERE e.read_ct <> (SELECT max(read_ct) FROM $d x WHERE x.msg_id = e.msg_id)"),
		0,
		"$who: every accepted delete was by the last delivery of its message");
	is( sql(
			"SELECT count(*) FROM (
			   SELECT msg_id, read_ct, act_at AS at, vt FROM $d x
				WHERE act IN ('delete', 'nack') AND NOT ok
			   UNION ALL
			   SELECT msg_id, read_ct, at, vt FROM late
				WHERE run = '$run' AND grp $g AND NOT ok) r
			  WHERE r.at <= r.vt
				 OR NOT EXISTS (SELECT 1 FROM $d x
								 WHERE x.msg_id = r.msg_id AND x.read_ct > r.read_ct)"),
		0,
		"$who: a delete or nack was refused only after its lease ended and the message "
		  . "was delivered again");

	my ($deliveries, $expired, $nack0, $nack50, $refused, $late_ok, $late_no) =
	  split /\|/, sql(
		"SELECT count(*),
				count(*) FILTER (WHERE act = 'expire'),
				count(*) FILTER (WHERE act = 'nack' AND ok AND nack_delay = '0'),
				count(*) FILTER (WHERE act = 'nack' AND ok AND nack_delay = '50 ms'),
				count(*) FILTER (WHERE act IN ('delete', 'nack') AND NOT ok),
				(SELECT count(*) FILTER (WHERE ok) FROM late WHERE run = '$run' AND grp $g),
				(SELECT count(*) FILTER (WHERE NOT ok) FROM late WHERE run = '$run' AND grp $g)
		   FROM $d x");
	note "$who: $deliveries deliveries of $n messages: $expired leases let expire, "
	  . "$nack0 + $nack50 nacks (0, 50 ms), $refused deletes or nacks refused, "
	  . "late deletes $late_ok accepted and $late_no refused";
	if ($acts)
	{
		ok($expired > 0 && $nack0 > 0 && $nack50 > 0 && $late_ok + $late_no > 0,
			"$who: leases expired, nacks of both kinds and late deletes happened");
	}
	else
	{
		is($deliveries, $n, "$who: each message was delivered once");
	}
}

# what the producers of run $run sent: $n messages, each with its msg_id,
# in msg_id order within each key
sub check_sent
{
	my ($run, $n) = @_;
	is( sql(
			"SELECT count(*) || ' ' || count(DISTINCT msg_id) || ' ' || count(DISTINCT (k, seq))
			   FROM sent WHERE run = '$run'"),
		"$n $n $n",
		"$run: $n messages sent, each with its own msg_id");
	is( sql(
			"SELECT count(*) FROM (
			   SELECT msg_id, lag(msg_id) OVER (PARTITION BY k ORDER BY seq) AS prev
				 FROM sent WHERE run = '$run') x
			  WHERE msg_id < prev"),
		0,
		"$run: within each key, msg_id order is send order");
}

#
# 1. A queue: 4 producers, 4 consumers, 1,000 keys, 200,000 messages.
#
my ($nkeys, $per_key) = (1000, 200);
my $total = $nkeys * $per_key;
sql("SELECT pgmq_c.create_queue('oq')");
my $oq = qid('oq');
my $t0 = time;
my @clients;
push @clients, start_call("queue producer $_",
	"CALL produce('queue', 'oq', $_, 4, $nkeys, $per_key, 100)")
  for 1 .. 4;
push @clients,
  start_call("queue consumer $_",
	"CALL consume('queue', 'oq', NULL, $_, '2 seconds', 50, 0.005, 0.02, 0.5, 4, '15 minutes')")
  for 1 .. 4;
wait_clients(@clients);
note sprintf("queue: %d messages over %d keys in %.1f s", $total, $nkeys, time - $t0);
sql('ANALYZE');

check_sent('queue', $total);
check_run('queue', undef, $total, 1);
is( sql(
		"SELECT (SELECT count(*) FROM pgmq_c.q_$oq) || ' ' || (SELECT count(*) FROM pgmq_c.p_$oq)
		   || ' ' || (SELECT count(*) FROM pgmq_c.d_$oq) || ' ' || (SELECT count(*) FROM pgmq_c.k_$oq)"),
	'0 0 0 0',
	'queue: no message, pending message or key left');

#
# 2. A topic with 3 groups of 2 consumers: 20,000 messages over 200 keys.
#
my ($tkeys, $tper_key) = (200, 100);
my $ttotal = $tkeys * $tper_key;
sql(q{
SELECT pgmq_c.create_topic('ot');
SELECT pgmq_c.create_group('ot', 'g1', 'earliest');
SELECT pgmq_c.create_group('ot', 'g2', 'earliest');
SELECT pgmq_c.create_group('ot', 'g3', 'earliest');
});
# per group: lease, share of leases let expire, of nacks (g1's lease is
# long: it must never expire)
my %policy = (
	g1 => [ '30 seconds', 0, 0 ],
	g2 => [ '2 seconds', 0.02, 0.2 ],
	g3 => [ '2 seconds', 0.005, 0.02 ]);
$t0 = time;
@clients = ();
push @clients, start_call("topic producer $_",
	"CALL produce('topic', 'ot', $_, 4, $tkeys, $tper_key, 100)")
  for 1 .. 4;
foreach my $grp ('g1', 'g2', 'g3')
{
	my ($vt, $expire, $nack) = @{ $policy{$grp} };
	push @clients,
	  start_call("topic $grp consumer $_",
		"CALL consume('topic', 'ot', '$grp', $_, '$vt', 20, $expire, $nack, 0.5, 4,
					  '15 minutes')")
	  for 1 .. 2;
}
wait_clients(@clients);
note sprintf("topic: %d messages over %d keys, 3 groups, in %.1f s",
	$ttotal, $tkeys, time - $t0);
sql('ANALYZE');

check_sent('topic', $ttotal);
check_run('topic', 'g1', $ttotal, 0);
check_run('topic', 'g2', $ttotal, 1);
check_run('topic', 'g3', $ttotal, 1);
is( sql(
		"SELECT string_agg(group_name || ' ' || lag || ' ' || in_flight, ', ' ORDER BY group_name)
		   FROM pgmq_c.list_groups('ot')"),
	'g1 0 0, g2 0 0, g3 0 0',
	'topic: no group has anything left');

#
# 3. Deduplication: every message sent twice, by two producers racing.
#
$node->safe_psql(
	'postgres', q{
-- one row per send of a message, in the transaction of the send
CREATE TABLE dsent (who int, id text, msg_id bigint, at timestamptz);
-- one row per message consumed, in the transaction of the delete
CREATE TABLE ddone (consumer int, msg_id bigint, id text, at timestamptz);
-- the sends of every id after all were consumed
CREATE TABLE dagain (id text, msg_id bigint);
CREATE INDEX ON dsent (msg_id);

-- Producer a_p sends messages 'm<owner>-<i>' (dedup_id the same, ordering
-- key 'dk<owner>-<i % 20>'), i = 1 .. a_n, a_per_txn per send_batch and
-- transaction: batch b of its own (owner a_p), then batch b of its
-- neighbour's (owner a_p % a_np + 1), which the neighbour sends at about
-- the same time.
CREATE PROCEDURE dproduce(a_q text, a_p int, a_np int, a_n int, a_per_txn int)
LANGUAGE plpgsql AS $$
DECLARE
	first int := 1;
	last int;
	owner int;
BEGIN
	WHILE first <= a_n LOOP
		EXIT WHEN EXISTS (SELECT 1 FROM give_up);
		last := least(first + a_per_txn - 1, a_n);
		FOREACH owner IN ARRAY ARRAY[a_p, a_p % a_np + 1] LOOP
			INSERT INTO dsent
			SELECT a_p, 'm' || owner || '-' || (first + b.o - 1), b.msg_id, clock_timestamp()
			  FROM pgmq_c.send_batch(a_q,
					ARRAY(SELECT jsonb_build_object('id', 'm' || owner || '-' || g)
							FROM generate_series(first, last) g ORDER BY g),
					ordering_keys => ARRAY(SELECT 'dk' || owner || '-' || g % 20
											 FROM generate_series(first, last) g ORDER BY g),
					dedup_ids => ARRAY(SELECT 'm' || owner || '-' || g
										 FROM generate_series(first, last) g ORDER BY g))
				   WITH ORDINALITY AS b(msg_id, o);
			COMMIT;
		END LOOP;
		first := last + 1;
	END LOOP;
	INSERT INTO finished VALUES ('dedup', 'producer ' || a_p);
	COMMIT;
END $$;

-- read up to 50 messages, delete them with their receipts and log those
-- deleted, in the transaction of the delete; stop once a_need producers
-- are done and the queue is empty
CREATE PROCEDURE dconsume(a_q text, a_c int, a_need int, a_limit interval)
LANGUAGE plpgsql AS $$
DECLARE
	msgs pgmq_c.message[];
	ids bigint[];
	cts int[];
	gone bigint[];
	t0 timestamptz := clock_timestamp();
BEGIN
	LOOP
		msgs := ARRAY(SELECT x FROM pgmq_c.read(a_q, '30 seconds', 50, '100 ms') x);
		COMMIT;
		IF cardinality(msgs) = 0 THEN
			EXIT WHEN EXISTS (SELECT 1 FROM give_up);
			EXIT WHEN clock_timestamp() > t0 + a_limit;
			EXIT WHEN (SELECT count(DISTINCT who) FROM finished WHERE run = 'dedup') >= a_need
				  AND (SELECT queue_length = 0 FROM pgmq_c.metrics(a_q));
			CONTINUE;
		END IF;
		SELECT array_agg(u.msg_id), array_agg(u.read_ct) INTO ids, cts FROM unnest(msgs) u;
		gone := ARRAY(SELECT pgmq_c.delete(a_q, ids, cts));
		INSERT INTO ddone
		SELECT a_c, u.msg_id, u.message->>'id', clock_timestamp()
		  FROM unnest(msgs) u WHERE u.msg_id = ANY (gone);
		COMMIT;
	END LOOP;
END $$;
});

my $per_producer = 10_000;
my $distinct = 4 * $per_producer;
sql("SELECT pgmq_c.create_queue('dq', dedup_window => '1 hour')");
my $dq = qid('dq');
$t0 = time;
@clients = ();
push @clients, start_call("dedup producer $_", "CALL dproduce('dq', $_, 4, $per_producer, 100)")
  for 1 .. 4;
push @clients, start_call("dedup consumer $_", "CALL dconsume('dq', $_, 4, '15 minutes')")
  for 1 .. 2;
wait_clients(@clients);
note sprintf("dedup: %d ids sent twice in %.1f s", $distinct, time - $t0);

is( sql("SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || count(DISTINCT msg_id) FROM dsent"),
	2 * $distinct . " $distinct $distinct",
	"dedup: $distinct ids sent twice each, $distinct distinct msg_ids returned");
is( sql(
		"SELECT count(*) FROM (SELECT id FROM dsent GROUP BY id
								HAVING count(*) <> 2 OR count(DISTINCT msg_id) <> 1) x"),
	0,
	'dedup: both sends of each id returned the same msg_id');
is( sql(
		"SELECT count(*) FROM (SELECT msg_id FROM dsent GROUP BY msg_id
								HAVING count(DISTINCT id) <> 1) x"),
	0,
	'dedup: no two ids share a msg_id');
is( sql(
		"SELECT count(*) || ' ' || count(DISTINCT msg_id) || ' '
				|| (SELECT queue_length FROM pgmq_c.metrics('dq'))
		   FROM ddone"),
	"$distinct $distinct 0",
	'dedup: consumed + left in the queue = the number of distinct ids, each consumed once');
is( sql(
		"SELECT count(*) FROM ddone d
		  WHERE NOT EXISTS (SELECT 1 FROM dsent s WHERE s.msg_id = d.msg_id AND s.id = d.id)"),
	0,
	'dedup: every message consumed carries the id that its msg_id was returned for');
is( sql(
		"SELECT count(*) || ' ' || count(DISTINCT dedup_id) FROM pgmq_c.dedup_ids
		  WHERE queue_id = $dq"),
	"$distinct $distinct",
	'dedup: each id remembered once');
my ($stored_by_neighbour, $after_consumed) = split /\|/, sql(
	"SELECT (SELECT count(*) FROM (
			   SELECT DISTINCT ON (id) id, who FROM dsent ORDER BY id, at) f
			  WHERE f.who::text <> substring(f.id FROM '^m([0-9]+)-')),
			(SELECT count(*) FROM dsent s JOIN ddone d USING (msg_id) WHERE s.at > d.at)");
note "dedup: $stored_by_neighbour ids sent first by the neighbour, "
  . "$after_consumed second sends after the message was consumed";

# every id once more, now that all were consumed: nothing is stored
sql(q{
DO $$
DECLARE
	ids text[];
BEGIN
	FOR c IN 0 .. 1000 LOOP
		ids := ARRAY(SELECT DISTINCT id FROM dsent ORDER BY id OFFSET c * 1000 LIMIT 1000);
		EXIT WHEN cardinality(ids) = 0;
		INSERT INTO dagain
		SELECT ids[b.o], b.msg_id
		  FROM pgmq_c.send_batch('dq', ARRAY(SELECT '{"again": true}'::jsonb FROM unnest(ids)),
				ordering_keys => ARRAY(SELECT 'again' FROM unnest(ids)),
				dedup_ids => ids) WITH ORDINALITY AS b(msg_id, o);
		-- a send holds a lock per dedup_id to its commit
		COMMIT;
	END LOOP;
END $$});
is( sql(
		"SELECT count(*), count(*) FILTER (WHERE a.msg_id IS DISTINCT FROM s.msg_id)
		   FROM dagain a LEFT JOIN (SELECT DISTINCT id, msg_id FROM dsent) s USING (id)"),
	"$distinct|0",
	'dedup: sending every id again after it was consumed returns its first msg_id');
is( sql(
		"SELECT (SELECT count(*) FROM pgmq_c.q_$dq) + (SELECT count(*) FROM pgmq_c.p_$dq)
			  + (SELECT count(*) FROM pgmq_c.d_$dq) || ' ' || (SELECT count(*) FROM pgmq_c.k_$dq)
			  || ' ' || (SELECT count(*) FROM pgmq_c.dedup_ids WHERE queue_id = $dq)"),
	"0 0 $distinct",
	'dedup: ... and stores nothing: no message, no key, no new id');

#
# 3b. Across an immediate stop.
#
sql(q{
SELECT pgmq_c.create_queue('cq');
SELECT pgmq_c.create_topic('ct');
SELECT pgmq_c.create_group('ct', 'cg', 'earliest');
});
my $cq = qid('cq');
# 100 messages with ids c1..c100, keys ck0..ck4, committed; 50 to the topic
my $sent_q = sql(q{
SELECT string_agg(x::text, ',' ORDER BY o)
  FROM pgmq_c.send_batch('cq',
		ARRAY(SELECT jsonb_build_object('i', g) FROM generate_series(1, 100) g),
		ordering_keys => ARRAY(SELECT 'ck' || g % 5 FROM generate_series(1, 100) g),
		dedup_ids => ARRAY(SELECT 'c' || g FROM generate_series(1, 100) g))
	   WITH ORDINALITY AS b(x, o)});
my $sent_t = sql(q{
SELECT string_agg(x::text, ',' ORDER BY o)
  FROM pgmq_c.send_batch('ct',
		ARRAY(SELECT jsonb_build_object('i', g) FROM generate_series(1, 50) g),
		ordering_keys => ARRAY(SELECT 'tk' || g % 5 FROM generate_series(1, 50) g),
		dedup_ids => ARRAY(SELECT 't' || g FROM generate_series(1, 50) g))
	   WITH ORDINALITY AS b(x, o)});
my @sent_q = split /,/, $sent_q;
is(scalar(@sent_q), 100, 'crash: 100 messages sent to cq with ids');

# a transaction open at the stop that sent ids open-q and open-t, key ck0
my $open = $node->background_psql('postgres');
$open->query_safe('BEGIN');
my $open_q = $open->query_safe(
	q{SELECT pgmq_c.send('cq', '{"open": 1}', ordering_key => 'ck0', dedup_id => 'open-q')});
$open->query_safe(
	q{SELECT pgmq_c.send('ct', '{"open": 1}', ordering_key => 'tk0', dedup_id => 'open-t')});
ok($open_q > 0, 'crash: the open transaction sent open-q');

$node->stop('immediate');
eval { $open->quit; };
$node->start;

my $resend_q = q{
SELECT string_agg(x::text, ',' ORDER BY o)
  FROM pgmq_c.send_batch('cq',
		ARRAY(SELECT jsonb_build_object('i', g, 'again', true) FROM generate_series(1, 100) g),
		ordering_keys => ARRAY(SELECT 'ck' || g % 5 FROM generate_series(1, 100) g),
		dedup_ids => ARRAY(SELECT 'c' || g FROM generate_series(1, 100) g))
	   WITH ORDINALITY AS b(x, o)};
is(sql($resend_q), $sent_q, 'crash: resending c1..c100 after the stop returns the same msg_ids');
is( sql(q{
SELECT string_agg(x::text, ',' ORDER BY o)
  FROM pgmq_c.send_batch('ct',
		ARRAY(SELECT jsonb_build_object('i', g, 'again', true) FROM generate_series(1, 50) g),
		ordering_keys => ARRAY(SELECT 'tk' || g % 5 FROM generate_series(1, 50) g),
		dedup_ids => ARRAY(SELECT 't' || g FROM generate_series(1, 50) g))
	   WITH ORDINALITY AS b(x, o)}),
	$sent_t,
	'crash: resending t1..t50 to the topic returns the same msg_ids');
is( sql(
		"SELECT (SELECT count(*) FROM pgmq_c.q_$cq) || ' ' || (SELECT count(*) FROM pgmq_c.p_$cq)
			|| ' ' || (SELECT count(*) FROM pgmq_c.q_$cq WHERE message ? 'again')
					+ (SELECT count(*) FROM pgmq_c.p_$cq WHERE message ? 'again')
			|| ' ' || (SELECT string_agg(ordering_key || ':' || messages, ',' ORDER BY ordering_key)
						 FROM pgmq_c.k_$cq);
		 SELECT lag FROM pgmq_c.list_groups('ct')"),
	"5 95 0 ck0:20,ck1:20,ck2:20,ck3:20,ck4:20\n50",
	'crash: nothing new stored: 5 heads, 95 pending, 20 per key in cq; 50 in the topic');

my $new_q = sql(
	q{SELECT pgmq_c.send('cq', '{"open": 2}', ordering_key => 'ck0', dedup_id => 'open-q')});
my $new_t = sql(
	q{SELECT pgmq_c.send('ct', '{"open": 2}', ordering_key => 'tk0', dedup_id => 'open-t')});
is( sql(
		"SELECT (SELECT count(*) FROM pgmq_c.p_$cq WHERE msg_id = $new_q AND message = '{\"open\": 2}')
			|| ' ' || (SELECT messages FROM pgmq_c.k_$cq WHERE ordering_key = 'ck0');
		 SELECT lag FROM pgmq_c.list_groups('ct')"),
	"1 21\n51",
	'crash: the id of the send open at the stop is free: stored anew (cq, ct)');
is( sql(
		q{SELECT pgmq_c.send('cq', '{"open": 3}', ordering_key => 'ck0', dedup_id => 'open-q')
			|| ' ' || pgmq_c.send('ct', '{"open": 3}', ordering_key => 'tk0', dedup_id => 'open-t')}),
	"$new_q $new_t",
	'crash: and now known: sending it again returns that msg_id');

# drain cq in one transaction, heads first, logging the order
is( sql(q{
CREATE TABLE drained (n serial, msg_id bigint, k text, i int);
DO $$
DECLARE
	m pgmq_c.message;
	got int;
BEGIN
	FOR r IN 1 .. 200 LOOP
		got := 0;
		FOR m IN SELECT * FROM pgmq_c.read('cq', '1 hour', 10) LOOP
			INSERT INTO drained (msg_id, k, i)
			VALUES (m.msg_id, m.ordering_key, (m.message->>'i')::int);
			PERFORM pgmq_c.delete('cq', m.msg_id, m.read_ct);
			got := got + 1;
		END LOOP;
		EXIT WHEN got = 0;
	END LOOP;
END $$;
SELECT count(*), count(DISTINCT msg_id) FROM drained}),
	'101|101',
	'crash: cq drained: 101 messages');
is( sql(
		"SELECT string_agg(k || ':' || coalesce(i::text, 'open'), ',' ORDER BY n)
		   FROM drained WHERE k = 'ck0';
		 SELECT count(*) FROM (SELECT i, lag(i) OVER (PARTITION BY k ORDER BY n) AS prev
								 FROM drained WHERE i IS NOT NULL) x WHERE i < prev;
		 SELECT (SELECT count(*) FROM pgmq_c.k_$cq) + (SELECT count(*) FROM pgmq_c.p_$cq)"),
	join(',', map { 'ck0:' . 5 * $_ } 1 .. 20) . ",ck0:open\n0\n0",
	'crash: each key of cq delivered in send order, the new open-q message last; no key left');

$node->stop;
done_testing();
