#!/usr/bin/env bash
# bench/retries.sh -- retry policies and dead-letter queues (0.6.0, issue 11).
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/retries.sh
#
# (about 8 minutes on 2 cores).  It needs pgmq_c built and installed; the
# cluster is the one bench/lib.sh starts with scripts/common.sh for
# bench/run.sh (an unprivileged OS user when run as root, a free port >=
# 56432, 127.0.0.1 and a private unix socket only, shared_preload_libraries =
# 'pgmq_c', shared_buffers = 1GB, fsync and synchronous_commit on), stopped
# and removed at the end.  Everything runs with pgbench -n -M prepared;
# repeated runs are interleaved (the order of the sides rotates from run to
# run) and every figure printed is a median.
#
#   Part 1  read + delete by receipt, RETRIES_CLIENTS (4) clients: read 1 +
#           delete(queue, msg_id, read_ct), and read 10 + delete(queue,
#           msg_ids, read_cts), one transaction each
#           (bench/pgbench/retries_rd1.sql, retries_rd10.sql), on a queue with
#           a retry policy (max_deliveries 5, retry_backoff '1 second',
#           dead_letter_queue bench_dlq) against the same queue without one
#           (bench_dlq exists on both sides).  Each run starts from a fresh
#           queue preloaded with more messages than the run can consume (a
#           run that drains it is not counted); no lease expires during a
#           run, so nothing is retried or dead-lettered: this is the cost of
#           having the policy.  Ratio policy / none (target >= 0.97), as the
#           ratio of the medians and as the median of the per-run ratios
#           (run r of both sides back to back).
#   Part 2  dead-lettering RETRIES_POISON (100,000) poison messages.  A queue
#           with max_deliveries 1 and dead_letter_queue bench_dlq gets the
#           poison messages, then RETRIES_GOOD (100,000) good ones behind
#           them; the poison ones are read once (read 10,000 at a time) with
#           a lease that ends at a time E a few seconds ahead, so that at E
#           all of them are dead at the head of the queue.  pgbench starts
#           before E; three kinds of run, interleaved:
#             alone  one consumer (read 10 + delete by receipt, throttled to
#                    100 transactions/s, retries_rd10.sql): its reads move
#                    the dead letters.  Drain rate = poison / (time of the
#                    last dead letter's arrival in bench_dlq - E).
#             drain  the same consumer, plus a second one, the probe (read 1
#                    + delete by receipt, flat out, retries_rd1.sql),
#                    reading the good messages of the same queue: drain rate
#                    as above, and the probe's transaction latency (pgbench
#                    -l: BEGIN, read 1, delete, COMMIT) over the transactions
#                    that overlap the drain [E, last arrival].
#             quiet  the same two consumers on the same queue with the good
#                    messages only (no poison, so no dead letters): the
#                    probe's latency from E to the end of the run.
#           Ratio probe latency drain / quiet (target <= 1.3).  The
#           database's background worker also moves dead letters nobody
#           reads (at most 1,000 per queue and second), in every kind.
#           The reads of the drain and quiet runs (not alone) run with
#           statement_timeout = RETRIES_DRAIN_CAP s: a drain that takes
#           longer is cancelled (its moves roll back), and the run is
#           reported as not drained, with how many dead letters had been
#           sent (bench_dlq's sequence) by then.
#
# Environment:
#   RETRIES_PARTS="1 2"         which parts to run
#   RETRIES_RUNS=7              runs per scenario and side (part 1)
#   RETRIES_SECONDS=5           seconds per pgbench run (part 1)
#   RETRIES_CLIENTS=4           clients (part 1)
#   RETRIES_SCENARIOS="rd1 rd10"  part 1 scenarios (read 1 / read 10)
#   RETRIES_DL_RUNS=3           runs per kind (part 2)
#   RETRIES_POISON=100000       poison messages (part 2; a multiple of 1,000)
#   RETRIES_GOOD=100000         good messages behind them (multiple of 1,000)
#   RETRIES_LEAD=5              seconds from the start of the lease to E
#   RETRIES_AFTER=10            seconds pgbench runs on after E (part 2)
#   RETRIES_DRAIN_CAP=40        statement_timeout (s) of drain and quiet runs
#   BENCH_OUT=dir               raw pgbench output and logs, results.tsv and
#                               summary.txt (default
#                               /tmp/pgmqc-retries-<UTC timestamp>)
#   and those listed at the top of bench/lib.sh (BENCH_PGHOST/BENCH_PGPORT to
#   use a running cluster, BENCH_KEEP=1, BENCH_SHARED_BUFFERS).

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RETRIES_PARTS=${RETRIES_PARTS:-"1 2"}
RETRIES_RUNS=${RETRIES_RUNS:-7}
RETRIES_SECONDS=${RETRIES_SECONDS:-5}
RETRIES_CLIENTS=${RETRIES_CLIENTS:-4}
RETRIES_SCENARIOS=${RETRIES_SCENARIOS:-"rd1 rd10"}
RETRIES_DL_RUNS=${RETRIES_DL_RUNS:-3}
RETRIES_POISON=${RETRIES_POISON:-100000}
RETRIES_GOOD=${RETRIES_GOOD:-100000}
RETRIES_LEAD=${RETRIES_LEAD:-5}
RETRIES_AFTER=${RETRIES_AFTER:-10}
RETRIES_DRAIN_CAP=${RETRIES_DRAIN_CAP:-40}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-retries-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
if [ $((RETRIES_POISON % 1000)) != 0 ] || [ "$RETRIES_POISON" -le 0 ]; then
	die "RETRIES_POISON must be a positive multiple of 1000"
