#!/usr/bin/env bash
# bench/run.sh -- pgmq_c against a raw-SQL baseline on the same table shape.
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/run.sh
#
# It needs pgmq_c built and installed (`make install`); when it is not and
# it runs as root, scripts/common.sh's pgmqc_build_install is called first.
# It starts a throwaway PostgreSQL cluster with scripts/common.sh (an
# unprivileged OS user when run as root, a free port >= 56432, 127.0.0.1 and
# a private unix socket only, shared_preload_libraries = 'pgmq_c', plus
# bench/lib.sh's settings: shared_buffers 1GB, fsync and synchronous_commit on),
# runs everything with pgbench -n -M prepared, interleaving pgmq_c and the
# baseline run by run, and stops and removes the cluster at the end.
#
#   Table 1  throughput: send 1/tx, send_batch 100, read 1 + delete (one
#            transaction, two statements; rd1a: two autocommit statements,
#            issue 15's target >= 1.0), read 100 + delete 100 (id array),
#            pop 1; read 1 that deletes the message the client read before
#            (delete_ids, one autocommit statement: one commit per message)
#            against the baseline's pop 1 (DELETE ... SKIP LOCKED RETURNING,
#            the physical floor; target >= 0.9); 1 and 4 clients; medians
#            of BENCH_RUNS runs; ratio pgmq_c / baseline (target >= 0.95)
#   Table 2  read latency (read 1 + delete, 1 client) with 1,000 messages,
#            5,000,000 messages, and 1,000,000 delayed messages ahead of 1,000
#            visible ones; ratio big / small (target <= 1.3 for pgmq_c)
#   Table 3  bench/xmin_pin.sh: producer at 300 msg/s, consumer flat out, a
#            REPEATABLE READ transaction open from 1/6 to 4/6 of the run
#            (minute 1 to 4 of 6), for pgmq_c and then the baseline
#
# Environment:
#   BENCH_RUNS=3            runs per scenario and side (medians are printed)
#   BENCH_SECONDS=10        seconds per pgbench run (tables 1 and 2)
#   BENCH_CLIENTS="1 4"     client counts for table 1
#   BENCH_SCENARIOS="send1 send100 rd1 rd1a rd100 pop1 rdack1"  table 1's scenarios
#   BENCH_TABLES="1 2 3"    which tables to produce
#   BENCH_SKIP_PIN=1        same as leaving 3 out of BENCH_TABLES
#   BENCH_PIN_SECONDS=360   length of each table-3 run (see xmin_pin.sh)
#   BENCH_BIG=5000000       messages in the "big" queue of table 2
#   BENCH_DELAYED=1000000   delayed messages of table 2
#   BENCH_OUT=dir           raw outputs and summary.txt
#                           (default /tmp/pgmqc-bench-<UTC timestamp>)
#   BENCH_CHART_DIR=dir     where the charts go (default docs/img): table 1
#                           as throughput.png, table 3 as xmin_pin.png
#                           (bench/charts.sh, gnuplot); BENCH_CHARTS=0: none
#   and those listed at the top of bench/lib.sh (BENCH_PGHOST/BENCH_PGPORT
#   to use a running cluster, BENCH_KEEP, BENCH_ONLY=baseline).
#
# The baseline is the table pgmq_c keeps per queue (msg_id bigint PRIMARY
# KEY, read_ct, enqueued_at, vt, message jsonb, headers jsonb; fillfactor 50
# (70 until session 53, as pgmq_c's then);
# ids from a sequence; no index on vt) driven by the statements in
# bench/pgbench/bl_*.sql: plain INSERT, UPDATE ... WHERE msg_id = ANY (ARRAY(SELECT
# ... ORDER BY msg_id LIMIT n FOR UPDATE SKIP LOCKED)), DELETE: the statements
# pgmq_c runs internally, without its low watermark (msg_id >= 0).  pgmq_c runs
# bench/pgbench/qc_*.sql, which call the pgmq_c functions.

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_CLIENTS=${BENCH_CLIENTS:-"1 4"}
BENCH_TABLES=${BENCH_TABLES:-"1 2 3"}
BENCH_BIG=${BENCH_BIG:-5000000}
BENCH_DELAYED=${BENCH_DELAYED:-1000000}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-bench-$(date -u +%Y%m%dT%H%M%SZ)}
[ "${BENCH_SKIP_PIN:-0}" = 1 ] && BENCH_TABLES=${BENCH_TABLES//3/}
export BENCH_OUT

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt

bench_want_charts
bench_start build
# the machine's load every 10 s (to judge the noise afterwards), the cluster
bench_up

out "pgmq_c benchmark, started $BENCH_STARTED"
out "  PostgreSQL $(sqlv 'SHOW server_version'); $(bench_machine)"
out "  source: $(bench_source); installed $(bench_installed)"
out "  settings: $(bench_settings) shared_preload_libraries='$(sqlv 'SHOW shared_preload_libraries')'"
out "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise; see the end)"
out "  pgbench -n -M prepared, $BENCH_RUNS runs x ${BENCH_SECONDS}s per scenario and side, pgmq_c and baseline interleaved; medians"
[ "$BENCH_ONLY" = baseline ] && out "  BENCH_ONLY=baseline: the pgmq_c side was skipped"
out ""

# results.tsv: TABLE SCENARIO CLIENTS SIDE RUN MSGS_PER_S LAT_MS EXTRA OK;
# median of column COL (6: msg/s, 7: latency, 8: extra) over the OK runs
med() { bench_med 9 "$@"; }
nok() { bench_nok 9 "$@"; }

# ---------------------------------------------------------------- table 1

t1_defs
T1_ORDER=${BENCH_SCENARIOS:-"send1 send100 rd1 rd1a rd100 pop1 rdack1"}

table1() {
	local s c r side
	log "table 1: $T1_ORDER x clients {$BENCH_CLIENTS} x $BENCH_RUNS runs x ${BENCH_SECONDS}s"
	for s in $T1_ORDER; do
		for c in $BENCH_CLIENTS; do
			for r in $(seq 1 "$BENCH_RUNS"); do
				for side in $(rotate "$r" qc bl); do
					[ "$side" = qc ] && ! qc_enabled && continue
					t1_run "$s c=$c $side run $r" "t1_${s}_c${c}_${side}_r$r" "$side" "$s" "$c"
					record 1 "$s" "$c" "$side" "$r" "$T1_RATE" "$PB_LAT" "$PB_TPS" "$T1_OK"
				done
			done
		done
	done
	bl_drop
	qc_drop
}

print_table1() {
	local s c bm qm bl ql
	table_head "Table 1: throughput, medians of $BENCH_RUNS runs x ${BENCH_SECONDS}s (msg/s; latency = average per transaction)" \
		"| scenario | clients | baseline msg/s | pgmq_c msg/s | ratio pgmq_c/baseline | baseline ms/tx | pgmq_c ms/tx | runs ok (bl/qc) |" \
		"|---|---:|---:|---:|---:|---:|---:|---:|"
	for s in $T1_ORDER; do
		for c in $BENCH_CLIENTS; do
			bm=$(med 1 "$s" "$c" bl 6)
			qm=$(med 1 "$s" "$c" qc 6)
			bl=$(med 1 "$s" "$c" bl 7)
			ql=$(med 1 "$s" "$c" qc 7)
			out "| ${T1_NAME[$s]} | $c | $(fmt "$bm") | $(fmt "$qm") | $(ratio "$qm" "$bm") | $(fmt "$bl") | $(fmt "$ql") | $(nok 1 "$s" "$c" bl)/$(nok 1 "$s" "$c" qc) |"
		done
	done
	out ""
}

# ---------------------------------------------------------------- table 2

T2_ORDER="small big delayed"
declare -A T2_NAME=([small]="1,000 visible"
	[big]="$(commas "$BENCH_BIG") visible"
	[delayed]="$(commas "$BENCH_DELAYED") delayed (1 day) + 1,000 visible")

fill_t2() { # COND: both sides filled for condition COND
	local cond=$1 t0
	t0=$(date +%s)
	bl_reset
	qc_reset
	case $cond in
	small)
		bl_fill 1000
		qc_fill 1000
		;;
	big)
		bl_fill "$BENCH_BIG"
		qc_fill "$BENCH_BIG"
		;;
	delayed)
		bl_fill "$BENCH_DELAYED" '1 day'
		bl_fill 1000
		qc_fill "$BENCH_DELAYED" '1 day'
		qc_fill 1000
		;;
	esac
	settle
	log "  table 2 '$cond' filled in $(($(date +%s) - t0)) s (baseline $(bl_count), pgmq_c $(qc_count) messages)"
}

