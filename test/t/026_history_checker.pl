# 026_history_checker.pl: the history checker (test/history/PgmqcHistory.pm)
# finds each violation it claims to find, and passes what the delivery
# contract allows.  No server: each case is a small hand-written history.
#
# Lines are those the load writes: start end op target fields... (see the
# module).  Times are small numbers; a lease ends at its vt.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../history";
use PgmqcHistory qw(check verdict_line);

my $base = PostgreSQL::Test::Utils::tempdir();
my $case = 0;

# check() of a history given as { client => [lines] }, each line a list of
# fields ('\N' for NULL)
sub history
{
	my (%logs) = @_;
	my $dir = "$base/case" . $case++;
	mkdir $dir or die "mkdir $dir: $!";
	foreach my $client (keys %logs)
	{
		open(my $fh, '>', "$dir/$client.log") or die "open: $!";
		print $fh join("\t", @$_), "\n" foreach @{ $logs{$client} };
		close $fh;
	}
	return check($dir);
}

# the violation counts of a check, all kinds
sub counts
{
	my ($r) = @_;
	return { map { $_ => $r->{$_} } qw(lost unexpected duplicated resurrected reused_id order remaining) };
}

sub expect
{
	my ($r, %want) = @_;
	my %all = map { $_ => 0 } qw(lost unexpected duplicated resurrected reused_id order remaining);
	return { %all, %want };
}

# one message sent, delivered and acknowledged: the shape most cases vary
my @send_a = ([ 1, 2, 'send', 'q:a', 'p1-0', '\N', 0, 'ok', 10 ]);
my @deliver_a = ([ 3, 4, 'deliver', 'q:a', 10, 1, 34, 'p1-0', '\N' ]);
my @delete_a = ([ 5, 6, 'delete', 'q:a', 10, 1, 'ok', 1 ]);

my $r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [ @deliver_a, @delete_a ],
	drain => [ [ 7, 7, 'remain', 'q:a', 0 ] ]);
is_deeply(counts($r), expect($r), 'a message sent, delivered, deleted: no violation');
like(verdict_line($r), qr/^OK: 1 sends ok, 0 unknown, 0 failed; 1 deliveries, 1 acknowledged;/,
	'the verdict line counts them');

# lost: acknowledged send, never delivered, not left over
$r = history('producer-1' => [@send_a], drain => [ [ 7, 7, 'remain', 'q:a', 0 ] ]);
is_deeply(counts($r), expect($r, lost => 1), 'a send acknowledged ok and never delivered is lost');
like($r->{details}[0], qr/^lost q:a: message p1-0 \(msg_id 10\) was sent but never delivered/,
	'the detail names the message');
like(verdict_line($r), qr/^VIOLATIONS: .* 1 lost,/, 'and the verdict says VIOLATIONS');

# lost too: delivered, its delete refused (stale receipt), nothing left
$r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [ @deliver_a, [ 5, 6, 'delete', 'q:a', 10, 1, 'ok', 0 ] ]);
is_deeply(counts($r), expect($r, lost => 1), 'delivered but never deleted (delete returned false): lost');

# not lost: the send's outcome was unknown
$r = history('producer-1' => [ [ 1, 2, 'send', 'q:a', 'p1-0', '\N', 0, 'unknown', '\N' ] ]);
is_deeply(counts($r), expect($r), 'an unknown send never delivered is not lost');
# not lost: a delete of unknown outcome (the drain found nothing left)
$r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [ @deliver_a, [ 5, 6, 'delete', 'q:a', 10, 1, 'unknown', '\N' ] ]);
is_deeply(counts($r), expect($r), 'a delete of unknown outcome counts as possibly done');

# remaining, not lost, when the drain left messages
$r = history('producer-1' => [@send_a], drain => [ [ 7, 7, 'remain', 'q:a', 3 ] ]);
is_deeply(counts($r), expect($r, remaining => 1), 'messages the drain could not take are reported as remaining');

# unexpected: a delivery nobody sent, and one whose only send failed
$r = history(
	'producer-1' => [ [ 1, 2, 'send', 'q:a', 'p1-1', '\N', 0, 'failed', '\N' ] ],
	'consumer-1' => [
		@deliver_a, @delete_a,
		[ 3, 4, 'deliver', 'q:a', 11, 1, 34, 'p1-1', '\N' ],
		[ 5, 6, 'delete', 'q:a', 11, 1, 'ok', 1 ]
	]);
is_deeply(counts($r), expect($r, unexpected => 2), 'messages never sent, or whose send failed, are unexpected');

# duplicated: deleted twice
$r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [ @deliver_a, @delete_a ],
	'consumer-2' => [ [ 5.5, 6.5, 'delete', 'q:a', 10, '\N', 'ok', 1 ] ]);
is_deeply(counts($r), expect($r, duplicated => 1), 'a message deleted twice is duplicated');

# duplicated: delivered again while the first lease held (vt 34)
$r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [@deliver_a],
	'consumer-2' => [ [ 10, 11, 'deliver', 'q:a', 10, 2, 50, 'p1-0', '\N' ], [ 12, 13, 'delete', 'q:a', 10, 2, 'ok', 1 ] ]);
