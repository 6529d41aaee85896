#!/usr/bin/env bash
#
# scripts/package-test.sh - the Debian package, tested on this machine (as
# root, Debian 12):
#
#   1. scripts/package.sh builds postgresql-15-pgmq-c;
#   2. the source install is removed ("make uninstall" in the tree), and the
#      .deb is installed with dpkg -i (both under the build lock, so that a
#      concurrent "make install" never sees the files half gone);
#   3. every file "make install" would install (MODULE_big's library, the
#      control and SQL files of EXTENSION and DATA, DOCS) is checked to
#      belong to the package (dpkg -S, dpkg -L);
#   4. a fresh throwaway cluster (pgmq_c preloaded) gets CREATE EXTENSION
#      pgmq_c and pgmq_c_compat, at the versions of their control files,
#      and the demo of scripts/demo.sh runs against it: producers and
#      consumers through a queue, then a topic read by two groups, each side
#      a role with only the privilege it needs;
#   5. the package is purged and the source install made again (make install
#      from the tree), so that later tests use the tree: this also happens
#      when a step fails or the script is interrupted.
#
# The last line is "package test: ok" on success; the exit status is
# non-zero otherwise.
#
# Usage: bash scripts/package-test.sh [--restore]
#        --restore only does step 5 (purge the package if installed, make
#        install from the tree).
# Settings: PGMQC_PACKAGE_DIR (where package.sh puts the .deb),
# PGMQC_DEMO_ARGS (producers consumers messages, default "3 3 6000"),
# PGMQC_KEEP=1 keeps the cluster directory.
#
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
pgmqc_require_root

pkg=postgresql-15-pgmq-c
pgc=$PGMQC_PGBIN/pg_config
changed=0 # 1 once the source install may be gone

# dpkg's view of the package: "install ok installed", or a half-installed
# or removed-but-configured state, or nothing.
pkg_status() {
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true
}

# Step 5: the package purged, the tree's build installed.  The build runs
# first (it may take a while if the tree changed), then the purge and the
# install run under one lock, so the files are missing only for a moment.
restore_source_install() {
	pgmqc_log "restoring the source install"
	(
		set -e
		cd "$PGMQC_ROOT"
		flock "$PGMQC_LOCK" make -s PG_CONFIG="$pgc" >/dev/null
		# shellcheck disable=SC2016 # expanded by the inner shell
		flock "$PGMQC_LOCK" bash -c '
			set -e
			status=$(dpkg-query -W -f="\${Status}" "$1" 2>/dev/null || true)
			if [ -n "$status" ] && [ "$status" != "unknown ok not-installed" ]; then
				echo "==> dpkg -P $1" >&2
				for i in $(seq 60); do
					out=$(dpkg -P "$1" 2>&1) && break
					echo "$out" >&2
					echo "$out" | grep -q lock || exit 1
					sleep 5
				done
			fi
			make -s PG_CONFIG="$2" install
		' restore "$pkg" "$pgc"
	) || { pgmqc_log "error: the restore failed"; return 1; }
	if [ ! -e "$($pgc --pkglibdir)/pgmq_c.so" ]; then
		pgmqc_log "error: pgmq_c.so is not installed after the restore"
		return 1
	fi
	if dpkg -S "$($pgc --pkglibdir)/pgmq_c.so" >/dev/null 2>&1; then
		pgmqc_log "error: pgmq_c.so still belongs to a package after the restore"
		return 1
	fi
	pgmqc_log "source install restored"
}

if [ "${1:-}" = --restore ]; then
	restore_source_install
	exit 0
fi

