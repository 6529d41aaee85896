# 013_notify_edges.pl: notifications in the corners.
#
# A. A delayed message whose sending transaction commits after its due time
#    is notified after the COMMIT (the worker's timer fires while the row is
#    still invisible; the commit must not be forgotten); also when the
#    transaction was prepared and COMMIT PREPARED comes after the due time.
# B. A send inside a throttle window is notified when the window ends, even
#    if the worker re-reads its settings meanwhile (enable_notify of another
#    queue).
# C. Re-reading the settings does not open a new throttle window: a queue
#    still gets at most one notification per window.
# E. A lease that ends before the transaction that took it commits is
#    notified after the COMMIT.
# F. A transaction whose wake-ups overflow the backend's list with entries
#    for a rollback only (pops), then sends: the send is notified.
# G. A delayed send prepared before a restart and committed after it is
#    notified when it comes due.
# H. A lease taken in a transaction still open when another due time of
#    its slot fires is announced when it ends.
#    So is one in a transaction that also peeked (H2), or one set by
#    set_vt in an open transaction (H3).
# K. A COMMIT PREPARED refused inside a transaction block and rolled back
#    to a savepoint takes nothing of the prepared transaction.
# I. Peeks (a lease of 0) announce nothing.
# J. While a transaction prepared before a restart is open, a two-phase
#    commit of other work announces nothing.
# D. One transaction sends to more queues with notifications than a
#    backend's list of pending wake-ups holds (32): the queues merged into
#    one entry (or sharing a wake-up slot) are each notified, not only the
#    first one recorded there.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(gettimeofday tv_interval);

my $node = pgmqc_node('notify_edges', conf => 'max_prepared_transactions = 4');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql("SELECT pgmq_c.create_queue('$_')") foreach qw(qa qb qc other);
# the first send asks for the worker
sql(q{SELECT pgmq_c.delete('other', pgmq_c.send('other', '{}'))});
ok( $node->poll_query_until(
		'postgres', 'SELECT worker_pid IS NOT NULL FROM pgmq_c.status()'),
	'the worker runs');

my $listener = start_listener($node, 'postgres');
my @notes;    # [ time seen, payload ]

# poll for $secs seconds, or until there are $n notifications for $q;
# returns those for $q
sub notes_of
{
	my ($secs, $q, $n) = @_;
	return collect_notes($listener, \@notes, $secs, $n, $q);
}

# Section $part: notify queue $q with a throttle $window, and send once:
# tests that this is notified at once, returns when.
sub first_send_notified
{
	my ($part, $q, $window) = @_;
	sql(qq{SELECT pgmq_c.enable_notify('$q', '$window')});
	notes_of(0.5, $q);
	@notes = ();
	sql(qq{SELECT pgmq_c.send('$q', '{"first": 1}')});
	my @first = notes_of(3, $q, 1);
	is(scalar(@first), 1, "$part: the first send is notified at once");
	return @first ? $first[0][0] : [gettimeofday];
}

#
# A. Delayed send committed after its due time.
#
sql(q{SELECT pgmq_c.enable_notify('qa')});
my $tx = $node->background_psql('postgres');
$tx->query_safe('BEGIN');
my $aid = $tx->query_safe(q{SELECT pgmq_c.send('qa', '{"late": 1}', NULL, '1 s')});
@notes = ();
# the send stays uncommitted past its due time
my @before = notes_of(2.5, 'qa');
is(scalar(@before), 0,
	'A: no notification while the delayed send is uncommitted (nothing is visible)');
my $t_commit = [gettimeofday];
$tx->query_safe('COMMIT');
@notes = ();
my @after = notes_of(3, 'qa', 1);
is(scalar(@after), 1,
	'A: the delayed message, due before its COMMIT, is notified after the COMMIT');
is(sql(q{SELECT count(*) FROM pgmq_c.read('qa', '1 hour', 10)}), '1',
	'A: the message is there to read');
