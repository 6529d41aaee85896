#!/usr/bin/env bash
# bench/router.sh -- the cost of routing through pgmq_c_router (issue 16).
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/router.sh
#
# (about 6 minutes on 2 cores).  It needs pgmq_c built and installed and
# postgresql-15-plproxy (installed when missing); the cluster is the one
# bench/lib.sh starts for bench/run.sh (an unprivileged OS user when run as
# root, a free port >= 56432 or BENCH_PORT, a private unix socket only),
# stopped and removed at the end.
#
# One node: the bench database, with pgmq_c and queue rbench.  The router:
# database bench_router of the same cluster, with pgmq_c_router and server
# pgmq_c_cluster whose only partition p0 is the bench database (over the
# unix socket).  Each case runs pgbench -M prepared for ROUTER_SECONDS,
# directly on the node and through the router, interleaved, ROUTER_RUNS
# times, at 1 and 4 clients:
#   send1   send 1 message (autocommit)
#   rd1     read 1, then delete it (two autocommit statements: through the
#           router each call commits on the node by itself)
# It prints medians of messages/s, the ratio router / direct, and the CPU
# each call costs on each side, measured from /proc (utime + stime of the
# backends of each database over the middle of each run, divided by the
# calls made meanwhile): the router's backends (plpgsql, PL/Proxy, libpq)
# and the node's (pgmq_c).  docs/scale-out.md and docs/benchmarks.md turn
# these into a model of N nodes.  Both databases share this machine's two
# cores: the ratio is the overhead when router and node compete for the same
# CPUs, the worst case; on separate machines the router adds its latency,
# not its CPU, to the node's.
#
# Environment:
#   ROUTER_RUNS=3           runs per case and side
#   ROUTER_SECONDS=10       seconds per run
#   ROUTER_CLIENTS="1 4"    client counts
#   BENCH_OUT=dir           raw output, results.tsv and summary.txt
#                           (default /tmp/pgmqc-router-<UTC timestamp>)
#   and those listed at the top of bench/lib.sh

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUTER_RUNS=${ROUTER_RUNS:-3}
ROUTER_SECONDS=${ROUTER_SECONDS:-10}
ROUTER_CLIENTS=${ROUTER_CLIENTS:-1 4}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-router-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
[ "$ROUTER_SECONDS" -ge 5 ] || die "ROUTER_SECONDS must be at least 5"

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt

bench_start
bench_up

bench_banner "pgmq_c_router benchmark: one node, directly and through the router"

NODE_DB=$PGDATABASE
ROUTER_DB=${NODE_DB}_router
sql -c "DROP DATABASE IF EXISTS $ROUTER_DB" -c "CREATE DATABASE $ROUTER_DB" >/dev/null
sql -d "$ROUTER_DB" >/dev/null <<EOF
CREATE EXTENSION pgmq_c_router CASCADE;
CREATE SERVER pgmq_c_cluster FOREIGN DATA WRAPPER plproxy
	OPTIONS (p0 'host=$PGHOST port=$PGPORT dbname=$NODE_DB');
CREATE USER MAPPING FOR CURRENT_USER SERVER pgmq_c_cluster;
EOF
sql -c "SELECT pgmq_c.create_queue('rbench')" >/dev/null
[ "$(psql -qXAt -d "$ROUTER_DB" -c "SELECT pgmq_c_router.node_count()")" = 1 ] ||
	die "the router does not see its node"

# cpu_of DB: utime + stime (clock ticks) of the client backends of DB now,
# as "pid ticks" lines
cpu_of() {
	local pid
	for pid in $(sqlv "SELECT pid FROM pg_stat_activity WHERE datname = '$1' AND backend_type = 'client backend' AND pid <> pg_backend_pid()"); do
		[ -r "/proc/$pid/stat" ] || continue
		awk -v p="$pid" '{ sub(/^.*\) /, ""); print p, $12 + $13 }' "/proc/$pid/stat"
	done
}
# ticks_between BEFORE AFTER: CPU ticks of the pids present in both
ticks_between() {
	awk 'NR == FNR { a[$1] = $2; next } ($1 in a) { t += $2 - a[$1] } END { print t + 0 }' "$1" "$2"
}

