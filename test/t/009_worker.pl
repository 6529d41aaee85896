# 009_worker.pl: the launcher and the per-database background worker.
#
# - A worker runs for a database that uses pgmq_c, and status() names it.
# - Terminated, it is started again, at once also when the launcher that
#   started it was terminated meanwhile; killed with SIGKILL, the cluster
#   restarts (restart_after_crash = on) and a worker comes back.
# - LISTEN/NOTIFY: with enable_notify the worker sends NOTIFY pgmq_c with
#   the queue name after a send commits, when a delayed message is due and
#   when a lease runs out (not before), after a nack, and at most once per
#   throttle window
#   (the last window's sends still get their notification), on a channel
#   of the queue's own when enable_notify names one; a delayed
#   message that came due and a lease that ended while no worker ran (or
#   the server was down) are notified when the worker starts again.
# - Idle, the worker uses next to no CPU.
# - DROP DATABASE, ALTER DATABASE ... RENAME and CREATE DATABASE ... TEMPLATE
#   of a database whose worker runs succeed (the worker is stopped first);
#   tried by a role that may not run them, they leave the worker alone.
# - DROP EXTENSION makes the worker exit within about 10 s; installed again,
#   the extension gets a worker again.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(gettimeofday tv_interval usleep);

my $node = pgmqc_node('worker', conf => 'restart_after_crash = on');

