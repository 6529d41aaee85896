#!/usr/bin/env bash
# bench/versions.sh -- the current pgmq_c library against an older release
# (default 0.3.0, commit bd1fe19), each against the raw-SQL baseline of
# bench/run.sh, in one run on the same machine.
#
# One command, as root, from the repository root:
#
#     bash bench/versions.sh
#
# What it does:
#   - builds the current tree and installs it (scripts/common.sh's
#     pgmqc_build_install: make && make install under the build lock
#     /tmp/pgmqc-build.lock; set BENCH_INSTALL=0 to take what is installed)
#     and keeps a copy of the installed pgmq_c.so: "new";
#   - builds the old revision from `git archive BENCH_OLD_REV` in a temporary
#     directory with PGXS (never installed as a whole): "old";
#   - starts a throwaway cluster as bench/run.sh does (scripts/common.sh's
#     cluster and user, a free port from BENCH_PORT=57100 up, 127.0.0.1 and a private
#     unix socket, shared_preload_libraries = 'pgmq_c', shared_buffers 1GB,
#     fsync and synchronous_commit on) with two databases:
#       bench_new  CREATE EXTENSION pgmq_c (the default version, 0.4.0)
#       bench_old  CREATE EXTENSION pgmq_c VERSION '0.3.0'
#     and runs every pgmq_c call and the baseline as the NON-superuser role
#     bench_app: in bench_new it is granted EXECUTE on create_queue and owns
#     the queue it creates (BENCH_ACCESS=owner), or the queue is created by
#     the role bench_admin and bench_app holds 'send' and 'consume' through
#     pgmq_c.grant_access (BENCH_ACCESS=grant); in bench_old it has 0.3.0's
#     rights (CREATE on schema pgmq_c; SELECT, INSERT, UPDATE, DELETE on
#     pgmq_c.queues) and creates, so owns, the queue's tables.  Both
#     databases give bench_app CREATE on schema public for the baseline table;
#   - runs table 1 of bench/run.sh (bench/pgbench/{qc,bl}_*.sql, the same
#     fills and pgbench -n -M prepared runs) for each version in turn,
#     interleaved run by run: the version order alternates from run to run,
#     and within a version the pgmq_c and baseline runs alternate as in
#     bench/run.sh.  Switching version restarts the cluster with the other
#     library: under the build lock, it stops the cluster, puts that
#     library into $(pg_config --pkglibdir)/pgmq_c.so (copy + rename, so no
#     running process sees a file change under it), starts the postmaster
#     (which maps the library once; every backend and worker is forked from
#     it) and at once puts back the library that was installed before,
#     then checks through /proc/<postmaster>/map_files that the running
#     cluster maps the wanted library.  The old library sits in pkglibdir only
#     for those few seconds and only under the lock, so nobody's make
#     install interleaves; an EXIT/INT/TERM trap puts the current library
#     back whatever happens.  Only the database of the running version
#     accepts connections (ALTER DATABASE ... ALLOW_CONNECTIONS), so the old
#     library's background worker never touches the 0.4.0 database and the
#     new one's never the 0.3.0 database;
#   - prints the medians of BENCH_RUNS runs, the ratio pgmq_c / baseline for
#     each version and the ratio of ratios (new / old), stops and removes
#     the cluster.
#
#   Table  throughput: send 1/tx, send_batch 100, read 1 + delete 1, read 100
#          + delete 100, pop 1; BENCH_CLIENTS clients; medians of BENCH_RUNS
#          runs per scenario, clients, version and side.  Issue 9's bar: the
#          ratio of ratios must not drop by more than 3 % (>= 0.97).
#
# Environment:
#   BENCH_RUNS=3              runs per scenario, version and side (medians)
#   BENCH_SECONDS=10          seconds per pgbench run
#   BENCH_CLIENTS="1 4"       client counts
#   BENCH_SCENARIOS="send1 send100 rd1 rd100 pop1"
#   BENCH_OLD_REV=bd1fe19     the old revision (git archive of this repository)
#   BENCH_OLD_VERSION=0.3.0   the extension version the old database gets
#   BENCH_ACCESS=owner        owner | grant (see above; 0.4.0 database only)
#   BENCH_INSTALL=1           0: do not build and install the current tree
#   BENCH_PORT=57100          first port tried for the cluster
#   BENCH_OUT=dir             raw outputs, results.tsv, summary.txt, logs
#                             (default /tmp/pgmqc-versions-<UTC timestamp>)
#   BENCH_KEEP=1              keep the cluster's directory
#
# Needs root (it writes pkglibdir) and scripts/common.sh.  Compare the
# figures of one run only: the machine's load moves both versions' figures,
# and only their ratios to the baseline measured next to them travel.

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
pgmqc_require_root # it swaps the installed library
REPO=$PGMQC_ROOT
BENCH_PORT=${BENCH_PORT:-57100}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-versions-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT BENCH_PORT

BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_CLIENTS=${BENCH_CLIENTS:-"1 4"}
BENCH_SCENARIOS=${BENCH_SCENARIOS:-"send1 send100 rd1 rd100 pop1"}
BENCH_OLD_REV=${BENCH_OLD_REV:-bd1fe19}
BENCH_OLD_VERSION=${BENCH_OLD_VERSION:-0.3.0}
BENCH_ACCESS=${BENCH_ACCESS:-owner}
BENCH_INSTALL=${BENCH_INSTALL:-1}
case $BENCH_ACCESS in owner | grant) ;; *) die "BENCH_ACCESS must be owner or grant" ;; esac

PG_CONFIG=${PG_CONFIG:-$(command -v pg_config)}
PKGLIB=$("$PG_CONFIG" --pkglibdir)
LIBFILE=$PKGLIB/pgmq_c.so
LOCKFILE=$PGMQC_LOCK
APP=bench_app     # runs the benchmark (never a superuser)
ADMIN=bench_admin # creates the queue with BENCH_ACCESS=grant
DB_OLD=bench_old
DB_NEW=bench_new

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt
mkdir -p "$BENCH_OUT"
WORK=$(mktemp -d /tmp/pgmqc-versions-work.XXXXXX)
: >"$RESULTS"
: >"$SUMMARY"

# ---------------------------------------------------------------- library swap

SWAP_SAVED=     # the library that was installed when the current swap began
RUNNING=        # old | new: the library the cluster runs

# atomically make $LIBFILE a copy of $1 (running processes keep their mapping)
put_lib() {
	local tmp=$PKGLIB/.pgmq_c.so.versions.$$
	cp "$1" "$tmp"
	chmod 755 "$tmp"
	mv -f "$tmp" "$LIBFILE"
}

restore_lib() {
	if [ -n "$SWAP_SAVED" ] && [ -f "$SWAP_SAVED" ]; then
		put_lib "$SWAP_SAVED"
		log "restored $LIBFILE ($(md5sum <"$LIBFILE" | cut -c1-12))"
	fi
	SWAP_SAVED=
}

# on exit, before the cluster is stopped
put_back() {
	restore_lib
	# belt and braces: never leave the old library installed
	if [ -n "${OLD_MD5:-}" ] && [ -f "$LIBFILE" ] &&
		[ "$(md5sum <"$LIBFILE" | cut -d' ' -f1)" = "$OLD_MD5" ] && [ -f "$WORK/new.so" ]; then
		put_lib "$WORK/new.so"
		log "put the current library back into $LIBFILE"
	fi
	rm -f "$PKGLIB/.pgmq_c.so.versions.$$"
	rm -rf "$WORK"
}
bench_traps put_back

# superuser and app psql, in a given database
su_sql() { local db=$1; shift; PGUSER=$SU PGDATABASE=$db sql "$@"; }
su_sqlv() { PGUSER=$SU PGDATABASE=$1 sqlv "$2"; }

postmaster_pid() { head -n1 "$PGMQC_CLUSTER_DIR/data/postmaster.pid"; }

# md5 of the pgmq_c.so the postmaster has mapped (the file may be replaced
# or unlinked since; map_files still reaches the mapped inode)
running_lib_md5() {
	local pid range
	pid=$(postmaster_pid)
	range=$(awk '$6 ~ /pgmq_c\.so/ {print $1; exit}' "/proc/$pid/maps")
	[ -n "$range" ] || { echo none; return; }
	md5sum <"/proc/$pid/map_files/$range" | cut -d' ' -f1
}

