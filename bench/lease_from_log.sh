#!/usr/bin/env bash
# bench/lease_from_log.sh -- the physical floor of a consumer group that
# leases straight from its topic's log (docs/design.md section 8, "Not
# built"), against what a group's message costs today and against a queue.
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/lease_from_log.sh
#
# It needs pgmq_c built and installed; the cluster is bench/lib.sh's
# throwaway one, with synchronous_commit = off and jit = off on top (the
# question is CPU per message: with each commit waiting for its flush,
# this machine's disk decides the figures), stopped and removed at the end.
# Five sides, each 4 clients taking 100 messages per transaction in
# BEGIN ... COMMIT (pgbench -n -M prepared), runs interleaved with the
# order rotated, medians printed:
#
#   queue_raw   read 100 + delete 100 on a table of pgmq's shape (the body
#               in the row the read locks and updates)
#   fill_raw    a group's message as it costs now, done inline in raw SQL:
#               insert 100 ready rows from the log (the worker's fill),
#               lock and update 100 of them (the claim), their bodies from
#               the log, delete them (the ack)
#   log_raw     the design of section 8 in raw SQL: take a range of 100
#               msg_ids (a sequence stands in for the shared cursor), insert
#               one row for the range, insert the 100 lease rows straight
#               from one walk of the log that also gives the bodies, delete
#               them (the ack)
#   queue       pgmq_c.read 100 + pgmq_c.delete 100 on a pgmq_c queue
#   group       pgmq_c.read_group 100 + pgmq_c.ack 100 on a group of a
#               pgmq_c topic (the worker fills it)
#
# The raw sides carry none of pgmq_c's work per call (function calls,
# access checks, watermarks, shared memory, commit order), so only their
# ratios to each other say something: log_raw / fill_raw is what leasing
# from the log would save against today's group at the level of rows,
# index entries and WAL records; group / queue is today's row of issue 15.
#
# Environment (all optional, besides bench/lib.sh's):
#   LEASE_RUNS=5       runs per side
#   LEASE_SECONDS=3    seconds per pgbench run
#   LEASE_CLIENTS=4    clients
#   LEASE_N=6000000    messages in each table, queue and topic (a run must
#                      not drain its side: one that does is not counted)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LEASE_RUNS=${LEASE_RUNS:-5}
LEASE_SECONDS=${LEASE_SECONDS:-3}
LEASE_CLIENTS=${LEASE_CLIENTS:-4}
LEASE_N=${LEASE_N:-6000000}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-lease-$(date -u +%Y%m%dT%H%M%SZ)}
BENCH_EXTRA_CONF="${BENCH_EXTRA_CONF:-}
synchronous_commit = off
jit = off"
SUMMARY=$BENCH_OUT/summary.txt
RESULTS=$BENCH_OUT/results.tsv
SIDES=(queue_raw fill_raw log_raw queue group)
export BENCH_EXTRA_CONF

bench_start build
bench_up
bench_banner "pgmq_c lease-from-the-log floor"

log "loading $LEASE_N messages into each side"
sql >/dev/null <<EOF
CREATE TABLE lease_q (msg_id bigint PRIMARY KEY, read_ct integer NOT NULL DEFAULT 0,
  enqueued_at timestamptz NOT NULL DEFAULT now(), vt timestamptz NOT NULL DEFAULT now(),
  message jsonb, headers jsonb) WITH (fillfactor = 50);
CREATE TABLE lease_fill_log (msg_id bigint PRIMARY KEY, enqueued_at timestamptz NOT NULL DEFAULT now(),
  deliver_at timestamptz, message jsonb, headers jsonb, ordering_key text);
CREATE TABLE lease_log (LIKE lease_fill_log INCLUDING ALL);
CREATE TABLE lease_fill_g (msg_id bigint PRIMARY KEY, read_ct integer NOT NULL,
  vt timestamptz NOT NULL, leased boolean NOT NULL, reason "char", ordering_key text)
  WITH (fillfactor = 40);
CREATE TABLE lease_log_g (LIKE lease_fill_g INCLUDING ALL) WITH (fillfactor = 40);
CREATE TABLE lease_log_ranges (group_id integer NOT NULL, first_id bigint NOT NULL, last_id bigint NOT NULL);
CREATE SEQUENCE lease_fill_next INCREMENT BY 100;
CREATE SEQUENCE lease_log_next INCREMENT BY 100;
INSERT INTO lease_q (msg_id, message)
  SELECT i, '$BENCH_MSG' FROM generate_series(1, $LEASE_N) i;
