#!/usr/bin/env bash
# bench/ordering.sh -- ordering keys and deduplication ids (0.7.0, issue 12).
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/ordering.sh
#
# (about 10 minutes on 2 cores).  It needs pgmq_c built and installed; the
# cluster is the one bench/lib.sh starts with scripts/common.sh for
# bench/run.sh (an unprivileged OS user when run as root, a free port >=
# 56432 or BENCH_PORT, 127.0.0.1 and a private unix socket only,
# shared_preload_libraries = 'pgmq_c', shared_buffers = 1GB, fsync and
# synchronous_commit on), stopped and removed at the end.  Everything runs
# with pgbench -n -M prepared; repeated runs are interleaved (the order of
# the sides rotates from run to run) and every figure printed is a median.
#
#   Part 1  read + delete on a keyed queue against an unkeyed one:
#           ORDERING_CLIENTS (1 and 4) consumers, each transaction reads 1
#           (30 s lease) and deletes it by msg_id
#           (bench/pgbench/ordering_rd1.sql).  Before each run the queue is
#           made anew and preloaded with ORDERING_FILL messages (send_batch,
#           arrays of 10,000), message g with the ordering key
#           'k' || (g % ORDERING_KEYS) (1,000 keys, spread evenly) or
#           without a key; a run that drains its queue is not counted.
#           Ratio keyed / unkeyed (target >= 0.9), as the ratio of the
#           medians and as the median of the per-run ratios.
#   Part 2  read latency behind blocked keys, 1 client: a keyed queue of
#           ORDERING_BIG (1,000,000) messages over ORDERING_BIG_KEYS (10,000)
#           keys (message g: key 'k' || (g % 10,000), so msg_ids 1..10,000
#           are the keys' heads), whose first ORDERING_LEASED (5,000) heads
#           are read with a 2-hour lease before the runs (those keys are
#           blocked: 99 messages each wait behind a leased head), against
#           keyed queues of ORDERING_SMALL (1,000) messages over 1,000 keys
#           (the reference of the target) and over 10 keys.  Each
#           transaction is BEGIN; read 1; ROLLBACK
#           (bench/pgbench/ordering_peek.sql), so that every run sees the
#           same queue.  Figures: the read statement's latency (pgbench -r),
#           the transaction's, and its 99th percentile and maximum (pgbench
#           -l).  Ratio big / 1,000 keys (target <= 1.3).
#   Part 3  send 1 message per transaction with a dedup_id used by no other
#           send (the run, the client and a per-client counter) against
#           the same send without one (bench/pgbench/ordering_send_dedup.sql,
#           ordering_send.sql), 1 and 4 clients, into one queue with
#           dedup_window '1 day' (purged, vacuumed and checkpointed before
#           each run); first with only the ids of the runs before, then
#           after ORDERING_REMEMBERED (10,000,000) ids of that queue were
#           inserted directly into pgmq_c.dedup_ids (first_at now, within the
#           window: a resend of one of them stores nothing; the summary says
#           which partition took them).  Ratio dedup / none (target >= 0.9)
#           in both phases.
#   Where the time goes: auto_explain (LOAD'ed by the superuser, nested
#           statements, ANALYZE and BUFFERS) of one read + delete on the
#           keyed and on the unkeyed queue of part 1, of one read + delete
#           (rolled back) on part 2's big queue, and of one send with a
#           dedup_id after the 10,000,000 ids; every statement's time and
#           buffers in the summary, the plans in $BENCH_OUT/explain_*.txt.
#
# Environment:
#   ORDERING_PARTS="1 2 3"      which parts to run
#   ORDERING_RUNS=3             runs per scenario and side
#   ORDERING_SECONDS=10         seconds per pgbench run
#   ORDERING_CLIENTS="1 4"      clients (parts 1 and 3)
#   ORDERING_KEYS=1000          keys of part 1's keyed queue
#   ORDERING_FILL=80000         messages per part-1 run (8,000 per second)
#   ORDERING_BIG=1000000        part 2's big queue
#   ORDERING_BIG_KEYS=10000     its keys
#   ORDERING_LEASED=5000        its heads leased before the runs
#   ORDERING_SMALL=1000         part 2's small queues
#   ORDERING_REMEMBERED=10000000  ids inserted before part 3's second phase
#   BENCH_OUT=dir               raw pgbench output and logs, results.tsv,
#                               explain_*.txt and summary.txt (default
#                               /tmp/pgmqc-ordering-<UTC timestamp>)
#   and those listed at the top of bench/lib.sh (BENCH_PORT, BENCH_KEEP=1,
#   BENCH_SHARED_BUFFERS; BENCH_PGHOST/BENCH_PGPORT to use a running
#   cluster: part 3 and the auto_explain step need a superuser there).

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ORDERING_PARTS=${ORDERING_PARTS:-"1 2 3"}
ORDERING_RUNS=${ORDERING_RUNS:-3}
ORDERING_SECONDS=${ORDERING_SECONDS:-10}
ORDERING_CLIENTS=${ORDERING_CLIENTS:-"1 4"}
ORDERING_KEYS=${ORDERING_KEYS:-1000}
ORDERING_FILL=${ORDERING_FILL:-$((8000 * ORDERING_SECONDS))}
ORDERING_BIG=${ORDERING_BIG:-1000000}
ORDERING_BIG_KEYS=${ORDERING_BIG_KEYS:-10000}
ORDERING_LEASED=${ORDERING_LEASED:-5000}
ORDERING_SMALL=${ORDERING_SMALL:-1000}
ORDERING_REMEMBERED=${ORDERING_REMEMBERED:-10000000}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-ordering-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
[ "$ORDERING_LEASED" -lt "$ORDERING_BIG_KEYS" ] ||
	die "ORDERING_LEASED must be below ORDERING_BIG_KEYS (some keys must be free)"
