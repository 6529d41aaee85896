# 024_dedup_days.pl: the worker's care of the days of pgmq_c.dedup_ids.
#
# Deduplication ids are remembered in pgmq_c.dedup_ids, one partition per
# UTC day (dedup_ids_p<day since 1970>) and a default partition.  The
# background worker, once a minute and when it starts, makes the days of
# the longest dedup_window up to today and the next two days, drops the days that ended before the longest dedup_window
# of any queue or topic, and deletes from the default partition the ids
# past that window.  Here:
#   - once a queue exists, the worker made the days ahead, whose lookup
#     indexes (as the default partition's) compare ids bytewise, and a
#     send's id goes to today's day;
#   - an old day planted by hand (as the superuser: the days of a worker
#     that was away) and an old id in the default partition are forgotten
#     by the worker: the day dropped whole, the id deleted; an id within the
#     window is still known afterwards, and an id of the old day can be
#     sent again as new;
#   - a day that ended inside the longest window (a queue with a 7-day
#     window) is kept, and the days of that window are made; a send whose
#     window has all its days made does not open the default partition,
#     and one whose window misses a day does;
#   - without the worker, pgmq_c.maintain_topics() does the same;
#   - without today's day, ids go to the default partition and are found
#     there, and maintain_topics() then leaves today there;
#   - a partition changed by hand (a trigger) is refused, as sends write the
#     partitions directly;
#   - the index entries those direct writes make are all there (amcheck,
#     heapallindexed), also in an index the superuser added by hand, and an
#     id is still found in an empty partition once it has one;
#   - the default partition's cleanup, 10,000 ids a pass, removes the
#     oldest first.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('dedup_days');

sub sql { return timed_sql($node, $_[0]); }

my $today = sql(q{SELECT floor(extract(epoch FROM now()) / 86400)::bigint});

# 1. Once a queue exists, today and the next two days are made (not before:
# a restore creates the days it dumped right after CREATE EXTENSION, TAP
# 042): by create_queue itself, outside a transaction block, so that its
# first ids go to today's partition and not to the default one (the
# worker's pass comes once a minute)
is( sql(q{SELECT count(*) FROM pg_class WHERE relname LIKE 'dedup_ids_p%'}),
	'0', 'no day of pgmq_c.dedup_ids before the first queue');
sql(q{SELECT pgmq_c.create_queue('dd')});
is( sql(
		qq{
SELECT count(*) FROM pg_class
 WHERE relnamespace = 'pgmq_c'::regnamespace
   AND relname IN ('dedup_ids_p$today', 'dedup_ids_p@{[$today + 1]}', 'dedup_ids_p@{[$today + 2]}')}
	),
	'3',
	'create_queue, the first queue, made today and the next two days of pgmq_c.dedup_ids');

my $first = sql(q{SELECT pgmq_c.send('dd', '{"n": 1}', dedup_id => 'now')});
is( sql(q{SELECT tableoid::regclass FROM pgmq_c.dedup_ids WHERE dedup_id = 'now'}),
	"pgmq_c.dedup_ids_p$today", "a send's id goes to today's partition");
my $qid = sql(q{SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'dd'});
# the lookup indexes compare ids bytewise, whatever the database's collation
# (yesterday too is made in the first 5 minutes of a day, inside the
# window: left out here)
is( sql(qq{
SELECT string_agg(c.relname || ':' || coalesce(l.collname, '-'), ',' ORDER BY c.relname)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
  LEFT JOIN pg_collation l ON l.oid = i.indcollation[1]
 WHERE c.relnamespace = 'pgmq_c'::regnamespace AND c.relname LIKE 'dedup_ids_%'
   AND c.relname <> 'dedup_ids_p@{[$today - 1]}'}),
	join(',', 'dedup_ids_default:C', map { "dedup_ids_p$_:C" } ($today .. $today + 2)),
	'the lookup index of the default partition and of each day made compares in "C"');

# 2. An old day and an old id in the default partition, as a worker that
# was away for days would have left them.  The worker is stopped meanwhile:
# its pass (once a minute, and when it starts) would forget them before
# they are looked at
sql(q{ALTER SYSTEM SET pgmq_c.worker = off; SELECT pg_reload_conf()});
$node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker'})
  or die 'the worker did not stop';
