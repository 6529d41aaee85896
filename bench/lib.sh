# shellcheck shell=bash
# bench/lib.sh -- helpers shared by the scripts in bench/.
#
# Sourced, not run.  It sources scripts/common.sh, which sets up the machine
# and the clusters for the benchmarks as for the tests, and provides:
#   bench_cluster_up / bench_cluster_down   a throwaway cluster (or an existing
#                                           one named by BENCH_PGHOST/BENCH_PGPORT)
#   bench_need_pgmqc, bench_traps, bench_loadavg   the start of every run
#   out, bench_machine, bench_source, bench_settings, bench_load
#                                           summary.txt and its header lines
#   sql / sqlv                              psql wrappers (quiet; value only)
#   median / ratio / fmt / commas           number helpers
#   record / bench_med / bench_nok / rotate per-run figures in results.tsv
#   pgbench_run, t1_defs / t1_run           one pgbench run, parsed; table 1
#   qc_* / bl_* / send_fill                 set-up of the pgmq_c queue and of the
#                                           raw-SQL baseline table (same shape)
#   bench_want_charts / bench_chart         PNG charts through bench/charts.sh
#                                           (gnuplot-nox)
#
# Environment (all optional):
#   BENCH_PGHOST, BENCH_PGPORT   use this running cluster instead of starting one
#                                (needs pgmq_c installed and the bench database
#                                BENCH_DB existing, superuser BENCH_PGUSER)
#   The cluster: scripts/common.sh's pgmqc_start_cluster (as root its
#   unprivileged user PGMQC_USER, default pgmqc; otherwise the caller), port
#   from BENCH_PORT (default 56432) up, with the benchmark settings below.
#   BENCH_SHARED_BUFFERS         shared_buffers of that cluster (default 1GB)
#   BENCH_EXTRA_CONF             more postgresql.conf lines for that cluster
#   BENCH_KEEP=1                 keep the cluster's directory after the run
#   BENCH_OUT                    where raw pgbench output goes
#                                (default /tmp/pgmqc-bench-<timestamp>)
#   BENCH_ONLY=baseline          skip the pgmq_c side (harness testing only)

# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

# shellcheck disable=SC2034 # used by the scripts that source this file
BENCH_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_DB=${BENCH_DB:-bench}
BENCH_PGUSER=${BENCH_PGUSER:-bench}
BENCH_ONLY=${BENCH_ONLY:-}
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

# one message body, the same for every scenario and both sides (~80 bytes)
BENCH_MSG='{"order_id": 123456, "customer": "c-42", "amount": 19.99, "status": "new", "items": [1, 2, 3]}'

log() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

_BENCH_OWN_CLUSTER=0
_BENCH_DIR=
_BENCH_BG_PIDS=()
_BENCH_LOAD_PID=

# ---------------------------------------------------------------- cluster

# settings every benchmark cluster gets on top of scripts/common.sh's
# (durability stays at the defaults: fsync = on, synchronous_commit = on)
_bench_settings() {
	cat <<EOF
# --- pgmq_c benchmark settings ---
shared_buffers = '${BENCH_SHARED_BUFFERS:-1GB}'
max_wal_size = '8GB'
checkpoint_timeout = '30min'
log_min_messages = warning
log_autovacuum_min_duration = 0
${BENCH_EXTRA_CONF:-}
EOF
}

_bench_preload() {
	if [ -e "$(pg_config --pkglibdir)/pgmq_c.so" ]; then
		echo pgmq_c
	elif [ "$BENCH_ONLY" != baseline ]; then
		die "pgmq_c is not installed ($(pg_config --pkglibdir)/pgmq_c.so missing): run 'make install' first (or BENCH_ONLY=baseline)"
	fi
}

# packages a script needs beyond scripts/common.sh's
BENCH_DEPS=()

