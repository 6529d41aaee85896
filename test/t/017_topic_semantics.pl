# 017_topic_semantics.pl: delivery semantics of topics with consumer groups.
#
# 1. Commit order unlike msg_id order: a send that took a lower msg_id and
#    commits last is delivered to every group created before it; no group's
#    cursor passes it while it is uncommitted (design.md, section 8); a
#    'latest' group created meanwhile waits for the send to finish.
# 2. A delayed message reaches each group at its due time, not before, and
#    does not hold back later messages.
# 3. Leases are per group: expiry redelivers in that group only (read_ct 2)
#    while another group keeps its own copy (read_ct 1); an ack in one group
#    leaves the other's lag alone; nack now or with a delay.
# 4. Rollback: a rolled-back read_group is undone (read_ct is not counted),
#    a rolled-back ack leaves the message outstanding, a rolled-back send
#    reaches no group.
# 5. Replay with seek by position and by time; seeking outside the retained
#    range fails with SQLSTATE 22023.
# 6. Retention while a group lags (on a second node whose background worker
#    is off, so that maintain_topics() alone drops partitions): partitions
#    past retention are dropped, the lagging group skips them and counts what
#    it missed, then reads what is left; drop_group and drop_topic leave no
#    table behind.
# 7. A header filter: the group gets only matching messages and its lag
#    never counts the others.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('topics');

my $cur = $node;
sub sql { return $cur->safe_psql('postgres', $_[0]); }

# "msg_id|read_ct" of up to $qty messages read by the group (lease $vt)
sub read_group
{
	my ($t, $g, $vt, $qty, $wait) = @_;
	$vt //= '1 hour';
	$qty //= 100;
	$wait //= '0';
	my $out = sql(
		"SELECT msg_id || '|' || read_ct FROM pgmq_c.read_group('$t', '$g', '$vt', $qty, '$wait')");
	return $out eq '' ? () : split(/\n/, $out);
}

# how many messages read_group returns
sub n_read
{
	my @got = read_group(@_);
	return scalar(@got);
}

# read the group until it returns nothing, acking everything; msg_ids in
# the order delivered
sub drain
{
	my ($t, $g) = @_;
	my @ids;
	for (;;)
	{
		my @got = map { (split /\|/)[0] } read_group($t, $g, '1 hour', 1000);
		last unless @got;
		is(sql("SELECT count(*) FROM pgmq_c.ack('$t', '$g', ARRAY[" . join(',', @got) . "]::bigint[])"),
			scalar(@got), "$t/$g: acked the " . scalar(@got) . " messages read")
		  or last;
		push @ids, @got;
	}
	return @ids;
}

# one column (or expression) of list_groups() for a group
sub group_info
{
	my ($t, $g, $col) = @_;
	return sql("SELECT $col FROM pgmq_c.list_groups('$t') WHERE group_name = '$g'");
}

sub log_of
{
	my ($t) = @_;
	return 'pgmq_c.t_' . sql("SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name = '$t'");
}

# stderr of a statement expected to fail, with the SQLSTATE shown
sub sql_error
{
	my ($q) = @_;
	my ($ret, $out, $err) =
	  $cur->psql('postgres', "\\set VERBOSITY verbose\n$q", on_error_stop => 1);
	return $ret == 0 ? "no error: $out" : $err;
}

#
# 1. Out-of-order commit.
#
sql(q{SELECT pgmq_c.create_topic('ooo')});
sql(qq{SELECT pgmq_c.create_group('ooo', '$_')}) foreach qw(g g2);

my $sa = $node->background_psql('postgres');
$sa->query_safe('BEGIN');
my $x = $sa->query_safe(q{SELECT pgmq_c.send('ooo', '{"x": "X"}')});
ok($x > 0, "session A sent X (msg_id $x) in an open transaction");

