#!/usr/bin/env bash
# bench/topics.sh -- topics with consumer groups (0.3.0, issue 5) against
# plain queues, on one throwaway cluster.
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/topics.sh                 # the full run (about 30 minutes)
#     TOPICS_QUICK=1 bash bench/topics.sh  # a smoke run (a few minutes)
#
# It needs pgmq_c built and installed; the cluster is the one bench/lib.sh
# starts with scripts/common.sh for bench/run.sh (an unprivileged OS user
# when run as root, a free
# port >= 56432, 127.0.0.1 and a private unix socket only,
# shared_preload_libraries = 'pgmq_c', shared_buffers = 1GB, fsync and
# synchronous_commit on), stopped and removed at the end.  Everything runs
# with pgbench -n -M prepared; repeated runs are interleaved (the order of
# the sides rotates from run to run) and every figure printed is a median.
#
#   Part 1  producers: send 1 message per transaction (the 90-byte body of
#           run.sh), 1 and 4 clients, on a plain queue, on a topic with 1
#           group and on a topic with 10 groups (groups created, idle);
#           ratio topic / queue (target >= 0.9: the message is stored once)
#   Part 2  consumers, preloaded backlog: read 1 + delete 1 / read 100 +
#           delete 100 (id array) on a queue against read_group 1 + ack 1 /
#           read_group 100 + ack 100 (id array) for one group of a topic with
#           1 group and of a topic with 10 groups (all 10 with the same
#           backlog; 9 idle); 1 and 4 clients; ratio (target >= 0.9).  Read
#           and delete/ack are one transaction (BEGIN ... COMMIT), as in
#           run.sh; two more scenarios run read 1 / read 100 and delete/ack
#           as two autocommit statements (queue and 1-group topic only): since
#           303daf8 a read_group inside a transaction block has the
#           background worker fill the group, outside one it fills itself.
#           msg/s counts the messages actually consumed (empty and short
#           reads happen with a backlog: see the column messages per call)
#   Part 3  storage: TOPICS_STORAGE_N messages of about 1 KB (send_batch,
#           arrays of 1,000), bytes (pg_total_relation_size: tables, indexes,
#           TOAST, FSM, VM) of the log's partitions + the cursor table c_ +
#           the groups' tables g_, for a topic with 10 groups and with 1
#           group (the groups created before the messages, so every group has
#           all of them to consume), and the queue's q_ + d_ + a_ for
#           reference; after the send (and VACUUM ANALYZE), then after every
#           group consumed everything (read_group 100, then ack 100,
#           autocommit, with pgbench, two groups at a time), then after a
#           VACUUM (target 10 groups / 1 group <= 1.5)
#   Part 4  head-of-group read latency, 1 client: BEGIN; read_group 1; ack;
#           COMMIT; then a send, so the group's backlog stays at 1,000.
#           Topics with 10 groups: TOPICS_SMALL (1,000) messages (recreated
#           before each of its runs), and TOPICS_BIG (5,000,000) messages
#           loaded once, measured twice: with the group 1,000 messages
#           behind the end of the log (5,000,000 consumed messages retained
#           behind it; seek() before each run) and with a group at the start
#           of the log (5,000,000 ahead of it).  The other groups are spread
#           over the log with seek() and hold 10 leases each.  Figures are
#           the statements' own latencies (pgbench -r); ratio big / small
#           (target <= 1.3)
#
# Environment:
#   TOPICS_QUICK=1            smoke run: 1 run x 3 s, storage 20,000 messages,
#                             big topic 100,000 messages (each setting below
#                             still wins when given)
#   TOPICS_RUNS=3             runs per scenario and side
#   TOPICS_SECONDS=10         seconds per pgbench run (parts 1, 2, 4)
#   TOPICS_CLIENTS="1 4"      client counts of parts 1 and 2
#   TOPICS_PARTS="1 2 3 4"    which parts to run
#   TOPICS_P2="rd1 rd1a rd100 rd100a"  which scenarios of part 2 to run
#   TOPICS_RD100_RATE=150000  backlog of the batch scenarios per second of a run
#   TOPICS_STORAGE_N=1000000  messages of part 3
#   TOPICS_STORAGE_CONSUME=1  0: part 3 measures after the send only
#   TOPICS_SMALL=1000         messages of the small topic of part 4
#   TOPICS_BIG=5000000        messages of the big topic of part 4
#   TOPICS_GROUPS=10          groups of the "many groups" topics
#   BENCH_OUT=dir             raw outputs, results.tsv, storage.tsv and
#                             summary.txt (default /tmp/pgmqc-topics-<UTC
#                             timestamp>)
#   and those listed at the top of bench/lib.sh (BENCH_PGHOST/BENCH_PGPORT to
#   use a running cluster, BENCH_KEEP=1, BENCH_SHARED_BUFFERS).

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${TOPICS_QUICK:-0}" = 1 ]; then
	TOPICS_RUNS=${TOPICS_RUNS:-1}
	TOPICS_SECONDS=${TOPICS_SECONDS:-3}
	TOPICS_STORAGE_N=${TOPICS_STORAGE_N:-20000}
	TOPICS_BIG=${TOPICS_BIG:-100000}
