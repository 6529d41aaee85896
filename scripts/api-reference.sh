#!/usr/bin/env bash
#
# scripts/api-reference.sh - regenerate docs/api.md, the reference of every
# object of pgmq_c (functions, types, catalog tables, sequences, settings)
#
# Starts a throwaway cluster with scripts/common.sh (run as root, it belongs
# to the unprivileged user; pgmq_c preloaded, so that its settings exist),
# runs CREATE EXTENSION pgmq_c with the extension as installed (build and
# install it first: make install), and writes what scripts/api-reference.sql
# makes of the catalog to docs/api.md.
#
# The regression test "api" (sql/api.sql) prints the same text and checks
# docs/api.md against it; after an API change, run this, then the test, and
# take results/api.out, once read, as expected/api.out.
#
# Settings: those of scripts/common.sh (PGMQC_USER, PGMQC_PORT_BASE, ...).
#
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

out=$PGMQC_ROOT/docs/api.md
tmp=$(mktemp "$out.XXXXXX")
trap 'pgmqc_stop_cluster; rm -f "$tmp"' EXIT

pgmqc_user
pgmqc_start_cluster
# psql as the user reads the query from our stdin and writes to our stdout,
# so it needs no access to the tree; the socket directory is its cwd.
{
	echo 'CREATE EXTENSION pgmq_c;'
	cat "$PGMQC_ROOT/scripts/api-reference.sql"
	printf '%s\n' '\echo :api'
} | (cd "$PGMQC_CLUSTER_DIR" &&
	pgmqc_as_user psql -X -q -v ON_ERROR_STOP=1) >"$tmp"
if [ "$(head -c 9 "$tmp")" != '# pgmq_c ' ]; then
	pgmqc_die "scripts/api-reference.sql printed no reference"
fi
chmod 644 "$tmp"
mv "$tmp" "$out"
pgmqc_log "wrote ${out#"$PGMQC_ROOT"/}"
