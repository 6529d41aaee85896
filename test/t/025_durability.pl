# 025_durability.pl: durability levels of queues and topics (0.8.0).
#
# An unlogged queue (create_queue(..., durability => 'unlogged')) has its
# message, delayed, pending and keys tables UNLOGGED; its sequence and its
# archive stay logged.  An unlogged topic (create_topic(..., durability =>
# 'unlogged')) has the partitions of its log and its groups' tables
# UNLOGGED; its sequence and its cursor table stay logged.  Here:
#   1. A crash (immediate stop) with an unlogged queue 'fast' and a logged
#      queue 'safe', both holding live, leased and delayed messages: after
#      the restart 'fast' is empty and usable, its msg_ids going on above
#      every one handed out before (the sequence is logged), its archive
#      kept; 'safe' has exactly its messages, leases and delayed message;
#      list_queues() and pg_class tell the durability of each.  A
#      deduplication id sent to the unlogged queue before the crash does not
#      answer a resend after it with the lost message's msg_id.  The same
#      crash with an unlogged topic 'ft' and a logged topic 'st', each with
#      a group holding a lease: 'ft' and its group are empty and usable
#      (publish and read_group work, msg_ids go on above the old ones, a
#      dedup id does not answer with a lost message), 'st' and its group
#      have their messages, lease and position.
#   2. A streaming standby made from a backup: there, any function opening
#      'fast' or 'ft' that may run on a standby fails with 0A000 (queue
#      "fast" is unlogged, topic "ft" is unlogged); read_group, which
#      writes, is refused there for any topic (25006); 'safe' and 'st' show
#      their replicated messages, and metrics_all() leaves 'fast' and 'ft'
#      out; once promoted, 'fast' and 'ft' are empty and usable, their
#      msg_ids above every one of the old primary, and 'safe' has its
#      messages and leases.
#   3. alter_queue(durability => ...) switches a queue, and a topic, with
#      messages: made unlogged it keeps them (until a crash, which empties
#      it), made logged again before a crash it keeps them through the
#      crash; sends after a switch either way, then a crash: the msg_ids go
#      on above theirs.
#   4. A failover to an asynchronous standby that missed the old primary's
#      last 100 sends: the promoted node hands out msg_ids past every one
#      of the old primary (queues and topics), and logs the move.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('durability', init => { allows_streaming => 1 });

sub sql { return timed_sql($node, $_[0]); }

# queue_length|in_flight_length|delayed_length of queue $q on node $n
sub lengths
{
	my ($n, $q) = @_;
	return timed_sql($n,
		"SELECT queue_length, in_flight_length, delayed_length FROM pgmq_c.metrics('$q')");
}

# the msg_ids of queue $id (live and delayed), as the superuser sees them
sub stored_ids
{
	my ($n, $id) = @_;
	return timed_sql(
		$n, qq{
SELECT coalesce(string_agg(msg_id::text, ',' ORDER BY msg_id), '')
  FROM (SELECT msg_id FROM pgmq_c.q_$id UNION ALL SELECT msg_id FROM pgmq_c.d_$id) m});
}

# relname:relpersistence of queue $id's relations
sub persistence
{
	my ($n, $id) = @_;
	return timed_sql(
		$n, qq{
SELECT string_agg(relname || ':' || relpersistence::text, ',' ORDER BY relname)
  FROM pg_class WHERE relnamespace = 'pgmq_c'::regnamespace
   AND relname IN ('q_$id', 'd_$id', 'p_$id', 'k_$id', 'a_$id', 'q_${id}_seq')});
}

# the durability column of list_queues() for queue $q
sub durability
{
	my ($n, $q) = @_;
	return timed_sql($n,
		"SELECT durability FROM pgmq_c.list_queues() WHERE queue_name = '$q'");
}

# msg_id of what read($q, '1 hour', 100) returns, in order
sub read_ids
{
	my ($n, $q) = @_;
	return timed_sql($n,
		"SELECT coalesce(string_agg(msg_id::text, ','), '') FROM pgmq_c.read('$q', '1 hour', 100)");
}

sub max_id { my $m = 0; foreach (@_) { $m = $_ if $_ > $m; } return $m; }

# relname:relpersistence of topic $id's partitions, sequence and cursor
# table and of its groups' tables, with the ids left out (t_p for every
# partition, t_seq, c, g), each pair once
sub topic_persistence
{
	my ($n, $id) = @_;
	return timed_sql(
		$n, qq{
SELECT string_agg(DISTINCT pair, ',' ORDER BY pair)
  FROM (SELECT regexp_replace(relname, '^([tcg])_[0-9]+(_p)?[0-9]*', '\\1\\2')
               || ':' || relpersistence::text COLLATE "C" AS pair
          FROM pg_class WHERE relnamespace = 'pgmq_c'::regnamespace AND relkind IN ('r', 'S')
           AND (relname ~ '^[tc]_${id}(_|\$)'
                OR relname IN (SELECT 'g_' || group_id FROM pgmq_c.groups WHERE topic_id = $id))) p});
}

