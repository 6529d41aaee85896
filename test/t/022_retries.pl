# 022_retries.pl: retries, dead-letter queues and redrive under concurrency,
# across a crash, and in the worker.
#
# Producers and consumers are PL/pgSQL procedures created below, each CALLed
# from its own psql process; consumers read in batches of 100.  Good
# consumers log each message they deleted (acked) in the transaction of the
# delete (ack), with its receipt; failing consumers log each delivery they
# got.  A dead letter names its source message in its headers
# (pgmq_c_dead_letter.msg_id), so that at the end every message sent is
# checked to be exactly once either deleted or in the dead-letter queue.
#
# 1. A queue with max_deliveries 3, a retry backoff of 50 ms (at most
#    200 ms) and a dead-letter queue; 100,000 messages; 4 consumers, one of
#    which nacks every message it gets; then the same on another queue with
#    a failing consumer that lets every lease it gets expire.  No message is
#    delivered again before its backoff (less 10 % jitter) has passed.
# 2. The nacking run again, with an immediate stop of the server in the
#    middle (consumers busy on a backlog, a slow producer still sending);
#    the clients are started again after the restart.
# 3. A topic with 3 groups, only one of which fails every message: that
#    group's messages all end in its dead-letter queue, the other two groups
#    ack every message exactly once.
# 4. redrive() of a dead-letter queue, in two sessions at once, while
#    producers send to the queue and consumers consume (and dead-letter):
#    every dead letter moves exactly once.
# 5. Stale receipts after a lease expired: refused by the group forms of
#    ack, set_vt and nack, and by the queue nack.
# 6. The worker moves dead letters nobody reads (queue, queue without a
#    dead-letter queue, group), and removes archived messages past
#    archive_retention.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(time);

my $node = pgmqc_node(
	'retries', conf => q{
max_connections = 40
synchronous_commit = on
});

sub sql { return timed_sql($node, $_[0]); }

# the message table of queue $name
sub qtable
{
	my ($name) = @_;
	my $id = sql("SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = '$name'");
	die "no queue $name" if $id eq '';
	return "pgmq_c.q_$id";
}

$node->safe_psql(
	'postgres', q{
-- what producers sent: one row per message, in the transaction of the send
CREATE TABLE sent (run text, p int, i int, msg_id bigint);
-- producers and redrive sessions that are done, per run
CREATE TABLE finished (run text, who text);
-- a row here makes everybody stop (a client failed)
CREATE TABLE give_up (why text);
-- one row per message a good consumer deleted (queue) or acked (group), in
-- the transaction of the delete; dl: the headers had pgmq_c_dead_letter
CREATE TABLE done (run text, grp text, consumer int, msg_id bigint,
				   read_ct int, read_at timestamptz, lease_end timestamptz,
				   p int, i int, dl boolean);
-- receipts a good consumer's delete or ack refused
CREATE TABLE refused (run text, grp text, consumer int, msg_id bigint,
					  read_ct int);
-- one row per delivery to a failing consumer: when it was read, the end of
-- its lease, when it was nacked (mode 'nack') and what nack returned
CREATE TABLE fails (run text, grp text, consumer int, msg_id bigint,
					read_ct int, read_at timestamptz, lease_end timestamptz,
					nack_at timestamptz, nack_ok boolean, p int, i int);
-- what each redrive() call returned, in its transaction, and whether
-- producers were still sending when it began
CREATE TABLE redrives (run text, session int, moved bigint, sending boolean);
CREATE INDEX ON sent (msg_id);
CREATE INDEX ON done (msg_id);
CREATE INDEX ON fails (msg_id);

-- send messages {"p": p, "i": i} for i in 1..n, per_txn per transaction
-- with send_batch, pausing a_pause seconds after each, going on after the
-- last i this producer has sent (so that it can be started again after a
-- crash)
CREATE PROCEDURE produce(a_run text, a_q text, a_p int, a_n int, a_per_txn int,
						 a_pause float8 DEFAULT 0)
LANGUAGE plpgsql AS $$
DECLARE
	first int;
	last int;
BEGIN
	SELECT coalesce(max(i), 0) + 1 INTO first FROM sent
	 WHERE run = a_run AND p = a_p;
	WHILE first <= a_n LOOP
		EXIT WHEN EXISTS (SELECT 1 FROM give_up);
		last := least(first + a_per_txn - 1, a_n);
		INSERT INTO sent
		SELECT a_run, a_p, first - 1 + ord, x
		  FROM pgmq_c.send_batch(a_q,
				ARRAY(SELECT jsonb_build_object('p', a_p, 'i', g)
						FROM generate_series(first, last) g ORDER BY g))
			   WITH ORDINALITY AS b(x, ord);
		COMMIT;
		PERFORM pg_sleep(a_pause);
		first := last + 1;
	END LOOP;
	INSERT INTO finished SELECT a_run, 'producer ' || a_p
	 WHERE NOT EXISTS (SELECT 1 FROM finished
						WHERE run = a_run AND who = 'producer ' || a_p);
	COMMIT;
END $$;

-- A consumer of queue a_src (a_grp NULL) or of group a_grp of topic a_src,
-- reading up to 100 messages at a time for a_vt:
--   'good'    deletes (acks) them with their receipts in a second
--             transaction, logging those deleted in done, in that
--             transaction
--   'nack'    nacks each with its receipt, no delay (the backoff applies)
--   'expire'  does nothing: the lease expires
-- Stops once a_need producers (and redrive sessions) of the run are done
-- and the queue is empty (the group's lag is 0), or after a_limit.
CREATE PROCEDURE consume(a_run text, a_src text, a_grp text, a_c int,
						 a_mode text, a_vt interval, a_need int,
						 a_limit interval)
LANGUAGE plpgsql AS $$
DECLARE
	msgs pgmq_c.message[];
	m pgmq_c.message;
	ids bigint[];
	cts int[];
	gone bigint[];
	t0 timestamptz := clock_timestamp();
	read_at timestamptz;
	nack_at timestamptz;
	ok boolean;
	qtab text;
	empty boolean;
BEGIN
	IF a_grp IS NULL THEN
		SELECT format('pgmq_c.q_%s', queue_id) INTO qtab
		  FROM pgmq_c.list_queues() WHERE queue_name = a_src;
	END IF;
	LOOP
		IF a_grp IS NULL THEN
			msgs := ARRAY(SELECT r FROM pgmq_c.read(a_src, a_vt, 100, '100 ms') r);
		ELSE
			msgs := ARRAY(SELECT r FROM pgmq_c.read_group(a_src, a_grp, a_vt, 100,
														  '100 ms') r);
		END IF;
		read_at := clock_timestamp();
		IF a_mode = 'expire' THEN
			INSERT INTO fails
			SELECT a_run, a_grp, a_c, u.msg_id, u.read_ct, read_at, u.vt, NULL,
				   NULL, (u.message->>'p')::int, (u.message->>'i')::int
			  FROM unnest(msgs) u;
		END IF;
		COMMIT;

		IF cardinality(msgs) = 0 THEN
			EXIT WHEN EXISTS (SELECT 1 FROM give_up);
			EXIT WHEN clock_timestamp() > t0 + a_limit;
			IF (SELECT count(DISTINCT who) FROM finished WHERE run = a_run) >= a_need THEN
				IF a_grp IS NULL THEN
					EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %s)', qtab)
					   INTO empty;
				ELSE
					SELECT lag = 0 AND lag_is_exact INTO empty
					  FROM pgmq_c.list_groups(a_src) WHERE group_name = a_grp;
				END IF;
				EXIT WHEN empty;
			END IF;
			CONTINUE;
		END IF;

		IF a_mode = 'good' THEN
			SELECT array_agg(u.msg_id), array_agg(u.read_ct) INTO ids, cts
			  FROM unnest(msgs) u;
			IF a_grp IS NULL THEN
				gone := ARRAY(SELECT pgmq_c.delete(a_src, ids, cts));
			ELSE
				gone := ARRAY(SELECT pgmq_c.ack(a_src, a_grp, ids, cts));
			END IF;
			INSERT INTO done
			SELECT a_run, a_grp, a_c, u.msg_id, u.read_ct, read_at, u.vt,
				   (u.message->>'p')::int, (u.message->>'i')::int,
				   u.headers ? 'pgmq_c_dead_letter'
			  FROM unnest(msgs) u WHERE u.msg_id = ANY (gone);
			INSERT INTO refused
			SELECT a_run, a_grp, a_c, u.msg_id, u.read_ct
			  FROM unnest(msgs) u WHERE u.msg_id <> ALL (gone);
		ELSIF a_mode = 'nack' THEN
			FOREACH m IN ARRAY msgs LOOP
				nack_at := clock_timestamp();
				IF a_grp IS NULL THEN
					ok := pgmq_c.nack(a_src, m.msg_id, NULL, m.read_ct,
									  'consumer ' || a_c || ' failed');
				ELSE
					ok := pgmq_c.nack(a_src, a_grp, m.msg_id, NULL, m.read_ct,
									  'consumer ' || a_c || ' failed');
				END IF;
				INSERT INTO fails VALUES (a_run, a_grp, a_c, m.msg_id, m.read_ct,
					read_at, m.vt, nack_at, ok, (m.message->>'p')::int,
					(m.message->>'i')::int);
			END LOOP;
		END IF;
		COMMIT;
	END LOOP;
END $$;

-- redrive a_dlq a_rounds times, a_pause apart, logging what each call
-- moved in its transaction, and whether fewer than a_nprod producers of
-- the run were done when it began
CREATE PROCEDURE redrive_rounds(a_run text, a_dlq text, a_s int, a_rounds int,
								a_pause float8, a_nprod int)
LANGUAGE plpgsql AS $$
DECLARE
	sending boolean;
BEGIN
	FOR k IN 1 .. a_rounds LOOP
		EXIT WHEN EXISTS (SELECT 1 FROM give_up);
		sending := (SELECT count(DISTINCT who) FROM finished
					 WHERE run = a_run AND who LIKE 'producer %') < a_nprod;
		INSERT INTO redrives VALUES (a_run, a_s, pgmq_c.redrive(a_dlq), sending);
		COMMIT;
		PERFORM pg_sleep(a_pause);
	END LOOP;
	INSERT INTO finished VALUES (a_run, 'redrive ' || a_s);
	COMMIT;
END $$;
});