fi
if [ $((RETRIES_GOOD % 1000)) != 0 ] || [ "$RETRIES_GOOD" -le 0 ]; then
	die "RETRIES_GOOD must be a positive multiple of 1000"
fi

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt

bench_start
t_start=$(date +%s)
bench_up

out "pgmq_c retries benchmark, started $BENCH_STARTED"
out "  PostgreSQL $(sqlv 'SHOW server_version'); pgmq_c $(sqlv "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'"); $(bench_machine)"
out "  source: $(bench_source); installed $(bench_installed)"
out "  settings: $(bench_settings) shared_preload_libraries='$(sqlv 'SHOW shared_preload_libraries')'"
out "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
out "  pgbench -n -M prepared; part 1: $RETRIES_RUNS runs x ${RETRIES_SECONDS}s per scenario and side, $RETRIES_CLIENTS clients; part 2: $RETRIES_DL_RUNS runs per kind, $(commas "$RETRIES_POISON") poison + $(commas "$RETRIES_GOOD") good messages; sides interleaved (order rotated per run); medians"
out ""

# results.tsv: PART SCENARIO CLIENTS SIDE RUN V1 V2 V3 V4 V5 OK; median of
# column COL (6..10) over the OK runs
med() { bench_med 11 "$@"; }
nok() { bench_nok 11 "$@"; }
# the same over the runs that are not OK
med_failed() {
	awk -F'\t' -v k1="$1" -v k2="$2" -v k3="$3" -v k4="$4" -v col="$5" \
		'$1==k1 && $2==k2 && $3==k3 && $4==k4 && $11!=1 && $col != "" {print $col}' "$RESULTS" | median
}
nruns() {
	awk -F'\t' -v k1="$1" -v k2="$2" -v k3="$3" -v k4="$4" \
		'$1==k1 && $2==k2 && $3==k3 && $4==k4 {n++} END {print n+0}' "$RESULTS"
}

# ---------------------------------------------------------------- objects

# The measured queue is $QC ('bench'); dead letters go to $DLQ.
DLQ=bench_dlq