# the durability column of list_topics() for topic $t
sub topic_durability
{
	my ($n, $t) = @_;
	return timed_sql($n,
		"SELECT durability FROM pgmq_c.list_topics() WHERE topic_name = '$t'");
}

# queue_length|delayed_length of topic $t, and in_flight (leased) of its
# group g
sub topic_state
{
	my ($n, $t) = @_;
	return timed_sql(
		$n, qq{
SELECT m.queue_length || '|' || m.delayed_length || '|' || g.in_flight
  FROM pgmq_c.metrics('$t') m, pgmq_c.list_groups('$t') g WHERE g.group_name = 'g'});
}

# the next msg_id group g of topic $t hands out (its cursor; the worker
# moves it on over new messages at any time)
sub group_next
{
	my ($n, $t) = @_;
	return timed_sql($n,
		"SELECT next_msg_id FROM pgmq_c.list_groups('$t') WHERE group_name = 'g'");
}

# msg_id of what read_group($t, 'g', '1 hour', 100) returns, in order
sub read_group_ids
{
	my ($n, $t) = @_;
	return timed_sql($n,
		"SELECT coalesce(string_agg(msg_id::text, ','), '') FROM pgmq_c.read_group('$t', 'g', '1 hour', 100)");
}

# ---------------------------------------------------------------------
# 1. Crash with an unlogged and a logged queue
sql(q{SELECT pgmq_c.create_queue('fast', durability => 'unlogged')});
sql(q{SELECT pgmq_c.create_queue('safe')});
my $fid = sql(q{SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'fast'});
my $sid = sql(q{SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'safe'});

is(durability($node, 'fast'), 'unlogged', 'list_queues: fast is unlogged');
is(durability($node, 'safe'), 'logged', 'list_queues: safe is logged (the default)');
is(persistence($node, $fid),
	"a_$fid:p,d_$fid:u,k_$fid:u,p_$fid:u,q_$fid:u,q_${fid}_seq:p",
	'fast: q_, d_, p_, k_ unlogged; sequence and archive logged');
is(persistence($node, $sid),
	"a_$sid:p,d_$sid:p,k_$sid:p,p_$sid:p,q_$sid:p,q_${sid}_seq:p",
	'safe: every relation logged');