my $limit = q{'8 minutes'};

sub start_call
{
	my ($name, $sql) = @_;
	return start_psql($node, name => $name, sql => [$sql],
		timeout => 3 * $PostgreSQL::Test::Utils::timeout_default);
}

# the clients of a queue run: three good consumers, a failing one of mode
# $fail (lease $fail_vt), and a producer sending 500 messages per
# transaction; with $slow, two producers, one sending half the messages at
# once and the other the rest, pausing 50 ms after each transaction
sub start_queue_run
{
	my ($run, $q, $n, $fail, $fail_vt, $slow) = @_;
	my @c;
	my $need = $slow ? 2 : 1;
	if ($slow)
	{
		push @c, start_call("$run producer 1",
			"CALL produce('$run', '$q', 1, $n / 2, 500)");
		push @c, start_call("$run producer 2",
			"CALL produce('$run', '$q', 2, $n / 2, 500, 0.05)");
	}
	else
	{
		push @c, start_call("$run producer",
			"CALL produce('$run', '$q', 1, $n, 500)");
	}
	for my $c (1 .. 3)
	{
		push @c,
		  start_call("$run consumer $c",
			"CALL consume('$run', '$q', NULL, $c, 'good', '10 seconds', $need, $limit)");
	}
	push @c,
	  start_call("$run consumer 4 ($fail)",
		"CALL consume('$run', '$q', NULL, 4, '$fail', '$fail_vt', $need, $limit)");
	return @c;
}

