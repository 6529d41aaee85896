#!/usr/bin/env bash
# bench/durability.sh -- unlogged queues and asynchronous commit (0.8.0,
# issue 13).
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/durability.sh
#
# (about 8 minutes on 2 cores).  It needs pgmq_c built and installed; the
# cluster is the one bench/lib.sh starts with scripts/common.sh for
# bench/run.sh (an unprivileged OS user when run as root, a free port >=
# 56432 or BENCH_PORT, 127.0.0.1 and a private unix socket only,
# shared_preload_libraries = 'pgmq_c', shared_buffers = 1GB, fsync and
# synchronous_commit on), stopped and removed at the end.  Everything runs
# with pgbench -n -M prepared; repeated runs are interleaved (the order of
# the three sides rotates from run to run) and every figure printed is a
# median.
#
# The three sides, each its own queue, made once:
#   unlogged  pgmq_c.create_queue('dur_unlogged', durability => 'unlogged'):
#             its message tables are UNLOGGED (its sequence stays logged)
#   logged    pgmq_c.create_queue('dur_logged') (durability 'logged')
#   async     pgmq_c.create_queue('dur_async'), logged, with the client
#             sessions' synchronous_commit = off (pgbench run with
#             PGOPTIONS='-c synchronous_commit=off'; the server keeps on)
#
#   Part 1  send 1 message per transaction (autocommit,
#           bench/pgbench/durability_send.sql), DURABILITY_CLIENTS (1 and 4)
#           producers.  The queue is purged, vacuumed (VACUUM ANALYZE of its
#           tables) and checkpointed before each run.
#   Part 2  read 1 (30 s lease) + delete it by msg_id in one transaction
#           (bench/pgbench/durability_rd1.sql), DURABILITY_CLIENTS consumers.
#           Before each run the queue is purged and preloaded anew with
#           DURABILITY_FILL messages (send_batch, arrays of 10,000, one
#           transaction each), vacuumed and checkpointed; a run that drains
#           its queue is not counted.
#   Figures, per scenario, clients and side: msg/s (messages sent or
#           consumed over pgbench's elapsed time), ms per transaction, and
#           the WAL written per transaction: pg_wal_lsn_diff of
#           pg_current_wal_insert_lsn() after and before the run, over
#           pgbench's transactions (the insert position rather than
#           pg_current_wal_lsn(), the write position: with asynchronous
#           commit up to wal_writer_delay of WAL may not be written yet when
#           a run ends).  Also from pg_stat_wal, per transaction: WAL syncs
#           (fsyncs, by the backends and the WAL writer) and full-page
#           images (each run starts right after a checkpoint, so the first
#           change of each page writes one).  This is the WAL of the whole
#           cluster during the run: autovacuum and pgmq_c's background
#           worker add theirs.  Ratios unlogged / logged and async / logged,
#           as the ratio of the medians and as the median of the per-run
#           ratios (run r of the sides back to back).
#
# Environment:
#   DURABILITY_PARTS="1 2"        which parts to run (1 send, 2 read + delete)
#   DURABILITY_RUNS=3             runs per scenario, clients and side
#   DURABILITY_SECONDS=10         seconds per pgbench run
#   DURABILITY_CLIENTS="1 4"      clients
#   DURABILITY_FILL=120000        messages preloaded before each part-2 run
#                                 (default 12,000 per second of a run; a
#                                 multiple of 10,000 is quickest)
#   BENCH_OUT=dir                 raw pgbench output, results.tsv and
#                                 summary.txt (default
#                                 /tmp/pgmqc-durability-<UTC timestamp>)
#   and those listed at the top of bench/lib.sh (BENCH_PORT, BENCH_KEEP=1,
#   BENCH_SHARED_BUFFERS; BENCH_PGHOST/BENCH_PGPORT to use a running
#   cluster: CHECKPOINT and pg_stat_wal need a superuser or pg_checkpoint /
#   pg_read_all_stats there).

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURABILITY_PARTS=${DURABILITY_PARTS:-"1 2"}
DURABILITY_RUNS=${DURABILITY_RUNS:-3}
DURABILITY_SECONDS=${DURABILITY_SECONDS:-10}
DURABILITY_CLIENTS=${DURABILITY_CLIENTS:-"1 4"}
DURABILITY_FILL=${DURABILITY_FILL:-$((12000 * DURABILITY_SECONDS))}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-durability-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
[ "$DURABILITY_FILL" -gt 0 ] || die "DURABILITY_FILL must be positive"

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt

bench_start
t_start=$(date +%s)
bench_up

