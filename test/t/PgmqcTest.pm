# PgmqcTest.pm: the clusters and client sessions of pgmq_c's TAP tests.
#
#   pgmqc_node($name, %opt)      a started cluster with pgmq_c preloaded and
#                                installed in database postgres
#   pgmqc_standby($primary, $name)  a streaming standby of it
#   next_standby, point_clients_at  for chains of failovers under load
#   start_psql / start_session   a psql client run in the background
#   finish_session, finish_all, end_clients   waiting for them
#   wait_sleeping, poll_sessions   polling while sessions wait
#   start_listener, collect_notes  LISTEN pgmq_c and what arrives
#   worker_pid, timed_sql, is_delivered   small checks several tests make
#
# A session is a hash: h (the IPC::Run harness), out and err (its stdout and
# stderr), name or app (its application_name), t0 and, once finished,
# elapsed (seconds).
package PgmqcTest;

use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(gettimeofday tv_interval usleep);

our @EXPORT = qw(pgmqc_node pgmqc_standby next_standby point_clients_at
  start_psql start_session
  finish_session finish_all end_clients poll_sessions wait_sleeping
  start_listener collect_notes worker_pid timed_sql is_delivered slot_of);

# A new cluster $name, started.  Options:
#   preload => 0     no shared_preload_libraries (default: pgmq_c)
#   conf => TEXT     more lines for postgresql.conf
#   init => {...}    arguments of init (allows_streaming => 1, ...)
#   extension => 0   no CREATE EXTENSION pgmq_c in database postgres
sub pgmqc_node
{
	my ($name, %opt) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%{ $opt{init} // {} });
	my $conf = $opt{conf} // '';
	$conf = "shared_preload_libraries = 'pgmq_c'\n$conf"
	  if $opt{preload} // 1;
	# a node that streams gets max_connections = 10 from init(): too few
	# for a test's clients reconnecting after a failover while the old
	# backends are still going, and the test's own psql (TAP 028 failed
	# with "too many clients" at a promotion)
	$conf = "max_connections = 40\n$conf"
	  if ($opt{init} // {})->{allows_streaming};
	$node->append_conf('postgresql.conf', $conf) if $conf ne '';
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION pgmq_c')
	  if $opt{extension} // 1;
	return $node;
}

# A streaming standby $name of $primary (which allows streaming), started.
sub pgmqc_standby
{
	my ($primary, $name) = @_;
	$primary->backup('bk');
	my $standby = PostgreSQL::Test::Cluster->new($name);
	$standby->init_from_backup($primary, 'bk', has_streaming => 1);
	$standby->start;
	return $standby;
}

# A new streaming standby "$prefix<n>" of $p (n counts up per prefix),
# started; once $p streams to it (as its synchronous standby when $sync).
my %standby_count;
sub next_standby
{
	my ($p, $prefix, $sync) = @_;
	my $name = $prefix . ++$standby_count{$prefix};
	$p->backup("bk_$name");
	my $s = PostgreSQL::Test::Cluster->new($name);
	$s->init_from_backup($p, "bk_$name", has_streaming => 1);
	$s->start;
	$p->poll_query_until('postgres',
		'SELECT count(*) = 1 FROM pg_stat_replication'
		  . ($sync ? " WHERE sync_state = 'sync'" : ''))
	  or BAIL_OUT("standby $name did not start streaming");
	return $s;
}

# Write $node's connection string (database postgres) to $file, atomically:
# clients that reread it at each connection (test/history) follow.
sub point_clients_at
{
	my ($file, $node) = @_;
	open(my $fh, '>', "$file.new") or die "open: $!";
	print $fh $node->connstr('postgres'), "\n";
	close $fh;
	rename("$file.new", $file) or die "rename: $!";
}

# A psql client of $node in the background, stopping at the first error.
# Options: name (for messages), app (its application_name), sql (a list of
# statements, one -c each, so each in its own implicit transaction), file
# (a script for -f), db (default postgres), options (the connection's
# options, "-c name=value ..."), timeout (default timeout_default).
sub start_psql
{
	my ($node, %o) = @_;
	my %s = (name => $o{name} // $o{app}, app => $o{app}, out => '', err => '');
	my $connstr = $node->connstr($o{db} // 'postgres');
	$connstr .= " application_name=$o{app}" if defined $o{app};
	$connstr .= " options='$o{options}'" if defined $o{options};
	my @cmd = ($node->installed_command('psql'), '-XAtq', '-v', 'ON_ERROR_STOP=1',
		'-d', $connstr);
	push @cmd, '-c', $_ foreach @{ $o{sql} // [] };
	push @cmd, '-f', $o{file} if defined $o{file};
	$s{h} = IPC::Run::start(\@cmd, '<', \undef, '>', \$s{out}, '2>', \$s{err},
		IPC::Run::timeout($o{timeout} // $PostgreSQL::Test::Utils::timeout_default));
	$s{t0} = [gettimeofday];
	return \%s;
}

# A client of $node running @sql in the background, known as $app.
sub start_session
{
	my ($node, $app, @sql) = @_;
	return start_psql($node, app => $app, sql => \@sql);
}

# Wait for the client to exit; returns its stdout (chomped).
sub finish_session
{
	my ($s) = @_;
	$s->{h}->finish;
	$s->{elapsed} = tv_interval($s->{t0});
	chomp $s->{out};
	return $s->{out};
}

# Wait for every client; one test per client that it exited cleanly.
# Returns whether all did.
sub finish_all
{
	my @procs = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $all_ok = 1;
	foreach my $p (@procs)
	{
		my $ok = eval { $p->{h}->finish; 1 };
		if (!$ok)
		{
			diag "$p->{name}: $@";
			$p->{h}->kill_kill;
		}
		is($ok && $p->{h}->result == 0 ? 0 : 1, 0,
			"$p->{name} finished without error")
		  or diag "$p->{name} stderr: $p->{err}";
		$all_ok = 0 unless $ok && $p->{h}->result == 0;
	}
	return $all_ok;
}

# Wait for clients that a crash should have ended (bail out if one hangs),
# noting how each ended.
sub end_clients
{
	foreach my $c (@_)
	{
		eval { $c->{h}->finish; 1 } or BAIL_OUT("$c->{name} did not end: $@");
		my @err = split /\n/, $c->{err};
		note "$c->{name}: exit " . $c->{h}->result . ($err[-1] ? ": $err[-1]" : '');
	}
}

# Run $q on $node every 100 ms until $done->(its result) holds, for up to
# about timeout_default seconds; give up at once if one of the sessions @s,
# which should be waiting, has ended.  Returns the last result.
sub poll_sessions
{
	my ($node, $q, $done, @s) = @_;
	my $res = '';
	for (my $i = 0; $i < 10 * $PostgreSQL::Test::Utils::timeout_default; $i++)
	{
		$res = $node->safe_psql('postgres', $q);
		return $res if $done->($res);
		foreach my $s (@s)
		{
			eval { $s->{h}->pump_nb; };
			next if $s->{h}->pumpable;
			diag(($s->{name} // 'a session')
				  . " ended instead of waiting: $s->{out} $s->{err}");
			return $res;
		}
		usleep(100_000);
	}
	return $res;
}

# Poll until $n (default 1) backends whose application_name is LIKE $app
# sleep in a pgmq_c wait; false if they do not, or one of @s ended.
sub wait_sleeping
{
	my ($node, $app, $n, @s) = @_;
	$n //= 1;
	my $q = qq{
SELECT count(*) = $n FROM pg_stat_activity
 WHERE application_name LIKE '$app' AND wait_event_type = 'Extension'
   AND state = 'active'};
	return poll_sessions($node, $q, sub { $_[0] eq 't' }, @s) eq 't' ? 1 : 0;
}

# A session of $node in $db (@params as for background_psql) listening on
# channel pgmq_c.
sub start_listener
{
	my ($node, $db, @params) = @_;
	my $l = $node->background_psql($db, @params);
	$l->set_query_timer_restart;
	$l->query_safe('LISTEN pgmq_c');
	return $l;
}

# Add what has reached $listener to @$notes, as [time seen, payload] (psql
# prints notifications after each command), for $secs seconds or until
# there are $n notes (for queue $q, when given).  Returns the notes (for
# $q), or their count in scalar context.
sub collect_notes
{
	my ($listener, $notes, $secs, $n, $q) = @_;
	my $mine = sub { defined $q ? grep { $_->[1] eq $q } @$notes : @$notes };
	my $t0 = [gettimeofday];
	while (tv_interval($t0) < $secs)
	{
		my $out = $listener->query_safe('SELECT 1');
		while ($out =~ /Asynchronous notification "pgmq_c" with payload "([^"]*)" received/g)
		{
			push @$notes, [ [gettimeofday], $1 ];
		}
		last if defined $n && $mine->() >= $n;
		usleep(20_000);
	}
	return $mine->();
}

# pid of the pgmq_c worker of database $db, once there is one (other than
# $not); undef if none comes.
sub worker_pid
{
	my ($node, $db, $not) = @_;
	my $q = qq{
SELECT %s FROM pg_stat_activity
 WHERE backend_type = 'pgmq_c worker' AND datname = '$db'}
	  . (defined $not ? " AND pid <> $not" : '');
	$node->poll_query_until('postgres', sprintf($q, 'count(*) = 1'))
	  or return undef;
	return $node->safe_psql('postgres', sprintf($q, 'pid'));
}

# safe_psql in database postgres, with a note when it takes over 2 s.
sub timed_sql
{
	my ($node, $sql) = @_;
	my $t0 = [gettimeofday];
	my $r = $node->safe_psql('postgres', $sql);
	my $secs = tv_interval($t0);
	note sprintf("slow check (%.1f s): %s", $secs, $sql) if $secs > 2;
	return $r;
}

# One test: $out is the first delivery (read_ct 1) of message $id, as the
# statement of form $form printed it: "msg_id|read_ct" for 'read', the
# array of pgmq_c.message for 'receive'.
sub is_delivered
{
	my ($form, $out, $id, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return $form eq 'read'
	  ? is($out, "$id|1", $name)
	  : like($out, qr/^\{"\($id,1,/, $name);
}


# The wake-up slot of queue $id of database $db among $nslots slots
# (pgmq_c.wait_slots): hash_combine(murmurhash32(database oid),
# murmurhash32(queue id)) modulo the slots, as pgmqc_slot() in
# shared_memory/shmem.c computes it.
sub murmur32
{
	my ($h) = @_;
	$h ^= $h >> 16;
	$h = ($h * 0x85ebca6b) & 0xffffffff;
	$h ^= $h >> 13;
	$h = ($h * 0xc2b2ae35) & 0xffffffff;
	$h ^= $h >> 16;
	return $h;
}

sub slot_of
{
	my ($db, $id, $nslots) = @_;
	my $a = murmur32($db);
	my $b = murmur32($id);
	$a ^= ($b + 0x9e3779b9 + (($a << 6) & 0xffffffff) + ($a >> 2)) & 0xffffffff;
	return ($a & 0xffffffff) % $nslots;
}

1;
