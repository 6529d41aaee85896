#!/usr/bin/env bash
# bench/instructions.sh -- CPU instructions per API call, pgmq_c 0.3.0
# against the current tree, counted by valgrind's callgrind.
#
# One command, as root, from the repository root:
#
#     bash bench/instructions.sh
#
# Throughput on this 2-core shared machine swings by more than the few per
# cent the security model may cost (bench/versions.sh shows it), so this
# counts instructions instead: repeatable for the same binary and inputs,
# whatever else the machine does.  For each scenario it runs a single-user
# backend (postgres --single: no other process is involved) under callgrind
# twice, with N and 3N calls of the same prepared statement, and takes
# (count(3N) - count(N)) / 2N as the cost of one call, so that start-up and
# set-up cancel out.  Both libraries are loaded from private copies
# (pg_proc.probin points at them), so the installed library is never
# touched; the calls run as a role that is not a superuser: in the 0.4.0
# database it owns the queue, in the 0.3.0 database it owns the queue's
# tables (0.3.0's model).
#
# Scenarios: send 1 (one jsonb message), send_batch 100, read 1 + delete 1,
# read 100 + delete 100, pop 1; and send1id, send 1 with a dedup_id no
# other send has (0.7.0 and later: INSTR_OLD must be one), into a queue
# whose window is a day, today's partition of pgmq_c.dedup_ids made by
# maintain_topics() (single-user backends have no worker).  Output: one
# line per scenario with the instructions per call of each version and
# their ratio (new / old).
#
# Environment:
#   INSTR_N=1000         calls in the short run (the long one has 3N)
#   INSTR_OLD=bd1fe19    the revision to compare with (0.3.0)
#   INSTR_OLD_VERSION=0.3.0  the extension version its database gets
#   INSTR_SCENARIOS="send1 send100 rd1 rd100 pop1"
#   INSTR_DIR=dir        work directory (default a new one under /tmp)
#   INSTR_INSTALL=1      0: do not build and install the current tree, count
#                        the installed library
#   INSTR_PORT=57300     first port tried for the set-up cluster
#
# Needs valgrind (Debian package valgrind; installed when missing).  The
# machine and the cluster are set up by scripts/common.sh.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
pgmqc_require_root

ROOT=$PGMQC_ROOT
PGBIN=$PGMQC_PGBIN
PG_CONFIG=$PGBIN/pg_config
N=${INSTR_N:-1000}
OLD=${INSTR_OLD:-bd1fe19}
OLD_VERSION=${INSTR_OLD_VERSION:-0.3.0}
SCENARIOS=${INSTR_SCENARIOS:-"send1 send100 rd1 rd100 pop1"}
W=${INSTR_DIR:-$(mktemp -d /tmp/pgmqc-instr.XXXXXX)}
MSG='{"order_id": 123456, "customer": "c-42", "amount": 19.99, "status": "new", "items": [1, 2, 3]}'

trap pgmqc_stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pgmqc_install_deps valgrind
pgmqc_user
as() { pgmqc_as_user "$@"; }

mkdir -p "$W"
chown "$PGMQC_USER": "$W"
echo "work directory: $W"

# Both libraries, built from source: the old revision from git archive, the
# current tree as it is.  The current one is also installed (its SQL
# scripts are needed for the 0.4.0 database; INSTR_INSTALL=0 takes the
# installed library and scripts as they are).
mkdir -p "$W/old-src"
git -C "$ROOT" archive "$OLD" | tar -C "$W/old-src" -xf -
make -s -C "$W/old-src" PG_CONFIG="$PG_CONFIG" >"$W/build-old.log" 2>&1
cp "$W/old-src/pgmq_c.so" "$W/old.so"
if [ "${INSTR_INSTALL:-1}" = 1 ]; then
	(pgmqc_build_install) >"$W/build-new.log" 2>&1
	cp "$ROOT/pgmq_c.so" "$W/new.so"
else
	flock "$PGMQC_LOCK" cp "$("$PG_CONFIG" --pkglibdir)/pgmq_c.so" "$W/new.so"
fi
chmod 755 "$W/old.so" "$W/new.so"

