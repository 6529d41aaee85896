#!/usr/bin/env bash
# bench/xmin_pin.sh -- table 3 of the benchmark: a consumer while the xmin
# horizon is pinned.  bench/run.sh calls it (unless BENCH_SKIP_PIN=1); on its
# own, as root or as any user, from the repository root:
#
#     bash bench/xmin_pin.sh
#
# For pgmq_c and then for the raw-SQL baseline (same table shape, no low
# watermark), one after the other on the same cluster:
#   - a producer sends at BENCH_PIN_RATE msg/s (pgbench -R, 1 client, send 1/tx),
#   - a consumer reads 1 + deletes it, flat out (1 client; an empty queue is
#     polled again at once),
#   - another session runs BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1 FROM
#     bench_pin; (BENCH_PIN_KIND=write: BEGIN; INSERT INTO bench_pin ...; a
#     long writing transaction on another table, which holds an XID) and
#     then stays idle in that transaction from 1/6 to 4/6 of the
#     run (minute 1 to minute 4 of the default 6 minutes), then commits.
# Every BENCH_PIN_SAMPLE seconds it samples: messages consumed per second
# (msg_id sequence minus backlog, both exact), consumer calls per second and
# average latency per call (pgbench --progress), backlog (rows in the
# queue's tables), dead tuples (pg_stat_user_tables.n_dead_tup) and table +
# index size (pg_total_relation_size) of the queue's tables (pgmq_c.q_<id>,
# d_<id>, a_<id> with queue_id from pgmq_c.list_queues(); public.q for the
# baseline).
#
# It reports the consumed rate in the last minute of the pin over the rate
# before the pin (target >= 0.95) and the per-call latency before and during
# the pin (target: flat).
#
# For the chart it also keeps, per side, the same sample every
# BENCH_PIN_FINE seconds (SIDE.samples_fine: seconds since the start, then
# the columns of SIDE.samples; the rows at multiples of BENCH_PIN_SAMPLE are
# those of the table), the consumer's calls and latency per second (pgbench
# --log --aggregate-interval=1: SIDE.consumer_1s.<pid>), the start of the
# run (SIDE.t0, epoch seconds) and when the pin began and ended (SIDE.pin_times,
# seconds since the start), and draws them with bench/charts.sh xmin_pin into
# docs/img/xmin_pin.png (BENCH_CHART_DIR, BENCH_CHARTS=0: no chart).
#
# Environment:
#   BENCH_PIN_SECONDS=360   length of each run (pin from 1/6 to 4/6 of it)
#   BENCH_PIN_RATE=300      producer rate, msg/s
#   BENCH_PIN_SAMPLE=10     sampling period, seconds (the table)
#   BENCH_PIN_FINE=1        sampling period of the chart's data, seconds (a
#                           divisor of BENCH_PIN_SAMPLE; 0: only the table's)
#   BENCH_PIN_SIDES="qc bl" which sides to run (qc = pgmq_c, bl = baseline)
#   BENCH_PIN_KIND=read     read: the pin is a REPEATABLE READ snapshot;
#                           write: a READ COMMITTED transaction that inserted
#                           a row into another table (its XID pins)
#   BENCH_PIN_EXPLAIN_MS=100 the consumer's calls slower than this log their
#                           plans (auto_explain, nested statements too) to the
#                           server log, copied to BENCH_OUT; empty: off
#   BENCH_OUT=dir           raw output and summary.txt
#   plus those of bench/lib.sh (BENCH_PGHOST/BENCH_PGPORT: use a running
#   cluster, as run.sh does; otherwise a throwaway cluster is started).

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PIN_SECONDS=${BENCH_PIN_SECONDS:-360}
PIN_RATE=${BENCH_PIN_RATE:-300}
PIN_SAMPLE=${BENCH_PIN_SAMPLE:-10}
PIN_FINE=${BENCH_PIN_FINE:-1}
[ "$PIN_FINE" != 0 ] || PIN_FINE=$PIN_SAMPLE
[ $((PIN_SAMPLE % PIN_FINE)) = 0 ] || { echo "BENCH_PIN_FINE must divide BENCH_PIN_SAMPLE" >&2; exit 2; }
PIN_SIDES=${BENCH_PIN_SIDES:-"qc bl"}
PIN_KIND=${BENCH_PIN_KIND:-read}
case $PIN_KIND in
read)
	PIN_WHAT="a REPEATABLE READ transaction"
	PIN_SQL="BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1 FROM public.bench_pin;"
	;;
