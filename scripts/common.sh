# shellcheck shell=bash
#
# scripts/common.sh - the one set-up of machine and clusters, shared by
# demo.sh, test.sh and the benchmarks in bench/
#
# Sourced, never run.  Everything here targets a Debian 12 machine with
# PostgreSQL 15 from Debian.  As root, clusters belong to an unprivileged
# user; as any other user, to that user (who then cannot install packages):
#
#   pgmqc_require_root    die unless run as root
#   pgmqc_install_deps [PKG...]  apt packages, plus PKG (skipped when all
#                         are installed)
#   pgmqc_build_install   make + make install of the extension (PGMQC_WERROR=1:
#                         warnings are errors)
#   pgmqc_user            the unprivileged user that owns clusters
#   pgmqc_start_cluster [CONF]  throwaway cluster on a free port, pgmq_c
#                         preloaded, the postgresql.conf lines CONF added
#                         (they win over ours); waits until it accepts
#                         connections; exports PGHOST PGPORT PGUSER PGDATABASE
#   pgmqc_cluster_ctl start|stop  start (on $PGPORT, waiting) or stop it
#                         again, keeping its directory
#   pgmqc_stop_cluster    stop it and remove its directory (idempotent)
#   pgmqc_as_user CMD...  run a command as that user, environment kept
#
# Settings (environment): PGMQC_USER (default pgmqc; the caller when not
# root), PGMQC_PORT_BASE (default 55432), PGMQC_PRELOAD
# (shared_preload_libraries, default pgmq_c; set it empty to run without
# preload), PGMQC_KEEP=1 keeps the cluster directory for debugging.

set -euo pipefail

PGMQC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGMQC_PGBIN=/usr/lib/postgresql/15/bin
# shellcheck disable=SC2034 # used by the scripts that source this file
PGMQC_PGXS=/usr/lib/postgresql/15/lib/pgxs
PGMQC_USER=${PGMQC_USER:-pgmqc}
PGMQC_IS_ROOT=0
if [ "$(id -u)" -eq 0 ]; then PGMQC_IS_ROOT=1; else PGMQC_USER=$(id -un); fi
PGMQC_LOCK=/tmp/pgmqc-build.lock
PGMQC_CLUSTER_DIR=
export PATH="$PGMQC_PGBIN:$PATH"

pgmqc_log() { printf '==> %s\n' "$*" >&2; }
pgmqc_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

pgmqc_require_root() {
	[ "$PGMQC_IS_ROOT" = 1 ] || pgmqc_die "run this as root (it installs packages)"
}

# Install build and test dependencies, and the packages named as arguments;
# no apt at all when already present.
# shellcheck disable=SC2120 # the arguments are optional
pgmqc_install_deps() {
	local pkgs=(postgresql-15 postgresql-server-dev-15 postgresql-client-15
				prometheus-postgres-exporter prometheus curl
				libpq-dev libipc-run-perl libdbd-pg-perl build-essential
				python3-psycopg nodejs postgresql-15-plproxy "$@")
	# npm for examples/node; a Node.js that brings its own npm (NodeSource's)
	# conflicts with Debian's npm package, which would replace it
	command -v npm >/dev/null || pkgs+=(npm)
	local missing=() p
	for p in "${pkgs[@]}"; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = \
			"install ok installed" ] || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		pgmqc_log "dependencies already installed"
		return
	fi
	[ "$PGMQC_IS_ROOT" = 1 ] || pgmqc_die "missing packages ${missing[*]}: run this as root"
	pgmqc_log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# The package creates and may start a "main" cluster on 5432: stop it.
	if command -v pg_ctlcluster >/dev/null; then
		pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
	fi
	# prometheus-postgres-exporter (:9187) and prometheus (:9090) start
	# where an init system runs: stop those installed just now (TAP 030
	# starts its own exporter on a free port).
	for p in prometheus-postgres-exporter prometheus; do
		case " ${missing[*]} " in
		*" $p "*) service "$p" stop >/dev/null 2>&1 || true ;;
		esac
	done
}

# Build and install the extension from the repository root.  The lock keeps
# concurrent builds/installs on a shared machine from interleaving.
pgmqc_build_install() {
	pgmqc_log "building and installing pgmq_c"
	(
		cd "$PGMQC_ROOT"
		flock "$PGMQC_LOCK" make -s PG_CONFIG="$PGMQC_PGBIN/pg_config" \
			PGMQC_WERROR="${PGMQC_WERROR:-0}"
		flock "$PGMQC_LOCK" make -s PG_CONFIG="$PGMQC_PGBIN/pg_config" install
	)
}