# Charts (bench/charts.sh, gnuplot): bench_want_charts, before bench_start,
# adds gnuplot-nox to BENCH_DEPS when run as root (not as root a missing
# gnuplot only skips the charts); bench_chart KIND DIR [NOTE] draws chart
# KIND from the raw output in DIR into BENCH_CHART_DIR (default docs/img of
# the repository), NOTE printed under its title; a failure is a warning,
# never the run's.  BENCH_CHARTS=0: no charts.
bench_want_charts() {
	if [ "${BENCH_CHARTS:-1}" != 0 ] && [ "$PGMQC_IS_ROOT" = 1 ]; then
		BENCH_DEPS+=(gnuplot-nox)
	fi
}
bench_chart() {
	[ "${BENCH_CHARTS:-1}" != 0 ] || return 0
	if ! command -v gnuplot >/dev/null; then
		log "WARNING: no gnuplot (apt-get install gnuplot-nox): chart $1 not drawn"
		return 0
	fi
	bash "$BENCH_SRCDIR/charts.sh" "$@" >&2 || log "WARNING: chart $1 failed"
}

# bench_need_pgmqc [build]: the packages (scripts/common.sh's and
# BENCH_DEPS; installed when missing), and pgmq_c installed: die when it is
# not (BENCH_ONLY=baseline or a running cluster need none), or with "build",
# as root, build and install it
# shellcheck disable=SC2120 # the argument is optional
bench_need_pgmqc() {
	pgmqc_install_deps "${BENCH_DEPS[@]}" >&2
	[ "$BENCH_ONLY" != baseline ] && [ -z "${BENCH_PGHOST:-}" ] || return 0
	[ ! -e "$(pg_config --pkglibdir)/pgmq_c.so" ] || return 0
	if [ "${1:-}" = build ] && [ "$PGMQC_IS_ROOT" = 1 ]; then
		log "pgmq_c not installed: scripts/common.sh pgmqc_build_install"
		pgmqc_build_install
	else
		die "pgmq_c is not installed: run 'make && make install' first"
	fi
}

bench_cluster_up() {
	mkdir -p "$BENCH_OUT"
	if [ -n "${BENCH_PGHOST:-}" ]; then
		export PGHOST=$BENCH_PGHOST PGPORT=${BENCH_PGPORT:-5432}
		export PGUSER=$BENCH_PGUSER PGDATABASE=$BENCH_DB
		log "using the running cluster at $PGHOST:$PGPORT"
		return 0
	fi
	PGMQC_PORT_BASE=${BENCH_PORT:-56432}
	PGMQC_PRELOAD=$(_bench_preload)
	export PGMQC_PORT_BASE PGMQC_PRELOAD
	pgmqc_user >&2
	_BENCH_OWN_CLUSTER=1
	pgmqc_start_cluster "$(_bench_settings)" >&2
	_BENCH_DIR=$PGMQC_CLUSTER_DIR
	BENCH_DB=$PGDATABASE
	BENCH_PGUSER=$PGUSER
	log "cluster up: PostgreSQL $(sqlv 'SHOW server_version'), port $PGPORT, socket dir $PGHOST, owner $PGMQC_USER, database $PGDATABASE, shared_preload_libraries='$(sqlv 'SHOW shared_preload_libraries')'"
}

