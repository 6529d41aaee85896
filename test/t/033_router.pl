# 033_router.pl: pgmq_c_router over three pgmq_c clusters, under load and
# through the failure of one of them.
#
# Three clusters run pgmq_c (the nodes); a fourth holds the router
# (CREATE EXTENSION pgmq_c_router, PL/Proxy's server pgmq_c_cluster naming
# the three).  Through the router only:
#   - 4 producers each send 25,000 messages to queue tq and the same to
#     topic tt (groups g1 and g2), in batches of 100, over 1,000 ordering
#     keys (each producer owns 250), every message with a deduplication id
#     so that a batch whose send failed can be sent again as a whole;
#   - 4 consumers read tq (read, then delete the receipts), 2 consumers
#     read each group of tt (read_group, then ack);
#   - while they run, node 1 is stopped (immediate mode) and started again
#     some seconds later.  While it is down, a send without a key and a read
#     through the router are served by the others; a keyed send to node 1
#     fails with connection_failure.
# Everything is logged in the router's database, in the transaction that
# follows each call.  At the end, for the queue and for each group:
#   - every message sent was deleted (acknowledged) exactly once, and
#     nothing else was: no loss, including node 1's messages.  A delete
#     (ack) call cut by the failure may have been done on some nodes: such a
#     message counts when its last delivery was in that call and it is gone
#     from its node at the end;
#   - per key, the first deliveries came in send order (msg_id order and
#     the producers' seq), across the three nodes;
#   - every node served messages.
# Then the history checker of the durability tests (test/history) runs its
# standard load (a queue, a keyed queue, a topic with two groups; sends
# with dedup ids resent after unknown outcomes, reads that acknowledge with
# the next read, nacks, abandoned leases) through the router while node 2
# is stopped (once in fast mode, once in immediate mode) and started again,
# and checks its history: nothing lost,
# unexpected, duplicated beyond the contract or resurrected, no msg_id
# reused, keys in order, nothing left.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use lib "$FindBin::RealBin/../history";
use PgmqcTest;
use PgmqcHistory qw(setup run_load finish_history history_is_clean);
use Time::HiRes qw(usleep);

my $conf = q{
max_connections = 60
synchronous_commit = on
};
my @nodes = map { pgmqc_node("node$_", conf => $conf) } 0 .. 2;
my $router = pgmqc_node('router', preload => 0, extension => 0,
	conf => "max_connections = 40\n");

