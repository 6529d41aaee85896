#!/usr/bin/env bash
# bench/cpu_per_call.sh -- backend CPU time per call of a statement.
#
#     bash bench/cpu_per_call.sh 'PERFORM pgmq_c.send(''q'', ''{}'')' [N] [RUNS]
#
# Runs the PL/pgSQL statement given (it may use the loop variable i and a
# text "tag" unique to the run, e.g. dedup_id => tag || i) N times (default
# 5,000) in a procedure that commits after each call, and measures the
# backend's CPU time with perf stat -e task-clock, RUNS times (default 3);
# prints each run's milliseconds per call and their median.  CPU time, not
# wall time: it leaves out the fsync waits of the commits, which make wall
# times on a shared machine swing, and keeps what the backend computes
# (the commit's own work included).  Needs perf (Debian package linux-perf)
# and a running cluster with pgmq_c, reached through the usual libpq
# variables (PGHOST, PGPORT, PGUSER, PGDATABASE), as a user allowed to
# create a procedure; perf must be allowed to attach to the backend (root,
# or kernel.perf_event_paranoid <= 1 for the server's user).  Warms up with
# 200 calls first.
set -euo pipefail

body=${1:?usage: cpu_per_call.sh STATEMENT [N] [RUNS]}
n=${2:-5000}
runs=${3:-3}
command -v perf >/dev/null || { echo "cpu_per_call.sh: perf not found (apt-get install linux-perf)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

results=()
for run in $(seq "$runs"); do
	# one session: its backend's pid first, then a pause while perf
	# attaches, then the loop
	psql -X -q -A -t -v ON_ERROR_STOP=1 >"$work/pid" <<EOF &
CREATE OR REPLACE PROCEDURE pg_temp.cpu_per_call_loop(n integer, tag text)
LANGUAGE plpgsql AS \$body\$
BEGIN
	FOR i IN 1..n LOOP
		$body;
		COMMIT;
	END LOOP;
END
\$body\$;
CALL pg_temp.cpu_per_call_loop(200, 'warm-$run-' || clock_timestamp());
SELECT pg_backend_pid();
SELECT pg_sleep(1);
CALL pg_temp.cpu_per_call_loop($n, 'run-$run-' || clock_timestamp());
EOF
	client=$!
	for _ in $(seq 100); do
		[ -s "$work/pid" ] && break
		sleep 0.1
	done
	pid=$(head -1 "$work/pid")
	perf stat -x, -e task-clock -p "$pid" -o "$work/stat" &
	perf_pid=$!
	wait "$client"
	kill -INT "$perf_pid"
	wait "$perf_pid" || true
	ms=$(awk -F, -v n="$n" '/task-clock/ { printf "%.4f", $1 / n }' "$work/stat")
	echo "run $run: $ms ms of backend CPU per call"
	results+=("$ms")
done
printf '%s\n' "${results[@]}" | sort -n |
	awk '{ v[NR] = $1 } END { printf "median: %s ms per call (%d runs of '"$n"')\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), NR }'