my $old = $today - 3;
sql(qq{
CREATE TABLE pgmq_c.dedup_ids_p$old PARTITION OF pgmq_c.dedup_ids
  FOR VALUES FROM (to_timestamp($old * 86400)) TO (to_timestamp(($old + 1) * 86400));
CREATE INDEX ON pgmq_c.dedup_ids_p$old (queue_id, dedup_id);
INSERT INTO pgmq_c.dedup_ids VALUES
  ($qid, 'old-day', 9001, to_timestamp($old * 86400 + 3600)),
  ($qid, 'old-default', 9002, to_timestamp(($today - 5) * 86400 + 3600));});
is( sql(
		q{SELECT string_agg(dedup_id || ':' || tableoid::regclass, ',' ORDER BY dedup_id)
		    FROM pgmq_c.dedup_ids WHERE dedup_id LIKE 'old-%'}),
	"old-day:pgmq_c.dedup_ids_p$old,old-default:pgmq_c.dedup_ids_default",
	'the old ids are in the old day and in the default partition');

# they are past the window (5 minutes): a send of one is new, and is
# remembered in today's partition, the old row left to the worker
my $again = sql(q{SELECT pgmq_c.send('dd', '{"n": 2}', dedup_id => 'old-day')});
isnt($again, '9001', 'an id past the window is sent as new');
is(sql(q{SELECT count(*) FROM pgmq_c.dedup_ids WHERE dedup_id = 'old-day'}),
	'2', 'the id is remembered again (today), its old row still there');

# 3. The worker's pass (it runs one when it starts) forgets them
sql(q{ALTER SYSTEM RESET pgmq_c.worker});
$node->restart;
ok( $node->poll_query_until(
		'postgres', qq{
SELECT NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'dedup_ids_p$old'
                     AND relnamespace = 'pgmq_c'::regnamespace)
   AND NOT EXISTS (SELECT 1 FROM pgmq_c.dedup_ids_default WHERE dedup_id = 'old-default')}),
	'the worker dropped the old day whole and deleted the old id of the default partition');
is( sql(
		q{SELECT string_agg(dedup_id || ':' || msg_id, ',' ORDER BY dedup_id) FROM pgmq_c.dedup_ids}),
	"now:$first,old-day:$again",
	'the ids of today are kept');
is(sql(q{SELECT pgmq_c.send('dd', '{"n": 3}', dedup_id => 'now')}),
	$first, 'an id within the window is still known after the pass');
is(sql(q{SELECT count(*) FROM pgmq_c.q_} . $qid),
	'2', 'and nothing more was stored');

# 4. A day that ended within the longest window is kept: a queue with a
# 7-day window keeps a day of 3 days ago
sql(q{SELECT pgmq_c.create_queue('dd_week', dedup_window => '7 days')});
sql(qq{
CREATE TABLE pgmq_c.dedup_ids_p$old PARTITION OF pgmq_c.dedup_ids
  FOR VALUES FROM (to_timestamp($old * 86400)) TO (to_timestamp(($old + 1) * 86400));
CREATE INDEX ON pgmq_c.dedup_ids_p$old (queue_id, dedup_id);
INSERT INTO pgmq_c.dedup_ids
  SELECT queue_id, 'week-old', 9003, to_timestamp($old * 86400 + 3600)
    FROM pgmq_c.queues WHERE queue_name = 'dd_week';});
is(sql(q{SELECT pgmq_c.send('dd_week', '{"n": 4}', dedup_id => 'week-old')}),
	'9003', 'within a 7-day window, an id of 3 days ago is known');
# an id of 10 days ago in the default partition: past every window, so the
# pass after the restart deletes it -- the sign that the pass has run
sql(qq{INSERT INTO pgmq_c.dedup_ids VALUES
  ($qid, 'ten-days', 9004, to_timestamp(($today - 10) * 86400 + 3600))});
$node->restart;
ok( $node->poll_query_until(
		'postgres', q{SELECT NOT EXISTS (SELECT 1 FROM pgmq_c.dedup_ids_default WHERE dedup_id = 'ten-days')}),
	'the pass after the restart deleted the id past every window');
is( sql(qq{SELECT count(*) FROM pg_class WHERE relname = 'dedup_ids_p$old'
           AND relnamespace = 'pgmq_c'::regnamespace}),
	'1', 'the day inside the longest window (7 days) is kept');
is(sql(q{SELECT pgmq_c.send('dd_week', '{"n": 5}', dedup_id => 'week-old')}),
	'9003', 'and its id still known');
