# 018_security_attacks.pl: a hostile tenant against the background worker
# and a superuser's maintain_topics() (issue 9, attack classes 1-4).
#
# The attacker owns a database (so it may create in public, create schemas
# and ALTER DATABASE ... SET) but is no superuser; the superuser installed
# pgmq_c there and let it create queues and topics.  The attacker
# - plants operators, functions, types (domains) and views that log who
#   runs them and try ALTER ROLE attacker SUPERUSER, in public, in a schema
#   named after the bootstrap superuser ("$user" of the worker's and the
#   superuser's default search_path) and in a schema of its own;
# - squats the names of its topic's future partitions outside pgmq_c;
# - creates a queue with enable_notify and delayed messages, and a topic
#   with a short retention, so that the worker has work: notifications at due
#   times, partitions made ahead, a partition dropped by retention.
# Then, with the default search_path:
#   1. the worker does those passes; a superuser runs maintain_topics();
# and after ALTER DATABASE attackerdb SET search_path = evil, pg_catalog
# (and timeouts, read-only transactions, odd date styles, planner settings,
# a default_tablespace it may not create in),
# with the worker restarted so that it picks them up:
#   2. the worker still does all of that; a superuser runs maintain_topics()
#      with the database's search_path.
# Each time: no planted object ran (the log stays empty), the attacker is no
# superuser, every relation pgmq_c made belongs to the extension's owner and
# lies in the database's default tablespace, the squatters' tables got
# nothing.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(usleep);

my $node = pgmqc_node('attacks', extension => 0);

# The superuser's sessions override what the attacker may set for the
# database (search_path included, unless $raw; role, which would make them
# act as the attacker), so that only pgmq_c's own statements can meet the
# planted objects.
my $safe_opts = '-c role=none -c statement_timeout=0 -c lock_timeout=0 '
  . '-c idle_in_transaction_session_timeout=0 '
  . '-c default_transaction_read_only=off -c jit=off';

sub connstr_for
{
	my ($db, $user, $raw) = @_;
	my $opts = $safe_opts . ($raw ? '' : ' -c search_path=pg_catalog');
	return $node->connstr($db) . " user=$user options='$opts'";
}

my $su = $node->safe_psql('postgres', 'SELECT current_user');

# (and a SET, as the value has a space)
my $safe_set = "SET default_transaction_isolation = 'read committed';\n";