write)
	PIN_WHAT="a writing transaction (INSERT into another table)"
	PIN_SQL="BEGIN; INSERT INTO public.bench_pin VALUES (2);"
	;;
*) echo "BENCH_PIN_KIND must be read or write" >&2; exit 2 ;;
esac
PIN_EXPLAIN_MS=${BENCH_PIN_EXPLAIN_MS-100}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-pin-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT

# the pin: from 1/6 to 4/6 of the run; "before" is (1 sample, pin start];
# "last minute of the pin" is the last third of the pin (60 s of 180 s)
PIN_FROM=$((PIN_SECONDS / 6))
PIN_TO=$((PIN_SECONDS * 4 / 6))
LAST_FROM=$((PIN_TO - (PIN_TO - PIN_FROM) / 3))

SUMMARY=$BENCH_OUT/summary.txt
bench_want_charts
bench_start build
bench_up

sql <<'EOF' >/dev/null
DROP TABLE IF EXISTS public.bench_pin;
CREATE TABLE public.bench_pin (x integer);
INSERT INTO public.bench_pin VALUES (1);
EOF

# SQL giving, for SIDE, one line: backlog|sent|dead|bytes|pinned|xmin_age
sample_sql() {
	local side=$1 tables seq qtab list
	if [ "$side" = qc ]; then
		tables=$(qc_tables)
		qtab=$(qc_qtable)
		seq="${qtab}_seq"
		[ -n "$(sqlv "SELECT to_regclass('$seq')")" ] || die "no sequence $seq for pgmq_c's queue"
	else
		tables="public.$BL"
		qtab="public.$BL"
		seq="public.${BL}_seq"
	fi
	list=$(for t in $tables; do printf "'%s'::regclass," "$t"; done)
	list=${list%,}
	local backlog=""
	for t in $tables; do
		case $t in *.a_*) continue ;; esac
		backlog="$backlog + (SELECT count(*) FROM $t)"
	done
	cat <<EOF
SELECT 0 $backlog,
       (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM $seq),
       (SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables WHERE relid IN ($list)),
       (SELECT sum(pg_total_relation_size(r)) FROM unnest(ARRAY[$list]) r),
       (SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND query LIKE '%bench_pin%'),
       (SELECT coalesce(max(greatest(age(backend_xmin), age(backend_xid))), 0) FROM pg_stat_activity
         WHERE backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)
EOF
}