# initdb refuses root, so clusters and tests belong to an unprivileged user.
pgmqc_user() {
	if [ "$PGMQC_IS_ROOT" = 1 ] && ! id "$PGMQC_USER" >/dev/null 2>&1; then
		pgmqc_log "creating user $PGMQC_USER"
		useradd --system --create-home --shell /bin/bash "$PGMQC_USER"
	fi
}

# Run a command as the unprivileged user.  runuser -u keeps the environment
# (PATH, PG*) and sets only HOME, SHELL, USER and LOGNAME.  Not as root: we
# are that user.
pgmqc_as_user() {
	if [ "$PGMQC_IS_ROOT" = 1 ]; then
		runuser -u "$PGMQC_USER" -- "$@"
	else
		"$@"
	fi
}

# True when nothing accepts connections on 127.0.0.1:$1.
pgmqc_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pgmqc_cluster_ctl start|stop: pg_ctl on the running cluster's directory,
# waiting until it is up or down; start listens on $PGPORT and fails
# quietly (the log in $PGMQC_CLUSTER_DIR/server.log) so that the caller may
# try another port.
pgmqc_cluster_ctl() {
	local dir=$PGMQC_CLUSTER_DIR
	case $1 in
	start)
		(cd "$dir" && pgmqc_as_user pg_ctl -D "$dir/data" -l "$dir/server.log" \
			-w -s -o "-p $PGPORT" start)
		;;
	stop)
		(cd "$dir" && pgmqc_as_user pg_ctl -D "$dir/data" -m fast -w -s stop)
		;;
	esac
}

# Start a throwaway cluster, CONF (postgresql.conf lines) added to our
# settings; on success PG* point at it.
# shellcheck disable=SC2120 # the arguments are optional
pgmqc_start_cluster() {
	local dir port tries=0 oldpwd=$PWD conf=${1:-}
	dir=$(mktemp -d /tmp/pgmqc-cluster.XXXXXX)
	PGMQC_CLUSTER_DIR=$dir
	[ "$PGMQC_IS_ROOT" = 0 ] || chown "$PGMQC_USER:" "$dir"
	chmod 700 "$dir"
	pgmqc_log "initdb in $dir/data"
	# Unix socket: trust (the directory is private).  TCP on 127.0.0.1 only,
	# with a random password nobody is told, so other local users get nothing.
	head -c 24 /dev/urandom | base64 >"$dir/pw"
	[ "$PGMQC_IS_ROOT" = 0 ] || chown "$PGMQC_USER:" "$dir/pw"
	cd "$dir" # the user may not be able to read the caller's directory
	pgmqc_as_user initdb -D "$dir/data" -U "$PGMQC_USER" --encoding=UTF8 \
		--locale=C --auth-local=trust --auth-host=scram-sha-256 \
		--pwfile="$dir/pw" >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; pgmqc_die "initdb failed"; }
	rm -f "$dir/pw"
	cat >>"$dir/data/postgresql.conf" <<-EOF

		# added by scripts/common.sh
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$dir'
		shared_preload_libraries = '${PGMQC_PRELOAD-pgmq_c}'
		max_connections = 100
	EOF
	[ -z "$conf" ] || printf '%s\n' "$conf" >>"$dir/data/postgresql.conf"
	# Probe upwards for a free port; if another process grabs it between
	# the probe and the start, try the next one.
	port=${PGMQC_PORT_BASE:-55432}
	while :; do
		while ! pgmqc_port_free "$port"; do port=$((port + 1)); done
		rm -f "$dir/server.log"
		if PGPORT=$port pgmqc_cluster_ctl start; then
			break
		fi
		tries=$((tries + 1))
		if [ "$tries" -ge 5 ] ||
			! grep -q 'could not bind\|already in use' "$dir/server.log"; then
			tail -n 30 "$dir/server.log" >&2 || true
			pgmqc_die "could not start the cluster"
		fi
		port=$((port + 1))
	done
	export PGHOST=$dir PGPORT=$port PGUSER=$PGMQC_USER PGDATABASE=pgmqc
	pgmqc_as_user createdb "$PGDATABASE"
	cd "$oldpwd"
	pgmqc_log "cluster up: port $PGPORT, socket $PGHOST, database $PGDATABASE"
}

# Stop the cluster and delete its directory; safe to call twice or from a
# trap before the cluster ever started.
pgmqc_stop_cluster() {
	local dir=$PGMQC_CLUSTER_DIR
	[ -n "$dir" ] || return 0
	PGMQC_CLUSTER_DIR=
	if [ -f "$dir/data/postmaster.pid" ]; then
		PGMQC_CLUSTER_DIR=$dir pgmqc_cluster_ctl stop >/dev/null 2>&1 || true
	fi
	if [ "${PGMQC_KEEP:-0}" = 1 ]; then
		pgmqc_log "kept $dir"
	else
		rm -rf "$dir"
	fi
}
