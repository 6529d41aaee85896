# PgmqcHistory.pm: a recorded client load on pgmq_c and the checker of its
# history, in the manner of Jepsen.
#
#   run_load(%o)      fork producers and consumers; each logs every operation
#                     it attempted with what it was told; returns their pids
#   stop_load(%o)     ask them to stop (the stop file) and wait for them
#   drain(%o)         consume everything left, logging as a consumer does,
#                     and record what no read could take
#   check($dir)       read every log of $dir and report violations
#   verdict_line($r)  the one-line verdict of a check
#   finish_history(\%o, \@pids), history_is_clean($r, $left, @kinds)
#                     for TAP tests: stop, drain and check; assert
#
# Clients use DBD::Pg with a libpq connection string, read again from
# conninfo_file (when given) at every reconnection, so that a test can point
# them at a promoted standby; a multi-host string with
# target_session_attrs=read-write follows a leader by itself.
#
# Every operation is one line of a client's log, tab-separated:
#   start end op target outcome fields...
# start and end are this machine's clock (epoch seconds) before the request
# and after its answer; outcome is
#   ok       the server answered (for a transaction: COMMIT succeeded)
#   failed   an error before COMMIT was sent, or an error the server
#            reported for the statement itself: nothing happened
#   unknown  the connection was lost with the request in flight: it may or
#            may not have taken effect
# The operations:
#   send     target id key delay_ms outcome msg_id      (target q:NAME or t:TOPIC)
#   deliver  target msg_id read_ct vt id key             (target q:NAME or g:TOPIC/GROUP)
#   read     target outcome                              (a read that failed)
#   delete   target msg_id read_ct outcome result        (ack for a group; also
#            a receipt handed to the next read as delete_ids / ack_ids, with
#            that read's start and end and outcome: result 1 when the read
#            ended before the lease (vt), when the receipt certainly held,
#            else the outcome is unknown)
#   nack     target msg_id read_ct outcome result
#   abandon  target msg_id read_ct                       (the lease is left to expire)
#   remain   target count                                (drain: left at the end)
#
# The API is schema pgmq_c's, or another schema with its names and
# signatures (option schema; pgmq_c_router's, TAP 033).
#
# A message is named by its id, "p<producer>.<run>-<n>", unique per producer
# and run, and kept when a producer resends after an unknown outcome: the
# resend carries the id as its dedup_id, so the queue stores it at most once.
package PgmqcHistory;

use strict;
use warnings FATAL => 'all';
use DBI;
use Exporter 'import';
use POSIX ();
use Time::HiRes qw(time usleep);

our @EXPORT_OK = qw(setup run_load stop_load drain check verdict_line
  finish_history history_is_clean);

# The queues and topic of the standard load: a queue, a keyed queue, a
# topic with two groups that start at the earliest message.
our %SHAPE = (queues => ['hq'], keyed_queues => ['hk'], topics => { ht => [ 'g1', 'g2' ] });

# The schema of the API the clients call: option schema, else pgmq_c (set
# by setup, run_load and drain; the forked clients inherit it).
my $api = 'pgmq_c';

# ---------------------------------------------------------------- clients