[ "$ORDERING_BIG" -ge "$ORDERING_BIG_KEYS" ] || die "ORDERING_BIG must be >= ORDERING_BIG_KEYS"

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt

bench_start
t_start=$(date +%s)
bench_up

out "pgmq_c ordering keys and deduplication benchmark, started $BENCH_STARTED"
out "  PostgreSQL $(sqlv 'SHOW server_version'); pgmq_c $(sqlv "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'"); $(bench_machine)"
out "  source: $(bench_source); installed $(bench_installed)"
out "  settings: $(bench_settings) shared_preload_libraries='$(sqlv 'SHOW shared_preload_libraries')'"
out "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
out "  pgbench -n -M prepared, $ORDERING_RUNS runs x ${ORDERING_SECONDS}s per scenario and side, sides interleaved (order rotated per run); medians"
out ""

# results.tsv: PART SCENARIO CLIENTS SIDE RUN V1 V2 V3 V4 V5 OK; median of
# column COL (6..10) over the OK runs
med() { bench_med 11 "$@"; }
nok() { bench_nok 11 "$@"; }

# ---------------------------------------------------------------- objects

# "counted held": the messages the keys table of queue $1 counts, and the
# keyed messages its tables hold (equal unless the bookkeeping is wrong)
keys_check() {
	local id
	id=$(queue_id "$1")
	sqlv "SELECT (SELECT coalesce(sum(messages), 0) FROM pgmq_c.k_$id) || ' ' ||
	             ((SELECT count(ordering_key) FROM pgmq_c.q_$id) + (SELECT count(ordering_key) FROM pgmq_c.d_$id)
	              + (SELECT count(*) FROM pgmq_c.p_$id))"
}

# fill NAME N KEYS: N messages into queue NAME with send_batch, arrays of
# 10,000, one transaction each; message g (1..N) has the body of bench/lib.sh
# and, unless KEYS is 0, the ordering key 'k' || (g % KEYS)
fill() {
	local name=$1 n=$2 keys=$3 karg=
	[ "$keys" = 0 ] || karg=", NULL, '0', k"
	sql <<EOF >/dev/null
DO \$fill\$
DECLARE
	b jsonb[];
	k text[];
BEGIN
	FOR i IN 0 .. ($n - 1) / 10000 LOOP
		SELECT array_agg($(body_sql small) ORDER BY g),
		       array_agg('k' || (g % GREATEST($keys, 1)) ORDER BY g)
		  INTO b, k
		  FROM generate_series(i * 10000 + 1, LEAST(i * 10000 + 10000, $n)) g;
		PERFORM pgmq_c.send_batch('$name', b$karg);
		COMMIT;
	END LOOP;
END
\$fill\$;
EOF
}