# every queue of ours dropped (the dead-letter queue last: a queue's
# dead-letter queue cannot be dropped)
drop_all() {
	sql -c "SELECT pgmq_c.drop_queue(queue_name) FROM pgmq_c.list_queues()
	         WHERE queue_name IN ('$QC', '$DLQ') ORDER BY queue_name = '$DLQ'" >/dev/null
}
queue_id() { sqlv "SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = '$1'"; }

# make_queues POLICY: $DLQ, and $QC with the retry policy POLICY (named
# arguments of create_queue; empty: none)
make_queues() {
	drop_all
	sql -c "VACUUM" >/dev/null
	sql -c "SELECT pgmq_c.create_queue('$DLQ')" \
		-c "SELECT pgmq_c.create_queue('$QC'${1:+, $1})" >/dev/null
}

# messages consumed per second in run TAG: CONSUMED over pgbench's elapsed
# time (transactions / tps, without the connection time)
pb_rate() {
	local x
	x=$(awk '/^number of transactions actually processed: /{print $6; exit}' "$BENCH_OUT/$1.out")
	awk -v n="$2" -v x="$x" -v t="$PB_TPS" 'BEGIN {
		if (x + 0 > 0 && t + 0 > 0) printf "%.2f", n * t / x; else print "" }'
}

# ---------------------------------------------------------------- part 1

declare -A P1_BATCH=([rd1]=1 [rd10]=10)
declare -A P1_FILL=([rd1]=$((15000 * RETRIES_SECONDS)) [rd10]=$((40000 * RETRIES_SECONDS)))
declare -A P1_NAME=([rd1]="read 1 + delete by receipt" [rd10]="read 10 + delete 10 by receipt")
declare -A SIDE_POLICY=([none]=""
	[policy]="max_deliveries => 5, retry_backoff => '1 second', dead_letter_queue => '$DLQ'")

part1() {
	local s c=$RETRIES_CLIENTS r side fill left n ok rate tag t
	log "part 1: read + delete by receipt; {$RETRIES_SCENARIOS} x {none, policy} x $RETRIES_RUNS runs x ${RETRIES_SECONDS}s, $c clients"
	for s in $RETRIES_SCENARIOS; do
		[ -n "${P1_BATCH[$s]:-}" ] || die "unknown scenario $s (rd1, rd10)"
		fill=$(((P1_FILL[$s] + 999) / 1000 * 1000))
		for r in $(seq 1 "$RETRIES_RUNS"); do
			for side in $(rotate "$r" none policy); do
				make_queues "${SIDE_POLICY[$side]}"
				send_fill "$QC" "$fill" small
				for t in $(qc_tables); do
					sql -c "VACUUM ANALYZE $t" >/dev/null
				done
				sql -c "CHECKPOINT" >/dev/null
				tag=p1_${s}_${side}_r$r
				pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/retries_$s.sql" "$c" "$RETRIES_SECONDS" -D "queue=$QC"
				left=$(qc_count)
				n=$((fill - left))
				ok=$PB_OK
				if [ "$left" -le 0 ]; then
					ok=0
					log "WARNING: $s $side run $r drained the queue (fill $fill); run not counted"
				fi
				if [ "$(sqlv "SELECT count(*) FROM pgmq_c.q_$(queue_id "$DLQ")")" != 0 ]; then
					ok=0
					log "WARNING: $s $side run $r dead-lettered messages; run not counted"
				fi
				rate=$(pb_rate "$tag" "$n")
				[ -n "$rate" ] || ok=0
				# V1 msg/s, V2 ms/tx, V3 messages consumed
				record 1 "$s" "$c" "$side" "$r" "$rate" "$PB_LAT" "$n" "" "" "$ok"
				log "  $s $side run $r: $(fmt "$rate") msg/s, $PB_LAT ms/tx, $n consumed, $left left"
			done
		done
	done
	drop_all
}

