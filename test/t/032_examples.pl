# 032_examples.pl: the client examples of examples/ against a cluster.
#
# For each language (Python with psycopg 3, Node with pg, C with libpq), one
# after the other in database postgres: a consumer waits in the server on an
# empty queue, the producer's N sends wake it and it consumes exactly those
# N, each once, and leaves the queue empty; two consumer groups of a topic
# each see every message of it once and acknowledge them all; the outbox
# commits one order and rolls back another, leaving one business row and
# one message, which the consumer then receives; a message the consumer
# cannot process is nacked until it goes to the dead-letter queue.  The C programs are built
# with cc and pg_config (warnings are errors) and the Node ones get pg by
# `npm install`, both in temporary copies while the Python part runs.
# Python is skipped when psycopg is missing, Node when npm cannot install pg
# (no registry), each with a message saying so.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use File::Copy;
use IPC::Run;

my $examples = "$FindBin::RealBin/../../examples";
my $N = 20;

my $node = pgmqc_node('examples');

# The programs find the server by the standard PG* variables, as a user's
# shell would set them.
$ENV{PGHOST} = $node->host;
$ENV{PGPORT} = $node->port;
$ENV{PGUSER} = scalar getpwuid($<);
delete $ENV{$_} foreach qw(PGMQC_DSN PGAPPNAME PGOPTIONS);

# Copy the files of examples/$dir matching $re into a new temporary directory.
sub copy_examples
{
	my ($dir, $re) = @_;
	my $tmp = PostgreSQL::Test::Utils::tempdir("ex_$dir");
	opendir(my $dh, "$examples/$dir") or die "$examples/$dir: $!";
	foreach my $f (grep { /$re/ } readdir $dh)
	{
		copy("$examples/$dir/$f", "$tmp/$f") or die "copy $f: $!";
	}
	closedir $dh;
	return $tmp;
}

# Start @cmd in $dir in the background, stdout and stderr together; undef if
# it cannot start.
sub start_in
{
	my ($dir, $secs, @cmd) = @_;
	my %b = (dir => $dir, out => '');
	$b{h} = eval {
		IPC::Run::start(\@cmd, init => sub { chdir $dir or die "$dir: $!" },
			'<', \undef, '>&', \$b{out}, IPC::Run::timeout($secs));
	};
	$b{out} = $@ unless $b{h};
	return \%b;
}

# Wait for a command of start_in; true if it exited 0.
sub finish_in
{
	my ($b) = @_;
	return 0 unless $b->{h};
	my $ok = eval { $b->{h}->finish };
	$b->{out} .= $@ unless defined $ok;
	return $ok && $b->{h}->result == 0;
}

# The C programs and the Node dependencies are built while Python runs.
my $c_build = start_in(copy_examples('c', qr/^(Makefile|.*\.c)$/), 120,
	'make', 'CFLAGS=-O2 -Wall -Wextra -Werror');
my $node_version = '';
eval { IPC::Run::run([ 'node', '--version' ], '>', \$node_version, '2>', \$node_version) }
  or $node_version = undef;
my $npm_install;
if (defined $node_version)
{
	my $dir = copy_examples('node', qr/^(package\.json|.*\.js)$/);
	# a home and a cache of its own: the test's user may have no home
	local $ENV{HOME} = "$dir/home";
	local $ENV{npm_config_cache} = "$dir/npm-cache";
	local $ENV{npm_config_update_notifier} = 'false';
	$npm_install = start_in($dir, 180, 'npm', 'install', '--no-audit', '--no-fund');
}

# Run a program to its end, one test that it exits 0; returns its stdout lines.
sub run_example
{
	my ($name, @cmd) = @_;
	my ($out, $err) = ('', '');
	my $ok = eval {
		IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err,
			IPC::Run::timeout(60));
	};
	ok($ok, "$name: exits 0") or diag "$name: " . ($@ || '') . "stderr: $err";
	return split /\n/, $out;
}