# the pass also made the days of that window before today: a send whose
# window has every day made does not look in the default partition (it
# cannot hold ids of those days), and does not even lock it
is( sql(
		qq{SELECT count(*) FROM pg_class WHERE relnamespace = 'pgmq_c'::regnamespace
		     AND relname IN (@{[join(', ', map { "'dedup_ids_p$_'" } ($today - 7 .. $today - 1))]})}
	),
	'7',
	'the pass made the 7 days of the longest window before today');
is( sql(
		q{BEGIN;
SELECT pgmq_c.send('dd_week', '{"n": 6}', dedup_id => 'week-new') > 0;
SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()
   AND relation = 'pgmq_c.dedup_ids_default'::regclass;
COMMIT;}),
	"t\n0",
	'a send whose window has every day made leaves the default partition alone');

# 5. Without the worker, maintain_topics() does the same
$node->append_conf('postgresql.conf', "pgmq_c.worker = off\n");
$node->restart;
is(sql(q{SELECT worker_pid IS NULL FROM pgmq_c.status()}), 't', 'no worker now');
my $older = $today - 20;
sql(qq{
CREATE TABLE pgmq_c.dedup_ids_p$older PARTITION OF pgmq_c.dedup_ids
  FOR VALUES FROM (to_timestamp($older * 86400)) TO (to_timestamp(($older + 1) * 86400));});
sql(q{SELECT pgmq_c.maintain_topics()});
is( sql(qq{SELECT count(*) FROM pg_class WHERE relname IN ('dedup_ids_p$older', 'dedup_ids_p$old')
           AND relnamespace = 'pgmq_c'::regnamespace}),
	'1', 'maintain_topics() dropped the day past every window, kept the one inside');

# 6. Without today's day (gone, and no worker to make it), a send's id is
# remembered in the default partition and found there.  The day is dropped
# in the transaction of the first send, so that nothing makes it again in
# between.
sql(q{SELECT pgmq_c.create_queue('dd_default')});
my ($in_default, $default_locks) = split /\n/, sql(qq{
BEGIN;
DROP TABLE pgmq_c.dedup_ids_p$today;
SELECT pgmq_c.send('dd_default', '{"n": 1}', dedup_id => 'in-default');
SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()
   AND relation = 'pgmq_c.dedup_ids_default'::regclass AND mode = 'RowExclusiveLock';
COMMIT;});
is($default_locks, '1', 'a send whose window misses a day opens the default partition');
is( sql(q{SELECT tableoid::regclass FROM pgmq_c.dedup_ids WHERE dedup_id = 'in-default'}),
	'pgmq_c.dedup_ids_default',
	'without today\'s day, the id went to the default partition');
is(sql(q{SELECT pgmq_c.send('dd_default', '{"n": 2}', dedup_id => 'in-default')}),
	$in_default, 'a second send of it finds it there');
is( sql(
		q{SELECT string_agg(id::text, ',') FROM pgmq_c.send_batch('dd_default',
		    ARRAY['{"n": 3}', '{"n": 4}']::jsonb[], dedup_ids => ARRAY['in-default', 'new-b']) id}
	),
	$in_default . ',' . ($in_default + 1),
	'so does a batch, which stores its new id only');
is(sql(q{SELECT count(*) FROM pgmq_c.dedup_ids_default WHERE dedup_id IN ('in-default', 'new-b')}),
	'2', 'both ids are in the default partition');
sql(q{SELECT pgmq_c.maintain_topics()});
is( sql(qq{SELECT count(*) FROM pg_class WHERE relname = 'dedup_ids_p$today'
           AND relnamespace = 'pgmq_c'::regnamespace}),
	'0', 'maintain_topics() leaves today in the default partition, which holds ids of today');
is(sql(q{SELECT pgmq_c.send('dd_default', '{"n": 5}', dedup_id => 'new-b')}),
	$in_default + 1, 'and the ids stay known');

# An id sent again past its window, then the window lengthened to take in
# both sends: in the default partition (no unique index) both rows stay,
# and a send answers with the later one, as where a day's unique index
# keeps only that one.  The earlier send is written by hand 90 minutes
# back, with a window of an hour (in the first 90 minutes of a day it
# lands in yesterday's partition if that is made: another partition, the
# same answer).
sql(q{SELECT pgmq_c.alter_queue('dd_default', dedup_window => '1 hour')});
sql(q{INSERT INTO pgmq_c.dedup_ids (queue_id, dedup_id, msg_id, first_at)
  SELECT queue_id, 'lengthened', 9100, now() - interval '90 minutes'
    FROM pgmq_c.queues WHERE queue_name = 'dd_default'});
