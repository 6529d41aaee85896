# 030_prometheus.pl: prometheus/pgmq_c_queries.yaml run by Debian's
# prometheus-postgres-exporter, and prometheus/pgmq_c_alerts.yml.
#
# 1. A known workload on a cluster with pgmq_c preloaded: a queue with
#    visible, leased, delayed and dead-lettered messages and its dead-letter
#    queue, a queue with an archive, an empty queue, a topic with a group
#    that is behind (some leased, some acknowledged) and one that has read
#    nothing, and a topic on which the exporter's role holds only "send"
#    (through PUBLIC), so list_groups() would refuse it.  A second cluster
#    without the preload (no worker).
# 2. The exporter, started on loopback with a free port, as an
#    unprivileged role holding "monitor" on the queues and topics, with
#    both clusters in DATA_SOURCE_NAME and only the queries file (no
#    default metrics); /metrics is fetched with curl until the pgmq_c
#    series are there.
# 3. Every series is checked against metrics(), list_groups() and status()
#    queried as the same role: the counts are equal, the ages lie between
#    the ages read just before and just after the scrape.  No other
#    pgmq_c series is there, the topic without "monitor" has no group
#    series, and the scrape had no error.
# 4. promtool check rules accepts the alerting rules (skipped without
#    promtool).
#
# Skipped when prometheus-postgres-exporter or curl is not installed.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::Cluster;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use IPC::Run;
use Time::HiRes qw(usleep);