sub su_sql
{
	my ($sql, $db) = @_;
	return $node->safe_psql($db // 'attackerdb', $safe_set . $sql,
		connstr => connstr_for($db // 'attackerdb', $su));
}

sub attacker_sql
{
	my ($sql) = @_;
	return $node->safe_psql('attackerdb', $safe_set . $sql,
		connstr => connstr_for('attackerdb', 'attacker'));
}

sub su_poll
{
	my ($sql) = @_;
	for (my $i = 0; $i < 10 * $PostgreSQL::Test::Utils::timeout_default; $i++)
	{
		return 1 if su_sql($sql) eq 't';
		usleep(100_000);
	}
	return 0;
}

#
# Set-up: roles, the attacker's database, the extension.
#
$node->safe_psql('postgres', q{
CREATE ROLE attacker LOGIN;
CREATE DATABASE attackerdb OWNER attacker;
});
su_sql(q{
CREATE EXTENSION pgmq_c;
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue,
	pgmq_c.create_topic TO attacker;
});
is(su_sql(q{SELECT pg_catalog.has_database_privilege('attacker', 'attackerdb', 'CREATE')
		   AND pg_catalog.has_schema_privilege('attacker', 'public', 'CREATE')}),
	't', 'the attacker owns the database: it may create schemas and in public');

#
# The attacker's tools and plants.
#
attacker_sql(qq{
CREATE SCHEMA attacker;
GRANT USAGE ON SCHEMA attacker TO PUBLIC;
CREATE TABLE attacker.log (
	tag		text,
	cur		name,
	sess	name,
	super	boolean,
	backend	text,
	query	text,
	became_super boolean
);
GRANT INSERT ON attacker.log TO PUBLIC;
CREATE FUNCTION attacker.spy(tag text) RETURNS boolean LANGUAGE plpgsql AS \$\$
DECLARE
	ok	boolean := false;
BEGIN
	BEGIN
		ALTER ROLE attacker SUPERUSER;
		ok := true;
	EXCEPTION WHEN OTHERS THEN
		NULL;
	END;
	INSERT INTO attacker.log
	SELECT tag, current_user, session_user, r.rolsuper,
		   (SELECT a.backend_type FROM pg_catalog.pg_stat_activity a
			 WHERE a.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()),
		   pg_catalog.current_query(), ok
	  FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user;
	RETURN true;
END \$\$;
CREATE FUNCTION attacker.trg() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	PERFORM attacker.spy('trigger on ' OPERATOR(pg_catalog.||) TG_TABLE_SCHEMA
		OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) TG_TABLE_NAME);
	RETURN NULL;
END \$\$;

CREATE SCHEMA "$su";
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA "$su", evil TO PUBLIC;

-- plant(schema, label): operators for every pair of the types below that
-- pg_catalog has, functions, domains and views, each running the spy
CREATE FUNCTION attacker.plant(s text, label text) RETURNS integer LANGUAGE plpgsql AS \$plant\$
DECLARE
	types	text[] := ARRAY['oid', 'regclass', 'regnamespace', 'regrole', 'int2', 'int4',
							'int8', 'numeric', 'float8', 'text', 'name', '"char"', 'bool',
							'timestamptz', 'interval', 'jsonb', 'xid8'];
	ops		text[] := ARRAY['=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/',
							'\@>', '||', '~~'];
	l		text;
	r		text;
	op		text;
	res		text;
	n		integer := 0;
	f		text;
BEGIN
	FOREACH op IN ARRAY ops
	LOOP
		FOREACH l IN ARRAY types
		LOOP
			FOREACH r IN ARRAY types
			LOOP
				BEGIN
					EXECUTE pg_catalog.format('SELECT pg_catalog.pg_typeof(NULL::pg_catalog.%s OPERATOR(pg_catalog.%s) NULL::pg_catalog.%s)::pg_catalog.text',
								   l, op, r) INTO res;
				EXCEPTION WHEN OTHERS THEN
					CONTINUE;
				END;
				n := n OPERATOR(pg_catalog.+) 1;
				f := pg_catalog.format('%I.spy_op_%s', s, n);
				EXECUTE pg_catalog.format('CREATE FUNCTION %s(pg_catalog.%s, pg_catalog.%s) RETURNS %s LANGUAGE plpgsql AS '
							   '\$b\$BEGIN PERFORM attacker.spy(%L); RETURN \$1 OPERATOR(pg_catalog.%s) \$2; END\$b\$',
							   f, l, r, res, pg_catalog.concat_ws(' ', label, l, op, r), op);
				EXECUTE pg_catalog.format('CREATE OPERATOR %I.%s (LEFTARG = pg_catalog.%s, RIGHTARG = pg_catalog.%s, FUNCTION = %s)',
							   s, op, l, r, f);
			END LOOP;
		END LOOP;
	END LOOP;
	EXECUTE pg_catalog.format(\$f\$
CREATE FUNCTION %1\$I.now() RETURNS timestamptz LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.now(); END\$b\$;
CREATE FUNCTION %1\$I.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.clock_timestamp(); END\$b\$;
CREATE FUNCTION %1\$I.nextval(regclass) RETURNS bigint LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.nextval(\$1); END\$b\$;
CREATE FUNCTION %1\$I.nextval(text) RETURNS bigint LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.nextval(\$1::pg_catalog.regclass); END\$b\$;
CREATE FUNCTION %1\$I.setval(text, bigint) RETURNS bigint LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.setval(\$1::pg_catalog.regclass, \$2); END\$b\$;
CREATE FUNCTION %1\$I.setval(regclass, bigint) RETURNS bigint LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.setval(\$1, \$2); END\$b\$;
CREATE FUNCTION %1\$I.pg_sequence_last_value(text) RETURNS bigint LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.pg_sequence_last_value(\$1::pg_catalog.regclass); END\$b\$;
CREATE FUNCTION %1\$I.pg_total_relation_size(text) RETURNS bigint LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.pg_total_relation_size(\$1::pg_catalog.regclass); END\$b\$;
CREATE FUNCTION %1\$I.to_regclass(text) RETURNS regclass LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.to_regclass(\$1); END\$b\$;
CREATE FUNCTION %1\$I.pg_advisory_xact_lock(integer) RETURNS void LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); PERFORM pg_catalog.pg_advisory_xact_lock(\$1::pg_catalog.int8); END\$b\$;
CREATE FUNCTION %1\$I.pg_notify(text, text) RETURNS void LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); PERFORM pg_catalog.pg_notify(\$1, \$2); END\$b\$;
CREATE FUNCTION %1\$I.length(text) RETURNS integer LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.length(\$1); END\$b\$;
CREATE FUNCTION %1\$I.starts_with(text, text) RETURNS boolean LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.starts_with(\$1, \$2); END\$b\$;
CREATE FUNCTION %1\$I.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN QUERY SELECT * FROM pg_catalog.unnest(\$1); END\$b\$;
CREATE FUNCTION %1\$I.generate_series(bigint, bigint) RETURNS SETOF bigint LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN QUERY SELECT * FROM pg_catalog.generate_series(\$1, \$2); END\$b\$;
CREATE FUNCTION %1\$I.current_setting(text) RETURNS text LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.current_setting(\$1); END\$b\$;
CREATE FUNCTION %1\$I.spy_sfunc(bigint) RETURNS bigint LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN \$1 OPERATOR(pg_catalog.+) 1; END\$b\$;
CREATE AGGREGATE %1\$I.count(*) (SFUNC = %1\$I.spy_sfunc, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION %1\$I.spy_sfunc2(bigint, bigint) RETURNS bigint LANGUAGE plpgsql AS
  \$b\$BEGIN PERFORM attacker.spy(%2\$L); RETURN pg_catalog.int8larger(\$1, \$2); END\$b\$;
CREATE AGGREGATE %1\$I.max(bigint) (SFUNC = %1\$I.spy_sfunc2, STYPE = bigint);
CREATE AGGREGATE %1\$I.min(bigint) (SFUNC = %1\$I.spy_sfunc2, STYPE = bigint);
CREATE VIEW %1\$I.queues AS SELECT 1 AS queue_id WHERE attacker.spy('view queues');
CREATE VIEW %1\$I.groups AS SELECT 1 AS group_id WHERE attacker.spy('view groups');
\$f\$, s, label OPERATOR(pg_catalog.||) ' function');
	FOREACH r IN ARRAY ARRAY['text', 'jsonb', 'regclass', 'timestamptz', 'int8', 'int4',
							 'oid', 'name', 'bool', 'numeric', 'float8', 'interval']
	LOOP
		EXECUTE pg_catalog.format('CREATE DOMAIN %I.%I AS pg_catalog.%I CHECK (attacker.spy(%L))',
					   s, r, r, label OPERATOR(pg_catalog.||) ' domain ' OPERATOR(pg_catalog.||) r);
	END LOOP;
	FOREACH r IN ARRAY ARRAY['pg_class', 'pg_namespace', 'pg_inherits', 'pg_index',
							 'pg_database', 'pg_extension', 'pg_roles', 'pg_stat_activity',
							 'pg_locks', 'pg_settings', 'pg_sequence', 'pg_stat_user_tables',
							 'pg_partitioned_table', 'pg_depend', 'pg_trigger', 'pg_type']
	LOOP
		EXECUTE pg_catalog.format('CREATE VIEW %I.%I AS SELECT * FROM pg_catalog.%I WHERE attacker.spy(%L)',
					   s, r, r, label OPERATOR(pg_catalog.||) ' view ' OPERATOR(pg_catalog.||) r);
	END LOOP;
	RETURN n;
END \$plant\$;
});
foreach my $s ([ 'public', 'public' ], [ $su, '"$user"' ], [ 'evil', 'evil' ])
{
	my $n = attacker_sql(qq{SELECT attacker.plant('$s->[0]', '$s->[1]')});
	ok($n > 300, "the attacker planted $n operators and more in schema $s->[0]");
}