# switch_to old|new: restart the cluster with that library, its database
# the only one (of the two) accepting connections
switch_to() {
	local v=$1 so want other db got t0
	# the queue: owned by $APP, or with BENCH_ACCESS=grant in the new
	# database by $ADMIN, $APP granted send and consume (bench/lib.sh)
	BENCH_QC_OWNER=$APP BENCH_QC_GRANT_TO=
	if [ "$v" = new ] && [ "$BENCH_ACCESS" = grant ]; then
		BENCH_QC_OWNER=$ADMIN BENCH_QC_GRANT_TO=$APP
	fi
	[ "$RUNNING" = "$v" ] && return 0
	t0=$(date +%s.%N)
	if [ "$v" = old ]; then so=$WORK/old.so want=$OLD_MD5 db=$DB_OLD other=$DB_NEW
	else so=$WORK/new.so want=$NEW_MD5 db=$DB_NEW other=$DB_OLD; fi
	su_sql postgres -c "ALTER DATABASE $db ALLOW_CONNECTIONS true" \
		-c "ALTER DATABASE $other ALLOW_CONNECTIONS false" >/dev/null
	exec 9>>"$LOCKFILE"
	flock 9
	pgmqc_cluster_ctl stop >&2 || { flock -u 9; die "could not stop the cluster"; }
	SWAP_SAVED=$WORK/installed-at-swap.so
	cp "$LIBFILE" "$SWAP_SAVED"
	put_lib "$so"
	if ! pgmqc_cluster_ctl start >&2; then
		restore_lib
		flock -u 9
		die "the cluster did not start with the $v library"
	fi
	restore_lib
	flock -u 9
	exec 9>&-
	got=$(running_lib_md5)
	[ "$got" = "$want" ] || die "the cluster maps pgmq_c.so $got, not the $v library $want"
	RUNNING=$v
	export PGDATABASE=$db
	log "  running the $v library ($(cut -c1-12 <<<"$want"), extension $(su_sqlv "$db" "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'" 2>/dev/null || echo '-') in $db), switch took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
}

# ---------------------------------------------------------------- build

if [ "$BENCH_INSTALL" = 1 ]; then
	log "building and installing the current tree ($REPO)"
	(pgmqc_build_install) >"$BENCH_OUT/build-new.log" 2>&1 ||
		{ tail -n 20 "$BENCH_OUT/build-new.log" >&2; die "building the current tree failed (BENCH_INSTALL=0 takes what is installed)"; }
fi
[ -f "$LIBFILE" ] || die "$LIBFILE is missing"
# the source the new library was built from (as it is now: others may edit on)
src_state=$(bench_source)
flock "$LOCKFILE" cp "$LIBFILE" "$WORK/new.so"
NEW_MD5=$(md5sum <"$WORK/new.so" | cut -d' ' -f1)
NEW_DATE=$(date -u -r "$LIBFILE" '+%Y-%m-%d %H:%M UTC')

log "building $BENCH_OLD_REV with PGXS in $WORK/old"
mkdir -p "$WORK/old"
git -C "$REPO" archive "$BENCH_OLD_REV" | tar -x -C "$WORK/old"
make -C "$WORK/old" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" with_llvm=no >"$BENCH_OUT/build-old.log" 2>&1 ||
	{ tail -n 20 "$BENCH_OUT/build-old.log" >&2; die "building $BENCH_OLD_REV failed"; }
cp "$WORK/old/pgmq_c.so" "$WORK/old.so"
OLD_MD5=$(md5sum <"$WORK/old.so" | cut -d' ' -f1)
[ "$OLD_MD5" != "$NEW_MD5" ] || die "the old and the new library are the same file"
grep -q "default_version = '$BENCH_OLD_VERSION'" "$WORK/old/pgmq_c.control" ||
	log "WARNING: $BENCH_OLD_REV's pgmq_c.control does not say default_version = '$BENCH_OLD_VERSION'"

# ---------------------------------------------------------------- cluster

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# the machine's load every 10 s, and who else uses the CPU every 60 s
bench_loadavg top

bench_cluster_up # the installed library; PGUSER is the bootstrap superuser
SU=$PGUSER
# normally the copy taken above; if someone installed another build since,
# the first switch_to new restarts with the copy
[ "$(running_lib_md5)" = "$NEW_MD5" ] && RUNNING=new
log "setting up roles and databases"
su_sql postgres <<EOF >/dev/null
CREATE ROLE $APP LOGIN NOSUPERUSER;
CREATE ROLE $ADMIN LOGIN NOSUPERUSER;
CREATE DATABASE $DB_OLD;
CREATE DATABASE $DB_NEW;
EOF
su_sql "$DB_NEW" <<EOF >/dev/null
CREATE EXTENSION pgmq_c;
GRANT CREATE ON SCHEMA public TO $APP;
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue TO $APP, $ADMIN;
EOF
NEW_VERSION=$(su_sqlv "$DB_NEW" "SELECT extversion FROM pg_extension WHERE extname = 'pgmq_c'")
NEW_EXTOWNER=$(su_sqlv "$DB_NEW" "SELECT extowner::regrole FROM pg_extension WHERE extname = 'pgmq_c'")
switch_to old
su_sql "$DB_OLD" <<EOF >/dev/null
CREATE EXTENSION pgmq_c VERSION '$BENCH_OLD_VERSION';
GRANT CREATE ON SCHEMA public TO $APP;
-- 0.3.0's model (CREATE on the schema, rights on the catalog) and, for
-- 0.4.0 and later, EXECUTE on create_queue: each harmless to the other
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue TO $APP, $ADMIN;
GRANT CREATE ON SCHEMA pgmq_c TO $APP;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmq_c.queues TO $APP;
EOF
export PGUSER=$APP
# bench/lib.sh's roles: $APP fills and runs the baseline, the superuser
# counts, vacuums and checkpoints (the 0.4.0 queue tables belong to the
# extension owner)
BENCH_APP=$APP BENCH_SU=$SU
bench_init_vars