# median over the runs r of (policy run r / none run r), both OK
paired_ratio() {
	awk -F'\t' -v s="$1" -v c="$2" '$1==1 && $2==s && $3==c && $11==1 { v[$4, $5] = $6 }
		END { for (k in v) { split(k, p, SUBSEP); if (p[1] == "policy" && (("none", p[2]) in v) && v["none", p[2]] > 0)
			printf "%.4f\n", v[k] / v["none", p[2]] } }' "$RESULTS" | median
}
# min-max of column COL over the OK runs
spread() {
	awk -F'\t' -v s="$1" -v c="$2" -v side="$3" '$1==1 && $2==s && $3==c && $4==side && $11==1 {
		if (n++ == 0 || $6 < lo) lo = $6; if ($6 > hi) hi = $6 }
		END { if (n) printf "%.0f-%.0f", lo, hi; else print "-" }' "$RESULTS"
}

print_part1() {
	local s c=$RETRIES_CLIENTS nm pm pr
	table_head "Part 1: read + delete by receipt, $c clients, queue with a retry policy (max_deliveries 5, retry_backoff '1 second', dead_letter_queue) vs without; msg/s, medians of $RETRIES_RUNS runs x ${RETRIES_SECONDS}s" \
		"| scenario | no policy msg/s | policy msg/s | ratio policy / none (target >= 0.97) | median of per-run ratios | no policy ms/tx | policy ms/tx | no policy range | policy range | runs ok (none/policy) |" \
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for s in $RETRIES_SCENARIOS; do
		nm=$(med 1 "$s" "$c" none 6)
		pm=$(med 1 "$s" "$c" policy 6)
		pr=$(paired_ratio "$s" "$c")
		out "| ${P1_NAME[$s]} | $(fmt "$nm") | $(fmt "$pm") | $(ratio "$pm" "$nm") | $(awk -v x="$pr" 'BEGIN{ if (x == "nan" || x == "") print "-"; else printf "%.2f", x }') | $(fmt "$(med 1 "$s" "$c" none 7)") | $(fmt "$(med 1 "$s" "$c" policy 7)") | $(spread "$s" "$c" none) | $(spread "$s" "$c" policy) | $(nok 1 "$s" "$c" none)/$(nok 1 "$s" "$c" policy) |"
	done
	out ""
	out "(fill per run: $(commas "$(((P1_FILL[rd1] + 999) / 1000 * 1000))") messages for read 1, $(commas "$(((P1_FILL[rd10] + 999) / 1000 * 1000))") for read 10; msg/s = messages consumed (fill minus what is left) over pgbench's elapsed time. Leases are 30 s, longer than a run: nothing is retried or dead-lettered, the policy only has to be looked at)"
	out ""
}

# ---------------------------------------------------------------- part 2

P2_ORDER="alone drain quiet"
declare -A P2_NAME=([alone]="one consumer (read 10, 100 tx/s)"
	[drain]="the consumer + a probe reading good messages"
	[quiet]="quiet: the same two, no dead letters")

