#!/usr/bin/env bash
#
# scripts/demo.sh - one command from a fresh Debian 12 machine (as root) to
# a running pgmq_c demo: installs the dependencies, builds and installs the
# extension, starts a throwaway cluster with pgmq_c preloaded, runs
# demo/pgmqc_demo.c (producer and consumer processes moving messages
# through one queue, then through a topic read by two consumer groups) and
# stops the cluster again.
#
# Usage: bash scripts/demo.sh [producers [consumers [messages]]]
#        (defaults 3 3 6000)
#
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

trap pgmqc_stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pgmqc_install_deps
pgmqc_build_install
pgmqc_user
pgmqc_start_cluster

# The demo client is built into the cluster's temporary directory, so the
# repository stays clean and the binary goes away with the cluster.
pgmqc_log "building the demo client"
cc -std=gnu99 -O2 -Wall -Wextra -I"$(pg_config --includedir)" \
	"$PGMQC_ROOT/demo/pgmqc_demo.c" -o "$PGMQC_CLUSTER_DIR/pgmqc_demo" \
	-L"$(pg_config --libdir)" -lpq

psql -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pgmq_c'
"$PGMQC_CLUSTER_DIR/pgmqc_demo" demo "${1:-3}" "${2:-3}" "${3:-6000}"
"$PGMQC_CLUSTER_DIR/pgmqc_demo" demo_topic "${1:-3}" "${2:-3}" "${3:-6000}" 2