# a 'latest' group created now waits for A's send to finish: on A's
# transaction lock, where the deadlock detector sees the wait
my $g3 = start_session($node, 'create_g3', q{SELECT pgmq_c.create_group('ooo', 'g3')});
is( poll_sessions(
		$node, q{
SELECT count(*) = 1 FROM pg_stat_activity
 WHERE application_name = 'create_g3' AND state = 'active'
   AND wait_event_type = 'Lock' AND wait_event = 'transactionid'},
		sub { $_[0] eq 't' }, $g3),
	't',
	"create_group(..., 'latest') waits for A's transaction while A's send is in progress");

my @others = map { sql(qq{SELECT pgmq_c.send('ooo', '{"x": $_}')}) } 1 .. 20;
is(scalar(grep { $_ > $x } @others), 20, 'the 20 sends committed after it have higher msg_ids');
is(sql("SELECT count(*) FROM " . log_of('ooo')), '20',
	'20 messages are visible in the log, X is not');

my @early;
foreach my $g (qw(g g2))
{
	my @got = drain('ooo', $g);
	push @early, @got;
	is(scalar(grep { $_ >= $x } @got), 0,
		"group $g: nothing at or past X handed out while X is uncommitted");
}
$g3->{h}->pump_nb;
is($g3->{out} . $g3->{err}, '', 'create_group g3 is still waiting');

$sa->query_safe('COMMIT');
$sa->quit;
finish_session($g3);
is($g3->{err}, '', "create_group g3 returned once A committed");

foreach my $g (qw(g g2))
{
	my @got = read_group('ooo', $g, '1 hour', 1000);
	is($got[0], "$x|1", "group $g: X delivered after A's COMMIT, first, read_ct 1");
	is_deeply([ map { (split /\|/)[0] } @got ], [ $x, @others ],
		"group $g: X then the 20 others, each once, in msg_id order");
	is(sql("SELECT count(*) FROM pgmq_c.ack('ooo', '$g', ARRAY[$x, " . join(',', @others) . "]::bigint[])"),
		'21', "group $g: all 21 acked");
	is(group_info('ooo', $g, "lag || '|' || in_flight || '|' || missed"), '0|0|0',
		"group $g: lag 0, nothing in flight, nothing missed");
}
is(n_read('ooo', 'g3'), 0,
	"group g3 ('latest', created while X was in progress) gets none of the earlier messages");
my $y = sql(q{SELECT pgmq_c.send('ooo', '{"x": "Y"}')});
is(join(',', read_group('ooo', 'g3')), "$y|1", 'group g3 gets the next message sent');


# an open transaction that wrote elsewhere, not to the topic, holds nothing back
my $w = $node->background_psql('postgres');
$w->query_safe('BEGIN');
$w->query_safe('CREATE TABLE unrelated (i int)');
ok($w->query_safe('SELECT pg_current_xact_id_if_assigned() IS NOT NULL') eq 't',
	'another session holds an open transaction with an XID');
my $z = sql(q{SELECT pgmq_c.send('ooo', '{"x": "Z"}')});
is(join(',', read_group('ooo', 'g')), "$y|1,$z|1",
	'messages sent meanwhile (Y, Z) are delivered: only senders to the topic hold them back');
$w->query_safe('ROLLBACK');
$w->quit;