my $later = sql(q{SELECT pgmq_c.send('dd_default', '{"n": 51}', dedup_id => 'lengthened')});
isnt($later, '9100', 'past its window, the id stores a new message');
sql(q{SELECT pgmq_c.alter_queue('dd_default', dedup_window => '3 hours')});
is( sql(q{SELECT count(*) FROM pgmq_c.dedup_ids WHERE dedup_id = 'lengthened'}),
	'2', 'both sends of the id are remembered');
is(sql(q{SELECT pgmq_c.send('dd_default', '{"n": 52}', dedup_id => 'lengthened')}),
	$later, 'with the window lengthened, a send gets the later message');
is( sql(
		q{SELECT id FROM pgmq_c.send_batch('dd_default', ARRAY['{"n": 53}']::jsonb[],
		    dedup_ids => ARRAY['lengthened']) id}),
	$later,
	'so does a batch');
sql(q{SELECT pgmq_c.alter_queue('dd_default', dedup_window => '5 minutes')});

# 7. Sends read and write the partitions directly: one changed by hand (a
# trigger, here) is refused with an error, and nothing is sent
sql(q{
CREATE FUNCTION public.dd_trigger() RETURNS trigger LANGUAGE plpgsql
  AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER dd_trigger BEFORE INSERT ON pgmq_c.dedup_ids_default
  FOR EACH ROW EXECUTE FUNCTION public.dd_trigger();});
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	q{SELECT pgmq_c.send('dd_default', '{"n": 6}', dedup_id => 'refused')},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like(
	$stderr,
	qr/55000: "dedup_ids_default" is not a deduplication partition as pgmq_c makes them/,
	'a send with an id into a partition with a trigger is refused (55000)');
is(sql(q{SELECT count(*) FROM pgmq_c.metrics('dd_default') WHERE queue_length = 3}),
	'1', 'and stored nothing');
sql(q{DROP TRIGGER dd_trigger ON pgmq_c.dedup_ids_default});
isnt(sql(q{SELECT pgmq_c.send('dd_default', '{"n": 7}', dedup_id => 'refused')}),
	'', 'without the trigger, sends with ids work again');