# ---------------------------------------------------------------- steps

# results.tsv: SCENARIO CLIENTS VERSION SIDE RUN MSGS_PER_S LAT_MS OK
med() { bench_med 8 "$@"; }
nok() { bench_nok 8 "$@"; }

t1_defs
for s in $BENCH_SCENARIOS; do
	[ -n "${T1_BATCH[$s]:-}" ] || die "unknown scenario $s (send1 send100 rd1 rd100 pop1 rdack1)"
done

# ---------------------------------------------------------------- runs

log "table: {$BENCH_SCENARIOS} x clients {$BENCH_CLIENTS} x $BENCH_RUNS runs x ${BENCH_SECONDS}s x {old, new} x {pgmq_c, baseline}"
for s in $BENCH_SCENARIOS; do
	for c in $BENCH_CLIENTS; do
		for r in $(seq 1 "$BENCH_RUNS"); do
			for v in $(rotate "$r" old new); do
				switch_to "$v"
				for side in $(rotate "$r" qc bl); do
					t1_run "$s c=$c $v $side run $r" "${s}_c${c}_${v}_${side}_r$r" "$side" "$s" "$c"
					record "$s" "$c" "$v" "$side" "$r" "$T1_RATE" "$PB_LAT" "$T1_OK"
				done
			done
		done
	done
done
_as_app bl_drop
qc_drop
# leave the cluster on the current library before it is stopped
switch_to new

# ---------------------------------------------------------------- summary

out "pgmq_c $BENCH_OLD_VERSION ($BENCH_OLD_REV) against the current library, each against the raw-SQL baseline; started $started"
out "  PostgreSQL $(su_sqlv postgres 'SHOW server_version'); $(bench_machine)"
out "  new: source at the start $src_state; installed $LIBFILE of $NEW_DATE (md5 ${NEW_MD5:0:12}), extension $NEW_VERSION in $DB_NEW (owner $NEW_EXTOWNER)"
out "  old: git archive $BENCH_OLD_REV built with PGXS (md5 ${OLD_MD5:0:12}), extension $BENCH_OLD_VERSION in $DB_OLD"
out "  role running pgbench: $APP (not a superuser); new: $([ "$BENCH_ACCESS" = grant ] && echo "queue owned by $ADMIN, $APP granted send + consume" || echo "$APP owns the queue"); old: $APP owns the queue's tables"
out "  settings: $(PGUSER=$SU PGDATABASE=postgres bench_settings) shared_preload_libraries='$(su_sqlv postgres 'SHOW shared_preload_libraries')'"
out "  load average at start: $load_start"
table_head "  pgbench -n -M prepared, $BENCH_RUNS runs x ${BENCH_SECONDS}s per scenario, version and side; versions alternate run by run (cluster restarted with the other library), pgmq_c and baseline alternate within; medians" \
	"| scenario | clients | old baseline msg/s | old pgmq_c msg/s | old ratio | new baseline msg/s | new pgmq_c msg/s | new ratio | ratio of ratios new/old | pgmq_c new/old | runs ok (old bl/qc, new bl/qc) |" \
	"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for s in $BENCH_SCENARIOS; do
	for c in $BENCH_CLIENTS; do
		ob=$(med "$s" "$c" old bl 6)
		oq=$(med "$s" "$c" old qc 6)
		nb=$(med "$s" "$c" new bl 6)
		nq=$(med "$s" "$c" new qc 6)
		ro=$(ratio "$oq" "$ob" 3)
		rn=$(ratio "$nq" "$nb" 3)
		out "| ${T1_NAME[$s]} | $c | $(fmt "$ob") | $(fmt "$oq") | $ro | $(fmt "$nb") | $(fmt "$nq") | $rn | $(ratio "$rn" "$ro" 3) | $(ratio "$nq" "$oq" 3) | $(nok "$s" "$c" old bl)/$(nok "$s" "$c" old qc), $(nok "$s" "$c" new bl)/$(nok "$s" "$c" new qc) |"
	done
done
out ""
out "1-minute load average during the run (every 10 s, $BENCH_OUT/loadavg.log; it includes this benchmark's own clients and backends): min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; other processes every 60 s in $BENCH_OUT/top.log; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
log "done; summary in $SUMMARY, per-run figures in $RESULTS"
