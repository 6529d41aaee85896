#!/usr/bin/env bash
# bench/plan_latency.sh -- read latency on queues whose statistics lie
# (issue 15, "Plans that do not depend on when they were made").
#
# One command, as root or as any user, from the repository root:
#
#     bash bench/plan_latency.sh
#
# (about 6 minutes on 2 cores).  It needs pgmq_c built and installed; the
# cluster is the one bench/lib.sh starts for bench/run.sh (an unprivileged
# OS user when run as root, a free port >= 56432 or BENCH_PORT, 127.0.0.1
# and a private unix socket only, shared_preload_libraries = 'pgmq_c'),
# with autovacuum off, so that no ANALYZE comes but the bench's own; stopped
# and removed at the end.
#
# Three queues, each loaded with PLAN_MESSAGES (1,000,000) messages:
#   never      never analyzed: the consumer read it while it was empty (so
#              the statements it keeps were prepared then), then it was
#              loaded
#   empty      the same, with an ANALYZE of its tables taken while empty
#   analyzed   loaded, then analyzed; the consumer reads it first after that
# One consumer session (one backend for the whole run) then reads 1 message
# (vt 30 s) and deletes it, each in a transaction of its own, PLAN_READS
# (500) times per queue and round, queues interleaved and rotated over
# PLAN_ROUNDS (5) rounds; the figure is the read's latency as the session
# measures it (clock_timestamp() around the call, inside a DO block).
# Medians over all reads of a queue, and the ratios never / analyzed and
# empty / analyzed (target <= 1.3).  Before the plan guard, such a queue's
# kept generic plan was built on an empty table's statistics and scanned
# the whole table (measured beside pgmq: 0.3 -> 9.5 ms per read until the
# first ANALYZE).
#
# Environment:
#   PLAN_MESSAGES=1000000   messages loaded into each queue
#   PLAN_READS=500          reads per queue and round
#   PLAN_ROUNDS=5           rounds
#   BENCH_OUT=dir           raw output, results.tsv and summary.txt
#                           (default /tmp/pgmqc-plans-<UTC timestamp>)
#   and those listed at the top of bench/lib.sh

set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PLAN_MESSAGES=${PLAN_MESSAGES:-1000000}
PLAN_READS=${PLAN_READS:-500}
PLAN_ROUNDS=${PLAN_ROUNDS:-5}
BENCH_OUT=${BENCH_OUT:-/tmp/pgmqc-plans-$(date -u +%Y%m%dT%H%M%SZ)}
export BENCH_OUT
BENCH_EXTRA_CONF="autovacuum = off${BENCH_EXTRA_CONF:+
$BENCH_EXTRA_CONF}"
[ "$BENCH_ONLY" = baseline ] && die "BENCH_ONLY=baseline makes no sense here"
[ "$PLAN_MESSAGES" -ge $((PLAN_READS * PLAN_ROUNDS + 1000)) ] ||
	die "PLAN_MESSAGES must exceed PLAN_READS x PLAN_ROUNDS by 1000"

RESULTS=$BENCH_OUT/results.tsv
SUMMARY=$BENCH_OUT/summary.txt
QUEUES="never empty analyzed"

bench_start
bench_up

bench_banner "pgmq_c plan-latency benchmark"

for q in $QUEUES; do
	fresh_queue "$q"
done
for t in $(queue_tables empty); do
	sql -c "ANALYZE $t" >/dev/null
done

# The consumer: one psql session for the whole run.  It reads the queues
# never and empty while they are empty (their statements are prepared and
# kept then), has the loader fill every queue (\! runs it in a connection
# of its own), analyzes queue analyzed, and then measures.
loader=$BENCH_OUT/load.sh
{
	echo "set -euo pipefail"
	declare -f sql body_sql send_fill
	for q in $QUEUES; do
		echo "send_fill $q $PLAN_MESSAGES small 10"
	done
	for t in $(queue_tables analyzed); do
		echo "sql -c 'ANALYZE $t' >/dev/null"
	done
} >"$loader"
chmod 755 "$BENCH_OUT" "$loader"