bench_kill_bg() {
	local p
	for p in "${_BENCH_BG_PIDS[@]}" $_BENCH_LOAD_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${_BENCH_BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	_BENCH_BG_PIDS=()
	_BENCH_LOAD_PID=
}

bench_cluster_down() {
	bench_kill_bg
	if [ "$_BENCH_OWN_CLUSTER" = 1 ] && [ -f "$_BENCH_DIR/server.log" ]; then
		cp "$_BENCH_DIR/server.log" "$BENCH_OUT/server.log" 2>/dev/null || true
	fi
	if [ "$_BENCH_OWN_CLUSTER" = 1 ]; then
		PGMQC_KEEP=${BENCH_KEEP:-0} pgmqc_stop_cluster >&2 || true
	fi
	_BENCH_OWN_CLUSTER=0
}

# bench_traps [HOOK]: on exit (also on failure, INT and TERM) run HOOK, stop
# the background jobs and the cluster, and say where the raw output is
# shellcheck disable=SC2120 # the argument is optional
bench_traps() {
	_BENCH_EXIT_HOOK=${1:-}
	trap _bench_exit EXIT
	trap 'exit 130' INT TERM
}
_bench_exit() {
	local rc=$?
	trap - EXIT INT TERM
	[ -z "$_BENCH_EXIT_HOOK" ] || "$_BENCH_EXIT_HOOK" || true
	bench_cluster_down
	[ "$rc" = 0 ] || log "$(basename "$0") failed (exit $rc); raw output in $BENCH_OUT"
	exit "$rc"
}

# shellcheck disable=SC2120 # the argument is optional
# bench_start [build]: the start of a run: the exit trap (bench_traps
# $BENCH_EXIT_HOOK), $BENCH_OUT with an empty $SUMMARY (and $RESULTS when
# set), the packages and pgmq_c (bench_need_pgmqc [build])
bench_start() {
	bench_traps "${BENCH_EXIT_HOOK:-}"
	mkdir -p "$BENCH_OUT"
	: >"$SUMMARY"
	[ -z "${RESULTS:-}" ] || : >"$RESULTS"
	bench_need_pgmqc "$@"
}

# shellcheck disable=SC2034 # BENCH_STARTED is read by the callers
# bench_up: the time in BENCH_STARTED, the load logger, the cluster, pgmq_c
# created in its database (unless BENCH_ONLY=baseline), bench_init_vars
bench_up() {
	BENCH_STARTED=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
	bench_loadavg
	bench_cluster_up
	if qc_enabled; then
		sql -c "CREATE EXTENSION IF NOT EXISTS pgmq_c" >/dev/null
	fi
	bench_init_vars
}

# bench_loadavg [top]: the machine's 1-minute load every 10 s into
# $BENCH_OUT/loadavg.log (with "top", who uses the CPU every 60 s into
# top.log), until the run ends
# shellcheck disable=SC2120 # the argument is optional
bench_loadavg() {
	: >"$BENCH_OUT/loadavg.log"
	(
		i=0
		while :; do
			echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1 /proc/loadavg)" >>"$BENCH_OUT/loadavg.log"
			if [ "${1:-}" = top ] && [ $((i % 6)) = 0 ]; then
				{ date -u +%H:%M:%S; ps -eo pcpu,user,comm --sort=-pcpu | head -n 8; } >>"$BENCH_OUT/top.log"
			fi
			i=$((i + 1))
			sleep 10
		done
	) 2>/dev/null &
	_BENCH_LOAD_PID=$!
}

# ---------------------------------------------------------------- summary

# a line to stdout and to $SUMMARY
out() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }

# bench_banner TITLE: the summary's first lines -- what ran, where, on what
bench_banner() {
	out "$1, started $BENCH_STARTED"
	out "  PostgreSQL $(sqlv 'SHOW server_version'); $(bench_machine)"
	out "  source: $(bench_source); installed $(bench_installed)"
	out "  settings: $(bench_settings) shared_preload_libraries='$(sqlv 'SHOW shared_preload_libraries')'"
	out "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	out ""
}
# table_head TITLE HEADER ALIGNMENT: the title, an empty line and the first
# two lines of a markdown table
table_head() {
	out "$1"
	out ""
	out "$2"
	out "$3"
}
# selected LIST ITEM: true when ITEM is one of the words of LIST
selected() { case " $1 " in *" $2 "*) true ;; *) false ;; esac; }
# "N cores (CPU model); M GB RAM"
bench_machine() {
	echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')); $(awk '/MemTotal/{printf "%.0f GB RAM", $2/1048576}' /proc/meminfo)"
}
# the commit of the tree (and whether src/ has uncommitted changes)
bench_source() {
	echo "$(git -C "$BENCH_SRCDIR/.." log -1 --format='%h %s' 2>/dev/null || echo '?')$(git -C "$BENCH_SRCDIR/.." status --porcelain -- src 2>/dev/null | grep -q . && echo ' (src/ has uncommitted changes)')"
}
# the installed library and its date
bench_installed() {
	echo "$(pg_config --pkglibdir)/pgmq_c.so of $(date -u -r "$(pg_config --pkglibdir)/pgmq_c.so" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo '?')"
}
# the settings that matter for the figures, as the server has them
bench_settings() {
	echo "shared_buffers=$(sqlv 'SHOW shared_buffers') fsync=$(sqlv 'SHOW fsync') synchronous_commit=$(sqlv 'SHOW synchronous_commit')"
}
# bench_load min|median|max: of the 1-minute load averages logged so far
bench_load() {
	case $1 in
	min) awk '{print $2}' "$BENCH_OUT/loadavg.log" | sort -g | head -n1 ;;
	median) awk '{print $2}' "$BENCH_OUT/loadavg.log" | median ;;
	max) awk '{print $2}' "$BENCH_OUT/loadavg.log" | sort -g | tail -n1 ;;
	esac
}

# ---------------------------------------------------------------- psql

sql() { psql -qX -v ON_ERROR_STOP=1 "$@"; }
# one value, unaligned, no headers
sqlv() { psql -qXAt -v ON_ERROR_STOP=1 -c "$1"; }

# ---------------------------------------------------------------- numbers

# median of the numbers on stdin (one a line)
median() {
	sort -g | awk '{a[NR]=$1} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2 }'
}
# ratio A B [DECIMALS]: a / b (2 decimals), or "-" when either is missing
# or b is 0
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
		if (a == "" || b == "" || a == "-" || b == "-" || a == "nan" || b == "nan" || b + 0 == 0) { print "-"; exit }
		printf ("%." d "f"), a / b }'
}
# thousands of msg/s etc: integer with no decimals above 100, 2 decimals below
fmt() {
	awk -v x="$1" 'BEGIN {
		if (x == "" || x == "nan") { print "-"; exit }
		if (x + 0 >= 100) printf "%.0f", x; else if (x + 0 >= 1) printf "%.2f", x; else printf "%.3f", x }'
}
# 1234567 -> 1,234,567
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# ---------------------------------------------------------------- results

# record FIELD...: one line of tab-separated fields into $RESULTS
record() { (IFS=$'\t' && printf '%s\n' "$*") >>"$RESULTS"; }
# bench_med OKCOL K1 K2 K3 K4 COL: median of column COL over the lines of
# $RESULTS that start with K1..K4 and have 1 in column OKCOL; bench_nok
# OKCOL K1 K2 K3 K4: how many such lines
bench_med() {
	awk -F'\t' -v ok="$1" -v k1="$2" -v k2="$3" -v k3="$4" -v k4="$5" -v col="$6" \
		'$1==k1 && $2==k2 && $3==k3 && $4==k4 && $ok==1 {print $col}' "$RESULTS" | median
}
bench_nok() {
	awk -F'\t' -v ok="$1" -v k1="$2" -v k2="$3" -v k3="$4" -v k4="$5" \
		'$1==k1 && $2==k2 && $3==k3 && $4==k4 && $ok==1 {n++} END {print n+0}' "$RESULTS"
}
# rotate R ITEM...: the items rotated by R - 1, so that drift from run to
# run hits every side alike (two items: "a b" in odd runs, "b a" in even)
rotate() {
	local r=$1
	shift
	local a=("$@") n=$# i
	for ((i = 0; i < n; i++)); do
		printf '%s ' "${a[$(((i + r - 1) % n))]}"
	done
}