# Create the queues, topics and groups of %o (the load's options) through
# $o{conninfo}; each once.
sub setup
{
	my (%o) = @_;
	$api = $o{schema} // 'pgmq_c';
	my $dbh = DBI->connect("dbi:Pg:$o{conninfo}", '', '',
		{ RaiseError => 1, PrintError => 0, PrintWarn => 0 });
	$dbh->do('CREATE EXTENSION IF NOT EXISTS pgmq_c') if $api eq 'pgmq_c';
	$dbh->do("SELECT $api.create_queue(\$1)", undef, $_)
	  foreach @{ $o{queues} // [] }, @{ $o{keyed_queues} // [] };
	foreach my $topic (sort keys %{ $o{topics} // {} })
	{
		$dbh->do("SELECT $api.create_topic(\$1)", undef, $topic);
		$dbh->do("SELECT $api.create_group(\$1, \$2, 'earliest')", undef, $topic, $_)
		  foreach @{ $o{topics}{$topic} };
	}
	$dbh->disconnect;
}

# The connection string: $o->{conninfo_file}'s first line if given (read
# anew at each connection), else $o->{conninfo}.
sub conninfo
{
	my ($o) = @_;
	return $o->{conninfo} unless $o->{conninfo_file};
	open(my $fh, '<', $o->{conninfo_file}) or return $o->{conninfo};
	my $line = <$fh>;
	close $fh;
	chomp $line if defined $line;
	return (defined $line && $line ne '') ? $line : $o->{conninfo};
}

sub stopping
{
	my ($o) = @_;
	return 1 if -e $o->{stop_file};
	return 1 if defined $o->{deadline} && time() > $o->{deadline};
	return 0;
}

# A connection, retried every 100 ms until it works or the load stops.
sub connect_retrying
{
	my ($o) = @_;
	while (!stopping($o))
	{
		my $dbh = DBI->connect('dbi:Pg:' . conninfo($o) . ' connect_timeout=3',
			'', '', { AutoCommit => 1, RaiseError => 0, PrintError => 0, PrintWarn => 0 });
		return $dbh if $dbh;
		usleep(100_000);
	}
	return undef;
}

# After an error: 'failed' when the server reported it and the session is
# still there (the statement or transaction did nothing), else 'unknown'.
sub error_outcome
{
	my ($dbh, $in_commit) = @_;
	my $state = $dbh->state // '';
	my $alive = $dbh->ping;
	return 'unknown' if !$alive || $state =~ /^(08|57P)/;
	# a COMMIT the server refused (serialization, deferred constraint) did
	# not commit; any other answer to a COMMIT is not known to be a refusal
	return ($in_commit && $state !~ /^(40|23)/) ? 'unknown' : 'failed';
}

sub open_log
{
	my ($o, $name) = @_;
	open(my $fh, '>>', "$o->{dir}/$name.log") or die "cannot open log: $!";
	$fh->autoflush(1);
	return $fh;
}

sub log_line
{
	my ($fh, @f) = @_;
	print $fh join("\t", map { defined $_ ? $_ : '\N' } @f), "\n";
}

# The targets messages are sent to: [kind, name, keyed] with kind q (queue)
# or t (topic).
sub send_targets
{
	my ($o) = @_;
	my @t;
	push @t, [ 'q', $_, 0 ] foreach @{ $o->{queues} // [] };
	push @t, [ 'q', $_, 1 ] foreach @{ $o->{keyed_queues} // [] };
	push @t, [ 't', $_, 1 ] foreach sort keys %{ $o->{topics} // {} };
	return @t;
}

# The targets messages are read from: [kind, queue or topic, group].
sub read_targets
{
	my ($o) = @_;
	my @t;
	push @t, [ 'q', $_ ] foreach @{ $o->{queues} // [] }, @{ $o->{keyed_queues} // [] };
	foreach my $topic (sort keys %{ $o->{topics} // {} })
	{
		push @t, [ 'g', $topic, $_ ] foreach @{ $o->{topics}{$topic} };
	}
	return @t;
}

sub target_name
{
	my ($t) = @_;
	return $t->[0] eq 'g' ? "g:$t->[1]/$t->[2]" : "$t->[0]:$t->[1]";
}

# One send in its own transaction; returns (outcome, msg_id).
sub send_one
{
	my ($dbh, $target, $id, $key, $delay_ms) = @_;
	$dbh->begin_work or return (error_outcome($dbh, 0), undef);
	my ($msg_id) = $dbh->selectrow_array(
		"SELECT $api.send(\$1, \$2::jsonb, NULL, make_interval(secs => \$3::float8 / 1000), \$4, \$5)",
		undef, $target->[1], qq({"id": "$id"}), $delay_ms, $key, $id);
	if (!defined $msg_id || $dbh->err)
	{
		# transaction_resolution_unknown: a send that commits elsewhere
		# during the statement (pgmq_c_router's, on its node) may have
		# taken effect although this transaction did not commit
		return ('unknown', undef) if ($dbh->state // '') eq '08007';
		my $outcome = error_outcome($dbh, 0);
		$dbh->rollback if $outcome eq 'failed';
		return ($outcome eq 'failed' ? 'failed' : 'unknown-before-commit', undef);
	}
	# DBD::Pg's commit() answers true when the connection is gone (err set)
	return ('ok', $msg_id) if $dbh->commit && !$dbh->err;
	return (error_outcome($dbh, 1), $msg_id);
}

sub producer
{
	my ($o, $n, $log) = @_;
	my @targets = send_targets($o);
	my $seq = 0;
	my $dbh;
	while (!stopping($o))
	{
		my $t = $targets[ int(rand(@targets)) ];
		my $id = "p$n.$o->{run}-" . $seq++;
		my $key = ($t->[2] && rand() < 0.7) ? 'k' . int(rand(6)) : undef;
		my $delay = rand() < 0.2 ? int(rand($o->{max_delay_ms})) : 0;
		# an unknown outcome is resent (same id, hence same dedup_id) after
		# reconnecting, at most three times
		for my $attempt (1 .. 3)
		{
			$dbh //= connect_retrying($o) or last;
			my $t0 = time();
			my ($outcome, $msg_id) = send_one($dbh, $t, $id, $key, $delay);
			# an error of the statement whose session is gone did nothing
			# either, but it ends the session
			if ($outcome eq 'unknown-before-commit')
			{
				$outcome = 'failed';
				undef $dbh;
			}
			log_line($log, $t0, time(), 'send', "$t->[0]:$t->[1]", $id, $key,
				$delay, $outcome, $outcome eq 'ok' ? $msg_id : undef);
			undef $dbh if $outcome eq 'unknown' || ($dbh && !$dbh->ping);
			last if $outcome ne 'unknown';
		}
		usleep($o->{send_pause_us}) if $o->{send_pause_us};
	}
}

# One read of up to $qty messages of target $t; logs each delivery and
# returns them ([msg_id, read_ct, vt]), or undef when the read failed.
# $acks ([msg_id, read_ct, vt] each, may be empty) are receipts the read
# deletes (acks, in a group) before it leases, as delete_ids / ack_ids.
sub read_some
{
	my ($dbh, $log, $t, $vt, $qty, $wait, $acks) = @_;
	$acks //= [];
	my $cols = 'msg_id, read_ct, extract(epoch FROM vt)::float8, message->>\'id\', ordering_key';
	my @ids = map { $_->[0] } @$acks;
	my @cts = map { $_->[1] } @$acks;
	my $t0 = time();
	my $rows =
	  $t->[0] eq 'q'
	  ? $dbh->selectall_arrayref(
		"SELECT $cols FROM $api.read(\$1, make_interval(secs => \$2), \$3, make_interval(secs => \$4), "
		  . "delete_ids => \$5::bigint[], delete_read_cts => \$6::integer[])",
		undef, $t->[1], $vt, $qty, $wait, \@ids, \@cts)
	  : $dbh->selectall_arrayref(
		"SELECT $cols FROM $api.read_group(\$1, \$2, make_interval(secs => \$3), \$4, make_interval(secs => \$5), "
		  . "ack_ids => \$6::bigint[], ack_read_cts => \$7::integer[])",
		undef, $t->[1], $t->[2], $vt, $qty, $wait, \@ids, \@cts);
	my $t1 = time();
	my $failed = (!$rows || $dbh->err);
	my $outcome = $failed ? error_outcome($dbh, 0) : 'ok';
	foreach my $a (@$acks)
	{
		# a receipt certainly held while the lease lasted (50 ms of margin
		# between the server's clock and this one)
		if ($outcome eq 'ok' && $t1 < $a->[2] - 0.05)
		{
			log_line($log, $t0, $t1, 'delete', target_name($t), $a->[0], $a->[1], 'ok', 1);
		}
		else
		{
			log_line($log, $t0, $t1, 'delete', target_name($t), $a->[0], $a->[1],
				$outcome eq 'failed' ? 'failed' : 'unknown', undef);
		}
	}
	if ($failed)
	{
		log_line($log, $t0, $t1, 'read', target_name($t), $outcome);
		return undef;
	}
	log_line($log, $t0, $t1, 'deliver', target_name($t), @$_) foreach @$rows;
	return [ map { [ $_->[0], $_->[1], $_->[2] ] } @$rows ];
}

# Acknowledge (delete, or ack in a group) or nack one delivered message with
# its receipt; logs it and returns the outcome.
sub settle
{
	my ($dbh, $log, $t, $op, $msg_id, $read_ct) = @_;
	my $t0 = time();
	my ($sql, @args);
	if ($t->[0] eq 'q')
	{
		$sql =
		  $op eq 'delete'
		  ? "SELECT $api.delete(\$1, \$2::bigint, \$3::integer)"
		  : "SELECT $api.nack(\$1, \$2::bigint, '0', \$3::integer)";
		@args = ($t->[1], $msg_id, $read_ct);
	}
	else
	{
		$sql =
		  $op eq 'delete'
		  ? "SELECT $api.ack(\$1, \$2, \$3::bigint, \$4::integer)"
		  : "SELECT $api.nack(\$1, \$2, \$3::bigint, '0', \$4::integer)";
		@args = ($t->[1], $t->[2], $msg_id, $read_ct);
	}
	my ($result) = $dbh->selectrow_array($sql, undef, @args);
	my $outcome = (defined $result && !$dbh->err) ? 'ok' : error_outcome($dbh, 0);
	log_line($log, $t0, time(), $op, target_name($t), $msg_id, $read_ct,
		$outcome, $result);
	return $outcome;
}

sub consumer
{
	my ($o, $n, $log) = @_;
	my @targets = read_targets($o);
	my $i = $n;
	my $dbh;
	# per target, the receipts the next read hands in (half the deletes)
	my %carry;
	while (!stopping($o))
	{
		my $t = $targets[ $i++ % @targets ];
		my $name = target_name($t);
		$dbh //= connect_retrying($o) or last;
		my $wait = rand() < 0.3 ? 0.2 : 0;
		my $acks = delete $carry{$name} // [];
		my $got = read_some($dbh, $log, $t, $o->{vt}, 1 + int(rand(3)), $wait, $acks);
		if (!$got)
		{
			undef $dbh unless $dbh->ping;
			next;
		}
		foreach my $m (@$got)
		{
			my $r = rand();
			if ($r < 0.39)
			{
				last if settle($dbh, $log, $t, 'delete', $m->[0], $m->[1]) eq 'unknown';
			}
			elsif ($r < 0.78)
			{
				push @{ $carry{$name} }, $m;
			}
			elsif ($r < 0.9)
			{
				last if settle($dbh, $log, $t, 'nack', $m->[0], $m->[1]) eq 'unknown';
			}
			else
			{
				log_line($log, time(), time(), 'abandon', $name, $m->[0], $m->[1]);
			}
		}
		undef $dbh unless $dbh->ping;
	}
	# receipts still carried at the stop: deleted one by one
	foreach my $name (sort keys %carry)
	{
		my ($t) = grep { target_name($_) eq $name } @targets;
		foreach my $m (@{ $carry{$name} })
		{
			$dbh //= connect_retrying($o) or last;
			last if settle($dbh, $log, $t, 'delete', $m->[0], $m->[1]) eq 'unknown';
		}
	}
}

# Fork $o{producers} producers and $o{consumers} consumers.  Options:
#   dir               where the logs go (created)
#   conninfo          libpq connection string
#   conninfo_file     a file whose first line overrides it, read at each connection
#   stop_file         the load stops when it exists (default dir/stop)
#   seconds           or when that many seconds passed (default: until stopped)
#   queues, keyed_queues   queue names (keyed: 70% of sends have one of 6 keys)
#   topics            { topic => [groups] } (sends keyed as keyed queues')
#   vt                lease in seconds (default 2)
#   max_delay_ms      20% of sends are delayed up to this (default 1500)
#   send_pause_us     pause of producers between sends (default 5000)
# The clients run_load forked and stop_load has not waited for, in the
# process that forked them: a test that dies before stop_load kills them at
# its exit, else prove would wait for them (they keep its output open).
my %running;
my $load_parent;

END
{
	if (%running && defined $load_parent && $$ == $load_parent)
	{
		my $status = $?;    # the test's exit status, which waitpid sets

		kill 'KILL', keys %running;
		waitpid($_, 0) foreach keys %running;
		%running = ();
		$? = $status;
	}
}

sub run_load
{
	my (%o) = @_;
	my $o = defaults(\%o);
	mkdir $o->{dir};
	unlink $o->{stop_file};
	$o->{deadline} = time() + $o->{seconds} if $o->{seconds};
	# message ids (and dedup ids) differ from every earlier run's
	$o->{run} = sprintf('%x', int(time() * 1000));
	my @pids;
	foreach my $role ([ 'producer', $o->{producers} ], [ 'consumer', $o->{consumers} ])
	{
		for my $n (1 .. $role->[1])
		{
			my $pid = fork();
			die "fork: $!" unless defined $pid;
			if ($pid == 0)
			{
				srand($$ ^ int(time() * 1000));
				my $log = open_log($o, "$role->[0]-$n");
				$role->[0] eq 'producer' ? producer($o, $n, $log) : consumer($o, $n, $log);
				close $log;
				# no END blocks, no destructors of the parent's objects
				POSIX::_exit(0);
			}
			push @pids, $pid;
			$running{$pid} = 1;
		}
	}
	$load_parent = $$;
	return @pids;
}

sub defaults
{
	my ($o) = @_;
	$o->{stop_file} //= "$o->{dir}/stop";
	$o->{producers} //= 4;
	$o->{consumers} //= 4;
	$o->{vt} //= 2;
	$o->{max_delay_ms} //= 1500;
	$o->{send_pause_us} //= 5000;
	$api = $o->{schema} // 'pgmq_c';
	return $o;
}

# Stop the load of run_load(%o) and wait for its processes (@{$o{pids}}).
sub stop_load
{
	my (%o) = @_;
	my $o = defaults(\%o);
	open(my $fh, '>', $o->{stop_file}) or die "cannot create stop file: $!";
	close $fh;
	foreach my $pid (@{ $o{pids} // [] })
	{
		waitpid($pid, 0);
		delete $running{$pid};
	}
}

# Consume every message left, deleting each, until every target is empty
# (queue_length 0, a group's lag 0) or $o{timeout} seconds (default 60)
# passed; logs as drain.log, with one 'remain' line per target.
sub drain
{
	my (%o) = @_;
	my $o = defaults(\%o);
	$o->{stop_file} = "$o->{dir}/no-stop-for-drain";
	$o->{deadline} = time() + ($o->{timeout} // 60);
	my $log = open_log($o, 'drain');
	my @targets = read_targets($o);
	my %left = map { target_name($_) => undef } @targets;
	my $dbh;
	while (time() < $o->{deadline})
	{
		$dbh //= connect_retrying($o) or last;
		my $busy = 0;
		foreach my $t (@targets)
		{
			my $got = read_some($dbh, $log, $t, 30, 100, 0) // [];
			settle($dbh, $log, $t, 'delete', @$_) foreach @$got;
			$busy ||= @$got;
			my ($count) =
			  $t->[0] eq 'q'
			  ? $dbh->selectrow_array("SELECT queue_length FROM $api.metrics(\$1)",
				undef, $t->[1])
			  : $dbh->selectrow_array(
				"SELECT lag FROM $api.list_groups(\$1) WHERE group_name = \$2",
				undef, $t->[1], $t->[2]);
			$left{ target_name($t) } = $count;
		}
		last if !$busy && !grep { !defined $_ || $_ != 0 } values %left;
		undef $dbh unless $dbh->ping;
		usleep(100_000) unless $busy;
	}
	log_line($log, time(), time(), 'remain', $_, $left{$_}) foreach sort keys %left;
	close $log;
	return \%left;
}

# ---------------------------------------------------------------- checker

# Read every *.log of $dir: the send attempts of each sent-to target, and
# the events (deliveries, deletes, nacks) of each read-from target.
sub read_history
{
	my ($dir) = @_;
	my (%sends, %events, %remain);
	foreach my $file (sort glob("$dir/*.log"))
	{
		(my $client = $file) =~ s{.*/|\.log$}{}g;
		open(my $fh, '<', $file) or die "cannot read $file: $!";
		while (my $line = <$fh>)
		{
			chomp $line;
			# a line cut by the client's death is not an operation
			next unless $line =~ /\t/;
			my @f = map { $_ eq '\N' ? undef : $_ } split /\t/, $line, -1;
			my ($t0, $t1, $op, $target) = @f;
			my %e = (t0 => $t0, t1 => $t1, op => $op, client => $client);
			if ($op eq 'send')
			{
				@e{qw(id key delay outcome msg_id)} = @f[ 4 .. 8 ];
				push @{ $sends{$target} }, \%e;
			}
			elsif ($op eq 'deliver')
			{
				@e{qw(msg_id read_ct vt id key)} = @f[ 4 .. 8 ];
				push @{ $events{$target} }, \%e;
			}
			elsif ($op eq 'delete' || $op eq 'nack')
			{
				@e{qw(msg_id read_ct outcome result)} = @f[ 4 .. 7 ];
				push @{ $events{$target} }, \%e;
			}
			elsif ($op eq 'remain')
			{
				$remain{$target} = $f[4];
			}
		}
		close $fh;
	}
	return (\%sends, \%events, \%remain);
}

# The sent-to target of a read-from one: q:NAME itself, t:TOPIC of a group.
sub source_of
{
	my ($target) = @_;
	return $target =~ m{^g:([^/]+)/} ? "t:$1" : $target;
}

# Check the history in $dir.  Returns a hash: counts per violation (lost,
# unexpected, duplicated, resurrected, reused_id, order, remaining), totals
# (sent_ok, sent_unknown, delivered, deleted) and details (a list of
# strings, one per violation, with the target).
sub check
{
	my ($dir) = @_;
	my ($sends, $events, $remain) = read_history($dir);
	my %r = map { $_ => 0 } qw(lost unexpected duplicated resurrected reused_id
	  order remaining sent_ok sent_unknown sent_failed delivered deleted);
	my @details;
	my $bad = sub {
		my ($kind, $target, $what) = @_;
		$r{$kind}++;
		push @details, "$kind $target: $what";
	};

	# msg_ids named by sends: one id (message) per msg_id, per source
	my %send_of;    # source -> id -> {outcomes, msg_ids}
	foreach my $source (sort keys %$sends)
	{
		my %by_msg_id;
		foreach my $s (@{ $sends->{$source} })
		{
			my $m = $send_of{$source}{ $s->{id} } //= { outcomes => {}, msg_ids => {}, key => $s->{key} };
			$m->{outcomes}{ $s->{outcome} }++;
			$r{"sent_$s->{outcome}"}++;
			next unless defined $s->{msg_id};
			$m->{msg_ids}{ $s->{msg_id} } = 1;
			$by_msg_id{ $s->{msg_id} }{ $s->{id} } = 1;
		}
		foreach my $msg_id (sort { $a <=> $b } keys %by_msg_id)
		{
			my @ids = sort keys %{ $by_msg_id{$msg_id} };
			$bad->('reused_id', $source, "msg_id $msg_id returned for @ids") if @ids > 1;
		}
		foreach my $id (sort keys %{ $send_of{$source} })
		{
			my @msg_ids = sort keys %{ $send_of{$source}{$id}{msg_ids} };
			$bad->('duplicated', $source, "message $id stored as msg_ids @msg_ids")
			  if @msg_ids > 1;
		}
	}

	# every read-from target: the sources' messages, and the targets that
	# read nothing at all
	my %targets = map { $_ => 1 } keys %$events, keys %$remain;
	foreach my $target (sort keys %targets)
	{
		my $source = source_of($target);
		my $sent = $send_of{$source} // {};
		my %msg;    # msg_id -> {id, deliveries, deletes, nacks}
		my %id_of_msg_id;
		foreach my $e (sort { $a->{t0} <=> $b->{t0} } @{ $events->{$target} // [] })
		{
			my $m = $msg{ $e->{msg_id} } //= { deliveries => [], deletes => [], nacks => [] };
			if ($e->{op} eq 'deliver')
			{
				$r{delivered}++;
				push @{ $m->{deliveries} }, $e;
				$id_of_msg_id{ $e->{msg_id} }{ $e->{id} // '' } = 1;
				$m->{id} = $e->{id};
				$m->{key} = $e->{key};
			}
			elsif ($e->{op} eq 'delete')
			{
				push @{ $m->{deletes} }, $e;
			}
			else
			{
				push @{ $m->{nacks} }, $e;
			}
		}
		foreach my $msg_id (sort { $a <=> $b } keys %id_of_msg_id)
		{
			my @ids = sort keys %{ $id_of_msg_id{$msg_id} };
			$bad->('reused_id', $target, "msg_id $msg_id delivered as @ids") if @ids > 1;
		}

		my %delivered_ids;
		foreach my $msg_id (sort { $a <=> $b } keys %msg)
		{
			my $m = $msg{$msg_id};
			next unless @{ $m->{deliveries} };
			my $id = $m->{id} // '';
			$delivered_ids{$id}{$msg_id} = 1;
			my $s = $sent->{$id};
			if (!$s)
			{
				$bad->('unexpected', $target, "msg_id $msg_id ($id) was never sent");
			}
			elsif (!$s->{outcomes}{ok} && !$s->{outcomes}{unknown})
			{
				$bad->('unexpected', $target, "msg_id $msg_id ($id) whose sends all failed");
			}
			elsif (%{ $s->{msg_ids} } && !$s->{msg_ids}{$msg_id})
			{
				$bad->('reused_id', $target,
					"msg_id $msg_id delivers $id, sent as msg_id " . join(',', sort keys %{ $s->{msg_ids} }));
			}
			check_deliveries($m, $msg_id, $target, $bad);
			my @true_deletes = grep { $_->{outcome} eq 'ok' && $_->{result} } @{ $m->{deletes} };
			$r{deleted}++ if @true_deletes;
			$bad->('duplicated', $target, "msg_id $msg_id acknowledged twice")
			  if @true_deletes > 1;
			if (@true_deletes)
			{
				my $gone = $true_deletes[0]{t1};
				my @after = grep { $_->{t0} > $gone } @{ $m->{deliveries} };
				$bad->('resurrected', $target,
					"msg_id $msg_id delivered again (read_ct $after[0]{read_ct}) after its acknowledged delete")
				  if @after;
			}
		}
		foreach my $id (sort keys %delivered_ids)
		{
			my @msg_ids = sort keys %{ $delivered_ids{$id} };
			$bad->('duplicated', $target, "message $id delivered as msg_ids @msg_ids")
			  if @msg_ids > 1;
		}

		# lost: sent ok, never acknowledged (nor possibly so), not left over
		my $left = $remain->{$target};
		foreach my $id (sort keys %$sent)
		{
			my $s = $sent->{$id};
			next unless $s->{outcomes}{ok};
			my @msg_ids = sort { $a <=> $b } keys %{ $s->{msg_ids} };
			my @known = grep { defined } map { $msg{$_} } @msg_ids;
			next if grep { settled($_) } @known;
			# counted as remaining below
			next if defined $left && $left > 0;
			$bad->('lost', $target,
				"message $id (msg_id @msg_ids) was sent but "
				  . ((grep { @{ $_->{deliveries} } } @known) ? 'not acknowledged' : 'never delivered'));
		}
		$bad->('remaining', $target, "$left messages left that the drain could not consume")
		  if defined $left && $left > 0;

		check_key_order(\%msg, $target, $bad);
	}
	$r{details} = \@details;
	$r{violations} = 0;
	$r{violations} += $r{$_} foreach qw(lost unexpected duplicated resurrected reused_id order remaining);
	return \%r;
}

# Whether a message was acknowledged, or maybe so (the outcome unknown).
sub settled
{
	my ($m) = @_;
	return scalar grep { $_->{outcome} eq 'unknown' || ($_->{outcome} eq 'ok' && $_->{result}) } @{ $m->{deletes} };
}

# Deliveries of one message, in read_ct order: each must come with a higher read_ct
# than the one before, and after that one's lease expired, unless a nack (or
# a nack or acknowledgement of unknown outcome: the connection was lost) of
# it came in between.
sub check_deliveries
{
	my ($m, $msg_id, $target, $bad) = @_;
	my @d = sort { $a->{read_ct} <=> $b->{read_ct} || $a->{t0} <=> $b->{t0} } @{ $m->{deliveries} };
	for my $i (1 .. $#d)
	{
		my ($prev, $cur) = ($d[ $i - 1 ], $d[$i]);
		if ($cur->{read_ct} <= $prev->{read_ct})
		{
			$bad->('duplicated', $target,
				"msg_id $msg_id delivered twice with read_ct $cur->{read_ct}");
			next;
		}
		next if $cur->{t1} >= $prev->{vt};
		my $released = grep {
			$_->{t0} >= $prev->{t0} && $_->{t0} <= $cur->{t1}
			  && ($_->{outcome} eq 'unknown' || ($_->{outcome} eq 'ok' && $_->{result}))
		} @{ $m->{nacks} }, grep { $_->{outcome} eq 'unknown' } @{ $m->{deletes} };
		$bad->('duplicated', $target,
			sprintf('msg_id %s delivered again (read_ct %d) %.3f s before the lease of read_ct %d expired',
				$msg_id, $cur->{read_ct}, $prev->{vt} - $cur->{t1}, $prev->{read_ct}))
		  unless $released;
	}
}

# Messages of one ordering key, in msg_id order: none delivered before the
# one before it was acknowledged (the acknowledgement's request began before
# the delivery's answer came).
sub check_key_order
{
	my ($msg, $target, $bad) = @_;
	my %by_key;
	foreach my $msg_id (sort { $a <=> $b } keys %$msg)
	{
		my $m = $msg->{$msg_id};
		next unless @{ $m->{deliveries} } && defined $m->{key};
		push @{ $by_key{ $m->{key} } }, [ $msg_id, $m ];
	}
	foreach my $key (sort keys %by_key)
	{
		my $list = $by_key{$key};
		for my $i (1 .. $#$list)
		{
			my ($prev_id, $prev) = @{ $list->[ $i - 1 ] };
			my ($cur_id, $cur) = @{ $list->[$i] };
			my ($ack) = grep { $_->{outcome} eq 'unknown' || ($_->{outcome} eq 'ok' && $_->{result}) }
			  @{ $prev->{deletes} };
			my ($first) = sort { $a->{read_ct} <=> $b->{read_ct} } @{ $cur->{deliveries} };
			if (!$ack || $first->{t1} < $ack->{t0})
			{
				$bad->('order', $target,
					"key $key: msg_id $cur_id delivered while msg_id $prev_id was unacknowledged");
			}
		}
	}
}

sub verdict_line
{
	my ($r) = @_;
	my $counts = join(', ', map { "$r->{$_} $_" } qw(lost unexpected duplicated resurrected reused_id order remaining));
	return sprintf('%s: %d sends ok, %d unknown, %d failed; %d deliveries, %d acknowledged; %s',
		$r->{violations} ? 'VIOLATIONS' : 'OK',
		$r->{sent_ok}, $r->{sent_unknown}, $r->{sent_failed}, $r->{delivered},
		$r->{deleted}, $counts);
}

# For TAP tests: stop the load of run_load(%$o) (its processes @$pids),
# drain and check it, noting each violation and the verdict.  Returns the
# check and what the drain left per target.
sub finish_history
{
	my ($o, $pids) = @_;
	require Test::More;
	stop_load(%$o, pids => $pids);
	my $left = drain(%$o);
	my $r = check($o->{dir});
	Test::More::note($_) foreach @{ $r->{details} };
	Test::More::note(verdict_line($r));
	return ($r, $left);
}

my %CLAIMS = (
	lost => 'no acknowledged send was lost',
	unexpected => 'no message appeared that was not sent',
	duplicated => 'no delivery or deletion beyond the contract',
	resurrected => 'no deleted message came back',
	reused_id => 'no msg_id named two messages',
	order => 'each ordering key was delivered in order, one at a time',
	remaining => 'nothing was left');

# For TAP tests: one test that the drain emptied every target, and one per
# violation kind of @kinds (default: all) that there were none.
sub history_is_clean
{
	my ($r, $left, @kinds) = @_;
	require Test::More;
	@kinds = sort keys %CLAIMS unless @kinds;
	Test::More::is_deeply($left, { map { $_ => 0 } keys %$left },
		'the drain emptied every queue and group');
	Test::More::is($r->{$_}, 0, $CLAIMS{$_}) foreach @kinds;
}

1;
