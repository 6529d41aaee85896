# 031_pgmq_js.pl: a real pgmq client against pgmq_c_compat.
#
# Installs the npm package pgmq-js (a JavaScript client written for pgmq
# 1.x) from the npm registry into a temporary directory, with Node from the
# system, and runs a script that uses only pgmq-js's own API against a
# cluster where CREATE EXTENSION pgmq_c_compat made schema pgmq: create a
# queue (and an unlogged one), send, send with a delay, send a batch, read
# with a visibility timeout (the message comes back after it), read a
# batch, set_vt, delete (one and a batch), archive (one and a batch), pop,
# metrics, metrics of all queues, list, purge, detach_archive and drop.  The
# script prints what the client returned as JSON; the checks are here.
# The only setting the client needs is skipExtensionCreation (pgmq-js
# otherwise runs CREATE EXTENSION pgmq, which is not installed) and ssl:
# false (its default is true).
#
# Skipped, saying why, only when npm is missing or the registry cannot be
# reached.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use PgmqcTest;
use IPC::Run;
use JSON::PP;

my $dir = PostgreSQL::Test::Utils::tempdir;
# npm as an unprivileged user: its home and cache in the temporary directory
local $ENV{HOME} = $dir;
local $ENV{npm_config_cache} = "$dir/npm-cache";
local $ENV{npm_config_update_notifier} = 'false';
local $ENV{npm_config_fund} = 'false';
local $ENV{npm_config_audit} = 'false';

sub run_cmd
{
	my ($secs, @cmd) = @_;
	my ($out, $err) = ('', '');
	my $ok = eval {
		IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err,
			IPC::Run::timeout($secs));
	};
	$err .= $@ if $@;
	return ($ok ? 1 : 0, $out, $err);
}

my ($have_node) = run_cmd(30, 'node', '--version');
my ($have_npm) = run_cmd(60, 'npm', '--version');
plan skip_all => 'node or npm not installed (Debian: apt-get install nodejs npm)'
  unless $have_node && $have_npm;

my ($installed, $iout, $ierr) = run_cmd(
	300, 'npm', 'install', '--prefix', $dir, '--no-save',
	'--loglevel=error', 'pgmq-js@1');
if (!$installed)
{
	my ($pinged, undef, $perr) = run_cmd(60, 'npm', 'ping');
	my ($why) = $perr =~ /(FetchError: [^\n]*|code \S+)/;
	$why //= substr($perr =~ s/\s+/ /gr, 0, 200);
	plan skip_all => "npm registry unreachable: npm ping: $why" unless $pinged;
	BAIL_OUT("npm install pgmq-js failed although the registry answers: $ierr");
}
my $version = decode_json(
	slurp_file("$dir/node_modules/pgmq-js/package.json"))->{version};
note "pgmq-js $version installed from the npm registry";

my $node = pgmqc_node('pgmq_js');
$node->safe_psql('postgres', 'CREATE EXTENSION pgmq_c_compat');
my $user = getpwuid($<);

