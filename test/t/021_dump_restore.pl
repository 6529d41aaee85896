# 021_dump_restore.pl: pg_dump -Fc of a database using pgmq_c and pg_restore
# into a new database of the same cluster.
#
# - Database "src" (the current version): queues and a topic created by a
#   role that is not a superuser (it holds EXECUTE on create_queue and
#   create_topic), with leased, delayed, archived and acknowledged
#   messages, two groups with cursors advanced, and grants to roles and to
#   PUBLIC.
# - Database "old": the same kind of data made under 0.3.0, then
#   ALTER EXTENSION pgmq_c UPDATE (the objects move to the extension owner).
# - Each is dumped and restored into a new database; "src" once more by
#   another superuser with --no-owner, which then owns the extension and
#   everything.  There, the catalog (queues with their owners, groups,
#   access rows, PUBLIC as role 0), every message, lease, cursor, delayed
#   and archived message, and the position of every sequence are exactly as
#   in the source; every table, sequence, partition and index belongs to the
#   extension owner with no privilege for anyone else; the listings and
#   list_access agree; and the extension works: the leases' receipts still
#   hold, send/read/read_group/ack/delete and grant_access run for the roles
#   granted, a role without a grant gets 42501, and a new queue and topic
#   get the next ids.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use IPC::Run;

my $node = pgmqc_node('dump_restore', extension => 0);