INSERT INTO lease_fill_log (msg_id, message)
  SELECT i, '$BENCH_MSG' FROM generate_series(1, $LEASE_N) i;
INSERT INTO lease_log SELECT * FROM lease_fill_log;
SELECT pgmq_c.create_queue('lease_q');
SELECT pgmq_c.create_topic('lease_t', partition_size => 10000000);
SELECT pgmq_c.create_group('lease_t', 'g');
DO \$\$
BEGIN
	FOR i IN 1..$((LEASE_N / 1000)) LOOP
		PERFORM pgmq_c.send_batch('lease_q', pg_catalog.array_fill('$BENCH_MSG'::jsonb, ARRAY[1000]));
		PERFORM pgmq_c.send_batch('lease_t', pg_catalog.array_fill('$BENCH_MSG'::jsonb, ARRAY[1000]));
		COMMIT;
	END LOOP;
END
\$\$;
VACUUM ANALYZE;
CHECKPOINT;
EOF

# messages left on a side: a run that left none drained it
left() {
	case $1 in
	queue_raw) sqlv "SELECT count(*) FROM (SELECT 1 FROM lease_q LIMIT 1) s" ;;
	fill_raw) sqlv "SELECT ($LEASE_N - last_value > 0)::int FROM lease_fill_next" ;;
	log_raw) sqlv "SELECT ($LEASE_N - last_value > 0)::int FROM lease_log_next" ;;
	queue) sqlv "SELECT (queue_length > 0)::int FROM pgmq_c.metrics('lease_q')" ;;
	group) sqlv "SELECT (lag > 0)::int FROM pgmq_c.list_groups('lease_t')" ;;
	esac
}

for r in $(seq "$LEASE_RUNS"); do
	for side in $(rotate "$r" "${SIDES[@]}"); do
		pgbench_run "$side.$r" "$BENCH_SRCDIR/pgbench/lease_$side.sql" \
			"$LEASE_CLIENTS" "$LEASE_SECONDS" -D wm=0
		ok=$PB_OK
		if [ "$(left "$side")" = 0 ]; then
			ok=0
			log "WARNING: $side run $r drained its side; not counted"
		fi
		rate=$(awk -v t="$PB_TPS" 'BEGIN { printf "%.0f", t * 100 }')
		record "$side" "$r" "$rate" "$ok"
		log "  $side run $r: $rate msg/s"
	done
done

med() { awk -F'\t' -v s="$1" '$1 == s && $4 == 1 { print $3 }' "$RESULTS" | median; }
nok() { awk -F'\t' -v s="$1" '$1 == s && $4 == 1 { n++ } END { print n + 0 }' "$RESULTS"; }
# the median over the runs of side A's rate / side B's in the same run
per_run() {
	awk -F'\t' -v a="$1" -v b="$2" '$4 == 1 && ($1 == a || $1 == b) { v[$1, $2] = $3 }
		END { for (k in v) { split(k, x, SUBSEP); if (x[1] == a && ((b, x[2]) in v) && v[b, x[2]] > 0)
			printf "%.4f\n", v[k] / v[b, x[2]] } }' "$RESULTS" | median
}

out ""
table_head "Read 100 + delete/ack 100 in BEGIN ... COMMIT, $LEASE_CLIENTS clients, msg/s (medians of $LEASE_RUNS runs x ${LEASE_SECONDS}s)" \
	"| side | msg/s | runs ok |" "|---|---:|---:|"
for side in "${SIDES[@]}"; do
	out "| $side | $(commas "$(fmt "$(med "$side")")") | $(nok "$side")/$LEASE_RUNS |"
done
out ""
table_head "Ratios (ratio of the medians; median of the per-run ratios)" \
	"| ratio | of medians | per run |" "|---|---:|---:|"
for pair in "log_raw fill_raw" "log_raw queue_raw" "fill_raw queue_raw" "group queue"; do
	# shellcheck disable=SC2086 # two words
	set -- $pair
	out "| $1 / $2 | $(ratio "$(med "$1")" "$(med "$2")") | $(ratio "$(per_run "$1" "$2")" 1) |"
done
out ""
out "finished $(date -u '+%Y-%m-%d %H:%M:%S UTC'); raw pgbench output in $BENCH_OUT"
