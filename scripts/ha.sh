#!/usr/bin/env bash
#
# scripts/ha.sh - a failover under load, with Patroni: one command (as root)
# that starts etcd and two PostgreSQL 15 nodes managed by Patroni, with
# pgmq_c preloaded and synchronous replication, runs the history checker's
# load (test/history/pgmqc-history) against the leader, kills the leader's
# postmaster (SIGKILL), lets Patroni promote the synchronous standby while
# the load goes on, then drains the queues, checks the history and prints
# the checker's verdict and the time without a writable leader.
#
# Usage: bash scripts/ha.sh [SECONDS [KILL_AFTER]]
#        the load runs SECONDS (default 30); the leader is killed KILL_AFTER
#        seconds after it began (default 8)
#
# Everything is on 127.0.0.1 (free ports from PGMQC_HA_PORT_BASE, default
# 58432, up) and in one throwaway directory, /tmp/pgmqc-ha.XXXXXX, owned by
# the unprivileged user of scripts/common.sh, who runs etcd, Patroni,
# PostgreSQL and the clients.  PostgreSQL: trust on its private unix socket
# only, scram-sha-256 with random passwords (in files of that directory,
# never on a command line) on TCP; Patroni's REST API asks a password for
# its unsafe requests.  etcd has no authentication: any local user could
# write to it while it runs.
#
# Patroni (Debian's 3.0.2) talks to etcd 3.4 through its v3 API ("etcd3:"),
# with ttl 10 s, loop_wait 1 s, retry_timeout 4 s, synchronous_mode (a
# commit returns once the synchronous standby has it; only that standby may
# be promoted) and primary_start_timeout 0 (a crashed primary is failed over
# at once rather than restarted in place, Patroni's default for 300 s).
#
# The time without a writable leader runs from the SIGKILL to the first
# answer "false" to pg_is_in_recovery() through the clients' multi-host
# connection string with target_session_attrs=read-write, polled every
# 100 ms.  Also printed: the first send the load committed after the kill;
# when the old leader streamed again from the new one (Patroni starts it as
# a standby, with pg_rewind when its WAL went further) and when it was the
# synchronous standby again; per queue, topic and group, the sends begun
# after the kill (ok, failed, unknown; the longest in flight) and the
# deliveries, so that a target the load could no longer use shows; Patroni's
# log lines of the failover; the ERROR, WARNING, FATAL and PANIC lines of
# the new leader's PostgreSQL log after the kill, counted.  The checker
# counts violations of the contract only: a send that failed is not one.
#
# Takes about a minute (20 s of set-up, the load, the drain, the stop);
# needs pgmq_c built and installed (built and installed when it is not),
# installs patroni and etcd-server when missing (and stops the services
# Debian's packages may start then).
#
# The exit status is 0 for the checker's "OK", 1 for violations or a failure.
# Settings: PGMQC_HA_PORT_BASE, PGMQC_KEEP=1 keeps the directory (logs of
# etcd, Patroni, PostgreSQL, the clients' histories), PGMQC_USER.
#
# (functions run from traps and wait_for; sh -c scripts in single quotes)
# shellcheck disable=SC2317,SC2016
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
pgmqc_require_root

LOAD_SECONDS=${1:-30}
KILL_AFTER=${2:-8}
[[ $LOAD_SECONDS =~ ^[0-9]+$ && $KILL_AFTER =~ ^[0-9]+$ ]] ||
	pgmqc_die "usage: bash scripts/ha.sh [SECONDS [KILL_AFTER]]"
if [ "$KILL_AFTER" -lt 2 ] || [ "$LOAD_SECONDS" -lt $((KILL_AFTER + 10)) ]; then
	pgmqc_die "KILL_AFTER must be at least 2 and SECONDS at least KILL_AFTER + 10"
fi

started=$(date +%s)
dir=
load_pid=
etcd_pid=
etcd_runuser=
patroni_pid=()
patroni_runuser=()

