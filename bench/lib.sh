# shellcheck shell=bash
# bench/lib.sh -- helpers shared by bench/run.sh and bench/xmin_pin.sh.
#
# Sourced, not run.  Provides:
#   bench_cluster_up / bench_cluster_down   a throwaway cluster (or an existing
#                                           one named by BENCH_PGHOST/BENCH_PGPORT)
#   sql / sqlv                              psql wrappers (quiet; value only)
#   median / fmt                            number helpers
#   pgbench_run                             one pgbench run, parsed
#   qc_* / bl_*                             set-up of the pgmq_c queue and of the
#                                           raw-SQL baseline table (same shape)
#
# Environment (all optional):
#   BENCH_PGHOST, BENCH_PGPORT   use this running cluster instead of starting one
#                                (needs pgmq_c installed and the bench database
#                                BENCH_DB existing, superuser BENCH_PGUSER)
#   The cluster: when run as root and scripts/common.sh is there, its
#   pgmqc_start_cluster (its user; port from BENCH_PORT, default 56432) with
#   the benchmark settings below added and a restart; otherwise (or with
#   BENCH_OWN_CLUSTER=1) one of our own, owned by BENCH_USER (default
#   pgmqc_bench, created if missing) when run as root.
#   BENCH_KEEP=1                 keep the cluster's directory after the run
#   BENCH_OUT                    where raw pgbench output goes
#                                (default /tmp/pgmqc-bench-<timestamp>)
#   BENCH_ONLY=baseline          skip the pgmq_c side (harness testing only)

# shellcheck disable=SC2034 # used by the scripts that source this file
BENCH_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_DB=${BENCH_DB:-bench}
BENCH_PGUSER=${BENCH_PGUSER:-bench}
BENCH_ONLY=${BENCH_ONLY:-}
PGBIN=$(pg_config --bindir)
export PATH="$PGBIN:$PATH"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

# one message body, the same for every scenario and both sides (~80 bytes)
BENCH_MSG='{"order_id": 123456, "customer": "c-42", "amount": 19.99, "status": "new", "items": [1, 2, 3]}'

log() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

_BENCH_OWN_CLUSTER=0
_BENCH_DIR=
_BENCH_BG_PIDS=()

# ---------------------------------------------------------------- cluster