cleanup() {
	local rc=$?
	pgmqc_stop_cluster
	if [ "$changed" = 1 ]; then
		changed=0
		restore_source_install || rc=1
	fi
	if [ "$rc" -ne 0 ]; then
		echo "package test: FAILED"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$SECONDS

# 1. the package
deb=$(bash "$PGMQC_ROOT/scripts/package.sh" | tail -n 1)
[ -f "$deb" ] || pgmqc_die "package.sh printed no .deb (got '$deb')"
pgmqc_log "package: $deb"

# What "make install" installs, from the Makefile as PGXS sees it.
makevar() {
	# shellcheck disable=SC2016 # $($*) is for make, not the shell
	make -s --no-print-directory -C "$PGMQC_ROOT" PG_CONFIG="$pgc" \
		--eval='print-%: ; @echo $($*)' "print-$1"
}
sharedir=$($pgc --sharedir)
pkglibdir=$($pgc --pkglibdir)
docdir=$($pgc --docdir)
extensions=$(makevar EXTENSION)
expected=()
for m in $(makevar MODULE_big) $(makevar MODULES); do
	expected+=("$pkglibdir/$m.so")
done
for e in $extensions; do
	expected+=("$sharedir/extension/$e.control")
done
for f in $(makevar DATA); do
	expected+=("$sharedir/extension/$(basename "$f")")
done
for f in $(makevar DOCS); do
	expected+=("$docdir/extension/$(basename "$f")")
done

pgmqc_install_deps
pgmqc_user

# 2. source install out, package in, under one lock
if [ -n "$(pkg_status)" ] && [ "$(pkg_status)" != "unknown ok not-installed" ]; then
	pgmqc_log "$pkg is there already ($(pkg_status)): purging it first"
	restore_source_install
fi
pgmqc_log "make uninstall, then dpkg -i $(basename "$deb")"
changed=1
# shellcheck disable=SC2016 # expanded by the inner shell
flock "$PGMQC_LOCK" bash -c '
	set -e
	make -s -C "$1" PG_CONFIG="$2" uninstall
	# PGXS uninstall misses DOCS given with a directory (it removes
	# docdir/extension/DIR/FILE, install made docdir/extension/FILE)
	for f in "${@:5}"; do
		if [ -e "$f" ]; then
			echo "==> $f is still there after make uninstall: removing it" >&2
			rm -f "$f"
		fi
	done
	for i in $(seq 60); do
		out=$(dpkg -i "$3" 2>&1) && { echo "$out" >&2; exit 0; }
		echo "$out" >&2
		echo "$out" | grep -q lock || exit 1
		echo "==> dpkg is locked by another process; waiting" >&2
		sleep 5
	done
	exit 1
' package-test "$PGMQC_ROOT" "$pgc" "$deb" "$pkg" "${expected[@]}"
[ "$(pkg_status)" = "install ok installed" ] ||
	pgmqc_die "$pkg is not installed after dpkg -i ($(pkg_status))"

# 3. the files are the package's
pgmqc_log "checking that ${#expected[@]} installed files belong to $pkg"
listed=$(dpkg -L "$pkg")
for f in "${expected[@]}"; do
	[ -e "$f" ] || pgmqc_die "$f is not installed"
	grep -qxF "$f" <<<"$listed" || pgmqc_die "$f is not in $pkg (dpkg -L)"
done
owner=$(dpkg -S "$pkglibdir/pgmq_c.so")
[ "${owner%%:*}" = "$pkg" ] || pgmqc_die "dpkg -S $pkglibdir/pgmq_c.so: $owner"
pgmqc_log "dpkg -S: $owner"

# 4. a fresh cluster, the extensions and the demo
pgmqc_start_cluster
for e in $extensions; do
	want=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$sharedir/extension/$e.control")
	psql -q -X -v ON_ERROR_STOP=1 -c "CREATE EXTENSION $e CASCADE"
	got=$(psql -X -At -c "SELECT extversion FROM pg_extension WHERE extname = '$e'")
	[ "$got" = "$want" ] || pgmqc_die "$e: version $got installed, $want expected"
	pgmqc_log "CREATE EXTENSION $e: version $got"
done
[ "$(psql -X -At -c 'SELECT preloaded FROM pgmq_c.status()')" = t ] ||
	pgmqc_die "pgmq_c.status() says the library is not preloaded"

# The demo as scripts/demo.sh runs it (which would also build and install
# from the tree, and so is not called here); the client is built into the
# cluster's directory.
pgmqc_log "building the demo client"
cc -std=gnu99 -O2 -Wall -Wextra -I"$(pg_config --includedir)" \
	"$PGMQC_ROOT/demo/pgmqc_demo.c" -o "$PGMQC_CLUSTER_DIR/pgmqc_demo" \
	-L"$(pg_config --libdir)" -lpq
psql -q -X -v ON_ERROR_STOP=1 <<'SQL'
CREATE ROLE demo_admin LOGIN;
CREATE ROLE demo_producer LOGIN;
CREATE ROLE demo_consumer LOGIN;
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue,
	pgmq_c.create_topic TO demo_admin;
SQL
export PGMQC_DEMO_ADMIN=demo_admin PGMQC_DEMO_PRODUCER=demo_producer \
	PGMQC_DEMO_CONSUMER=demo_consumer
read -r -a demo_args <<<"${PGMQC_DEMO_ARGS:-3 3 6000}"
"$PGMQC_CLUSTER_DIR/pgmqc_demo" demo "${demo_args[@]}"
"$PGMQC_CLUSTER_DIR/pgmqc_demo" demo_topic "${demo_args[@]}" 2

# the extension the package ships besides pgmq_c: a pgmq queue round trip
if grep -qw pgmq_c_compat <<<"$extensions"; then
	psql -q -X -v ON_ERROR_STOP=1 <<-'SQL'
		DO $$
		DECLARE m record;
		BEGIN
			PERFORM pgmq.create('pkg_compat');
			PERFORM pgmq.send('pkg_compat', '{"hello": "package"}'::jsonb);
			SELECT * INTO STRICT m FROM pgmq.read('pkg_compat', 30, 1);
			IF m.message <> '{"hello": "package"}'::jsonb THEN
				RAISE 'pgmq.read returned %', m.message;
			END IF;
			IF NOT pgmq.delete('pkg_compat', m.msg_id) THEN
				RAISE 'pgmq.delete found no message %', m.msg_id;
			END IF;
		END $$;
	SQL
	pgmqc_log "pgmq_c_compat: pgmq.create, send, read, delete"
fi
pgmqc_stop_cluster

# 5. back to the source install
changed=0
restore_source_install
pgmqc_log "package test took $((SECONDS - start)) s"
echo "package test: ok"