log "consumer: reads never and empty while empty; loading $(commas "$PLAN_MESSAGES") messages into each queue"
sql <<EOF >"$BENCH_OUT/consumer.out"
SELECT count(*) FROM pgmq_c.read('never', '30 s', 1);
SELECT count(*) FROM pgmq_c.read('empty', '30 s', 1);
\\! bash '$loader'
CREATE TEMP TABLE timing (queue text, round int, ms float8);
DO \$consume\$
DECLARE
	queues text[] := ARRAY['never', 'empty', 'analyzed'];
	q text;
	t0 timestamptz;
	ms float8;
	id bigint;
BEGIN
	FOR r IN 1 .. $PLAN_ROUNDS LOOP
		FOR k IN 0 .. 2 LOOP
			q := queues[(r + k) % 3 + 1];
			FOR i IN 1 .. $PLAN_READS LOOP
				t0 := clock_timestamp();
				SELECT msg_id INTO id FROM pgmq_c.read(q, '30 s', 1);
				ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
				COMMIT;
				INSERT INTO timing VALUES (q, r, ms);
				PERFORM pgmq_c.delete(q, id);
				COMMIT;
			END LOOP;
		END LOOP;
	END LOOP;
END
\$consume\$;
\\pset format unaligned
\\pset tuples_only on
\\pset fieldsep '\t'
\\o $RESULTS
SELECT queue, round, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)
  FROM timing GROUP BY queue, round ORDER BY queue, round;
\\o $BENCH_OUT/lengths.tsv
SELECT queue_name, queue_length FROM pgmq_c.metrics_all()
 WHERE queue_name IN ('never', 'empty', 'analyzed') ORDER BY queue_name;
\\o $BENCH_OUT/all.tsv
SELECT queue, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms),
       percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), count(*)
  FROM timing GROUP BY queue ORDER BY queue;
EOF

for q in $QUEUES; do
	[ "$(awk -F'\t' -v q="$q" '$1 == q' "$BENCH_OUT/all.tsv" | wc -l)" = 1 ] ||
		die "no timings for queue $q; see $BENCH_OUT/consumer.out"
done
med() { awk -F'\t' -v q="$1" '$1 == q {printf "%.3f", $2}' "$BENCH_OUT/all.tsv"; }
p99() { awk -F'\t' -v q="$1" '$1 == q {printf "%.3f", $3}' "$BENCH_OUT/all.tsv"; }
rounds() { awk -F'\t' -v q="$1" '$1 == q {printf "%.3f ", $3}' "$RESULTS"; }

table_head "Read latency, one consumer backend, $PLAN_READS reads x $PLAN_ROUNDS rounds per queue ($(commas "$PLAN_MESSAGES") messages each), autovacuum off" \
	"| queue | read ms (median) | p99 ms | rounds' medians (ms) |" \
	"|---|---:|---:|---|"
out "| never analyzed, its statements prepared while empty | $(med never) | $(p99 never) | $(rounds never)|"
out "| analyzed while empty, its statements prepared then | $(med empty) | $(p99 empty) | $(rounds empty)|"
out "| analyzed after the load | $(med analyzed) | $(p99 analyzed) | $(rounds analyzed)|"
out ""
out "messages left in each queue at the end: $(awk -F'\t' '{printf "%s %s; ", $1, $2}' "$BENCH_OUT/lengths.tsv")"
out "ratio never / analyzed (target <= 1.3): $(ratio "$(med never)" "$(med analyzed)")"
out "ratio empty / analyzed (target <= 1.3): $(ratio "$(med empty)" "$(med analyzed)")"
out ""
out "1-minute load average during the run: min $(bench_load min), median $(bench_load median), max $(bench_load max) on $(nproc) cores; finished $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
log "done; summary in $SUMMARY"
