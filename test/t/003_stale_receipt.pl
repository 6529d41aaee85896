# 003_stale_receipt.pl: leases that run out in real time, and consumers that
# die holding messages.
#
# - A reads with a short lease; once it has run out B gets the message with
#   read_ct 2.  Every ack A then makes with its receipt (read_ct 1) is
#   refused and changes nothing; B's receipt works.
# - A consumer whose read is still uncommitted when its backend is
#   terminated leaves the message visible at once and undelivered.
# - A consumer terminated after its read committed leaves the message
#   leased; it comes back when the lease ends, with read_ct 2.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;

my $node = pgmqc_node('stale');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql("SELECT pgmq_c.create_queue('st')");

#
# 1. Lease expiry and stale receipts, singular and array forms.
#
my $id = sql(q{SELECT pgmq_c.send('st', '{"k": "a"}')});

# A's read and an immediate second read, in one session so that the second
# surely happens well inside the 3 s lease
is( sql(
		q{SELECT read_ct FROM pgmq_c.read('st', '3 seconds', 1);
		  SELECT count(*) FROM pgmq_c.read('st', '30 seconds', 1)}),
	"1\n0",
	'A holds the message (read_ct 1); nobody else gets it during the lease');

# B polls until the lease has run out and it receives the message
ok( $node->poll_query_until(
		'postgres',
		"SELECT read_ct = 2 FROM pgmq_c.read('st', '1 hour', 1)"),
	'after the lease ran out B received the message with read_ct 2');

is(sql("SELECT pgmq_c.delete('st', $id, 1)"),
	'f', "A's delete with the stale receipt is refused");
is(sql("SELECT pgmq_c.archive('st', $id, 1)"),
	'f', "A's archive with the stale receipt is refused");
is(sql("SELECT count(*) FROM pgmq_c.set_vt('st', $id, '0', 1)"),
	'0', "A's set_vt with the stale receipt returns no row");
is(sql("SELECT count(*) FROM pgmq_c.delete('st', ARRAY[$id], ARRAY[1])"),
	'0', "A's array delete with the stale receipt deletes nothing");
is(sql("SELECT count(*) FROM pgmq_c.archive('st', ARRAY[$id], ARRAY[1])"),
	'0', "A's array archive with the stale receipt archives nothing");
is(sql("SELECT pgmq_c.delete('st', $id, 3)"),
	'f', 'a receipt from the future is refused too');

# none of that changed the message: still B's, still leased for an hour
is( sql(
		"SELECT queue_length, in_flight_length, archived_length FROM pgmq_c.metrics('st')"
	),
	'1|1|0',
	'the message is still in the queue, leased, nothing archived');
is(sql("SELECT count(*) FROM pgmq_c.read('st', '1 hour', 1)"),
	'0', "B's lease still holds (A's set_vt '0' did not release it)");

# B extends its lease with its receipt, then releases it; C reads it
is(sql("SELECT read_ct FROM pgmq_c.set_vt('st', $id, '2 hours', 2)"),
	'2', "B's set_vt with its receipt works");
is(sql("SELECT read_ct FROM pgmq_c.set_vt('st', $id, '0', 2)"),
	'2', 'B releases the message');
is(sql("SELECT read_ct FROM pgmq_c.read('st', '1 hour', 1)"),
	'3', 'C receives it with read_ct 3');
is(sql("SELECT pgmq_c.archive('st', $id, 2)"),
	'f', "B's receipt is now stale: archive refused");
is(sql("SELECT * FROM pgmq_c.archive('st', ARRAY[$id], ARRAY[3])"),
	$id, "C's array archive with its receipt works");
is( sql(
		"SELECT msg_id, read_ct, message->>'k' FROM pgmq_c.read_archive('st')"),
	"$id|3|a",
	'the archive holds the message once, with read_ct 3');
is(sql("SELECT pgmq_c.delete('st', $id, 3)"),
	'f', 'an archived message cannot be deleted from the queue');
is(sql("SELECT queue_length FROM pgmq_c.metrics('st')"),
	'0', 'the queue is empty');

#
# 2. A stale receipt for a message that a new consumer deleted already.
#
$id = sql(q{SELECT pgmq_c.send('st', '{"k": "b"}')});
is(sql("SELECT read_ct FROM pgmq_c.read('st', '1 second', 1)"),
	'1', 'A reads b with a 1 s lease');
ok( $node->poll_query_until(
		'postgres',
		"SELECT pgmq_c.delete('st', msg_id, read_ct) AND read_ct = 2
		   FROM pgmq_c.read('st', '1 hour', 1)"),
	'B received b after the lease ran out and deleted it (read_ct 2)');
is(sql("SELECT pgmq_c.delete('st', $id, 1)"),
	'f', "A's late delete finds nothing to delete");
is(sql("SELECT count(*) FROM pgmq_c.set_vt('st', $id, '1 hour', 1)"),
	'0', "A's late set_vt returns no row");

#
# 3. A consumer terminated inside the transaction of its read: the read is
#    rolled back, the message is visible at once and was never delivered.
#
$id = sql(q{SELECT pgmq_c.send('st', '{"k": "c"}')});
my $consumer = $node->background_psql('postgres');
$consumer->query_safe('BEGIN');
is($consumer->query_safe("SELECT read_ct FROM pgmq_c.read('st', '1 hour', 1)"),
	'1', 'the doomed consumer read c inside a transaction');
my $pid = $consumer->query_safe('SELECT pg_backend_pid()');
is(sql("SELECT count(*) FROM pgmq_c.read('st', '1 hour', 1)"),
	'0', 'while it is open nobody else gets c');
is(sql("SELECT pg_terminate_backend($pid)"), 't', 'consumer terminated');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid"),
	'the terminated backend is gone');
is(sql("SELECT read_ct FROM pgmq_c.read('st', '1 hour', 1)"),
	'1', 'c is visible at once and its delivery count is 1 again');
is(sql("SELECT pgmq_c.delete('st', $id, 1)"), 't', 'c deleted');
eval { $consumer->quit; };

#
# 4. A consumer terminated after its read committed: the lease stays, and the
#    message comes back when it ends, with read_ct 2.
#
$id = sql(q{SELECT pgmq_c.send('st', '{"k": "d"}')});
$consumer = $node->background_psql('postgres');
is($consumer->query_safe("SELECT read_ct FROM pgmq_c.read('st', '2 seconds', 1)"),
	'1', 'the doomed consumer read d (committed, 2 s lease)');
$pid = $consumer->query_safe('SELECT pg_backend_pid()');
is(sql("SELECT pg_terminate_backend($pid)"), 't', 'consumer terminated');
eval { $consumer->quit; };
ok( $node->poll_query_until(
		'postgres',
		"SELECT read_ct = 2 AND message->>'k' = 'd' FROM pgmq_c.read('st', '1 hour', 1)"),
	'd came back after its lease with read_ct 2');
is(sql("SELECT pgmq_c.delete('st', $id, 1)"),
	'f', "the dead consumer's receipt is refused");
is(sql("SELECT pgmq_c.delete('st', $id, 2)"), 't', 'the new receipt works');
is(sql("SELECT queue_length FROM pgmq_c.metrics('st')"),
	'0', 'the queue is empty at the end');

$node->stop;
done_testing();
