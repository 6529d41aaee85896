# 046_dedup_review.pl: deduplication ids in three settings that the review
# of session 46 found broken; each check failed before its fix.
#
#   1. A day partition whose unique lookup index was remade by REINDEX
#      CONCURRENTLY, beside an index on (queue_id, dedup_id) a superuser
#      added by hand: the check of the partition took the first index that
#      fits, now the hand-made plain one, and a record did not settle the
#      id's earlier row, so an id sent again after its window the same day
#      failed with 23505.  The unique index is now preferred.
#   2. A resend of a known id to a topic made its transaction a sender of
#      the topic (which holds back the messages sent after it) but did not
#      wake the groups' waiting readers at its commit: a reader waiting for
#      another session's message slept its whole wait and got nothing.
#   3. pgmq_c.dedup_ids published for logical replication (an upgrade by
#      logical replication, a publication FOR ALL TABLES): a resend's claim
#      inserted a second live entry of the id into today's unique index,
#      then deleted it, and the subscriber's apply worker failed on the
#      insert (23505) for good.  With wal_level = logical, sends look ids up
#      and then record them, and a record deletes an id's earlier row before
#      it inserts the new one.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(usleep);

my $node = pgmqc_node('dedup_review');

sub sql { return timed_sql($node, $_[0]); }

my $today = sql(q{SELECT floor(extract(epoch FROM now()) / 86400)::bigint});

# 1. REINDEX CONCURRENTLY beside a hand-made index: an id sent again after
# its window (1 second) is stored anew, its earlier row replaced
sql(q{SELECT pgmq_c.create_queue('dr_reindex', dedup_window => '1 second')});
my $part = "pgmq_c.dedup_ids_p$today";
my $unique = sql(qq{
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = '$part'::regclass AND indisunique});
sql(qq{CREATE INDEX dr_by_hand ON $part (queue_id, dedup_id COLLATE "C")});
sql(qq{REINDEX INDEX CONCURRENTLY $unique});
my $first = sql(q{SELECT pgmq_c.send('dr_reindex', '{}', dedup_id => 'a')});
usleep(1_300_000);
my ($ret, $out, $err) = $node->psql('postgres',
	q{SELECT pgmq_c.send('dr_reindex', '{}', dedup_id => 'a')});
is($ret, 0, 'an id sent again after its window is accepted (no 23505)')
  or diag $err;
isnt($out, $first, 'and stored as a new message');
is( sql(qq{SELECT count(*) FROM $part p JOIN pgmq_c.queues q USING (queue_id)
            WHERE q.queue_name = 'dr_reindex' AND p.dedup_id = 'a'}),
	'1', 'its earlier row replaced');
sql(q{CREATE EXTENSION amcheck});
is(sql(qq{SELECT bt_index_check('$unique', true)}),
	'', 'the unique index holds every row of the partition');
sql(q{DROP INDEX pgmq_c.dr_by_hand});

# 2. A topic resend wakes the groups' waiting readers at its commit
sql(q{SELECT pgmq_c.create_topic('dr_topic', dedup_window => '1 day')});
sql(q{SELECT pgmq_c.create_group('dr_topic', 'g', start_at => 'earliest')});
my $known = sql(q{SELECT pgmq_c.send('dr_topic', '{"n": 0}', dedup_id => 'd')});
is( sql(q{SELECT count(*) FROM pgmq_c.read_group('dr_topic', 'g', vt => '1 hour', qty => 10)}),
	'1', 'the group read the first send');

my $resender = $node->background_psql('postgres');
$resender->query_safe('BEGIN');
is($resender->query_safe(q{SELECT pgmq_c.send('dr_topic', '{"n": 1}', dedup_id => 'd')}),
	$known, 'a resend in an open transaction returns the first msg_id');
# sent after the resend's draw: held back until the resend's transaction ends
my $plain = sql(q{SELECT pgmq_c.send('dr_topic', '{"n": 2}')});
my $reader = start_session($node, 'dr_reader', "SET pgmq_c.wait_slice = '60s'",
	"SELECT string_agg(msg_id::text, ',') FROM pgmq_c.read_group('dr_topic', 'g', vt => '1 hour', qty => 10, wait => '20 s')");