# ------------------------------------------------------------ helpers

now() { date +%s.%N; }
# elapsed FROM TO: TO - FROM in seconds, one decimal (two for short ones)
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { d = b - a; printf(d < 10 ? "%.2f" : "%.1f", d) }'; }

# http_status PORT PATH: the status code of GET http://127.0.0.1:PORT/PATH
# (000 when nothing answers).  bash's /dev/tcp, so that no client is needed.
http_status() {
	local code
	code=$(
		exec 2>/dev/null
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
		printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
		timeout 5 head -n 1 <&3 | awk '{ print $2 }'
	) || true
	echo "${code:-000}"
}

# The first free port from $1 up that is not in the list $2.
free_port() {
	local p=$1
	while [[ " $2 " == *" $p "* ]] || ! pgmqc_port_free "$p"; do p=$((p + 1)); done
	echo "$p"
}

# psql as the caller: the passwords are in $PGPASSFILE.
q() { timeout 10 psql -XAtq -v ON_ERROR_STOP=1 "$@"; }

# wait_for SECONDS WHAT CMD...: run CMD every 0.2 s until it succeeds; die
# after SECONDS.
wait_for() {
	local limit=$1 what=$2 until
	shift 2
	until=$((SECONDS + limit))
	until "$@"; do
		[ "$SECONDS" -lt "$until" ] || pgmqc_die "$what: not after $limit s"
		sleep 0.2
	done
}

# The node (1 or 2) whose Patroni holds the leader lock, or nothing.
leader_node() {
	local n
	for n in 1 2; do
		if [ "$(http_status "${rest_port[$n]}" /leader)" = 200 ]; then
			echo "$n"
			return
		fi
	done
}

# start_daemon NAME LOG CMD...: run CMD as the unprivileged user in the
# background; its pid (CMD's own, not runuser's) in $daemon_pid, runuser's
# in $daemon_runuser.
start_daemon() {
	local name=$1 log=$2
	shift 2
	(cd "$dir" && exec runuser -u "$PGMQC_USER" -- \
		sh -c 'echo $$ >"$0"; exec "$@"' "$dir/$name.pid" "$@" >"$log" 2>&1) &
	daemon_runuser=$!
	wait_for 10 "$name did not start" test -s "$dir/$name.pid"
	daemon_pid=$(cat "$dir/$name.pid")
}

# stop_pid PID SECONDS: SIGTERM, then SIGKILL if it is still there after
# SECONDS.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	stop_pid_after "$1" "$2" KILL
}

# stop_pid_after PID SECONDS [SIGNAL]: wait up to SECONDS for PID to end,
# then send it SIGNAL (default TERM).
stop_pid_after() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	pgmqc_log "pid $1 did not stop: SIG${3:-TERM}"
	kill "-${3:-TERM}" "$1" 2>/dev/null || true
}

cleanup() {
	local rc=$? n pid
	set +e
	trap - EXIT INT TERM
	if [ -n "$load_pid" ]; then
		# the clients stop at their next operation; one may be in a
		# request that takes long
		[ ! -d "$dir/load" ] || : >"$dir/load/stop"
		stop_pid_after "$load_pid" 30
		wait "$load_pid" 2>/dev/null
	fi
	# Patroni stops its PostgreSQL when it stops: both at once.
	for pid in "${patroni_pid[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${patroni_pid[@]}"; do stop_pid "$pid" 60; done
	for pid in "${patroni_runuser[@]}"; do wait "$pid" 2>/dev/null; done
	# a PostgreSQL left behind (Patroni killed): stop it
	for n in 1 2; do
		if [ -n "$dir" ] && [ -f "$dir/node$n/data/postmaster.pid" ]; then
			(cd "$dir" && runuser -u "$PGMQC_USER" -- pg_ctl -D "$dir/node$n/data" \
				-m immediate -w -s stop) >/dev/null 2>&1
		fi
	done
	if [ -n "$etcd_pid" ]; then
		stop_pid "$etcd_pid" 20
		wait "$etcd_runuser" 2>/dev/null
	fi
	if [ -n "$dir" ]; then
		if [ "${PGMQC_KEEP:-0}" = 1 ]; then
			pgmqc_log "kept $dir"
		else
			rm -rf "$dir"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ set-up

# Debian's packages ship services (etcd on 127.0.0.1:2379, Patroni with
# /etc/patroni/config.yml); when this installs them and the package
# started them, stop them: the nodes here are our own.
fresh=()
for p in etcd-server patroni; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = \
		"install ok installed" ] || fresh+=("$p")
