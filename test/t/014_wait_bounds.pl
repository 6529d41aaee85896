# 014_wait_bounds.pl: the wait argument at its bounds, many times over.
#
# The checks of wait compare it with the clock; they must not depend on the
# clock ticking between two readings:
#   - wait '0' (the default) does not wait, so read() and CALL receive()
#     work inside REPEATABLE READ and SERIALIZABLE transactions, every time;
#   - wait = pgmq_c.max_wait exactly is accepted, every time;
#   - wait above max_wait is refused (22023), a negative wait too (22023),
#     any real wait under REPEATABLE READ is refused (25001).
# Each case runs thousands of times in one psql session and counts errors.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('wait_bounds', conf => 'log_statement = none');
$node->safe_psql('postgres', q{SELECT pgmq_c.create_queue('b')});

# Run $stmt $n times (each its own statement), errors ignored; returns the
# number of errors and the distinct error lines.
sub count_errors
{
	my ($stmt, $n) = @_;
	my ($ret, $out, $err) = $node->psql(
		'postgres', "\\set VERBOSITY sqlstate\n" . ("$stmt\n" x $n),
		on_error_stop => 0);
	my @errs = $err =~ /ERROR:\s+(\S+)/g;
	my %distinct = map { $_ => 1 } @errs;
	return (scalar(@errs), join(', ', sort keys %distinct));
}

my ($n, $which);

($n, $which) = count_errors(
	q{BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM pgmq_c.read('b'); COMMIT;},
	4000);
is($n, 0, "read() without wait in REPEATABLE READ, 4000 times: $n errors ($which)");

($n, $which) = count_errors(
	q{BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT count(*) FROM pgmq_c.read('b', '1 s', 1, '0'); COMMIT;},
	2000);
is($n, 0, "read(..., wait '0') in SERIALIZABLE, 2000 times: $n errors ($which)");

($n, $which) = count_errors(
	q{BEGIN ISOLATION LEVEL REPEATABLE READ; CALL pgmq_c.receive('b'); COMMIT;},
	2000);
is($n, 0, "CALL receive() without wait in REPEATABLE READ, 2000 times: $n errors ($which)");

($n, $which) = count_errors(
	q{SET pgmq_c.max_wait = '1ms'; SELECT count(*) FROM pgmq_c.read('b', '1 s', 1, '1ms');},
	1500);
is($n, 0, "read(..., wait => max_wait) exactly, 1500 times: $n errors ($which)");

# the refusals stay refusals
($n, $which) = count_errors(
	q{SET pgmq_c.max_wait = '1ms'; SELECT count(*) FROM pgmq_c.read('b', '1 s', 1, '2ms');}, 200);
is("$n $which", '200 22023', 'a wait over max_wait is refused every time (22023)');
($n, $which) = count_errors(
	q{SELECT count(*) FROM pgmq_c.read('b', '1 s', 1, '-1 microsecond');}, 500);
is("$n $which", '500 22023', 'a negative wait, even -1 microsecond, is refused every time (22023)');
($n, $which) = count_errors(
	q{BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM pgmq_c.read('b', '1 s', 1, '1 microsecond'); COMMIT;},
	200);
is("$n $which", '200 25001', 'a wait under REPEATABLE READ is refused every time (25001)');

$node->stop;
done_testing();