$tx->quit;

@notes = ();
is(scalar(notes_of(1, 'qa')), 0,
	'A: the read that moved the due message is not announced again');

# A2. The same, prepared: COMMIT PREPARED after the due time announces it
$tx = $node->background_psql('postgres');
$tx->query_safe('BEGIN');
$tx->query_safe(q{SELECT pgmq_c.send('qa', '{"late": 2}', NULL, '1 s')});
$tx->query_safe(q{PREPARE TRANSACTION 'late_delayed'});
$tx->quit;
@notes = ();
@before = notes_of(2.5, 'qa');
is(scalar(@before), 0,
	'A2: no notification while the delayed send is prepared');
sql(q{COMMIT PREPARED 'late_delayed'});
@notes = ();
@after = notes_of(3, 'qa', 1);
is(scalar(@after), 1,
	'A2: the delayed message, due before its COMMIT PREPARED, is notified after it');
is(sql(q{SELECT count(*) FROM pgmq_c.read('qa', '1 hour', 10)}), '1',
	'A2: the message is there to read');

#
# B. A pending (throttled) notification survives a settings reload.
#
my $t_first = first_send_notified('B', 'qb', '3 s');
sql(q{SELECT pgmq_c.send('qb', '{"b": 2}')});    # inside the 3 s window
sql(q{SELECT pgmq_c.enable_notify('other')});     # the worker re-reads its settings
my @b = notes_of(5.5 - tv_interval($t_first), 'qb', 2);
is(scalar(@b), 2,
	'B: the send inside the throttle window is notified when the window ends, despite the reload');
if (@b == 2)
{
	my $gap = tv_interval($t_first, $b[1][0]);
	ok($gap >= 2.5, "B: a window after the first ($gap s)");
}
sql(q{SELECT pgmq_c.disable_notify('other')});

#
# C. A settings reload does not open a new throttle window.
#
$t_first = first_send_notified('C', 'qc', '5 s');
sql(q{SELECT pgmq_c.enable_notify('other')});    # reload
sql(q{SELECT pgmq_c.send('qc', '{"c": 2}')});
my @c = notes_of(7.5 - tv_interval($t_first), 'qc', 2);
is(scalar(@c), 2, 'C: the second send is notified too');
if (@c == 2)
{
	my $gap = tv_interval($t_first, $c[1][0]);
	ok($gap >= 4.5, "C: but not before the 5 s window ended ($gap s after the first)");
}

#
# D. More notify queues in one transaction than pending wake-up entries.
#
my @many = map { "qd$_" } 1 .. 40;
sql(join('', map { "SELECT pgmq_c.create_queue('$_'); SELECT pgmq_c.enable_notify('$_');" } @many));
notes_of(0.5);
@notes = ();
sql('BEGIN;' . join('', map { "SELECT pgmq_c.send('$_', '{}');" } @many) . 'COMMIT;');
my %seen;
my $t0 = [gettimeofday];
while (keys(%seen) < @many && tv_interval($t0) < $PostgreSQL::Test::Utils::timeout_default)
{
	$seen{ $_->[1] } = 1 foreach notes_of(0.5);
}
my @missing = grep { !$seen{$_} } @many;
is(scalar(@missing), 0,
	'D: each of 40 queues sent to in one transaction is notified'
	  . (@missing ? " (missing: @missing)" : ''));

#
# E. A lease that ends before the transaction that took it commits: the
# worker's look at its end found the row locked, so the commit announces it.
#
sql(q{SELECT pgmq_c.create_queue('qe'); SELECT pgmq_c.enable_notify('qe');
      SELECT pgmq_c.send('qe', '{}')});
notes_of(1, 'qe');
@notes = ();
sql(q{BEGIN; SELECT count(*) FROM pgmq_c.read('qe', '1 second', 1);
      SELECT pg_sleep(2); COMMIT;});
my @e = notes_of(3, 'qe', 1);
is(scalar(@e), 1, 'E: a lease that ended before its COMMIT is notified after it');