sub sql { return $node->safe_psql($_[1] // 'postgres', $_[0]); }

sql(q{SELECT pgmq_c.create_queue('q')});
# the first send asks for this database's worker
my $first = sql(q{SELECT pgmq_c.send('q', '{"first": 1}')});
sql("SELECT pgmq_c.delete('q', $first)");

#
# 1. The worker and the launcher exist; status() names the worker.
#
my $wpid = worker_pid($node, 'postgres');
ok(defined $wpid, "a pgmq_c worker runs for database postgres (pid $wpid)");
is(sql(q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgmq_c launcher'}),
	'1', 'one pgmq_c launcher runs');
ok( $node->poll_query_until(
		'postgres', "SELECT worker_pid = $wpid FROM pgmq_c.status()"),
	'status().worker_pid is that worker');
is(sql('SELECT preloaded FROM pgmq_c.status()'), 't', 'status().preloaded');

#
# 2. pg_terminate_backend: the launcher starts a new worker.
#
is(sql("SELECT pg_terminate_backend($wpid)"), 't', 'worker terminated');
my $wpid2 = worker_pid($node, 'postgres', $wpid);
ok(defined $wpid2, "a new worker runs (pid $wpid2)");
ok( $node->poll_query_until(
		'postgres', "SELECT worker_pid = $wpid2 FROM pgmq_c.status()"),
	'status() names the new worker');

# The launcher terminated: the postmaster starts a new one (after 10 s),
# which holds no handle of the running worker.  That worker, terminated,
# is started again at once, not at the new launcher's next database scan
# (a minute later; until 0.8.0 nothing told the new launcher).
my $lpid = sql(q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgmq_c launcher'});
is(sql("SELECT pg_terminate_backend($lpid)"), 't', 'launcher terminated');
ok( $node->poll_query_until(
		'postgres', qq{SELECT count(*) = 1 FROM pg_stat_activity
 WHERE backend_type = 'pgmq_c launcher' AND pid <> $lpid}),
	'a new launcher runs');
# the new launcher's first scan has run when it has seen the worker's entry;
# give it a moment, then stop the worker the old launcher started
sleep(2);
is(sql("SELECT pg_terminate_backend($wpid2)"), 't',
	'the worker the old launcher started terminated');
my $restarted;
foreach (1 .. 300)
{
	$restarted = sql(qq{SELECT pid FROM pg_stat_activity
 WHERE backend_type = 'pgmq_c worker' AND datname = 'postgres' AND pid <> $wpid2});
	last if $restarted ne '';
	usleep(100_000);
}
isnt($restarted, '',
	'the new launcher starts a worker again within 30 s (half its scan period)');
$wpid2 = worker_pid($node, 'postgres', $wpid2);

# pgmq_c.worker turned off (and reloaded): the running worker leaves, and
# none starts; turned on again, the launcher starts it again
my $log_offset = -s $node->logfile;
sql(q{ALTER SYSTEM SET pgmq_c.worker = off});
sql(q{SELECT pg_reload_conf()});
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker'}),
	'with pgmq_c.worker off the worker stops');
like(slurp_file($node->logfile, $log_offset),
	qr/pgmq_c worker stops: "pgmq_c.worker" was turned off/,
	'and says why');
is(sql(q{SELECT worker_pid IS NULL FROM pgmq_c.status()}), 't', 'status() shows no worker');
sql(q{ALTER SYSTEM RESET pgmq_c.worker});
sql(q{SELECT pg_reload_conf()});
$wpid2 = worker_pid($node, 'postgres');
ok(defined $wpid2, "turned on again, a worker runs (pid $wpid2)");

#
# 3. SIGKILL: crash restart of the cluster, and the worker comes back.
#
$log_offset = -s $node->logfile;
kill 'KILL', $wpid2;
$node->wait_for_log(qr/database system is ready to accept connections/, $log_offset);
ok($node->poll_query_until('postgres', 'SELECT true'), 'the cluster restarted after the crash');
like(slurp_file($node->logfile, $log_offset),
	qr/pgmq_c worker.*was terminated by signal 9/,
	'the server log shows the killed worker');
my $wpid3 = worker_pid($node, 'postgres', $wpid2);
ok(defined $wpid3, "a worker runs again after the crash restart (pid $wpid3)");
ok( $node->poll_query_until(
		'postgres', "SELECT worker_pid = $wpid3 FROM pgmq_c.status()"),
	'status() names it');

#
# 4. LISTEN/NOTIFY from the worker.
#
my $listener = start_listener($node, 'postgres');
my @notes;    # [ time seen, payload ]

# poll for $secs seconds, or until there are $n notifications; returns
# how many there are
sub notes_within
{
	my ($secs, $n) = @_;
	return scalar collect_notes($listener, \@notes, $secs, $n);
}

# Tests that one notification came, 1.8 to 4 s after $t0 (the time of the
# $since that set a 2 s lease or delay): $what, then $before and $soon with
# the time added.
sub one_note_after_2s
{
	my ($t0, $since, $what, $before, $soon) = @_;
	is(scalar(@notes), 1, $what);
	return unless @notes;
	my $at = tv_interval($t0, $notes[0][0]);
	ok($at >= 1.8, "$before ($at s after the $since)");
	ok($at < 4, "$soon ($at s after the $since)");
}

sql(q{SELECT pgmq_c.enable_notify('q')});

# 4a. a send
@notes = ();
my $t_send = [gettimeofday];
my $id = sql(q{SELECT pgmq_c.send('q', '{"n": 1}')});
notes_within(10, 1);
is(scalar(@notes), 1, 'a send is notified');
is($notes[0][1], 'q', 'on channel pgmq_c with the queue name as payload') if @notes;
ok(@notes && tv_interval($t_send, $notes[0][0]) < 2, 'promptly');

# 4b. a lease that runs out: nothing at the read, one notification at its end
notes_within(0.3);
@notes = ();
my $t_read = [gettimeofday];
is(sql("SELECT read_ct FROM pgmq_c.read('q', '2 s', 1)"), '1',
	'a consumer leases the message for 2 s');
notes_within(6, 1);
one_note_after_2s($t_read, 'read', 'the end of the lease is notified',
	'not before the lease ended', 'soon after the lease ended');
is($notes[0][1], 'q', 'payload q') if @notes;

# 4b'. a nack is notified at once
is(sql("SELECT read_ct FROM pgmq_c.read('q', '1 hour', 1)"), '2',
	'a consumer leases the message again, for an hour');
notes_within(0.3);
@notes = ();
my $t_nack = [gettimeofday];
is(sql("SELECT count(*) FROM pgmq_c.set_vt('q', $id, '0')"), '1', 'and nacks it');
notes_within(5, 1);
is(scalar(@notes), 1, 'the nack is notified');
ok(@notes && tv_interval($t_nack, $notes[0][0]) < 2, 'promptly');
is(sql("SELECT pgmq_c.delete('q', $id)"), 't', 'the message is deleted');

# 4c. a delayed message: one notification at its due time, none at the send
notes_within(0.3);
@notes = ();
$t_send = [gettimeofday];
my $did = sql(q{SELECT pgmq_c.send('q', '{"n": 2}', NULL, '2 s')});
notes_within(6, 1);
one_note_after_2s($t_send, 'send', 'a delayed message is notified',
	'at its due time, not before', 'soon after it was due');
notes_within(1);
is(scalar(@notes), 1, 'and only once while nobody reads it');
is(sql("SELECT pgmq_c.delete('q', $did)"), 't', 'the delayed message is deleted');

# 4d. throttle: 20 sends in quick succession, throttle 2 s
sql(q{SELECT pgmq_c.enable_notify('q', '2 s')});
# the throttle window counts from the last notification (4c): start after it
notes_within(2.5);
@notes = ();
# one send opens the window: notified at once
sql(q{SELECT pgmq_c.send('q', '{"b": 0}')});
notes_within(1.5, 1);
is(scalar(@notes), 1, 'the first send of the burst is notified at once');
# 19 more transactions inside that window (one statement each: several
# statements in one call would be one transaction)
my $t_burst = [gettimeofday];
sql(q{DO $$BEGIN FOR i IN 1..19 LOOP PERFORM pgmq_c.send('q', jsonb_build_object('b', i)); COMMIT; END LOOP; END$$});
my $burst_secs = tv_interval($t_burst);
my $early = notes_within(0.3);
ok($early == 1,
	"nothing more while the window runs ($early in all; 19 sends took $burst_secs s)");
notes_within(5, 2);
notes_within(0.5);
is(scalar(@notes), 2,
	'exactly 2 notifications: one at once, one for the burst when the window ended');
ok(@notes == 2 && tv_interval($notes[0][0], $notes[1][0]) >= 1.5,
	'the second one came a throttle window after the first');
is(sql(q{SELECT count(*) FROM pgmq_c.read('q', '1 hour', 100)}), '20',
	'the burst is in the queue');

# 4e. disable_notify: silence
sql(q{SELECT pgmq_c.disable_notify('q')});
notes_within(0.3);
@notes = ();
sql(q{SELECT pgmq_c.send('q', '{"quiet": 1}')});
notes_within(1.5);
is(scalar(@notes), 0, 'after disable_notify a send is not notified');

# 4e'. a channel of the queue's own: a send is announced there, with the
# queue name as payload, and not on channel pgmq_c
sql(q{SELECT pgmq_c.create_queue('nc');
      SELECT pgmq_c.enable_notify('nc', '0', 'pgmq.q_nc.INSERT')});
my $own = $node->background_psql('postgres');
$own->query_safe('LISTEN "pgmq.q_nc.INSERT"');
notes_within(0.5);
@notes = ();
sql(q{SELECT pgmq_c.send('nc', '{"own": 1}')});
my $heard = '';
foreach (1 .. 100)
{
	$heard .= $own->query_safe('SELECT 1');
	last if $heard =~ /Asynchronous notification/;
	usleep(50_000);
}
like($heard,
	qr/Asynchronous notification "pgmq\.q_nc\.INSERT" with payload "nc" received/,
	'a queue with a channel of its own is announced there, with its name');
notes_within(1);
is(scalar(grep { $_->[1] eq 'nc' } @notes), 0, 'and not on channel pgmq_c');
$own->quit;
sql(q{SELECT pgmq_c.drop_queue('nc')});

# 4f. while no worker runs, a delayed message comes due (queue nd) and a
# lease ends (queue nl): the next worker announces both (until 0.8.0 it
# took what was visible at its start as no news, and never told of them)
sql(q{SELECT pgmq_c.create_queue('nd'); SELECT pgmq_c.create_queue('nl');
      SELECT pgmq_c.enable_notify('nd'); SELECT pgmq_c.enable_notify('nl')});
my $lid = sql(q{SELECT pgmq_c.send('nl', '{"lease": 1}')});
is(sql("SELECT read_ct FROM pgmq_c.read('nl', '3 s', 1)"), '1',
	'a message of nl is leased for 3 s');
notes_within(2);    # the send's notification
sql(q{ALTER SYSTEM SET pgmq_c.worker = off});
sql(q{SELECT pg_reload_conf()});
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker'}),
	'the worker is turned off');
sql(q{SELECT pgmq_c.send('nd', '{"delayed": 1}', NULL, '1 s')});
# both come due while no worker runs
sleep(4);
@notes = ();
sql(q{ALTER SYSTEM RESET pgmq_c.worker});
sql(q{SELECT pg_reload_conf()});
ok(defined worker_pid($node, 'postgres'), 'the worker is turned on again');
my $seen = sub {
	my ($q) = @_;
	return scalar grep { $_->[1] eq $q } @notes;
};
foreach (1 .. 100)
{
	last if $seen->('nd') && $seen->('nl');
	notes_within(0.1);
}
notes_within(1);
is($seen->('nd'), 1,
	'a delayed message that came due while no worker ran is notified once');
is($seen->('nl'), 1,
	'a lease that ended while no worker ran is notified once');
$listener->quit;

# 4g. a delayed message that comes due while the server is down (its due
# time, kept in shared memory, is gone) is notified after the start
sql(q{SELECT pgmq_c.purge_queue('nd')});
sql(q{SELECT pgmq_c.send('nd', '{"delayed": 2}', NULL, '2 s')});
# the worker stays off after the start until the listener listens
sql(q{ALTER SYSTEM SET pgmq_c.worker = off});
$node->stop;
sleep(3);
$node->start;
$listener = start_listener($node, 'postgres');
@notes = ();
sql(q{ALTER SYSTEM RESET pgmq_c.worker});
sql(q{SELECT pg_reload_conf()});
foreach (1 .. 100)
{
	last if $seen->('nd');
	notes_within(0.1);
}
notes_within(1);
is($seen->('nd'), 1,
	'a delayed message that came due while the server was down is notified once');
sql(q{SELECT pgmq_c.drop_queue('nd'); SELECT pgmq_c.drop_queue('nl')});
$listener->quit;

# 4h. after a start, a queue the worker cannot look at (a session holds its
# table locked) does not make the next worker miss the lease ends of the
# other queues (until 0.8.0's review h52, it handed on "from the
# beginning of time" for delayed messages, which counted as "unknown" for
# lease ends)
sql(q{SELECT pgmq_c.create_queue('lk'); SELECT pgmq_c.enable_notify('lk');
      SELECT pgmq_c.create_queue('ln'); SELECT pgmq_c.enable_notify('ln');
      SELECT pgmq_c.send('ln', '{"lease": 2}')});
my $lk_id = sql(q{SELECT queue_id FROM pgmq_c.queues WHERE queue_name = 'lk'});
sql(q{ALTER SYSTEM SET pgmq_c.worker = off});
$node->restart;
my $locker = $node->background_psql('postgres');
$locker->query_safe("BEGIN; LOCK TABLE pgmq_c.q_$lk_id IN ACCESS EXCLUSIVE MODE");
sql(q{ALTER SYSTEM RESET pgmq_c.worker});
sql(q{SELECT pg_reload_conf()});
ok(defined worker_pid($node, 'postgres'), 'a worker runs while "lk" is locked');
sleep(2);    # its first passes, which cannot look at "lk"
is(sql(q{SELECT read_ct FROM pgmq_c.read('ln', '1 second', 1)}), '1',
	'a message of ln is leased for 1 s');
sql(q{ALTER SYSTEM SET pgmq_c.worker = off});
sql(q{SELECT pg_reload_conf()});
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker'}),
	'the worker is turned off');
sleep(2);    # the lease ends while no worker runs
$listener = start_listener($node, 'postgres');
@notes = ();
sql(q{ALTER SYSTEM RESET pgmq_c.worker});
sql(q{SELECT pg_reload_conf()});
foreach (1 .. 100)
{
	last if $seen->('ln');
	notes_within(0.1);
}
is($seen->('ln'), 1,
	'the lease that ended while no worker ran is notified, though "lk" was never looked at');
$locker->query_safe('COMMIT');
$locker->quit;
sql(q{SELECT pgmq_c.drop_queue('lk'); SELECT pgmq_c.drop_queue('ln')});
$listener->quit;
sql(q{SELECT pgmq_c.purge_queue('q')});

#
# 5. Idle CPU of the worker.
#
sub cpu_ticks
{
	my ($pid) = @_;
	my $stat = slurp_file("/proc/$pid/stat");
	$stat =~ s/^.*\)\s+//s;
	my @f = split /\s+/, $stat;
	return $f[11] + $f[12];    # utime + stime (fields 14 and 15)
}
$wpid3 = worker_pid($node, 'postgres');
my $c0 = cpu_ticks($wpid3);
usleep(5_000_000);    # measuring idleness, not waiting for an outcome
my $used = cpu_ticks($wpid3) - $c0;
ok($used <= 5, "the idle worker used $used clock ticks in 5 s");