# Every message of run $run (sent to $q, $n of them) is exactly once either
# deleted or in the dead-letter queue $dlq.
sub check_exactly_once
{
	my ($run, $q, $dlq, $n) = @_;
	my $dlt = qtable($dlq);
	my $dl = "(SELECT (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint AS msg_id,
					  headers->'pgmq_c_dead_letter' AS h, message
				 FROM $dlt)";
	is(sql("SELECT count(*) || ' ' || count(DISTINCT msg_id) FROM sent WHERE run = '$run'"),
		"$n $n", "$run: $n messages sent, each with its own msg_id");
	is(sql("SELECT count(*) FROM " . qtable($q)),
		0, "$run: the queue is empty at the end");
	is( sql(
			"SELECT count(*) FROM (SELECT msg_id FROM done WHERE run = '$run'
									GROUP BY msg_id HAVING count(*) > 1) d"),
		0,
		"$run: no message deleted twice");
	is(sql("SELECT count(*) FROM $dl d WHERE d.msg_id IS NULL"),
		0, "$run: every dead letter names its message");
	is( sql(
			"SELECT count(*) FROM (SELECT msg_id FROM $dl d GROUP BY msg_id
									HAVING count(*) > 1) d"),
		0,
		"$run: no message in the dead-letter queue twice");
	is( sql(
			"SELECT count(*) FROM done d JOIN $dl l USING (msg_id)
			  WHERE d.run = '$run'"),
		0,
		"$run: no message both deleted and in the dead-letter queue");
	is( sql(
			"SELECT count(*) FROM sent s WHERE s.run = '$run'
				AND NOT EXISTS (SELECT 1 FROM done d
								 WHERE d.run = '$run' AND d.msg_id = s.msg_id)
				AND NOT EXISTS (SELECT 1 FROM $dl l WHERE l.msg_id = s.msg_id)"),
		0,
		"$run: every message sent was deleted or is in the dead-letter queue");
	is( sql(
			"SELECT count(*) FROM done d WHERE d.run = '$run'
				AND NOT EXISTS (SELECT 1 FROM sent s
								 WHERE s.run = '$run' AND s.msg_id = d.msg_id
								   AND (s.p, s.i) = (d.p, d.i))"),
		0,
		"$run: every deletion is of a message sent, with its payload");
	is( sql(
			"SELECT count(*) FROM $dl l
			  WHERE NOT EXISTS (SELECT 1 FROM sent s
								 WHERE s.run = '$run' AND s.msg_id = l.msg_id
								   AND jsonb_build_object('p', s.p, 'i', s.i) = l.message)"),
		0,
		"$run: every dead letter is a message sent, with its payload");
	is( sql(
			"SELECT count(*) FROM $dl l
			  WHERE l.h->>'queue' IS DISTINCT FROM '$q' OR l.h ? 'topic'
				 OR (l.h->>'read_ct')::int IS DISTINCT FROM 3
				 OR l.h->>'enqueued_at' IS NULL OR l.h->>'dead_lettered_at' IS NULL"),
		0,
		"$run: every dead letter names queue $q and read_ct 3");
	my ($deleted, $dead) = split /\|/,
	  sql("SELECT (SELECT count(*) FROM done WHERE run = '$run'),
				  (SELECT count(*) FROM $dl l)");
	note "$run: $deleted deleted, $dead dead letters; "
	  . sql("SELECT count(*) FROM refused WHERE run = '$run'")
	  . " deletes refused";
	ok($deleted > $n / 2 && $dead > 0,
		"$run: the good consumers deleted most, some went to the dead-letter queue ($deleted, $dead)");
	return $dl;
}


# No redelivery of run $run (group $grp) came before the backoff after the
# delivery before it ended: 50 ms * 2^(read_ct - 1), less 10 % of jitter,
# from the nack (nack_at is taken before the nack, read_at after the read)
# or from the end of the lease that expired.
sub check_backoff
{
	my ($run, $grp) = @_;
	my $g = defined $grp ? "= '$grp'" : 'IS NULL';
	my ($pairs, $early) = split /\|/, sql(
		"SELECT count(*), count(*) FILTER (WHERE b.read_at <
					CASE WHEN a.nack_ok THEN a.nack_at ELSE a.lease_end END
					+ 0.9 * interval '50 ms' * 2 ^ (a.read_ct - 1))
		   FROM fails a
		   JOIN (SELECT grp, msg_id, read_ct, read_at FROM fails WHERE run = '$run'
				 UNION ALL
				 SELECT grp, msg_id, read_ct, read_at FROM done WHERE run = '$run') b
			 ON b.grp IS NOT DISTINCT FROM a.grp AND b.msg_id = a.msg_id
			AND b.read_ct = a.read_ct + 1
		  WHERE a.run = '$run' AND a.grp $g");
	my $who = $run . (defined $grp ? " $grp" : '');
	is($early, 0, "$who: no message was delivered again before its backoff ended");
	ok($pairs > 0, "$who: the backoff check saw redeliveries ($pairs)");
}

# Without a crash, every delivery is logged: each dead letter of run $run
# was delivered to a failing consumer with read_ct 1, 2 and 3, and each
# message deleted was delivered once more than it failed.
sub check_deliveries
{
	my ($run, $dl) = @_;
	is( sql(
			"SELECT count(*) FROM $dl l
			  WHERE (SELECT array_agg(f.read_ct ORDER BY f.read_ct)
					   FROM fails f WHERE f.run = '$run' AND f.msg_id = l.msg_id)
					IS DISTINCT FROM '{1,2,3}'"),
		0,
		"$run: each dead letter was delivered to the failing consumer with read_ct 1, 2, 3");
	is( sql(
			"SELECT count(*) FROM done d
			  WHERE d.run = '$run'
				AND d.read_ct IS DISTINCT FROM 1 +
					(SELECT count(*) FROM fails f WHERE f.run = '$run' AND f.msg_id = d.msg_id)"),
		0,
		"$run: each message deleted was read once more than it failed");
}

#
# 1. One consumer of four nacks every message it gets (no delay: the
#    backoff applies); then one lets every lease it gets expire.
#
my $total = 100_000;
sql(q{
SELECT pgmq_c.create_queue('a_dlq');
SELECT pgmq_c.create_queue('a', max_deliveries => 3, dead_letter_queue => 'a_dlq',
						   retry_backoff => '50 ms', retry_backoff_max => '200 ms');
SELECT pgmq_c.create_queue('b_dlq');
SELECT pgmq_c.create_queue('b', max_deliveries => 3, dead_letter_queue => 'b_dlq',
						   retry_backoff => '50 ms', retry_backoff_max => '200 ms');
SELECT pgmq_c.create_queue('c_dlq');
SELECT pgmq_c.create_queue('c', max_deliveries => 3, dead_letter_queue => 'c_dlq',
						   retry_backoff => '50 ms', retry_backoff_max => '200 ms');
});
is( sql(
		"SELECT max_deliveries, dead_letter_queue, retry_backoff, retry_backoff_max
		   FROM pgmq_c.list_queues() WHERE queue_name = 'a'"),
	'3|a_dlq|00:00:00.05|00:00:00.2',
	'queue a: the retry policy as created');

my %runs = (nack => [ 'a', 'nack', '30 seconds' ], expire => [ 'b', 'expire', '300 ms' ]);
foreach my $run ('nack', 'expire')
{
	my ($q, $mode, $vt) = @{ $runs{$run} };
	my $t0 = time;
	my @clients = start_queue_run($run, $q, $total, $mode, $vt);
	sql("INSERT INTO give_up VALUES ('a client failed')")
	  unless finish_all(@clients);
	note sprintf("run $run: %.1f s", time - $t0);
	sql('ANALYZE');

	my $dl = check_exactly_once($run, $q, "${q}_dlq", $total);
	check_deliveries($run, $dl);
	check_backoff($run, undef);
	if ($mode eq 'nack')
	{
		is(sql("SELECT count(*) FROM fails WHERE run = '$run' AND NOT nack_ok"),
			0, "$run: every nack with the current receipt was accepted");
		is( sql(
				"SELECT count(*) FROM $dl l
				  WHERE l.h->>'reason' IS DISTINCT FROM 'consumer 4 failed'"),
			0,
			"$run: each dead letter carries the reason of its last nack");
	}
	else
	{
		is(sql("SELECT count(*) FROM $dl l WHERE l.h ? 'reason' AND l.h->>'reason' IS NOT NULL"),
			0, "$run: the dead letters, never nacked, have no reason");
	}
}

#
# 2. The same (the failing consumer nacks, its leases last 2 s) with an
#    immediate stop of the server in the middle of the run, while the
#    consumers work through a backlog and a slow producer still sends.
#    Everything logged was logged in the transaction of what it logs, so a
#    delete or dead-lettering that did not commit is not counted; what was
#    read in such a transaction is delivered again.
#
{
	my $run = 'crash';
	my $t0 = time;
	my @clients = start_queue_run($run, 'c', $total, 'nack', '2 seconds', 1);
	ok( $node->poll_query_until(
			'postgres',
			"SELECT (SELECT count(*) FROM done WHERE run = '$run') > $total / 3
				AND (SELECT count(*) FROM " . qtable('c_dlq') . ") > 0"),
		'crash: a third of the messages deleted, dead letters sent');
	$node->stop('immediate');
	end_clients(@clients);
	$node->start;
	my ($sent, $deleted, $held) = split /\|/, sql(
		"SELECT (SELECT count(*) FROM sent WHERE run = '$run'),
				(SELECT count(*) FROM done WHERE run = '$run'),
				(SELECT count(*) FROM " . qtable('c') . " WHERE vt > clock_timestamp())");
	note "crash: $sent sent and $deleted deleted before the stop, "
	  . "$held messages leased or backing off";
	ok($sent < $total, 'crash: the stop came before the producers were done');
	@clients = start_queue_run($run, 'c', $total, 'nack', '2 seconds', 1);
	sql("INSERT INTO give_up VALUES ('a client failed')")
	  unless finish_all(@clients);
	note sprintf("run $run: %.1f s", time - $t0);
	sql('ANALYZE');

	my $dl = check_exactly_once($run, 'c', 'c_dlq', $total);
	check_backoff($run, undef);
	is( sql(
			"SELECT count(*) FROM $dl l
			  WHERE l.h->>'reason' IS DISTINCT FROM 'consumer 4 failed'"),
		0,
		"$run: each dead letter carries the reason of a nack (at most one of its deliveries was cut short)");
}

#
# 3. A topic with 3 groups, of which only g_fail fails every message (one
#    consumer nacks, the other lets its leases expire).  g_ok1 has the same
#    retry policy as g_fail, g_ok2 none; each has two good consumers.
#
my $ntopic = 20_000;
sql(q{
SELECT pgmq_c.create_queue('tp_dlq_fail');
SELECT pgmq_c.create_queue('tp_dlq_ok');
SELECT pgmq_c.create_topic('tp');
SELECT pgmq_c.create_group('tp', 'g_fail', 'earliest', max_deliveries => 3,
						   dead_letter_queue => 'tp_dlq_fail',
						   retry_backoff => '50 ms', retry_backoff_max => '200 ms');
SELECT pgmq_c.create_group('tp', 'g_ok1', 'earliest', max_deliveries => 3,
						   dead_letter_queue => 'tp_dlq_ok',
						   retry_backoff => '50 ms', retry_backoff_max => '200 ms');
SELECT pgmq_c.create_group('tp', 'g_ok2', 'earliest');
});
is( sql(
		"SELECT string_agg(concat_ws(' ', group_name, max_deliveries, dead_letter_queue,
									 retry_backoff, retry_backoff_max), ', '
						   ORDER BY group_name)
		   FROM pgmq_c.list_groups('tp')"),
	'g_fail 3 tp_dlq_fail 00:00:00.05 00:00:00.2, g_ok1 3 tp_dlq_ok 00:00:00.05 00:00:00.2, g_ok2',
	'topic tp: the groups and their retry policies');
{
	my $run = 'topic';
	my $t0 = time;
	my @clients = (
		start_call("$run producer", "CALL produce('$run', 'tp', 1, $ntopic, 500)"));
	foreach my $g ('g_ok1', 'g_ok2')
	{
		for my $c (1 .. 2)
		{
			push @clients,
			  start_call("$run $g consumer $c",
				"CALL consume('$run', 'tp', '$g', $c, 'good', '1 minute', 1, $limit)");
		}
	}
	push @clients,
	  start_call("$run g_fail consumer 1 (nack)",
		"CALL consume('$run', 'tp', 'g_fail', 1, 'nack', '30 seconds', 1, $limit)");
	push @clients,
	  start_call("$run g_fail consumer 2 (expire)",
		"CALL consume('$run', 'tp', 'g_fail', 2, 'expire', '300 ms', 1, $limit)");
	sql("INSERT INTO give_up VALUES ('a client failed')")
	  unless finish_all(@clients);
	note sprintf("run $run: %.1f s", time - $t0);
	sql('ANALYZE');

	my $dl = "(SELECT (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint AS msg_id,
					  headers->'pgmq_c_dead_letter' AS h, message
				 FROM " . qtable('tp_dlq_fail') . ")";
	is(sql("SELECT count(*) || ' ' || count(DISTINCT msg_id) FROM sent WHERE run = '$run'"),
		"$ntopic $ntopic", "$run: $ntopic messages sent, each with its own msg_id");
	foreach my $g ('g_ok1', 'g_ok2')
	{
		is( sql(
				"SELECT count(*) || ' ' || count(DISTINCT msg_id) FROM done
				  WHERE run = '$run' AND grp = '$g'"),
			"$ntopic $ntopic",
			"$run: $g acked $ntopic messages, each once");
		is( sql(
				"SELECT count(*) FROM sent s
				  WHERE s.run = '$run'
					AND NOT EXISTS (SELECT 1 FROM done d
									 WHERE d.run = '$run' AND d.grp = '$g'
									   AND d.msg_id = s.msg_id AND (d.p, d.i) = (s.p, s.i))"),
			0,
			"$run: $g acked every message sent, with its payload");
		is( sql(
				"SELECT count(*) FROM done
				  WHERE run = '$run' AND grp = '$g' AND (read_ct <> 1 OR dl)"),
			0,
			"$run: $g got every message once (read_ct 1), unmarked");
		is(sql("SELECT count(*) FROM refused WHERE run = '$run' AND grp = '$g'"),
			0, "$run: $g had no ack refused");
	}
	is(sql("SELECT count(*) FROM " . qtable('tp_dlq_ok')),
		0, "$run: nothing in the dead-letter queue of g_ok1");
	is(sql("SELECT count(*) FROM done WHERE run = '$run' AND grp = 'g_fail'"),
		0, "$run: g_fail acked nothing");
	is( sql("SELECT count(*) || ' ' || count(DISTINCT msg_id) FROM $dl d"),
		"$ntopic $ntopic",
		"$run: g_fail's dead-letter queue holds $ntopic dead letters of distinct messages");
	is( sql(
			"SELECT count(*) FROM sent s
			  WHERE s.run = '$run'
				AND NOT EXISTS (SELECT 1 FROM $dl l WHERE l.msg_id = s.msg_id
								   AND l.message = jsonb_build_object('p', s.p, 'i', s.i))"),
		0,
		"$run: every message sent is in g_fail's dead-letter queue, with its payload");
	is( sql(
			"SELECT count(*) FROM $dl l
			  WHERE l.h->>'topic' IS DISTINCT FROM 'tp' OR l.h->>'group' IS DISTINCT FROM 'g_fail'
				 OR l.h ? 'queue' OR (l.h->>'read_ct')::int IS DISTINCT FROM 3"),
		0,
		"$run: every dead letter names topic tp, group g_fail and read_ct 3");
	is( sql(
			"SELECT count(*) FROM $dl l
			  WHERE (SELECT array_agg(f.read_ct ORDER BY f.read_ct) FROM fails f
					  WHERE f.run = '$run' AND f.grp = 'g_fail' AND f.msg_id = l.msg_id)
					IS DISTINCT FROM '{1,2,3}'"),
		0,
		"$run: every message was delivered to g_fail with read_ct 1, 2 and 3");
	# the reason is that of the last nack, if any (a lease that expires
	# leaves it as it was)
	is( sql(
			"SELECT count(*) FROM $dl l
			  WHERE l.h->>'reason' IS DISTINCT FROM
					CASE WHEN EXISTS (SELECT 1 FROM fails f
									   WHERE f.run = '$run' AND f.grp = 'g_fail'
										 AND f.msg_id = l.msg_id AND f.nack_ok)
						 THEN 'consumer 1 failed' END"),
		0,
		"$run: each dead letter carries the reason of its last nack, or none");
	my ($nacked, $expired) = split /\|/, sql(
		"SELECT count(*) FILTER (WHERE f.nack_ok), count(*) FILTER (WHERE f.nack_at IS NULL)
		   FROM fails f WHERE f.run = '$run' AND f.grp = 'g_fail'");
	ok($nacked > 0 && $expired > 0,
		"$run: g_fail's deliveries were nacked ($nacked) and let expire ($expired)");
	is(sql("SELECT count(*) FROM fails WHERE run = '$run' AND nack_ok = false"),
		0, "$run: every nack with the current receipt was accepted");
	check_backoff($run, 'g_fail');
	is( sql(
			"SELECT string_agg(group_name || ' ' || lag || ' ' || in_flight || ' '
							   || lag_is_exact, ', ' ORDER BY group_name)
			   FROM pgmq_c.list_groups('tp')"),
		'g_fail 0 0 true, g_ok1 0 0 true, g_ok2 0 0 true',
		"$run: every group has lag 0 and nothing in flight");
	is( sql(
			"SELECT count(*) FROM pgmq_c.t_"
			  . sql("SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name = 'tp'")),
		$ntopic,
		"$run: the topic still holds every message");
}

#
# 4. redrive() under load.  Queue r (max_deliveries 1) gets 2 producers, 2
#    good consumers and one that nacks every message, so that each of its
#    messages goes to r_dlq at once; meanwhile two sessions redrive r_dlq
#    30 times each.  A redriven message is a new message of r with the same
#    payload; in the end each payload was deleted once or is in r_dlq, and
#    every dead letter sent was either redriven once or is still there.
#
{
	my $run = 'redrive';
	my $rounds = 30;
	my $per_producer = 10_000;
	sql(q{
SELECT pgmq_c.create_queue('r_dlq');
SELECT pgmq_c.create_queue('r', max_deliveries => 1, dead_letter_queue => 'r_dlq');
});
	my $t0 = time;
	my @clients;
	for my $p (1 .. 2)
	{
		push @clients,
		  start_call("$run producer $p",
			"CALL produce('$run', 'r', $p, $per_producer, 50, 0.01)");
	}
	for my $c (1 .. 2)
	{
		push @clients,
		  start_call("$run consumer $c",
			"CALL consume('$run', 'r', NULL, $c, 'good', '1 minute', 4, $limit)");
	}
	push @clients,
	  start_call("$run consumer 3 (nack)",
		"CALL consume('$run', 'r', NULL, 3, 'nack', '1 minute', 4, $limit)");
	for my $s (1 .. 2)
	{
		push @clients,
		  start_call("$run session $s",
			"CALL redrive_rounds('$run', 'r_dlq', $s, $rounds, 0.05, 2)");
	}
	sql("INSERT INTO give_up VALUES ('a client failed')")
	  unless finish_all(@clients);
	note sprintf("run $run: %.1f s", time - $t0);
	sql('ANALYZE');

	my $n = 2 * $per_producer;
	my $dlt = qtable('r_dlq');
	my $dl = "(SELECT (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint AS msg_id,
					  headers->'pgmq_c_dead_letter' AS h, message
				 FROM $dlt)";
	# what each message of r became: deleted (done) or dead-lettered (a
	# nack, which with max_deliveries 1 dead-letters at once)
	my $ends = "(SELECT msg_id, p, i, 'deleted' AS how FROM done WHERE run = '$run'
				 UNION ALL
				 SELECT msg_id, p, i, 'dead' FROM fails WHERE run = '$run' AND nack_ok)";
	my ($moved, $calls, $dead, $left) = split /\|/, sql(
		"SELECT (SELECT sum(moved) FROM redrives WHERE run = '$run'),
				(SELECT count(*) FROM redrives WHERE run = '$run'),
				(SELECT count(*) FROM fails WHERE run = '$run' AND nack_ok),
				(SELECT count(*) FROM $dlt)");
	note "$run: $dead dead letters sent, $moved redriven, $left left";
	is($calls, 2 * $rounds, "$run: both sessions redrove $rounds times");
	is( sql(
			"SELECT string_agg(s::text, ',' ORDER BY s) FROM (
			   SELECT session s FROM redrives WHERE run = '$run' AND moved > 0
			   GROUP BY session) x"),
		'1,2',
		"$run: both sessions moved dead letters");
	ok( sql(
			"SELECT count(*) FROM redrives WHERE run = '$run' AND sending AND moved > 0") > 0,
		"$run: dead letters were redriven while producers were sending");
	is(sql("SELECT count(*) FROM fails WHERE run = '$run' AND NOT nack_ok"),
		0, "$run: every nack with the current receipt was accepted");
	is(sql("SELECT count(*) FROM " . qtable('r')), 0, "$run: queue r is empty at the end");
	is($dead, $moved + $left,
		"$run: every dead letter sent was redriven once or is still in r_dlq");
	is( sql(
			"SELECT count(*) FROM (SELECT msg_id FROM $ends e GROUP BY msg_id
									HAVING count(*) > 1) x"),
		0,
		"$run: no message of r both deleted and dead-lettered, or either twice");
	is( sql(
			"SELECT count(*) FROM sent s WHERE s.run = '$run'
				AND NOT EXISTS (SELECT 1 FROM $ends e WHERE e.msg_id = s.msg_id)"),
		0,
		"$run: every message sent was deleted or dead-lettered");
	is( sql(
			"SELECT count(DISTINCT e.msg_id) FROM $ends e
			  WHERE NOT EXISTS (SELECT 1 FROM sent s WHERE s.run = '$run' AND s.msg_id = e.msg_id)"),
		$moved,
		"$run: r got exactly as many messages from redrive as redrive() reported");
	is( sql(
			"SELECT count(*) FROM (
			   SELECT p, i, count(*) AS c FROM (
				 SELECT p, i FROM done WHERE run = '$run'
				 UNION ALL
				 SELECT (message->>'p')::int, (message->>'i')::int FROM $dlt) x
			   GROUP BY p, i) e
			 FULL JOIN (SELECT p, i FROM sent WHERE run = '$run') s USING (p, i)
			 WHERE e.c IS DISTINCT FROM 1 OR s.p IS NULL"),
		0,
		"$run: each payload sent was deleted once or is in r_dlq once, never both");
	is( sql(
			"SELECT count(*) FROM done
			  WHERE run = '$run' AND (read_ct <> 1 OR dl)"),
		0,
		"$run: every deletion was of a first delivery without dead-letter headers");
	is( sql(
			"SELECT count(*) FROM $dl l
			  WHERE l.h->>'queue' IS DISTINCT FROM 'r' OR (l.h->>'read_ct')::int IS DISTINCT FROM 1
				 OR l.h->>'reason' IS DISTINCT FROM 'consumer 3 failed'
				 OR NOT EXISTS (SELECT 1 FROM fails f
								 WHERE f.run = '$run' AND f.nack_ok AND f.msg_id = l.msg_id
								   AND (f.p, f.i) = ((l.message->>'p')::int, (l.message->>'i')::int))"),
		0,
		"$run: every dead letter left is one the failing consumer nacked, with its origin");
	is( sql("SELECT count(*) FROM $dlt WHERE headers - 'pgmq_c_dead_letter' <> '{}'"),
		0,
		"$run: the dead letters left have no header but pgmq_c_dead_letter");
}


#
# 5. Stale receipts after a lease expired, refused by the group forms of ack,
#    set_vt and nack, and by the queue nack.
#
sql(q{
SELECT pgmq_c.create_topic('st');
SELECT pgmq_c.create_group('st', 'g', 'earliest');
SELECT pgmq_c.create_queue('sq');
});

# A reads the next message of the group for 2 s (and a second read in the
# same session gets nothing); once the lease ran out B gets it, read_ct 2.
sub group_read_twice
{
	my ($what) = @_;
	is( sql(
			"SELECT read_ct, message->>'k' FROM pgmq_c.read_group('st', 'g', '2 seconds', 1);
			 SELECT count(*) FROM pgmq_c.read_group('st', 'g', '1 hour', 1)"),
		"1|$what\n0",
		"group: A holds $what (read_ct 1), nobody else gets it during the lease");
	ok( $node->poll_query_until(
			'postgres',
			"SELECT read_ct = 2 AND message->>'k' = '$what'
			   FROM pgmq_c.read_group('st', 'g', '1 hour', 1)"),
		"group: after the lease ran out B received $what with read_ct 2");
}

my $a = sql(q{SELECT pgmq_c.send('st', '{"k": "a"}')});
group_read_twice('a');
is(sql("SELECT pgmq_c.ack('st', 'g', $a, 1)"),
	'f', "group: A's ack with the stale receipt is refused");
is(sql("SELECT count(*) FROM pgmq_c.ack('st', 'g', ARRAY[$a], ARRAY[1])"),
	'0', "group: A's array ack with the stale receipt acks nothing");
is(sql("SELECT count(*) FROM pgmq_c.set_vt('st', 'g', $a, '0', 1)"),
	'0', "group: A's set_vt with the stale receipt returns no row");
is(sql("SELECT pgmq_c.nack('st', 'g', $a, '0', 1, 'A failed')"),
	'f', "group: A's nack with the stale receipt is refused");
is(sql("SELECT pgmq_c.ack('st', 'g', $a, 3)"),
	'f', 'group: a receipt from the future is refused too');
is( sql(
		"SELECT lag, in_flight FROM pgmq_c.list_groups('st') WHERE group_name = 'g';
		 SELECT count(*) FROM pgmq_c.read_group('st', 'g', '1 hour', 1)"),
	"1|1\n0",
	"group: the message is still B's, leased (A's set_vt and nack did not release it)");
is(sql("SELECT pgmq_c.ack('st', 'g', $a, 2)"),
	't', "group: B's ack with its receipt (read_ct 2) works");
is( sql(
		"SELECT pgmq_c.ack('st', 'g', $a, 2), pgmq_c.ack('st', 'g', $a, 1);
		 SELECT lag, in_flight FROM pgmq_c.list_groups('st') WHERE group_name = 'g'"),
	"f|f\n0|0",
	'group: once acked, no receipt acks it again; nothing left');

my $b = sql(q{SELECT pgmq_c.send('st', '{"k": "b"}')});
group_read_twice('b');
is(sql("SELECT pgmq_c.nack('st', 'g', $b, NULL, 1, 'A failed')"),
	'f', "group: A's nack of b with the stale receipt is refused");
is(sql("SELECT count(*) FROM pgmq_c.set_vt('st', 'g', $b, '0', 1)"),
	'0', "group: A's set_vt of b with the stale receipt returns no row");
is(sql("SELECT read_ct FROM pgmq_c.set_vt('st', 'g', $b, '1 hour', 2)"),
	'2', "group: B's set_vt with its receipt works");
is(sql("SELECT pgmq_c.nack('st', 'g', $b, '0', 2, 'B failed')"),
	't', "group: B's nack with its receipt works");
is(sql("SELECT read_ct, message->>'k' FROM pgmq_c.read_group('st', 'g', '1 hour', 1)"),
	'3|b', 'group: C receives b at once, read_ct 3');
is(sql("SELECT pgmq_c.ack('st', 'g', $b, 2)"),
	'f', "group: B's receipt is now stale: ack refused");
is(sql("SELECT * FROM pgmq_c.ack('st', 'g', ARRAY[$b], ARRAY[3])"),
	$b, "group: C's array ack with its receipt works");

# two messages, one receipt stale and one current, in one array ack
my ($c, $d) = split /\n/,
  sql(q{SELECT * FROM pgmq_c.send_batch('st', ARRAY['{"k": "c"}', '{"k": "d"}']::jsonb[])});
is(sql("SELECT count(*) FROM pgmq_c.read_group('st', 'g', '2 seconds', 2)"),
	'2', 'group: A reads c and d for 2 s');
ok( $node->poll_query_until(
		'postgres',
		"SELECT array_agg(read_ct ORDER BY msg_id) = '{2,2}'
		   FROM pgmq_c.read_group('st', 'g', '1 hour', 2)"),
	'group: B received c and d with read_ct 2');
is(sql("SELECT * FROM pgmq_c.ack('st', 'g', ARRAY[$c, $d], ARRAY[1, 2])"),
	$d, 'group: an array ack with a stale and a current receipt acks only the current one');
is(sql("SELECT pgmq_c.ack('st', 'g', $c, 2)"), 't', "group: c was still B's");
is(sql("SELECT lag FROM pgmq_c.list_groups('st') WHERE group_name = 'g'"),
	'0', 'group: nothing left');

# the queue nack
my $e = sql(q{SELECT pgmq_c.send('sq', '{"k": "e"}')});
is( sql(
		"SELECT read_ct FROM pgmq_c.read('sq', '2 seconds', 1);
		 SELECT count(*) FROM pgmq_c.read('sq', '1 hour', 1)"),
	"1\n0",
	'queue: A holds e (read_ct 1), nobody else gets it during the lease');
ok( $node->poll_query_until(
		'postgres', "SELECT read_ct = 2 FROM pgmq_c.read('sq', '1 hour', 1)"),
	'queue: after the lease ran out B received e with read_ct 2');
is(sql("SELECT pgmq_c.nack('sq', $e, '0', 1, 'A failed')"),
	'f', "queue: A's nack with the stale receipt is refused");
is( sql(
		"SELECT count(*) FROM pgmq_c.read('sq', '1 hour', 1);
		 SELECT in_flight_length FROM pgmq_c.metrics('sq')"),
	"0\n1",
	"queue: e is still B's, leased");
is(sql("SELECT pgmq_c.nack('sq', $e, '0', 2, 'B failed')"),
	't', "queue: B's nack with its receipt works");
is(sql("SELECT read_ct FROM pgmq_c.read('sq', '1 hour', 1)"),
	'3', 'queue: C receives e at once, read_ct 3');
is(sql("SELECT pgmq_c.nack('sq', $e, '0', 2)"),
	'f', "queue: B's receipt is now stale: nack refused");
is(sql("SELECT pgmq_c.delete('sq', $e, 3)"), 't', "queue: C's delete works");

#
# 6. The worker: dead letters nobody reads, and archive_retention.
#
sql(q{
SELECT pgmq_c.create_queue('w_dlq');
SELECT pgmq_c.create_queue('w', max_deliveries => 1, dead_letter_queue => 'w_dlq');
SELECT pgmq_c.create_queue('wa', max_deliveries => 1);
SELECT pgmq_c.create_queue('wt_dlq');
SELECT pgmq_c.create_topic('wt');
SELECT pgmq_c.create_group('wt', 'wg', 'earliest', max_deliveries => 1,
						   dead_letter_queue => 'wt_dlq');
SELECT pgmq_c.create_group('wt', 'wg2', 'earliest');
});
my ($wdlq, $wtdlq, $wq) = (qtable('w_dlq'), qtable('wt_dlq'), qtable('w'));

# queue w: read once (2 s), then nobody reads it
my $w = sql(q{SELECT pgmq_c.send('w', '{"k": "w"}', '{"h": 1}')});
is( sql(
		"SELECT read_ct FROM pgmq_c.read('w', '2 seconds', 1);
		 SELECT count(*) FROM $wdlq"),
	"1\n0",
	'worker: w read once; its dead-letter queue is empty during the lease');
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM $wdlq"),
	'worker: the dead letter appeared in w_dlq though nobody read w');
is( sql(
		"SELECT message->>'k', headers->>'h', headers->'pgmq_c_dead_letter'->>'queue',
				headers->'pgmq_c_dead_letter'->>'msg_id',
				headers->'pgmq_c_dead_letter'->>'read_ct',
				headers->'pgmq_c_dead_letter'->>'reason'
		   FROM $wdlq"),
	"w|1|w|$w|1|",
	'worker: the dead letter has the payload, the headers and the origin (no reason)');
is(sql("SELECT count(*) FROM $wq"), '0', 'worker: w is empty');

# queue wa, without a dead-letter queue: the archive
my $wa = sql(q{SELECT pgmq_c.send('wa', '{"k": "wa"}')});
is( sql(
		"SELECT read_ct FROM pgmq_c.read('wa', '2 seconds', 1);
		 SELECT count(*) FROM pgmq_c.read_archive('wa')"),
	"1\n0",
	'worker: wa read once; nothing archived during the lease');
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) = 1 FROM pgmq_c.read_archive('wa')"),
	'worker: the dead message of wa (no dead-letter queue) appeared in its archive');
is( sql(
		"SELECT msg_id, read_ct, message->>'k', headers->'pgmq_c_dead_letter'->>'queue',
				headers->'pgmq_c_dead_letter'->>'msg_id'
		   FROM pgmq_c.read_archive('wa');
		 SELECT queue_length FROM pgmq_c.metrics('wa')"),
	"$wa|1|wa|wa|$wa\n0",
	'worker: archived with its origin; wa is empty');

# group wg: read once (2 s), then nobody reads it; wg2 still has it
my $wm = sql(q{SELECT pgmq_c.send('wt', '{"k": "wt"}')});
is( sql(
		"SELECT read_ct FROM pgmq_c.read_group('wt', 'wg', '2 seconds', 1);
		 SELECT count(*) FROM $wtdlq"),
	"1\n0",
	'worker: wg read the message once; its dead-letter queue is empty during the lease');
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM $wtdlq"),
	'worker: the dead letter of wg appeared in wt_dlq though nobody read wg');
is( sql(
		"SELECT message->>'k', headers->'pgmq_c_dead_letter'->>'topic',
				headers->'pgmq_c_dead_letter'->>'group',
				headers->'pgmq_c_dead_letter'->>'msg_id',
				headers->'pgmq_c_dead_letter'->>'read_ct',
				headers->'pgmq_c_dead_letter' ? 'queue'
		   FROM $wtdlq"),
	"wt|wt|wg|$wm|1|f",
	'worker: the dead letter names topic, group, message and read_ct');
is( sql(
		"SELECT string_agg(group_name || ' ' || lag || ' ' || in_flight, ', '
						   ORDER BY group_name)
		   FROM pgmq_c.list_groups('wt')"),
	'wg 0 0, wg2 1 0',
	'worker: wg holds nothing any more; wg2 still has the message');
is( sql(
		"SELECT msg_id, read_ct FROM pgmq_c.read_group('wt', 'wg2', '1 hour', 1)"),
	"$wm|1",
	'worker: wg2 reads it, for the first time');

# archive_retention: ar's archive goes, ar_keep's (a day) stays
sql(q{
SELECT pgmq_c.create_queue('ar');
SELECT pgmq_c.create_queue('ar_keep', archive_retention => '1 day');
});
foreach my $q ('ar', 'ar_keep')
{
	is( sql(
			"SELECT count(*) FROM pgmq_c.archive('$q',
			   ARRAY(SELECT pgmq_c.send_batch('$q', array_fill('{}'::jsonb, ARRAY[5]))))"),
		'5',
		"retention: 5 messages of $q archived");
}
is(sql("SELECT count(*) FROM pgmq_c.read_archive('ar')"),
	'5', 'retention: ar has them in its archive');
sql("SELECT pgmq_c.alter_queue('ar', archive_retention => '1 second')");
is( sql(
		"SELECT string_agg(queue_name || ' ' || archive_retention, ', ' ORDER BY queue_name)
		   FROM pgmq_c.list_queues() WHERE archive_retention IS NOT NULL"),
	'ar 00:00:01, ar_keep 1 day',
	'retention: list_queues shows the settings');
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) = 0 FROM pgmq_c.read_archive('ar')"),
	'retention: the worker removed the archived messages of ar');
is(sql("SELECT count(*) FROM pgmq_c.read_archive('ar_keep')"),
	'5', 'retention: ar_keep (1 day) keeps its archive');

# the archive is partitioned by day: what was archived before the setting
# went as a whole partition (no row-by-row delete), the worker made the
# days ahead, and messages archived since are removed from today's day
my $ar = sql("SELECT 'a_' || queue_id FROM pgmq_c.queues WHERE queue_name = 'ar'");
is( sql(
		"SELECT relkind FROM pg_class WHERE relname = '$ar' AND relnamespace = 'pgmq_c'::regnamespace"),
	'p', 'retention: the archive of ar is partitioned');
# (a pass may come between the end of retention for the last messages
# archived and that of the partition, a moment later, and delete them
# first: the partition goes at the next pass)
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) = 0 FROM pg_class WHERE relname = '${ar}_before'"),
	'retention: the partition of what ar archived before was dropped');
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) >= 3 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		   WHERE i.inhparent = 'pgmq_c.$ar'::regclass AND c.relname ~ '_p[0-9]+\$'
		     AND substring(c.relname from '_p([0-9]+)\$')::bigint
		         >= floor(extract(epoch FROM now()) / 86400)"),
	'retention: the worker made today and the next days of the archive of ar');
is( sql(
		"SELECT count(*) FROM pgmq_c.archive('ar',
		   ARRAY(SELECT pgmq_c.send_batch('ar', array_fill('{}'::jsonb, ARRAY[3]))))"),
	'3', 'retention: 3 more messages of ar archived');
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) = 0 FROM pgmq_c.read_archive('ar')"),
	'retention: the worker removed them from the partition of today');
unlike(slurp_file($node->logfile),
	qr/pgmq_c: (moving the dead letters|archive retention) of/,
	'the worker reported no failing retry pass');

$node->stop;
done_testing();