fi
TOPICS_RUNS=${TOPICS_RUNS:-3}
TOPICS_SECONDS=${TOPICS_SECONDS:-10}
TOPICS_CLIENTS=${TOPICS_CLIENTS:-"1 4"}
TOPICS_PARTS=${TOPICS_PARTS:-"1 2 3 4"}
TOPICS_STORAGE_N=${TOPICS_STORAGE_N:-1000000}
TOPICS_STORAGE_CONSUME=${TOPICS_STORAGE_CONSUME:-1}
TOPICS_SMALL=${TOPICS_SMALL:-1000}
TOPICS_BIG=${TOPICS_BIG:-5000000}
TOPICS_GROUPS=${TOPICS_GROUPS:-10}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-topics-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
[ $((TOPICS_STORAGE_N % 1000)) = 0 ] || die "TOPICS_STORAGE_N must be a multiple of 1000"
[ $((TOPICS_BIG % 1000)) = 0 ] || die "TOPICS_BIG must be a multiple of 1000"
if [ "$TOPICS_SMALL" -lt 1000 ] || [ $((TOPICS_SMALL % 1000)) != 0 ]; then
	die "TOPICS_SMALL must be a multiple of 1000 (the group reads 1,000 behind the end)"
fi
[ "$TOPICS_GROUPS" -ge 2 ] || die "TOPICS_GROUPS must be at least 2"

RESULTS=$BENCH_OUT/results.tsv
STORAGE=$BENCH_OUT/storage.tsv
SUMMARY=$BENCH_OUT/summary.txt

bench_start
: >"$STORAGE"
t_start=$(date +%s)
bench_up

out "pgmq_c topics benchmark, started $BENCH_STARTED"
out "  PostgreSQL $(sqlv 'SHOW server_version'); pgmq_c $(sqlv "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'"); $(bench_machine)"
out "  source: $(bench_source); installed $(bench_installed)"
out "  settings: $(bench_settings) shared_preload_libraries='$(sqlv 'SHOW shared_preload_libraries')'"
out "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
out "  pgbench -n -M prepared, $TOPICS_RUNS runs x ${TOPICS_SECONDS}s per scenario and side, sides interleaved (order rotated per run); medians"
out "  parts: $TOPICS_PARTS; clients: $TOPICS_CLIENTS; storage $(commas "$TOPICS_STORAGE_N") messages of ~1 KB; latency topics $(commas "$TOPICS_SMALL") and $(commas "$TOPICS_BIG") messages; $TOPICS_GROUPS groups"
out ""

# results.tsv: PART SCENARIO CLIENTS SIDE RUN V1 V2 V3 V4 OK; median of
# column COL (6..9) over the OK runs
med() { bench_med 10 "$@"; }
nok() { bench_nok 10 "$@"; }
# transactions pgbench processed in run TAG, and the latency (ms) of the
# statement whose text matches RE (pgbench -r), or the sum of those that
# do not match when NOT=1
pb_xacts() { awk '/^number of transactions actually processed: /{print $6; exit}' "$BENCH_OUT/$1.out"; }
pb_stmt() {
	awk -v re="$2" -v not="${3:-0}" '/^statement latencies/{f=1; next}
		f && NF >= 3 && $1 ~ /^[0-9.]+$/ {
			m = ($0 ~ re); if ((m && !not) || (!m && not)) s += $1; found = 1 }
		END { if (found) print s + 0 }' "$BENCH_OUT/$1.out"
}
# messages consumed per second: CONSUMED messages over the run TAG
# (pgbench's elapsed time: transactions / tps)
pb_rate() {
	awk -v n="$2" -v x="$(pb_xacts "$1")" -v t="$PB_TPS" 'BEGIN {
		if (x + 0 > 0 && t + 0 > 0) printf "%.2f", n * t / x; else print "" }'
}

# ---------------------------------------------------------------- objects

# The queue is $QC ('bench', the name the qc_*.sql scripts use); topics are
# named bench_<something>, their groups g1 .. gN.
TP=bench_t