#
# 6. Databases: DROP, RENAME and use as TEMPLATE stop the worker first.
#
sql('CREATE DATABASE dx');
sql(q{CREATE EXTENSION pgmq_c; SELECT pgmq_c.create_queue('x');
      SELECT pgmq_c.send('x', '{}')}, 'dx');
my $dxpid = worker_pid($node, 'dx');
ok(defined $dxpid, 'a worker runs for database dx');
ok( $node->poll_query_until(
		'dx', "SELECT worker_pid = $dxpid FROM pgmq_c.status()"),
	"status() in dx names dx's worker");
isnt($dxpid, worker_pid($node, 'postgres'), 'a worker of its own, beside the one of postgres');
# a role that may not drop, rename or copy dx does not stop its worker by
# trying (the statement would stop it first, and then fail)
sql('CREATE ROLE nobody LOGIN');
my ($ret, $out, $err);
for my $try ('DROP DATABASE dx', 'ALTER DATABASE dx RENAME TO dx_renamed',
	'CREATE DATABASE dx_copy TEMPLATE dx')
{
	($ret, $out, $err) =
	  $node->psql('postgres', $try, extra_params => [ '-U', 'nobody' ]);
	like($err, qr/must be owner|permission denied/, "nobody: $try fails");
	is(sql("SELECT count(*) FROM pg_stat_activity WHERE pid = $dxpid"),
		'1', "and dx's worker still runs");
}
sql('DROP ROLE nobody');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE dx');
is($ret, 0, 'DROP DATABASE of a database with a running worker succeeds');
is($err, '', 'without error');
is(sql(q{SELECT count(*) FROM pg_database WHERE datname = 'dx'}), '0', 'dx is gone');