# messages consumed per second in run TAG: CONSUMED over pgbench's elapsed
# time (transactions / tps, without the connection time)
pb_rate() {
	local x
	x=$(awk '/^number of transactions actually processed: /{print $6; exit}' "$BENCH_OUT/$1.out")
	awk -v n="$2" -v x="$x" -v t="$PB_TPS" 'BEGIN {
		if (x + 0 > 0 && t + 0 > 0) printf "%.2f", n * t / x; else print "" }'
}
# "p99 max slow" of the transactions in pgbench's per-transaction log
# PREFIX.*: 99th percentile and maximum (ms), how many took over 5 ms
pb_tail() {
	cat "$1".* 2>/dev/null | awk '{print $3 / 1000}' | sort -g |
		awk '{a[NR] = $1; if ($1 > 5) s++} END { if (NR) { i = int(NR * 0.99); if (i < 1) i = 1; printf "%.3f %.3f %d", a[i], a[NR], s } }'
}

# ---------------------------------------------------------------- auto_explain

# explain_nested TAG SQL...: run the statements SQL twice in one session
# with auto_explain loaded, the second time logging every statement, nested
# ones too, with ANALYZE and BUFFERS (the plans come back as notices), into
# $BENCH_OUT/explain_TAG.txt; false when that failed (not a superuser, no
# auto_explain)
explain_nested() {
	local tag=$1
	shift
	{
		printf '%s\n' "LOAD 'auto_explain';" \
			"SET auto_explain.log_nested_statements = on;" \
			"SET auto_explain.log_analyze = on;" \
			"SET auto_explain.log_buffers = on;" \
			"SET auto_explain.log_level = notice;" \
			"SET client_min_messages = notice;"
		# once unlogged, so that the plans are made and the caches warm
		printf '%s\n' "$@" "SET auto_explain.log_min_duration = 0;" "$@"
	} | psql -qX -v ON_ERROR_STOP=1 >"$BENCH_OUT/explain_$tag.txt" 2>&1 || {
		log "WARNING: auto_explain of $tag failed; see $BENCH_OUT/explain_$tag.txt"
		return 1
	}
}
# explain_summary TAG TITLE: the statements of explain_TAG.txt in the order
# they ended (nested ones before the statement that ran them): time, the
# buffers of the top plan node, the start of the text; under each, its seq
# scans of a queue's tables with their rows
explain_summary() {
	[ -s "$BENCH_OUT/explain_$1.txt" ] || return 0
	out "$2 (auto_explain, $BENCH_OUT/explain_$1.txt):"
	out ""
	out '```'
	awk '
		function flush() {
			if (d != "") printf "%9.3f ms  %-26s %s\n", d, (b == "" ? "-" : b), q
			for (i = 1; i <= ns; i++) printf "%14s%s\n", "", s[i]
			d = ""; b = ""; q = ""; ns = 0; st = 0
		}
		/^NOTICE:  duration: / { flush(); d = $3; st = 1; next }
		st == 1 && /^Query Text: / { q = substr($0, 13, 110); st = 2; next }
		st == 2 && /Buffers: shared/ && b == "" { sub(/.*Buffers: /, ""); b = $0; next }
		st == 2 && /Seq Scan on pgmq_c\.|Seq Scan on [a-z]_[0-9]+ / {
			x = $0; sub(/^ *(-> *)?/, "", x); sub(/\(cost=[^)]*\) /, "", x); s[++ns] = "seq scan: " x }
		END { flush() }' "$BENCH_OUT/explain_$1.txt" | tee -a "$SUMMARY"
	out '```'
	out ""
}

# ---------------------------------------------------------------- part 1

declare -A P1_KEYS=([keyed]=$ORDERING_KEYS [plain]=0)
declare -A P1_QUEUE=([keyed]=ord_keyed [plain]=ord_plain)