# ---------------------------------------------------------------- pgbench

# pgbench_run TAG SCRIPT CLIENTS SECONDS [extra pgbench args...]
# Runs pgbench -n -M prepared, keeps its output in $BENCH_OUT/TAG.out and
# sets PB_TPS, PB_LAT (ms, average per transaction), PB_STMT (array of
# per-statement latencies in ms when -r was given), PB_OK (1 or 0).
# shellcheck disable=SC2034 # PB_* are read by the callers
pgbench_run() {
	local tag=$1 script=$2 c=$3 secs=$4
	shift 4
	local out="$BENCH_OUT/$tag.out" rc=0
	pgbench -n -M prepared -f "$script" -c "$c" -j "$c" -T "$secs" \
		-D "msg=$BENCH_MSG" -D "msgs=$BENCH_MSGS100" -D "last=0" "$@" >"$out" 2>&1 || rc=$?
	PB_TPS=$(awk '/^tps = /{print $3; exit}' "$out")
	PB_LAT=$(awk '/^latency average = /{print $4; exit}' "$out")
	mapfile -t PB_STMT < <(awk '/^statement latencies/{f=1; next} f && NF >= 2 && $1 ~ /^[0-9.]+$/ {print $1}' "$out")
	PB_OK=1
	if [ "$rc" != 0 ] || [ -z "$PB_TPS" ] || grep -qE 'aborted|ERROR' "$out"; then
		PB_OK=0
		log "WARNING: pgbench $tag failed (rc=$rc); see $out:"
		grep -E 'error|abort|ERROR' "$out" | head -n 5 >&2 || true
	fi
}

# ---------------------------------------------------------------- table 1

# t1_defs: the scenarios of table 1 (bench/run.sh, bench/versions.sh) for
# BENCH_SECONDS: messages per transaction, the queue's fill per run
# (consumers), names
# shellcheck disable=SC2034 # read by the callers
t1_defs() {
	declare -gA T1_BATCH=([send1]=1 [send100]=100 [rd1]=1 [rd1a]=1 [rd100]=100
		[pop1]=1 [rdack1]=1)
	# (session 58: pgmq_c's read 1 + delete 1 drained 20,000 a second at 8
	# clients with synchronous_commit = off)
	declare -gA T1_FILL=([send1]=0 [send100]=0
		[rd1]=$((40000 * BENCH_SECONDS)) [rd1a]=$((40000 * BENCH_SECONDS))
		[pop1]=$((50000 * BENCH_SECONDS))
		[rd100]=$((180000 * BENCH_SECONDS)) [rdack1]=$((50000 * BENCH_SECONDS)))
	declare -gA T1_NAME=([send1]="send 1/tx" [send100]="send_batch 100"
		[rd1]="read 1 + delete 1 (one transaction)"
		[rd1a]="read 1 + delete 1 (two autocommit statements)"
		[rd100]="read 100 + delete 100" [pop1]="pop 1"
		[rdack1]="read 1 deleting the last (vs pop 1)")
	# a scenario whose baseline is another's script: the physical floor of
	# a read that deletes the last message is the raw pop
	declare -gA T1_BASELINE_OF=([rdack1]=pop1)
	local s
	for s in "${!T1_FILL[@]}"; do
		T1_FILL[$s]=$(((T1_FILL[$s] + 999) / 1000 * 1000))
	done
}