my $servers = join(', ',
	map { "p$_ '" . $nodes[$_]->connstr('postgres') =~ s/'//gr . "'" } 0 .. 2);
$router->safe_psql('postgres', qq{
CREATE EXTENSION pgmq_c_router CASCADE;
CREATE SERVER pgmq_c_cluster FOREIGN DATA WRAPPER plproxy
	OPTIONS (modular_mapping '1', $servers);
CREATE USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster;
});
is($router->safe_psql('postgres', 'SELECT pgmq_c_router.node_count()'),
	'3', 'the router sees three nodes');

$router->safe_psql('postgres', q{
SELECT pgmq_c_router.create_queue('tq', visibility_timeout => '5 seconds');
SELECT pgmq_c_router.create_queue('probe_q');
SELECT pgmq_c_router.create_topic('tt');
SELECT pgmq_c_router.create_group('tt', 'g1', 'earliest', '5 seconds');
SELECT pgmq_c_router.create_group('tt', 'g2', 'earliest', '5 seconds');

-- what was sent (one row per message; name is tq or tt)
CREATE TABLE sent (name text, msg_id bigint, key text, seq int);
-- every delivery, in the order the readers logged them
CREATE TABLE delivered (n bigserial, name text, grp text, msg_id bigint,
	read_ct int, key text, seq int, reader text);
-- every delete (ack) the node accepted
CREATE TABLE acked (name text, grp text, msg_id bigint);
-- deletes (acks) whose call failed: a node that failed during the call may
-- have done them or not
CREATE TABLE uncertain (name text, grp text, msg_id bigint, read_ct int);
CREATE TABLE producers_done (p int);

-- Producer p: n messages to tq and to tt, in batches of 100; message i has
-- key k<p + 4 * (i % 250)> and seq i / 250 + 1 (seq counts up per key).
-- A batch that fails (a node down) is sent again whole: its dedup ids make
-- the parts that were stored return their first msg_ids.
CREATE PROCEDURE produce(p int, n int) LANGUAGE plpgsql AS $$
DECLARE
	b int;
	name text;
	msgs jsonb[];
	keys text[];
	dedup text[];
	ids bigint[];
	tries int;
BEGIN
	FOR b IN 0 .. n / 100 - 1 LOOP
		SELECT array_agg(jsonb_build_object('key', 'k' || (p + 4 * (i % 250)), 'seq', i / 250 + 1) ORDER BY i),
			   array_agg('k' || (p + 4 * (i % 250)) ORDER BY i),
			   array_agg(p || '-' || i ORDER BY i)
		  INTO msgs, keys, dedup
		  FROM generate_series(b * 100, b * 100 + 99) i;
		FOREACH name IN ARRAY ARRAY['tq', 'tt'] LOOP
			tries := 0;
			LOOP
				BEGIN
					ids := ARRAY(SELECT pgmq_c_router.send_batch(name, msgs,
						ordering_keys => keys, dedup_ids => dedup));
					EXIT;
				EXCEPTION WHEN OTHERS THEN
					tries := tries + 1;
					IF tries > 600 THEN
						RAISE;
					END IF;
					PERFORM pg_sleep(0.1);
				END;
			END LOOP;
			INSERT INTO sent
			SELECT name, ids[o], msgs[o] ->> 'key', (msgs[o] ->> 'seq')::int
			  FROM generate_series(1, 100) o;
			COMMIT;
		END LOOP;
	END LOOP;
	INSERT INTO producers_done VALUES (p);
	COMMIT;
END
$$;

-- Consumer: reads name (group grp, NULL for the queue) until the producers
-- are done and every message sent there was acknowledged.
CREATE PROCEDURE consume(me text, name text, grp text) LANGUAGE plpgsql AS $$
DECLARE
	got pgmq_c_router.message[];
	done boolean;
BEGIN
	LOOP
		BEGIN
			IF grp IS NULL THEN
				got := ARRAY(SELECT m FROM pgmq_c_router.read(name, NULL, 50, '200 milliseconds') m);
			ELSE
				got := ARRAY(SELECT m FROM pgmq_c_router.read_group(name, grp, NULL, 50, '200 milliseconds') m);
			END IF;
		EXCEPTION WHEN OTHERS THEN
			-- every node failed at once (or the one being waited on went
			-- down mid-call): try again
			got := '{}';
			PERFORM pg_sleep(0.1);
		END;
		IF cardinality(got) > 0 THEN
			INSERT INTO delivered (name, grp, msg_id, read_ct, key, seq, reader)
			SELECT name, grp, g.msg_id, g.read_ct, g.message ->> 'key', (g.message ->> 'seq')::int, me
			  FROM unnest(got) g;
			COMMIT;
			BEGIN
				IF grp IS NULL THEN
					INSERT INTO acked SELECT name, grp, d
					  FROM pgmq_c_router.delete(name, ARRAY(SELECT g.msg_id FROM unnest(got) g),
						ARRAY(SELECT g.read_ct FROM unnest(got) g)) d;
				ELSE
					INSERT INTO acked SELECT name, grp, d
					  FROM pgmq_c_router.ack(name, grp, ARRAY(SELECT g.msg_id FROM unnest(got) g),
						ARRAY(SELECT g.read_ct FROM unnest(got) g)) d;
				END IF;
			EXCEPTION WHEN OTHERS THEN
				-- done on some nodes, maybe; the rest are delivered again
				-- after their lease
				INSERT INTO uncertain SELECT name, grp, g.msg_id, g.read_ct FROM unnest(got) g;
			END;
			COMMIT;
		END IF;
		-- done once the producers are and nothing is left on any node
		SELECT count(*) = 4 INTO done FROM producers_done;
		IF done THEN
			BEGIN
				IF grp IS NULL THEN
					SELECT (m).queue_length = 0 INTO done FROM pgmq_c_router.metrics(name) m;
				ELSE
					SELECT g.lag = 0 INTO done FROM pgmq_c_router.list_groups(name) g
					 WHERE g.group_name = grp;
				END IF;
			EXCEPTION WHEN OTHERS THEN
				done := false;
			END;
			done := coalesce(done, false);
		END IF;
		COMMIT;
		EXIT WHEN done;
	END LOOP;
END
$$;
});

my @clients;
push @clients, start_psql($router, name => "producer $_", timeout => 900,
	sql => ["SET client_min_messages = error", "CALL produce($_, 25000)"])
  foreach 0 .. 3;
push @clients, start_psql($router, name => "consumer q$_", timeout => 900,
	sql => ["SET client_min_messages = error", "CALL consume('q$_', 'tq', NULL)"])
  foreach 1 .. 4;
foreach my $g ('g1', 'g2')
{
	push @clients, start_psql($router, name => "consumer $g-$_", timeout => 900,
		sql => ["SET client_min_messages = error", "CALL consume('$g-$_', 'tt', '$g')"])
	  foreach 1 .. 2;
}

# once a fifth of the queue's messages were acknowledged, stop node 1
$router->poll_query_until('postgres',
	q{SELECT count(*) >= 20000 FROM acked WHERE name = 'tq'})
  or die 'the consumers do not get going';
$nodes[1]->stop('immediate');
note 'node 1 stopped';

# meanwhile the others serve: a message without a key goes to a node that
# is up and is read back through the router; a keyed send to node 1 fails
my $key1 = $router->safe_psql('postgres', q{
SELECT 'probe-' || i FROM generate_series(1, 1000) i
 WHERE pgmq_c_router.node_of_key('probe-' || i, 3) = 1 ORDER BY i LIMIT 1});
my ($rc, $out, $err) = $router->psql('postgres', qq{
SET client_min_messages = error;
SELECT pgmq_c_router.send('tq', '{"probe": true}', ordering_key => '$key1')},
	on_error_stop => 1);
like($err, qr/node 1 of server pgmq_c_cluster cannot be reached/,
	'a keyed send to the stopped node fails');
is( $router->safe_psql('postgres', q{
SET client_min_messages = error;
SELECT pgmq_c_router.send('probe_q', '{"probe": "unkeyed"}') >> 48 <> 1;
SELECT message ->> 'probe' FROM pgmq_c_router.read('probe_q', NULL, 1, '10 seconds')}),
	"t\nunkeyed", 'a send without a key goes to a node that is up and is read back');

sleep 3;
$nodes[1]->start;
note 'node 1 started again';

my $all_ok = finish_all(@clients);

my $sql = sub { $router->safe_psql('postgres', $_[0]) };

foreach my $c (['tq', undef], ['tt', 'g1'], ['tt', 'g2'])
{
	my ($name, $grp) = @$c;
	my $what = $grp ? "group $grp" : "queue $name";
	my $g = $grp ? "'$grp'" : 'NULL';
	is( $sql->(qq{SELECT count(*) FROM sent WHERE name = '$name'}),
		'100000', "$what: 100,000 messages sent");
	# Each message was acknowledged exactly once, or else (no
	# acknowledgement the node confirmed) its last delivery's
	# acknowledgement was in a call that failed, which may have done it; the
	# message is not on its node any more (checked at the end).
	is( $sql->(qq{
WITH s AS (SELECT msg_id FROM sent WHERE name = '$name'),
	 a AS (SELECT msg_id, count(*) AS c FROM acked
			WHERE name = '$name' AND grp IS NOT DISTINCT FROM $g GROUP BY msg_id),
	 last AS (SELECT DISTINCT ON (msg_id) msg_id, read_ct FROM delivered
			   WHERE name = '$name' AND grp IS NOT DISTINCT FROM $g ORDER BY msg_id, n DESC),
	 u AS (SELECT DISTINCT u.msg_id FROM uncertain u JOIN last USING (msg_id, read_ct)
			WHERE u.name = '$name' AND u.grp IS NOT DISTINCT FROM $g)
SELECT count(*) FILTER (WHERE a.c > 1) || ' acknowledged twice, '
	|| count(*) FILTER (WHERE s.msg_id IS NOT NULL AND a.msg_id IS NULL AND u.msg_id IS NULL)
	|| ' never acknowledged, '
	|| count(*) FILTER (WHERE s.msg_id IS NULL) || ' acknowledged but not sent'
  FROM s FULL JOIN a ON a.msg_id = s.msg_id LEFT JOIN u ON u.msg_id = coalesce(s.msg_id, a.msg_id)}),
		'0 acknowledged twice, 0 never acknowledged, 0 acknowledged but not sent',
		"$what: every message sent acknowledged exactly once (or in a call cut by the failure), nothing else");
	note "$what: "
	  . $sql->(qq{SELECT count(DISTINCT msg_id) FROM uncertain WHERE name = '$name' AND grp IS NOT DISTINCT FROM $g})
	  . ' acknowledgements in calls cut by the failure';
	is( $sql->(qq{
WITH first AS (
	SELECT DISTINCT ON (msg_id) msg_id, key, seq, n FROM delivered
	 WHERE name = '$name' AND grp IS NOT DISTINCT FROM $g AND key IS NOT NULL
	 ORDER BY msg_id, n)
SELECT count(*) FROM (
	SELECT msg_id, seq, lag(msg_id) OVER w AS prev_id, lag(seq) OVER w AS prev_seq
	  FROM first WINDOW w AS (PARTITION BY key ORDER BY n)) x
 WHERE prev_id IS NOT NULL AND (msg_id < prev_id OR seq <> prev_seq + 1)}),
		'0', "$what: per key, first deliveries in send order");
	is( $sql->(qq{
SELECT count(DISTINCT msg_id >> 48) FROM acked
 WHERE name = '$name' AND grp IS NOT DISTINCT FROM $g}),
		'3', "$what: all three nodes served");
}
note 'redeliveries: '
  . $sql->(q{SELECT string_agg(name || coalesce('/' || grp, '') || ': ' || c, ', ')
			   FROM (SELECT name, grp, count(*) c FROM delivered WHERE read_ct > 1
					  GROUP BY 1, 2 ORDER BY 1, 2) x});

# the nodes agree: nothing is left in the queue nor unacknowledged
is($sql->(q{SELECT (m).queue_length FROM pgmq_c_router.metrics('tq') m}),
	'0', 'the queue is empty on every node');
is($sql->(q{SELECT string_agg(group_name || ' ' || lag, ', ' ORDER BY group_name)
			  FROM pgmq_c_router.list_groups('tt')}),
	'g1 0, g2 0', 'both groups acknowledged everything on every node');

# the history checker's load, through the router, across two failures of
# node 2
my %load = (%PgmqcHistory::SHAPE, conninfo => $router->connstr('postgres'),
	dir => PostgreSQL::Test::Utils::tempdir(), schema => 'pgmq_c_router');
setup(%load);
my @pids = run_load(%load);
foreach my $mode ('fast', 'immediate')
{
	# fast: the node ends the calls in flight with FATAL 57P01
	sleep 3;
	$nodes[2]->stop($mode);
	sleep 2;
	$nodes[2]->start;
}
sleep 3;
my ($r, $left) = finish_history(\%load, \@pids);
ok($r->{sent_ok} > 500, "the load sent through the router ($r->{sent_ok} sends acknowledged)");
history_is_clean($r, $left);

$_->stop foreach @nodes, $router;
done_testing();