# a column of another type (msg_id made numeric by hand): the direct reads
# would take its values for int8s, so sends with ids, known or new, are
# refused the same way; with the type back they work, and a known id gives
# its first msg_id
my $refused_id = sql(q{SELECT pgmq_c.send('dd_default', '{"n": 8}', dedup_id => 'refused')});
sql(q{ALTER TABLE pgmq_c.dedup_ids ALTER COLUMN msg_id TYPE numeric});
for my $id ('refused', 'typed')
{
	($ret, $stdout, $stderr) = $node->psql('postgres',
		qq{SELECT pgmq_c.send('dd_default', '{"n": 9}', dedup_id => '$id')},
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like(
		$stderr,
		qr/55000: "dedup_ids_[a-z0-9_]+" is not a deduplication partition as pgmq_c makes them/,
		"with msg_id numeric, a send with the id '$id' is refused (55000)");
}
sql(q{ALTER TABLE pgmq_c.dedup_ids ALTER COLUMN msg_id TYPE bigint});
is(sql(q{SELECT pgmq_c.send('dd_default', '{"n": 10}', dedup_id => 'refused')}),
	$refused_id, 'with the type back, a known id gives its first msg_id');

# 8. The index entries of the direct writes: amcheck's heapallindexed check
# fails if any row of a partition is missing from an index of it.  Into
# the lookup index alone (the default partition as pgmq_c made it), then
# with a second index added by hand, which every later send must fill too.
sql(q{CREATE EXTENSION amcheck});
sql(q{SELECT pgmq_c.send_batch('dd_default', ARRAY['{}', '{}', '{}']::jsonb[],
        dedup_ids => ARRAY['ix-1', 'ix-2', 'ix-1'])});
is(sql(q{SELECT count(*) FROM pgmq_c.dedup_ids_default WHERE dedup_id LIKE 'ix-%'}),
	'2', 'a batch with a repeated id remembers each id once');
is(sql(q{SELECT bt_index_check('pgmq_c.dedup_ids_default_lookup', true)}),
	'', 'every row of the default partition is in its lookup index');
sql(q{CREATE INDEX dd_by_time ON pgmq_c.dedup_ids_default (first_at)});
my $ix3 = sql(q{SELECT pgmq_c.send('dd_default', '{}', dedup_id => 'ix-3')});
sql(q{SELECT pgmq_c.send_batch('dd_default', ARRAY['{}', '{}']::jsonb[],
        dedup_ids => ARRAY['ix-4', 'ix-5'])});
is(sql(q{SELECT bt_index_check('pgmq_c.dd_by_time', true)}),
	'', 'every row is also in the index added by hand');
is(sql(q{SELECT bt_index_check('pgmq_c.dedup_ids_default_lookup', true)}),
	'', 'and still in the lookup index');
is( sql(q{SET enable_seqscan = off; SET enable_bitmapscan = off;
          SELECT count(*) FROM pgmq_c.dedup_ids_default WHERE first_at > now() - interval '1 hour'
             AND dedup_id IN ('ix-3', 'ix-4', 'ix-5')}),
	'3', 'the index added by hand finds the ids sent after it was made');
is(sql(q{SELECT pgmq_c.send('dd_default', '{}', dedup_id => 'ix-3')}),
	$ix3, 'and the ids are found again');
sql(q{DROP INDEX pgmq_c.dd_by_time});

# A day partition with nothing in it: a lookup skips it by its index's
# metapage.  The day before yesterday's, made by the worker for dd_week's
# 7-day window (not yesterday's: in the first 90 minutes of a day the
# 'lengthened' row of section 6 is there): one session looks it up while
# empty, then plants an id there, and the next send of that id finds it.
my $empty_day = $today - 2;
is(sql(qq{SELECT count(*) FROM pgmq_c.dedup_ids_p$empty_day}),
	'0', 'the day before yesterday\'s partition is empty');
is( sql(qq{
SELECT pgmq_c.send('dd_week', '{}', dedup_id => 'seen-empty') > 0;
INSERT INTO pgmq_c.dedup_ids
  SELECT queue_id, 'planted', 9200, to_timestamp($empty_day * 86400 + 3600)
    FROM pgmq_c.queues WHERE queue_name = 'dd_week';
SELECT pgmq_c.send('dd_week', '{}', dedup_id => 'planted');}),
	"t\n9200",
	'an id planted in a partition this session saw empty is found there');
is( sql(qq{SELECT tableoid::regclass FROM pgmq_c.dedup_ids WHERE dedup_id = 'planted'}),
	"pgmq_c.dedup_ids_p$empty_day", 'it is in the day before yesterday\'s partition');

# 9. The default partition's cleanup removes 10,000 ids a pass, the oldest
# first: of an id sent again, the latest row goes last, so that a window
# lengthened later never finds an earlier row alone.  Planted in the order
# a plain scan meets them: the later row of 'resent' first, then 10,000
# ids sent between its two rows, then its earlier row.  (Before, the pass
# removed the first 10,000 rows it met, the later row among them, and the
# earlier row was left.)
my $month = $today - 30;
sql(qq{
INSERT INTO pgmq_c.dedup_ids_default
  SELECT queue_id, 'resent', 9302, to_timestamp($month * 86400 + 7200)
    FROM pgmq_c.queues WHERE queue_name = 'dd_default';
INSERT INTO pgmq_c.dedup_ids_default
  SELECT queue_id, 'filler-' || i, 9400 + i, to_timestamp($month * 86400 + 3600 + i / 1000.0)
    FROM pgmq_c.queues, generate_series(1, 10000) i WHERE queue_name = 'dd_default';
INSERT INTO pgmq_c.dedup_ids_default
  SELECT queue_id, 'resent', 9301, to_timestamp($month * 86400)
    FROM pgmq_c.queues WHERE queue_name = 'dd_default';});
sql(q{SELECT pgmq_c.maintain_topics()});
is( sql(qq{SELECT string_agg(msg_id::text, ',' ORDER BY msg_id) FROM pgmq_c.dedup_ids_default
            WHERE first_at < to_timestamp(($month + 1) * 86400)}),
	'9302,19400',
	'one pass removed the 10,000 oldest ids: the later row of a resent id and the newest other id are left');
sql(q{SELECT pgmq_c.maintain_topics()});
is( sql(qq{SELECT count(*) FROM pgmq_c.dedup_ids_default
            WHERE first_at < to_timestamp(($month + 1) * 86400)}),
	'0', 'the next pass removed the rest');

$node->stop;
done_testing();
