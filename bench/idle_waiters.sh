#!/usr/bin/env bash
# bench/idle_waiters.sh -- what many idle consumers cost (issue 15, "500
# consumers waiting in receive on 100 queues": CPU while idle), against the
# same number of sessions that only sleep.
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/idle_waiters.sh
#
# (about 30 minutes on 2 cores with the defaults).  It needs pgmq_c built
# and installed; the cluster is the one bench/lib.sh starts for
# bench/run.sh, with max_connections raised for the waiters, stopped and
# removed at the end.
#
# IDLE_WAITERS sessions each loop in a DO block over
#   pgmq_c:   CALL pgmq_c.receive('<one of IDLE_QUEUES queues>', '30 s', 1,
#             wait => W, m); COMMIT;
#   baseline: PERFORM pg_sleep_for(W); COMMIT;
# on queues nobody sends to, each first sleeping a random part of W (with
# IDLE_STAGGER=1), so that their calls are spread over the wait as those of
# independent consumers are.  The baseline is the least an idle session
# that calls into the server once per W can cost: one transaction, one call
# and one timed wake-up of its process.  For each wait W of IDLE_WAITS, and
# for pgmq_c each pgmq_c.wait_slice of IDLE_SLICES, the sessions are
# started, left IDLE_SETTLE seconds, and their on-CPU time (the first field
# of /proc/<pid>/schedstat), with the database's pgmq_c worker's (which
# looks into the queues for readers that sleep past their slice), and
# their voluntary context switches are summed over IDLE_PERIODS whole
# waits; then they are ended.  The sides are rotated
# from run to run; the summary gives each side's median over IDLE_RUNS runs
# as a share of one core, and the ratio pgmq_c / baseline of the same run.
# Target (issue 15): <= 2 % of a core for 500 consumers.
#
# Environment:
#   IDLE_WAITERS=500        sessions on each side
#   IDLE_QUEUES=100         queues they wait on (in turn)
#   IDLE_WAITS="25 60"      waits, in seconds (longer than 30 s needs a
#                           top-level CALL: pgmq_c.max_receive_wait)
#   IDLE_SLICES="30s 10min" pgmq_c.wait_slice values for the pgmq_c side
#   IDLE_RUNS=3             runs
#   IDLE_PERIODS=2          waits per measurement
#   IDLE_SETTLE=15          seconds between the start and the measurement
#                           (with IDLE_STAGGER=1: after a whole wait)
#   IDLE_STAGGER=1          0: every session calls at the same moments
#   BENCH_OUT=dir           raw output and summary.txt
#                           (default /tmp/pgmqc-idle-<UTC timestamp>)
#   and those listed at the top of bench/lib.sh

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IDLE_WAITERS=${IDLE_WAITERS:-500}
IDLE_QUEUES=${IDLE_QUEUES:-100}
IDLE_WAITS=${IDLE_WAITS:-25 60}
IDLE_SLICES=${IDLE_SLICES:-30s 10min}
IDLE_RUNS=${IDLE_RUNS:-3}
IDLE_PERIODS=${IDLE_PERIODS:-2}
IDLE_SETTLE=${IDLE_SETTLE:-15}
IDLE_STAGGER=${IDLE_STAGGER:-1}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-idle-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
[ "$IDLE_WAITERS" -ge 1 ] && [ "$IDLE_QUEUES" -ge 1 ] ||
	die "IDLE_WAITERS and IDLE_QUEUES must be at least 1"
BENCH_EXTRA_CONF="max_connections = $((IDLE_WAITERS + 50))${BENCH_EXTRA_CONF:+
$BENCH_EXTRA_CONF}"
export BENCH_EXTRA_CONF

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt
WAITER_PIDS=()

# the psql clients of the waiters, ended with the run
BENCH_EXIT_HOOK=stop_waiters
bench_start
bench_up

bench_banner "pgmq_c idle waiters benchmark"

log "making $IDLE_QUEUES queues"
for q in $(seq 1 "$IDLE_QUEUES"); do
	echo "SELECT pgmq_c.create_queue('iw_$q');"
done | psql -qXAt -v ON_ERROR_STOP=1 >/dev/null
# settled catalogs: the waiters must not rebuild their caches while measured
sql -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null

stop_waiters() {
	local p
	if [ -n "${PGPORT:-}" ]; then
		sqlv "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'idle_waiter'" >/dev/null 2>&1 || true
	fi
	for p in "${WAITER_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	WAITER_PIDS=()
}

# start_waiters SIDE WAIT_SECONDS SLICE
start_waiters() {
	local side=$1 w=$2 slice=$3 i q body start=""
	[ "$IDLE_STAGGER" = 1 ] && start="PERFORM pg_sleep(random() * $w);"
	for i in $(seq 1 "$IDLE_WAITERS"); do
		q=$(((i - 1) % IDLE_QUEUES + 1))
		if [ "$side" = pgmq_c ]; then
			body="CALL pgmq_c.receive('iw_$q', '30 s', 1, '$w s', m); COMMIT;"
		else
			body="PERFORM pg_sleep_for('$w s'); COMMIT;"
		fi
		PGAPPNAME=idle_waiter PGOPTIONS="-c pgmq_c.wait_slice=$slice" \
			psql -qX -c "DO \$\$ DECLARE m pgmq_c.message[]; BEGIN $start LOOP $body END LOOP; END \$\$" \
			>/dev/null 2>&1 &
		WAITER_PIDS+=($!)
	done
	for i in $(seq 1 120); do
		[ "$(sqlv "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'idle_waiter'")" -ge "$IDLE_WAITERS" ] && return 0
		sleep 1
	done
	die "fewer than $IDLE_WAITERS waiters connected"
}