# run_pin SIDE: one run; writes $BENCH_OUT/SIDE.samples (t backlog sent dead bytes pinned xmin_age)
run_pin() {
	local side=$1 name q t0 k now target explain=""
	if [ -n "$PIN_EXPLAIN_MS" ]; then
		explain="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=$PIN_EXPLAIN_MS -c auto_explain.log_nested_statements=on"
	fi
	[ "$side" = qc ] && name=pgmq_c || name=baseline
	fresh_tables "$side" 0
	q=$(sample_sql "$side")
	log "table 3, $name: ${PIN_SECONDS}s, producer ${PIN_RATE} msg/s, pin from ${PIN_FROM}s to ${PIN_TO}s"

	: >"$BENCH_OUT/$side.samples"
	: >"$BENCH_OUT/$side.samples_fine"
	rm -f "$BENCH_OUT/$side".consumer_1s.*
	t0=$(date +%s.%N)
	echo "$t0" >"$BENCH_OUT/$side.t0"
	pgbench -n -M prepared -f "$BENCH_SRCDIR/pgbench/${side}_send1.sql" -c 1 -j 1 \
		-R "$PIN_RATE" -T "$PIN_SECONDS" -P "$PIN_SAMPLE" -D "msg=$BENCH_MSG" \
		>"$BENCH_OUT/$side.producer.out" 2>&1 &
	_BENCH_BG_PIDS+=($!)
	PGOPTIONS="$PGOPTIONS $explain" \
		pgbench -n -M prepared -f "$BENCH_SRCDIR/pgbench/${side}_pin_consumer.sql" -c 1 -j 1 \
		-T "$PIN_SECONDS" -P "$PIN_SAMPLE" \
		--log --aggregate-interval=1 --log-prefix="$BENCH_OUT/$side.consumer_1s" \
		>"$BENCH_OUT/$side.consumer.out" 2>&1 &
	_BENCH_BG_PIDS+=($!)
	{
		sleep "$PIN_FROM"
		pin_t=$(date +%s.%N)
		{
			echo "$PIN_SQL"
			sleep $((PIN_TO - PIN_FROM))
			echo "COMMIT;"
		} | psql -qXAt -v ON_ERROR_STOP=1 >"$BENCH_OUT/$side.pin.out" 2>&1
		awk -v a="$t0" -v b="$pin_t" -v c="$(date +%s.%N)" 'BEGIN{printf "%.3f\t%.3f\n", b - a, c - a}' \
			>"$BENCH_OUT/$side.pin_times"
	} &
	_BENCH_BG_PIDS+=($!)

	# every PIN_FINE seconds one sample (seconds since t0 when taken) into
	# .samples_fine; those at multiples of PIN_SAMPLE also into .samples
	local row el
	el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.3f", b - a}')
	row=$(psql -qXAt -F $'\t' -c "$q")
	printf '0\t%s\n' "$row" >>"$BENCH_OUT/$side.samples"
	printf '%s\t%s\n' "$el" "$row" >>"$BENCH_OUT/$side.samples_fine"
	for k in $(seq 1 $((PIN_SECONDS / PIN_FINE))); do
		target=$(awk -v a="$t0" -v k="$k" -v s="$PIN_FINE" 'BEGIN{printf "%.3f", a + k * s}')
		now=$(date +%s.%N)
		sleep "$(awk -v a="$target" -v b="$now" 'BEGIN{d = a - b; printf "%.3f", (d > 0 ? d : 0)}')"
		el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.3f", b - a}')
		row=$(psql -qXAt -F $'\t' -c "$q")
		printf '%s\t%s\n' "$el" "$row" >>"$BENCH_OUT/$side.samples_fine"
		if [ $((k * PIN_FINE % PIN_SAMPLE)) = 0 ]; then
			printf '%s\t%s\n' "$((k * PIN_FINE))" "$row" >>"$BENCH_OUT/$side.samples"
		fi
	done
	local p rc=0
	for p in "${_BENCH_BG_PIDS[@]}"; do
		wait "$p" || rc=$?
	done
	_BENCH_BG_PIDS=()
	[ "$rc" = 0 ] || log "WARNING: a background job of the $name run exited with $rc (see $BENCH_OUT/$side.*.out)"
	if grep -qE 'ERROR|aborted' "$BENCH_OUT/$side.consumer.out" "$BENCH_OUT/$side.producer.out" "$BENCH_OUT/$side.pin.out"; then
		log "WARNING: errors in the $name run:"
		grep -hE 'ERROR|aborted' "$BENCH_OUT/$side".*.out | head -n 5 >&2
	fi
	# consumer progress: t tps lat
	awk '/^progress: /{gsub(/,/, ""); print int($2 + 0.5) "\t" $4 "\t" $7}' \
		"$BENCH_OUT/$side.consumer.out" >"$BENCH_OUT/$side.progress"
	awk '/^progress: /{gsub(/,/, ""); print int($2 + 0.5) "\t" $4}' \
		"$BENCH_OUT/$side.producer.out" >"$BENCH_OUT/$side.producer.progress"
	qc_drop
	bl_drop
}

# report SIDE: the 10-s table and the summary line
report() {
	local side=$1 name
	[ "$side" = qc ] && name=pgmq_c || name=baseline
	table_head "Table 3 ($name): every ${PIN_SAMPLE}s; $PIN_WHAT is open from ${PIN_FROM}s to ${PIN_TO}s" \
		"| t (s) | pin | produced msg/s | consumed msg/s | consumer calls/s | ms per call | backlog | dead tuples | table+index MB | oldest xmin age |" \
		"|---:|:-:|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' -v OFS='\t' 'FNR == 1 { f++ }
		f == 1 { tps[$1] = $2; lat[$1] = $3; next }
		f == 2 { ptps[$1] = $2; next }
		{ t = $1; backlog = $2; sent = $3; cons = sent - backlog
		  if (FNR > 1) rate = (cons - pcons) / (t - pt); else rate = ""
		  printf "| %d | %s | %s | %s | %s | %s | %d | %d | %.1f | %d |\n", t, ($6 > 0 ? "on" : ""),
		      (t in ptps ? sprintf("%.0f", ptps[t]) : "-"), (rate == "" ? "-" : sprintf("%.0f", rate)),
		      (t in tps ? sprintf("%.0f", tps[t]) : "-"), (t in lat ? lat[t] : "-"),
		      backlog, $4, $5 / 1048576, $7
		  pcons = cons; pt = t }' \
		"$BENCH_OUT/$side.progress" "$BENCH_OUT/$side.producer.progress" "$BENCH_OUT/$side.samples" |
		tee -a "$SUMMARY"
	out ""
}