# the client script: pgmq-js's API only
my $script = <<'EOF';
const { Pgmq } = require('pgmq-js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const strip = (m) => m === undefined || m === null ? null
	: { msgId: m.msgId, readCount: m.readCount, message: m.message,
	    vtFuture: m.vt.getTime() > Date.now(), enqueuedOk: !isNaN(m.enqueuedAt.getTime()) };
(async () => {
	const [host, port, user] = process.argv.slice(2);
	const pgmq = await Pgmq.new(
		{ host, port: Number(port), user, database: 'postgres', password: '', ssl: false },
		{ skipExtensionCreation: true });
	const r = {};
	const q = 'js_jobs';
	await pgmq.queue.create(q);
	await pgmq.queue.createUnlogged('js_fast');
	r.list = (await pgmq.queue.list()).map((x) => [x.name, x.isPartitioned, x.isUnlogged]);

	r.sent = await pgmq.msg.send(q, { id: 1, name: 'first' });
	r.delayed = await pgmq.msg.send(q, { id: 2, name: 'later' }, 3);
	r.batch = await pgmq.msg.sendBatch(q, [{ id: 3 }, { id: 4 }, { id: 5 }]);

	// read with a visibility timeout of 2 s: hidden meanwhile, back after it
	r.read1 = strip(await pgmq.msg.read(q, 2));
	r.readBatch = (await pgmq.msg.readBatch(q, 30, 10)).map(strip);
	r.readEmpty = strip(await pgmq.msg.read(q, 30));
	await sleep(3500);
	// the first message is back (read_ct 2), then the delayed one is due
	r.readAgain = (await pgmq.msg.readBatch(q, 30, 5)).map(strip);

	r.setVt = strip(await pgmq.msg.setVt(q, r.sent, 0));
	r.deleted = await pgmq.msg.delete(q, r.sent);
	r.deletedAgain = await pgmq.msg.delete(q, r.sent);
	r.deleteBatch = await pgmq.msg.deleteBatch(q, [r.batch[0], 999]);
	r.archived = await pgmq.msg.archive(q, r.batch[1]);
	r.archiveBatch = await pgmq.msg.archiveBatch(q, [r.batch[2], 998]);

	r.popSent = await pgmq.msg.send(q, { id: 6, name: 'pop me' });
	r.pop = strip(await pgmq.msg.pop(q));
	r.popEmpty = strip(await pgmq.msg.pop(q));

	await pgmq.msg.sendBatch(q, [{ id: 7 }, { id: 8 }]);
	const m = await pgmq.queue.getMetrics(q);
	r.metrics = { queueName: m.queueName, queueLength: m.queueLength,
	              totalMessages: m.totalMessages,
	              agesOk: m.newestMsgAgeSec >= 0 && m.oldestMsgAgeSec >= m.newestMsgAgeSec,
	              scrapeOk: !isNaN(m.scrapeTime.getTime()) };
	r.allMetrics = (await pgmq.queue.getAllMetrics())
		.map((x) => [x.queueName, x.queueLength]).sort();
	await pgmq.queue.purge(q);
	r.afterPurge = (await pgmq.queue.getMetrics(q)).queueLength;
	await pgmq.queue.detachArchive(q);

	await pgmq.queue.drop(q);
	await pgmq.queue.drop('js_fast');
	r.listAfterDrop = (await pgmq.queue.list()).map((x) => x.name);
	await pgmq.close();
	console.log(JSON.stringify(r));
})().catch((e) => { console.error(e); process.exit(1); });
EOF
open my $fh, '>', "$dir/client.js" or die $!;
print $fh $script;
close $fh;

my ($ran, $out, $err) = run_cmd(120, 'node', "$dir/client.js", $node->host,
	$node->port, $user);
ok($ran, 'the pgmq-js script ran') or diag("stdout: $out\nstderr: $err");
my $r = eval { decode_json($out) } // {};

is_deeply(
	$r->{list},
	[
		[ 'js_fast', JSON::PP::false, JSON::PP::true ],
		[ 'js_jobs', JSON::PP::false, JSON::PP::false ]
	],
	'queue.create and queue.createUnlogged; queue.list parses list_queues');
is($r->{sent}, 1, 'msg.send returns the msg_id');
is($r->{delayed}, 2, 'msg.send with a delay');
is_deeply($r->{batch}, [ 3, 4, 5 ], 'msg.sendBatch returns the msg_ids in order');

my $msg = sub {
	my ($id, $rc, $body) = @_;
	return { msgId => $id, readCount => $rc, message => $body,
		vtFuture => JSON::PP::true, enqueuedOk => JSON::PP::true };
};
is_deeply($r->{read1}, $msg->(1, 1, { id => 1, name => 'first' }),
	'msg.read with vt 2: the oldest message, leased');
is_deeply($r->{readBatch},
	[ $msg->(3, 1, { id => 3 }), $msg->(4, 1, { id => 4 }), $msg->(5, 1, { id => 5 }) ],
	'msg.readBatch: the visible messages (the leased and the delayed one left out)');
is($r->{readEmpty}, undef, 'nothing visible: msg.read returns nothing');
is_deeply($r->{readAgain},
	[ $msg->(1, 2, { id => 1, name => 'first' }), $msg->(2, 1, { id => 2, name => 'later' }) ],
	'after the visibility timeout the message is back (read count 2); the delayed one is due');
is_deeply(
	$r->{setVt},
	{ msgId => 1, readCount => 2, message => { id => 1, name => 'first' },
		vtFuture => JSON::PP::false, enqueuedOk => JSON::PP::true },
	'msg.setVt to 0 makes it visible');
ok($r->{deleted}, 'msg.delete: true');
ok(defined $r->{deletedAgain} && !$r->{deletedAgain}, 'msg.delete again: false');
is_deeply($r->{deleteBatch}, [3], 'msg.deleteBatch: the ids deleted');
ok($r->{archived}, 'msg.archive: true');
is_deeply($r->{archiveBatch}, [5], 'msg.archiveBatch: the ids archived');
is($r->{popSent}, 6, 'send before pop');
# msg 2 is still leased (30 s) by readAgain: pop takes 6
is($r->{pop}{msgId}, 6, 'msg.pop: the oldest visible message');
is_deeply($r->{pop}{message}, { id => 6, name => 'pop me' }, 'msg.pop: its body');
is($r->{popEmpty}, undef, 'msg.pop on a queue with nothing visible');
is($r->{metrics}{queueName}, 'js_jobs', 'queue.getMetrics: the queue');
# left: 2 (leased), 7, 8
is($r->{metrics}{queueLength}, 3, 'queue.getMetrics: queue length');
is($r->{metrics}{totalMessages}, 8, 'queue.getMetrics: total messages');
ok($r->{metrics}{agesOk} && $r->{metrics}{scrapeOk}, 'queue.getMetrics: ages and scrape time');
is_deeply($r->{allMetrics}, [ [ 'js_fast', 0 ], [ 'js_jobs', 3 ] ],
	'queue.getAllMetrics: every queue');
is($r->{afterPurge}, 0, 'queue.purge empties the queue');
is_deeply($r->{listAfterDrop}, [], 'queue.drop drops both queues');

# what the client left behind, seen through pgmq_c
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmq_c.list_queues()'),
	'0', 'no queue left in pgmq_c');

$node->stop;
done_testing();
