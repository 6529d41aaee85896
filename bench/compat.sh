#!/usr/bin/env bash
# bench/compat.sh -- pgmq_c_compat (pgmq 1.x's API in schema pgmq) against
# pgmq_c's own API (issue 14).
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/compat.sh
#
# (about 8 minutes on 2 cores).  It needs pgmq_c built and installed (make
# install installs pgmq_c_compat with it); the cluster is the one
# bench/lib.sh starts for bench/run.sh (an unprivileged OS user when run as
# root, a free port >= 56432 or BENCH_PORT, 127.0.0.1 and a private unix
# socket only, shared_preload_libraries = 'pgmq_c', shared_buffers = 1GB),
# stopped and removed at the end.  Everything runs with pgbench -n -M
# prepared; the clients run with synchronous_commit = off (PGOPTIONS; the
# server keeps on), so that a transaction's cost is its CPU rather than the
# wait for its WAL flush, which would hide what the wrappers cost.
# Repeated runs are interleaved (the order of the two sides alternates from
# run to run) and every figure printed is a median.
#
# The two sides, each its own queue (both pgmq_c queues), made once:
#   pgmq_c  pgmq_c.create_queue('cmp_native'), used with pgmq_c's functions
#   pgmq    pgmq.create('cmp_compat'), used with pgmq_c_compat's functions
#           (plpgsql wrappers with a pinned search_path)
#
#   Part 1  send 1 message per transaction (autocommit):
#           SELECT pgmq_c.send(:queue, :msg::jsonb) against
#           SELECT * FROM pgmq.send(:queue, :msg::jsonb, 0) (as pgmq-js
#           calls it); the queue is purged, vacuumed and checkpointed
#           before each run.
#   Part 2  read 1 (30 s lease) + delete it by msg_id in one transaction:
#           pgmq_c.read(:queue, '30 seconds', 1) + pgmq_c.delete against
#           pgmq.read(:queue, 30, 1) + pgmq.delete.  Before each run the
#           queue is purged and preloaded with COMPAT_FILL messages,
#           vacuumed and checkpointed; a run that drains its queue is not
#           counted.
#   Figures, per part and clients: msg/s of each side (messages sent or
#   consumed over pgbench's elapsed time), the ratio pgmq / pgmq_c of the
#   medians and the median of the per-run ratios (run r of both sides,
#   back to back).
#
# Environment:
#   COMPAT_PARTS="1 2"      which parts to run (1 send, 2 read + delete)
#   COMPAT_RUNS=5           runs per part, clients and side
#   COMPAT_SECONDS=8        seconds per pgbench run
#   COMPAT_CLIENTS="1 4"    clients
#   COMPAT_FILL=100000      messages preloaded before each part-2 run
#   BENCH_OUT=dir           raw pgbench output, results.tsv and summary.txt
#                           (default /tmp/pgmqc-compat-<UTC timestamp>)
#   and those listed at the top of bench/lib.sh (BENCH_PORT, BENCH_KEEP=1,
#   BENCH_SHARED_BUFFERS; BENCH_PGHOST/BENCH_PGPORT to use a running
#   cluster, which needs pgmq_c_compat available).

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMPAT_PARTS=${COMPAT_PARTS:-"1 2"}
COMPAT_RUNS=${COMPAT_RUNS:-5}
COMPAT_SECONDS=${COMPAT_SECONDS:-8}
COMPAT_CLIENTS=${COMPAT_CLIENTS:-"1 4"}
COMPAT_FILL=${COMPAT_FILL:-100000}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-compat-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
[ "$COMPAT_FILL" -gt 0 ] || die "COMPAT_FILL must be positive"

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt

bench_start
t_start=$(date +%s)
bench_up
export PGOPTIONS="$PGOPTIONS -c synchronous_commit=off"

SIDES="pgmq_c pgmq"
declare -A QUEUE=([pgmq_c]=cmp_native [pgmq]=cmp_compat)
declare -A SUFFIX=([pgmq_c]=c [pgmq]=p)
declare -A PART_SCRIPT=([1]=compat_send [2]=compat_rd1)
declare -A PART_NAME=([1]="send 1/tx" [2]="read 1 + delete 1")

med() { bench_med 11 "$@"; }
nok() { bench_nok 11 "$@"; }

# msg/s of run TAG: N messages over pgbench's elapsed time
pb_rate() {
	local x
	x=$(awk '/^number of transactions actually processed: /{print $6; exit}' "$BENCH_OUT/$1.out")
	awk -v n="$2" -v x="$x" -v t="$PB_TPS" 'BEGIN {
		if (x + 0 > 0 && t + 0 > 0) printf "%.2f", n * t / x; else print "" }'
}