sub sql { return $node->safe_psql($_[1] // 'postgres', $_[0]); }

# Run $stmt as $role in $db; returns (stdout, SQLSTATE of the error or '').
sub as_role
{
	my ($db, $role, $stmt) = @_;
	my ($ret, $out, $err) = $node->psql($db,
		"\\set VERBOSITY sqlstate\nSET ROLE $role;\n$stmt",
		extra_params => [ '-v', 'ON_ERROR_STOP=1' ]);
	my ($state) = $err =~ /ERROR:  ([0-9A-Z]{5})/;
	return ($out, $state // ($ret == 0 ? '' : "exit $ret: $err"));
}

# Everything pgmq_c keeps, as text, for an exact comparison: the catalog
# (owners by name, PUBLIC as '-'), every per-queue table's rows in key
# order and every sequence's position.
sub snapshot
{
	my ($db) = @_;
	my $s = sql(q{
SELECT string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s', queue_id, queue_name, kind,
						 owner, visibility_timeout, retention, partition_size,
						 created_at), E'\n' ORDER BY queue_id)
  FROM pgmq_c.queues;
SELECT string_agg(format('%s|%s|%s|%s|%s|%s', group_id, topic_id, group_name,
						 visibility_timeout, start_at, created_at),
				  E'\n' ORDER BY group_id)
  FROM pgmq_c.groups;
SELECT string_agg(format('%s|%s|%s', queue_id, role_id, privileges),
				  E'\n' ORDER BY queue_id, role_id::text)
  FROM pgmq_c.access;
SELECT last_value || '/' || is_called FROM pgmq_c.queues_queue_id_seq;
SELECT last_value || '/' || is_called FROM pgmq_c.groups_group_id_seq;
}, $db);
	# one row per table (but a partitioned log, whose rows are its
	# partitions') and sequence: its rows, or its position; partitions
	# without rows are left out (the worker makes them ahead, on its own time)
	foreach (split /\n/, sql(q{
SELECT c.relname || ': ' ||
	   coalesce((xpath('/row/s/text()',
			  query_to_xml(format(CASE c.relkind
									WHEN 'S' THEN 'SELECT last_value || ''/'' || is_called AS s FROM pgmq_c.%I'
									ELSE 'SELECT string_agg(x::text, '' '' ORDER BY x::text COLLATE "C") AS s FROM pgmq_c.%I x'
								  END, c.relname), false, true, '')))[1]::text, '')
  FROM pg_class c
 WHERE c.relnamespace = 'pgmq_c'::regnamespace
   AND c.relname ~ '^[qdatcg]_[0-9]+(_p[0-9]+|_seq|_before|_default)?$'
   AND c.relkind IN ('r', 'S')
 ORDER BY c.relname COLLATE "C"}, $db))
	{
		$s .= "\n$_" unless /^[ta]_\d+_p\d+: $/;
	}
	return $s;
}

# Who owns what in schema pgmq_c, and who else holds privileges there.
sub ownership
{
	my ($db) = @_;
	return sql(q{
SELECT count(*) FILTER (WHERE c.relowner <> e.extowner) || '|' ||
	   count(*) FILTER (WHERE EXISTS (SELECT FROM aclexplode(c.relacl) a
									   WHERE a.grantee <> e.extowner)) || '|' ||
	   has_schema_privilege('outsider', 'pgmq_c', 'CREATE') || '|' ||
	   has_table_privilege('outsider', 'pgmq_c.queues', 'SELECT')
  FROM pg_class c, pg_extension e
 WHERE e.extname = 'pgmq_c' AND c.relnamespace = 'pgmq_c'::regnamespace}, $db);
}

# The listings as the roles see them.
sub listings
{
	my ($db) = @_;
	my $s = '';
	foreach my $role (qw(creator reader sender watcher member outsider))
	{
		my ($out, $err) = as_role($db, $role, q{
SELECT string_agg(queue_name || ':' || owner, ',' ORDER BY queue_name) FROM pgmq_c.list_queues();
SELECT string_agg(topic_name || ':' || groups || ':' || owner, ',' ORDER BY topic_name) FROM pgmq_c.list_topics();
SELECT string_agg(queue_name, ',' ORDER BY queue_name) FROM pgmq_c.metrics_all();});
		$s .= "$role: $out $err\n";
	}
	$s .= sql(q{
SELECT string_agg(format('%s %s %s %s %s %s', queue_name, queue_length,
						 visible_length, delayed_length, in_flight_length,
						 archived_length), E'\n' ORDER BY queue_name)
  FROM pgmq_c.metrics_all() WHERE kind = 'queue';
SELECT string_agg(format('%s %s %s %s %s', group_name, lag, in_flight, missed,
						 next_msg_id), E'\n' ORDER BY group_name)
  FROM pgmq_c.list_groups('events');}, $db);
	foreach my $q (qw(orders audit events))
	{
		$s .= "\n$q: "
		  . sql("SELECT string_agg(role_name || '=' || array_to_string(privileges, '+'), ' ')
				   FROM pgmq_c.list_access('$q')", $db);
	}
	return $s;
}

# pg_dump -Fc $from, then pg_restore (with @opts) into a new database $to.
sub dump_restore
{
	my ($from, $to, @opts) = @_;
	my $file = $node->basedir . "/$from.dump";
	my ($out, $err);
	my $ok;
	unless (-e $file)
	{
		$ok = IPC::Run::run(
			[ 'pg_dump', '-Fc', '-f', $file, '-d', $node->connstr($from) ],
			'>', \$out, '2>', \$err);
		ok($ok, "pg_dump -Fc of $from");
		is($err, '', "pg_dump of $from: no warning");
	}
	sql("CREATE DATABASE $to");
	$ok = IPC::Run::run(
		[ 'pg_restore', @opts, '-d', $node->connstr($to), $file ],
		'>', \$out, '2>', \$err);
	ok($ok, "pg_restore @opts of $from into $to");
	is($err, '', "pg_restore into $to: no error or warning");
}

foreach my $role (qw(creator reader sender watcher outsider))
{
	sql("CREATE ROLE $role");
}
# privileges through membership count
sql('CREATE ROLE member IN ROLE reader');

#
# 1. A database of the current version, objects made by a role that is not
#    a superuser.
#
sql('CREATE DATABASE src');
sql('CREATE EXTENSION pgmq_c', 'src');
sql(q{GRANT EXECUTE ON FUNCTION pgmq_c.create_queue,
						   pgmq_c.create_topic TO creator}, 'src');

# What the creator makes: queues, a topic, groups, messages in every state
# (the same under 0.3.0, by hand, below), and its grants.
my $fill_data = q{
SELECT pgmq_c.create_queue('orders', '1 minute');
SELECT pgmq_c.create_queue('audit');
SELECT pgmq_c.create_topic('events', '7 days', 1000);
SELECT pgmq_c.create_group('events', 'billing', 'earliest');
SELECT pgmq_c.create_group('events', 'shipping', 'earliest', '2 minutes', '{"ship": true}');
SELECT pgmq_c.send('orders', jsonb_build_object('n', i), jsonb_build_object('h', i)) FROM generate_series(1, 6) i;
SELECT pgmq_c.send('orders', '{"later": true}', NULL, '1 hour');
SELECT count(*) FROM pgmq_c.read('orders', '1 hour', 2);
SELECT pgmq_c.archive('orders', 3::bigint);
SELECT pgmq_c.delete('orders', 4::bigint);
SELECT pgmq_c.send('audit', '{"a": 1}');
SELECT pgmq_c.send_batch('events', array_agg(jsonb_build_object('n', i)),
						 array_agg(jsonb_build_object('ship', i % 2 = 0)))
  FROM generate_series(1, 10) i;
SELECT pgmq_c.send('events', '{"later": true}', NULL, '1 hour');
SELECT count(*) FROM pgmq_c.read_group('events', 'billing', '1 hour', 3);
SELECT pgmq_c.ack('events', 'billing', 1::bigint);
SELECT count(*) FROM pgmq_c.read_group('events', 'shipping', '1 hour', 10);
SELECT pgmq_c.ack('events', 'shipping', 2::bigint);};
my $fill_grants = q{
SELECT pgmq_c.grant_access('orders', 'reader', ARRAY['consume']);
SELECT pgmq_c.grant_access('orders', 'sender', ARRAY['send']);
SELECT pgmq_c.grant_access('orders', 'watcher', ARRAY['monitor']);
SELECT pgmq_c.grant_access('audit', 'public', ARRAY['send']);
SELECT pgmq_c.grant_access('events', 'reader', ARRAY['consume', 'monitor']);
SELECT pgmq_c.grant_access('events', 'sender', ARRAY['send']);};

sub fill
{
	my ($db) = @_;
	my ($out, $err) = as_role($db, 'creator', $fill_data . $fill_grants);
	is($err, '', "$db: queues, topic, groups, messages and grants made by creator");
}
fill('src');

my %before = (
	snapshot => snapshot('src'),
	ownership => ownership('src'),
	listings => listings('src'));
note("src:\n$before{snapshot}");
# the comparison below is not between two empty texts
like($before{snapshot}, qr/^q_1: .*\b1\b.*\n/m, 'src: the snapshot shows the rows of q_1');
like($before{snapshot}, qr/^g_2: \(/m, 'src: the snapshot shows the rows of g_2');
like($before{snapshot}, qr/^t_3_p0: \(/m, 'src: the snapshot shows the rows of t_3_p0');
like($before{snapshot}, qr/^2\|-\|1$/m, 'src: the PUBLIC grant (send on audit) is role_id 0');
is($before{ownership}, '0|0|false|false',
	'src: every per-queue relation is the extension owner\'s, no privilege for others');
like($before{listings}, qr/^creator: audit:creator,orders:creator\nevents:2:creator\naudit,events,orders \n/,
	'src: the creator sees its queues and topic');

dump_restore('src', 'dst');

is(snapshot('dst'), $before{snapshot},
	'dst: catalog, owners, grants (PUBLIC too), messages, leases, cursors, delayed and archived messages, sequence positions as in src');
is(ownership('dst'), $before{ownership},
	'dst: every per-queue relation is the extension owner\'s, no privilege for others, nobody else may create in pgmq_c');
is(listings('dst'), $before{listings},
	'dst: list_queues, list_topics, metrics_all, list_groups and list_access as in src, for each role');

#
# 2. The extension works in the restored database.
#
sub works
{
	my ($db) = @_;
	my ($out, $err);

	# the creator, as owner: the lease taken before the dump still holds
	# (receipt 1, read_ct 1), and can be given back and read again
	($out, $err) = as_role($db, 'creator',
		q{SELECT msg_id || ':' || read_ct FROM pgmq_c.set_vt('orders', 1, '0', 1);});
	is("$out $err", '1:1 ', "$db: creator: set_vt with the receipt of a lease taken before the dump");

	# the reader (consume) reads the next visible messages and deletes one
	($out, $err) = as_role($db, 'reader', q{
SELECT string_agg(msg_id || ':' || read_ct, ',' ORDER BY msg_id) FROM pgmq_c.read('orders', '1 hour', 10);
SELECT pgmq_c.delete('orders', 5::bigint);});
	is("$out $err", "1:2,5:1,6:1\nt ", "$db: reader: read and delete on orders");

	# through membership of reader
	($out, $err) = as_role($db, 'member', q{
SELECT string_agg(msg_id || ':' || message::text, ',' ORDER BY msg_id)
  FROM pgmq_c.read_group('events', 'billing', '1 hour', 3);
SELECT string_agg(a::text, ',') FROM pgmq_c.ack('events', 'billing', ARRAY[2, 4]::bigint[]) a;});
	is("$out $err", qq{4:{"n": 4},5:{"n": 5},6:{"n": 6}\n2,4 },
		"$db: member of reader: read_group continues from the cursor, ack");

	# the sender sends; the id continues the sequence
	($out, $err) = as_role($db, 'sender', q{
SELECT pgmq_c.send('orders', '{"after": "restore"}');
SELECT pgmq_c.send('events', '{"after": "restore"}');});
	is("$out $err", "8\n12 ", "$db: sender: send to the queue and the topic, ids continue");

	# PUBLIC holds 'send' on audit
	($out, $err) = as_role($db, 'outsider', q{SELECT pgmq_c.send('audit', '{"a": 2}');});
	is("$out $err", '2 ', "$db: outsider: send to audit through the PUBLIC grant");

	# no grant: 42501
	foreach my $call (
		q{SELECT pgmq_c.read('orders')},
		q{SELECT pgmq_c.send('orders', '{}')},
		q{SELECT pgmq_c.read_group('events', 'billing')},
		q{SELECT pgmq_c.metrics('events')},
		q{SELECT pgmq_c.grant_access('orders', 'outsider', ARRAY['all'])},
		q{SELECT pgmq_c.create_queue('mine')})
	{
		($out, $err) = as_role($db, 'outsider', $call);
		is($err, '42501', "$db: outsider: $call is refused with 42501");
	}
	($out, $err) = as_role($db, 'watcher', q{SELECT pgmq_c.read('orders')});
	is($err, '42501', "$db: watcher (monitor only): read is refused with 42501");

	# the owner grants; the grant takes effect
	($out, $err) = as_role($db, 'creator',
		q{SELECT pgmq_c.grant_access('orders', 'outsider', ARRAY['monitor']);});
	is($err, '', "$db: creator: grant_access");
	($out, $err) = as_role($db, 'outsider',
		q{SELECT queue_length FROM pgmq_c.metrics('orders');});
	is("$out $err", '5 ', "$db: outsider: metrics after the grant");

	# new objects get the next ids and belong to the extension owner
	($out, $err) = as_role($db, 'creator', q{
SELECT pgmq_c.create_queue('after');
SELECT pgmq_c.create_topic('after_topic');
SELECT pgmq_c.create_group('after_topic', 'g');
SELECT string_agg(queue_name || ':' || queue_id, ',' ORDER BY queue_id)
  FROM pgmq_c.list_queues() WHERE queue_name = 'after';
SELECT string_agg(topic_name || ':' || topic_id, ',' ORDER BY topic_id)
  FROM pgmq_c.list_topics() WHERE topic_name = 'after_topic';});
	is("$out $err", "\n\n\nafter:4\nafter_topic:5 ",
		"$db: creator: a new queue and topic get the next ids");
	is(ownership($db), '0|0|false|false',
		"$db: the new objects too are the extension owner's");
}
works('dst');

# Restored by another superuser with --no-owner: it owns the extension and
# so every object; the queues' owners and grants are kept.
sql('CREATE ROLE admin2 SUPERUSER LOGIN');
dump_restore('src', 'dst2', '-U', 'admin2', '--no-owner');
is(sql(q{SELECT extowner::regrole FROM pg_extension WHERE extname = 'pgmq_c'}, 'dst2'),
	'admin2', 'dst2: restored with --no-owner by admin2, which owns the extension');
is(snapshot('dst2'), $before{snapshot}, 'dst2: everything kept, as in src');
is(ownership('dst2'), '0|0|false|false',
	'dst2: every per-queue relation is admin2\'s, no privilege for others');
is(listings('dst2'), $before{listings}, 'dst2: listings and access as in src');
works('dst2');

#
# 3. A database made under 0.3.0 and updated, then dumped and restored.
#
sql('CREATE DATABASE old');
sql(q{CREATE EXTENSION pgmq_c VERSION '0.3.0'}, 'old');
sql(q{
GRANT CREATE ON SCHEMA pgmq_c TO creator;
GRANT INSERT, UPDATE, DELETE ON pgmq_c.queues, pgmq_c.groups TO creator;}, 'old');
{
	# 0.3.0 has neither grant_access nor owners: the same data, by hand
	my ($out, $err) = as_role('old', 'creator', $fill_data);
	is($err, '', 'old: 0.3.0 queues, topic, groups and messages made by creator');
}
sql('ALTER EXTENSION pgmq_c UPDATE', 'old');
is( sql(
		q{SELECT extversion = (SELECT default_version FROM pg_available_extensions
                     WHERE name = 'pgmq_c')
  FROM pg_extension WHERE extname = 'pgmq_c'}, 'old'),
	't',
	'old: updated to the default version');
sql(q{GRANT EXECUTE ON FUNCTION pgmq_c.create_queue,
						   pgmq_c.create_topic TO creator}, 'old');
{
	my ($out, $err) = as_role('old', 'creator', $fill_grants);
	is($err, '', 'old: the creator, now owner, grants access');
}
%before = (
	snapshot => snapshot('old'),
	ownership => ownership('old'),
	listings => listings('old'));
is($before{ownership}, '0|0|false|false',
	'old: after the update every per-queue relation is the extension owner\'s');

dump_restore('old', 'old_copy');
is(snapshot('old_copy'), $before{snapshot}, 'old_copy: everything kept, as in old');
is(ownership('old_copy'), $before{ownership}, 'old_copy: ownership and privileges as in old');
is(listings('old_copy'), $before{listings}, 'old_copy: listings and access as in old');
works('old_copy');

#
# 4. Retry policies (0.6.0): a queue's and a group's dead-letter queue is a
#    catalog id, kept by a dump; a message given back with a reason and an
#    archive partitioned by day come back as they were.
#
sql('CREATE DATABASE retries');
sql(q{
CREATE EXTENSION pgmq_c;
SELECT pgmq_c.create_queue('orders_dlq');
SELECT pgmq_c.create_queue('orders', max_deliveries => 3, dead_letter_queue => 'orders_dlq',
						   retry_backoff => '1 second', archive_retention => '7 days');
SELECT pgmq_c.create_topic('events');
SELECT pgmq_c.create_group('events', 'billing', max_deliveries => 2, dead_letter_queue => 'orders_dlq');
SELECT pgmq_c.send('orders', jsonb_build_object('n', i)) FROM generate_series(1, 3) i;
SELECT count(*) FROM pgmq_c.read('orders', '1 hour', 10);
SELECT pgmq_c.nack('orders', 1::bigint, reason => 'kept by the dump');
SELECT pgmq_c.archive('orders', 2::bigint);}, 'retries');
my $policies = q{
SELECT string_agg(format('%s|%s|%s|%s|%s|%s', queue_name, max_deliveries, dead_letter_queue_id,
						 retry_backoff, retry_backoff_max, archive_retention), E'\n' ORDER BY queue_id)
  FROM pgmq_c.queues;
SELECT string_agg(format('%s|%s|%s', group_name, max_deliveries, dead_letter_queue_id),
				  E'\n' ORDER BY group_id)
  FROM pgmq_c.groups;
SELECT string_agg(format('%s:%s', regexp_replace(c.relname, '[0-9]+', 'N', 'g'), c.relkind), ','
				  ORDER BY c.relname)
  FROM pg_class c WHERE c.relname ~ '^a_[0-9]+(_before|_default)?$';
SELECT string_agg(message::text || ' ' || (headers->'pgmq_c_dead_letter'->>'reason'), ',')
  FROM pgmq_c.read_archive('orders_dlq');
SELECT string_agg(m.message::text, ',') FROM pgmq_c.read_archive('orders') m;
SELECT string_agg(queue_name || ' ' || dead_letter_queue, ',') FROM pgmq_c.list_queues();};
my $policies_before = sql($policies, 'retries');
like($policies_before, qr/^orders\|3\|1\|00:00:01\|\|7 days$/m,
	'retries: the policy of orders, its dead-letter queue by id');
like($policies_before, qr/^a_N:r,a_N:p,a_N_before:r,a_N_default:r$/m,
	'retries: the archive of orders is partitioned');
like($policies_before, qr/\{"n": 2\}/, 'retries: the archive holds the message archived');
dump_restore('retries', 'retries_copy');
is(sql($policies, 'retries_copy'), $policies_before,
	'retries_copy: policies, dead-letter queue ids, the partitioned archive and the archived messages as in retries');
is( sql(
		q{SELECT pgmq_c.nack('orders', 1::bigint, NULL::interval, NULL::integer, 'after the restore')},
		'retries_copy'),
	't', 'retries_copy: nack works');

#
# A restore with the worker running, its data section in two parts as a
# large table would spread it: the catalog (with a dead-letter policy) and
# the queues' rows come back before their primary keys (post-data) and
# before their sequences are set.  The worker must not move dead letters
# meanwhile: each would take a msg_id of the dead-letter queue that is
# restored already, or still to be (before, the restore then failed to make
# the primary key, and later sends reused msg_ids).
#
# (the databases above are done with: their workers would take every
# background worker slot, max_worker_processes being 8)
foreach my $db (split /\n/, sql(q{SELECT datname FROM pg_database
	WHERE datname NOT IN ('postgres', 'template0', 'template1')}))
{
	sql("DROP DATABASE $db WITH (FORCE)");
}
# the source's dead letters stay where they are until the dump: no worker
sql(q{ALTER SYSTEM SET pgmq_c.worker = off});
sql(q{SELECT pg_reload_conf()});
$node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker'})
  or die 'the workers did not stop';
sql('CREATE DATABASE dlsrc');
sql(q{
CREATE EXTENSION pgmq_c;
SELECT pgmq_c.create_queue('dlq');
SELECT count(*) FROM (SELECT pgmq_c.send('dlq', jsonb_build_object('old', i)) FROM generate_series(1, 5) i) s;
SELECT pgmq_c.create_queue('qa', max_deliveries => 1, dead_letter_queue => 'dlq');
SELECT count(*) FROM (SELECT pgmq_c.send('qa', jsonb_build_object('i', i)) FROM generate_series(1, 200) i) s;
SELECT count(*) FROM pgmq_c.read('qa', '0', 200);
}, 'dlsrc');
my $dlfile = $node->basedir . '/dlsrc.dump';
my ($dlout, $dlerr);
ok(IPC::Run::run([ 'pg_dump', '-Fc', '-f', $dlfile, '-d', $node->connstr('dlsrc') ],
		'>', \$dlout, '2>', \$dlerr), 'pg_dump -Fc of dlsrc');
sql(q{ALTER SYSTEM RESET pgmq_c.worker});
sql(q{SELECT pg_reload_conf()});
ok(IPC::Run::run([ 'pg_restore', '-l', $dlfile ], '>', \$dlout), 'the list of the dump');
my @toc = split /\n/, $dlout;
my $noseq = $node->basedir . '/dl_noseq.list';
my $seq = $node->basedir . '/dl_seq.list';
PostgreSQL::Test::Utils::append_to_file($noseq, join("\n", grep { !/SEQUENCE SET/ } @toc) . "\n");
PostgreSQL::Test::Utils::append_to_file($seq, join("\n", grep { /SEQUENCE SET/ } @toc) . "\n");
sql('CREATE DATABASE dldst');
my @restore = ('pg_restore', '-d', $node->connstr('dldst'));
ok(IPC::Run::run([ @restore, '--section=pre-data', $dlfile ], '>', \$dlout, '2>', \$dlerr),
	'dldst: pre-data restored');
ok(IPC::Run::run([ @restore, '--section=data', '-L', $noseq, $dlfile ], '>', \$dlout, '2>', \$dlerr),
	'dldst: the data but the sequences restored');
# (a call of the extension starts the database's worker, as a client's would)
sql(q{SELECT count(*) FROM pgmq_c.status()}, 'dldst');
ok(defined worker_pid($node, 'dldst'), 'dldst: a worker runs meanwhile');
sleep(3);    # the worker's passes, once a second
ok(IPC::Run::run([ @restore, '--section=data', '-L', $seq, $dlfile ], '>', \$dlout, '2>', \$dlerr),
	'dldst: the sequences restored');
ok(IPC::Run::run([ @restore, '--section=post-data', $dlfile ], '>', \$dlout, '2>', \$dlerr),
	'dldst: post-data restored');
is($dlerr, '', 'dldst: no error (the primary keys are made)');
ok( $node->poll_query_until('dldst', q{
SELECT (SELECT count(*) FROM pgmq_c.read('dlq', '0', 1000)) = 205}),
	'dldst: once the keys are there the worker moves the 200 dead letters to dlq');
my $dlq_table = sql(q{SELECT 'pgmq_c.q_' || queue_id FROM pgmq_c.list_queues() WHERE queue_name = 'dlq'}, 'dldst');
is(sql("SELECT count(*) || ' ' || count(DISTINCT msg_id) FROM $dlq_table", 'dldst'), '205 205',
	'dldst: every message of dlq has a msg_id of its own');
my $new_id = sql(q{SELECT pgmq_c.send('dlq', '{"new": 1}')}, 'dldst');
is(sql("SELECT count(*) FROM $dlq_table WHERE msg_id = $new_id", 'dldst'), '1',
	'dldst: a new send takes a msg_id nobody has');

#
# A dump of an older version restored where the current one is installed:
# pg_dump writes CREATE EXTENSION without a version, so the old tables come
# back under the current catalog.  Reads then fail with a message that says
# so (before, with "relation pgmq_c.p_1 does not exist" or "column
# ordering_key does not exist"); the README's way, the dump restored into
# the version it was made with and then updated, works.
#
sql('CREATE DATABASE v5src');
sql(q{
CREATE EXTENSION pgmq_c VERSION '0.5.0';
SELECT pgmq_c.create_queue('q5');
SELECT pgmq_c.send('q5', '{"v": 5}');
SELECT pgmq_c.create_topic('t5');
SELECT pgmq_c.create_group('t5', 'g5', 'earliest');
SELECT pgmq_c.send('t5', '{"v": 5}');
}, 'v5src');
my $v5file = $node->basedir . '/v5src.dump';
ok(IPC::Run::run([ 'pg_dump', '-Fc', '-f', $v5file, '-d', $node->connstr('v5src') ],
		'>', \$dlout, '2>', \$dlerr), 'pg_dump -Fc of v5src (pgmq_c 0.5.0)');
sql('CREATE DATABASE v5new');
ok(IPC::Run::run([ 'pg_restore', '-d', $node->connstr('v5new'), $v5file ],
		'>', \$dlout, '2>', \$dlerr), 'v5new: restored where the current version is installed');
my ($ret, $out, $err) = $node->psql('v5new', q{SELECT * FROM pgmq_c.read('q5', '1 hour', 1)},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/55000: queue "q5" has tables of an older version of pgmq_c/,
	'v5new: a read of the old queue says its tables are of an older version');
like($err, qr/CREATE EXTENSION pgmq_c VERSION/, 'v5new: and how to restore it');
($ret, $out, $err) = $node->psql('v5new', q{SELECT * FROM pgmq_c.read_group('t5', 'g5', '1 hour', 1)},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/55000: (consumer group "g5"|topic "t5") has tables of an older version of pgmq_c/,
	'v5new: so does a read of the old group');
# calls that run no kept statement: before, a send and a delete succeeded
# into tables no read could use, and purge_queue failed with 42P01
foreach my $call (q{SELECT pgmq_c.send('q5', '{"v": 8}')},
	q{SELECT pgmq_c.send('t5', '{"v": 8}')},
	q{SELECT pgmq_c.delete('q5', 1)},
	q{SELECT pgmq_c.purge_queue('q5')})
{
	($ret, $out, $err) = $node->psql('v5new', $call,
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/55000: (queue "q5"|topic "t5") has tables of an older version of pgmq_c/,
		"v5new: $call says so too");
}
is(sql(q{SELECT count(*) FROM pgmq_c.q_1}, 'v5new'), '1',
	'v5new: and the old queue keeps its one message');
sql('CREATE DATABASE v5old');
sql(q{CREATE EXTENSION pgmq_c VERSION '0.5.0'}, 'v5old');
IPC::Run::run([ 'pg_restore', '-d', $node->connstr('v5old'), $v5file ], '>', \$dlout, '2>', \$dlerr);
sql(q{ALTER EXTENSION pgmq_c UPDATE}, 'v5old');
is(sql(q{SELECT message->>'v' FROM pgmq_c.read('q5', '1 hour', 1)}, 'v5old'), '5',
	'v5old: restored into 0.5.0 and updated, the queue is read');
is(sql(q{SELECT message->>'v' FROM pgmq_c.read_group('t5', 'g5', '1 hour', 1)}, 'v5old'), '5',
	'v5old: and the group');

$node->stop;
done_testing();
