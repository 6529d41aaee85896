# PgmqcSessions.pm: background client sessions for the TAP tests of waiting
# readers.  A session is a psql process run with IPC::Run, known to
# pg_stat_activity by its application_name.
package PgmqcSessions;

use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(gettimeofday tv_interval usleep);

our @EXPORT = qw(start_session finish_session wait_sleeping);

# A client of $node running @sql (one statement per -c, so each in its own
# implicit transaction) in the background, known as $app.
sub start_session
{
	my ($node, $app, @sql) = @_;
	my %s = (app => $app, out => '', err => '');
	my @cmd = (
		$node->installed_command('psql'), '-XAtq', '-v', 'ON_ERROR_STOP=1',
		'-d', $node->connstr('postgres') . " application_name=$app");
	push @cmd, '-c', $_ foreach @sql;
	$s{h} = IPC::Run::start(\@cmd, '<', \undef, '>', \$s{out}, '2>', \$s{err},
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	$s{t0} = [gettimeofday];
	return \%s;
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

# Poll until $n (default 1) backends whose application_name is LIKE $app
# sleep in a pgmq_c wait.  Gives up at once if one of the sessions @s, which
# should be waiting, has ended.
sub wait_sleeping
{
	my ($node, $app, $n, @s) = @_;
	$n //= 1;
	my $q = qq{
SELECT count(*) = $n FROM pg_stat_activity
 WHERE application_name LIKE '$app' AND wait_event_type = 'Extension'
   AND state = 'active'};
	for (my $i = 0; $i < 10 * $PostgreSQL::Test::Utils::timeout_default; $i++)
	{
		return 1 if $node->safe_psql('postgres', $q) eq 't';
		foreach my $s (@s)
		{
			eval { $s->{h}->pump_nb; };
			next if $s->{h}->pumpable;
			diag(($s->{app} // 'a session')
				  . " ended instead of waiting: $s->{out} $s->{err}");
			return 0;
		}
		usleep(100_000);
	}
	return 0;
}

1;