# summary values for SIDE: rate_before rate_last ratio lat_before lat_last lat_max_pin backlog_max dead_max mb_start mb_max
summarize() {
	local side=$1
	awk -F'\t' -v s="$PIN_SAMPLE" -v from="$PIN_FROM" -v to="$PIN_TO" -v last="$LAST_FROM" '
		FNR == 1 { f++ }
		f == 1 { lat[$1] = $3; next }
		{ cons[$1] = $3 - $2; bl[$1] = $2; dead[$1] = $4; mb[$1] = $5 / 1048576 }
		END {
			s0 = (from > s ? s : 0)
			rb = (cons[from] - cons[s0]) / (from - s0)
			rl = (cons[to] - cons[last]) / (to - last)
			n = 0; lb = 0
			for (t = s0 + s; t <= from; t += s) if (t in lat) { lb += lat[t]; n++ }
			lb = n ? lb / n : 0
			n = 0; ll = 0
			for (t = last + s; t <= to; t += s) if (t in lat) { ll += lat[t]; n++ }
			ll = n ? ll / n : 0
			lm = 0; bm = 0; dm = 0; mm = 0
			for (t = from + s; t <= to; t += s) if (t in lat && lat[t] > lm) lm = lat[t]
			for (t in bl) { if (bl[t] > bm) bm = bl[t]; if (dead[t] > dm) dm = dead[t]; if (mb[t] > mm) mm = mb[t] }
			printf "%.1f\t%.1f\t%.2f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%.1f\t%.1f\n",
				rb, rl, (rb > 0 ? rl / rb : 0), lb, ll, lm, bm, dm, mb[from], mm
		}' "$BENCH_OUT/$side.progress" "$BENCH_OUT/$side.samples"
}

for side in $PIN_SIDES; do
	[ "$side" = qc ] && ! qc_enabled && continue
	run_pin "$side"
done

for side in $PIN_SIDES; do
	[ "$side" = qc ] && ! qc_enabled && continue
	report "$side"
done

out "Table 3: xmin pinned by $PIN_WHAT from ${PIN_FROM}s to ${PIN_TO}s of ${PIN_SECONDS}s; producer ${PIN_RATE} msg/s; consumer read 1 + delete flat out"
out ""
before_from=$PIN_SAMPLE
[ "$PIN_FROM" -gt "$PIN_SAMPLE" ] || before_from=0
out "| side | consumed msg/s before the pin (${before_from}-${PIN_FROM}s) | consumed msg/s, last part of the pin (${LAST_FROM}-${PIN_TO}s) | ratio (target >= 0.95) | ms per call before | ms per call, last part of the pin | worst ${PIN_SAMPLE}-s ms per call during the pin | max backlog | max dead tuples | MB at pin start | max MB |"
out "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for side in $PIN_SIDES; do
	[ "$side" = qc ] && ! qc_enabled && continue
	[ "$side" = qc ] && name=pgmq_c || name=baseline
	IFS=$'\t' read -r rb rl ra lb ll lm bm dm m0 mm < <(summarize "$side")
	out "| $name | $rb | $rl | $ra | $lb | $ll | $lm | $bm | $dm | $m0 | $mm |"
done
out ""
# the chart: docs/img/xmin_pin.png (bench/charts.sh; BENCH_CHARTS=0: none)
bench_chart xmin_pin "$BENCH_OUT" "bash bench/xmin_pin.sh, BENCH_PIN_SECONDS=$PIN_SECONDS BENCH_PIN_RATE=$PIN_RATE, $BENCH_STARTED"
log "xmin_pin.sh done; summary in $SUMMARY"