SIDES="unlogged logged async"
declare -A QUEUE=([unlogged]=dur_unlogged [logged]=dur_logged [async]=dur_async)
declare -A SIDE_ARGS=([unlogged]="durability => 'unlogged'" [logged]="" [async]="")
declare -A SIDE_PGOPTIONS=([unlogged]="" [logged]="" [async]="-c synchronous_commit=off")
declare -A SIDE_NAME=([unlogged]="unlogged" [logged]="logged" [async]="logged, synchronous_commit off")
declare -A PART_SCRIPT=([1]=durability_send.sql [2]=durability_rd1.sql)
declare -A PART_NAME=([1]="send 1/tx" [2]="read 1 + delete 1")

# results.tsv: PART SCENARIO CLIENTS SIDE RUN V1 V2 V3 V4 V5 OK V6 V7;
# median of column COL (6..10, 12, 13) over the OK runs
med() { bench_med 11 "$@"; }
nok() { bench_nok 11 "$@"; }
nruns() {
	awk -F'\t' -v k1="$1" -v k2="$2" -v k3="$3" -v k4="$4" \
		'$1==k1 && $2==k2 && $3==k3 && $4==k4 {n++} END {print n+0}' "$RESULTS"
}
# a figure with D decimals, "-" when missing
fx() { awk -v x="$1" -v d="$2" 'BEGIN{ if (x == "nan" || x == "") print "-"; else printf ("%." d "f"), x }'; }

# ---------------------------------------------------------------- objects

# "durability relpersistence...": what list_queues() says, and the
# persistence (p logged, u unlogged) of each of the queue's tables and of
# its sequence
queue_persistence() {
	sqlv "SELECT l.durability || ' ' || string_agg(c.relname || ':' || c.relpersistence::text, ' ' ORDER BY c.relname)
	        FROM pgmq_c.list_queues() l
	        JOIN pg_class c ON c.relname ~ ('^[a-z]+_' || l.queue_id || '(_seq)?$')
	                       AND c.relkind IN ('r', 'S')
	        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'pgmq_c'
	       WHERE l.queue_name = '$1'
	       GROUP BY l.durability"
}

# fill NAME N: N messages into queue NAME with send_batch, arrays of 10,000,
# one transaction each; message g (1..N) has the body of bench/lib.sh
fill() {
	local name=$1 n=$2
	sql <<EOF >/dev/null
DO \$fill\$
DECLARE
	b jsonb[];
BEGIN
	FOR i IN 0 .. ($n - 1) / 10000 LOOP
		SELECT array_agg($(body_sql small) ORDER BY g) INTO b
		  FROM generate_series(i * 10000 + 1, LEAST(i * 10000 + 10000, $n)) g;
		PERFORM pgmq_c.send_batch('$name', b);
		COMMIT;
	END LOOP;
END
\$fill\$;
EOF
}

# messages per second in run TAG: N over pgbench's elapsed time
# (transactions / tps, without the connection time)
pb_rate() {
	local x
	x=$(pb_tx "$1")
	awk -v n="$2" -v x="$x" -v t="$PB_TPS" 'BEGIN {
		if (x + 0 > 0 && t + 0 > 0) printf "%.2f", n * t / x; else print "" }'
}
# the transactions pgbench counted in run TAG
pb_tx() { awk '/^number of transactions actually processed: /{print $6; exit}' "$BENCH_OUT/$1.out"; }

# "insert_lsn wal_records wal_fpi wal_sync" now
wal_state() {
	sqlv "SELECT pg_current_wal_insert_lsn() || ' ' || wal_records || ' ' || wal_fpi || ' ' || wal_sync FROM pg_stat_wal"
}

# ---------------------------------------------------------------- runs