done
pgmqc_install_deps patroni etcd-server
for p in "${fresh[@]}"; do
	svc=${p%-server}
	if [ -x "/etc/init.d/$svc" ] && service "$svc" status >/dev/null 2>&1; then
		pgmqc_log "stopping the $svc service the package started"
		service "$svc" stop >/dev/null 2>&1 || true
	fi
done
if [ ! -e "$(pg_config --pkglibdir)/pgmq_c.so" ]; then
	pgmqc_log "pgmq_c not installed: scripts/common.sh pgmqc_build_install"
	pgmqc_build_install
fi
pgmqc_user

dir=$(mktemp -d /tmp/pgmqc-ha.XXXXXX)
chown "$PGMQC_USER:" "$dir"
chmod 700 "$dir"
cd "$dir" # the user may not be able to read the caller's directory
pgmqc_log "working in $dir"

# the checker, where the user can read it
mkdir "$dir/history"
cp "$PGMQC_ROOT/test/history/pgmqc-history" "$PGMQC_ROOT/test/history/PgmqcHistory.pm" \
	"$dir/history/"

# ports: etcd client and peer, PostgreSQL and REST API of each node
declare -A pg_port rest_port
taken=
port=${PGMQC_HA_PORT_BASE:-58432}
for what in etcd_client etcd_peer pg1 pg2 rest1 rest2; do
	port=$(free_port "$port" "$taken")
	taken="$taken $port"
	case $what in
	etcd_client) etcd_client=$port ;;
	etcd_peer) etcd_peer=$port ;;
	pg?) pg_port[${what#pg}]=$port ;;
	rest?) rest_port[${what#rest}]=$port ;;
	esac
done

# passwords: random, told to nobody; the clients read them from a pgpass file
pw() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
su_pw=$(pw)
repl_pw=$(pw)
rest_pw=$(pw)
umask 077
printf '127.0.0.1:*:*:postgres:%s\n' "$su_pw" >"$dir/client.pgpass"
export PGPASSFILE=$dir/client.pgpass

for n in 1 2; do
	mkdir "$dir/node$n"
	cat >"$dir/node$n.yml" <<-EOF
		scope: pgmqc-ha
		namespace: /pgmqc-ha/
		name: node$n
		restapi:
		  listen: 127.0.0.1:${rest_port[$n]}
		  connect_address: 127.0.0.1:${rest_port[$n]}
		  authentication:
		    username: patroni
		    password: $rest_pw
		etcd3:
		  hosts: 127.0.0.1:$etcd_client
		bootstrap:
		  dcs:
		    ttl: 10
		    loop_wait: 1
		    retry_timeout: 4
		    maximum_lag_on_failover: 1048576
		    primary_start_timeout: 0
		    synchronous_mode: true
		    postgresql:
		      use_pg_rewind: true
		      use_slots: true
		      parameters:
		        shared_preload_libraries: pgmq_c
		        max_connections: 100
		        wal_keep_size: 256MB
		  initdb:
		    - encoding: UTF8
		    - locale: C
		    - auth-local: trust
		    - auth-host: scram-sha-256
		postgresql:
		  listen: 127.0.0.1:${pg_port[$n]}
		  connect_address: 127.0.0.1:${pg_port[$n]}
		  data_dir: $dir/node$n/data
		  bin_dir: $PGMQC_PGBIN
		  pgpass: $dir/node$n/pgpass
		  remove_data_directory_on_rewind_failure: true
		  remove_data_directory_on_diverged_timelines: true
		  authentication:
		    superuser:
		      username: postgres
		      password: $su_pw
		    replication:
		      username: replicator
		      password: $repl_pw
		    rewind:
		      username: postgres
		      password: $su_pw
		  parameters:
		    unix_socket_directories: $dir/node$n
		    logging_collector: 'on'
		    log_directory: $dir/node$n/log
		    log_line_prefix: '%m [%p] '
		  pg_hba:
		    - local all all trust
		    - host all postgres 127.0.0.1/32 scram-sha-256
		    - host replication replicator 127.0.0.1/32 scram-sha-256
		watchdog:
		  mode: 'off'
	EOF
done
umask 022
chown -R "$PGMQC_USER:" "$dir"

# ------------------------------------------------------------ etcd

pgmqc_log "etcd 3.4 on 127.0.0.1:$etcd_client"
start_daemon etcd "$dir/etcd.log" etcd --name pgmqc-ha --data-dir "$dir/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_client" \
	--advertise-client-urls "http://127.0.0.1:$etcd_client" \
	--listen-peer-urls "http://127.0.0.1:$etcd_peer" \
	--initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
	--initial-cluster "pgmqc-ha=http://127.0.0.1:$etcd_peer" \
	--initial-cluster-token "pgmqc-ha-$$" --initial-cluster-state new
etcd_pid=$daemon_pid
etcd_runuser=$daemon_runuser
etcd_up() { [ "$(http_status "$etcd_client" /health)" = 200 ]; }
wait_for 30 "etcd did not come up (see $dir/etcd.log)" etcd_up

# ------------------------------------------------------------ Patroni

start_patroni() {
	start_daemon "patroni$1" "$dir/node$1/patroni.log" /usr/bin/patroni "$dir/node$1.yml"
	patroni_pid+=("$daemon_pid")
	patroni_runuser+=("$daemon_runuser")
}

pgmqc_log "Patroni node1 (PostgreSQL on 127.0.0.1:${pg_port[1]}): bootstrap"
start_patroni 1
node1_leads() { [ "$(leader_node)" = 1 ] && q -h 127.0.0.1 -p "${pg_port[1]}" -U postgres \
	-d postgres -c 'SELECT 1' >/dev/null 2>&1; }
wait_for 90 "node1 did not become the leader (see $dir/node1/patroni.log)" node1_leads

pgmqc_log "Patroni node2 (PostgreSQL on 127.0.0.1:${pg_port[2]}): replica"
start_patroni 2
node2_sync() {
	[ "$(q -h 127.0.0.1 -p "${pg_port[1]}" -U postgres -d postgres -c \
		"SELECT sync_state FROM pg_stat_replication WHERE application_name = 'node2'" \
		2>/dev/null)" = sync ] && [ "$(http_status "${rest_port[2]}" /sync)" = 200 ]
}
wait_for 90 "node2 did not become the synchronous standby (see $dir/node2/patroni.log)" node2_sync

patronictl_list() { runuser -u "$PGMQC_USER" -- /usr/bin/patronictl -c "$dir/node1.yml" list 2>/dev/null; }
patronictl_list >&2

conn="host=127.0.0.1,127.0.0.1 port=${pg_port[1]},${pg_port[2]} dbname=postgres user=postgres target_session_attrs=read-write"
q "$conn" -c 'CREATE EXTENSION pgmq_c'
runuser -u "$PGMQC_USER" -- perl "$dir/history/pgmqc-history" setup "$conn"
pgmqc_log "pgmq_c: $(q "$conn" -c "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'"), \
shared_preload_libraries: $(q "$conn" -c "SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'"), \
synchronous_standby_names: $(q "$conn" -c 'SHOW synchronous_standby_names')"

# ------------------------------------------------------------ load, kill, failover

pgmqc_log "load: 4 producers, 4 consumers for $LOAD_SECONDS s through \"$conn\""
runuser -u "$PGMQC_USER" -- perl "$dir/history/pgmqc-history" load "$conn" "$dir/load" \
	"$LOAD_SECONDS" &
load_pid=$!
load_start=$(now)
sleep "$KILL_AFTER"

old=$(leader_node)
[ -n "$old" ] || pgmqc_die "no leader before the kill"
pid=$(head -n 1 "$dir/node$old/data/postmaster.pid")
kill -KILL "$pid"
kill_at=$(now)
pgmqc_log "killed the leader's postmaster: node$old, pid $pid, $(elapsed "$load_start" "$kill_at") s into the load"

# Poll every 100 ms for a node that takes writes, through the clients'
# connection string.
until [ "$(q "$conn connect_timeout=1" -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ]; do
	[ "$(elapsed "$kill_at" "$(now)" | cut -d. -f1)" -lt 60 ] ||
		pgmqc_die "no writable leader 60 s after the kill"
	sleep 0.1
done
writable=$(elapsed "$kill_at" "$(now)")
new_port=$(q "$conn" -c 'SELECT inet_server_port()')
new=$([ "$new_port" = "${pg_port[1]}" ] && echo 1 || echo 2)
pgmqc_log "node$new takes writes $writable s after the kill"

# The old leader coming back as a standby of the new one (Patroni starts
# it again, with pg_rewind when its WAL went further than the new
# leader's): poll while the load runs, and until it is synchronous again,
# at most 90 s after the kill.
streaming=
sync=
while kill -0 "$load_pid" 2>/dev/null ||
	{ [ -z "$sync" ] && [ "$(elapsed "$kill_at" "$(now)" | cut -d. -f1)" -lt 90 ]; }; do
	state=$(q "$conn connect_timeout=1" -F ' ' -c \
		"SELECT state, sync_state FROM pg_stat_replication WHERE application_name = 'node$old'" \
		2>/dev/null || true)
	if [ -z "$streaming" ] && [[ $state == streaming* ]]; then
		streaming=$(elapsed "$kill_at" "$(now)")
		pgmqc_log "node$old streams from node$new ($state) $streaming s after the kill"
	fi
	if [ -z "$sync" ] && [ "$state" = "streaming sync" ]; then
		sync=$(elapsed "$kill_at" "$(now)")
		pgmqc_log "node$old is the synchronous standby $sync s after the kill"
	fi
	sleep 0.2
done
wait "$load_pid" || pgmqc_die "the load failed"
load_pid=
load_took=$(elapsed "$load_start" "$(now)")
pgmqc_log "load done ($load_took s)"

# ------------------------------------------------------------ drain, check

pgmqc_log "drain"
runuser -u "$PGMQC_USER" -- perl "$dir/history/pgmqc-history" drain "$conn" "$dir/load" >&2
check_rc=0
verdict=$(runuser -u "$PGMQC_USER" -- perl "$dir/history/pgmqc-history" check "$dir/load") ||
	check_rc=$?

# The load after the kill, per target, from the clients' logs: sends
# begun after it (ok, failed, unknown), the first one committed, the
# longest send in flight after it; deliveries begun after it.
after_kill=$(cat "$dir"/load/producer-*.log "$dir"/load/consumer-*.log | awk -F '\t' -v k="$kill_at" '
	$3 == "send" && $1 > k { n[$4, $8]++; t[$4] = 1
		if ($8 == "ok" && (first[$4] == "" || $2 < first[$4])) first[$4] = $2 }
	$3 == "send" && $2 > k && $2 - $1 > longest[$4] { longest[$4] = $2 - $1; t[$4] = 1 }
	$3 == "deliver" && $1 > k { d[$4]++; r[$4] = 1 }
	END {
		for (x in t)
			printf("  sends to %-5s %4d ok, %d failed, %d unknown; first committed %s; longest %.2f s%s\n",
				x, n[x, "ok"], n[x, "failed"], n[x, "unknown"],
				first[x] == "" ? "never" : sprintf("%.2f s after the kill", first[x] - k),
				longest[x], n[x, "ok"] ? "" : "   <- no send to it committed after the kill")
		for (x in r)
			printf("  deliveries from %-8s %4d\n", x, d[x])
	}' | sort)
first_send=$(cat "$dir"/load/producer-*.log | awk -F '\t' -v k="$kill_at" '
	$3 == "send" && $8 == "ok" && $1 > k && (m == "" || $2 < m) { m = $2 }
	END { if (m != "") printf("%.2f", m - k) }')

# Patroni's account of the failover, both nodes' logs merged (their lines
# begin with the local time)
since=$(date -d "@${kill_at%.*}" '+%F %T')
patroni_log=$(for n in 1 2; do
	grep -E 'Primary crashed|Demoting self|Leader key released|promoted self|pg_rewind exit|running pg_rewind from node|starting as a secondary|Synchronous standby status assigned|to fail over after a crash' \
		"$dir/node$n/patroni.log" | sed "s/^\([0-9-]* [0-9:,]*\) /\1 node$n /" || true
done | awk -v s="$since" '$1 " " substr($2, 1, 8) >= s' | sort -s -k1,2 | awk '!seen[$3 $4 $5 $6 $7 $8]++')
# errors of the new leader's PostgreSQL after the kill, counted
pg_errors=$(cat "$dir/node$new/log/"*.log 2>/dev/null | awk -v s="$since" '$1 " " substr($2, 1, 8) >= s' |
	grep -E '^[0-9-]+ [0-9:.]+ [A-Z]+ \[[0-9]+\] (ERROR|WARNING|FATAL|PANIC):' |
	sed -E 's/^[0-9-]+ [0-9:.]+ [A-Z]+ \[[0-9]+\] //' | sort | uniq -c | sort -rn | head -n 8 |
	sed -E 's/^ *([0-9]+) /\1 x /' || true)
final_list=$(patronictl_list || true)
timeline=$(q "$conn" -c \
	"SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int" \
	2>/dev/null || true)
indent() { sed 's/^/  /'; }

cat <<EOF

== failover under load: $(date -u '+%Y-%m-%d %H:%M UTC'), Patroni $(/usr/bin/patroni --version | awk '{ print $2 }'), etcd $(etcd --version | awk 'NR == 1 { print $3 }'), PostgreSQL $(q "$conn" -c 'SHOW server_version' | awk '{ print $1 }'), pgmq_c $(q "$conn" -c "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'")
load: 4 producers, 4 consumers, $LOAD_SECONDS s (it took $load_took s); SIGKILL of the leader's postmaster $(elapsed "$load_start" "$kill_at") s into it
leader before: node$old (127.0.0.1:${pg_port[$old]})
leader after:  node$new (127.0.0.1:${pg_port[$new]}), timeline $timeline$([ "$new" != "$old" ] || echo ' (the same node: no failover)')
time without a writable leader: $writable s (SIGKILL to the first pg_is_in_recovery() = false, polled every 100 ms)
first send committed by the load after the kill: ${first_send:-none} s after it
old leader node$old streaming from node$new: ${streaming:-no}${streaming:+ s after the kill}; synchronous standby: ${sync:-no}${sync:+ s after the kill}
the load after the kill:
$after_kill
Patroni (both nodes' logs, from the kill):
$(indent <<<"$patroni_log")
errors in node$new's PostgreSQL log after the kill:
$(if [ -n "$pg_errors" ]; then indent <<<"$pg_errors"; else echo '  none'; fi)
patronictl list at the end:
$(indent <<<"$final_list")
checker:
$(indent <<<"$verdict")
duration of this script: $(($(date +%s) - started)) s
EOF
exit "$check_rc"
