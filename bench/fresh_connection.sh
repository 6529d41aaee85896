#!/usr/bin/env bash
# bench/fresh_connection.sh -- the first read of a new connection, on a
# queue whose consumed messages the xmin horizon keeps (issue 15).
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/fresh_connection.sh
#
# (about 4 minutes on 2 cores).  It needs pgmq_c built and installed; the
# cluster is the one bench/lib.sh starts for bench/run.sh (an unprivileged
# OS user when run as root, a free port >= 56432 or BENCH_PORT, 127.0.0.1
# and a private unix socket only, shared_preload_libraries = 'pgmq_c'),
# stopped and removed at the end.
#
# Two queues, 1,000 visible messages each at the time of measuring:
#   pinned   FRESH_CONSUMED (1,000,000) messages were sent and consumed
#            (pop, 10,000 at a time) while a REPEATABLE READ transaction of
#            another session held the xmin horizon, which it still holds:
#            their dead tuples and index entries are all still there; then
#            a consumer kept reading for a second, as consumers do
#   clean    nothing consumed
# Each is measured with pgbench -C (a new connection for every
# transaction), -M simple, FRESH_CONNECTIONS connections per run, each
# running one read (bench/pgbench/fresh_read.sql: read 1 with vt '0', which
# leases nothing, so every connection finds the same queue); the figure is
# the read statement's latency (pgbench -r), without the connection's own
# set-up.  FRESH_RUNS runs per queue, interleaved; medians and the ratio
# pinned / clean (target <= 2).  Before pgmq_c shared its watermarks, a new
# backend started at msg_id 0 and its first read walked every dead index
# entry of the consumed messages.
#
# Environment:
#   FRESH_CONSUMED=1000000      messages consumed under the pin
#   FRESH_RUNS=5                runs per queue
#   FRESH_CONNECTIONS=200       connections (one read each) per run
#   BENCH_OUT=dir               raw output, results.tsv and summary.txt
#                               (default /tmp/pgmqc-fresh-<UTC timestamp>)
#   and those listed at the top of bench/lib.sh

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FRESH_CONSUMED=${FRESH_CONSUMED:-1000000}
FRESH_RUNS=${FRESH_RUNS:-5}
FRESH_CONNECTIONS=${FRESH_CONNECTIONS:-200}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-fresh-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
[ "$FRESH_CONSUMED" -ge 10000 ] || die "FRESH_CONSUMED must be at least 10000"

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt

bench_start
bench_up

bench_banner "pgmq_c fresh-connection benchmark"

fresh_queue pinned
fresh_queue clean

# the pin: a REPEATABLE READ transaction with its snapshot taken, left open
psql -qXAt -v ON_ERROR_STOP=1 -c "BEGIN ISOLATION LEVEL REPEATABLE READ" \
	-c "SELECT count(*) FROM pgmq_c.list_queues()" -c "SELECT pg_sleep(100000)" \
	>/dev/null 2>&1 &
_BENCH_BG_PIDS+=($!)
pinned=0
for _ in $(seq 1 100); do
	if [ "$(sqlv "SELECT count(*) FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND query LIKE '%pg_sleep(100000)%' AND pid <> pg_backend_pid()")" = 1 ]; then
		pinned=1
		break
	fi
	sleep 0.1
done
[ "$pinned" = 1 ] || die "the session meant to pin the xmin horizon did not start"
log "the xmin horizon is pinned; sending and consuming $(commas "$FRESH_CONSUMED") messages"
t0=$(date +%s)
for _ in $(seq 1 $((FRESH_CONSUMED / 10000))); do
	send_fill pinned 10000 small 10
	sqlv "SELECT count(*) FROM pgmq_c.pop('pinned', 10000)" >/dev/null
done
log "  consumed in $(($(date +%s) - t0)) s"
send_fill pinned 1000 small
send_fill clean 1000 small
# a consumer that goes on reading, as consumers do (vt 0 leases nothing)
sql <<'EOF' >/dev/null
DO $$
BEGIN
	FOR i IN 1 .. 10 LOOP
		PERFORM pgmq_c.read('pinned', '0', 1);
		COMMIT;
		PERFORM pg_sleep(0.1);
	END LOOP;
END $$;
EOF
dead=$(sqlv "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'pgmq_c.q_$(queue_id pinned)'::regclass")
out "pinned: $(commas "$FRESH_CONSUMED") messages consumed while the horizon was pinned (pg_stat_user_tables.n_dead_tup of its message table: $(commas "${dead:-?}")), 1,000 visible; clean: 1,000 visible"

for r in $(seq 1 "$FRESH_RUNS"); do
	for q in $(rotate "$r" pinned clean); do
		out_file=$BENCH_OUT/${q}_r$r.out
		pgbench -n -C -M simple -r -c 1 -t "$FRESH_CONNECTIONS" -D "queue='$q'" \
			-f "$BENCH_SRCDIR/pgbench/fresh_read.sql" >"$out_file" 2>&1 || die "pgbench failed; see $out_file"
		lat=$(awk '/^statement latencies/{f=1; next} f && NF >= 2 && $1 ~ /^[0-9.]+$/ {print $1; exit}' "$out_file")
		[ -n "$lat" ] || die "no statement latency in $out_file"
		record "$q" "$r" "$lat"
		log "  $q run $r: first read $lat ms"
	done
done

pm=$(awk -F'\t' '$1 == "pinned" {print $3}' "$RESULTS" | median)
cm=$(awk -F'\t' '$1 == "clean" {print $3}' "$RESULTS" | median)
table_head "First read of a new connection (pgbench -C -r, $FRESH_CONNECTIONS connections per run), medians of $FRESH_RUNS runs" \
	"| queue | read ms (median) | runs (ms) |" \
	"|---|---:|---|"
out "| pinned ($(commas "$FRESH_CONSUMED") consumed under the pin) | $pm | $(awk -F'\t' '$1 == "pinned" {printf "%s ", $3}' "$RESULTS")|"
out "| clean | $cm | $(awk -F'\t' '$1 == "clean" {printf "%s ", $3}' "$RESULTS")|"
out ""
out "ratio pinned / clean (target <= 2): $(ratio "$pm" "$cm")"
out ""
out "1-minute load average during the run: min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
log "done; summary in $SUMMARY"
