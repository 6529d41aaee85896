#!/usr/bin/env bash
# bench/many_queues.sh -- ten thousand queues in one database (issue 15,
# "Scale in numbers"): how fast they are made, what a backend that touches
# every one of them keeps in memory, and what the worker costs while they
# are idle with notifications on.
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/many_queues.sh
#
# (about 20 minutes on 2 cores, most of it making the queues).  It needs
# pgmq_c built and installed; the cluster is the one bench/lib.sh starts
# for bench/run.sh (an unprivileged OS user when run as root, a free port
# >= 56432 or BENCH_PORT, 127.0.0.1 and a private unix socket only,
# shared_preload_libraries = 'pgmq_c'), stopped and removed at the end.
#
# 1. MANY_QUEUES queues made by MANY_MAKERS sessions, one create_queue per
#    transaction: queues per second.
# 2. A backend touches every queue once: send 1, read 1, delete it, one
#    call each, committing every 100 queues (a pooled connection serving
#    every queue in turn).  Its memory afterwards (the sum of
#    pg_backend_memory_contexts, from inside that backend), and the time per
#    queue, with pgmq_c.cached_objects at its default (100) and set above
#    MANY_QUEUES (every statement kept: the behaviour before the setting
#    existed).  Target: <= 64 MB.
# 3. enable_notify on every queue; then the pgmq_c worker's CPU (utime +
#    stime from /proc) over MANY_IDLE_SECONDS while nothing happens, as a
#    share of one core; the same before enable_notify for comparison.
#    Target: <= 1 % of a core.
#
# Environment:
#   MANY_QUEUES=10000           queues
#   MANY_MAKERS=2               sessions making them
#   MANY_IDLE_SECONDS=60        length of each worker CPU measurement
#   BENCH_OUT=dir               raw output and summary.txt
#                               (default /tmp/pgmqc-many-<UTC timestamp>)
#   and those listed at the top of bench/lib.sh

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MANY_QUEUES=${MANY_QUEUES:-10000}
MANY_MAKERS=${MANY_MAKERS:-2}
MANY_IDLE_SECONDS=${MANY_IDLE_SECONDS:-60}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-many-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
[ "$MANY_QUEUES" -ge 100 ] || die "MANY_QUEUES must be at least 100"

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt

bench_start
bench_up

bench_banner "pgmq_c many-queues benchmark"

# 1. making the queues
log "making $(commas "$MANY_QUEUES") queues with $MANY_MAKERS sessions"
t0=$(date +%s.%N)
pids=()
for m in $(seq 0 $((MANY_MAKERS - 1))); do
	awk -v n="$MANY_QUEUES" -v m="$m" -v k="$MANY_MAKERS" \
		'BEGIN { for (i = 1 + m; i <= n; i += k) printf "SELECT pgmq_c.create_queue(%c%s%d%c);\n", 39, "mq_", i, 39 }' |
		psql -qXAt -v ON_ERROR_STOP=1 >"$BENCH_OUT/make_$m.out" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || die "making queues failed; see $BENCH_OUT/make_*.out"
done
t1=$(date +%s.%N)
made=$(sqlv "SELECT count(*) FROM pgmq_c.list_queues() WHERE queue_name LIKE 'mq\\_%'")
[ "$made" = "$MANY_QUEUES" ] || die "$made queues made of $MANY_QUEUES"
make_s=$(echo "$t1 - $t0" | bc -l)
out "1. $(commas "$MANY_QUEUES") queues made in $(fmt "$make_s" 1) s by $MANY_MAKERS sessions: $(fmt "$(echo "$MANY_QUEUES / $make_s" | bc -l)" 1) queues/s ($(fmt "$(echo "1000 * $make_s * $MANY_MAKERS / $MANY_QUEUES" | bc -l)" 1) ms per create_queue per session); pgmq_c schema $(sqlv "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c WHERE c.relnamespace = 'pgmq_c'::regnamespace AND c.relkind IN ('r', 'S')") on disk"
out ""