#
# F. More wake-ups in one transaction than the list holds, the last entry
# one for a rollback only (pops of 33 queues), then a send: notified.
#
my @pops = map { "qf$_" } 1 .. 33;
sql(join('', map { "SELECT pgmq_c.create_queue('$_'); SELECT pgmq_c.send('$_', '{}');" } @pops));
sql(q{SELECT pgmq_c.create_queue('qf'); SELECT pgmq_c.enable_notify('qf')});
notes_of(1);
@notes = ();
sql('BEGIN;' . join('', map { "SELECT count(*) FROM pgmq_c.pop('$_');" } @pops)
	  . q{SELECT pgmq_c.send('qf', '{}'); COMMIT;});
my @f = notes_of(5, 'qf', 1);
is(scalar(@f), 1,
	'F: a send after 33 pops in one transaction is notified');

#
# G. A delayed send prepared before a restart, committed after it: the
# record of its wake-ups went with the restart; the worker looks at every
# queue again and announces the message when it comes due.
#
sql(q{SELECT pgmq_c.create_queue('qg'); SELECT pgmq_c.enable_notify('qg')});
$listener->quit;
my $tg = $node->background_psql('postgres');
$tg->query_safe('BEGIN');
$tg->query_safe(q{SELECT pgmq_c.send('qg', '{"g": 1}', NULL, '4 s')});
$tg->query_safe(q{PREPARE TRANSACTION 'across_restart'});
$tg->quit;
# and one that stays prepared, with no pgmq_c work (see J)
sql(q{BEGIN; CREATE TABLE orphan_t (i int); PREPARE TRANSACTION 'orphan'});
$node->restart;
$listener = start_listener($node, 'postgres');
@notes = ();
my $t_g = [gettimeofday];
sql(q{COMMIT PREPARED 'across_restart'});
my $due_seen = 0;
while (!$due_seen && tv_interval($t_g) < 15)
{
	notes_of(0.2, 'qg');
	$due_seen = grep { tv_interval($t_g, $_->[0]) >= 3 } grep { $_->[1] eq 'qg' } @notes;
}
ok($due_seen,
	'G: a delayed send prepared before a restart is notified when it comes due');
is(sql(q{SELECT count(*) FROM pgmq_c.read('qg', '1 hour', 1)}), '1',
	'G: and is there to read');

#
# J. While a transaction prepared before the restart is still open, a
# two-phase commit of other work announces nothing (it was taken for one
# prepared before the restart, and announced every queue).
#
notes_of(1);
@notes = ();
sql(q{BEGIN; CREATE TABLE j_t (i int); PREPARE TRANSACTION 'unrelated'});
sql(q{COMMIT PREPARED 'unrelated'});
is(scalar(notes_of(2, 'qg')), 0,
	'J: a two-phase commit of other work announces no queue');
sql(q{ROLLBACK PREPARED 'orphan'});

#
# H. A lease taken in a transaction that is still open when another due
# time of its slot fires: its end is announced all the same.
#
sql(q{SELECT pgmq_c.create_queue('qh'); SELECT pgmq_c.enable_notify('qh');
      SELECT pgmq_c.send('qh', '{"m": 1}'); SELECT pgmq_c.send('qh', '{"m": 2}')});
notes_of(1);
is(sql(q{SELECT count(*) FROM pgmq_c.read('qh', '3 s', 1)}), '1',
	'H: m1 is leased for 3 s');
my $t_h = [gettimeofday];
sql(q{BEGIN; SELECT count(*) FROM pgmq_c.read('qh', '8 s', 1);
      SELECT pg_sleep(4); COMMIT;});
@notes = ();
my $h_late = 0;
while (!$h_late && tv_interval($t_h) < 14)
{
	notes_of(0.2, 'qh');
	$h_late = grep { tv_interval($t_h, $_->[0]) >= 7.5 } grep { $_->[1] eq 'qh' } @notes;
}
ok($h_late, "H: the end of m2's lease, taken while m1's end fired, is announced");