_bench_free_port() {
	local p
	for p in $(seq "${1:-56432}" 56999); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
			[ ! -e "/tmp/.s.PGSQL.$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# run a command as the cluster owner
_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$BENCH_USER" -- "$@"
	else
		"$@"
	fi
}

# settings every benchmark cluster gets (durability stays at the defaults:
# fsync = on, synchronous_commit = on)
_bench_settings() {
	cat <<EOF
shared_buffers = '${BENCH_SHARED_BUFFERS:-1GB}'
max_wal_size = '8GB'
checkpoint_timeout = '30min'
log_min_messages = warning
log_autovacuum_min_duration = 0
EOF
}

_bench_preload() {
	if [ -e "$(pg_config --pkglibdir)/pgmq_c.so" ]; then
		echo pgmq_c
	elif [ "$BENCH_ONLY" != baseline ]; then
		die "pgmq_c is not installed ($(pg_config --pkglibdir)/pgmq_c.so missing): run 'make install' first (or BENCH_ONLY=baseline)"
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
	local preload
	preload=$(_bench_preload)

	if [ "$(id -u)" = 0 ] && declare -F pgmqc_start_cluster >/dev/null &&
		[ "${BENCH_OWN_CLUSTER:-0}" != 1 ]; then
		# scripts/common.sh: its user, its cluster; our settings on top
		PGMQC_PORT_BASE=${BENCH_PORT:-56432}
		PGMQC_PRELOAD=$preload
		export PGMQC_PORT_BASE PGMQC_PRELOAD
		pgmqc_user >&2
		_BENCH_OWN_CLUSTER=2
		pgmqc_start_cluster >&2
		_BENCH_DIR=$PGMQC_CLUSTER_DIR
		BENCH_USER=$PGMQC_USER
		_bench_settings >>"$_BENCH_DIR/data/postgresql.conf"
		(cd "$_BENCH_DIR" && pgmqc_as_user pg_ctl -D "$_BENCH_DIR/data" \
			-l "$_BENCH_DIR/server.log" -w -s restart) >&2 ||
			die "restart with the benchmark settings failed"
		BENCH_DB=$PGDATABASE
		BENCH_PGUSER=$PGUSER
	else
		if [ "$(id -u)" = 0 ]; then
			BENCH_USER=${BENCH_USER:-pgmqc_bench}
			if ! id -u "$BENCH_USER" >/dev/null 2>&1; then
				useradd --system --user-group --no-create-home \
					--shell /usr/sbin/nologin "$BENCH_USER"
			fi
		else
			BENCH_USER=$(id -un)
		fi
		_BENCH_DIR=$(mktemp -d /tmp/pgmqc-bench-cluster.XXXXXX)
		chmod 755 "$_BENCH_DIR"
		[ "$(id -u)" = 0 ] && chown "$BENCH_USER" "$_BENCH_DIR"
		local port
		port=$(_bench_free_port "${BENCH_PORT:-56432}") || die "no free port"
		_BENCH_OWN_CLUSTER=1
		(cd "$_BENCH_DIR" && _as_owner initdb -D "$_BENCH_DIR/data" -U "$BENCH_PGUSER" \
			--auth=trust -E UTF8 --locale=C) >"$BENCH_OUT/initdb.log" 2>&1 ||
			{ cat "$BENCH_OUT/initdb.log" >&2; die "initdb failed"; }
		{
			echo
			echo "# --- pgmq_c benchmark settings ---"
			echo "listen_addresses = '127.0.0.1'"
			echo "port = $port"
			echo "unix_socket_directories = '$_BENCH_DIR'"
			echo "max_connections = 50"
			echo "shared_preload_libraries = '$preload'"
			_bench_settings
		} >>"$_BENCH_DIR/data/postgresql.conf"
		(cd "$_BENCH_DIR" && _as_owner pg_ctl -D "$_BENCH_DIR/data" -l "$_BENCH_DIR/server.log" \
			-w -t 60 start) >/dev/null ||
			{ tail -n 30 "$_BENCH_DIR/server.log" >&2; die "server did not start"; }
		export PGHOST=$_BENCH_DIR PGPORT=$port PGUSER=$BENCH_PGUSER PGDATABASE=postgres
		psql -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $BENCH_DB" >/dev/null
		export PGDATABASE=$BENCH_DB
	fi
	log "cluster up: PostgreSQL $(sqlv 'SHOW server_version'), port $PGPORT, socket dir $PGHOST, owner $BENCH_USER, database $PGDATABASE, shared_preload_libraries='$(sqlv 'SHOW shared_preload_libraries')'"
}

bench_kill_bg() {
	local p
	for p in "${_BENCH_BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${_BENCH_BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	_BENCH_BG_PIDS=()
}

bench_cluster_down() {
	bench_kill_bg
	if [ "$_BENCH_OWN_CLUSTER" != 0 ] && [ -n "$_BENCH_DIR" ] && [ -f "$_BENCH_DIR/server.log" ]; then
		cp "$_BENCH_DIR/server.log" "$BENCH_OUT/server.log" 2>/dev/null || true
	fi
	if [ "$_BENCH_OWN_CLUSTER" = 2 ]; then
		PGMQC_KEEP=${BENCH_KEEP:-0} pgmqc_stop_cluster >&2 || true
	elif [ "$_BENCH_OWN_CLUSTER" = 1 ] && [ -n "$_BENCH_DIR" ]; then
		(cd "$_BENCH_DIR" && _as_owner pg_ctl -D "$_BENCH_DIR/data" -m fast -w stop) >/dev/null 2>&1 || true
		if [ "${BENCH_KEEP:-0}" != 1 ]; then
			rm -rf "$_BENCH_DIR"
		else
			log "kept $_BENCH_DIR"
		fi
	fi
	_BENCH_OWN_CLUSTER=0
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
# a / b, or "-" when either is missing or b is 0
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || a == "nan" || b == "nan" || b + 0 == 0) { print "-"; exit }
		printf "%.2f", a / b }'
}
# thousands of msg/s etc: integer with no decimals above 100, 2 decimals below
fmt() {
	awk -v x="$1" 'BEGIN {
		if (x == "" || x == "nan") { print "-"; exit }
		if (x + 0 >= 100) printf "%.0f", x; else if (x + 0 >= 1) printf "%.2f", x; else printf "%.3f", x }'
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
		-D "msg=$BENCH_MSG" -D "msgs=$BENCH_MSGS100" "$@" >"$out" 2>&1 || rc=$?
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