drop_all() {
	sql -c "SELECT pgmq_c.drop_queue(queue_name) FROM pgmq_c.list_queues() WHERE queue_name LIKE 'bench%'" \
		-c "SELECT pgmq_c.drop_topic(topic_name) FROM pgmq_c.list_topics() WHERE topic_name LIKE 'bench%'" >/dev/null
}
topic_id() { sqlv "SELECT topic_id FROM pgmq_c.list_topics() WHERE topic_name = '$1'"; }
# tp_create TOPIC NGROUPS START_AT: the topic and its groups g1 .. gN
tp_create() {
	sql -c "SELECT pgmq_c.create_topic('$1')" \
		-c "SELECT pgmq_c.create_group('$1', 'g' || i, '$3') FROM generate_series(1, $2) i" >/dev/null
}
# the log's partitions, the cursor table and the group tables, one a line
tp_tables() {
	local id
	id=$(topic_id "$1")
	sqlv "SELECT relid::regclass FROM pg_partition_tree('pgmq_c.t_$id') WHERE isleaf
	      UNION ALL SELECT 'pgmq_c.c_$id'::regclass
	      UNION ALL SELECT ('pgmq_c.g_' || group_id)::regclass FROM pgmq_c.groups WHERE topic_id = $id"
}
# lag of a group (messages not yet acknowledged; list_groups may cap it)
group_lag() {
	sqlv "SELECT lag FROM pgmq_c.list_groups('$1') WHERE group_name = '$2'"
}
# group_pos TOPIC GROUP: "next_id rows_in_g_" of a group
group_pos() {
	local id gid
	id=$(topic_id "$1")
	gid=$(sqlv "SELECT group_id FROM pgmq_c.groups WHERE topic_id = $id AND group_name = '$2'")
	# the messages handed out and not acknowledged: rows, and in blocks
	sqlv "SELECT (SELECT next_id FROM pgmq_c.c_$id WHERE group_id = $gid), (SELECT count(*) FROM pgmq_c.g_$gid) + (SELECT coalesce(sum(messages), 0) FROM pgmq_c.group_blocks WHERE group_id = $gid)" | tr '|' ' '
}
# acked TOPIC BEFORE AFTER: messages a group acknowledged between two
# group_pos results (every message of the log is for every group: no filter)
acked() {
	local id
	id=$(topic_id "$1")
	# shellcheck disable=SC2086
	set -- "$1" $2 $3
	sqlv "SELECT count(*) + $3 - $5 FROM pgmq_c.t_$id WHERE msg_id >= $2 AND msg_id < $4"
}
# VACUUM ANALYZE of a topic's log only (its empty cursor and group tables
# are left unanalyzed, as lib.sh's fresh_tables leaves empty tables)
tp_settle() {
	sql -c "VACUUM ANALYZE pgmq_c.t_$(topic_id "$1")" >/dev/null
}

# fresh SIDE FILL [START_AT]: everything of ours dropped, the database
# vacuumed, SIDE made (q: the queue; tN: the topic $TP with N groups) and,
# when FILL > 0, filled with FILL small messages and its log/queue vacuumed
# and analyzed (for a topic the groups are then created at 'earliest');
# then a checkpoint
fresh() {
	local side=$1 n=$2 t
	drop_all
	sql -c "VACUUM" >/dev/null
	case $side in
	q)
		qc_reset
		if [ "$n" -gt 0 ]; then
			send_fill "$QC" "$n" small
			for t in $(qc_tables); do
				sql -c "VACUUM ANALYZE $t" >/dev/null
			done
		fi
		;;
	t*)
		if [ "$n" -gt 0 ]; then
			tp_create "$TP" 0 earliest
			send_fill "$TP" "$n" small
			tp_settle "$TP"
			tp_create "$TP" "${side#t}" earliest
		else
			tp_create "$TP" "${side#t}" latest
		fi
		;;
	esac
	sql -c "CHECKPOINT" >/dev/null
}

declare -A SIDE_NAME=([q]="queue" [t1]="topic, 1 group" [t10]="topic, 10 groups")
SIDES="q t1 t$TOPICS_GROUPS"
SIDE_NAME[t$TOPICS_GROUPS]="topic, $TOPICS_GROUPS groups"

# ---------------------------------------------------------------- part 1

part1() {
	local c r side
	log "part 1: send 1/tx; sides {$SIDES} x clients {$TOPICS_CLIENTS} x $TOPICS_RUNS runs x ${TOPICS_SECONDS}s"
	for c in $TOPICS_CLIENTS; do
		for r in $(seq 1 "$TOPICS_RUNS"); do
			# shellcheck disable=SC2046,SC2086 # lists of words
			for side in $(rotate "$r" $SIDES); do
				fresh "$side" 0
				if [ "$side" = q ]; then
					pgbench_run "p1_send1_c${c}_${side}_r$r" "$BENCH_SRCDIR/pgbench/qc_send1.sql" "$c" "$TOPICS_SECONDS"
				else
					pgbench_run "p1_send1_c${c}_${side}_r$r" "$BENCH_SRCDIR/pgbench/tp_send1.sql" "$c" "$TOPICS_SECONDS" -D "topic=$TP"
				fi
				record 1 send1 "$c" "$side" "$r" "$PB_TPS" "$PB_LAT" "" "" "$PB_OK"
				log "  send1 c=$c $side run $r: $(fmt "$PB_TPS") msg/s, $PB_LAT ms/tx"
			done
		done
	done
	drop_all
}