# one_run PART CLIENTS SIDE RUN
one_run() {
	local p=$1 c=$2 side=$3 r=$4 q=${QUEUE[$3]} tag left n ok rate
	tag=p${p}_c${c}_${side}_r$r
	sql -c "SELECT pgmq_c.purge_queue('$q')" >/dev/null
	[ "$p" = 1 ] || send_fill "$q" "$COMPAT_FILL" small 10
	vacuum_queue "$q"
	sql -c "CHECKPOINT" >/dev/null
	pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/${PART_SCRIPT[$p]}_${SUFFIX[$side]}.sql" \
		"$c" "$COMPAT_SECONDS" -D "queue=$q"
	ok=$PB_OK
	left=$(queue_count "$q")
	if [ "$p" = 1 ]; then
		n=$left
	else
		n=$((COMPAT_FILL - left))
		if [ "$left" -le 0 ]; then
			ok=0
			log "WARNING: part 2 $side c=$c run $r drained the queue; run not counted (raise COMPAT_FILL)"
		fi
	fi
	rate=$(pb_rate "$tag" "$n")
	[ -n "$rate" ] || ok=0
	# V1 msg/s, V2 ms/tx (V3-V5 unused)
	record "$p" "${PART_SCRIPT[$p]}" "$c" "$side" "$r" "$rate" "$PB_LAT" - - - "$ok"
	log "  ${PART_NAME[$p]} $side c=$c run $r: $(fmt "$rate") msg/s, $PB_LAT ms/tx"
}

part() { # PART
	local p=$1 c r side
	log "part $p: ${PART_NAME[$p]}; {$SIDES} x clients {$COMPAT_CLIENTS} x $COMPAT_RUNS runs x ${COMPAT_SECONDS}s"
	for c in $COMPAT_CLIENTS; do
		for r in $(seq 1 "$COMPAT_RUNS"); do
			# shellcheck disable=SC2086 # a list of words
			for side in $(rotate "$r" $SIDES); do
				one_run "$p" "$c" "$side" "$r"
			done
		done
	done
}

# ---------------------------------------------------------------- set-up

sql -c "CREATE EXTENSION IF NOT EXISTS pgmq_c_compat" >/dev/null
sql -c "SELECT pgmq_c.drop_queue('cmp_native')" -c "SELECT pgmq_c.drop_queue('cmp_compat')" >/dev/null
sql -c "SELECT pgmq_c.create_queue('cmp_native')" -c "SELECT pgmq.create('cmp_compat')" >/dev/null

out "pgmq_c_compat benchmark (pgmq's API against pgmq_c's), started $BENCH_STARTED"
out "  PostgreSQL $(sqlv 'SHOW server_version'); pgmq_c $(sqlv "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'"), pgmq_c_compat $(sqlv "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c_compat'"); $(bench_machine)"
out "  source: $(bench_source); installed $(bench_installed)"
out "  settings: $(bench_settings) clients' synchronous_commit=$(sqlv 'SHOW synchronous_commit')"
out "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
out "  pgbench -n -M prepared, $COMPAT_RUNS runs x ${COMPAT_SECONDS}s per part, clients and side, sides interleaved (order alternating per run); medians"
out ""

# ---------------------------------------------------------------- main

for p in 1 2; do
	if selected "$COMPAT_PARTS" "$p"; then part "$p"; fi
done
for side in $SIDES; do
	sql -c "SELECT pgmq_c.drop_queue('${QUEUE[$side]}')" >/dev/null
done

table_head "Throughput: pgmq's API (pgmq_c_compat) against pgmq_c's own; msg/s, medians of $COMPAT_RUNS runs x ${COMPAT_SECONDS}s" \
	"| scenario | clients | pgmq_c msg/s | pgmq (compat) msg/s | ratio pgmq / pgmq_c | per-run ratios (median) | ms/tx pgmq_c / pgmq | msg/s range pgmq_c; pgmq | runs ok (c/p) |" \
	"|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for p in 1 2; do
	selected "$COMPAT_PARTS" "$p" || continue
	s=${PART_SCRIPT[$p]}
	for c in $COMPAT_CLIENTS; do
		cm=$(med "$p" "$s" "$c" pgmq_c 6)
		pm=$(med "$p" "$s" "$c" pgmq 6)
		out "| ${PART_NAME[$p]} | $c | $(fmt "$cm") | $(fmt "$pm") | $(ratio "$pm" "$cm") | $(r2 "$(paired_ratio "$p" "$s" "$c" pgmq pgmq_c 6)") | $(fmt "$(med "$p" "$s" "$c" pgmq_c 7)") / $(fmt "$(med "$p" "$s" "$c" pgmq 7)") | $(spread "$p" "$s" "$c" pgmq_c 6); $(spread "$p" "$s" "$c" pgmq 6) | $(nok "$p" "$s" "$c" pgmq_c)/$(nok "$p" "$s" "$c" pgmq) |"
	done
done
out ""
out "(send: the queue is purged, vacuumed and checkpointed before each run; msg/s = messages in the queue after the run over pgbench's elapsed time. Read + delete: the queue is purged and preloaded with $(commas "$COMPAT_FILL") messages, vacuumed and checkpointed before each run; msg/s = messages consumed over pgbench's elapsed time. Clients with synchronous_commit = off.)"
out ""
out "1-minute load average during the run (every 10 s, $BENCH_OUT/loadavg.log): min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC') ($((($(date +%s) - t_start) / 60)) min)"
log "done; summary in $SUMMARY, raw pgbench output in $BENCH_OUT"