# how the log looks: rows from anyone but the attacker's own sessions
my $foreign_rows = q{
SELECT pg_catalog.string_agg(pg_catalog.concat_ws(' | ', tag, cur, sess, super, backend, became_super, query), E'\n')
  FROM attacker.log
 WHERE cur OPERATOR(pg_catalog.<>) 'attacker' OR sess OPERATOR(pg_catalog.<>) 'attacker'};
my $attacker_state = q{
SELECT pg_catalog.concat_ws(',', rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls)
  FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'attacker'};

# a positive control: the plants do catch an unqualified statement of the
# superuser (with the default search_path, the planted =(oid, regclass)
# beats pg_catalog's oid = oid); the attacker is then made superuser, which
# is taken back at once.
$node->safe_psql('attackerdb', q{SELECT 0::oid = 'pg_class'::regclass},
	connstr => $node->connstr('attackerdb') . " user=$su");
like(su_sql($foreign_rows), qr/^(public|"\$user") oid = regclass \| \Q$su\E \| \Q$su\E \| t \| client backend \| t \|/,
	'control: a planted operator catches an unqualified statement, and runs as its caller');
su_sql(q{ALTER ROLE attacker NOSUPERUSER; TRUNCATE attacker.log});
is(su_sql($attacker_state), 'f,f,f,f,f', 'control undone: the attacker is no superuser');