table2() {
	local cond r side rd tx
	log "table 2: read latency, 1 client, $BENCH_RUNS runs x ${BENCH_SECONDS}s per condition and side"
	# read 1 + delete (one transaction), then send 1 so that the queue keeps
	# its length; the read statement's latency is what is reported
	cat "$BENCH_SRCDIR/pgbench/qc_rd1.sql" "$BENCH_SRCDIR/pgbench/qc_send1.sql" >"$BENCH_OUT/qc_lat.sql"
	cat "$BENCH_SRCDIR/pgbench/bl_rd1.sql" "$BENCH_SRCDIR/pgbench/bl_refill.sql" >"$BENCH_OUT/bl_lat.sql"
	for cond in $T2_ORDER; do
		fill_t2 "$cond"
		for r in $(seq 1 "$BENCH_RUNS"); do
			for side in $(rotate "$r" qc bl); do
				[ "$side" = qc ] && ! qc_enabled && continue
				pgbench_run "t2_${cond}_${side}_r$r" "$BENCH_OUT/${side}_lat.sql" 1 "$BENCH_SECONDS" -r
				# statements: BEGIN, read, delete, COMMIT, send
				rd=${PB_STMT[1]:-}
				tx=$(awk -v a="${PB_STMT[0]:-}" -v b="${PB_STMT[1]:-}" -v c="${PB_STMT[2]:-}" -v d="${PB_STMT[3]:-}" 'BEGIN{print a+b+c+d}')
				[ -n "$rd" ] || PB_OK=0
				# msg/s column: consumed per second (one per transaction)
				record 2 "$cond" 1 "$side" "$r" "$PB_TPS" "$rd" "$tx" "$PB_OK"
				log "  $cond $side run $r: read $rd ms, read+delete $tx ms, $(fmt "$PB_TPS") msg/s"
			done
		done
		bl_drop
		qc_drop
	done
}