ok(wait_sleeping($node, 'dr_reader', 1, $reader), 'a reader of the group waits');
$resender->query_safe('COMMIT');
is(finish_session($reader), $plain,
	"the resend's commit wakes it, and it gets the other session's message");
$resender->quit;
$node->stop('immediate');

# 3. Logical replication of pgmq_c.dedup_ids
my $pub = pgmqc_node('dedup_pub',
	conf => "wal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\n");
my $sub = pgmqc_node('dedup_sub');
$pub->safe_psql('postgres', q{
SELECT pgmq_c.create_queue('dr_pub', dedup_window => '1 day');
SELECT pgmq_c.create_topic('dr_pub_topic', dedup_window => '1 day');
CREATE PUBLICATION dedup_ids FOR TABLE pgmq_c.dedup_ids;});
# the subscriber's days of pgmq_c.dedup_ids (made once a queue exists), as
# the publisher's.  A new queue makes today's day at once, but the days
# before today that its window covers (yesterday's, for a 1-day window)
# come with the worker's next pass, on each node at its own time; CREATE
# SUBSCRIPTION needs every published day on the subscriber (it failed when
# only the publisher's worker had made yesterday's).  maintain_topics()
# makes them on both now.
$sub->safe_psql('postgres', q{SELECT pgmq_c.create_queue('other', dedup_window => '1 day')});
my $days_sql = q{
DO $$ BEGIN PERFORM pgmq_c.maintain_topics(); END $$;
SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_catalog.pg_inherits i
  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'pgmq_c.dedup_ids'::pg_catalog.regclass};
my $pub_days = $pub->safe_psql('postgres', $days_sql);
is($sub->safe_psql('postgres', $days_sql), $pub_days,
	"the subscriber has every day the publisher publishes");
my $connstr = $pub->connstr . ' dbname=postgres';
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION dedup_ids CONNECTION '$connstr' PUBLICATION dedup_ids WITH (copy_data = false)");
$pub->wait_for_catchup('dedup_ids');

my $q1 = $pub->safe_psql('postgres', q{SELECT pgmq_c.send('dr_pub', '{}', dedup_id => 'a')});
my $t1 = $pub->safe_psql('postgres', q{SELECT pgmq_c.send('dr_pub_topic', '{}', dedup_id => 'a')});
is($pub->safe_psql('postgres', q{SELECT pgmq_c.send('dr_pub', '{}', dedup_id => 'a')}),
	$q1, 'a resend to the queue returns the first msg_id');
is($pub->safe_psql('postgres', q{SELECT pgmq_c.send('dr_pub_topic', '{}', dedup_id => 'a')}),
	$t1, 'and to the topic');
is( $pub->safe_psql('postgres',
		q{SELECT count(*) FROM pgmq_c.send_batch('dr_pub', ARRAY['{}', '{}']::jsonb[], dedup_ids => ARRAY['a', 'b'])}),
	'2', 'a batch resending one id');
$pub->safe_psql('postgres', q{SELECT pgmq_c.send('dr_pub', '{}', dedup_id => 'after')});
my $caught = eval {
	local $PostgreSQL::Test::Utils::timeout_default = 60;
	$pub->wait_for_catchup('dedup_ids');
	1;
};
ok($caught, 'the subscriber applied the resends');
is( $sub->safe_psql('postgres',
		q{SELECT string_agg(dedup_id, ',' ORDER BY dedup_id) FROM pgmq_c.dedup_ids}),
	'a,a,after,b', 'it holds each id once per queue or topic');
unlike(slurp_file($sub->logfile),
	qr/duplicate key value violates unique constraint "dedup_ids_p/,
	'its apply worker met no duplicate key');
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION dedup_ids DISABLE');
$sub->stop('immediate');
$pub->stop('immediate');
done_testing();