# t1_run LABEL TAG SIDE SCENARIO CLIENTS: one run of table 1 on fresh tables
# (SIDE filled with the scenario's fill): pgbench_run of
# bench/pgbench/SIDE_SCENARIO.sql (the baseline: T1_BASELINE_OF's script,
# if any) for BENCH_SECONDS; sets T1_RATE (msg/s)
# and T1_OK (also 0 when the consumers drained the queue: the run is not
# counted) and logs them as LABEL
# shellcheck disable=SC2034 # T1_OK is read by the callers
t1_run() {
	local label=$1 tag=$2 side=$3 s=$4 c=$5 fill=${T1_FILL[$4]} left script=$4
	[ "$side" = bl ] && script=${T1_BASELINE_OF[$s]:-$s}
	fresh_tables "$side" "$fill"
	pgbench_run "$tag" "$BENCH_SRCDIR/pgbench/${side}_$script.sql" "$c" "$BENCH_SECONDS"
	T1_OK=$PB_OK
	if [ "$fill" -gt 0 ]; then
		left=$(_as_su "${side}_count")
		if [ "$left" -le 0 ]; then
			T1_OK=0
			log "WARNING: $label drained the queue (fill $fill); run not counted"
		fi
	fi
	T1_RATE=$(awk -v t="$PB_TPS" -v b="${T1_BATCH[$s]}" 'BEGIN{printf "%.2f", t*b}')
	log "  $label: $(fmt "$T1_RATE") msg/s, $PB_LAT ms/tx"
}

# ---------------------------------------------------------------- queues

# The pgmq_c queue is always named $QC; the baseline table is always
# public.$BL with the sequence public.${BL}_seq.  The pgbench scripts in
# bench/pgbench/ use these names.
QC=bench
BL=q

qc_enabled() { [ "$BENCH_ONLY" != baseline ]; }

# Roles, each the connecting user when unset: BENCH_APP fills and runs the
# baseline, BENCH_SU vacuums, counts and checkpoints, BENCH_QC_OWNER
# creates and drops the queue (default BENCH_APP) and, with
# BENCH_QC_GRANT_TO set, grants that role send and consume on it.
_as_app() { PGUSER=${BENCH_APP:-$PGUSER} "$@"; }
_as_su() { PGUSER=${BENCH_SU:-$PGUSER} "$@"; }
_as_qc_owner() { PGUSER=${BENCH_QC_OWNER:-${BENCH_APP:-$PGUSER}} "$@"; }

qc_reset() {
	qc_enabled || return 0
	local grant=()
	[ -z "${BENCH_QC_GRANT_TO:-}" ] ||
		grant=(-c "SELECT pgmq_c.grant_access('$QC', '$BENCH_QC_GRANT_TO', ARRAY['send', 'consume'])")
	_as_qc_owner sql -c "SELECT pgmq_c.drop_queue('$QC')" -c "SELECT pgmq_c.create_queue('$QC')" \
		"${grant[@]}" >/dev/null
}
qc_drop() {
	qc_enabled || return 0
	_as_qc_owner sql -c "SELECT pgmq_c.drop_queue('$QC')" >/dev/null
}
# the queue's tables, schema-qualified, one a line (those that exist)
qc_tables() {
	sqlv "SELECT string_agg(c.oid::regclass::text, ' ' ORDER BY c.relname)
	        FROM pgmq_c.list_queues() l
	        JOIN pg_class c ON c.relname IN ('q_' || l.queue_id, 'd_' || l.queue_id, 'a_' || l.queue_id)
	        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'pgmq_c'
	       WHERE l.queue_name = '$QC' AND c.relkind = 'r'"
}
qc_qtable() {
	sqlv "SELECT 'pgmq_c.q_' || queue_id FROM pgmq_c.list_queues() WHERE queue_name = '$QC'"
}

# the body of message g: SMALL (BENCH_MSG's shape, ~90 bytes) or KB (~1 KB,
# 1,032 bytes of jsonb: under the TOAST threshold, stored inline, uncompressed)
body_sql() {
	case $1 in
	small) echo "jsonb_build_object('order_id', g, 'customer', 'c-42', 'amount', 19.99, 'status', 'new', 'items', jsonb_build_array(1, 2, 3))" ;;
	kb) echo "jsonb_build_object('order_id', g, 'customer', 'c-42', 'status', 'new', 'pad', repeat('x', 950))" ;;
	esac
}