print_table2() {
	local cond side sr qr sx qx bs qs
	bs=$(med 2 small 1 bl 7)
	qs=$(med 2 small 1 qc 7)
	table_head "Table 2: read latency, 1 client (read 1 + delete in one transaction, then a send keeps the length), medians of $BENCH_RUNS runs x ${BENCH_SECONDS}s" \
		"| messages in the queue | baseline read ms | pgmq_c read ms | ratio pgmq_c/baseline | baseline read+delete ms | pgmq_c read+delete ms | baseline vs 1,000 | pgmq_c vs 1,000 (target <= 1.3) | baseline msg/s | pgmq_c msg/s |" \
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for cond in $T2_ORDER; do
		sr=$(med 2 "$cond" 1 bl 7)
		qr=$(med 2 "$cond" 1 qc 7)
		sx=$(med 2 "$cond" 1 bl 8)
		qx=$(med 2 "$cond" 1 qc 8)
		out "| ${T2_NAME[$cond]} | $(fmt "$sr") | $(fmt "$qr") | $(ratio "$qr" "$sr") | $(fmt "$sx") | $(fmt "$qx") | $(ratio "$sr" "$bs") | $(ratio "$qr" "$qs") | $(fmt "$(med 2 "$cond" 1 bl 6)") | $(fmt "$(med 2 "$cond" 1 qc 6)") |"
	done
	out ""
	out "(the delayed row of the baseline keeps the delayed messages in the same table with vt one day ahead, as a raw-SQL user would; pgmq_c keeps them in its delayed table)"
	out ""
}

# ---------------------------------------------------------------- main

for t in 1 2; do
	if selected "$BENCH_TABLES" "$t"; then "table$t"; fi
done
for t in 1 2; do
	if selected "$BENCH_TABLES" "$t"; then "print_table$t"; fi
done
if selected "$BENCH_TABLES" 1; then
	bench_chart throughput "$BENCH_OUT" "bash bench/run.sh, BENCH_RUNS=$BENCH_RUNS BENCH_SECONDS=$BENCH_SECONDS BENCH_CLIENTS=\"$BENCH_CLIENTS\"; $BENCH_STARTED"
fi

case " $BENCH_TABLES " in *" 3 "*)
	log "table 3: bench/xmin_pin.sh on the same cluster"
	BENCH_PGHOST=$PGHOST BENCH_PGPORT=$PGPORT BENCH_PGUSER=$PGUSER BENCH_DB=$PGDATABASE \
		BENCH_OUT=$BENCH_OUT/pin bash "$BENCH_SRCDIR/xmin_pin.sh"
	cat "$BENCH_OUT/pin/summary.txt" >>"$SUMMARY"
	;;
esac

out "1-minute load average during the run (every 10 s, $BENCH_OUT/loadavg.log): min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
log "done; summary in $SUMMARY, raw pgbench output in $BENCH_OUT"