# The whole scenario for one language.  $prog->(NAME, ARGS...) is the
# command running program NAME; $dsn->(DB) a connection string of the kind
# the language's programs take.
sub check_language
{
	my ($lang, $prog, $dsn) = @_;
	my $db = 'postgres';
	local $ENV{PGDATABASE} = $db;
	my $sql = sub { return $node->safe_psql($db, $_[0]) };

	# what the previous language left
	# (and the msg_ids it left to go on from: each language starts at 1)
	$sql->(q{SELECT pgmq_c.drop_queue('orders'), pgmq_c.drop_queue('order_events'),
					pgmq_c.drop_queue('order_events_dlq'), pgmq_c.drop_topic('payments');
			 DELETE FROM pgmq_c.retired_names;
			 DROP TABLE IF EXISTS shop_orders});

	# a consumer first: it creates the queue and waits in the server
	my %c = (name => "$lang consumer", out => '', err => '');
	{
		local $ENV{PGAPPNAME} = "${lang}_consumer";
		$c{h} = IPC::Run::start(
			[ $prog->('consumer', '--count', $N, '--wait', 20) ],
			'<', \undef, '>', \$c{out}, '2>', \$c{err}, IPC::Run::timeout(60));
	}
	ok(wait_sleeping($node, "${lang}_consumer", 1, \%c),
		"$lang: the consumer waits in the server for messages");

	my @sent = run_example("$lang producer", $prog->('producer', '--count', $N));
	is(join(',', map { /^sent \d+ (\d+)$/ ? $1 : "?$_" } @sent),
		join(',', 1 .. $N), "$lang producer: sent orders 1..$N");

	finish_all(\%c);
	my @consumed = split /\n/, $c{out};
	is_deeply([ sort @consumed ], [ sort map { s/^sent/consumed/r } @sent ],
		"$lang consumer: consumed exactly the $N messages sent, each once");
	is( $sql->(q{SELECT queue_length || '|' || in_flight_length || '|' || total_messages
		  FROM pgmq_c.metrics('orders')}),
		"0|0|$N", "$lang: queue orders is empty after $N messages");

	# a topic (the producer given a connection string) and two groups
	# (PGMQC_DSN), each of which gets every message
	my @tsent = run_example("$lang producer --topic",
		$prog->('producer', '--topic', 'payments', '--count', 5, $dsn->($db)));
	is(scalar @tsent, 5, "$lang producer: sent 5 messages to topic payments");
	foreach my $g (qw(billing shipping))
	{
		local $ENV{PGMQC_DSN} = $dsn->($db);
		local $ENV{PGDATABASE} = 'no_such_database';    # the DSN wins
		my @got = run_example("$lang group_consumer $g",
			$prog->('group_consumer', '--group', $g, '--wait', '0.5'));
		is_deeply([ sort @got ], [ sort map { s/^sent/$g consumed/r } @tsent ],
			"$lang group $g: consumed each message of the topic once");
	}
	is( $sql->(q{SELECT string_agg(format('%s lag %s in flight %s', group_name, lag, in_flight),
				 ', ' ORDER BY group_name) FROM pgmq_c.list_groups('payments')}),
		'billing lag 0 in flight 0, shipping lag 0 in flight 0',
		"$lang: both groups acknowledged everything");

	# the outbox: one order committed with its message, one rolled back
	my @ob = run_example("$lang outbox", $prog->('outbox'));
	my ($oid, $mid) = ($ob[0] // '') =~ /^committed order (\d+) message (\d+)$/;
	my ($roid, $rmid) = ($ob[1] // '') =~ /^rolled back order (\d+) message (\d+)$/;
	ok(@ob == 2 && defined $oid && defined $roid,
		"$lang outbox: one order committed, one rolled back")
	  or diag join("\n", @ob);
	$_ //= -1 foreach ($oid, $mid, $roid, $rmid);
	is($sql->(q{SELECT string_agg(id || ' ' || customer, ',') FROM shop_orders}),
		"$oid alice", "$lang outbox: one business row, the committed order's");
	is( $sql->(q{SELECT queue_length || '|' || total_messages
		  FROM pgmq_c.metrics('order_events')}),
		'1|2', "$lang outbox: one message; the rolled-back send left only its msg_id used");

	# and a message the consumer cannot process: nacked, and dead-lettered
	# at the queue's max_deliveries
	my ($bad) = $sql->(q{
		SELECT pgmq_c.create_queue('order_events_dlq');
		SELECT pgmq_c.alter_queue('order_events', max_deliveries => 2,
								  dead_letter_queue => 'order_events_dlq');
		SELECT pgmq_c.send('order_events', '{"refund": 1}')}) =~ /(\d+)$/;
	my @oc = run_example("$lang consumer of order_events",
		$prog->('consumer', '--queue', 'order_events', '--wait', '0.5'));
	is_deeply(\@oc,
		[ "consumed $mid $oid", ("failed $bad no order in message") x 2 ],
		"$lang consumer: receives the committed order's message, nothing else, "
		  . 'and nacks the bad message once per delivery');
	is( $sql->(q{SELECT (SELECT queue_length FROM pgmq_c.metrics('order_events')) || '|' ||
						(SELECT queue_length FROM pgmq_c.metrics('order_events_dlq'))}),
		'0|1', "$lang: order_events is empty, the bad message dead-lettered");
}

subtest python => sub {
	# Debian's python3-psycopg is for the system's python3
	my $py = $ENV{PGMQC_PYTHON} // (-x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3');
	my $err = '';
	eval { IPC::Run::run([ $py, '-c', 'import psycopg' ], '>', \$err, '2>', \$err) }
	  or plan skip_all => "no psycopg 3 for $py (Debian: apt-get install python3-psycopg)";
	check_language('python',
		sub { my $p = shift; return ($py, "$examples/python/$p.py", @_) },
		sub { return $node->connstr($_[0]) });
};

subtest node => sub {
	plan skip_all => 'no node (Debian: apt-get install nodejs npm)'
	  unless defined $node_version;
	if (!finish_in($npm_install))
	{
		note "npm install: $npm_install->{out}";
		my @lines = grep { /\S/ && !/complete log/ } split /\n/, $npm_install->{out};
		plan skip_all => 'npm install of pg failed (npm registry unreachable?): '
		  . ($lines[0] // 'no output');
	}
	note "node $node_version" =~ s/\n//r;
	my $dir = $npm_install->{dir};
	check_language('node', sub { my $p = shift; return ('node', "$dir/$p.js", @_) },
		sub {
			return sprintf('postgresql:///%s?host=%s&port=%d',
				$_[0], $node->host, $node->port);
		});
};

subtest c => sub {
	ok(finish_in($c_build),
		'C: the examples build with cc, pg_config and -lpq, without warnings')
	  or return diag $c_build->{out};
	my $dir = $c_build->{dir};
	check_language('c', sub { my $p = shift; return ("$dir/$p", @_) },
		sub { return $node->connstr($_[0]) });
};

$node->stop;
done_testing();
