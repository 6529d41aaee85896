#!/usr/bin/env bash
#
# scripts/demo.sh - one command from a fresh Debian 12 machine (as root) to
# a running pgmq_c demo: installs the dependencies, builds and installs the
# extension, starts a throwaway cluster with pgmq_c preloaded, runs
# demo/pgmqc_demo.c (producer and consumer processes moving messages
# through one queue, then through a topic read by two consumer groups, each
# side logged in as a role holding only the privilege it needs) and stops
# the cluster again.
#
# Usage: bash scripts/demo.sh [producers [consumers [messages]]]
#        (defaults 3 3 6000)
#
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
pgmqc_require_root

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

# Three roles with only the rights they need: the admin may create queues
# and topics (EXECUTE on create_queue/create_topic, granted by the DBA) and
# owns what it creates; it grants "send" to the producer role and "consume"
# to the consumer role with pgmq_c.grant_access().
psql -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION pgmq_c;
CREATE ROLE demo_admin LOGIN;
CREATE ROLE demo_producer LOGIN;
CREATE ROLE demo_consumer LOGIN;
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue,
	pgmq_c.create_topic TO demo_admin;
SQL
export PGMQC_DEMO_ADMIN=demo_admin PGMQC_DEMO_PRODUCER=demo_producer \
	PGMQC_DEMO_CONSUMER=demo_consumer
"$PGMQC_CLUSTER_DIR/pgmqc_demo" demo "${1:-3}" "${2:-3}" "${3:-6000}"
"$PGMQC_CLUSTER_DIR/pgmqc_demo" demo_topic "${1:-3}" "${2:-3}" "${3:-6000}" 2