#
# The attacker's queue and topic, and the squatting of the topic's future
# partition names outside pgmq_c.
#
attacker_sql(q{
SELECT pgmq_c.create_queue('aq');
SELECT pgmq_c.enable_notify('aq');
SELECT pgmq_c.create_topic('at', '2 seconds', 1000);
SELECT pgmq_c.create_group('at', 'ag', 'earliest', '30 seconds', '{"k": 1}');
SELECT pgmq_c.create_queue('adl');
SELECT pgmq_c.create_queue('ar', max_deliveries => 1, dead_letter_queue => 'adl',
						   retry_backoff => '10 ms', archive_retention => '1 second');
SELECT pgmq_c.create_queue('ak');
});
my $tid = attacker_sql(q{SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name OPERATOR(pg_catalog.=) 'at'});
attacker_sql(qq{
DO \$\$
DECLARE
	s	text;
	k	integer;
BEGIN
	FOREACH s IN ARRAY ARRAY['public', 'attacker', '$su']
	LOOP
		FOR k IN 0 .. 40
		LOOP
			EXECUTE pg_catalog.format('CREATE TABLE %I.%I (msg_id bigint, enqueued_at timestamptz,'
									  ' deliver_at timestamptz, message jsonb, headers jsonb)',
									  s, pg_catalog.format('t_%s_p%s', $tid, k));
			EXECUTE pg_catalog.format('CREATE TRIGGER spy BEFORE INSERT OR UPDATE OR DELETE ON %I.%I'
									  ' FOR EACH ROW EXECUTE FUNCTION attacker.trg()',
									  s, pg_catalog.format('t_%s_p%s', $tid, k));
		END LOOP;
	END LOOP;
END \$\$;
});
is(attacker_sql(qq{SELECT pg_catalog.count(*) FROM pg_catalog.pg_class
				  WHERE relname OPERATOR(pg_catalog.~) '^t_${tid}_p[0-9]+\$'
					AND relnamespace OPERATOR(pg_catalog.<>) 'pgmq_c'::pg_catalog.regnamespace}),
	'123', 'the attacker squats t_<id>_p0 .. p40 in public, in its own schema and in "$user"');

# a listener for the queue's notifications
my $listener = start_listener($node, 'attackerdb',
	extra_params => [ '-U', 'attacker' ]);
my @notes;    # [ time seen, payload ]