# dl_setup KIND: the queues, the messages and the leases of one part-2 run;
# sets DL_E (epoch seconds at which the poison messages' leases end)
dl_setup() {
	local kind=$1 qid poison=$RETRIES_POISON now
	[ "$kind" = quiet ] && poison=0
	make_queues "max_deliveries => 1, dead_letter_queue => '$DLQ'"
	[ "$poison" = 0 ] || send_fill "$QC" "$poison" small
	sql <<EOF >/dev/null
DO \$fill\$
DECLARE
	b jsonb[];
BEGIN
	FOR i IN 0 .. ($RETRIES_GOOD / 1000) - 1 LOOP
		SELECT array_agg(jsonb_build_object('good', g, 'customer', 'c-42', 'amount', 19.99, 'status', 'new', 'items', jsonb_build_array(1, 2, 3)))
		  INTO b FROM generate_series(i * 1000 + 1, i * 1000 + 1000) g;
		PERFORM pgmq_c.send_batch('$QC', b);
		IF i % 100 = 99 THEN
			COMMIT;
		END IF;
	END LOOP;
END
\$fill\$;
EOF
	qid=$(queue_id "$QC")
	sql -c "VACUUM ANALYZE pgmq_c.q_$qid" -c "CHECKPOINT" >/dev/null
	now=$(date +%s.%N)
	DL_E=$(awk -v n="$now" -v l="$RETRIES_LEAD" 'BEGIN{printf "%.6f", n + l}')
	[ "$poison" = 0 ] && return 0
	# the poison messages are the oldest: read them once, 10,000 at a time,
	# with leases that end at E
	sql <<EOF >/dev/null
DO \$lease\$
DECLARE
	n bigint := 0;
	got bigint;
BEGIN
	WHILE n < $poison LOOP
		SELECT count(*) INTO got
		  FROM pgmq_c.read('$QC', pg_catalog.to_timestamp($DL_E) - clock_timestamp(), LEAST(10000, $poison - n)::integer);
		EXIT WHEN got = 0;
		n := n + got;
	END LOOP;
END
\$lease\$;
EOF
	local check
	check=$(sqlv "SELECT count(*) FILTER (WHERE read_ct = 1 AND message ? 'order_id')
	                     || ' ' || (min(vt) FILTER (WHERE read_ct = 1) > clock_timestamp())::text
	                FROM pgmq_c.q_$qid")
	[ "$check" = "$poison true" ] ||
		log "WARNING: lease of the poison messages: '$check' (expected '$poison true': all leased, E still ahead; raise RETRIES_LEAD)"
}

# probe_stats LOG FROM TO: "mean max n" (ms) of the probe's transactions that
# overlap [FROM, TO] (epoch seconds); empty when there are none
probe_stats() {
	cat "$1".* 2>/dev/null | awk -v from="$2" -v to="$3" '{
		end = $5 + $6 / 1e6; start = end - $3 / 1e6
		if (start < to && end > from) { n++; s += $3 / 1e3; if ($3 / 1e3 > m) m = $3 / 1e3 } }
		END { if (n) printf "%.3f %.3f %d", s / n, m, n }'
}
# probe_before LOG FROM TO: mean latency (ms) of the transactions that
# ended in [FROM, TO]
probe_before() {
	cat "$1".* 2>/dev/null | awk -v from="$2" -v to="$3" '{
		end = $5 + $6 / 1e6
		if (end >= from && end < to) { n++; s += $3 / 1e3 } }
		END { if (n) printf "%.3f", s / n }'
}