# 2. a backend that touches every queue
touch_all() { # cached_objects -> "MB ms_per_queue plans"
	psql -qXAt -v ON_ERROR_STOP=1 <<EOF
SET pgmq_c.cached_objects = $1;
SELECT clock_timestamp() AS t0 \\gset
DO \$\$
DECLARE
	m pgmq_c.message;
BEGIN
	FOR i IN 1 .. $MANY_QUEUES LOOP
		PERFORM pgmq_c.send('mq_' || i, '{"touch": true}');
		SELECT * INTO m FROM pgmq_c.read('mq_' || i, '1 minute', 1);
		PERFORM pgmq_c.delete('mq_' || i, m.msg_id, m.read_ct);
		IF i % 100 = 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END \$\$;
SELECT round(sum(total_bytes) / 1048576.0, 1),
       round(extract(epoch FROM clock_timestamp() - :'t0') * 1000 / $MANY_QUEUES, 3),
       (SELECT count(*) FROM pg_backend_memory_contexts WHERE name = 'CachedPlan')
  FROM pg_backend_memory_contexts;
EOF
}
table_head "2. One backend sends, reads and deletes one message on each of the $(commas "$MANY_QUEUES") queues (commit every 100 queues); its memory afterwards (pg_backend_memory_contexts) and time per queue" \
	"| pgmq_c.cached_objects | backend memory MB (target <= 64) | ms per queue (send + read + delete) | plans kept |" \
	"|---|---:|---:|---:|"
for setting in 100 $((MANY_QUEUES + 1)); do
	log "touching every queue with cached_objects = $setting"
	read -r mb ms plans < <(touch_all "$setting" | tr '|' ' ')
	record touch "$setting" "$mb" "$ms" "$plans"
	label=$setting
	[ "$setting" = 100 ] && label="100 (default)"
	[ "$setting" != 100 ] && label="$(commas "$setting") (every statement kept)"
	out "| $label | $mb | $ms | $(commas "$plans") |"
done
out ""

# 3. the worker while idle
worker_pid() {
	sqlv "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgmq_c worker' AND datname = current_database()"
}
worker_cpu() { # pid seconds -> share of a core, in %
	local a b hz
	hz=$(getconf CLK_TCK)
	a=$(awk '{print $14 + $15}' "/proc/$1/stat")
	sleep "$2"
	b=$(awk '{print $14 + $15}' "/proc/$1/stat")
	echo "100 * ($b - $a) / $hz / $2" | bc -l
}
wpid=$(worker_pid)
[ -n "$wpid" ] || die "no pgmq_c worker for database $PGDATABASE"
sleep 5
log "worker $wpid, idle, notifications off: $MANY_IDLE_SECONDS s"
off=$(worker_cpu "$wpid" "$MANY_IDLE_SECONDS")
log "enable_notify on every queue"
awk -v n="$MANY_QUEUES" 'BEGIN { for (i = 1; i <= n; i++) printf "SELECT pgmq_c.enable_notify(%c%s%d%c);\n", 39, "mq_", i, 39 }' |
	psql -qXAt -v ON_ERROR_STOP=1 >/dev/null
sleep 5
wpid=$(worker_pid)
log "worker $wpid, idle, notifications on: $MANY_IDLE_SECONDS s"
on=$(worker_cpu "$wpid" "$MANY_IDLE_SECONDS")
wmem=$(sqlv "SELECT pg_size_pretty(sum(total_bytes)) FROM pg_backend_memory_contexts")
record worker off "$off"
record worker on "$on"
table_head "3. The pgmq_c worker of the database while the $(commas "$MANY_QUEUES") queues are idle, CPU over $MANY_IDLE_SECONDS s (/proc utime + stime)" \
	"| notifications | worker CPU, % of one core (target <= 1) |" \
	"|---|---:|"
out "| off | $(fmt "$off" 2) |"
out "| on, every queue (throttle 0) | $(fmt "$on" 2) |"
out ""
out "1-minute load average during the run: min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
log "done; summary in $SUMMARY (this session's memory for reference: $wmem)"