# Work for the worker on topic $t (created and filled by the attacker): it
# must make partitions ahead, rotate and drop p0 by retention; and a delayed
# message on queue aq must be notified.
sub worker_passes
{
	my ($t, $what) = @_;
	my $id = attacker_sql(qq{SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name OPERATOR(pg_catalog.=) '$t'});
	my $log = "pgmq_c.t_$id";
	attacker_sql(qq{
SELECT pg_catalog.count(*) FROM pgmq_c.send_batch('$t',
	ARRAY(SELECT pg_catalog.jsonb_build_object('i', g) FROM pg_catalog.generate_series(1, 1500) g),
	ARRAY(SELECT '{"k": 1}'::pg_catalog.jsonb FROM pg_catalog.generate_series(1, 1500) g))});
	attacker_sql(qq{SELECT pgmq_c.send('$t', '{"late": 1}', NULL, '1 second')});
	ok( su_poll(qq{
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.>=) 20 FROM pg_catalog.pg_inherits
 WHERE inhparent OPERATOR(pg_catalog.=) '$log'::pg_catalog.regclass}),
		"$what: the worker makes partitions ahead of topic $t (20 or more)");
	ok( su_poll(qq{SELECT pg_catalog.to_regclass('${log}_p0') IS NULL}),
		"$what: the worker drops the topic's first partition by retention");
	@notes = ();
	attacker_sql(q{SELECT pgmq_c.send('aq', '{"due": 1}', NULL, '1 second')});
	ok(collect_notes($listener, \@notes, 30, 1) && $notes[0][1] eq 'aq',
		"$what: the worker notifies the delayed message of queue aq when due");
	# the attacker's group goes past what retention dropped and reads on
	attacker_sql(qq{SELECT pgmq_c.send('$t', '{"after": 1}', '{"k": 1}')});
	like(attacker_sql(qq{SELECT pg_catalog.string_agg(message::pg_catalog.text, ',')
						 FROM pgmq_c.read_group('$t', 'ag', '1 hour', 10000)}),
		qr/\{"after": 1\}\z/, "$what: the topic's group reads on after the retention drop");
	# a reader inside a transaction block has the worker fill the group: the
	# worker's fill statement (no bodies; the group's filter) runs among the
	# planted objects too
	attacker_sql(qq{SELECT pgmq_c.send('$t', '{"in_block": 1}', '{"k": 1}')});
	like(attacker_sql(qq{BEGIN;
SELECT pg_catalog.string_agg(message::pg_catalog.text, ',')
  FROM pgmq_c.read_group('$t', 'ag', '1 hour', 10, '10 s');
COMMIT;}),
		qr/\{"in_block": 1\}/,
		"$what: the worker fills the group for a reader in a transaction block");
	attacker_sql(q{SELECT pg_catalog.count(*) FROM pgmq_c.read('aq', '1 hour', 100)});

	# a reader of a queue of the attacker's that sleeps past its slice (1 s)
	# leaves its look to the worker: the worker's statements (the catalog's
	# queues, the queue's visible and next-due checks) run among the planted
	# objects too, and find a row written behind the API (the worker's look
	# wakes the reader: the wake-up count moves)
	(my $app = "probe_$what") =~ s/[^a-z_]//g;
	attacker_sql(qq{SELECT pgmq_c.create_queue('$app')});
	my $pq = attacker_sql(qq{SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name OPERATOR(pg_catalog.=) '$app'});
	my $reader = start_psql($node, db => 'attackerdb', app => $app,
		options => $safe_opts,
		sql => [ 'SET search_path = pg_catalog', $safe_set,
			"SET pgmq_c.wait_slice = '1s'",
			qq{SELECT message OPERATOR(pg_catalog.->>) 'behind' FROM pgmq_c.read('$app', '1 hour', 1, '20 s')} ]);
	ok(wait_sleeping($node, $app, 1, $reader), "$what: a reader sleeps on queue $app");
	my $w0 = su_sql(q{SELECT wakeups FROM pgmq_c.status()});
	su_sql(qq{INSERT INTO pgmq_c.q_$pq (msg_id, read_ct, enqueued_at, vt, message)
VALUES (pg_catalog.nextval('pgmq_c.q_${pq}_seq'), 0, pg_catalog.clock_timestamp(),
        pg_catalog.clock_timestamp(), '{"behind": "yes"}')});
	is(finish_session($reader), 'yes',
		"$what: the worker's look finds a row written into $app behind the API");
	ok(su_sql(q{SELECT wakeups FROM pgmq_c.status()}) > $w0,
		"$what: the worker's look woke the reader");

	# the attacker's queue ar has a retry policy and archive retention: the
	# worker moves its dead message nobody reads to adl, and removes what
	# ar archived (making the archive's days ahead, dropping old ones)
	my $dead = attacker_sql(q{SELECT pgmq_c.send('ar', '{"poison": 1}')});
	my $adl = attacker_sql(q{SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name OPERATOR(pg_catalog.=) 'adl'});
	attacker_sql(q{SELECT pg_catalog.count(*) FROM pgmq_c.read('ar', '0', 1)});
	ok( su_poll(qq{
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 1 FROM pgmq_c.q_$adl
 WHERE (headers OPERATOR(pg_catalog.->) 'pgmq_c_dead_letter' OPERATOR(pg_catalog.->>) 'msg_id')
	   OPERATOR(pg_catalog.=) '$dead'}),
		"$what: the worker moves ar's dead message to its dead-letter queue adl");
	attacker_sql(q{SELECT pgmq_c.archive('ar', pgmq_c.send('ar', '{"old": 1}'))});
	ok( su_poll(q{SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 0 FROM pgmq_c.read_archive('ar')}),
		"$what: the worker removes what ar archived, past archive_retention");

	# ordering keys and deduplication ids (0.7.0): the attacker's sends,
	# reads and deletes run their statements (the keys' counts, pending
	# messages, promotions, the ids' lookups) as the extension's owner
	(my $tag = $what) =~ s/[^a-z]//g;
	my $first = attacker_sql(qq{SELECT pgmq_c.send('ak', '{"n": 1}', NULL, '0', 'evil', '$tag-1')});
	is(attacker_sql(qq{SELECT pgmq_c.send('ak', '{"n": 1}', NULL, '0', 'evil', '$tag-1')}),
		$first, "$what: a resent dedup id gives the first msg_id");
	attacker_sql(qq{SELECT pg_catalog.count(*) FROM pgmq_c.send_batch('ak',
		ARRAY['{"n": 2}', '{"n": 3}']::pg_catalog.jsonb[], NULL, '0',
		ARRAY['evil', 'evil'], ARRAY['$tag-2', '$tag-3'])});
	my @order;
	for (1 .. 3)
	{
		my ($id, $n) = split /\|/, attacker_sql(q{
SELECT msg_id, message OPERATOR(pg_catalog.->>) 'n' FROM pgmq_c.read('ak', '1 hour', 10)});
		push @order, $n // '';
		attacker_sql(qq{SELECT pgmq_c.delete('ak', ${\($id // 0)}::pg_catalog.int8)});
	}
	is(join(',', @order), '1,2,3',
		"$what: the attacker's keyed messages come one at a time, in send order");
}

# An old day of pgmq_c.dedup_ids, as a worker that was away would have left
# it, for the worker or maintain_topics() to drop
my $old_day = $node->safe_psql('postgres',
	q{SELECT pg_catalog.floor(extract(epoch FROM pg_catalog.now()) / 86400)::pg_catalog.int8 - 30});
sub plant_old_day
{
	su_sql(qq{
CREATE TABLE pgmq_c.dedup_ids_p$old_day PARTITION OF pgmq_c.dedup_ids
  FOR VALUES FROM (pg_catalog.to_timestamp($old_day * 86400))
  TO (pg_catalog.to_timestamp(($old_day + 1) * 86400));});
}
my $old_day_gone = qq{SELECT pg_catalog.to_regclass('pgmq_c.dedup_ids_p$old_day') IS NULL};

sub no_harm
{
	my ($what) = @_;
	is(su_sql($foreign_rows), '',
		"$what: no planted object ran as anyone but the attacker in its own session");
	is(su_sql($attacker_state), 'f,f,f,f,f', "$what: the attacker is no superuser and has no role attribute");
	is(su_sql(q{
SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c, pg_catalog.pg_extension e
 WHERE e.extname OPERATOR(pg_catalog.=) 'pgmq_c'
   AND c.relnamespace OPERATOR(pg_catalog.=) 'pgmq_c'::pg_catalog.regnamespace
   AND c.relowner OPERATOR(pg_catalog.<>) e.extowner}),
		'0', "$what: every relation in pgmq_c (partitions included) belongs to the extension's owner");
	is(su_sql(q{
SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c
 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pgmq_c'::pg_catalog.regnamespace
   AND (c.relhastriggers AND c.relname OPERATOR(pg_catalog.!~) '^(queues|groups|access)$'
		OR c.relhasrules OR c.relrowsecurity)}),
		'0', "$what: no trigger, rule or row level security on any per-queue relation");
	is(su_sql(q{
SELECT pg_catalog.string_agg(c.relname, ' ' ORDER BY c.oid) FROM pg_catalog.pg_class c
 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pgmq_c'::pg_catalog.regnamespace
   AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}')
   AND c.reltablespace OPERATOR(pg_catalog.<>) 0}),
		'', "$what: every relation in pgmq_c is in the database's default tablespace");
	is(su_sql(q{
SELECT pg_catalog.sum((pg_catalog.xpath('/row/n/text()', pg_catalog.query_to_xml(
		pg_catalog.format('SELECT pg_catalog.count(*) AS n FROM %s', c.oid::pg_catalog.regclass),
		false, true, '')))[1]::pg_catalog.text::pg_catalog.int4)
  FROM pg_catalog.pg_class c
 WHERE c.relowner OPERATOR(pg_catalog.=) 'attacker'::pg_catalog.regrole
   AND c.relkind OPERATOR(pg_catalog.=) 'r'
   AND c.relname OPERATOR(pg_catalog.~) '^t_[0-9]+_p[0-9]+$'}),
		'0', "$what: the squatters' tables got no row");
}

#
# 1. The default search_path ("$user", public): the worker's passes and a
# superuser's maintain_topics().
#
my $wpid = worker_pid($node, 'attackerdb');
ok(defined $wpid, 'a pgmq_c worker runs for attackerdb');
worker_passes('at', 'default search_path');
plant_old_day();
is(su_sql(q{SELECT pgmq_c.maintain_topics() OPERATOR(pg_catalog.>=) 0}, 'attackerdb'), 't',
	'a superuser runs maintain_topics()');
is(su_sql($old_day_gone), 't', 'maintain_topics() dropped the old day of pgmq_c.dedup_ids');
my ($ret, $out, $err) = $node->psql('attackerdb', 'SELECT pgmq_c.maintain_topics()',
	connstr => connstr_for('attackerdb', $su, 1));
is($ret, 0, "a superuser runs maintain_topics() with the default search_path $err");
no_harm('default search_path');

#
# 2. The database's settings, as its owner may set them: the worker is
# restarted so that it starts under them.
#
($ret, $out, $err) = $node->psql('attackerdb', q{ALTER DATABASE attackerdb SET pgmq_c.max_wait = '1h'},
	connstr => connstr_for('attackerdb', 'attacker'));
like($err, qr/permission denied to set parameter "pgmq_c.max_wait"/,
	'the database owner cannot set pgmq_c.max_wait for its database');
# a tablespace the attacker may not create in
su_sql(q{SET allow_in_place_tablespaces = on; CREATE TABLESPACE attacker_ts LOCATION ''}, 'postgres');
attacker_sql(q{
ALTER DATABASE attackerdb SET default_tablespace = attacker_ts;
ALTER DATABASE attackerdb SET search_path = evil, pg_catalog;
ALTER DATABASE attackerdb SET statement_timeout = '1ms';
ALTER DATABASE attackerdb SET lock_timeout = '1ms';
ALTER DATABASE attackerdb SET idle_in_transaction_session_timeout = '1ms';
ALTER DATABASE attackerdb SET default_transaction_read_only = on;
ALTER DATABASE attackerdb SET default_transaction_isolation = 'serializable';
ALTER DATABASE attackerdb SET DateStyle = 'SQL, DMY';
ALTER DATABASE attackerdb SET IntervalStyle = 'iso_8601';
ALTER DATABASE attackerdb SET TimeZone = 'Pacific/Chatham';
ALTER DATABASE attackerdb SET extra_float_digits = -15;
ALTER DATABASE attackerdb SET enable_indexscan = off;
ALTER DATABASE attackerdb SET enable_bitmapscan = off;
ALTER DATABASE attackerdb SET row_security = off;
ALTER DATABASE attackerdb SET jit = on;
ALTER DATABASE attackerdb SET jit_above_cost = 0;
ALTER DATABASE attackerdb SET role = attacker;
ALTER DATABASE attackerdb SET enable_partition_pruning = off;
ALTER DATABASE attackerdb SET plan_cache_mode = force_custom_plan;
ALTER DATABASE attackerdb SET force_parallel_mode = on;
ALTER DATABASE attackerdb SET work_mem = '64kB';
ALTER DATABASE attackerdb SET standard_conforming_strings = off;
ALTER DATABASE attackerdb SET escape_string_warning = off;
ALTER DATABASE attackerdb SET exit_on_error = on;
});
plant_old_day();

# what the worker must keep: an archived message within its archive's
# retention, and a dedup id within its window (today's partition of
# pgmq_c.dedup_ids).  With standard_conforming_strings off, statements
# parsed in the worker's session used to read no partition's end, take
# every day as expired and drop them all.
attacker_sql(q{
SELECT pgmq_c.create_queue('keep', archive_retention => '30 days', dedup_window => '1 day');
SELECT pgmq_c.archive('keep', pgmq_c.send('keep', '{"kept": 1}', dedup_id => 'k-1'));
});
my $kept_id = attacker_sql(q{SELECT msg_id FROM pgmq_c.read_archive('keep')});
my $day_partitions = qq{
SELECT pg_catalog.string_agg(i.inhrelid::pg_catalog.text, ',' ORDER BY i.inhrelid)
  FROM pg_catalog.pg_inherits i
 WHERE i.inhparent OPERATOR(pg_catalog.=) ANY (ARRAY['pgmq_c.dedup_ids'::pg_catalog.regclass,
		(SELECT pg_catalog.to_regclass('pgmq_c.a_' OPERATOR(pg_catalog.||) queue_id::pg_catalog.text)
		   FROM pgmq_c.list_queues() WHERE queue_name OPERATOR(pg_catalog.=) 'keep')])
   AND i.inhrelid::pg_catalog.regclass::pg_catalog.text OPERATOR(pg_catalog.<>) 'pgmq_c.dedup_ids_p$old_day'};
my $days_before = su_sql($day_partitions);
ok(scalar(split(/,/, $days_before)) >= 2,
	"today's partitions of pgmq_c.dedup_ids and of keep's archive exist ($days_before)");
is(su_sql(q{SELECT pg_catalog.pg_terminate_backend(} . $wpid . q{)}), 't',
	'the worker is terminated');
my $wpid2 = worker_pid($node, 'attackerdb', $wpid);
ok(defined $wpid2, 'the launcher starts a new worker, under the database settings');
ok(su_poll($old_day_gone),
	'the new worker, under the database settings, drops the old day of pgmq_c.dedup_ids');
attacker_sql(q{
SELECT pgmq_c.create_topic('at2', '2 seconds', 1000);
SELECT pgmq_c.create_group('at2', 'ag', 'earliest', '30 seconds', '{"k": 1}');
});
worker_passes('at2', 'search_path = evil, pg_catalog');
is(su_sql(q{SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity
			WHERE pid OPERATOR(pg_catalog.=) } . $wpid2), '1',
	'the same worker still runs (it never failed)');
($ret, $out, $err) = $node->psql('attackerdb', 'SELECT pgmq_c.maintain_topics()',
	connstr => connstr_for('attackerdb', $su, 1));
is($ret, 0, "a superuser runs maintain_topics() with the database's search_path $err");
($ret, $out, $err) = $node->psql('attackerdb',
	"SET search_path = \"$su\", public, evil; SELECT pgmq_c.maintain_topics(); SELECT pgmq_c.metrics_all()",
	connstr => connstr_for('attackerdb', $su, 1));
is($ret, 0, "and with \"\$user\", public, evil $err");
is( su_sql(qq{SELECT pg_catalog.count(*) FROM pg_catalog.unnest('{$days_before}'::pg_catalog.oid[]) o
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) o)}),
	'0',
	'with standard_conforming_strings = off, neither the worker nor maintain_topics() dropped a day partition within its retention');
is(attacker_sql(q{SELECT msg_id FROM pgmq_c.read_archive('keep')}), $kept_id,
	'the message archived within archive_retention is kept');
is(attacker_sql(q{SELECT pgmq_c.send('keep', '{"kept": 2}', dedup_id => 'k-1')}), $kept_id,
	'a dedup id sent again within its window gives the first msg_id');
no_harm('search_path = evil, pg_catalog');

# the server log has no error or warning from either worker
my $serverlog = slurp_file($node->logfile);
foreach my $pid ($wpid, $wpid2)
{
	unlike($serverlog, qr/\[$pid\] (ERROR|WARNING):/,
		"the server log shows no error or warning of worker $pid");
}

#
# DROP ROLE knows nothing of pgmq_c's rows: the worker's maintenance pass
# forgets grants to dropped roles and gives a dropped owner's queues to the
# extension owner, so no row keeps a bare role OID that a later role could
# be given.
#
su_sql(q{
CREATE ROLE doomed_owner;
CREATE ROLE doomed_grantee;
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue TO doomed_owner;
SET ROLE doomed_owner;
SELECT pgmq_c.create_queue('doomed_q');
SELECT pgmq_c.grant_access('doomed_q', 'doomed_grantee', '{send}');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION pgmq_c.create_queue FROM doomed_owner;
DROP ROLE doomed_grantee;
DROP ROLE doomed_owner;
});
ok( su_poll(q{SELECT NOT EXISTS (SELECT FROM pgmq_c.access a
	WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) a.role_id::pg_catalog.oid)
	  AND a.role_id::pg_catalog.oid OPERATOR(pg_catalog.<>) 0)}),
	'the worker forgets the grant to a dropped role');