dl_run() {
	local kind=$1 r=$2 tag=p2_$1_r$2 secs did qid t0 pid_m pid_p=
	local moved last drain rate ok=1 stats mean max n before sent left cap_opt=
	dl_setup "$kind"
	did=$(queue_id "$DLQ")
	qid=$(queue_id "$QC")
	t0=$(date +%s.%N)
	secs=$(awk -v e="$DL_E" -v t="$t0" -v a="$RETRIES_AFTER" 'BEGIN{printf "%d", e - t + a + 0.999}')
	[ "$kind" = alone ] || cap_opt="-c statement_timeout=${RETRIES_DRAIN_CAP}s"
	rm -f "$BENCH_OUT/${tag}_mover".* "$BENCH_OUT/${tag}_probe".*
	PGOPTIONS="$PGOPTIONS $cap_opt" pgbench -n -M prepared -f "$BENCH_SRCDIR/pgbench/retries_rd10.sql" \
		-c 1 -j 1 -T "$secs" -R 100 -D "queue=$QC" -l --log-prefix="$BENCH_OUT/${tag}_mover" \
		>"$BENCH_OUT/${tag}_mover.out" 2>&1 &
	pid_m=$!
	if [ "$kind" != alone ]; then
		PGOPTIONS="$PGOPTIONS $cap_opt" pgbench -n -M prepared -f "$BENCH_SRCDIR/pgbench/retries_rd1.sql" \
			-c 1 -j 1 -T "$secs" -D "queue=$QC" -l --log-prefix="$BENCH_OUT/${tag}_probe" \
			>"$BENCH_OUT/${tag}_probe.out" 2>&1 &
		pid_p=$!
	fi
	_BENCH_BG_PIDS=("$pid_m")
	[ -z "$pid_p" ] || _BENCH_BG_PIDS+=("$pid_p")
	wait "$pid_m" || true
	[ -z "$pid_p" ] || wait "$pid_p" || true
	_BENCH_BG_PIDS=()
	if grep -q 'aborted\|ERROR' "$BENCH_OUT/${tag}_mover.out" ${pid_p:+"$BENCH_OUT/${tag}_probe.out"}; then
		ok=0
		log "  $kind run $r: a consumer failed or was cancelled:"
		grep -h 'ERROR\|aborted in' "$BENCH_OUT/${tag}_mover.out" ${pid_p:+"$BENCH_OUT/${tag}_probe.out"} | head -n 3 >&2 || true
	fi
	# the dead letters that arrived, and when the last one did; and how many
	# were sent at all (bench_dlq's sequence counts those rolled back too)
	read -r moved last sent < <(sqlv "SELECT count(*), coalesce(extract(epoch FROM max(enqueued_at)), 0),
	                                        (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM pgmq_c.q_${did}_seq)
	                                   FROM pgmq_c.q_$did" | tr '|' ' ')
	drain='' rate='' mean='' max='' n='' before=
	if [ "$kind" = quiet ]; then
		[ "$moved" = 0 ] || { ok=0; log "WARNING: quiet run $r has $moved dead letters"; }
		stats=$(probe_stats "$BENCH_OUT/${tag}_probe" "$DL_E" 9999999999)
	else
		if [ "$moved" != "$RETRIES_POISON" ]; then
			ok=0
			log "WARNING: $kind run $r: $moved of $RETRIES_POISON dead letters in $DLQ at the end ($sent sent, rolled back ones included)"
			drain=$RETRIES_DRAIN_CAP
			rate=$(awk -v s="$sent" -v d="$drain" 'BEGIN{printf "%.2f", s / d}')
			stats=
		else
			drain=$(awk -v l="$last" -v e="$DL_E" 'BEGIN{printf "%.3f", l - e}')
			rate=$(awk -v m="$moved" -v d="$drain" 'BEGIN{ if (d > 0) printf "%.2f", m / d }')
			stats=
			[ "$kind" = alone ] || stats=$(probe_stats "$BENCH_OUT/${tag}_probe" "$DL_E" "$last")
		fi
		[ "$kind" = alone ] || before=$(probe_before "$BENCH_OUT/${tag}_probe" "$(awk -v t="$t0" 'BEGIN{printf "%.6f", t + 1}')" "$DL_E")
	fi
	read -r mean max n <<<"${stats:-}" || true
	left=$(sqlv "SELECT count(*) FROM pgmq_c.q_$qid")
	if [ "$kind" != alone ] && [ "$left" -le 0 ]; then
		ok=0
		log "WARNING: $kind run $r: the consumers read every good message; run not counted (raise RETRIES_GOOD)"
	fi
	if [ "$kind" != alone ] && [ -z "${mean:-}" ]; then ok=0; fi
	[ -n "${rate:-}" ] || [ "$kind" = quiet ] || ok=0
	# V1 drain s, V2 dead letters/s, V3 probe mean ms, V4 probe max ms,
	# V5 probe mean ms before E (100,000 leases ahead of the good messages)
	record 2 dl 1 "$kind" "$r" "${drain:-}" "${rate:-}" "${mean:-}" "${max:-}" "${before:-}" "$ok"
	log "  $kind run $r: $moved dead letters (sent $sent), drain ${drain:--} s, ${rate:--} msg/s; probe ${mean:--} ms mean, ${max:--} ms max over ${n:-0} transactions, ${before:--} ms before E; left in $QC: $left"
}

part2() {
	local r kind
	log "part 2: dead-lettering $(commas "$RETRIES_POISON") poison messages; {$P2_ORDER} x $RETRIES_DL_RUNS runs"
	for r in $(seq 1 "$RETRIES_DL_RUNS"); do
		# shellcheck disable=SC2046,SC2086 # lists of words
		for kind in $(rotate "$r" $P2_ORDER); do
			dl_run "$kind" "$r"
		done
	done
	drop_all
}

print_part2() {
	local kind q d x
	q=$(med 2 dl 1 quiet 8)
	table_head "Part 2: dead-lettering $(commas "$RETRIES_POISON") poison messages (max_deliveries 1, leases ending together at E, $(commas "$RETRIES_GOOD") good messages behind them), medians of $RETRIES_DL_RUNS runs" \
		"| run | drained (runs) | drain s | dead letters msg/s | probe ms/tx during the drain | probe max ms | probe ms/tx before E | ratio probe drain / quiet (target <= 1.3) |" \
		"|---|---:|---:|---:|---:|---:|---:|---:|"
	for kind in $P2_ORDER; do
		x="| ${P2_NAME[$kind]} | $(nok 2 dl 1 "$kind")/$(nruns 2 dl 1 "$kind")"
		case $kind in
		quiet)
			x="$x | - | - | $(fmt "$q") | $(fmt "$(med 2 dl 1 quiet 9)") | - | (reference) |"
			;;
		*)
			if [ "$(nok 2 dl 1 "$kind")" -gt 0 ]; then
				x="$x | $(fmt "$(med 2 dl 1 "$kind" 6)") | $(fmt "$(med 2 dl 1 "$kind" 7)")"
				if [ "$kind" = drain ]; then
					d=$(med 2 dl 1 drain 8)
					x="$x | $(fmt "$d") | $(fmt "$(med 2 dl 1 drain 9)") | $(fmt "$(med_failed_or_ok drain 10)") | $(ratio "$d" "$q") |"
				else
					x="$x | - | - | - | - |"
				fi
			else
				# not drained within the cap in any run
				x="$x | > $RETRIES_DRAIN_CAP | < $(fmt "$(med_failed 2 dl 1 "$kind" 7)") (sent, then rolled back)"
				if [ "$kind" = drain ]; then
					x="$x | >= $((RETRIES_DRAIN_CAP * 1000)) (read stuck until cancelled) | - | $(fmt "$(med_failed_or_ok drain 10)") | > $(ratio "$((RETRIES_DRAIN_CAP * 1000))" "$q" 0) |"
				else
					x="$x | - | - | - | - |"
				fi
			fi
			;;
		esac
		out "$x"
	done
	out ""
	out "(drain s: from E, when the poison messages' leases end, to the arrival of the last dead letter in the dead-letter queue; msg/s = poison messages / drain s. The probe is a second consumer of the same queue (BEGIN; read 1; delete by receipt; COMMIT; flat out); its ms/tx is the mean of pgbench's per-transaction latency (-l) over the transactions overlapping the drain, in the quiet runs over those after E. Before E the poison messages are leased ahead of the good ones. Reads of drain and quiet runs have statement_timeout = $RETRIES_DRAIN_CAP s: a drain not done by then is cancelled and rolled back, shown as > $RETRIES_DRAIN_CAP s with the messages sent until then. The background worker moves dead letters too, at most 1,000 per queue and second)"
	out ""
}
# median of column COL of the drain runs, OK or not
med_failed_or_ok() {
	awk -F'\t' -v col="$2" -v k="$1" '$1==2 && $2=="dl" && $4==k && $col != "" {print $col}' "$RESULTS" | median
}

# ---------------------------------------------------------------- main

for p in 1 2; do
	if selected "$RETRIES_PARTS" "$p"; then "part$p"; fi
done
for p in 1 2; do
	if selected "$RETRIES_PARTS" "$p"; then "print_part$p"; fi
done

out "1-minute load average during the run (every 10 s, $BENCH_OUT/loadavg.log): min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC') ($((($(date +%s) - t_start) / 60)) min)"
log "done; summary in $SUMMARY, raw pgbench output in $BENCH_OUT"