#
# 2. Delayed message.
#
sql(q{SELECT pgmq_c.create_topic('dl')});
sql(qq{SELECT pgmq_c.create_group('dl', '$_')}) foreach qw(d1 d2);
my $dlog = log_of('dl');
my $m = sql(q{SELECT pgmq_c.send('dl', '{"d": "later"}', NULL, '2 seconds')});
my $n = sql(q{SELECT pgmq_c.send('dl', '{"d": "now"}')});
foreach my $g (qw(d1 d2))
{
	my $r = sql(qq{
SELECT string_agg(msg_id::text, ',') FROM pgmq_c.read_group('dl', '$g', '1 hour', 10);
SELECT clock_timestamp() < deliver_at FROM $dlog WHERE msg_id = $m;});
	my ($got, $before) = split /\n/, $r;
  SKIP:
	{
		skip 'the machine is too slow: the delay ran out before the read', 1
		  unless $before eq 't';
		is($got, $n, "group $g: right away, the later undelayed message only, not the delayed one");
	}
}
foreach my $g (qw(d1 d2))
{
	my ($mid, $ct, $ok) = split /\|/, sql(qq{
SELECT r.msg_id || '|' || r.read_ct || '|' || (r.vt - interval '30 s' >= t.deliver_at)
  FROM pgmq_c.read_group('dl', '$g', '30 s', 1, '5 s') r JOIN $dlog t USING (msg_id)});
	is("$mid|$ct", "$m|1", "group $g: gets the delayed message, read_ct 1");
	is($ok, 'true', "group $g: not before its due time");
	is(sql("SELECT pgmq_c.ack('dl', '$g', $m)"), 't', "group $g: acks it");
}

#
# 3. Leases, expiry and nack, per group.
#
sql(q{SELECT pgmq_c.create_topic('ls')});
sql(qq{SELECT pgmq_c.create_group('ls', '$_')}) foreach qw(a b);
$m = sql(q{SELECT pgmq_c.send('ls', '{"l": "M"}')});
is(join(',', read_group('ls', 'a', '3 seconds')), "$m|1", 'group a leases M for 3 s');
is(n_read('ls', 'a'), 0, 'another consumer of group a gets nothing while M is leased');
is(group_info('ls', 'b', 'lag'), '1', 'group b: lag 1');
is(join(',', read_group('ls', 'a', '1 hour', 1, '10 s')),
	"$m|2", 'after the lease ran out, group a redelivers M with read_ct 2');
is(join(',', read_group('ls', 'b')), "$m|1", 'group b has its own copy: read_ct 1');
my $b_lag = group_info('ls', 'b', "lag || '|' || in_flight");
is($b_lag, '1|1', 'group b: lag 1, in flight 1');
is(sql("SELECT pgmq_c.ack('ls', 'a', $m)"), 't', 'group a acks M');
is(group_info('ls', 'a', "lag || '|' || in_flight"), '0|0', 'group a: lag 0');
is(group_info('ls', 'b', "lag || '|' || in_flight"), $b_lag, "group b's lag is unchanged");
is(n_read('ls', 'a'), 0, 'group a: nothing more');

$n = sql(q{SELECT pgmq_c.send('ls', '{"l": "N"}')});
is(join(',', read_group('ls', 'a')), "$n|1", 'group a reads N');
is(join(',', read_group('ls', 'b')), "$n|1", 'group b reads N (M is still leased there)');
is(sql("SELECT pgmq_c.nack('ls', 'a', $n)"), 't', "group a nacks N, delay '0'");
is(join(',', read_group('ls', 'a')), "$n|2", 'group a redelivers N at once, read_ct 2');
is(n_read('ls', 'b'), 0, 'group b gets nothing: its leases of M and N hold');
is(sql("SELECT pgmq_c.nack('ls', 'a', $n, '2 seconds')"), 't', "group a nacks N, delay '2 seconds'");
my ($got_n, $before) = split /\n/, sql(qq{
SELECT count(*) FROM pgmq_c.read_group('ls', 'a', '1 hour', 10);
SELECT clock_timestamp() < vt FROM pgmq_c.g_} . sql(q{SELECT group_id FROM pgmq_c.groups WHERE group_name = 'a' AND topic_id = (SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name = 'ls')}) . " WHERE msg_id = $n");
SKIP:
{
	skip 'the machine is too slow: the nack delay ran out before the read', 1
	  unless $before eq 't';
	is($got_n, '0', 'group a: N is not redelivered before the nack delay');
}
is(join(',', read_group('ls', 'a', '1 hour', 10, '5 s')), "$n|3",
	'group a: N redelivered after the nack delay, read_ct 3');