# A cluster used through psql for the set-up, then only through
# single-user backends (so it is stopped, not removed, until the end).
PGMQC_PRELOAD='' PGMQC_PORT_BASE=${INSTR_PORT:-57300} pgmqc_start_cluster "shared_buffers = '256MB'"
D=$PGMQC_CLUSTER_DIR/data
as psql -qX -d postgres -v ON_ERROR_STOP=1 <<SQL
CREATE ROLE bench_app LOGIN;
CREATE DATABASE bench_old;
CREATE DATABASE bench_new;
\c bench_new
CREATE EXTENSION pgmq_c;
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue TO bench_app;
GRANT EXECUTE ON FUNCTION pgmq_c.maintain_topics TO bench_app;
UPDATE pg_proc SET probin = '$W/lib.so' WHERE probin = '\$libdir/pgmq_c';
\c bench_old
CREATE EXTENSION pgmq_c VERSION '$OLD_VERSION';
-- 0.3.0's model (CREATE on the schema, rights on the catalog) and, for
-- 0.4.0 and later, EXECUTE on create_queue: each harmless to the other
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue TO bench_app;
GRANT CREATE ON SCHEMA pgmq_c TO bench_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmq_c.queues TO bench_app;
-- (send1id: today's partition of pgmq_c.dedup_ids, in a release that has it)
SELECT pg_catalog.to_regprocedure('pgmq_c.maintain_topics()') IS NOT NULL AS has_maintain \gset
\if :has_maintain
GRANT EXECUTE ON FUNCTION pgmq_c.maintain_topics TO bench_app;
\endif
UPDATE pg_proc SET probin = '$W/lib.so' WHERE probin = '\$libdir/pgmq_c';
SQL
pgmqc_cluster_ctl stop

single() { # DB [valgrind output]: a single-user backend on stdin
	local db=$1 cg=${2:-}
	local cmd=("$PGBIN/postgres" --single -D "$D" -c shared_preload_libraries="$W/lib.so"
		-c fsync=off -c synchronous_commit=off -c log_min_messages=warning "$db")
	if [ -n "$cg" ]; then
		as valgrind --tool=callgrind --callgrind-out-file="$cg" "${cmd[@]}"
	else
		as "${cmd[@]}"
	fi
}

# count VERSION DB SCENARIO CALLS: instructions of one run
count() {
	local version=$1 db=$2 scen=$3 n=$4 tag="$1_$3_$4" fill=0 stmt i
	cp "$W/$version.so" "$W/lib.so"
	case $scen in
	rd1 | pop1) fill=$((n + 1000)) ;;
	rd100) fill=$((n * 100 + 1000)) ;;
	esac
	{
		echo "SET SESSION AUTHORIZATION bench_app"
		echo "SELECT pgmq_c.drop_queue('bench')"
		if [ "$scen" = send1id ]; then
			echo "SELECT pgmq_c.create_queue('bench', dedup_window => '1 day')"
			echo "SELECT pgmq_c.maintain_topics()"
		else
			echo "SELECT pgmq_c.create_queue('bench')"
		fi
		for ((i = 0; i < fill / 1000; i++)); do
			echo "SELECT count(*) FROM pgmq_c.send_batch('bench', (SELECT array_agg('$MSG'::jsonb) FROM generate_series(1, 1000)))"
		done
	} | single "$db" >"$W/$tag.prep.out" 2>&1
	printf 'VACUUM ANALYZE\nCHECKPOINT\n' | single "$db" >>"$W/$tag.prep.out" 2>&1
	{
		echo "SET SESSION AUTHORIZATION bench_app"
		case $scen in
		send1)
			echo "PREPARE x(jsonb) AS SELECT pgmq_c.send('bench', \$1)"
			stmt="EXECUTE x('$MSG')" ;;
		send100)
			echo "PREPARE x(jsonb[]) AS SELECT count(*) FROM pgmq_c.send_batch('bench', \$1)"
			stmt="EXECUTE x(array_fill('$MSG'::jsonb, ARRAY[100]))" ;;
		rd1)
			echo "PREPARE x AS SELECT pgmq_c.delete('bench', (SELECT msg_id FROM pgmq_c.read('bench', '30 seconds', 1)))"
			stmt="EXECUTE x" ;;
		rd100)
			echo "PREPARE x AS SELECT count(*) FROM pgmq_c.delete('bench', ARRAY(SELECT msg_id FROM pgmq_c.read('bench', '30 seconds', 100)))"
			stmt="EXECUTE x" ;;
		pop1)
			echo "PREPARE x AS SELECT * FROM pgmq_c.pop('bench', 1)"
			stmt="EXECUTE x" ;;
		send1id)
			echo "PREPARE x(jsonb, text) AS SELECT pgmq_c.send('bench', \$1, dedup_id => \$2)"
			stmt="EXECUTE x('$MSG', '$tag-%d')" ;;
		esac
		# shellcheck disable=SC2059 # the statement is the format
		for ((i = 0; i < n; i++)); do printf "$stmt\n" "$i"; done
	} >"$W/$tag.sql"
	single "$db" "$W/$tag.cg" <"$W/$tag.sql" >"$W/$tag.out" 2>"$W/$tag.vg"
	# "==pid== Collected : 123456"
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$W/$tag.vg"
}

printf '%-8s %16s %16s %8s\n' scenario "$OLD_VERSION instr/call" "new instr/call" "new/old"
for scen in $SCENARIOS; do
	old1=$(count old bench_old "$scen" "$N")
	old3=$(count old bench_old "$scen" $((3 * N)))
	new1=$(count new bench_new "$scen" "$N")
	new3=$(count new bench_new "$scen" $((3 * N)))
	awk -v s="$scen" -v n="$N" -v o1="$old1" -v o3="$old3" -v n1="$new1" -v n3="$new3" 'BEGIN {
		o = (o3 - o1) / (2 * n); w = (n3 - n1) / (2 * n);
		printf "%-8s %16.0f %16.0f %8.3f\n", s, o, w, w / o }'
done