print_part1() {
	local c side q x
	table_head "Part 1: producers, send 1 message per transaction (msg/s, medians of $TOPICS_RUNS runs x ${TOPICS_SECONDS}s; groups exist but do not read)" \
		"| clients | queue msg/s | topic, 1 group msg/s | topic, $TOPICS_GROUPS groups msg/s | ratio 1 group / queue | ratio $TOPICS_GROUPS groups / queue (target >= 0.9) | queue ms/tx | 1 group ms/tx | $TOPICS_GROUPS groups ms/tx | runs ok |" \
		"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for c in $TOPICS_CLIENTS; do
		q=$(med 1 send1 "$c" q 6)
		x="| $c | $(fmt "$q")"
		for side in t1 "t$TOPICS_GROUPS"; do x="$x | $(fmt "$(med 1 send1 "$c" "$side" 6)")"; done
		for side in t1 "t$TOPICS_GROUPS"; do x="$x | $(ratio "$(med 1 send1 "$c" "$side" 6)" "$q")"; done
		for side in $SIDES; do x="$x | $(fmt "$(med 1 send1 "$c" "$side" 7)")"; done
		x="$x | $(nok 1 send1 "$c" q)/$(nok 1 send1 "$c" t1)/$(nok 1 send1 "$c" "t$TOPICS_GROUPS") |"
		out "$x"
	done
	out ""
}

# ---------------------------------------------------------------- part 2

P2_ORDER=${TOPICS_P2:-"rd1 rd1a rd100 rd100a"}
# backlog per second of a run: more than the sides consume (a run that
# drains its backlog is not counted); TOPICS_RD100_RATE raises the batch
# rows' on a faster machine (session 57's drained 150,000 a second)
P2_RD100_RATE=${TOPICS_RD100_RATE:-150000}
declare -A P2_FILL=([rd1]=$((20000 * TOPICS_SECONDS)) [rd1a]=$((20000 * TOPICS_SECONDS))
	[rd100]=$((P2_RD100_RATE * TOPICS_SECONDS)) [rd100a]=$((P2_RD100_RATE * TOPICS_SECONDS)))
declare -A P2_NAME=([rd1]="read 1 + delete/ack 1" [rd1a]="read 1, then delete/ack 1, autocommit"
	[rd100]="read 100 + delete/ack 100 (id array)"
	[rd100a]="read 100, then delete/ack 100, autocommit")
# the autocommit variant only against the 1-group topic
declare -A P2_SIDES=([rd1]="$SIDES" [rd1a]="q t1" [rd100]="$SIDES" [rd100a]="q t1")

part2() {
	local s c r side fill left ok rate xacts pos0 pos1 n tag
	log "part 2: consumers; {$P2_ORDER} x sides {$SIDES} x clients {$TOPICS_CLIENTS} x $TOPICS_RUNS runs x ${TOPICS_SECONDS}s"
	for s in $P2_ORDER; do
		fill=$(((P2_FILL[$s] + 999) / 1000 * 1000))
		for c in $TOPICS_CLIENTS; do
			for r in $(seq 1 "$TOPICS_RUNS"); do
				# shellcheck disable=SC2046,SC2086 # lists of words
				for side in $(rotate "$r" ${P2_SIDES[$s]}); do
					fresh "$side" "$fill"
					tag=p2_${s}_c${c}_${side}_r$r
					if [ "$side" = q ]; then
						pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/tq_$s.sql" "$c" "$TOPICS_SECONDS" -D "queue=$QC"
						left=$(qc_count)
						n=$((fill - left))
					else
						pos0=$(group_pos "$TP" g1)
						pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/tp_$s.sql" "$c" "$TOPICS_SECONDS" \
							-D "topic=$TP" -D grp=g1
						pos1=$(group_pos "$TP" g1)
						n=$(acked "$TP" "$pos0" "$pos1")
						left=$((fill - n))
					fi
					ok=$PB_OK
					if [ "${left:-0}" -le 0 ]; then
						ok=0
						log "WARNING: $s c=$c $side run $r drained the backlog (fill $fill); run not counted"
					fi
					xacts=$(pb_xacts "$tag")
					rate=$(pb_rate "$tag" "$n")
					[ -n "$rate" ] || ok=0
					# V1 msg/s, V2 ms/tx, V3 messages per read call, V4 messages consumed
					record 2 "$s" "$c" "$side" "$r" "$rate" "$PB_LAT" \
						"$(awk -v n="$n" -v x="$xacts" 'BEGIN{ if (x > 0) printf "%.3f", n / x }')" "$n" "$ok"
					log "  $s c=$c $side run $r: $(fmt "$rate") msg/s, $PB_LAT ms/tx, $n consumed in $xacts calls, $left left"
				done
			done
		done
	done
	drop_all
}