is(group_info('ls', 'b', "lag || '|' || in_flight"), '2|2',
	'group b still holds M and N, untouched by group a');
is(sql("SELECT count(*) FROM pgmq_c.ack('ls', 'b', ARRAY[$m, $n]::bigint[])"), '2', 'group b acks both');

#
# 4. Rollback.
#
sql(q{SELECT pgmq_c.create_topic('rb')});
sql(qq{SELECT pgmq_c.create_group('rb', '$_')}) foreach qw(r r2);
$m = sql(q{SELECT pgmq_c.send('rb', '{"r": 1}')});
is(sql(qq{BEGIN;
SELECT msg_id || '|' || read_ct FROM pgmq_c.read_group('rb', 'r', '1 hour', 10);
ROLLBACK;}), "$m|1", 'inside a transaction group r reads the message, read_ct 1');
is(group_info('rb', 'r', "lag || '|' || in_flight"), '1|0',
	'after ROLLBACK it is not in flight');
is(join(',', read_group('rb', 'r')), "$m|1",
	'the rolled-back delivery is undone: read again with read_ct 1');
is(sql("SELECT pgmq_c.nack('rb', 'r', $m)"), 't', 'nacked');
is(sql(qq{BEGIN;
SELECT msg_id || '|' || read_ct FROM pgmq_c.read_group('rb', 'r', '1 hour', 10);
ROLLBACK;}), "$m|2", 'a second delivery inside a transaction: read_ct 2');
is(join(',', read_group('rb', 'r')), "$m|2",
	'rolled back too: the next delivery is again the second one');

is(sql(qq{BEGIN;
SELECT pgmq_c.ack('rb', 'r', $m);
ROLLBACK;}), 't', 'an ack inside a transaction reports true');
is(group_info('rb', 'r', "lag || '|' || in_flight"), '1|1',
	'after ROLLBACK the message is still outstanding in group r');
is(sql("SELECT pgmq_c.nack('rb', 'r', $m)"), 't', 'and can be nacked');
is(join(',', read_group('rb', 'r')), "$m|3", 'and is delivered again (read_ct 3)');
is(sql("SELECT pgmq_c.ack('rb', 'r', $m)"), 't', 'the ack now sticks');
is(sql("SELECT pgmq_c.ack('rb', 'r', $m)"), 'f', 'a second ack finds nothing');
is(join(',', read_group('rb', 'r2')), "$m|1", 'group r2 still reads it, read_ct 1');
is(sql("SELECT pgmq_c.ack('rb', 'r2', $m)"), 't', 'group r2 acks it');

my $s = sql(qq{BEGIN;
SELECT pgmq_c.send('rb', '{"r": "rolled back"}');
ROLLBACK;});
ok($s > $m, "a send took msg_id $s and rolled back");
my $t = sql(q{SELECT pgmq_c.send('rb', '{"r": 2}')});
foreach my $g (qw(r r2))
{
	is(join(',', drain('rb', $g)), $t, "group $g gets the committed send only, never msg_id $s");
	is(group_info('rb', $g, "lag || '|' || in_flight"), '0|0', "group $g: lag 0");
}
is(sql('SELECT count(*) FROM ' . log_of('rb') . " WHERE msg_id = $s"), '0',
	'the rolled-back send left nothing in the log');

#
# 5. Replay by position and by time.
#
sql(q{SELECT pgmq_c.create_topic('sk')});
sql(q{SELECT pgmq_c.create_group('sk', 'g')});
my @ids = split /\n/, sql(join("\n", map { qq{SELECT pgmq_c.send('sk', '{"i": $_}');} } 1 .. 6));
my $ts = sql('SELECT pg_sleep(0.1); SELECT clock_timestamp(); SELECT pg_sleep(0.1);');
$ts =~ s/^\s+|\s+$//g;
push @ids, split /\n/, sql(join("\n", map { qq{SELECT pgmq_c.send('sk', '{"i": $_}');} } 7 .. 10));
is(scalar(@ids), 10, 'ten messages sent, a pause between the 6th and the 7th');
is_deeply([ drain('sk', 'g') ], \@ids, 'group g reads and acks the ten in order');
is(group_info('sk', 'g', 'lag'), '0', 'group g: lag 0');