p1_run() { # SIDE CLIENTS RUN
	local side=$1 c=$2 r=$3 q=${P1_QUEUE[$1]} tag=p1_c$2_$1_r$3 left n ok rate check st
	fresh_queue "$q"
	fill "$q" "$ORDERING_FILL" "${P1_KEYS[$side]}"
	vacuum_queue "$q"
	sql -c "CHECKPOINT" >/dev/null
	pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/ordering_rd1.sql" "$c" "$ORDERING_SECONDS" -r -D "queue=$q"
	# the read and delete statements' latencies (pgbench -r), without BEGIN
	# and COMMIT (whose fsync this machine's other work makes noisy)
	st=$(awk '/^statement latencies/ {f = 1; next}
		f && $1 ~ /^[0-9.]+$/ && /pgmq_c\.(read|delete)\(/ {s += $1; n++}
		END { if (n == 2) printf "%.3f", s }' "$BENCH_OUT/$tag.out")
	left=$(queue_count "$q")
	n=$((ORDERING_FILL - left))
	ok=$PB_OK
	if [ "$left" -le 0 ]; then
		ok=0
		log "WARNING: $side c=$c run $r drained the queue (fill $ORDERING_FILL); run not counted (raise ORDERING_FILL)"
	fi
	if [ "$side" = keyed ]; then
		check=$(keys_check "$q")
		if [ "${check% *}" != "${check#* }" ]; then
			ok=0
			log "WARNING: keyed run $r: the keys table counts ${check% *} messages, the tables hold ${check#* } keyed ones"
		fi
	fi
	rate=$(pb_rate "$tag" "$n")
	[ -n "$rate" ] || ok=0
	# V1 msg/s, V2 ms/tx, V3 messages consumed, V4 tps, V5 ms of the read
	# and delete statements
	record 1 rd1 "$c" "$side" "$r" "$rate" "$PB_LAT" "$n" "$PB_TPS" "$st" "$ok"
	log "  $side c=$c run $r: $(fmt "$rate") msg/s, $PB_LAT ms/tx (read + delete statements $st ms), $n consumed, $left left"
}

part1() {
	local c r side
	log "part 1: read + delete, keyed vs unkeyed; clients {$ORDERING_CLIENTS} x $ORDERING_RUNS runs x ${ORDERING_SECONDS}s, $(commas "$ORDERING_FILL") messages per run"
	for c in $ORDERING_CLIENTS; do
		for r in $(seq 1 "$ORDERING_RUNS"); do
			for side in $(rotate "$r" keyed plain); do
				p1_run "$side" "$c" "$r"
			done
		done
	done
	# where the time goes, on the queues as the last runs left them
	explain_nested p1_keyed "BEGIN;" \
		"SELECT coalesce(max(msg_id), 0) AS id FROM pgmq_c.read('ord_keyed', '30 seconds', 1) \\gset" \
		"SELECT pgmq_c.delete('ord_keyed', :id::bigint);" "COMMIT;" || true
	explain_nested p1_plain "BEGIN;" \
		"SELECT coalesce(max(msg_id), 0) AS id FROM pgmq_c.read('ord_plain', '30 seconds', 1) \\gset" \
		"SELECT pgmq_c.delete('ord_plain', :id::bigint);" "COMMIT;" || true
	sql -c "SELECT pgmq_c.drop_queue('ord_keyed')" -c "SELECT pgmq_c.drop_queue('ord_plain')" >/dev/null
}

print_part1() {
	local c km pm ks ps
	table_head "Part 1: read 1 + delete 1 (one transaction), keyed queue ($(commas "$ORDERING_KEYS") keys, messages spread evenly) vs unkeyed; msg/s, medians of $ORDERING_RUNS runs x ${ORDERING_SECONDS}s" \
		"| consumers | unkeyed msg/s | keyed msg/s | ratio keyed / unkeyed (target >= 0.9) | median of per-run ratios | unkeyed ms/tx | keyed ms/tx | unkeyed read + delete statements ms | keyed read + delete statements ms | ratio of those, unkeyed / keyed | unkeyed range | keyed range | runs ok (unkeyed/keyed) |" \
		"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for c in $ORDERING_CLIENTS; do
		km=$(med 1 rd1 "$c" keyed 6)
		pm=$(med 1 rd1 "$c" plain 6)
		ks=$(med 1 rd1 "$c" keyed 10)
		ps=$(med 1 rd1 "$c" plain 10)
		out "| $c | $(fmt "$pm") | $(fmt "$km") | $(ratio "$km" "$pm") | $(r2 "$(paired_ratio 1 rd1 "$c" keyed plain 6)") | $(fmt "$(med 1 rd1 "$c" plain 7)") | $(fmt "$(med 1 rd1 "$c" keyed 7)") | $(fmt "$ps") | $(fmt "$ks") | $(ratio "$ps" "$ks") | $(spread 1 rd1 "$c" plain 6) | $(spread 1 rd1 "$c" keyed 6) | $(nok 1 rd1 "$c" plain)/$(nok 1 rd1 "$c" keyed) |"
	done
	out ""
	out "(each run on a queue made anew with $(commas "$ORDERING_FILL") messages, message g keyed 'k' || (g % $ORDERING_KEYS) or unkeyed; msg/s = messages consumed (fill minus what is left) over pgbench's elapsed time; leases of 30 s outlast the runs. Statements ms: the sum of the read's and the delete's latencies (pgbench -r), without BEGIN and COMMIT, whose fsync other work on the machine makes noisy; their ratio unkeyed / keyed is a throughput ratio for the statements alone)"
	out ""
	explain_summary p1_keyed "One read + delete on the keyed queue after its last run"
	explain_summary p1_plain "One read + delete on the unkeyed queue after its last run"
}

# ---------------------------------------------------------------- part 2

P2_SIDES="big small small10"
declare -A P2_QUEUE=([big]=ord_big [small]=ord_small [small10]=ord_small10)
declare -A P2_NAME=(
	[big]="$(commas "$ORDERING_BIG") messages, $(commas "$ORDERING_BIG_KEYS") keys, the first $(commas "$ORDERING_LEASED") keys' heads leased"
	[small]="$(commas "$ORDERING_SMALL") messages, $(commas "$ORDERING_SMALL") keys (the reference)"
	[small10]="$(commas "$ORDERING_SMALL") messages, 10 keys")
P2_LEASE_CHECK=

# "leased visible first" of the big queue: leased heads, visible heads, and
# the message a read would take now (msg_id:key; read and rolled back)
p2_state() {
	local id
	id=$(queue_id ord_big)
	echo "$(sqlv "SELECT count(*) FILTER (WHERE vt > clock_timestamp() + interval '10 minutes') || ' ' || count(*) FILTER (WHERE vt <= clock_timestamp()) FROM pgmq_c.q_$id") $(psql -qXAt -v ON_ERROR_STOP=1 -c "BEGIN" \
		-c "SELECT msg_id || ':' || ordering_key FROM pgmq_c.read('ord_big', '30 seconds', 1)" -c "ROLLBACK")"
}

p2_setup() {
	local t0 got id
	t0=$(date +%s)
	fresh_queue ord_big
	fill ord_big "$ORDERING_BIG" "$ORDERING_BIG_KEYS"
	log "  part 2: $(commas "$ORDERING_BIG") keyed messages sent in $(($(date +%s) - t0)) s"
	# lease the first heads (msg_ids 1..ORDERING_LEASED, one per key)
	got=$(sqlv "SELECT count(*) || ' ' || count(DISTINCT ordering_key) || ' ' || min(msg_id) || ' ' || max(msg_id)
	              FROM pgmq_c.read('ord_big', '2 hours', $ORDERING_LEASED)")
	P2_LEASE_CHECK=$got
	[ "$got" = "$ORDERING_LEASED $ORDERING_LEASED 1 $ORDERING_LEASED" ] ||
		log "WARNING: the lease read returned 'count keys min max' = '$got', expected '$ORDERING_LEASED $ORDERING_LEASED 1 $ORDERING_LEASED'"
	fresh_queue ord_small
	fill ord_small "$ORDERING_SMALL" "$ORDERING_SMALL"
	fresh_queue ord_small10
	fill ord_small10 "$ORDERING_SMALL" 10
	vacuum_queue ord_big
	vacuum_queue ord_small
	vacuum_queue ord_small10
	sql -c "CHECKPOINT" >/dev/null
	id=$(queue_id ord_big)
	log "  part 2 set up in $(($(date +%s) - t0)) s: big queue q_ $(sqlv "SELECT count(*) FROM pgmq_c.q_$id"), p_ $(sqlv "SELECT count(*) FROM pgmq_c.p_$id"), k_ $(sqlv "SELECT count(*) FROM pgmq_c.k_$id") rows; leased, visible, next read: $(p2_state)"
}

part2() {
	local r side tag rd tail p99 mx slow ok
	log "part 2: read latency (read 1, rolled back), 1 client; {$P2_SIDES} x $ORDERING_RUNS runs x ${ORDERING_SECONDS}s"
	p2_setup
	P2_BEFORE=$(p2_state)
	for r in $(seq 1 "$ORDERING_RUNS"); do
		# shellcheck disable=SC2046,SC2086 # lists of words
		for side in $(rotate "$r" $P2_SIDES); do
			tag=p2_${side}_r$r
			rm -f "$BENCH_OUT/${tag}_log".*
			pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/ordering_peek.sql" 1 "$ORDERING_SECONDS" -r \
				-D "queue=${P2_QUEUE[$side]}" -l --log-prefix="$BENCH_OUT/${tag}_log"
			# statements: BEGIN, read, ROLLBACK
			rd=${PB_STMT[1]:-}
			ok=$PB_OK
			[ -n "$rd" ] || ok=0
			tail=$(pb_tail "$BENCH_OUT/${tag}_log")
			read -r p99 mx slow <<<"${tail:-- - -}" || true
			rm -f "$BENCH_OUT/${tag}_log".*
			# V1 read ms, V2 ms/tx, V3 tps, V4 p99 ms/tx, V5 max ms/tx; the
			# transactions over 5 ms in a line of their own (scenario "slow")
			record 2 peek 1 "$side" "$r" "$rd" "$PB_LAT" "$PB_TPS" "$p99" "$mx" "$ok"
			record 2 slow 1 "$side" "$r" "$slow" "" "" "" "" "$ok"
			log "  $side run $r: read $rd ms, $PB_LAT ms/tx (p99 $p99, max $mx, $slow over 5 ms), $(fmt "$PB_TPS") tx/s"
		done
	done
	P2_AFTER=$(p2_state)
	[ "$P2_BEFORE" = "$P2_AFTER" ] ||
		log "WARNING: part 2's big queue changed during the runs: '$P2_BEFORE' before, '$P2_AFTER' after"
	# where the time goes: one read + delete on the big queue, rolled back
	explain_nested p2_big "BEGIN;" \
		"SELECT coalesce(max(msg_id), 0) AS id FROM pgmq_c.read('ord_big', '30 seconds', 1) \\gset" \
		"SELECT pgmq_c.delete('ord_big', :id::bigint);" "ROLLBACK;" || true
	sql -c "SELECT pgmq_c.drop_queue(q) FROM unnest(ARRAY['ord_big', 'ord_small', 'ord_small10']) q" >/dev/null
}

print_part2() {
	local side sr st
	sr=$(med 2 peek 1 small 6)
	st=$(med 2 peek 1 small 7)
	table_head "Part 2: read latency on keyed queues, 1 client (BEGIN; read 1; ROLLBACK), medians of $ORDERING_RUNS runs x ${ORDERING_SECONDS}s" \
		"| queue | read ms (pgbench -r) | ratio read vs reference (target <= 1.3) | ms/tx | ratio ms/tx vs reference | p99 ms/tx | max ms/tx | transactions over 5 ms per run | tx/s | runs ok |" \
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for side in $P2_SIDES; do
		out "| ${P2_NAME[$side]} | $(fmt "$(med 2 peek 1 "$side" 6)") | $(ratio "$(med 2 peek 1 "$side" 6)" "$sr") | $(fmt "$(med 2 peek 1 "$side" 7)") | $(ratio "$(med 2 peek 1 "$side" 7)" "$st") | $(fmt "$(med 2 peek 1 "$side" 9)") | $(fmt "$(med 2 peek 1 "$side" 10)") | $(med 2 slow 1 "$side" 6) | $(fmt "$(med 2 peek 1 "$side" 8)") | $(nok 2 peek 1 "$side")/$(nruns 2 peek 1 "$side") |"
	done
	out ""
	out "(big queue: message g has key 'k' || (g % $ORDERING_BIG_KEYS); read(qty $(commas "$ORDERING_LEASED"), vt 2 hours) before the runs returned count, keys, min and max msg_id '${P2_LEASE_CHECK}'; leased heads, visible heads and the message a read takes, before the runs '${P2_BEFORE:-}', after '${P2_AFTER:-}'. p99 and max: of pgbench's per-transaction log)"
	out ""
	explain_summary p2_big "One read + delete on the big queue (rolled back)"
}
nruns() {
	awk -F'\t' -v k1="$1" -v k2="$2" -v k3="$3" -v k4="$4" \
		'$1==k1 && $2==k2 && $3==k3 && $4==k4 {n++} END {print n+0}' "$RESULTS"
}

# ---------------------------------------------------------------- part 3

P3_Q=ord_send
declare -A P3_SCRIPT=([plain]=ordering_send.sql [dedup]=ordering_send_dedup.sql)
declare -A P3_PHASE=([few]="ids of the runs before only" [many]="after $(commas "$ORDERING_REMEMBERED") remembered ids")
P3_WHERE=
P3_RESEND=

p3_phase() { # PHASE
	local ph=$1 c r side tag ok id
	id=$(queue_id "$P3_Q")
	for c in $ORDERING_CLIENTS; do
		for r in $(seq 1 "$ORDERING_RUNS"); do
			for side in $(rotate "$r" plain dedup); do
				tag=p3_${ph}_c${c}_${side}_r$r
				sql -c "SELECT pgmq_c.purge_queue('$P3_Q')" >/dev/null
				sql -c "VACUUM ANALYZE pgmq_c.q_$id" -c "CHECKPOINT" >/dev/null
				pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/${P3_SCRIPT[$side]}" "$c" "$ORDERING_SECONDS" \
					-D "queue=$P3_Q" -D n=0 -D "run=$tag"
				ok=$PB_OK
				# V1 msg/s (one message per transaction), V2 ms/tx
				record 3 "$ph" "$c" "$side" "$r" "$PB_TPS" "$PB_LAT" "" "" "" "$ok"
				log "  $ph $side c=$c run $r: $(fmt "$PB_TPS") msg/s, $PB_LAT ms/tx"
			done
		done
	done
}

part3() {
	local id t0 n
	log "part 3: send with a dedup_id vs without; clients {$ORDERING_CLIENTS} x $ORDERING_RUNS runs x ${ORDERING_SECONDS}s, before and after $(commas "$ORDERING_REMEMBERED") remembered ids"
	fresh_queue "$P3_Q" "dedup_window => '1 day'"
	id=$(queue_id "$P3_Q")
	p3_phase few
	t0=$(date +%s)
	sql -c "INSERT INTO pgmq_c.dedup_ids
	        SELECT $id, 'old-' || g, g, clock_timestamp() FROM generate_series(1, $ORDERING_REMEMBERED) g" >/dev/null
	log "  $(commas "$ORDERING_REMEMBERED") ids inserted in $(($(date +%s) - t0)) s"
	P3_WHERE=$(sqlv "SELECT string_agg(p || ': ' || n, ', ' ORDER BY p) FROM (
	                   SELECT tableoid::regclass::text AS p, count(*) AS n FROM pgmq_c.dedup_ids GROUP BY 1) s")
	P3_PARTS=$(sqlv "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	                  WHERE i.inhparent = 'pgmq_c.dedup_ids'::regclass")
	sql -c "VACUUM ANALYZE pgmq_c.dedup_ids" -c "CHECKPOINT" >/dev/null
	log "  vacuumed and checkpointed after $(($(date +%s) - t0)) s; rows per partition: $P3_WHERE; partitions: $P3_PARTS"
	# a resend of a remembered id stores nothing and returns its msg_id
	n=$((ORDERING_REMEMBERED / 2 + 1))
	P3_RESEND=$(psql -qXAt -v ON_ERROR_STOP=1 -c "BEGIN" \
		-c "SELECT pgmq_c.send('$P3_Q', '{}', dedup_id => 'old-$n')" -c "ROLLBACK")
	[ "$P3_RESEND" = "$n" ] ||
		log "WARNING: a resend of remembered id old-$n returned $P3_RESEND, not $n"
	p3_phase many
	explain_nested p3_dedup "BEGIN;" \
		"SELECT pgmq_c.send('$P3_Q', '{}', dedup_id => 'explain-' || clock_timestamp());" \
		"SELECT pgmq_c.send('$P3_Q', '{}');" "ROLLBACK;" || true
	sql -c "SELECT pgmq_c.drop_queue('$P3_Q')" >/dev/null
}

print_part3() {
	local ph c pm dm
	table_head "Part 3: send 1 message per transaction with a new dedup_id vs without (one queue, dedup_window 1 day), msg/s, medians of $ORDERING_RUNS runs x ${ORDERING_SECONDS}s" \
		"| remembered ids | clients | no dedup_id msg/s | dedup_id msg/s | ratio dedup / none (target >= 0.9) | median of per-run ratios | no dedup_id ms/tx | dedup_id ms/tx | no dedup_id range | dedup_id range | runs ok (none/dedup) |" \
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for ph in few many; do
		for c in $ORDERING_CLIENTS; do
			pm=$(med 3 "$ph" "$c" plain 6)
			dm=$(med 3 "$ph" "$c" dedup 6)
			out "| ${P3_PHASE[$ph]} | $c | $(fmt "$pm") | $(fmt "$dm") | $(ratio "$dm" "$pm") | $(r2 "$(paired_ratio 3 "$ph" "$c" dedup plain 6)") | $(fmt "$(med 3 "$ph" "$c" plain 7)") | $(fmt "$(med 3 "$ph" "$c" dedup 7)") | $(spread 3 "$ph" "$c" plain 6) | $(spread 3 "$ph" "$c" dedup 6) | $(nok 3 "$ph" "$c" plain)/$(nok 3 "$ph" "$c" dedup) |"
		done
	done
	for c in $ORDERING_CLIENTS; do
		out "| dedup_id msg/s after / before the $(commas "$ORDERING_REMEMBERED") ids | $c | | | $(ratio "$(med 3 many "$c" dedup 6)" "$(med 3 few "$c" dedup 6)") | | | | | | |"
	done
	out ""
	out "(the queue is purged, vacuumed and checkpointed before each run; ids: the run's tag, the client and a per-client counter, never repeated. The $(commas "$ORDERING_REMEMBERED") ids were inserted directly (INSERT INTO pgmq_c.dedup_ids SELECT queue_id, 'old-' || g, g, clock_timestamp() FROM generate_series(1, $(commas "$ORDERING_REMEMBERED")) g) after the first phase; rows of pgmq_c.dedup_ids per partition then: ${P3_WHERE:-?}; partitions: ${P3_PARTS:-?}; a resend of id old-$((ORDERING_REMEMBERED / 2 + 1)) returned msg_id ${P3_RESEND:-?} (the remembered one: stored nothing))"
	out ""
	explain_summary p3_dedup "A send with a dedup_id, then one without, after the $(commas "$ORDERING_REMEMBERED") ids"
}

# ---------------------------------------------------------------- targets

# met X LIMIT OP: "yes" when X OP LIMIT (>= or <=), "**no**" when not, "?"
# without a figure
met() {
	awk -v x="$1" -v t="$2" -v op="$3" 'BEGIN {
		if (x == "-" || x == "") print "?"
		else if ((op == ">=" && x + 0 >= t) || (op == "<=" && x + 0 <= t)) print "yes"
		else print "**no**" }'
}

print_targets() {
	local c x
	table_head "Targets (issue 12)" "| target | figure | met |" "|---|---:|---|"
	if selected "$ORDERING_PARTS" 1; then
		for c in $ORDERING_CLIENTS; do
			x=$(ratio "$(med 1 rd1 "$c" keyed 6)" "$(med 1 rd1 "$c" plain 6)")
			out "| read + delete keyed / unkeyed, $c consumers >= 0.9 | $x | $(met "$x" 0.9 '>=') |"
		done
	fi
	if selected "$ORDERING_PARTS" 2; then
		x=$(ratio "$(med 2 peek 1 big 6)" "$(med 2 peek 1 small 6)")
		out "| read latency, $(commas "$ORDERING_BIG") messages with $(commas "$ORDERING_LEASED") blocked keys / $(commas "$ORDERING_SMALL") messages <= 1.3 | $x | $(met "$x" 1.3 '<=') |"
	fi
	if selected "$ORDERING_PARTS" 3; then
		for ph in few many; do
			for c in $ORDERING_CLIENTS; do
				x=$(ratio "$(med 3 "$ph" "$c" dedup 6)" "$(med 3 "$ph" "$c" plain 6)")
				out "| send dedup_id / none, $c clients, ${P3_PHASE[$ph]} >= 0.9 | $x | $(met "$x" 0.9 '>=') |"
			done
		done
	fi
	out ""
}

# ---------------------------------------------------------------- main

for p in 1 2 3; do
	if selected "$ORDERING_PARTS" "$p"; then "part$p"; fi
done
for p in 1 2 3; do
	if selected "$ORDERING_PARTS" "$p"; then "print_part$p"; fi
done
print_targets

out "1-minute load average during the run (every 10 s, $BENCH_OUT/loadavg.log): min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC') ($((($(date +%s) - t_start) / 60)) min)"
log "done; summary in $SUMMARY, raw pgbench output in $BENCH_OUT"
