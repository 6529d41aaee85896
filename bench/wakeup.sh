#!/usr/bin/env bash
# bench/wakeup.sh -- waiting inside the server: wake-up latency, the cost of
# notifications for producers, and the background worker's idle CPU.
#
# One command, as root (or as any user), from the repository root:
#
#     bash bench/wakeup.sh
#
# It needs pgmq_c installed (make install; this script never installs it).
# It starts a throwaway PostgreSQL cluster through bench/lib.sh (as root:
# scripts/common.sh's pgmqc_start_cluster, an unprivileged user, a free port
# from BENCH_PORT = 57432 up, a private unix socket, fsync and
# synchronous_commit on, shared_preload_libraries = 'pgmq_c'), builds
# bench/wakeup.c into the output directory (cc -O2 ... -lpq), and prints:
#
#   Table 1  wake-up latency, producer's COMMIT returned -> consumer has the
#            message, over WK_ROUNDS rounds x WK_MESSAGES messages per method
#            (uniform WK_GAP_MIN_MS..WK_GAP_MAX_MS gaps; methods interleaved
#            round by round): p50/p90/p99/max of all messages, and the
#            median over rounds of each round's p50 and p99.  Methods:
#              read      SELECT * FROM pgmq_c.read(q, '30 s', 1, '10 s'), loop
#              receive   CALL pgmq_c.receive(q, '30 s', 1, '10 s'), loop
#              listen    plain table + AFTER INSERT trigger calling pg_notify;
#                        LISTEN, poll() on the socket, then claim the row with
#                        UPDATE ... WHERE msg_id = (SELECT ... LIMIT 1 FOR
#                        UPDATE SKIP LOCKED) RETURNING (a lease, as read does)
#              qnotify   pgmq_c queue with enable_notify(); LISTEN pgmq_c,
#                        then pgmq_c.read(q, '30 s', 1)
#              poll      the plain claim every 100 ms while empty
#              read_tx   diagnostic: read(..., wait) inside BEGIN ... COMMIT,
#                        timed before that COMMIT, so without the reader's
#                        own commit (WAL flush) that every other row includes
#            Every consumer deletes each message after timing it; "has the
#            message" includes the consumer's own lease commit for all methods.
#            Producer and consumer are two threads of one process, timed with
#            CLOCK_MONOTONIC; except for poll, the producer starts each gap
#            only when the consumer has finished the previous message, so
#            each message finds the consumer asleep (wake-up, not queueing).
#            See bench/wakeup.c for the exact protocol.
#   Table 2  producer throughput, send 1 per transaction, pgbench -n -M
#            prepared -c 4 -j 4: a pgmq_c queue with enable_notify() vs
#            without, and a plain table (the same shape) with an AFTER INSERT
#            pg_notify trigger vs without (and a queue whose notifications
#            are throttled); a LISTEN client on both channels throughout;
#            WK_TP_RUNS interleaved runs each, medians, ratios (of the
#            medians, and the median of the ratios within each run, which
#            drift on a shared machine disturbs less); the notifications
#            received, the CPU of the worker, and the CPU of the whole server
#            per transaction (less sensitive to other load than tps).
#   Table 3  CPU (utime + stime from /proc/<pid>/stat) and wake-ups
#            (voluntary context switches) of the pgmq_c launcher and worker(s)
#            over WK_IDLE_SECONDS with every queue idle (one queue with
#            notify enabled, one with a message delayed by an hour), and of a
#            backend waiting in CALL pgmq_c.receive(..., wait => '25 s').
#
# Environment (defaults in brackets):
#   WK_PARTS ["latency throughput idle"]  which tables to produce
#   WK_MESSAGES [1000]      messages per method and round
#   WK_ROUNDS [3]           latency rounds (method order rotates per round)
#   WK_METHODS ["read receive listen qnotify poll read_tx"]
#   WK_GAP_MIN_MS [1] WK_GAP_MAX_MS [20]   producer's gaps (uniform)
#   WK_TP_RUNS [5] WK_TP_SECONDS [6] WK_TP_CLIENTS [4]   table 2
#   WK_TP_THROTTLE ["100 milliseconds"]  table 2 also runs a queue with
#                           enable_notify(throttle => this); empty: skip it
#   WK_IDLE_SECONDS [30]    table 3
#   WK_WAITERS [0]          that many more consumers wait the whole run, each
#                           in a loop of CALL pgmq_c.receive(..., wait =>
#                           '25 s') on one of WK_WAITER_QUEUES [100] queues
#                           nobody sends to (the cluster gets max_connections
#                           WK_WAITERS + 50); table 3 then adds their CPU
#                           (issue 15: 500 waiting consumers on 100 queues);
#                           BENCH_EXTRA_CONF lines are added after it (say
#                           "pgmq_c.wait_slice = '10min'")
#   BENCH_PORT [57432]      first port tried for the cluster
#   WK_OUT                  raw outputs and summary.txt
#                           [/tmp/pgmqc-wakeup-<UTC timestamp>]
#   BENCH_CHART_DIR [docs/img]  where table 1's chart, wakeup_cdf.png (the
#                           CDF of each method's latencies, bench/charts.sh),
#                           is written; BENCH_CHARTS=0: no chart
#   and those of bench/lib.sh (BENCH_PGHOST/BENCH_PGPORT to use a running
#   cluster that preloads pgmq_c, BENCH_KEEP=1 to keep the cluster).
# Defaults take about 8 minutes (3.5 for table 1, 3.5 for table 2, 40 s for
# table 3, plus the cluster).

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WK_PARTS=${WK_PARTS:-"latency throughput idle"}
WK_MESSAGES=${WK_MESSAGES:-1000}
WK_ROUNDS=${WK_ROUNDS:-3}
WK_METHODS=${WK_METHODS:-"read receive listen qnotify poll read_tx"}
WK_GAP_MIN_MS=${WK_GAP_MIN_MS:-1}
WK_GAP_MAX_MS=${WK_GAP_MAX_MS:-20}
WK_TP_RUNS=${WK_TP_RUNS:-5}
WK_TP_SECONDS=${WK_TP_SECONDS:-6}
WK_TP_CLIENTS=${WK_TP_CLIENTS:-4}
WK_TP_THROTTLE=${WK_TP_THROTTLE-100 milliseconds}
WK_IDLE_SECONDS=${WK_IDLE_SECONDS:-30}
WK_WAITERS=${WK_WAITERS:-0}
WK_WAITER_QUEUES=${WK_WAITER_QUEUES:-100}
if [ "$WK_WAITERS" -gt 0 ]; then
	BENCH_EXTRA_CONF="max_connections = $((WK_WAITERS + 50))${BENCH_EXTRA_CONF:+