is(sql("SELECT pgmq_c.seek('sk', 'g', $ids[3])"), $ids[3], 'seek to the 4th message');
is(group_info('sk', 'g', 'lag'), '7', 'group g: lag 7 after the seek');
is_deeply([ read_group('sk', 'g', '1 hour', 100) ], [ map { "$_|1" } @ids[ 3 .. 9 ] ],
	'messages 4..10 redelivered in order, read_ct 1');
is(sql("SELECT pgmq_c.seek('sk', 'g', '$ts'::timestamptz)"), $ids[6],
	'seek by a time between the 6th and the 7th send: position of the 7th');
is(sql("SELECT pgmq_c.ack('sk', 'g', $ids[4])"), 'f',
	'the seek dropped the leases of the previous delivery');
is_deeply([ drain('sk', 'g') ], [ @ids[ 6 .. 9 ] ], 'messages 7..10 redelivered in order');
my $last = $ids[9];
is(sql("SELECT pgmq_c.seek('sk', 'g', $last + 1)"), $last + 1, 'seek to the position after the last');
is(n_read('sk', 'g'), 0, 'which delivers nothing');
like(sql_error("SELECT pgmq_c.seek('sk', 'g', $last + 2)"), qr/ERROR:  22023: .*outside the retained range/,
	'seek to last + 2: SQLSTATE 22023');
like(sql_error("SELECT pgmq_c.seek('sk', 'g', -1)"), qr/ERROR:  22023: .*outside the retained range/,
	'seek to a negative msg_id: SQLSTATE 22023');
# nothing was removed by retention yet: before the first message is allowed
# (the errors once retention removed something are checked in section 6)
is(sql("SELECT pgmq_c.seek('sk', 'g', $ids[0] - 1)"), $ids[0] - 1,
	'seek before the first message, nothing removed by retention yet: allowed');
is(group_info('sk', 'g', 'lag'), '10', 'group g: lag 10');
is_deeply([ read_group('sk', 'g', '1 hour', 100) ], [ map { "$_|1" } @ids ],
	'all ten redelivered in order');