# send_fill NAME N BODY [COMMIT_EVERY [DELAY]]: N messages (a multiple of
# 1000) into a queue or topic through the API: pgmq_c.send_batch with
# arrays of 1000 (and, when given, the delay), a commit every COMMIT_EVERY
# arrays (default 100)
send_fill() {
	local name=$1 n=$2 body=$3 every=${4:-100} delay=
	[ -z "${5:-}" ] || delay=", NULL, interval '$5'"
	sql <<EOF >/dev/null
DO \$fill\$
DECLARE
	b jsonb[];
BEGIN
	FOR i IN 0 .. ($n / 1000) - 1 LOOP
		SELECT array_agg($(body_sql "$body")) INTO b
		  FROM generate_series(i * 1000 + 1, i * 1000 + 1000) g;
		PERFORM pgmq_c.send_batch('$name', b$delay);
		IF i % $every = $((every - 1)) THEN
			COMMIT;
		END IF;
	END LOOP;
END
\$fill\$;
EOF
}
# qc_fill N [DELAY]: N messages into the queue, committing every 100 arrays
qc_fill() {
	qc_enabled || return 0
	send_fill "$QC" "$1" small 100 "${2:-0}"
}

# bl_reset [NAME]: the raw-SQL baseline, the same table shape pgmq_c uses
# for q_<id>, empty, with its sequence NAME_seq (default NAME: $BL)
# shellcheck disable=SC2120 # the argument is optional
bl_reset() {
	local t=${1:-$BL}
	sql <<EOF >/dev/null
DROP TABLE IF EXISTS public.$t;
DROP SEQUENCE IF EXISTS public.${t}_seq;
CREATE SEQUENCE public.${t}_seq;
CREATE TABLE public.$t (
	msg_id		bigint PRIMARY KEY,
	read_ct		integer NOT NULL DEFAULT 0,
	enqueued_at	timestamptz NOT NULL DEFAULT now(),
	vt			timestamptz NOT NULL,
	message		jsonb NOT NULL,
	headers		jsonb
) WITH (fillfactor = 50);
EOF
}
bl_drop() {
	sql -c "DROP TABLE IF EXISTS public.$BL" -c "DROP SEQUENCE IF EXISTS public.${BL}_seq" >/dev/null
}
# bl_fill N [DELAY]: plain INSERT ... SELECT
bl_fill() {
	local n=$1 delay=${2:-0}
	sql <<EOF >/dev/null
INSERT INTO public.$BL (msg_id, vt, message)
SELECT nextval('public.${BL}_seq'), clock_timestamp() + interval '$delay',
	   $(body_sql small)
  FROM generate_series(1, $n) g;
EOF
}

# messages still in the queue (visible, leased or delayed)
qc_count() {
	qc_enabled || { echo 0; return 0; }
	local t total=0 c
	for t in $(qc_tables); do
		case $t in *.a_*) continue ;; esac
		c=$(sqlv "SELECT count(*) FROM $t")
		total=$((total + c))
	done
	echo "$total"
}
bl_count() { sqlv "SELECT count(*) FROM public.$BL"; }

# vacuum analyze + checkpoint, so every run starts from the same state
settle() {
	sql -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
}

# fresh_tables SIDE FILL: both sides dropped, the database vacuumed, both
# recreated empty, then SIDE (qc or bl) filled with FILL messages, vacuumed
# and analyzed, and a checkpoint.  An empty new table is deliberately left
# unanalyzed: VACUUM ANALYZE of an empty table records reltuples = 0, and a
# prepared statement's generic plan made from that is a seq scan + sort that
# gets slower with every row added (seen with the baseline's claim).
# Each step runs as the role that may do it (see _as_app above).
fresh_tables() {
	local side=$1 fill=$2 t
	_as_app bl_drop
	qc_drop
	_as_su sql -c "VACUUM" >/dev/null
	_as_app bl_reset
	qc_reset
	if [ "$fill" -gt 0 ]; then
		if [ "$side" = qc ]; then
			_as_app qc_fill "$fill"
			for t in $(_as_su qc_tables); do
				_as_su sql -c "VACUUM ANALYZE $t" >/dev/null
			done
		else
			_as_app bl_fill "$fill"
			_as_app sql -c "VACUUM ANALYZE public.$BL" >/dev/null
		fi
	fi
	_as_su sql -c "CHECKPOINT" >/dev/null
}