# one_run PART CLIENTS SIDE RUN
one_run() {
	local p=$1 c=$2 side=$3 r=$4 q=${QUEUE[$3]} s tag left n ok rate tx
	local lsn0 rec0 fpi0 sync0 lsn1 rec1 fpi1 sync1 wal walpt recpt fpipt syncpt
	s=${PART_SCRIPT[$p]%.sql}
	s=${s#durability_}
	tag=p${p}_c${c}_${side}_r$r
	sql -c "SELECT pgmq_c.purge_queue('$q')" >/dev/null
	[ "$p" = 1 ] || fill "$q" "$DURABILITY_FILL"
	vacuum_queue "$q"
	sql -c "CHECKPOINT" >/dev/null
	read -r lsn0 rec0 fpi0 sync0 <<<"$(wal_state)"
	PGOPTIONS="$PGOPTIONS ${SIDE_PGOPTIONS[$side]}" \
		pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/${PART_SCRIPT[$p]}" "$c" "$DURABILITY_SECONDS" -D "queue=$q"
	lsn1=$(sqlv "SELECT pg_current_wal_insert_lsn()")
	# the backends report their WAL statistics when they exit, the WAL
	# writer every so often: give them a moment
	sleep 0.5
	read -r _ rec1 fpi1 sync1 <<<"$(wal_state)"
	ok=$PB_OK
	left=$(queue_count "$q")
	if [ "$p" = 1 ]; then
		n=$left
	else
		n=$((DURABILITY_FILL - left))
		if [ "$left" -le 0 ]; then
			ok=0
			log "WARNING: part 2 $side c=$c run $r drained the queue (fill $DURABILITY_FILL); run not counted (raise DURABILITY_FILL)"
		fi
	fi
	tx=$(pb_tx "$tag")
	rate=$(pb_rate "$tag" "$n")
	[ -n "$rate" ] || ok=0
	wal=$(sqlv "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::bigint")
	read -r walpt recpt fpipt syncpt < <(awk -v t="${tx:-0}" -v w="$wal" -v a="$((rec1 - rec0))" \
		-v f="$((fpi1 - fpi0))" -v y="$((sync1 - sync0))" 'BEGIN {
		if (t + 0 > 0) printf "%.1f %.3f %.4f %.4f\n", w / t, a / t, f / t, y / t; else print "- - - -" }')
	# V1 msg/s, V2 ms/tx, V3 transactions, V4 WAL bytes/tx, V5 WAL bytes,
	# V6 WAL syncs/tx, V7 full-page images/tx (and WAL records/tx in the log)
	record "$p" "$s" "$c" "$side" "$r" "$rate" "$PB_LAT" "$tx" "$walpt" "$wal" "$ok" "$syncpt" "$fpipt"
	log "  ${PART_NAME[$p]} $side c=$c run $r: $(fmt "$rate") msg/s, $PB_LAT ms/tx, $tx tx; WAL $walpt B/tx ($recpt records, $fpipt FPI, $syncpt syncs per tx); $n messages $([ "$p" = 1 ] && echo sent || echo "consumed, $left left")"
}

part() { # PART
	local p=$1 c r side
	log "part $p: ${PART_NAME[$p]}; {$SIDES} x clients {$DURABILITY_CLIENTS} x $DURABILITY_RUNS runs x ${DURABILITY_SECONDS}s$([ "$p" = 1 ] || echo ", $(commas "$DURABILITY_FILL") messages preloaded per run")"
	for c in $DURABILITY_CLIENTS; do
		for r in $(seq 1 "$DURABILITY_RUNS"); do
			# shellcheck disable=SC2086 # a list of words
			for side in $(rotate "$r" $SIDES); do
				one_run "$p" "$c" "$side" "$r"
			done
		done
	done
}

# ---------------------------------------------------------------- set-up

for side in $SIDES; do
	fresh_queue "${QUEUE[$side]}" "${SIDE_ARGS[$side]}"
done
declare -A PERSISTENCE
for side in $SIDES; do
	PERSISTENCE[$side]=$(queue_persistence "${QUEUE[$side]}")
	log "queue ${QUEUE[$side]} ($side): durability and relpersistence $(printf '%s' "${PERSISTENCE[$side]}")"
done
case ${PERSISTENCE[unlogged]} in
unlogged*) ;;
*) die "queue ${QUEUE[unlogged]} is not unlogged: ${PERSISTENCE[unlogged]}" ;;
esac
case ${PERSISTENCE[logged]} in
logged*) ;;
*) die "queue ${QUEUE[logged]} is not logged: ${PERSISTENCE[logged]}" ;;
esac
# the session setting each side's pgbench gets
declare -A SYNC_SEEN
for side in $SIDES; do
	SYNC_SEEN[$side]=$(PGOPTIONS="$PGOPTIONS ${SIDE_PGOPTIONS[$side]}" sqlv 'SHOW synchronous_commit')
done
[ "${SYNC_SEEN[async]}" = off ] || die "PGOPTIONS did not set synchronous_commit = off (got ${SYNC_SEEN[async]})"

out "pgmq_c durability benchmark (unlogged queues, asynchronous commit), started $BENCH_STARTED"
out "  PostgreSQL $(sqlv 'SHOW server_version'); pgmq_c $(sqlv "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'"); $(bench_machine)"
out "  source: $(bench_source); installed $(bench_installed)"
out "  settings: $(bench_settings) wal_level=$(sqlv 'SHOW wal_level') full_page_writes=$(sqlv 'SHOW full_page_writes') wal_writer_delay=$(sqlv 'SHOW wal_writer_delay') wal_sync_method=$(sqlv 'SHOW wal_sync_method') shared_preload_libraries='$(sqlv 'SHOW shared_preload_libraries')'"
out "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
out "  pgbench -n -M prepared, $DURABILITY_RUNS runs x ${DURABILITY_SECONDS}s per scenario, clients and side, sides interleaved (order rotated per run); medians"
for side in $SIDES; do
	out "  side $side: queue ${QUEUE[$side]}, create_queue('${QUEUE[$side]}'${SIDE_ARGS[$side]:+, ${SIDE_ARGS[$side]}}); list_queues().durability and relpersistence: ${PERSISTENCE[$side]}; the clients' synchronous_commit: ${SYNC_SEEN[$side]}"