# run_case CASE SIDE CLIENTS R: one run; records msg/s and the CPU
# (microseconds per call) of the router's and the node's backends
run_case() {
	local case=$1 side=$2 c=$3 r=$4 db tag calls_per_tx mid hz=100
	hz=$(getconf CLK_TCK)
	db=$NODE_DB
	[ "$side" = router ] && db=$ROUTER_DB
	calls_per_tx=1
	[ "$case" = rd1 ] && calls_per_tx=2
	if [ "$case" = rd1 ]; then
		sql -c "SELECT pgmq_c.purge_queue('rbench')" >/dev/null
		sql -c "DO \$\$ BEGIN FOR i IN 1 .. 60 LOOP PERFORM pgmq_c.send_batch('rbench', array_fill('$BENCH_MSG'::jsonb, ARRAY[1000])); END LOOP; END \$\$" >/dev/null
		sql -c "VACUUM ANALYZE" >/dev/null
	fi
	tag=${case}_${side}_c${c}_r$r
	mid=$((ROUTER_SECONDS - 4))
	PGDATABASE=$db pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/router_${case}_$side.sql" "$c" "$ROUTER_SECONDS" &
	local pb=$!
	sleep 2
	cpu_of "$ROUTER_DB" >"$BENCH_OUT/$tag.r0"
	cpu_of "$NODE_DB" >"$BENCH_OUT/$tag.n0"
	local x0 x1
	x0=$(sqlv "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'")
	sleep "$mid"
	x1=$(sqlv "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'")
	cpu_of "$ROUTER_DB" >"$BENCH_OUT/$tag.r1"
	cpu_of "$NODE_DB" >"$BENCH_OUT/$tag.n1"
	wait "$pb" || true
	# pgbench_run ran in a subshell: read its figures back from its output
	local tps ok=1
	tps=$(awk '/^tps = /{print $3; exit}' "$BENCH_OUT/$tag.out")
	if [ -z "$tps" ] || grep -qE 'aborted|ERROR' "$BENCH_OUT/$tag.out"; then
		ok=0
		log "WARNING: $tag failed; see $BENCH_OUT/$tag.out"
	fi
	# calls in the window: the transactions committed in the caller's
	# database (each autocommit statement is one; the router's own calls
	# and the monitoring queries are a few more, counted as calls too)
	local calls rt nt
	calls=$((x1 - x0))
	[ "$calls" -gt 0 ] || calls=1
	rt=$(ticks_between "$BENCH_OUT/$tag.r0" "$BENCH_OUT/$tag.r1")
	nt=$(ticks_between "$BENCH_OUT/$tag.n0" "$BENCH_OUT/$tag.n1")
	local rus nus
	rus=$(awk -v t="$rt" -v hz="$hz" -v n="$calls" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
	nus=$(awk -v t="$nt" -v hz="$hz" -v n="$calls" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
	local rate
	rate=$(awk -v t="${tps:-0}" 'BEGIN { printf "%.1f", t }')
	record "$case" "$side" "$c" "$r" "$ok" "$rate" "$rus" "$nus" "$calls_per_tx"
	log "  $tag: $(fmt "$rate") msg/s; CPU per call: router $rus us, node $nus us"
}

for c in $ROUTER_CLIENTS; do
	for r in $(seq 1 "$ROUTER_RUNS"); do
		for case in send1 rd1; do
			for side in $(rotate "$r" direct router); do
				run_case "$case" "$side" "$c" "$r"
			done
		done
	done
done

med() { awk -F'\t' -v a="$1" -v b="$2" -v c="$3" -v col="$4" '$1==a && $2==b && $3==c && $5==1 {print $col}' "$RESULTS" | median; }
runs() { awk -F'\t' -v a="$1" -v b="$2" -v c="$3" '$1==a && $2==b && $3==c && $5==1 {printf "%s ", $6}' "$RESULTS"; }

table_head "Messages/s, medians of $ROUTER_RUNS interleaved runs of $ROUTER_SECONDS s (pgbench -M prepared); CPU per call (microseconds, medians) of the router's backends and the node's" \
	"| case | clients | direct msg/s | router msg/s | router / direct | router CPU/call (routed) | node CPU/call (routed) | node CPU/call (direct) | runs direct / router |" \
	"|---|---:|---:|---:|---:|---:|---:|---:|---|"
for c in $ROUTER_CLIENTS; do
	for case in send1 rd1; do
		d=$(med "$case" direct "$c" 6)
		rr=$(med "$case" router "$c" 6)
		name="send 1"
		[ "$case" = rd1 ] && name="read 1 + delete 1"
		out "| $name | $c | $(fmt "$d") | $(fmt "$rr") | $(ratio "$rr" "$d") | $(med "$case" router "$c" 7) | $(med "$case" router "$c" 8) | $(med "$case" direct "$c" 8) | $(runs "$case" direct "$c")/ $(runs "$case" router "$c")|"
	done
done
out ""
out "A message of read 1 + delete 1 is two calls; CPU per call is per autocommit statement."
out "1-minute load average during the run: min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
sql -c "DROP DATABASE IF EXISTS $ROUTER_DB WITH (FORCE)" >/dev/null
log "done; summary in $SUMMARY"