# the array of 100 message bodies passed to send_batch / INSERT ... unnest
bench_init_vars() {
	BENCH_MSGS100=$(psql -qXAt -c "SELECT array_fill('$BENCH_MSG'::jsonb, ARRAY[100])::text")
	export BENCH_MSGS100
}

# ---------------------------------------------------------------- queues and
# results, as bench/ordering.sh and bench/durability.sh use them: results.tsv
# ($RESULTS) rows PART SCENARIO CLIENTS SIDE RUN ... with the OK flag in
# column 11

# median over the runs r of (SIDE_A run r / SIDE_B run r) of column COL,
# both OK: paired_ratio PART SCENARIO CLIENTS SIDE_A SIDE_B COL
paired_ratio() {
	awk -F'\t' -v p="$1" -v s="$2" -v c="$3" -v a="$4" -v b="$5" -v col="$6" \
		'$1==p && $2==s && $3==c && $11==1 && ($4==a || $4==b) { v[$4, $5] = $col }
		END { for (k in v) { split(k, x, SUBSEP); if (x[1] == a && ((b, x[2]) in v) && v[b, x[2]] > 0)
			printf "%.4f\n", v[k] / v[b, x[2]] } }' "$RESULTS" | median
}
# min-max of column COL over the OK runs of one side
spread() {
	awk -F'\t' -v p="$1" -v s="$2" -v c="$3" -v side="$4" -v col="$5" \
		'$1==p && $2==s && $3==c && $4==side && $11==1 {
		if (n++ == 0 || $col < lo) lo = $col; if ($col > hi) hi = $col }
		END { if (n) printf (lo >= 100 ? "%.0f-%.0f" : "%.3g-%.3g"), lo, hi; else print "-" }' "$RESULTS"
}
r2() { awk -v x="$1" 'BEGIN{ if (x == "nan" || x == "") print "-"; else printf "%.2f", x }'; }
queue_id() { sqlv "SELECT queue_id FROM pgmq_c.list_queues() WHERE queue_name = '$1'"; }
# the message, delayed, pending and keys tables of queue $1 that exist
queue_tables() {
	sqlv "SELECT string_agg(c.oid::regclass::text, ' ' ORDER BY c.relname)
	        FROM pgmq_c.list_queues() l
	        JOIN pg_class c ON c.relname IN ('q_' || l.queue_id, 'd_' || l.queue_id,
	                                         'p_' || l.queue_id, 'k_' || l.queue_id)
	        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'pgmq_c'
	       WHERE l.queue_name = '$1' AND c.relkind = 'r'"
}
vacuum_queue() {
	local t
	for t in $(queue_tables "$1"); do
		sql -c "VACUUM ANALYZE $t" >/dev/null
	done
}
# messages in queue $1: visible, leased, delayed and pending
queue_count() {
	local id
	id=$(queue_id "$1")
	sqlv "SELECT (SELECT count(*) FROM pgmq_c.q_$id) + (SELECT count(*) FROM pgmq_c.d_$id)
	           + (SELECT count(*) FROM pgmq_c.p_$id)"
}
fresh_queue() { # NAME [create_queue arguments]
	sql -c "SELECT pgmq_c.drop_queue('$1')" -c "VACUUM" \
		-c "SELECT pgmq_c.create_queue('$1'${2:+, $2})" >/dev/null
}