sub which
{
	my ($cmd) = @_;
	foreach my $dir (split /:/, ($ENV{PATH} // '') . ':/usr/bin:/usr/sbin:/bin')
	{
		return "$dir/$cmd" if $dir ne '' && -x "$dir/$cmd";
	}
	return undef;
}

my $exporter = which('prometheus-postgres-exporter');
my $curl = which('curl');
plan skip_all => 'prometheus-postgres-exporter is not installed'
  unless defined $exporter;
plan skip_all => 'curl is not installed' unless defined $curl;

my $root = "$FindBin::RealBin/../..";
my $queries = "$root/prometheus/pgmq_c_queries.yaml";
my $alerts = "$root/prometheus/pgmq_c_alerts.yml";
ok(-f $queries && -f $alerts, 'the queries and alert files are in the tree');

# 1. The workload.
my $node = pgmqc_node('prom');
my $bare = pgmqc_node('prom_nopreload', preload => 0);

$node->safe_psql(
	'postgres', q{
CREATE ROLE prom_exporter LOGIN;
SELECT pgmq_c.create_queue('prom_dlq');
SELECT pgmq_c.create_queue('prom_jobs', max_deliveries => 1,
                           dead_letter_queue => 'prom_dlq');
SELECT pgmq_c.create_queue('prom_archive');
SELECT pgmq_c.create_queue('prom_empty');
SELECT pgmq_c.create_topic('prom_events');
SELECT pgmq_c.create_group('prom_events', 'fast', start_at => 'earliest');
SELECT pgmq_c.create_group('prom_events', 'slow', start_at => 'earliest');
SELECT pgmq_c.create_topic('prom_public');
SELECT pgmq_c.create_group('prom_public', 'hidden', start_at => 'earliest');
SELECT pgmq_c.grant_access('prom_public', 'public', ARRAY['send']);
SELECT pgmq_c.grant_access(queue_name, 'prom_exporter', ARRAY['monitor'])
  FROM pgmq_c.list_queues();
SELECT pgmq_c.grant_access(topic_name, 'prom_exporter', ARRAY['monitor'])
  FROM pgmq_c.list_topics() WHERE topic_name <> 'prom_public';

-- prom_jobs: 10 due, 3 delayed; 5 leased for an hour, one of them nacked
-- at its last delivery, so dead-lettered at once
SELECT count(pgmq_c.send('prom_jobs', jsonb_build_object('i', i)))
  FROM generate_series(1, 10) i;
SELECT count(pgmq_c.send('prom_jobs', '{"later": true}', delay => '1 hour'))
  FROM generate_series(1, 3);
CREATE TEMP TABLE leased AS SELECT msg_id FROM pgmq_c.read('prom_jobs', '1 hour', 5);
SELECT pgmq_c.nack('prom_jobs', max(msg_id), reason => 'test') FROM leased;
-- prom_archive: 4 sent, 3 archived
SELECT count(pgmq_c.send('prom_archive', '{}')) FROM generate_series(1, 4);
SELECT count(*) FROM pgmq_c.archive('prom_archive', ARRAY[1, 2, 3]::bigint[]);
-- prom_events: 7 messages; fast has read 4 of them and acknowledged 2
SELECT count(pgmq_c.send('prom_events', jsonb_build_object('e', i)))
  FROM generate_series(1, 7) i;
CREATE TEMP TABLE got AS SELECT msg_id FROM pgmq_c.read_group('prom_events', 'fast', '1 hour', 4);
SELECT count(*) FROM pgmq_c.ack('prom_events', 'fast',
                                (SELECT array_agg(msg_id ORDER BY msg_id) FROM got
                                  WHERE msg_id <= 2));
SELECT pgmq_c.send('prom_public', '{}');
});
$bare->safe_psql('postgres', q{
CREATE ROLE prom_exporter LOGIN;
SELECT pgmq_c.create_queue('bare_queue');
SELECT pgmq_c.grant_access('bare_queue', 'prom_exporter', ARRAY['monitor']);
SELECT pgmq_c.send('bare_queue', '{}');
});
ok(defined worker_pid($node, 'postgres'), 'the worker runs');

# the workload as the checks below expect it, as the superuser sees it
is( $node->safe_psql(
		'postgres', q{
SELECT string_agg(format('%s %s %s %s %s %s %s', queue_name, queue_length,
                         visible_length, in_flight_length, delayed_length,
                         archived_length, total_messages), ', ' ORDER BY queue_name)
  FROM pgmq_c.metrics_all()}),
	'prom_archive 1 1 0 0 3 4, prom_dlq 1 1 0 0 0 1, prom_empty 0 0 0 0 0 0, '
	  . 'prom_events 7 7  0  7, prom_jobs 12 5 4 3 0 13, prom_public 1 1  0  1',
	'the workload is in place');

# 2. The exporter.
my $port = PostgreSQL::Test::Cluster::get_free_port();
my @dsn = map { sprintf('host=%s port=%d dbname=postgres user=prom_exporter sslmode=disable',
		$_->host, $_->port) } ($node, $bare);
my $exporter_log = "${PostgreSQL::Test::Utils::tmp_check}/exporter.log";
my $h;
{
	local $ENV{DATA_SOURCE_NAME} = join(',', @dsn);
	local $ENV{PG_EXPORTER_EXTEND_QUERY_PATH} = $queries;
	$h = IPC::Run::start(
		[
			$exporter, "--web.listen-address=127.0.0.1:$port",
			'--disable-default-metrics', '--disable-settings-metrics',
			'--no-collector.database', '--no-collector.bgwriter',
			'--log.level=info'
		],
		'<', \undef, '>&', $exporter_log);
}
END { $h->kill_kill if defined $h && $h->pumpable; }

# the series of one scrape: {name => [{labels..., value => v}, ...]}
sub scrape
{
	my $body = '';
	IPC::Run::run([ $curl, '-sS', '--max-time', '20', "http://127.0.0.1:$port/metrics" ],
		'>', \$body, '2>', \my $err);
	my %s;
	foreach my $line (split /\n/, $body)
	{
		next if $line =~ /^#/ || $line !~ /\S/;
		my ($name, $labels, $value) =
		  $line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/
		  or next;
		my %l = (value => $value);
		$l{$1} = $2 while defined $labels && $labels =~ /(\w+)="((?:[^"\\]|\\.)*)"/g;
		push @{ $s{$name} }, \%l;
	}
	return \%s;
}