print_part2() {
	local s c side q x
	table_head "Part 2: consumers on a preloaded backlog (msg/s, medians of $TOPICS_RUNS runs x ${TOPICS_SECONDS}s; topic: one group g1 consumes, the other groups idle with the same backlog; read and delete/ack in one transaction (BEGIN ... COMMIT) unless marked autocommit)" \
		"| scenario | clients | queue msg/s | topic, 1 group msg/s | topic, $TOPICS_GROUPS groups msg/s | ratio 1 group / queue | ratio $TOPICS_GROUPS groups / queue (target >= 0.9) | queue ms/tx | 1 group ms/tx | $TOPICS_GROUPS groups ms/tx | messages per read call (queue/1/$TOPICS_GROUPS) | runs ok |" \
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for s in $P2_ORDER; do
		for c in $TOPICS_CLIENTS; do
			q=$(med 2 "$s" "$c" q 6)
			x="| ${P2_NAME[$s]} | $c | $(fmt "$q")"
			for side in t1 "t$TOPICS_GROUPS"; do x="$x | $(fmt "$(med 2 "$s" "$c" "$side" 6)")"; done
			for side in t1 "t$TOPICS_GROUPS"; do x="$x | $(ratio "$(med 2 "$s" "$c" "$side" 6)" "$q")"; done
			for side in $SIDES; do x="$x | $(fmt "$(med 2 "$s" "$c" "$side" 7)")"; done
			x="$x | $(fmt "$(med 2 "$s" "$c" q 8)")/$(fmt "$(med 2 "$s" "$c" t1 8)")/$(fmt "$(med 2 "$s" "$c" "t$TOPICS_GROUPS" 8)")"
			x="$x | $(nok 2 "$s" "$c" q)/$(nok 2 "$s" "$c" t1)/$(nok 2 "$s" "$c" "t$TOPICS_GROUPS") |"
			out "$x"
		done
	done
	out ""
	out "(backlog per run: $(commas "$(((P2_FILL[rd1] + 999) / 1000 * 1000))") messages for read 1, $(commas "$(((P2_FILL[rd100] + 999) / 1000 * 1000))") for read 100; a run that drains it is not counted. msg/s counts the messages actually consumed (queue: the backlog minus what is left; topic: the messages the group acknowledged, from its cursor and its g_ table), over pgbench's elapsed time; an empty or short read is a transaction like the others, so messages per read call below the batch size means empty or short reads)"
	out ""
}

# ---------------------------------------------------------------- part 3

# bytes of a queue's or a topic's relations: LOG CURSORS GROUPS
q_bytes() {
	local t total=0
	for t in $(qc_tables); do
		total=$((total + $(sqlv "SELECT pg_total_relation_size('$t')")))
	done
	echo "$total 0 0"
}
t_bytes() {
	local id
	id=$(topic_id "$1")
	sqlv "SELECT (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('pgmq_c.t_$id') WHERE isleaf)
	             + pg_total_relation_size('pgmq_c.t_$id'),
	             pg_total_relation_size('pgmq_c.c_$id'),
	             (SELECT coalesce(sum(pg_total_relation_size(('pgmq_c.g_' || group_id)::regclass)), 0)
	                FROM pgmq_c.groups WHERE topic_id = $id)" | tr '|' ' '
}
# storage_row CONFIG STATE SECONDS LOG CURSORS GROUPS
storage_row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$STORAGE"
	log "  storage $1 '$2': log/queue $(($4 / 1048576)) MB, cursors $(($5 / 1024)) kB, groups $(($6 / 1048576)) MB ($3 s)"
}