# H2. The same with a peek of a third message in that transaction (its
# lease of 0 ended at once), and H3 with a set_vt in an open transaction
sub lease_end_announced
{
	my ($q, $what, @inside) = @_;
	sql(qq{SELECT pgmq_c.create_queue('$q'); SELECT pgmq_c.enable_notify('$q');
	       SELECT pgmq_c.send('$q', '{"m": 1}'); SELECT pgmq_c.send('$q', '{"m": 2}');
	       SELECT pgmq_c.send('$q', '{"m": 3}')});
	notes_of(1);
	sql(qq{SELECT count(*) FROM pgmq_c.read('$q', '3 s', 1)});
	my $t = [gettimeofday];
	sql('BEGIN;' . join('', map { "$_;" } @inside) . ' SELECT pg_sleep(4); COMMIT;');
	@notes = ();
	my $late = 0;
	while (!$late && tv_interval($t) < 14)
	{
		notes_of(0.2, $q);
		$late = grep { tv_interval($t, $_->[0]) >= 7.5 } grep { $_->[1] eq $q } @notes;
	}
	ok($late, $what);
}
lease_end_announced('qh2', "H2: a lease's end is announced though a peek in its transaction ended at once",
	q{SELECT count(*) FROM pgmq_c.read('qh2', '8 s', 1)},
	q{SELECT count(*) FROM pgmq_c.read('qh2', '0', 1)});
lease_end_announced('qh3', 'H3: the end of a lease set by set_vt in an open transaction is announced',
	q{SELECT count(*) FROM pgmq_c.set_vt('qh3', 3::bigint, '8 s')});

#
# K. A COMMIT PREPARED refused inside a transaction block (and rolled back
# to a savepoint) takes nothing of the prepared transaction: neither its
# notifications then, nor its record (the real COMMIT PREPARED announces
# its queue only).
#
sql(q{SELECT pgmq_c.create_queue('qk'); SELECT pgmq_c.enable_notify('qk');
      SELECT pgmq_c.create_queue('qk_other'); SELECT pgmq_c.enable_notify('qk_other')});
my $tk = $node->background_psql('postgres');
$tk->query_safe('BEGIN');
$tk->query_safe(q{SELECT pgmq_c.send('qk', '{"k": 1}')});
$tk->query_safe(q{PREPARE TRANSACTION 'refused_first'});
$tk->quit;
notes_of(1);
@notes = ();
my ($kret, $kout, $kerr) = $node->psql('postgres', q{BEGIN; SAVEPOINT s;
COMMIT PREPARED 'refused_first';
ROLLBACK TO s; COMMIT;}, on_error_stop => 0);
like($kerr, qr/COMMIT PREPARED cannot run inside a transaction block/,
	'K: COMMIT PREPARED inside a transaction block is refused');
is(scalar(notes_of(1.5, 'qk')), 0, 'K: and announces nothing');
sql(q{COMMIT PREPARED 'refused_first'});
notes_of(3, 'qk', 1);
notes_of(1);
is(scalar(grep { $_->[1] eq 'qk' } @notes), 1, 'K: the COMMIT PREPARED announces its queue');
is(scalar(grep { $_->[1] eq 'qk_other' } @notes), 0, 'K: and no other');

#
# I. Reads with a lease of 0 (peeks) announce nothing.
#
sql(q{SELECT pgmq_c.create_queue('qi'); SELECT pgmq_c.enable_notify('qi');
      SELECT pgmq_c.send('qi', '{}')});
notes_of(1);
@notes = ();
sql(q{SELECT count(*) FROM pgmq_c.read('qi', '0', 1)}) foreach 1 .. 3;
is(scalar(notes_of(1.5, 'qi')), 0, 'I: three peeks announce nothing');

$listener->quit;
$node->stop;
done_testing();
