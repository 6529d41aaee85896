# 019_worker_robust.pl: one broken queue, topic or group does not stop the
# background worker's work for the others, and can still be dropped.
#
# Broken by hand, as a superuser: a topic whose log (and so its partitions
# and sequence) is dropped, a topic whose sequence is dropped, a group whose
# table is dropped, a queue whose delayed table is dropped, a queue whose
# message table is dropped, a queue whose sequence is dropped; and a
# partition detached from its log, a table replaced by a view.  Then
# - the worker goes on (same pid, no restart): a healthy queue's delayed
#   message becomes visible and is notified, a healthy topic created after
#   the breakage gets its partitions made ahead;
# - the server log names each broken object, and repeats a failure at most
#   once a minute per object;
# - SQL maintain_topics() goes past the broken topics with a WARNING each;
# - drop_topic, drop_queue and drop_group remove the broken objects
#   (returning true), and nothing of them is left in schema pgmq_c.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(time);

my $node = pgmqc_node('robust');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# what schema pgmq_c holds with no queue or topic
# (the days of pgmq_c.dedup_ids, which the worker makes ahead whenever it
# passes, are left out)
my $relations_q = q{
SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
 WHERE relnamespace = 'pgmq_c'::regnamespace
   AND relname !~ '^dedup_ids_p[0-9]+(_|$)'};
my $empty_schema = sql($relations_q);

# The objects to break come first: lower ids, so the worker meets them
# before the healthy ones in each pass.
sql(q{
SELECT pgmq_c.create_topic('tlog', '1 day', 1000);
SELECT pgmq_c.create_group('tlog', 'g', 'earliest');
SELECT pgmq_c.create_topic('tseq', '1 day', 1000);
SELECT pgmq_c.create_topic('tgrp', '1 day', 1000);
SELECT pgmq_c.create_group('tgrp', 'gbroken', 'earliest');
SELECT pgmq_c.create_group('tgrp', 'gok', 'earliest');
SELECT pgmq_c.create_queue('qdel');
SELECT pgmq_c.create_queue('qmsg');
SELECT pgmq_c.create_queue('qseq');
SELECT pgmq_c.create_queue('ok');
SELECT pgmq_c.enable_notify('qdel');
SELECT pgmq_c.enable_notify('qmsg');
SELECT pgmq_c.enable_notify('ok');
});
sql(q{SELECT pgmq_c.send('tgrp', '{"n": 1}')});
sql(q{SELECT pgmq_c.send('qdel', '{"n": 1}', NULL, '1 hour')});

my %id;
foreach my $name (qw(tlog tseq tgrp qdel qmsg qseq))
{
	$id{$name} = sql("SELECT queue_id FROM pgmq_c.queues WHERE queue_name = '$name'");
}
my $gbroken = sql(q{SELECT group_id FROM pgmq_c.groups WHERE group_name = 'gbroken'});

# the worker of this database (the sends asked for it)
my $wpid = worker_pid($node, 'postgres');
ok(defined $wpid, 'a pgmq_c worker runs');
my $worker_q = q{
SELECT pid FROM pg_stat_activity
 WHERE backend_type = 'pgmq_c worker' AND datname = 'postgres'};

#
# 1. Break them.
#
my $log_offset = -s $node->logfile;
my $t_break = time;
sql(qq{
DROP TABLE pgmq_c.t_$id{tlog};
DROP SEQUENCE pgmq_c.t_$id{tseq}_seq CASCADE;
DROP TABLE pgmq_c.g_$gbroken;
DROP TABLE pgmq_c.d_$id{qdel};
DROP TABLE pgmq_c.q_$id{qmsg};
DROP SEQUENCE pgmq_c.q_$id{qseq}_seq CASCADE;
});
# damaged rather than missing: a partition detached from its log, a table
# replaced by a view
sql(qq{
ALTER TABLE pgmq_c.t_$id{tgrp} DETACH PARTITION pgmq_c.t_$id{tgrp}_p1;
DROP TABLE pgmq_c.a_$id{qdel};
CREATE VIEW pgmq_c.a_$id{qdel} AS SELECT 1 AS msg_id;
});
is( sql(qq{
SELECT count(*) FROM pg_class WHERE relnamespace = 'pgmq_c'::regnamespace
   AND relname ~ '^t_$id{tlog}(_|\$)'}),
	'0', 'the log of topic tlog, its partitions and its sequence are gone');

#
# 2. The worker goes on for the healthy queue and topic.
#
my $listener = start_listener($node, 'postgres');
my @notes;    # [ time seen, payload ]

# wait until a notification for $queue has arrived (generous bound)
sub wait_note
{
	my ($queue) = @_;
	return scalar collect_notes($listener, \@notes,
		$PostgreSQL::Test::Utils::timeout_default, 1, $queue);
}

sql(q{SELECT pgmq_c.send('ok', '{"delayed": 1}', NULL, '2 s')});
ok(wait_note('ok'), 'the delayed message of healthy queue ok is notified');
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 1 FROM pgmq_c.read('ok', '1 hour', 1)}),
	'and it became visible');
@notes = ();
sql(q{SELECT pgmq_c.send('ok', '{"now": 1}')});
ok(wait_note('ok'), 'a send to queue ok is notified');

# a topic created now: the worker makes its partitions ahead (p0 .. p21 for
# partition_size 1000 and a send margin of 20000 msg_ids)
sql(q{SELECT pgmq_c.create_topic('tok', '1 day', 1000)});
ok( $node->poll_query_until(
		'postgres', q{
SELECT count(*) >= 22 FROM pg_inherits
 WHERE inhparent = (SELECT format('pgmq_c.t_%s', queue_id)::regclass
                      FROM pgmq_c.queues WHERE queue_name = 'tok')}),
	'the worker makes partitions ahead for healthy topic tok');