# ---------------------------------------------------------------- queues

# The pgmq_c queue is always named $QC; the baseline table is always
# public.$BL with the sequence public.${BL}_seq.  The pgbench scripts in
# bench/pgbench/ use these names.
QC=bench
BL=q

qc_enabled() { [ "$BENCH_ONLY" != baseline ]; }

qc_reset() {
	qc_enabled || return 0
	sql -c "SELECT pgmq_c.drop_queue('$QC')" -c "SELECT pgmq_c.create_queue('$QC')" >/dev/null
}
qc_drop() {
	qc_enabled || return 0
	sql -c "SELECT pgmq_c.drop_queue('$QC')" >/dev/null
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

# qc_fill N [DELAY]: N messages (a multiple of 1000) through the API:
# pgmq_c.send_batch with arrays of 1000, committing every 100 batches
qc_fill() {
	qc_enabled || return 0
	local n=$1 delay=${2:-0}
	sql <<EOF >/dev/null
DO \$fill\$
DECLARE
	b jsonb[];
BEGIN
	FOR i IN 0 .. ($n / 1000) - 1 LOOP
		SELECT array_agg(jsonb_build_object('order_id', g, 'customer', 'c-42',
											'amount', 19.99, 'status', 'new',
											'items', jsonb_build_array(1, 2, 3)))
		  INTO b
		  FROM generate_series(i * 1000 + 1, i * 1000 + 1000) g;
		PERFORM pgmq_c.send_batch('$QC', b, NULL, interval '$delay');
		IF i % 100 = 99 THEN
			COMMIT;
		END IF;
	END LOOP;
END
\$fill\$;
EOF
}

# the raw-SQL baseline: the same table shape pgmq_c uses for q_<id>
bl_reset() {
	sql <<EOF >/dev/null
DROP TABLE IF EXISTS public.$BL;
DROP SEQUENCE IF EXISTS public.${BL}_seq;
CREATE SEQUENCE public.${BL}_seq;
CREATE TABLE public.$BL (
	msg_id		bigint PRIMARY KEY,
	read_ct		integer NOT NULL DEFAULT 0,
	enqueued_at	timestamptz NOT NULL DEFAULT now(),
	vt			timestamptz NOT NULL,
	message		jsonb NOT NULL,
	headers		jsonb
) WITH (fillfactor = 70);
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
	   jsonb_build_object('order_id', g, 'customer', 'c-42', 'amount', 19.99,
						  'status', 'new', 'items', jsonb_build_array(1, 2, 3))
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
fresh_tables() {
	local side=$1 fill=$2 t
	bl_drop
	qc_drop
	sql -c "VACUUM" >/dev/null
	bl_reset
	qc_reset
	if [ "$fill" -gt 0 ]; then
		if [ "$side" = qc ]; then
			qc_fill "$fill"
			for t in $(qc_tables); do
				sql -c "VACUUM ANALYZE $t" >/dev/null
			done
		else
			bl_fill "$fill"
			sql -c "VACUUM ANALYZE public.$BL" >/dev/null
		fi
	fi
	sql -c "CHECKPOINT" >/dev/null
}

# the array of 100 message bodies passed to send_batch / INSERT ... unnest
bench_init_vars() {
	BENCH_MSGS100=$(psql -qXAt -c "SELECT array_fill('$BENCH_MSG'::jsonb, ARRAY[100])::text")
	export BENCH_MSGS100
}