is_deeply(counts($r), expect($r, duplicated => 1), 'delivered again before the lease expired: duplicated');
like($r->{details}[0], qr/read_ct 2\) 23\.000 s before the lease of read_ct 1 expired/,
	'the detail says by how much');

# allowed: after the lease expired, or after a nack
$r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [@deliver_a],
	'consumer-2' => [ [ 40, 41, 'deliver', 'q:a', 10, 2, 70, 'p1-0', '\N' ], [ 42, 43, 'delete', 'q:a', 10, 2, 'ok', 1 ] ]);
is_deeply(counts($r), expect($r), 'delivered again after the lease expired: allowed');
$r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [ @deliver_a, [ 5, 6, 'nack', 'q:a', 10, 1, 'ok', 1 ] ],
	'consumer-2' => [ [ 10, 11, 'deliver', 'q:a', 10, 2, 50, 'p1-0', '\N' ], [ 12, 13, 'delete', 'q:a', 10, 2, 'ok', 1 ] ]);
is_deeply(counts($r), expect($r), 'delivered again after a nack: allowed');
$r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [ @deliver_a, [ 5, 6, 'nack', 'q:a', 10, 1, 'ok', 0 ] ],
	'consumer-2' => [ [ 10, 11, 'deliver', 'q:a', 10, 2, 50, 'p1-0', '\N' ], [ 12, 13, 'delete', 'q:a', 10, 2, 'ok', 1 ] ]);
is_deeply(counts($r), expect($r, duplicated => 1), 'a nack that returned false does not release the lease');

# duplicated: the same read_ct delivered twice (a lost read), even late
$r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [@deliver_a],
	'consumer-2' => [ [ 40, 41, 'deliver', 'q:a', 10, 1, 70, 'p1-0', '\N' ], [ 42, 43, 'delete', 'q:a', 10, 1, 'ok', 1 ] ]);
is_deeply(counts($r), expect($r, duplicated => 1), 'the same read_ct delivered twice: duplicated');

# duplicated: one message (id) stored under two msg_ids
$r = history(
	'producer-1' => [ @send_a, [ 2, 3, 'send', 'q:a', 'p1-0', '\N', 0, 'ok', 12 ] ],
	'consumer-1' => [ @deliver_a, @delete_a ]);
is_deeply(counts($r), expect($r, duplicated => 1),
	'a resend stored as a second msg_id is duplicated');

# resurrected: delivered after its acknowledged delete
$r = history(
	'producer-1' => [@send_a],
	'consumer-1' => [ @deliver_a, @delete_a ],
	'consumer-2' => [ [ 40, 41, 'deliver', 'q:a', 10, 2, 70, 'p1-0', '\N' ] ]);
is_deeply(counts($r), expect($r, resurrected => 1), 'delivered after an acknowledged delete: resurrected');

# reused id: two messages given one msg_id, by sends or by deliveries
$r = history(
	'producer-1' => [ @send_a, [ 2, 3, 'send', 'q:a', 'p1-1', '\N', 0, 'ok', 10 ] ],
	'consumer-1' => [ @deliver_a, @delete_a ]);
ok($r->{reused_id} >= 1, 'two sends answered with one msg_id: reused id');
$r = history(
	'producer-1' => [ @send_a, [ 2, 3, 'send', 'q:a', 'p1-1', '\N', 0, 'unknown', '\N' ] ],
	'consumer-1' => [
		@deliver_a, @delete_a,
		[ 40, 41, 'deliver', 'q:a', 10, 1, 70, 'p1-1', '\N' ],
		[ 42, 43, 'delete', 'q:a', 10, 1, 'ok', 1 ]
	]);
ok($r->{reused_id} >= 1, 'one msg_id delivered as two messages: reused id');

# topics: each group is checked on its own against the topic's sends
my @send_t = ([ 1, 2, 'send', 't:t', 'p1-0', 'k1', 0, 'ok', 5 ], [ 1, 2, 'send', 't:t', 'p1-1', 'k1', 0, 'ok', 6 ]);
$r = history(
	'producer-1' => [@send_t],
	'consumer-1' => [
		[ 3, 4, 'deliver', 'g:t/g1', 5, 1, 34, 'p1-0', 'k1' ],
		[ 5, 6, 'delete', 'g:t/g1', 5, 1, 'ok', 1 ],
		[ 7, 8, 'deliver', 'g:t/g1', 6, 1, 38, 'p1-1', 'k1' ],
		[ 9, 10, 'delete', 'g:t/g1', 6, 1, 'ok', 1 ]
	],
	'consumer-2' => [
		[ 3, 4, 'deliver', 'g:t/g2', 6, 1, 34, 'p1-1', 'k1' ],
		[ 4, 5, 'deliver', 'g:t/g2', 5, 1, 34, 'p1-0', 'k1' ],
		[ 5, 6, 'delete', 'g:t/g2', 5, 1, 'ok', 1 ],
		[ 5, 6, 'delete', 'g:t/g2', 6, 1, 'ok', 1 ]
	]);
is_deeply(counts($r), expect($r, order => 1), 'per-key order: group g2 took msg_id 6 before 5 was acknowledged');
like($r->{details}[0], qr{^order g:t/g2: key k1: msg_id 6 delivered while msg_id 5 was unacknowledged},
	'the detail names the group, the key and both messages');

done_testing();