# the value of series $name with labels %want (undef if none, dies if more)
sub value
{
	my ($s, $name, %want) = @_;
	my @m = grep {
		my $r = $_;
		!grep { ($r->{$_} // '') ne $want{$_} } keys %want
	} @{ $s->{$name} // [] };
	die "more than one $name" if @m > 1;
	return @m ? $m[0]{value} : undef;
}

my $server = sprintf('%s:%d', $node->host, $node->port);
my $bare_server = sprintf('%s:%d', $bare->host, $bare->port);

# ages read as the exporter's role, just before a scrape
sub ages
{
	my %a;
	foreach (split /\n/, $node->safe_psql('postgres', q{
SELECT 'q', queue_name, COALESCE(oldest_msg_age_sec, 0) FROM pgmq_c.metrics_all()
UNION ALL
SELECT 'g', t.topic_name || '/' || g.group_name, COALESCE(g.oldest_unacked_age_sec, 0)
  FROM pgmq_c.list_topics() t, pgmq_c.list_groups(t.topic_name) g
 WHERE t.topic_name <> 'prom_public'}, extra_params => [ '-U', 'prom_exporter' ]))
	{
		my ($k, $n, $v) = split /\|/;
		$a{"$k $n"} = $v;
	}
	return \%a;
}

my ($s, $before, $after);
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
while (1)
{
	$before = ages();
	$s = scrape();
	$after = ages();
	last if defined value($s, 'pgmq_c_worker_up', server => $server)
	  && defined value($s, 'pgmq_c_worker_up', server => $bare_server);
	if (time > $deadline || !$h->pumpable)
	{
		diag "exporter log:\n" . slurp_file($exporter_log);
		BAIL_OUT('no pgmq_c series from the exporter');
	}
	usleep(200_000);
}
pass('the exporter serves the pgmq_c series');

# 3. The series against the functions, as the exporter's role.
is(value($s, 'pg_exporter_last_scrape_error'), 0, 'the scrape had no error');
is(value($s, 'pg_exporter_user_queries_load_error'), 0, 'the queries file loaded');

my $as_exporter = sub {
	return $node->safe_psql('postgres', $_[0],
		extra_params => [ '-U', 'prom_exporter' ]);
};

my %queue_cols = (
	length => 'queue_length',
	visible => 'visible_length',
	in_flight => 'COALESCE(in_flight_length, 0)',
	delayed => 'delayed_length',
	archived => 'COALESCE(archived_length, 0)',
	sent_total => 'total_messages',
	length_is_exact => 'length_is_exact::int');
my @queues = split /\n/,
  $as_exporter->('SELECT queue_name FROM pgmq_c.metrics_all() ORDER BY 1');
is( join(',', @queues),
	'prom_archive,prom_dlq,prom_empty,prom_events,prom_jobs',
	'the exporter role sees every queue and topic it may monitor (not prom_public, sent to through PUBLIC)');
my $dead_letter_queues = 0;
foreach my $q (@queues)
{
	my ($kind, @vals) = split /\|/, $as_exporter->(
		"SELECT kind, "
		  . join(', ', map { $queue_cols{$_} } sort keys %queue_cols)
		  . " FROM pgmq_c.metrics_all() WHERE queue_name = '$q'");
	my %sql;
	@sql{ sort keys %queue_cols } = @vals;
	foreach my $m (sort keys %queue_cols)
	{
		is(value($s, "pgmq_c_queue_$m", server => $server, queue => $q, kind => $kind),
			$sql{$m}, "pgmq_c_queue_$m of $q = metrics_all()");
	}
	my $dead = value($s, 'pgmq_c_queue_dead_letters', server => $server, queue => $q);
	is($dead, $q eq 'prom_dlq' ? $sql{length} : 0, "pgmq_c_queue_dead_letters of $q");
	my $age = value($s, 'pgmq_c_queue_oldest_message_age_seconds',
		server => $server, queue => $q);
	ok( defined $age
		  && $age >= $before->{"q $q"} - 0.001
		  && $age <= $after->{"q $q"} + 0.001,
		"pgmq_c_queue_oldest_message_age_seconds of $q between the ages before and after")
	  or diag "$age not in [$before->{\"q $q\"}, $after->{\"q $q\"}]";
}
# the values themselves, not only equal to the functions'
is(value($s, 'pgmq_c_queue_length', server => $server, queue => 'prom_jobs'),
	12, 'prom_jobs: 12 messages');
is(value($s, 'pgmq_c_queue_in_flight', server => $server, queue => 'prom_jobs'),
	4, 'prom_jobs: 4 in flight');
is(value($s, 'pgmq_c_queue_delayed', server => $server, queue => 'prom_jobs'),
	3, 'prom_jobs: 3 delayed');
is(value($s, 'pgmq_c_queue_dead_letters', server => $server, queue => 'prom_dlq'),
	1, 'prom_dlq: 1 dead letter');
cmp_ok(value($s, 'pgmq_c_queue_oldest_message_age_seconds', server => $server,
		queue => 'prom_jobs'), '>', 0, 'prom_jobs: oldest message age > 0');
is(value($s, 'pgmq_c_queue_oldest_message_age_seconds', server => $server,
		queue => 'prom_empty'), 0, 'prom_empty: age 0');
is(scalar(grep { $_->{server} eq $server } @{ $s->{pgmq_c_queue_length} }),
	scalar(@queues), 'one pgmq_c_queue_length series per queue and topic');

# groups
my %group_cols = (
	lag => 'lag',
	in_flight => 'in_flight',
	missed => 'missed',
	lag_is_exact => 'lag_is_exact::int');
my @groups = split /\n/, $as_exporter->(q{
SELECT t.topic_name || '|' || g.group_name
  FROM pgmq_c.list_topics() t, pgmq_c.list_groups(t.topic_name) g
 WHERE t.topic_name <> 'prom_public' ORDER BY 1});
is(join(',', @groups), 'prom_events|fast,prom_events|slow', 'the groups');
foreach my $tg (@groups)
{
	my ($t, $g) = split /\|/, $tg;
	my @vals = split /\|/, $as_exporter->(
		"SELECT " . join(', ', map { $group_cols{$_} } sort keys %group_cols)
		  . " FROM pgmq_c.list_groups('$t') WHERE group_name = '$g'");
	my %sql;
	@sql{ sort keys %group_cols } = @vals;
	foreach my $m (sort keys %group_cols)
	{
		is(value($s, "pgmq_c_group_$m", server => $server, topic => $t, group => $g),
			$sql{$m}, "pgmq_c_group_$m of $t/$g = list_groups()");
	}
	my $age = value($s, 'pgmq_c_group_oldest_unacked_age_seconds',
		server => $server, topic => $t, group => $g);
	ok( defined $age
		  && $age > 0
		  && $age >= $before->{"g $t/$g"} - 0.001
		  && $age <= $after->{"g $t/$g"} + 0.001,
		"pgmq_c_group_oldest_unacked_age_seconds of $t/$g between the ages before and after");
}
is(value($s, 'pgmq_c_group_lag', server => $server, topic => 'prom_events', group => 'fast'),
	5, 'fast: lag 5');
is(value($s, 'pgmq_c_group_in_flight', server => $server, topic => 'prom_events',
		group => 'fast'), 2, 'fast: 2 in flight');
is(value($s, 'pgmq_c_group_lag', server => $server, topic => 'prom_events', group => 'slow'),
	7, 'slow: lag 7');
is(value($s, 'pgmq_c_group_missed', server => $server, topic => 'prom_events',
		group => 'slow'), 0, 'slow: missed 0');
is(value($s, 'pgmq_c_group_lag', server => $server, topic => 'prom_public'),
	undef, 'no group series for a topic without monitor');
# ... which list_groups() would have refused, failing the whole query
$node->psql('postgres', q{SELECT * FROM pgmq_c.list_groups('prom_public')},
	extra_params => [ '-U', 'prom_exporter' ], stderr => \my $refused);
like($refused, qr/permission denied for topic "prom_public"/,
	'(list_groups of that topic is refused to the exporter role)');

# the worker
my ($pid, $sleeping, $wakeups) = split /\|/, $as_exporter->(
	'SELECT worker_pid IS NOT NULL, sleeping_readers, wakeups FROM pgmq_c.status()');
is($pid, 't', 'status() shows the worker');
is(value($s, 'pgmq_c_worker_up', server => $server), 1, 'pgmq_c_worker_up 1');
is(value($s, 'pgmq_c_preloaded', server => $server), 1, 'pgmq_c_preloaded 1');
is(value($s, 'pgmq_c_sleeping_readers', server => $server), $sleeping,
	'pgmq_c_sleeping_readers = status()');
is(value($s, 'pgmq_c_wakeups_total', server => $server), $wakeups,
	'pgmq_c_wakeups_total = status()');

# the cluster without the preload: no worker
is(value($s, 'pgmq_c_worker_up', server => $bare_server), 0,
	'no preload: pgmq_c_worker_up 0');
is(value($s, 'pgmq_c_preloaded', server => $bare_server), 0,
	'no preload: pgmq_c_preloaded 0');
is(value($s, 'pgmq_c_queue_length', server => $bare_server, queue => 'bare_queue'),
	1, 'no preload: its queue is exported too');

# nothing else named pgmq_c_
my %expected = map { ("pgmq_c_queue_$_" => 1) }
  (keys %queue_cols, 'dead_letters', 'oldest_message_age_seconds');
$expected{"pgmq_c_group_$_"} = 1
  foreach (keys %group_cols, 'oldest_unacked_age_seconds');
$expected{"pgmq_c_$_"} = 1
  foreach qw(worker_up preloaded sleeping_readers wakeups_total);
is(join(' ', sort grep { /^pgmq_c_/ } keys %$s),
	join(' ', sort keys %expected), 'exactly the documented pgmq_c series');

$h->kill_kill;
$h->finish;
undef $h;

# 4. The alerting rules.
SKIP:
{
	my $promtool = which('promtool');
	skip 'promtool is not installed (Debian package prometheus)', 1
	  unless defined $promtool;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ $promtool, 'check', 'rules', $alerts ],
		'>', \$out, '2>', \$err);
	ok($ok, 'promtool check rules accepts pgmq_c_alerts.yml')
	  or diag "$out$err";
}

$node->stop;
$bare->stop;
done_testing();