done
out ""

# ---------------------------------------------------------------- main

for p in 1 2; do
	if selected "$DURABILITY_PARTS" "$p"; then part "$p"; fi
done
for side in $SIDES; do
	sql -c "SELECT pgmq_c.drop_queue('${QUEUE[$side]}')" >/dev/null
done

table_head "Throughput: unlogged queue and asynchronous commit against a logged queue; msg/s, medians of $DURABILITY_RUNS runs x ${DURABILITY_SECONDS}s" \
	"| scenario | clients | logged msg/s | unlogged msg/s | logged + sync_commit off msg/s | ratio unlogged / logged | ratio async / logged | per-run ratios (median) unlogged / logged, async / logged | ms/tx logged / unlogged / async | WAL B/tx logged / unlogged / async | runs ok (l/u/a) |" \
	"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for p in 1 2; do
	selected "$DURABILITY_PARTS" "$p" || continue
	s=${PART_SCRIPT[$p]%.sql}
	s=${s#durability_}
	for c in $DURABILITY_CLIENTS; do
		lm=$(med "$p" "$s" "$c" logged 6)
		um=$(med "$p" "$s" "$c" unlogged 6)
		am=$(med "$p" "$s" "$c" async 6)
		out "| ${PART_NAME[$p]} | $c | $(fmt "$lm") | $(fmt "$um") | $(fmt "$am") | $(ratio "$um" "$lm") | $(ratio "$am" "$lm") | $(r2 "$(paired_ratio "$p" "$s" "$c" unlogged logged 6)"), $(r2 "$(paired_ratio "$p" "$s" "$c" async logged 6)") | $(fmt "$(med "$p" "$s" "$c" logged 7)") / $(fmt "$(med "$p" "$s" "$c" unlogged 7)") / $(fmt "$(med "$p" "$s" "$c" async 7)") | $(fx "$(med "$p" "$s" "$c" logged 9)" 0) / $(fx "$(med "$p" "$s" "$c" unlogged 9)" 0) / $(fx "$(med "$p" "$s" "$c" async 9)" 0) | $(nok "$p" "$s" "$c" logged)/$(nok "$p" "$s" "$c" unlogged)/$(nok "$p" "$s" "$c" async) of $(nruns "$p" "$s" "$c" logged) |"
	done
done
out ""
table_head "WAL per transaction and the spread of the runs (medians of the counted runs; WAL of the whole cluster during the run, from pg_current_wal_insert_lsn() and pg_stat_wal)" \
	"| scenario | clients | side | WAL bytes/tx | ratio to logged | WAL syncs/tx | full-page images/tx | msg/s range |" \
	"|---|---:|---|---:|---:|---:|---:|---:|"
for p in 1 2; do
	selected "$DURABILITY_PARTS" "$p" || continue
	s=${PART_SCRIPT[$p]%.sql}
	s=${s#durability_}
	for c in $DURABILITY_CLIENTS; do
		lw=$(med "$p" "$s" "$c" logged 9)
		for side in logged unlogged async; do
			w=$(med "$p" "$s" "$c" "$side" 9)
			out "| ${PART_NAME[$p]} | $c | ${SIDE_NAME[$side]} | $(fx "$w" 1) | $(ratio "$w" "$lw" 3) | $(fx "$(med "$p" "$s" "$c" "$side" 12)" 3) | $(fx "$(med "$p" "$s" "$c" "$side" 13)" 3) | $(spread "$p" "$s" "$c" "$side" 6) |"
		done
	done
done
out ""
out "(send: the queue is purged, vacuumed and checkpointed before each run; msg/s = messages in the queue after the run over pgbench's elapsed time. Read + delete: the queue is purged and preloaded with $(commas "$DURABILITY_FILL") messages (send_batch, arrays of 10,000), vacuumed and checkpointed before each run; msg/s = messages consumed (fill minus what is left) over pgbench's elapsed time; a run that drained its queue is not counted; leases of 30 s outlast the runs. Async: the logged queue's clients run with synchronous_commit = off (PGOPTIONS), so a commit does not wait for its WAL to reach the disk. WAL bytes/tx: pg_wal_lsn_diff of pg_current_wal_insert_lsn() after and before the run over pgbench's transactions; syncs and full-page images from pg_stat_wal; every run starts right after a CHECKPOINT, so the first change of each page after it writes a full-page image)"
out ""
out "1-minute load average during the run (every 10 s, $BENCH_OUT/loadavg.log): min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC') ($((($(date +%s) - t_start) / 60)) min)"
log "done; summary in $SUMMARY, raw pgbench output in $BENCH_OUT"