# drain_one TAG SCRIPT LAGCMD -D ...: one consumer runs SCRIPT (read 100,
# then ack/delete 100, autocommit: tp_rd100a.sql / tq_rd100a.sql) with
# pgbench until LAGCMD prints 0.  Separate statements, not one long DO
# block: a backend that never goes idle never reports its dead tuples, and
# autovacuum would never visit the group's table.
drain_one() {
	local tag=$1 script=$2 lagcmd=$3 left i=0
	shift 3
	left=$($lagcmd)
	while [ "${left:-0}" -gt 0 ]; do
		i=$((i + 1))
		[ "$i" -le 20 ] || die "drain $tag: still $left messages left"
		pgbench -n -M prepared -f "$script" -c 1 -j 1 -t $((left / 100 + 50)) "$@" \
			>"$BENCH_OUT/$tag.$i.out" 2>&1 || die "drain $tag failed: see $BENCH_OUT/$tag.$i.out"
		left=$($lagcmd)
	done
}
# drain_groups TOPIC N: groups g1 .. gN each consume the topic to its end,
# two groups at a time
drain_groups() {
	local tp=$1 n=$2 i pids=()
	for i in $(seq 1 "$n"); do
		# shellcheck disable=SC2016 # expanded by drain_one
		drain_one "p3_drain_${tp}_g$i" "$BENCH_SRCDIR/pgbench/tp_rd100a.sql" "group_lag $tp g$i" \
			-D "topic=$tp" -D "grp=g$i" &
		pids+=($!)
		if [ ${#pids[@]} -ge 2 ]; then
			wait "${pids[0]}" || die "draining $tp failed"
			pids=("${pids[@]:1}")
		fi
	done
	for i in "${pids[@]}"; do
		wait "$i" || die "draining $tp failed"
	done
}
drain_queue() {
	drain_one p3_drain_queue "$BENCH_SRCDIR/pgbench/tq_rd100a.sql" qc_count -D "queue=$QC"
}

# shellcheck disable=SC2046 # q_bytes / t_bytes print three arguments
part3() {
	local cfg n=$TOPICS_STORAGE_N t0 secs ng b lag
	log "part 3: storage of $(commas "$n") messages of ~1 KB: queue, topic with 1 and $TOPICS_GROUPS groups"
	STORAGE_MSG_BYTES=$(sqlv "SELECT pg_column_size($(body_sql kb)) FROM (SELECT 1 AS g) s")
	for cfg in t1 "t$TOPICS_GROUPS" q; do
		drop_all
		sql -c "VACUUM" -c "CHECKPOINT" >/dev/null
		t0=$(date +%s)
		if [ "$cfg" = q ]; then
			qc_reset
			send_fill "$QC" "$n" kb 10
		else
			ng=${cfg#t}
			tp_create "$TP" "$ng" latest
			send_fill "$TP" "$n" kb 10
		fi
		secs=$(($(date +%s) - t0))
		if [ "$cfg" = q ]; then
			for b in $(qc_tables); do sql -c "VACUUM ANALYZE $b" >/dev/null; done
			storage_row "$cfg" sent "$secs" $(q_bytes)
		else
			# the log and the cursors; the group tables are empty: left
			# unanalyzed, as fresh_tables does (stats of an empty table would
			# give the group statements generic plans for an empty table)
			sql -c "VACUUM ANALYZE pgmq_c.t_$(topic_id "$TP")" -c "VACUUM ANALYZE pgmq_c.c_$(topic_id "$TP")" >/dev/null
			storage_row "$cfg" sent "$secs" $(t_bytes "$TP")
		fi
		if [ "$TOPICS_STORAGE_CONSUME" = 1 ]; then
			t0=$(date +%s)
			if [ "$cfg" = q ]; then
				drain_queue
				secs=$(($(date +%s) - t0))
				storage_row "$cfg" consumed "$secs" $(q_bytes)
				sql -c "VACUUM" >/dev/null
				storage_row "$cfg" vacuumed 0 $(q_bytes)
			else
				drain_groups "$TP" "$ng"
				secs=$(($(date +%s) - t0))
				for b in $(seq 1 "$ng"); do
					lag=$(group_lag "$TP" "g$b")
					[ "$lag" = 0 ] || log "WARNING: group g$b of $TP has lag $lag after the drain"
				done
				storage_row "$cfg" consumed "$secs" $(t_bytes "$TP")
				for b in $(tp_tables "$TP"); do sql -c "VACUUM $b" >/dev/null; done
				storage_row "$cfg" vacuumed 0 $(t_bytes "$TP")
			fi
		fi
	done
	drop_all
	sql -c "VACUUM" -c "CHECKPOINT" >/dev/null
}

# storage value: CONFIG STATE COLUMN (3 seconds, 4 log, 5 cursors, 6 groups, 7 total)
sval() {
	awk -F'\t' -v c="$1" -v s="$2" -v col="$3" '$1==c && $2==s {
		if (col == 7) print $4 + $5 + $6; else print $col }' "$STORAGE"
}
mb() { awk -v b="$1" 'BEGIN { if (b == "") print "-"; else printf "%.1f", b / 1048576 }'; }
per_msg() { awk -v b="$1" -v n="$TOPICS_STORAGE_N" 'BEGIN { if (b == "") print "-"; else printf "%.0f", b / n }'; }

print_part3() {
	local st cfg tot one tg=t$TOPICS_GROUPS secs rate x
	table_head "Part 3: storage after $(commas "$TOPICS_STORAGE_N") messages of ~1 KB ($STORAGE_MSG_BYTES bytes of jsonb each), pg_total_relation_size (table + indexes + TOAST + FSM + VM); one measurement per configuration" \
		"| state | configuration | log / queue tables MB | cursor table kB | group tables MB | total MB | bytes per message | vs topic, 1 group (target <= 1.5 for $TOPICS_GROUPS groups) |" \
		"|---|---|---:|---:|---:|---:|---:|---:|"
	for st in sent consumed vacuumed; do
		[ -n "$(sval t1 "$st" 7)" ] || continue
		one=$(sval t1 "$st" 7)
		for cfg in "$tg" t1 q; do
			tot=$(sval "$cfg" "$st" 7)
			[ -n "$tot" ] || continue
			x="| $st | ${SIDE_NAME[$cfg]} | $(mb "$(sval "$cfg" "$st" 4)")"
			if [ "$cfg" = q ]; then
				x="$x | - | - | $(mb "$tot") | $(per_msg "$tot") | $(ratio "$tot" "$one") |"
			else
				x="$x | $(awk -v b="$(sval "$cfg" "$st" 5)" 'BEGIN{printf "%.0f", b / 1024}') | $(mb "$(sval "$cfg" "$st" 6)") | $(mb "$tot") | $(per_msg "$tot") | $(ratio "$tot" "$one") |"
			fi
			out "$x"
		done
	done
	out ""
	x="(sent: right after the send_batch load and a VACUUM ANALYZE; load time"
	for cfg in "$tg" t1 q; do
		secs=$(sval "$cfg" sent 3)
		x="$x ${SIDE_NAME[$cfg]} $secs s ($(awk -v n="$TOPICS_STORAGE_N" -v s="$secs" 'BEGIN{ if (s > 0) printf "%.0f", n / s; else print "-" }') msg/s),"
	done
	x="${x%,}."
	if [ -n "$(sval t1 consumed 3)" ]; then
		x="$x consumed: every group (the queue: one consumer) read everything with pgbench -c 1 running tp_rd100a.sql / tq_rd100a.sql (read 100, then ack/delete 100, autocommit), two groups at a time, then measured at once (autovacuum ran meanwhile as it would); time"
		for cfg in "$tg" t1 q; do
			secs=$(sval "$cfg" consumed 3)
			if [ "$cfg" = q ]; then rate=$TOPICS_STORAGE_N; else rate=$((TOPICS_STORAGE_N * ${cfg#t})); fi
			x="$x ${SIDE_NAME[$cfg]} $secs s ($(awk -v n="$rate" -v s="$secs" 'BEGIN{ if (s > 0) printf "%.0f", n / s; else print "-" }') msg/s in all),"
		done
		x="${x%,}. vacuumed: then a plain VACUUM of each table; a topic keeps its log until the retention drops it, a queue deletes what was consumed)"
	else
		x="$x)"
	fi
	out "$x"
	out ""
}

# ---------------------------------------------------------------- part 4

SMALL_TP=bench_small
BIG_TP=bench_big

# spread_groups TOPIC N: groups g3 .. g<TOPICS_GROUPS> seek to k/G of the
# log and lease 10 messages each (g1 and g2 are the measured ones)
spread_groups() {
	local tp=$1 n=$2
	sql <<EOF >/dev/null
SELECT pgmq_c.seek('$tp', 'g' || k, ($n::bigint * k) / $TOPICS_GROUPS) FROM generate_series(3, $TOPICS_GROUPS) k;
SELECT count(*) FROM generate_series(3, $TOPICS_GROUPS) k, pgmq_c.read_group('$tp', 'g' || k, '1 hour', 10);
EOF
}
# the last msg_id of a topic's log
last_id() { sqlv "SELECT max(msg_id) FROM pgmq_c.t_$(topic_id "$1")"; }

make_small() {
	sql -c "SELECT pgmq_c.drop_topic('$SMALL_TP') FROM pgmq_c.list_topics() WHERE topic_name = '$SMALL_TP'" >/dev/null
	tp_create "$SMALL_TP" "$TOPICS_GROUPS" earliest
	send_fill "$SMALL_TP" "$TOPICS_SMALL" small
	# g1 reads the last 1,000 messages (all of them when there are 1,000)
	sql -c "SELECT pgmq_c.seek('$SMALL_TP', 'g1', $(last_id "$SMALL_TP") - 999)" >/dev/null
	spread_groups "$SMALL_TP" "$TOPICS_SMALL"
	tp_settle "$SMALL_TP"
	sql -c "VACUUM ANALYZE pgmq_c.c_$(topic_id "$SMALL_TP")" -c "CHECKPOINT" >/dev/null
}

declare -A P4_NAME=(
	[small]="$(commas "$TOPICS_SMALL") messages, group 1,000 behind the end"
	[big_end]="$(commas "$TOPICS_BIG") messages, group 1,000 behind the end"
	[big_start]="$(commas "$TOPICS_BIG") messages, group at the start (all ahead)")
P4_ORDER="small big_end big_start"

part4() {
	local t0 r cond tp grp rd ack tx lag ok pos0 pos1 n xacts empty
	log "part 4: head-of-group latency; topics of $TOPICS_SMALL and $TOPICS_BIG messages, $TOPICS_GROUPS groups"
	drop_all
	sql -c "VACUUM" >/dev/null
	t0=$(date +%s)
	tp_create "$BIG_TP" "$TOPICS_GROUPS" earliest
	send_fill "$BIG_TP" "$TOPICS_BIG" small
	# g2 stays at the start; g1 is put 1,000 behind the end before each run
	spread_groups "$BIG_TP" "$TOPICS_BIG"
	tp_settle "$BIG_TP"
	sql -c "VACUUM ANALYZE pgmq_c.c_$(topic_id "$BIG_TP")" -c "CHECKPOINT" >/dev/null
	P4_BIG_LOAD=$(($(date +%s) - t0))
	log "  $BIG_TP: $(commas "$TOPICS_BIG") messages loaded and vacuumed in $P4_BIG_LOAD s; $(mb "$(t_bytes "$BIG_TP" | awk '{print $1 + $2 + $3}')") MB"
	for r in $(seq 1 "$TOPICS_RUNS"); do
		# shellcheck disable=SC2046,SC2086 # lists of words
		for cond in $(rotate "$r" $P4_ORDER); do
			case $cond in
			small)
				make_small
				tp=$SMALL_TP grp=g1
				;;
			big_end)
				tp=$BIG_TP grp=g1
				sql -c "SELECT pgmq_c.seek('$tp', 'g1', $(last_id "$tp") - 999)" >/dev/null
				sql -c "VACUUM ANALYZE pgmq_c.c_$(topic_id "$tp")" -c "CHECKPOINT" >/dev/null
				;;
			big_start)
				tp=$BIG_TP grp=g2
				sql -c "CHECKPOINT" >/dev/null
				;;
			esac
			pos0=$(group_pos "$tp" "$grp")
			pgbench_run "p4_${cond}_r$r" "$BENCH_SRCDIR/pgbench/tp_lat.sql" 1 "$TOPICS_SECONDS" -r \
				-D "topic=$tp" -D "grp=$grp"
			pos1=$(group_pos "$tp" "$grp")
			n=$(acked "$tp" "$pos0" "$pos1")
			xacts=$(pb_xacts "p4_${cond}_r$r")
			rd=$(pb_stmt "p4_${cond}_r$r" 'read_group')
			ack=$(pb_stmt "p4_${cond}_r$r" 'pgmq_c[.]ack')
			# BEGIN .. COMMIT: every statement but the send
			tx=$(pb_stmt "p4_${cond}_r$r" 'pgmq_c[.]send' 1)
			ok=$PB_OK
			[ -n "$rd" ] || ok=0
			lag=$(group_lag "$tp" "$grp")
			[ "${lag:-0}" -gt 0 ] || {
				ok=0
				log "WARNING: $cond run $r: group $grp of $tp drained"
			}
			empty=$(awk -v n="$n" -v x="$xacts" 'BEGIN{ if (x > 0) printf "%.2f", 100 * (x - n) / x }')
			# V1 read_group ms, V2 ack ms, V3 BEGIN..COMMIT ms, V4 % empty reads
			record 4 "$cond" 1 "$grp" "$r" "$rd" "$ack" "$tx" "$empty" "$ok"
			log "  $cond run $r: read_group $rd ms, ack $ack ms, read_group+ack $tx ms, $(fmt "$PB_TPS") iterations/s, $n consumed ($empty % empty reads), log $(commas "$(last_id "$tp")") msg_ids, lag of $grp $lag"
		done
	done
	drop_all
}

print_part4() {
	local cond g sr sx rd ack tx
	sr=$(med 4 small 1 g1 6)
	sx=$(med 4 small 1 g1 8)
	table_head "Part 4: head-of-group read latency, 1 client, topics with $TOPICS_GROUPS groups (BEGIN; read_group 1; ack; COMMIT; then send 1), medians of $TOPICS_RUNS runs x ${TOPICS_SECONDS}s" \
		"| messages in the topic's log | read_group ms | ack ms | read_group + ack ms (BEGIN..COMMIT) | read_group vs small | read_group + ack vs small (target <= 1.3) | empty reads % | runs ok |" \
		"|---|---:|---:|---:|---:|---:|---:|---:|"
	for cond in $P4_ORDER; do
		g=g1
		[ "$cond" = big_start ] && g=g2
		rd=$(med 4 "$cond" 1 "$g" 6)
		ack=$(med 4 "$cond" 1 "$g" 7)
		tx=$(med 4 "$cond" 1 "$g" 8)
		out "| ${P4_NAME[$cond]} | $(fmt "$rd") | $(fmt "$ack") | $(fmt "$tx") | $(ratio "$rd" "$sr") | $(ratio "$tx" "$sx") | $(med 4 "$cond" 1 "$g" 9) | $(nok 4 "$cond" 1 "$g") |"
	done
	out ""
	out "(the small topic is made again before each of its runs: $(commas "$TOPICS_SMALL") messages, then one more per iteration; the big one was loaded once, in $P4_BIG_LOAD s, and grows by one message per iteration too. Each iteration's send keeps the measured group's backlog at 1,000 (behind the end) or ~$(commas "$TOPICS_BIG") (at the start); the other $((TOPICS_GROUPS - 2)) groups sit at k/$TOPICS_GROUPS of the log holding 10 leases each, and the remaining one is idle)"
	out ""
}

# ---------------------------------------------------------------- main

for p in 1 2 3 4; do
	if selected "$TOPICS_PARTS" "$p"; then "part$p"; fi
done
for p in 1 2 3 4; do
	if selected "$TOPICS_PARTS" "$p"; then "print_part$p"; fi
done

out "1-minute load average during the run (every 10 s, $BENCH_OUT/loadavg.log): min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC') ($((($(date +%s) - t_start) / 60)) min)"
log "done; summary in $SUMMARY, raw pgbench output in $BENCH_OUT"