ok( su_poll(q{SELECT q.owner::pg_catalog.oid OPERATOR(pg_catalog.=) e.extowner
	FROM pgmq_c.queues q, pg_catalog.pg_extension e
	WHERE q.queue_name OPERATOR(pg_catalog.=) 'doomed_q' AND e.extname OPERATOR(pg_catalog.=) 'pgmq_c'}),
	'a dropped owner\'s queue passes to the extension owner');
is(su_sql(q{SELECT pg_catalog.array_agg(role_name) FROM pgmq_c.list_access('doomed_q')}),
	"{$su}", 'list_access then names the extension owner alone');

#
# The worker logs in as the extension's owner.  Here another superuser
# creates the extension: the worker's first start learns the owner and the
# next one logs in as it.  An owner that may not log in is served by a
# worker logged in as the bootstrap superuser.
#
$node->safe_psql('postgres', q{
CREATE ROLE ext_admin SUPERUSER LOGIN;
CREATE DATABASE ownerdb OWNER ext_admin;
CREATE ROLE ext_nologin SUPERUSER NOLOGIN;
CREATE DATABASE nologindb;
});
$node->safe_psql('ownerdb', q{
CREATE EXTENSION pgmq_c;
SELECT pgmq_c.create_queue('oq');
SELECT pgmq_c.send('oq', '{}', delay => '1 second');
}, connstr => connstr_for('ownerdb', 'ext_admin'));
ok( su_poll(q{SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 1
	FROM pg_catalog.pg_stat_activity
	WHERE backend_type OPERATOR(pg_catalog.=) 'pgmq_c worker'
	  AND datname OPERATOR(pg_catalog.=) 'ownerdb'
	  AND usename OPERATOR(pg_catalog.=) 'ext_admin'}),
	'the worker of ownerdb is logged in as the extension owner ext_admin');
$node->poll_query_until('ownerdb', q{SELECT count(*) = 1 FROM pgmq_c.read('oq', '1 hour', 1)})
  or die 'the delayed message never became visible';
pass('and it makes the delayed message visible');
$node->safe_psql('nologindb', q{
SET ROLE ext_nologin;
CREATE EXTENSION pgmq_c;
SELECT pgmq_c.create_queue('nq');
SELECT pgmq_c.send('nq', '{}', delay => '1 second');
});
$node->poll_query_until('nologindb', q{SELECT count(*) = 1 FROM pgmq_c.read('nq', '1 hour', 1)})
  or die 'the delayed message never became visible';
is( su_sql(q{SELECT pg_catalog.string_agg(usename::pg_catalog.text, ',')
	FROM pg_catalog.pg_stat_activity
	WHERE backend_type OPERATOR(pg_catalog.=) 'pgmq_c worker'
	  AND datname OPERATOR(pg_catalog.=) 'nologindb'}),
	$su,
	'an owner without LOGIN: the worker stays logged in as the bootstrap superuser, and works');

$listener->quit;
$node->stop;
done_testing();