$BENCH_EXTRA_CONF}"
	export BENCH_EXTRA_CONF
fi
BENCH_PORT=${BENCH_PORT:-57432}
BENCH_OUT=${WK_OUT:-/tmp/pgmqc-wakeup-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT BENCH_PORT

SUMMARY=$BENCH_OUT/summary.txt
WK=$BENCH_OUT/wakeup
LISTEN_PID=
IDLE_PID=
WAITER_PIDS=()

kill_clients() {
	local p
	for p in $LISTEN_PID $IDLE_PID "${WAITER_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
}
BENCH_EXIT_HOOK=kill_clients
bench_want_charts
bench_start

# ---------------------------------------------------------------- build

cc -O2 -Wall -pthread -I"$(pg_config --includedir)" -o "$WK" "$BENCH_SRCDIR/wakeup.c" \
	-L"$(pg_config --libdir)" -lpq -lm || die "could not build bench/wakeup.c"

# ---------------------------------------------------------------- cluster

bench_up
[ "$(sqlv 'SHOW shared_preload_libraries')" = pgmq_c ] ||
	die "the cluster does not preload pgmq_c"

sql <<'EOF' >/dev/null
CREATE OR REPLACE FUNCTION public.wk_notify_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify(TG_TABLE_NAME, NEW.msg_id::text);
	RETURN NULL;
END
$$;
EOF

# plain_table NAME [trigger]: the shape of pgmq_c's q_<id> (bench/lib.sh's
# baseline), with a sequence NAME_seq, optionally the pg_notify trigger
plain_table() {
	bl_reset "$1"
	if [ "${2:-}" = trigger ]; then
		sql -c "CREATE TRIGGER wk_notify AFTER INSERT ON public.$1
		        FOR EACH ROW EXECUTE FUNCTION public.wk_notify_trigger()" >/dev/null
	fi
}

src_rev=$(git -C "$BENCH_SRCDIR/.." log -1 --format='%h %s' 2>/dev/null || echo '?')
so=$(pg_config --pkglibdir)/pgmq_c.so
out "pgmq_c wake-up benchmark (bench/wakeup.sh), started $BENCH_STARTED"
out "  PostgreSQL $(sqlv 'SHOW server_version'); $(bench_machine)"
out "  source: $src_rev; installed $so of $(date -u -r "$so" '+%Y-%m-%d %H:%M UTC')"
out "  settings: $(bench_settings) pgmq_c.wait_slice=$(sqlv 'SHOW pgmq_c.wait_slice') clients over the unix socket"
out "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
out ""

# ---------------------------------------------------------------- waiters

# WK_WAITERS consumers, each in a loop of receive calls that wait 25 s on
# one of the queues wk_wait_1 .. wk_wait_<WK_WAITER_QUEUES>, which stay empty
start_waiters() {
	local i q
	[ "$WK_WAITERS" -gt 0 ] || return 0
	for q in $(seq 1 "$WK_WAITER_QUEUES"); do
		echo "SELECT pgmq_c.create_queue('wk_wait_$q');"
	done | sql >/dev/null
	for i in $(seq 1 "$WK_WAITERS"); do
		q=$(((i - 1) % WK_WAITER_QUEUES + 1))
		PGAPPNAME=wk_waiter psql -qX -c "DO \$\$ DECLARE m pgmq_c.message[]; BEGIN LOOP CALL pgmq_c.receive('wk_wait_$q', '30 s', 1, '25 s', m); COMMIT; END LOOP; END \$\$" \
			>/dev/null 2>&1 &
		WAITER_PIDS+=($!)
	done
	for i in $(seq 1 120); do
		[ "$(sqlv "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wk_waiter' AND wait_event_type = 'Extension'")" -ge "$WK_WAITERS" ] && break
		kill -0 "${WAITER_PIDS[0]}" 2>/dev/null || die "the waiting consumers ended (psql failed)"
		sleep 1
	done
	log "$(sqlv "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wk_waiter' AND wait_event_type = 'Extension'") of $WK_WAITERS waiting consumers asleep on $WK_WAITER_QUEUES queues"
	out "  $WK_WAITERS more consumers wait the whole run, in CALL pgmq_c.receive(..., wait => '25 s') loops on $WK_WAITER_QUEUES empty queues"
	out ""
}
start_waiters

# ---------------------------------------------------------------- numbers

# pctl P: the P-th percentile (nearest rank) of the numbers on stdin
pctl() {
	sort -g | awk -v p="$1" '{a[NR] = $1} END {
		if (NR == 0) { print "nan"; exit }
		i = p / 100 * NR; k = int(i); if (k < i) k++; if (k < 1) k = 1
		printf "%.3f", a[k] }'
}
f2() { awk -v x="$1" 'BEGIN { if (x == "" || x == "nan") print "-"; else printf "%.2f", x }'; }
f3() { awk -v x="$1" 'BEGIN { if (x == "" || x == "nan") print "-"; else printf "%.3f", x }'; }

# ---------------------------------------------------------------- table 1

declare -A M_NAME=(
	[read]="pgmq_c.read(q, '30 s', 1, wait => '10 s')"
	[receive]="CALL pgmq_c.receive(q, '30 s', 1, wait => '10 s')"
	[listen]="LISTEN/NOTIFY, plain table + pg_notify trigger"
	[qnotify]="LISTEN pgmq_c (enable_notify) + pgmq_c.read"
	[poll]="poll every 100 ms, plain table"
	[read_tx]="(diagnostic) read(..., wait) in BEGIN, timed before its COMMIT"
)
# method round sent received lost dup p50 p90 p99 max wakeups
LAT=$BENCH_OUT/latency.tsv

latency() {
	local r m order seed line i rc w0 w1
	: >"$LAT"
	sql -c "SELECT pgmq_c.drop_queue('wk_read')" -c "SELECT pgmq_c.drop_queue('wk_notify')" \
		-c "SELECT pgmq_c.create_queue('wk_read')" -c "SELECT pgmq_c.create_queue('wk_notify')" \
		-c "SELECT pgmq_c.enable_notify('wk_notify')" >/dev/null
	plain_table wk_trig trigger
	plain_table wk_poll
	# no ANALYZE of the empty tables (see fresh_tables in bench/lib.sh)
	sql -c "CHECKPOINT" >/dev/null
	log "table 1: $WK_ROUNDS rounds x {$WK_METHODS} x $WK_MESSAGES messages, gaps ${WK_GAP_MIN_MS}-${WK_GAP_MAX_MS} ms"
	read -r -a methods <<<"$WK_METHODS"
	for r in $(seq 1 "$WK_ROUNDS"); do
		# rotate the order, so drift and position hit every method alike
		order=()
		for i in "${!methods[@]}"; do
			order+=("${methods[$(((i + r - 1) % ${#methods[@]}))]}")
		done
		for m in "${order[@]}"; do
			seed=$((r * 1000 + ${#m}))
			rc=0
			w0=$(sqlv "SELECT wakeups FROM pgmq_c.status()")
			line=$("$WK" lat "$m" "$WK_MESSAGES" "$WK_GAP_MIN_MS" "$WK_GAP_MAX_MS" "$seed" \
				"$BENCH_OUT/lat_${m}_r$r.tsv" 2>"$BENCH_OUT/lat_${m}_r$r.err") || rc=$?
			if [ "$rc" -ge 2 ] || [ -z "$line" ]; then
				cat "$BENCH_OUT/lat_${m}_r$r.err" >&2
				die "wakeup lat $m failed"
			fi
			w1=$(sqlv "SELECT wakeups FROM pgmq_c.status()")
			log "  round $r $m: ${line#RESULT } wakeups=$((w1 - w0))"
			echo "$line" | awk -v m="$m" -v r="$r" -v w="$((w1 - w0))" '{
				for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
				printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m, r, v["sent"], v["received"],
					v["lost"], v["dup"], v["p50"], v["p90"], v["p99"], v["max"], w }' >>"$LAT"
		done
		# the consumers delete everything: keep the tables small between rounds
		sql -c "VACUUM public.wk_trig, public.wk_poll" >/dev/null
	done
}

print_latency() {
	local m files n all p50 p90 p99 max mp50 mp99 lost dup np50 np99 wk
	out "Table 1: wake-up latency, ms from the producer's COMMIT returning to the consumer holding the message"
	out "  ($WK_ROUNDS rounds x $WK_MESSAGES messages per method, gaps uniform ${WK_GAP_MIN_MS}-${WK_GAP_MAX_MS} ms; pooled percentiles over all"
	out "  messages, and the median over rounds of the per-round p50 / p99; wake-ups: sleeps of waiting readers"
	table_head "  ended by a commit's wake-up (pgmq_c.status().wakeups) per message)" \
		"| method | messages | p50 | p90 | p99 | max | median round p50 | median round p99 | lost/dup | wake-ups/msg |" \
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for m in $WK_METHODS; do
		files=("$BENCH_OUT"/lat_"${m}"_r*.tsv)
		all=$(cat "${files[@]}" | cut -f2)
		n=$(printf '%s\n' "$all" | grep -c . || true)
		p50=$(printf '%s\n' "$all" | pctl 50)
		p90=$(printf '%s\n' "$all" | pctl 90)
		p99=$(printf '%s\n' "$all" | pctl 99)
		max=$(printf '%s\n' "$all" | pctl 100)
		mp50=$(awk -F'\t' -v m="$m" '$1 == m {print $7}' "$LAT" | median)
		mp99=$(awk -F'\t' -v m="$m" '$1 == m {print $9}' "$LAT" | median)
		lost=$(awk -F'\t' -v m="$m" '$1 == m {s += $5} END {print s + 0}' "$LAT")
		dup=$(awk -F'\t' -v m="$m" '$1 == m {s += $6} END {print s + 0}' "$LAT")
		wk=$(awk -F'\t' -v m="$m" '$1 == m {s += $11; n += $4} END {printf "%.2f", n ? s / n : 0}' "$LAT")
		case $m in read | receive | read_tx) ;; *) wk="-" ;; esac
		out "| ${M_NAME[$m]} | $n | $(f3 "$p50") | $(f3 "$p90") | $(f3 "$p99") | $(f3 "$max") | $(f3 "$mp50") | $(f3 "$mp99") | $lost/$dup | $wk |"
	done
	out ""
	for m in listen qnotify; do
		selected "$WK_METHODS" "$m" || continue
		files=("$BENCH_OUT"/lat_"${m}"_r*.tsv)
		np50=$(cat "${files[@]}" | cut -f3 | grep -v nan | pctl 50)
		np99=$(cat "${files[@]}" | cut -f3 | grep -v nan | pctl 99)
		out "  $m: the notification itself reached the client after p50 $(f3 "$np50") / p99 $(f3 "$np99") ms (the rest is the claim)"
	done
	out "  per-round p50 / p99 (ms):"
	for m in $WK_METHODS; do
		out "    $(printf '%-8s' "$m") $(awk -F'\t' -v m="$m" '$1 == m {printf "  r%s %.3f / %.3f", $2, $7, $9}' "$LAT")"
	done
	if selected "$WK_METHODS" read; then
		local rp50 rp99 lp50 lp99
		rp50=$(cat "$BENCH_OUT"/lat_read_r*.tsv | cut -f2 | pctl 50)
		rp99=$(cat "$BENCH_OUT"/lat_read_r*.tsv | cut -f2 | pctl 99)
		out ""
		out "  target read(..., wait): p50 <= 0.5 ms: $(awk -v x="$rp50" 'BEGIN{print (x <= 0.5) ? "met" : "MISSED"}') ($(f3 "$rp50")); p99 <= 1.5 ms: $(awk -v x="$rp99" 'BEGIN{print (x <= 1.5) ? "met" : "MISSED"}') ($(f3 "$rp99"))"
		if selected "$WK_METHODS" listen; then
			lp50=$(cat "$BENCH_OUT"/lat_listen_r*.tsv | cut -f2 | pctl 50)
			lp99=$(cat "$BENCH_OUT"/lat_listen_r*.tsv | cut -f2 | pctl 99)
			out "  read(..., wait) vs LISTEN/NOTIFY: p50 $(f3 "$rp50") vs $(f3 "$lp50"), p99 $(f3 "$rp99") vs $(f3 "$lp99") ms: $(awk -v a="$rp50" -v b="$lp50" -v c="$rp99" -v d="$lp99" 'BEGIN{print (a <= b && c <= d) ? "at least as fast" : "slower on " ((a > b && c > d) ? "p50 and p99" : (a > b ? "p50" : "p99"))}')"
		fi
	fi
	out ""
}

# ---------------------------------------------------------------- table 2

# TP: config run tps ok notifications cpu_worker_s cpu_listener_backend_s
#     server_cpu_us_per_tx worker_wakeups
TP=$BENCH_OUT/throughput.tsv
declare -A TP_NAME=(
	[qc_on]="pgmq_c.send, enable_notify(throttle 0)"
	[qc_thr]="pgmq_c.send, enable_notify(throttle $WK_TP_THROTTLE)"
	[qc_off]="pgmq_c.send, no notify"
	[pl_trig]="plain INSERT + pg_notify trigger"
	[pl_plain]="plain INSERT, no trigger"
)
TP_ORDER="qc_on qc_off pl_trig pl_plain"
[ -n "$WK_TP_THROTTLE" ] && TP_ORDER="qc_on qc_thr qc_off pl_trig pl_plain"

# on-CPU nanoseconds of a process (/proc/<pid>/schedstat), or empty
cpu_ns() {
	if [ -n "$1" ]; then cut -d' ' -f1 "/proc/$1/schedstat" 2>/dev/null || true; fi
}
# the listener's running count (it prints it on SIGUSR1)
listener_count() {
	kill -USR1 "$LISTEN_PID" 2>/dev/null || return 0
	sleep 0.2
	grep '^notifications=' "$BENCH_OUT/tp_listener.out" | tail -n 1 | cut -d= -f2
}
# CPU clock ticks of the whole cluster so far: the postmaster's own and its
# reaped children's (cutime, cstime), plus every live child's
PM_PID=
server_ticks() {
	{
		sed 's/.*) //' "/proc/$PM_PID/stat" | awk '{print $12 + $13 + $14 + $15}'
		# a child that exits meanwhile (an autovacuum worker) is left out
		for c in $(ps -o pid= --ppid "$PM_PID"); do
			{ sed 's/.*) //' "/proc/$c/stat" 2>/dev/null || true; } | awk '{print $12 + $13}'
		done
	} | awk '{s += $1} END {print s + 0}'
}
# voluntary context switches of a process, or empty
vcsw() {
	if [ -n "$1" ]; then awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$1/status" 2>/dev/null || true; fi
}
# b - a, scaled; nan when either is missing
diff_or_nan() { awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN { if (a == "" || b == "") print "nan"; else print (b - a) / d }'; }

throughput() {
	local r c t order n0 n1 w0 w1 l0 l1 s0 s1 v0 v1 wpid lpid txns hz
	: >"$TP"
	hz=$(getconf CLK_TCK)
	PM_PID=$(head -n 1 "$(sqlv 'SHOW data_directory')/postmaster.pid")
	for c in on thr off; do
		echo "SELECT pgmq_c.send('wk_tp_$c', :msg::jsonb);" >"$BENCH_OUT/tp_qc_$c.sql"
		sql -c "SELECT pgmq_c.drop_queue('wk_tp_$c')" -c "SELECT pgmq_c.create_queue('wk_tp_$c')" >/dev/null
	done
	sql -c "SELECT pgmq_c.enable_notify('wk_tp_on')" >/dev/null
	if [ -n "$WK_TP_THROTTLE" ]; then
		sql -c "SELECT pgmq_c.enable_notify('wk_tp_thr', '$WK_TP_THROTTLE')" >/dev/null
	fi
	for t in trig plain; do
		printf '%s\n' "INSERT INTO wk_tp_$t (msg_id, vt, message)" \
			"VALUES (nextval('wk_tp_${t}_seq'), clock_timestamp(), :msg::jsonb);" >"$BENCH_OUT/tp_pl_$t.sql"
	done
	plain_table wk_tp_trig trigger
	plain_table wk_tp_plain
	"$WK" listen pgmq_c wk_tp_trig >"$BENCH_OUT/tp_listener.out" 2>&1 &
	LISTEN_PID=$!
	sleep 1
	wpid=$(sqlv "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker' AND datname = current_database()")
	lpid=$(sqlv "SELECT pid FROM pg_stat_activity WHERE application_name = 'wakeup listener'")
	log "table 2: {$TP_ORDER} x $WK_TP_RUNS runs x ${WK_TP_SECONDS}s, $WK_TP_CLIENTS clients; listener backend $lpid, worker $wpid"
	for r in $(seq 1 "$WK_TP_RUNS"); do
		if [ $((r % 2)) = 1 ]; then order=$TP_ORDER; else order=$(echo "$TP_ORDER" | tr ' ' '\n' | tac | tr '\n' ' '); fi
		for c in $order; do
			# every run starts from empty tables and a fresh checkpoint
			sql -c "SELECT pgmq_c.purge_queue(q) FROM unnest(ARRAY['wk_tp_on', 'wk_tp_thr', 'wk_tp_off']) q" \
				-c "TRUNCATE public.wk_tp_trig, public.wk_tp_plain" -c "CHECKPOINT" >/dev/null
			n0=$(listener_count)
			w0=$(cpu_ns "$wpid")
			l0=$(cpu_ns "$lpid")
			s0=$(server_ticks)
			v0=$(vcsw "$wpid")
			pgbench_run "tp_${c}_r$r" "$BENCH_OUT/tp_$c.sql" "$WK_TP_CLIENTS" "$WK_TP_SECONDS"
			sleep 0.3 # let the last notifications arrive
			n1=$(listener_count)
			w1=$(cpu_ns "$wpid")
			l1=$(cpu_ns "$lpid")
			s1=$(server_ticks)
			v1=$(vcsw "$wpid")
			txns=$(awk '/^number of transactions actually processed:/ {print $NF}' "$BENCH_OUT/tp_${c}_r$r.out")
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$PB_TPS" "$PB_OK" \
				"$(diff_or_nan "$n0" "$n1")" "$(diff_or_nan "$w0" "$w1" 1e9)" \
				"$(diff_or_nan "$l0" "$l1" 1e9)" \
				"$(awk -v a="$s0" -v b="$s1" -v n="${txns:-0}" -v hz="$hz" 'BEGIN { print (n > 0 ? (b - a) / hz * 1e6 / n : "nan") }')" \
				"$(diff_or_nan "$v0" "$v1")" >>"$TP"
			log "  run $r $c: $(fmt "$PB_TPS") tps, $(tail -n 1 "$TP" | cut -f5) notifications, worker CPU $(tail -n 1 "$TP" | cut -f6) s, server CPU $(tail -n 1 "$TP" | cut -f8) us/tx"
		done
	done
	kill "$LISTEN_PID" 2>/dev/null || true
	wait "$LISTEN_PID" 2>/dev/null || true
	LISTEN_PID=
}

# median of column COL (3: tps, 5: notifications, 6, 7: CPU s, 8: CPU us/tx)
# of config C
tp_med() { awk -F'\t' -v c="$1" -v col="${2:-3}" '$1 == c && $4 == 1 && $col != "nan" {print $col}' "$TP" | median; }
# median over runs of A/B within the same run (column COL, default tps)
tp_paired() {
	awk -F'\t' -v a="$1" -v b="$2" -v col="${3:-3}" '$4 == 1 && $1 == a {x[$2] = $col}
		$4 == 1 && $1 == b {y[$2] = $col}
		END { for (r in x) if ((r in y) && y[r] > 0) print x[r] / y[r] }' "$TP" | median
}

print_throughput() {
	local c runs on off tr pl thr
	out "Table 2: producer throughput, send 1 message per transaction, pgbench -n -M prepared -c $WK_TP_CLIENTS -j $WK_TP_CLIENTS -T $WK_TP_SECONDS"
	out "  ($WK_TP_RUNS interleaved runs each, order reversed every other run; tables emptied and CHECKPOINT before"
	out "  each run; one LISTEN client on both channels throughout; notifications = received by it per run;"
	out "  worker wake-ups = its voluntary context switches; CPU = on-CPU seconds per run (/proc/<pid>/schedstat)"
	out "  of the pgmq_c worker and of the listener's backend;"
	table_head "  server CPU / tx = utime+stime of the postmaster and all its children, reaped ones included, per transaction)" \
		"| producer | runs (tps) | median tps | notifications / run | worker wake-ups / run | worker CPU s / run | listener backend CPU s / run | server CPU us / tx |" \
		"|---|---|---:|---:|---:|---:|---:|---:|"
	for c in $TP_ORDER; do
		runs=$(awk -F'\t' -v c="$c" '$1 == c {printf "%s%s", (n++ ? ", " : ""), ($4 == 1 ? sprintf("%.0f", $3) : "failed")}' "$TP")
		out "| ${TP_NAME[$c]} | $runs | $(fmt "$(tp_med "$c")") | $(awk -v x="$(tp_med "$c" 5)" 'BEGIN { if (x == "nan") print "-"; else printf "%.0f", x }') | $(awk -v x="$(tp_med "$c" 9)" 'BEGIN { if (x == "nan") print "-"; else printf "%.0f", x }') | $(f2 "$(tp_med "$c" 6)") | $(f2 "$(tp_med "$c" 7)") | $(awk -v x="$(tp_med "$c" 8)" 'BEGIN { if (x == "nan") print "-"; else printf "%.0f", x }') |"
	done
	on=$(tp_med qc_on)
	off=$(tp_med qc_off)
	tr=$(tp_med pl_trig)
	pl=$(tp_med pl_plain)
	out ""
	out "  tps ratios: of the medians [median of the per-run ratios]; server CPU per transaction: median of the"
	out "  per-run ratios, notify / no notify (1.00 = no extra CPU)"
	out "  pgmq_c notify enabled (throttle 0) / disabled: $(ratio "$on" "$off") [$(f2 "$(tp_paired qc_on qc_off)")]; server CPU/tx x$(f2 "$(tp_paired qc_on qc_off 8)") (target >= 0.95: $(awk -v a="$on" -v b="$off" 'BEGIN{print (b > 0 && a / b >= 0.95) ? "met" : "MISSED"}') on the medians)"
	if [ -n "$WK_TP_THROTTLE" ]; then
		thr=$(tp_med qc_thr)
		out "  pgmq_c notify enabled (throttle $WK_TP_THROTTLE) / disabled: $(ratio "$thr" "$off") [$(f2 "$(tp_paired qc_thr qc_off)")]; server CPU/tx x$(f2 "$(tp_paired qc_thr qc_off 8)")"
	fi
	out "  plain pg_notify trigger / no trigger: $(ratio "$tr" "$pl") [$(f2 "$(tp_paired pl_trig pl_plain)")]; server CPU/tx x$(f2 "$(tp_paired pl_trig pl_plain 8)")"
	out "  (pgmq_c.send without notify / plain INSERT without trigger: $(ratio "$off" "$pl") [$(f2 "$(tp_paired qc_off pl_plain)")])"
	out ""
}

# ---------------------------------------------------------------- table 3

# proc_sample PID: "utime+stime (clock ticks) voluntary_ctxt_switches
# on-CPU ns (schedstat)"
proc_sample() {
	local pid=$1 st vol ns
	st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || return 1
	[ -n "$st" ] || return 1
	vol=$(awk '/^voluntary_ctxt_switches/{print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
	ns=$(cut -d' ' -f1 "/proc/$pid/schedstat" 2>/dev/null) || ns=0
	echo "$st $vol $ns"
}

# waiter_samples: "pid ticks voluntary_switches" of every waiting consumer
waiter_samples() {
	local pid x
	for pid in $(sqlv "SELECT pid FROM pg_stat_activity WHERE application_name = 'wk_waiter'"); do
		x=$(proc_sample "$pid") || continue
		echo "$pid $x"
	done | awk '{print $1, $2, $3}'
}

# label pid cpu_s cpu_s_per_min wakeups_per_min oncpu_ms_per_min
IDLE=$BENCH_OUT/idle.tsv

idle() {
	local hz pids pid label after i calls
	hz=$(getconf CLK_TCK)
	: >"$IDLE"
	# idle state: the queues of tables 1 and 2 stay (wk_notify and wk_tp_on
	# with notify enabled), plus a queue with one message due in an hour
	sql -c "SELECT pgmq_c.drop_queue('wk_idle')" -c "SELECT pgmq_c.create_queue('wk_idle')" \
		-c "SELECT pgmq_c.send('wk_idle', '{\"later\": 1}', delay => '1 hour')" \
		-c "SELECT pgmq_c.create_queue('wk_idle_notify')" \
		-c "SELECT pgmq_c.enable_notify('wk_idle_notify')" >/dev/null
	# one consumer waiting the whole time, in successive 25 s receive calls
	calls=$((WK_IDLE_SECONDS / 25 + 3))
	for i in $(seq 1 "$calls"); do
		echo "CALL pgmq_c.receive('wk_idle_notify', '30 s', 1, '25 s');"
	done | PGAPPNAME=wk_idle_reader psql -qX >/dev/null 2>&1 &
	IDLE_PID=$!
	sleep 5 # let everything settle (the consumer is asleep, the worker idle)
	mapfile -t pids < <(sqlv "SELECT pid || ' ' || replace(backend_type, ' ', '_') FROM pg_stat_activity
	                           WHERE backend_type IN ('pgmq_c launcher', 'pgmq_c worker')
	                              OR application_name = 'wk_idle_reader' ORDER BY backend_type, pid")
	[ ${#pids[@]} -gt 0 ] || die "no pgmq_c launcher or worker in pg_stat_activity"
	log "table 3: ${WK_IDLE_SECONDS}s idle; sampling ${pids[*]}"
	declare -A b
	for i in "${pids[@]}"; do
		pid=${i%% *}
		b[$pid]=$(proc_sample "$pid") || b[$pid]=
	done
	[ "$WK_WAITERS" -eq 0 ] || waiter_samples >"$BENCH_OUT/waiters.before"
	sleep "$WK_IDLE_SECONDS"
	for i in "${pids[@]}"; do
		pid=${i%% *}
		label=${i#* }
		[ "$label" = client_backend ] && label="backend in CALL receive(wait 25 s)"
		label=${label//_/ }
		after=$(proc_sample "$pid") || after=
		if [ -z "${b[$pid]}" ] || [ -z "$after" ]; then
			printf '%s\t%s\t-\t-\t-\t-\n' "$label" "$pid" >>"$IDLE"
			continue
		fi
		awk -v l="$label" -v p="$pid" -v b="${b[$pid]}" -v a="$after" -v hz="$hz" -v s="$WK_IDLE_SECONDS" 'BEGIN {
			split(b, x, " "); split(a, y, " ")
			cpu = (y[1] - x[1]) / hz
			printf "%s\t%s\t%.2f\t%.3f\t%.1f\t%.2f\n", l, p, cpu, cpu * 60 / s, (y[2] - x[2]) * 60 / s,
				(y[3] - x[3]) / 1e6 * 60 / s }' >>"$IDLE"
	done
	if [ "$WK_WAITERS" -gt 0 ]; then
		awk -v hz="$hz" -v s="$WK_IDLE_SECONDS" -v n="$WK_WAITERS" \
			'NR == FNR { a[$1] = $2; v[$1] = $3; next } ($1 in a) { t += $2 - a[$1]; w += $3 - v[$1]; k++ }
			 END { cpu = t / hz; printf "all %d waiting consumers (%d sampled)\t-\t%.2f\t%.3f\t%.1f\t-\n", n, k, cpu, cpu * 60 / s, w * 60 / s }' \
			"$BENCH_OUT/waiters.before" <(waiter_samples) >>"$IDLE"
	fi
	kill "$IDLE_PID" 2>/dev/null || true
	wait "$IDLE_PID" 2>/dev/null || true
	IDLE_PID=
	sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'wk_idle_reader'" >/dev/null
}

print_idle() {
	out "Table 3: CPU while every queue is idle, over ${WK_IDLE_SECONDS}s (utime+stime from /proc/<pid>/stat, $(getconf CLK_TCK) ticks/s;"
	table_head "  on-CPU ms from /proc/<pid>/schedstat, which has nanosecond resolution; wake-ups = voluntary context switches)" \
		"| process | pid | utime+stime s in ${WK_IDLE_SECONDS}s | CPU s per minute | on-CPU ms per minute | wake-ups per minute |" \
		"|---|---:|---:|---:|---:|---:|"
	awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $6, $5}' "$IDLE" | tee -a "$SUMMARY"
	out ""
}

# ---------------------------------------------------------------- run

for part in $WK_PARTS; do
	case $part in
		latency) latency ;;
		throughput) throughput ;;
		idle) idle ;;
		*) die "unknown part $part (latency, throughput, idle)" ;;
	esac
done
for part in $WK_PARTS; do
	case $part in
		latency) print_latency ;;
		throughput) print_throughput ;;
		idle) print_idle ;;
	esac
done
out "load average: at the end $(cut -d' ' -f1-3 /proc/loadavg); every 10 s: min $(bench_load min), max $(bench_load max)"
out "finished $(date -u '+%Y-%m-%d %H:%M:%S UTC'); raw output in $BENCH_OUT"
# table 1 as a chart: docs/img/wakeup_cdf.png (bench/charts.sh; BENCH_CHARTS=0: none)
if selected "$WK_PARTS" latency; then
	bench_chart wakeup "$BENCH_OUT" "bash bench/wakeup.sh, WK_ROUNDS=$WK_ROUNDS WK_MESSAGES=$WK_MESSAGES gaps ${WK_GAP_MIN_MS}-${WK_GAP_MAX_MS} ms, all rounds pooled; $BENCH_STARTED"
fi