is(sql(q{SELECT count(*) FROM (SELECT pgmq_c.send('tok', '{}')) s}), '1',
	'a send to topic tok works');

# a reader of group gok inside a transaction block has the worker fill the
# group for it, although topic tlog and group gbroken of the same topic have
# lost tables
is( sql(q{
BEGIN;
SELECT count(*) FROM pgmq_c.read_group('tgrp', 'gok', '1 hour', 10, '10 s');
COMMIT;}),
	'1',
	'healthy group gok is filled by the worker and read in a transaction block');

#
# 3. The server log names the broken objects.
#
foreach my $re (
	qr/maintenance of topic "tlog" failed: .*t_$id{tlog}_seq/,
	qr/maintenance of topic "tseq" failed: .*t_$id{tseq}_seq/,
	qr/notifications of queue "qdel" in database "postgres" failed: .*d_$id{qdel}/,
	qr/notifications of queue "qmsg" in database "postgres" failed: .*[dq]_$id{qmsg}/)
{
	ok($node->wait_for_log($re, $log_offset), "the server log says $re");
}

# Let several rounds of maintenance (every 5 s) and of notification checks
# (every 10 s) go by: each failing object is still reported only once a
# minute.
ok( $node->poll_query_until(
		'postgres',
		sprintf(q{SELECT clock_timestamp() >= to_timestamp(%.3f) + interval '25 s'},
			$t_break)),
	'25 s went by since the breakage');

#
# 4. SQL maintain_topics() goes past the broken topics.
#
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT pgmq_c.maintain_topics()');
is($ret, 0, 'maintain_topics() succeeds with broken topics');
like($err, qr/WARNING:  pgmq_c: maintenance of topic "tlog" failed/,
	'with a warning naming topic tlog');
like($err, qr/WARNING:  pgmq_c: maintenance of topic "tseq" failed/,
	'and one naming topic tseq');

is(sql($worker_q), $wpid, 'the worker is still the same process: no restart');
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/pgmq_c worker.*exited with exit code/, 'no worker exited');
my $elapsed = time - $t_break;
my $allowed = 1 + int($elapsed / 60);
foreach my $what ('maintenance of topic "tlog" failed',
	'maintenance of topic "tseq" failed',
	'notifications of queue "qdel"', 'notifications of queue "qmsg"')
{
	# the worker's reports only, not maintain_topics()'s warnings above
	my $n = () = $log =~ /\[$wpid\] WARNING:  [^\n]*\Q$what\E/g;
	ok($n >= 1 && $n <= $allowed,
		sprintf("the worker logged '%s' %d times in %.0f s (at most %d)",
			$what, $n, $elapsed, $allowed));
}

# the healthy queue still works after all that
@notes = ();
sql(q{SELECT pgmq_c.send('ok', '{"delayed": 2}', NULL, '1 s')});
ok(wait_note('ok'), 'a later delayed message of queue ok is notified too');
$listener->quit;

#
# 5. The drop functions remove the broken objects.
#
($ret, $out, $err) = $node->psql('postgres', q{SELECT pgmq_c.drop_queue('tlog')});
like($err, qr/"tlog" is a topic, not a queue/,
	'drop_queue of a broken topic says it is a topic');
is(sql(q{SELECT pgmq_c.drop_group('tgrp', 'gbroken')}), 't',
	'drop_group of a group whose table is missing');
is(sql(q{SELECT pgmq_c.drop_group('tlog', 'g')}), 't',
	'drop_group of a group of a topic whose log is missing');
is(sql(q{SELECT pgmq_c.drop_group('tlog', 'g')}), 'f', 'a second time: false');
foreach my $t (qw(tlog tseq tgrp))
{
	is(sql("SELECT pgmq_c.drop_topic('$t')"), 't', "drop_topic('$t')");
}
foreach my $q (qw(qdel qmsg qseq))
{
	is(sql("SELECT pgmq_c.drop_queue('$q')"), 't', "drop_queue('$q')");
}
is(sql(q{SELECT pgmq_c.drop_queue('qmsg')}), 'f', 'drop_queue a second time: false');
my @left = grep { $_ ne '' } split / /, sql(
	sprintf(q{
SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
 WHERE relnamespace = 'pgmq_c'::regnamespace
   AND relname ~ '^[qdatcgpk]_(%s)(_|$)'},
		join('|', values %id, $gbroken)));
is_deeply(\@left, [], 'nothing of the broken objects is left in schema pgmq_c');
is(sql(q{SELECT string_agg(queue_name, ',' ORDER BY queue_name) FROM pgmq_c.queues}),
	'ok,tok', 'pgmq_c.queues holds only the healthy queue and topic');
is(sql(q{SELECT count(*) FROM pgmq_c.groups}), '0', 'and pgmq_c.groups nothing');

# and the healthy ones drop as before, leaving the schema as it was
is(sql(q{SELECT pgmq_c.drop_queue('ok')}), 't', 'drop_queue(ok)');
is(sql(q{SELECT pgmq_c.drop_topic('tok')}), 't', 'drop_topic(tok)');
is(sql($relations_q), $empty_schema, 'schema pgmq_c holds what it held after CREATE EXTENSION');
is(sql($worker_q), $wpid, 'the worker is still the same process');

$node->stop;
done_testing();