# measure SECONDS -> "share_of_a_core_% switches_per_minute_per_waiter
# worker_share_of_a_core_%": the CPU of the waiters and of the database's
# pgmq_c worker (which looks into the queues for readers that sleep past
# their slice), the switches of the waiters, and the worker's part apart
measure() {
	local s=$1 p x sw
	local -A cpu0 sw0
	local pids workers
	pids=$(sqlv "SELECT pid FROM pg_stat_activity WHERE application_name = 'idle_waiter'")
	workers=$(sqlv "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker' AND datname = current_database()")
	for p in $pids $workers; do
		read -r x _ </proc/"$p"/schedstat
		cpu0[$p]=$x
		sw0[$p]=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/"$p"/status)
	done
	sleep "$s"
	local tot=0 swt=0 n=0 wtot=0
	for p in $pids; do
		[ -r /proc/"$p"/schedstat ] || die "waiter $p ended while measured"
		read -r x _ </proc/"$p"/schedstat
		sw=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/"$p"/status)
		tot=$((tot + x - ${cpu0[$p]}))
		swt=$((swt + sw - ${sw0[$p]}))
		n=$((n + 1))
	done
	for p in $workers; do
		[ -r /proc/"$p"/schedstat ] || die "the pgmq_c worker $p ended while measured"
		read -r x _ </proc/"$p"/schedstat
		wtot=$((wtot + x - ${cpu0[$p]}))
	done
	awk -v t="$((tot + wtot))" -v w="$wtot" -v s="$s" -v sw="$swt" -v n="$n" \
		'BEGIN { printf "%.3f %.2f %.3f\n", 100 * t / 1e9 / s, sw * 60 / s / n, 100 * w / 1e9 / s }'
}

log "$IDLE_WAITERS waiters on $IDLE_QUEUES queues; waits: $IDLE_WAITS s; slices: $IDLE_SLICES; $IDLE_RUNS runs"
for r in $(seq 1 "$IDLE_RUNS"); do
	for w in $IDLE_WAITS; do
		cases="baseline"
		for slice in $IDLE_SLICES; do
			cases="$cases pgmq_c:$slice"
		done
		# shellcheck disable=SC2086 # the cases are words
		for c in $(rotate "$r" $cases); do
			side=${c%%:*}
			slice=30s
			[ "$side" = pgmq_c ] && slice=${c#*:}
			log "run $r, wait $w s: $c"
			start_waiters "$side" "$w" "$slice"
			sleep "$IDLE_SETTLE"
			[ "$IDLE_STAGGER" = 1 ] && sleep "$w"
			read -r share switches worker < <(measure $((w * IDLE_PERIODS)))
			stop_waiters
			log "  $share % of a core (the worker's part: $worker), $switches switches per minute per waiter"
			record "$w" "$c" x x 1 "$share" "$switches" "$r" "$worker"
		done
	done
done

spread="calls spread over the wait"
[ "$IDLE_STAGGER" = 1 ] || spread="every session calling at the same moments"
table_head "Idle CPU of $IDLE_WAITERS sessions on $IDLE_QUEUES queues ($spread), summed over them and the database's pgmq_c worker (on-CPU time from /proc/<pid>/schedstat over $IDLE_PERIODS waits), medians of $IDLE_RUNS runs; baseline: the same sessions in a pg_sleep_for loop" \
	"| wait per call | side | % of a core (target <= 2) | runs | the worker's part | switches per minute per session | pgmq_c / baseline |" \
	"|---:|---|---:|---|---:|---:|---:|"
for w in $IDLE_WAITS; do
	base=$(bench_med 5 "$w" baseline x x 6)
	for c in baseline $(for s in $IDLE_SLICES; do printf 'pgmq_c:%s ' "$s"; done); do
		runs=$(awk -F'\t' -v w="$w" -v c="$c" '$1==w && $2==c {printf "%s%s", s, $6; s=", "}' "$RESULTS")
		med=$(bench_med 5 "$w" "$c" x x 6)
		sw=$(bench_med 5 "$w" "$c" x x 7)
		wk=$(bench_med 5 "$w" "$c" x x 9)
		label=$c
		[ "$c" = baseline ] && label="baseline (pg_sleep_for)"
		[ "$c" != baseline ] && label="receive, pgmq_c.wait_slice = ${c#*:}"
		rat="-"
		[ "$c" != baseline ] && rat=$(ratio "$med" "$base")
		out "| $w s | $label | $(fmt "$med") | $runs | $(fmt "$wk") | $(fmt "$sw") | $rat |"
	done
done
out ""
out "results: $RESULTS"