my %ids;    # queue => [msg_ids handed out]
my %leased;
my %delayed;
foreach my $q ('fast', 'safe')
{
	my @sent = split /\n/,
	  sql(qq{SELECT * FROM pgmq_c.send_batch('$q',
	           ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}', '{"n": 5}', '{"n": 6}']::jsonb[])});
	is(scalar(@sent), 6, "$q: 6 messages sent");
	$delayed{$q} = sql(qq{SELECT pgmq_c.send('$q', '{"n": "later"}', delay => '1 hour')});
	# two of them leased for an hour
	$leased{$q} = [ split /\n/, sql(qq{SELECT msg_id FROM pgmq_c.read('$q', '1 hour', 2)}) ];
	is_deeply($leased{$q}, [ @sent[ 0, 1 ] ], "$q: the first two leased");
	# one archived, one deleted
	is(sql(qq{SELECT pgmq_c.archive('$q', $sent[2])}), 't', "$q: one archived");
	is(sql(qq{SELECT pgmq_c.delete('$q', $sent[3])}), 't', "$q: one deleted");
	$ids{$q} = [ @sent, $delayed{$q} ];
	is(lengths($node, $q), '5|2|1', "$q before the crash: 5 messages, 2 leased, 1 delayed");
}
my $fast_max = max_id(@{ $ids{fast} });
my $safe_before = stored_ids($node, $sid);
is($safe_before,
	join(',', sort { $a <=> $b } @{ $ids{safe} }[ 0, 1, 4, 5, 6 ]),
	'safe holds the two leased, two live and the delayed message');

# more msg_ids of fast consumed in a rolled-back transaction: not reused
# either
my $rolled = sql(q{BEGIN; SELECT pgmq_c.send('fast', '{"n": "rolled back"}'); ROLLBACK;});
$fast_max = $rolled if $rolled > $fast_max;

# deduplication ids are logged, an unlogged queue's messages are not: a
# resend after the crash must not be answered with a message that is gone
sql(q{SELECT pgmq_c.create_queue('fast_dd', durability => 'unlogged', dedup_window => '1 hour')});
sql(q{SELECT pgmq_c.create_queue('safe_dd', dedup_window => '1 hour')});
my $fast_dd = sql(q{SELECT pgmq_c.send('fast_dd', '{"d": 1}', dedup_id => 'd1')});
is(sql(q{SELECT pgmq_c.send('fast_dd', '{"d": 2}', dedup_id => 'd1')}),
	$fast_dd, 'before the crash, a resend to the unlogged queue is deduplicated');
my $safe_dd = sql(q{SELECT pgmq_c.send('safe_dd', '{"d": 1}', dedup_id => 'd1')});

# topics: 'ft' unlogged, 'st' logged, each with a group g holding a lease,
# an acknowledged message, messages not yet read and a delayed one
sql(q{SELECT pgmq_c.create_topic('ft', durability => 'unlogged')});
sql(q{SELECT pgmq_c.create_topic('st')});
my %tid;
my %tsent;
my %tdelayed;
foreach my $t ('ft', 'st')
{
	$tid{$t} = sql(qq{SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name = '$t'});
	sql(qq{SELECT pgmq_c.create_group('$t', 'g', 'earliest')});
	$tsent{$t} = [ split /\n/,
		  sql(qq{SELECT * FROM pgmq_c.send_batch('$t',
	           ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}', '{"n": 5}', '{"n": 6}']::jsonb[])}) ];
	$tdelayed{$t} = sql(qq{SELECT pgmq_c.send('$t', '{"n": "later"}', delay => '1 hour')});
	is(read_group_ids($node, $t) =~ s/,.*//r, $tsent{$t}[0], "$t: read_group starts at the first message");
	is(sql(qq{SELECT pgmq_c.ack('$t', 'g', $tsent{$t}[0])}), 't', "$t: the first acknowledged");
	# all but the first given back: the second stays leased for an hour
	sql(qq{SELECT count(*)
	         FROM unnest(ARRAY[$tsent{$t}[2], $tsent{$t}[3], $tsent{$t}[4], $tsent{$t}[5]]::bigint[]) id,
	              LATERAL pgmq_c.set_vt('$t', 'g', id, '0') m});
}
my $ft_gid = sql(qq{SELECT group_id FROM pgmq_c.groups WHERE topic_id = $tid{ft}});
my $st_gid = sql(qq{SELECT group_id FROM pgmq_c.groups WHERE topic_id = $tid{st}});
is(topic_durability($node, 'ft'), 'unlogged', 'list_topics: ft is unlogged');
is(topic_durability($node, 'st'), 'logged', 'list_topics: st is logged (the default)');
is(topic_persistence($node, $tid{ft}), 'c:p,g:u,t_p:u,t_seq:p',
	"ft: partitions and the group's table unlogged; sequence and cursors logged");
is(topic_persistence($node, $tid{st}), 'c:p,g:p,t_p:p,t_seq:p', 'st: every relation logged');
my $ft_max = max_id(@{ $tsent{ft} }, $tdelayed{ft});
my $st_before = topic_state($node, 'st');
is($st_before, '7|1|1', 'st before the crash: 7 messages, 1 delayed, 1 leased');
is(topic_state($node, 'ft'), '7|1|1', 'ft before the crash: the same');
my $st_next = group_next($node, 'st');
cmp_ok($st_next, '>', $tsent{st}[5], "st's group is past the messages it handed out");
my $ft_dd = sql(q{SELECT pgmq_c.send('ft', '{"d": 1}', dedup_id => 'd1')});
is(sql(q{SELECT pgmq_c.send('ft', '{"d": 2}', dedup_id => 'd1')}),
	$ft_dd, 'before the crash, a resend to the unlogged topic is deduplicated');
$ft_max = $ft_dd if $ft_dd > $ft_max;
# ids that no send uses again while their queue or topic stays unlogged: the
# switch to logged after the crash must not trust them (see below)
sql(q{SELECT pgmq_c.create_topic('ft_dd', durability => 'unlogged', dedup_window => '1 hour')});
sql(q{SELECT pgmq_c.create_group('ft_dd', 'g', 'earliest')});
my $fast_d2 = sql(q{SELECT pgmq_c.send('fast_dd', '{"d": "d2"}', dedup_id => 'd2')});
my $ft_d2 = sql(q{SELECT pgmq_c.send('ft_dd', '{"d": "d2"}', dedup_id => 'd2')});

$node->stop('immediate');
$node->start;

my $fast_dd_again = sql(q{SELECT pgmq_c.send('fast_dd', '{"d": 3}', dedup_id => 'd1')});
ok($fast_dd_again > $fast_dd,
	'after the crash, a resend to the emptied unlogged queue is stored anew, not answered with the lost msg_id');
is(lengths($node, 'fast_dd'), '1|0|0', 'and the unlogged queue holds it');
is(sql(q{SELECT pgmq_c.send('fast_dd', '{"d": 4}', dedup_id => 'd1')}),
	$fast_dd_again, 'a further resend finds the new one');
is(sql(q{SELECT pgmq_c.send('safe_dd', '{"d": 2}', dedup_id => 'd1')}),
	$safe_dd, 'the logged queue still deduplicates across the crash');
is(lengths($node, 'safe_dd'), '1|0|0', 'and holds its one message');

# made logged after the crash: the ids remembered before it are forgotten
# (their messages are gone); one remembered since still counts
sql(q{SELECT pgmq_c.alter_queue('fast_dd', durability => 'logged')});
sql(q{SELECT pgmq_c.alter_queue('ft_dd', durability => 'logged')});
my $fast_d2_again = sql(q{SELECT pgmq_c.send('fast_dd', '{"d": "d2 again"}', dedup_id => 'd2')});
ok($fast_d2_again > $fast_d2,
	'a queue made logged after the crash stores a resend of an id from before the crash anew');
is(sql(q{SELECT pgmq_c.send('fast_dd', '{"d": 5}', dedup_id => 'd1')}),
	$fast_dd_again, 'and still finds the id remembered since the crash');
is(lengths($node, 'fast_dd'), '2|0|0', 'the queue, now logged, holds both');
my $ft_d2_again = sql(q{SELECT pgmq_c.send('ft_dd', '{"d": "d2 again"}', dedup_id => 'd2')});
ok($ft_d2_again > $ft_d2,
	'a topic made logged after the crash stores a resend of an id from before the crash anew');
is(read_group_ids($node, 'ft_dd'), $ft_d2_again, 'and its group gets it');

is(lengths($node, 'fast'), '0|0|0', 'after the crash, fast is empty (no live, leased or delayed message)');
is(stored_ids($node, $fid), '', 'and its tables hold nothing');
is(sql(q{SELECT count(*) FROM pgmq_c.read_archive('fast')}),
	'1', "fast's archive, logged, kept its message");
is(lengths($node, 'safe'), '5|2|1', 'after the crash, safe still has 5 messages, 2 leased, 1 delayed');
is(stored_ids($node, $sid), $safe_before, 'safe has exactly the same msg_ids');
is(read_ids($node, 'safe'), join(',', @{ $ids{safe} }[ 4, 5 ]),
	'read on safe returns only the unleased messages: the leases held, the delayed one still delayed');
# give those two back: only the leases of before the crash stay
is(sql(qq{SELECT count(*) FROM pgmq_c.set_vt('safe', $ids{safe}[4], '0')}
	  . qq{ UNION ALL SELECT count(*) FROM pgmq_c.set_vt('safe', $ids{safe}[5], '0')}),
	"1\n1", 'the two read on safe given back');
is(sql(qq{SELECT count(*) FROM pgmq_c.d_$sid WHERE msg_id = $delayed{safe} AND deliver_at > now() + '50 minutes'}),
	'1', "safe's delayed message is still delayed by about an hour");

is(durability($node, 'fast'), 'unlogged', 'after the crash, list_queues: fast unlogged');
is(durability($node, 'safe'), 'logged', 'after the crash, list_queues: safe logged');
is(persistence($node, $fid),
	"a_$fid:p,d_$fid:u,k_$fid:u,p_$fid:u,q_$fid:u,q_${fid}_seq:p",
	'after the crash, fast: q_, d_, p_, k_ unlogged; sequence and archive logged');

my $fast_new = sql(q{SELECT pgmq_c.send('fast', '{"n": "after crash"}')});
ok($fast_new > $fast_max,
	"fast's new msg_id $fast_new is above every one handed out before the crash ($fast_max)");
is(read_ids($node, 'fast'), $fast_new, 'read on fast returns the new message');
is(sql(qq{SELECT pgmq_c.delete('fast', $fast_new)}), 't', 'and delete works');
is(lengths($node, 'fast'), '0|0|0', 'fast is empty again');
$fast_max = $fast_new;

# the topics after the crash
is(topic_state($node, 'ft'), '0|0|0', 'after the crash, ft is empty and its group holds nothing');
my $ft_next = group_next($node, 'ft');
ok($ft_next > $tsent{ft}[5],
	"ft's group (its cursor is logged) did not go back: next msg_id $ft_next");
is(read_group_ids($node, 'ft'), '', 'read_group on ft returns nothing');
is(topic_durability($node, 'ft'), 'unlogged', 'after the crash, list_topics: ft unlogged');
is(topic_persistence($node, $tid{ft}), 'c:p,g:u,t_p:u,t_seq:p',
	'after the crash, ft: partitions and group table unlogged, sequence and cursors logged');
my $ft_new = sql(q{SELECT pgmq_c.send('ft', '{"n": "after crash"}')});
ok($ft_new > $ft_max, "ft's new msg_id $ft_new is above every one handed out before the crash ($ft_max)");
is(read_group_ids($node, 'ft'), $ft_new, 'read_group on ft returns the new message');
is(sql(qq{SELECT pgmq_c.ack('ft', 'g', $ft_new)}), 't', 'and ack works');
my $ft_dd_again = sql(q{SELECT pgmq_c.send('ft', '{"d": 3}', dedup_id => 'd1')});
ok($ft_dd_again > $ft_dd,
	'after the crash, a resend to the emptied unlogged topic is stored anew, not answered with the lost msg_id');
is(read_group_ids($node, 'ft'), $ft_dd_again, 'and the group gets it');
is(sql(qq{SELECT pgmq_c.ack('ft', 'g', $ft_dd_again)}), 't', 'and acknowledges it');
$ft_max = $ft_dd_again;

is(topic_state($node, 'st'), $st_before, 'after the crash, st has its 7 messages, 1 delayed and the lease');
is(group_next($node, 'st'), $st_next, "st's group kept its position");
is(read_group_ids($node, 'st'), join(',', @{ $tsent{st} }[ 2 .. 5 ]),
	'read_group on st returns the given-back messages: the lease held, the delayed one still delayed');
is(sql(qq{SELECT count(*) FROM pgmq_c.g_$st_gid WHERE msg_id = $tsent{st}[1] AND vt > now() + '50 minutes'}),
	'1', "st's group still holds the leased message for about an hour");
sql(qq{SELECT count(*)
         FROM unnest(ARRAY[$tsent{st}[2], $tsent{st}[3], $tsent{st}[4], $tsent{st}[5]]::bigint[]) id,
              LATERAL pgmq_c.set_vt('st', 'g', id, '0') m});

# ---------------------------------------------------------------------
# 2. A streaming standby
my @fast_sent = split /\n/,
  sql(q{SELECT * FROM pgmq_c.send_batch('fast', ARRAY['{"s": 1}', '{"s": 2}']::jsonb[])});
my $standby = pgmqc_standby($node, 'standby');

# traffic after the backup, streamed: fast's sequence moves on in the WAL
push @fast_sent, split /\n/,
  sql(q{SELECT * FROM pgmq_c.send_batch('fast', ARRAY['{"s": 3}', '{"s": 4}']::jsonb[])});
push @fast_sent, sql(q{SELECT pgmq_c.send('fast', '{"s": "later"}', delay => '1 hour')});
$fast_max = max_id($fast_max, @fast_sent);
my $safe_streamed = sql(q{SELECT pgmq_c.send('safe', '{"n": "streamed"}')});
my $safe_primary = stored_ids($node, $sid);
$node->wait_for_catchup($standby);

{
	my ($ret, $stdout, $stderr) = $standby->psql('postgres',
		q{SELECT * FROM pgmq_c.metrics('fast')},
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($ret, 0, 'metrics of the unlogged queue fails on the standby');
	like($stderr, qr/ERROR:  0A000: queue "fast" is unlogged/,
		'with 0A000: queue "fast" is unlogged');
}
foreach my $call ([ 'metrics', q{SELECT * FROM pgmq_c.metrics('ft')} ],
	[ 'list_groups', q{SELECT * FROM pgmq_c.list_groups('ft')} ],
	[ 'list_access', q{SELECT * FROM pgmq_c.list_access('ft')} ])
{
	my ($ret, $stdout, $stderr) = $standby->psql('postgres', $call->[1],
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($ret, 0, "$call->[0] of the unlogged topic fails on the standby");
	like($stderr, qr/ERROR:  0A000: topic "ft" is unlogged/,
		"with 0A000: topic \"ft\" is unlogged");
}
{
	# read_group writes (leases): refused on a standby for every topic
	my ($ret, $stdout, $stderr) = $standby->psql('postgres',
		q{SELECT * FROM pgmq_c.read_group('ft', 'g', '1 hour', 1)},
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($ret, 0, 'read_group of the unlogged topic fails on the standby');
	like($stderr, qr/ERROR:  25006: cannot execute read_group\(\) during recovery/,
		'with 25006, as for any topic on a standby');
}
is(topic_state($standby, 'st'), $st_before,
	'metrics and list_groups of the logged topic work on the standby: 7 messages, 1 delayed, 1 leased');
is(topic_durability($standby, 'ft'), 'unlogged', 'list_topics on the standby: ft unlogged');
is(lengths($standby, 'safe'), '6|2|1',
	'metrics of the logged queue works on the standby: 6 messages, 2 leased, 1 delayed');
is(stored_ids($standby, $sid), $safe_primary, "the standby has safe's messages, streamed ones included");
is( $standby->safe_psql(
		'postgres', q{SELECT string_agg(queue_name, ',' ORDER BY queue_name) FROM pgmq_c.metrics_all()}),
	'fast_dd,ft_dd,safe,safe_dd,st',
	'metrics_all() on the standby leaves the unlogged queues and topic out and shows the logged ones (fast_dd and ft_dd were made logged)');
is(durability($standby, 'fast'), 'unlogged', 'list_queues on the standby: fast unlogged');
is(durability($standby, 'safe'), 'logged', 'list_queues on the standby: safe logged');

$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'standby did not leave recovery';

is(lengths($standby, 'fast'), '0|0|0', 'after promotion, fast is empty');
my $promoted_new = timed_sql($standby, q{SELECT pgmq_c.send('fast', '{"n": "promoted"}')});
ok($promoted_new > $fast_max,
	"fast's first msg_id on the promoted node ($promoted_new) is above every one of the old primary ($fast_max)");
is(read_ids($standby, 'fast'), $promoted_new, 'read on the promoted node returns it');
is(timed_sql($standby, qq{SELECT pgmq_c.delete('fast', $promoted_new)}),
	't', 'and delete works');
is(topic_state($standby, 'ft'), '0|0|0', 'after promotion, ft is empty');
my $ft_promoted = timed_sql($standby, q{SELECT pgmq_c.send('ft', '{"n": "promoted"}')});
ok($ft_promoted > $ft_max,
	"ft's first msg_id on the promoted node ($ft_promoted) is above every one of the old primary ($ft_max)");
is(read_group_ids($standby, 'ft'), $ft_promoted, 'read_group on the promoted node returns it');
is(stored_ids($standby, $sid), $safe_primary, 'after promotion, safe has its messages');
is(read_ids($standby, 'safe'), join(',', @{ $ids{safe} }[ 4, 5 ], $safe_streamed),
	'and read returns only the unleased ones: leases taken on the old primary hold');
$standby->stop;

# ---------------------------------------------------------------------
# 3. alter_queue switches durability
sql(q{SELECT pgmq_c.create_queue('sw')});
my $wid = sql(q{SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'sw'});
my @sw = split /\n/,
  sql(q{SELECT * FROM pgmq_c.send_batch('sw', ARRAY['{"w": 1}', '{"w": 2}', '{"w": 3}']::jsonb[])});
my $sw_delayed = sql(q{SELECT pgmq_c.send('sw', '{"w": "later"}', delay => '1 hour')});
my $sw_leased = sql(q{SELECT msg_id FROM pgmq_c.read('sw', '1 hour', 1)});
is($sw_leased, $sw[0], 'sw: first message leased');

sql(q{SELECT pgmq_c.alter_queue('sw', durability => 'unlogged')});
is(durability($node, 'sw'), 'unlogged', 'alter_queue made sw unlogged');
is(persistence($node, $wid),
	"a_$wid:p,d_$wid:u,k_$wid:u,p_$wid:u,q_$wid:u,q_${wid}_seq:p",
	'sw: q_, d_, p_, k_ unlogged; sequence and archive stay logged');
is(lengths($node, 'sw'), '4|1|1', 'sw kept its 4 messages, the lease and the delayed one');
foreach my $i (0 .. 2)
{
	is(sql(qq{SELECT message->>'w' FROM pgmq_c.set_vt('sw', $sw[$i], '1 hour')}),
		$i + 1, "message $sw[$i] of sw read back by msg_id");
}
is(sql(qq{SELECT message->>'w' FROM pgmq_c.d_$wid WHERE msg_id = $sw_delayed}),
	'later', 'the delayed message of sw is kept, still delayed');
my $sw_max = max_id(@sw, $sw_delayed);

$node->stop('immediate');
$node->start;
is(lengths($node, 'sw'), '0|0|0', 'a crash emptied sw, now unlogged');
is(stored_ids($node, $wid), '', 'its tables hold nothing');
is(durability($node, 'sw'), 'unlogged', 'sw is still unlogged');

# back to logged before a crash: the messages survive it
@sw = split /\n/,
  sql(q{SELECT * FROM pgmq_c.send_batch('sw', ARRAY['{"w": 4}', '{"w": 5}', '{"w": 6}']::jsonb[])});
ok($sw[0] > $sw_max, "sw's msg_ids go on above those before the crash ($sw[0] > $sw_max)");
$sw_delayed = sql(q{SELECT pgmq_c.send('sw', '{"w": "later"}', delay => '1 hour')});
$sw_leased = sql(q{SELECT msg_id FROM pgmq_c.read('sw', '1 hour', 1)});
is($sw_leased, $sw[0], 'sw: first new message leased');
sql(q{SELECT pgmq_c.alter_queue('sw', durability => 'logged')});
is(durability($node, 'sw'), 'logged', 'alter_queue made sw logged again');
is(persistence($node, $wid),
	"a_$wid:p,d_$wid:p,k_$wid:p,p_$wid:p,q_$wid:p,q_${wid}_seq:p",
	'sw: every relation logged');
my $sw_before = stored_ids($node, $wid);
is($sw_before, join(',', @sw, $sw_delayed), 'sw holds its 4 messages');

$node->stop('immediate');
$node->start;
is(stored_ids($node, $wid), $sw_before, 'made logged before the crash, sw kept its messages');
is(lengths($node, 'sw'), '4|1|1', 'with its lease and its delayed message');
is(read_ids($node, 'sw'), join(',', @sw[ 1, 2 ]),
	'read returns the unleased ones, the lease held through the crash');
foreach my $i (0 .. 2)
{
	is(sql(qq{SELECT message->>'w' FROM pgmq_c.set_vt('sw', $sw[$i], '0')}),
		$i + 4, "message $sw[$i] of sw read back by msg_id after the crash");
}

# Sends after a switch, then a crash with no checkpoint in between: the
# msg_ids go on above every one handed out, both ways.  (PostgreSQL 15's
# SET LOGGED / SET UNLOGGED rewrote the sequence the message table owned,
# with the values it had logged ahead: the next sends wrote no WAL for
# their msg_ids, and the crash took the sequence back to the switch, so
# that the logged queue's sends failed with 23505 and the unlogged one
# handed out its old msg_ids again: review h44.)
sql(q{SELECT pgmq_c.create_queue('sw_tolog', durability => 'unlogged')});
sql(q{SELECT pgmq_c.create_queue('sw_tounlog')});
sql(q{SELECT pgmq_c.send(q, '{}') FROM unnest('{sw_tolog,sw_tounlog}'::text[]) q, generate_series(1, 5)});
sql(q{SELECT pgmq_c.alter_queue('sw_tolog', durability => 'logged')});
sql(q{SELECT pgmq_c.alter_queue('sw_tounlog', durability => 'unlogged')});
my %sw_last;
foreach my $q ('sw_tolog', 'sw_tounlog')
{
	$sw_last{$q} = sql(qq{SELECT max(id) FROM (SELECT pgmq_c.send('$q', '{}') AS id
	                                             FROM generate_series(1, 5)) s});
}
$node->stop('immediate');
$node->start;
foreach my $q ('sw_tolog', 'sw_tounlog')
{
	my ($rc, $id, $err) = $node->psql('postgres',
		qq{SELECT pgmq_c.send('$q', '{"after": "crash"}')});
	is($err, '', "$q: a send after the crash succeeds");
	ok($id ne '' && $id > $sw_last{$q},
		"$q: its msg_id goes on above those sent after the switch ($id > $sw_last{$q})");
}
is(lengths($node, 'sw_tolog'), '11|0|0', 'sw_tolog, made logged, kept its 10 messages');

# a topic switched with messages, a group and a lease
sql(q{SELECT pgmq_c.create_topic('swt')});
sql(q{SELECT pgmq_c.create_group('swt', 'g', 'earliest')});
my $swt_id = sql(q{SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name = 'swt'});
my @swt = split /\n/,
  sql(q{SELECT * FROM pgmq_c.send_batch('swt', ARRAY['{"w": 1}', '{"w": 2}', '{"w": 3}']::jsonb[])});
is(sql(q{SELECT msg_id FROM pgmq_c.read_group('swt', 'g', '1 hour', 1)}), $swt[0], 'swt: first message leased');
sql(q{SELECT pgmq_c.alter_queue('swt', durability => 'unlogged')});
is(topic_durability($node, 'swt'), 'unlogged', 'alter_queue made swt unlogged');
is(topic_persistence($node, $swt_id), 'c:p,g:u,t_p:u,t_seq:p',
	'swt: partitions and group table unlogged, sequence and cursors logged');
is(topic_state($node, 'swt'), '3|0|1', 'swt kept its messages and the lease');
is(read_group_ids($node, 'swt'), join(',', @swt[ 1, 2 ]), 'and hands out the others');
$node->stop('immediate');
$node->start;
is(topic_state($node, 'swt'), '0|0|0', 'a crash emptied swt, now unlogged');

@swt = split /\n/,
  sql(q{SELECT * FROM pgmq_c.send_batch('swt', ARRAY['{"w": 4}', '{"w": 5}', '{"w": 6}']::jsonb[])});
is(sql(q{SELECT msg_id FROM pgmq_c.read_group('swt', 'g', '1 hour', 1)}), $swt[0], 'swt: first new message leased');
sql(q{SELECT pgmq_c.alter_queue('swt', durability => 'logged')});
is(topic_durability($node, 'swt'), 'logged', 'alter_queue made swt logged again');
is(topic_persistence($node, $swt_id), 'c:p,g:p,t_p:p,t_seq:p', 'swt: every relation logged');
my $swt_before = topic_state($node, 'swt');
is($swt_before, '3|0|1', 'swt holds its 3 new messages and the lease');
$node->stop('immediate');
$node->start;
is(topic_state($node, 'swt'), $swt_before, 'made logged before the crash, swt kept its messages and lease');
is(read_group_ids($node, 'swt'), join(',', @swt[ 1, 2 ]), 'read_group returns the unleased ones');

$node->stop;

# ---------------------------------------------------------------------
# 4. Failover to an asynchronous standby that missed the old primary's
# last sends: msg_ids handed out on the old timeline are never handed out
# again (a sequence logs 32 values ahead; past that the standby's copy of
# it lags).  The promoted node's first pgmq_c call moves every sequence on
# by 2^32 and logs it.
my $old = pgmqc_node('async_primary', init => { allows_streaming => 1 });
$old->safe_psql('postgres', q{SELECT pgmq_c.create_queue('lossy')});
$old->safe_psql('postgres', q{SELECT pgmq_c.create_topic('lossy_t')});
$old->safe_psql('postgres', q{SELECT pgmq_c.create_group('lossy_t', 'g_first', 'latest')});
$old->safe_psql('postgres',
	q{SELECT count(*) FROM pgmq_c.send_batch('lossy', array_fill('{"a": 1}'::jsonb, ARRAY[10]))});
my $async = pgmqc_standby($old, 'async_standby');
$old->wait_for_catchup($async);
$async->stop;    # from here on the standby misses everything
my $lost_max = $old->safe_psql('postgres',
	q{SELECT max(id) FROM pgmq_c.send_batch('lossy', array_fill('{"a": 2}'::jsonb, ARRAY[100])) id});
my $lost_topic_max = $old->safe_psql('postgres',
	q{SELECT max(id) FROM pgmq_c.send_batch('lossy_t', array_fill('{"a": 2}'::jsonb, ARRAY[100])) id});
cmp_ok($lost_max, '>=', 110, "the old primary handed out msg_ids up to $lost_max");
$old->stop('immediate');
# no worker, whose first call after the promotion would move before the
# clients below meet
$async->append_conf('postgresql.conf', 'pgmq_c.worker = off');
$async->start;
$async->promote;
$async->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'the standby did not leave recovery';
# four backends' first pgmq_c calls at once: exactly one
# of them moves the sequences, the others wait for it and find it done, so
# the topic's new msg_ids follow one another with no second gap.  To make
# them meet, a session holds a lock on the topic's sequence (which the move
# sets) until all four are waiting for a lock.
my $topic_seq = $async->safe_psql('postgres',
	q{SELECT format('pgmq_c.t_%s_seq', queue_id) FROM pgmq_c.queues WHERE queue_name = 'lossy_t'});
my $holder = start_session($async, 'seq_holder', qq{
BEGIN;
ALTER SEQUENCE $topic_seq CACHE 1;
DO \$\$
BEGIN
	FOR i IN 1 .. 600 LOOP
		PERFORM pg_stat_clear_snapshot();
		EXIT WHEN (SELECT count(*) FROM pg_stat_activity
					WHERE application_name LIKE 'first\\_%' AND wait_event_type = 'Lock') >= 4;
		PERFORM pg_sleep(0.1);
	END LOOP;
END
\$\$;
COMMIT;
});
$async->poll_query_until('postgres', qq{
SELECT count(*) > 0 FROM pg_locks
 WHERE relation = '$topic_seq'::regclass AND mode = 'ShareRowExclusiveLock' AND granted})
  or die 'the sequence lock was not taken';
my @first = map {
	start_session($async, "first_$_",
		q{SELECT pgmq_c.send('lossy_t', '{"a": 4}') FROM generate_series(1, 25)})
} 1 .. 4;
finish_all($holder, @first);
my ($first_min, $first_max, $first_n) = split /\|/, $async->safe_psql('postgres',
	q{SELECT min(msg_id), max(msg_id), count(*) FROM pgmq_c.read_group('lossy_t', 'g_first', '0', 1000)});
is($async->safe_psql('postgres', q{SELECT queue_length FROM pgmq_c.metrics('lossy')}),
	'10', 'the promoted standby has the 10 messages it received, not the 100 it missed');
my $after = $async->safe_psql('postgres', q{SELECT pgmq_c.send('lossy', '{"a": 3}')});
cmp_ok($after, '>', $lost_max,
	"the promoted node's first msg_id ($after) is past every one the old primary handed out ($lost_max)");
my $after_topic = $async->safe_psql('postgres', q{SELECT pgmq_c.send('lossy_t', '{"a": 3}')});
cmp_ok($after_topic, '>', $lost_topic_max,
	"so is a topic's ($after_topic > $lost_topic_max)");
like(slurp_file($async->logfile), qr/pgmq_c: timeline 2 began: the msg_ids of \d+ queues and topics moved on by 4294967296/,
	'the move is logged');
my @moves = slurp_file($async->logfile) =~ /pgmq_c: timeline 2 began/g;
is(scalar @moves, 1, 'one backend moved the sequences, however many made their first call at once');
is($first_n, 100, 'the 100 sends of the four first callers are in the topic');
cmp_ok($first_max - $first_min, '<', 1000,
	"their msg_ids follow one another ($first_min to $first_max): no second move between them");
cmp_ok($first_min, '>', $lost_topic_max, 'and all are past the old timeline\'s');

# A marker past the timeline, as pg_upgrade leaves it (the new cluster's
# timeline starts at 1 again, the marker is copied): the next writer moves
# the msg_ids on and sets the marker to the timeline, so that the next
# promotion moves them again.  (Before, only a timeline above the marker
# moved them: after an upgrade, that many promotions went by unseen:
# review h47.)
# the timeline WAL is written on now (pg_control_checkpoint() gives the
# last checkpoint's, which after a promotion may still be the old one)
my $tl = $async->safe_psql('postgres',
	q{SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int});
$async->safe_psql('postgres', qq{SELECT setval('pgmq_c.timeline_marker', $tl + 5)});
my $ahead = $async->safe_psql('postgres', q{SELECT pgmq_c.send('lossy', '{"a": 5}')});
cmp_ok($ahead, '>', $after + 4294967296,
	"with the marker past the timeline, the msg_ids moved on ($ahead > $after + 2^32)");
is($async->safe_psql('postgres', q{SELECT last_value FROM pgmq_c.timeline_marker}),
	$tl, 'and the marker is the timeline again');
like(slurp_file($async->logfile), qr/pgmq_c: timeline $tl began: .*\n.*The last timeline pgmq_c saw was @{[$tl + 5]}\./,
	'the move is logged with the marker it found');

$async->stop;

done_testing();