is(sql(qq{SELECT pgmq_c.seek('sk', 'g', (SELECT enqueued_at FROM } . log_of('sk') . " WHERE msg_id = $ids[0]) - interval '1 s')"),
	$ids[0], 'seek to a time before the first message: position of the first');
is(group_info('sk', 'g', 'lag'), '10', 'group g: lag 10');

#
# 7. Header filter.
#
sql(q{SELECT pgmq_c.create_topic('flt')});
sql(q{SELECT pgmq_c.create_group('flt', 'only_a', 'latest', '30 seconds', '{"type": "a"}')});
sql(q{SELECT pgmq_c.create_group('flt', 'all')});
my @hdrs = ('{"type": "a"}', '{"type": "b"}', 'NULL', '{"type": "a", "k": 1}', '{"other": "a"}',
	'{"type": ["a"]}', '{"type": "a"}');
my @fids = map { sql(qq{SELECT pgmq_c.send('flt', '{"f": 1}', } . ($_ eq 'NULL' ? 'NULL' : "'$_'") . ')') } @hdrs;
my @match = @fids[ 0, 3, 6 ];
is(group_info('flt', 'only_a', 'lag'), '3', 'filtered group: lag counts only the 3 matching messages');
is(group_info('flt', 'all', 'lag'), '7', 'unfiltered group: lag 7');
is_deeply([ read_group('flt', 'only_a', '1 hour', 1) ], [ "$match[0]|1" ], 'reads the first match');
is(group_info('flt', 'only_a', "lag || '|' || in_flight"), '3|1', 'lag 3 with one in flight');
is_deeply([ drain('flt', 'only_a') ], [ @match[ 1, 2 ] ], 'then the two other matches, nothing else');
is(sql("SELECT pgmq_c.ack('flt', 'only_a', $match[0])"), 't', 'acks the first');
is(group_info('flt', 'only_a', "lag || '|' || in_flight"), '0|0',
	'lag 0 although 4 non-matching messages remain');
my $nb = sql(q{SELECT pgmq_c.send('flt', '{"f": 2}', '{"type": "b"}')});
is(group_info('flt', 'only_a', 'lag'), '0', 'a non-matching send does not add to its lag');
is(n_read('flt', 'only_a'), 0, 'and is not delivered');
is_deeply([ drain('flt', 'all') ], [ @fids, $nb ], 'the unfiltered group gets all 8');

#
# drop everything on this node
#
foreach my $topic (qw(ooo dl ls rb sk flt))
{
	is(sql("SELECT pgmq_c.drop_topic('$topic')"), 't', "drop_topic $topic");
}
is(sql(q{SELECT count(*) FROM pg_class WHERE relnamespace = 'pgmq_c'::regnamespace AND relname ~ '^(t|c|g)_'}),
	'0', 'no topic, cursor or group table left');
is(sql('SELECT count(*) FROM pgmq_c.groups'), '0', 'no group left in the catalog');
$node->stop;

#
# 6. Retention while a group lags, on a node without the background worker.
#
my $rnode = pgmqc_node('retention', conf => 'pgmq_c.worker = off');
$cur = $rnode;
is(sql(q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker'}), '0',
	'no pgmq_c worker runs: only maintain_topics() drops partitions');

sql(q{SELECT pgmq_c.create_topic('ret', '2 seconds', 1000)});
sql(qq{SELECT pgmq_c.create_group('ret', '$_', 'earliest')}) foreach qw(lagging fast);
my $rlog = log_of('ret');
my @rids;
# Without a worker a sender that comes near the end of the last partition
# makes the partitions its msg_ids need itself, so the batches go through
# without any maintenance.  Should one fail anyway, maintain_topics() makes the
# partitions and the batch is sent again, so that the retention checks
# below still run.
foreach my $batch (0 .. 4)
{
	my $q = qq{
SELECT * FROM pgmq_c.send_batch('ret',
  ARRAY(SELECT jsonb_build_object('i', g) FROM generate_series(@{[500 * $batch + 1]}, @{[500 * ($batch + 1)]}) g))};
	my ($ret, $out, $err) = $rnode->psql('postgres', $q);
	is($err, '', "batch " . ($batch + 1) . " of 500 sent, the partitions it needs made in time");
	if ($ret != 0)
	{
		sql('SELECT pgmq_c.maintain_topics()');
		$out = sql($q);
	}
	push @rids, split /\n/, $out;
}
is(scalar(@rids), 2500, '2500 messages sent in 5 batches');
my @fast = drain('ret', 'fast');
is(scalar(@fast), 2500, 'group fast read and acked all 2500');
is(group_info('ret', 'lagging', "lag || '|' || missed"), '2500|0', 'group lagging: lag 2500, nothing missed yet');

sql('SELECT pg_sleep(3)');
my $extra = sql(q{SELECT pgmq_c.send('ret', '{"i": "extra"}')});
ok($extra > $rids[-1], "one more message sent (msg_id $extra)");
my @parts_list_before = split /\n/, sql(qq{
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = '$rlog'::regclass ORDER BY 1});
my $dropped = sql('SELECT pgmq_c.maintain_topics()');
ok($dropped > 0, "maintain_topics() dropped $dropped partitions");
$dropped += sql('SELECT pgmq_c.maintain_topics()');
# (maintain_topics() also makes partitions ahead, so the count of
# partitions may grow; what matters is which ones are gone)
my %after = map { $_ => 1 } split /\n/, sql(qq{
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = '$rlog'::regclass});
my ($lname) = $rlog =~ /pgmq_c\.(t_\d+)/;
my @gone = map { /^${lname}_p(\d+)$/ ? $1 : () } grep { !$after{$_} } @parts_list_before;
is(scalar(@gone), $dropped, 'the partitions missing are those reported dropped');
my $upper = 0;
foreach my $k (@gone) { $upper = ($k + 1) * 1000 if ($k + 1) * 1000 > $upper; }
ok($upper > 0, "the dropped partitions end at msg_id $upper");
is(sql(qq{
SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = '$rlog'::regclass
   AND (substring(c.relname from '_p([0-9]+)\$')::bigint + 1) * 1000 <= $upper}), '0',
	'no partition below that end is left');

my $count = sql("SELECT count(*) FROM $rlog");
ok($count < 2501, "the log keeps $count of the 2501 messages");
is(sql("SELECT count(*) FROM $rlog WHERE msg_id < $upper"), '0', 'none below the dropped range\'s end');
my $lost = scalar(grep { $_ < $upper } @rids);
is($count, 2501 - $lost, 'every message at or above it is still there');

my ($lag, $missed, $next) = split /\|/, group_info('ret', 'lagging', "lag || '|' || missed || '|' || next_msg_id");
is($missed, $lost, "group lagging: missed $missed, the messages of the dropped partitions");
ok($next >= $upper, "group lagging: its cursor ($next) moved past the dropped range");
is($lag, sql("SELECT count(*) FROM $rlog WHERE msg_id >= $next"),
	"group lagging: lag $lag, exactly what is retained after its cursor");
is($lag, $count, 'which is everything still retained');
is(group_info('ret', 'fast', "lag || '|' || missed"), '1|0',
	'group fast: nothing missed, only the extra message to read');

my @rest = drain('ret', 'lagging');
ok(@rest && $rest[0] >= $upper, "group lagging reads on from msg_id $rest[0], after the dropped range");
is_deeply(\@rest, [ (grep { $_ >= $upper } @rids), $extra ],
	'and gets every retained message, in order, once');
is(group_info('ret', 'lagging', "lag || '|' || missed"), "0|$lost", 'group lagging: lag 0 now');
like(sql_error("SELECT pgmq_c.seek('ret', 'lagging', $upper - 1)"), qr/ERROR:  22023: .*outside the retained range/,
	'seek into the dropped range: SQLSTATE 22023');
like(sql_error(qq{SELECT pgmq_c.seek('ret', 'lagging', (SELECT min(enqueued_at) FROM $rlog) - interval '1 ms')}),
	qr/ERROR:  22023: .*before the oldest message retained/,
	'seek to a time before the oldest retained message: SQLSTATE 22023');
is(sql("SELECT pgmq_c.seek('ret', 'lagging', $upper)"), $upper, 'seek to the oldest retained position works');
is(group_info('ret', 'lagging', "lag || '|' || missed"), "$count|$lost",
	'group lagging: lag back to everything retained, missed unchanged');

my $gid = sql(q{SELECT group_id FROM pgmq_c.groups WHERE group_name = 'lagging'});
is(sql(q{SELECT pgmq_c.drop_group('ret', 'lagging')}), 't', 'drop_group lagging');
is(sql("SELECT count(*) FROM pg_class WHERE relname = 'g_$gid' AND relnamespace = 'pgmq_c'::regnamespace"),
	'0', "its table g_$gid is gone");
is(sql(q{SELECT pgmq_c.drop_topic('ret')}), 't', 'drop_topic ret');
is(sql(q{SELECT count(*) FROM pg_class WHERE relnamespace = 'pgmq_c'::regnamespace AND relname ~ '^(t|c|g)_'}),
	'0', 'no topic, partition, sequence, cursor or group table left');
is(sql('SELECT count(*) FROM pgmq_c.groups'), '0', 'no group left in the catalog');

$rnode->stop;
done_testing();
