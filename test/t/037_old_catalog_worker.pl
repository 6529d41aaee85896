# 037_old_catalog_worker.pl: the worker of this library in a database
# whose pgmq_c catalog predates 0.4.0 (the library installed and the server
# restarted, ALTER EXTENSION pgmq_c UPDATE not run yet, as README's upgrade
# steps go).
#
# Before 0.4.0 a role allowed to create queues owned its queue's and topic's
# tables and could give them triggers.  The worker, a superuser's session,
# must not write or read them then: its fills, topic maintenance, retry
# passes and looks would run such a trigger as the superuser.
#
# - The worker says that it waits for the update, and a creator's trigger on
#   its group table and cursor table never runs as the superuser.
# - maintain_topics() is refused (55000), as sql/upgrade.sql checks too.
# - After ALTER EXTENSION UPDATE the worker says that it resumes, the
#   triggers are gone (0.4.0 takes the tables over) and the group gets its
#   messages, which the worker's fills need.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use Time::HiRes qw(usleep);

my $node = pgmqc_node('old_catalog', extension => 0);

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $log_offset = -s $node->logfile;
sql(q{CREATE EXTENSION pgmq_c VERSION '0.3.0'});
is(sql(q{SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'}),
	'0.3.0', 'the catalog of 0.3.0 under the current library');

# a creator as 0.3.0 documented it, and its spy: a trigger function that
# logs who runs it and tries to make the creator a superuser
sql(q{
CREATE ROLE creator LOGIN;
GRANT CREATE ON SCHEMA pgmq_c TO creator;
GRANT INSERT, UPDATE, DELETE ON pgmq_c.queues, pgmq_c.groups TO creator;
CREATE SCHEMA creator_own AUTHORIZATION creator;
SET ROLE creator;
CREATE TABLE creator_own.spied (who name, what text);
GRANT INSERT ON creator_own.spied TO PUBLIC;
CREATE FUNCTION creator_own.spy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO creator_own.spied VALUES (current_user, TG_TABLE_NAME || ' ' || TG_OP);
	BEGIN
		EXECUTE 'ALTER ROLE creator SUPERUSER';
	EXCEPTION WHEN OTHERS THEN
		NULL;
	END;
	RETURN COALESCE(NEW, OLD);
END
$$;
SELECT pgmq_c.create_topic('et', '1 second', 1000);
SELECT pgmq_c.create_group('et', 'eg', 'earliest');
});
my ($group_table, $cursor_table) = split /\|/, sql(q{
SELECT 'pgmq_c.g_' || g.group_id, 'pgmq_c.c_' || g.topic_id
  FROM pgmq_c.groups g WHERE g.group_name = 'eg'});
is(sql("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = '$group_table'::regclass"),
	'creator', "the creator owns $group_table");
sql(qq{
SET ROLE creator;
CREATE TRIGGER spy BEFORE INSERT OR UPDATE OR DELETE ON $group_table
	FOR EACH ROW EXECUTE FUNCTION creator_own.spy();
CREATE TRIGGER spy BEFORE INSERT OR UPDATE OR DELETE ON $cursor_table
	FOR EACH ROW EXECUTE FUNCTION creator_own.spy();
SELECT pgmq_c.send('et', jsonb_build_object('n', i)) FROM generate_series(1, 5) i;
});

# a send asks for the database's worker; its first round meets the old
# catalog
$log_offset = $node->wait_for_log(
	qr/pgmq_c worker for database "postgres" waits for ALTER EXTENSION pgmq_c UPDATE/,
	$log_offset);
pass('the worker waits for the update');

# a reader in a transaction block asks the worker to fill the group
my ($ret, $out, $err) = $node->psql('postgres', q{
BEGIN;
SELECT count(*) FROM pgmq_c.read_group('et', 'eg', '1 minute', 5);
COMMIT;});
is($ret, 0, 'a group read in a transaction block runs');

($ret, $out, $err) =
  $node->psql('postgres', 'SELECT pgmq_c.maintain_topics()');
like($err, qr/needs the extension's catalog of version 0\.4\.0 or later/,
	'maintain_topics() is refused before the update');

is(sql(q{SELECT count(*) FROM creator_own.spied
          WHERE who <> 'creator'}), '0',
	'no trigger of the creator ran as another role');
is(sql(q{SELECT rolsuper FROM pg_roles WHERE rolname = 'creator'}),
	'f', 'the creator is no superuser');

# the update: its takeover refuses a function of the creator's in schema
# pgmq_c (there is none here) and drops the triggers of the tables it takes
sql(q{ALTER EXTENSION pgmq_c UPDATE});
$node->wait_for_log(
	qr/pgmq_c worker for database "postgres" resumes: the extension was updated/,
	$log_offset);
pass('the worker resumes after the update');
is( sql(qq{SELECT count(*) FROM pg_trigger
           WHERE tgrelid IN ('$group_table'::regclass, '$cursor_table'::regclass)
             AND NOT tgisinternal}),
	'0', 'the update dropped the triggers');

# the worker fills the group for readers in transaction blocks again
my $delivered = 0;
for (1 .. $PostgreSQL::Test::Utils::timeout_default * 10)
{
	($ret, $out, $err) = $node->psql('postgres', q{
BEGIN;
SELECT count(*) FROM pgmq_c.read_group('et', 'eg', '1 minute', 5);
COMMIT;});
	$delivered += $out if $ret == 0 && $out =~ /^\d+$/;
	last if $delivered >= 5;
	usleep(100_000);
}
is($delivered, 5, 'the group delivers its five messages after the update');
is(sql(q{SELECT count(*) FROM creator_own.spied WHERE who <> 'creator'}),
	'0', 'no trigger of the creator ran as another role after the update');
is(sql(q{SELECT rolsuper FROM pg_roles WHERE rolname = 'creator'}),
	'f', 'the creator is still no superuser');

$node->stop;
done_testing();