sql('CREATE DATABASE dy');
sql(q{CREATE EXTENSION pgmq_c; SELECT pgmq_c.create_queue('y');
      SELECT pgmq_c.send('y', '{}')}, 'dy');
ok(defined worker_pid($node, 'dy'), 'a worker runs for database dy');
($ret, $out, $err) = $node->psql('postgres', 'CREATE DATABASE dz TEMPLATE dy');
is($ret, 0, 'CREATE DATABASE ... TEMPLATE of it succeeds');
is(sql(q{SELECT count(*) FROM pgmq_c.read('y', '1 hour', 10)}, 'dz'), '1',
	'the copy has the queue and its message');
sql(q{SELECT pgmq_c.send('y', '{}')}, 'dy');
ok(defined worker_pid($node, 'dy'), 'a send in dy starts its worker again');
($ret, $out, $err) = $node->psql('postgres', 'ALTER DATABASE dy RENAME TO dy2');
is($ret, 0, 'ALTER DATABASE ... RENAME of it succeeds');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE dy2');
is($ret, 0, 'and DROP DATABASE of the renamed one');
sql('DROP DATABASE dz');

#
# 7. DROP EXTENSION: the worker exits within about 10 s.
#
$wpid3 = worker_pid($node, 'postgres');
my $t_drop = [gettimeofday];
sql('DROP EXTENSION pgmq_c CASCADE');
ok( $node->poll_query_until(
		'postgres', qq{
SELECT count(*) = 0 FROM pg_stat_activity
 WHERE backend_type = 'pgmq_c worker' AND datname = 'postgres'}),
	'the worker exits after DROP EXTENSION');
my $gone = tv_interval($t_drop);
ok($gone < 15, "within $gone s");
like(slurp_file($node->logfile),
	qr/pgmq_c worker stops: the extension is not installed in database "postgres"/,
	'the worker says why it stopped');

# installed again: the first send brings a worker back
sql(q{CREATE EXTENSION pgmq_c; SELECT pgmq_c.create_queue('again');
      SELECT pgmq_c.send('again', '{}')});
ok(defined worker_pid($node, 'postgres'), 'after CREATE EXTENSION again, a send starts a worker');

$node->stop;
done_testing();
