#!/usr/bin/env bash
# bench/charts.sh -- PNG charts (gnuplot, Debian gnuplot-nox) from the raw
# output of a benchmark run.  The benchmark scripts call it when they have
# printed their tables (bench/lib.sh's bench_chart); it can be run again on
# a kept output directory:
#
#     bash bench/charts.sh throughput DIR [NOTE]   bench/run.sh's table 1
#         (DIR/results.tsv): pgmq_c / baseline throughput, the median of
#         the runs, one bar per scenario and client count, the whiskers
#         the lowest and highest ratio of one run's pair -> throughput.png
#     bash bench/charts.sh xmin_pin DIR [NOTE]     bench/xmin_pin.sh's run
#         (DIR/{qc,bl}.samples_fine, .consumer_1s.*, .t0, .pin_times):
#         consumed msg/s, ms per consumer call, dead tuples and table +
#         index size, per second, the pin shaded -> xmin_pin.png
#     bash bench/charts.sh wakeup DIR [NOTE]       bench/wakeup.sh's table 1
#         (DIR/lat_<method>_r<round>.tsv): the CDF of each method's wake-up
#         latencies, all rounds pooled -> wakeup_cdf.png
#
# NOTE (the command and the date, say) is printed under the chart's title.
# The data each chart is drawn from is written as .dat files into DIR; the
# gnuplot scripts are bench/charts/*.gp.  Environment: BENCH_CHART_DIR
# (where the PNGs go; default docs/img of the repository).

set -euo pipefail

CH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CH_OUT=${BENCH_CHART_DIR:-$CH_SRC/../docs/img}
kind=${1:?usage: charts.sh throughput|xmin_pin|wakeup DIR [NOTE]}
dir=${2:?usage: charts.sh throughput|xmin_pin|wakeup DIR [NOTE]}
note=${3:-}
mkdir -p "$CH_OUT"
CH_OUT=$(cd "$CH_OUT" && pwd)

command -v gnuplot >/dev/null || { echo "charts.sh: no gnuplot (apt-get install gnuplot-nox)" >&2; exit 1; }

# gp SCRIPT PNG VAR=VALUE...: run bench/charts/SCRIPT.gp with string variables
gp() {
	local script=$1 png=$2 args="" kv
	shift 2
	# the note folded into lines of at most 120 characters
	for kv in "out=$png" "note=$(printf '%s' "$note" | fold -s -w 120 | sed 's/ *$//' | awk '{printf "%s%s", (NR > 1 ? "\\n" : ""), $0}')" "$@"; do
		# a double-quoted gnuplot string: backslashes (but those of \n)
		# and double quotes escaped
		args="$args ${kv%%=*}=\"$(printf '%s' "${kv#*=}" | sed 's/\\\([^n]\)/\\\\\1/g; s/"/\\"/g')\";"
	done
	gnuplot -e "$args" "$CH_SRC/charts/$script.gp"
	echo "charts.sh: wrote $png"
}

case $kind in
throughput)
	# results.tsv: TABLE SCENARIO CLIENTS SIDE RUN MSGS_PER_S LAT_MS EXTRA OK
	res=$dir/results.tsv
	[ -s "$res" ] || { echo "charts.sh: no $res" >&2; exit 1; }
	dat=$dir/throughput.dat
	# one row per scenario: "name" then, per client count, median ratio
	# (of the medians, as the table), lowest and highest per-run ratio
	awk -F'\t' '
		function med(list,   n, a, i, j, t) {
			n = split(list, a, " ")
			for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
			if (n == 0) return ""
			return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		BEGIN { nm["send1"] = "send 1/tx"; nm["send100"] = "send_batch 100"; nm["rd1"] = "read 1 + delete 1"
		        nm["rd1a"] = "read 1 + delete 1, autocommit"; nm["rd100"] = "read 100 + delete 100"; nm["pop1"] = "pop 1"
		        nm["rdack1"] = "read 1 deleting the last" }
		$1 == 1 && $9 == 1 {
			k = $2 SUBSEP $3
			if (!($2 in seen)) { seen[$2] = 1; order[++ns] = $2 }
			if (!($3 in cseen)) { cseen[$3] = 1; cl[++nc] = $3 }
			v[k SUBSEP $4] = v[k SUBSEP $4] " " $6
			run[k SUBSEP $4 SUBSEP $5] = $6
			runs[k SUBSEP $5] = 1
		}
		END {
			printf "# scenario"
			for (j = 1; j <= nc; j++) printf "  ratio_c%s low_c%s high_c%s", cl[j], cl[j], cl[j]
			printf "\n"
			for (i = 1; i <= ns; i++) {
				s = order[i]; printf "\"%s\"", (s in nm ? nm[s] : s)
				for (j = 1; j <= nc; j++) {
					k = s SUBSEP cl[j]
					q = med(v[k SUBSEP "qc"]); b = med(v[k SUBSEP "bl"])
					lo = ""; hi = ""
					for (r = 1; r <= 100; r++)
						if ((k SUBSEP r) in runs && (k SUBSEP "qc" SUBSEP r) in run && (k SUBSEP "bl" SUBSEP r) in run && run[k SUBSEP "bl" SUBSEP r] > 0) {
							x = run[k SUBSEP "qc" SUBSEP r] / run[k SUBSEP "bl" SUBSEP r]
							if (lo == "" || x < lo) lo = x
							if (hi == "" || x > hi) hi = x
						}
					if (q == "" || b == "" || b == 0) printf "  NaN NaN NaN"
					else printf "  %.3f %.3f %.3f", q / b, (lo == "" ? q / b : lo), (hi == "" ? q / b : hi)
				}
				printf "\n"
			}
			cs = ""; for (j = 1; j <= nc; j++) cs = cs (j > 1 ? " " : "") cl[j]
			print cs > "/dev/stderr"
		}' "$res" >"$dat" 2>"$dir/throughput.clients"
	gp throughput "$CH_OUT/throughput.png" "dat=$dat" "clients=$(cat "$dir/throughput.clients")"
	;;
xmin_pin)
	sides=""
	for side in qc bl; do
		[ -s "$dir/$side.samples_fine" ] || continue
		t0=$(cat "$dir/$side.t0")
		# samples: t backlog sent dead bytes pinned xmin_age -> t consumed/s dead MB
		awk -F'\t' -v OFS='\t' 'BEGIN { print "# t_s consumed_msg_per_s dead_tuples table_index_MB backlog pinned sent_msg_per_s" }
			{ c = $3 - $2
			  if (NR > 1 && $1 > pt) { r = (c - pc) / ($1 - pt); p = ($3 - ps) / ($1 - pt) } else { r = "NaN"; p = "NaN" }
			  print $1, r, $4, $5 / 1048576, $2, $6, p; pc = c; pt = $1; ps = $3 }' \
			"$dir/$side.samples_fine" >"$dir/xmin_$side.dat"
		# pgbench --aggregate-interval=1: start n sum_lat sum_lat2 min max (us)
		cat "$dir/$side".consumer_1s.* 2>/dev/null | sort -n -k1,1 |
			awk -v t0="$t0" -v OFS='\t' 'BEGIN { print "# t_s calls_per_s ms_per_call max_ms" }
				NF >= 6 { print $1 + 0.5 - t0, $2, ($2 > 0 ? $3 / $2 / 1000 : "NaN"), ($2 > 0 ? $6 / 1000 : "NaN") }' \
			>"$dir/xmin_${side}_calls.dat"
		sides="$sides $side"
	done
	[ -n "$sides" ] || { echo "charts.sh: no samples_fine in $dir" >&2; exit 1; }
	# the pin: pgmq_c's times (the baseline's differ by milliseconds)
	for side in $sides; do
		if [ -s "$dir/$side.pin_times" ]; then
			read -r pin_from pin_to <"$dir/$side.pin_times"
			break
		fi
	done
	xmax=$(for side in $sides; do tail -n 1 "$dir/xmin_$side.dat"; done | awk '$1 > m {m = $1} END {print int(m + 0.999)}')
	gp xmin_pin "$CH_OUT/xmin_pin.png" "dir=$dir" "sides=${sides# }" \
		"pin_from=${pin_from:-NaN}" "pin_to=${pin_to:-NaN}" "xmax=$xmax"
	;;
wakeup)
	methods=""
	for m in read receive listen qnotify poll read_tx; do
		compgen -G "$dir/lat_${m}_r*.tsv" >/dev/null || continue
		# latency (ms) and the fraction of messages at or below it; values
		# <= 0.01 (down to negative ones: the consumer had the message
		# before the producer had its COMMIT reply) are put at 0.01 ms, off
		# the log axis, which starts at 0.05 ms: a curve starts at the left
		# edge at the fraction of messages at or below 0.05 ms
		cat "$dir"/lat_"${m}"_r*.tsv | cut -f2 | grep -v nan | sort -g |
			awk -v OFS='\t' '{ a[NR] = $1 } END { print "# latency_ms fraction"
				for (i = 1; i <= NR; i++) print (a[i] > 0.01 ? a[i] : 0.01), i / NR }' >"$dir/wakeup_$m.dat"
		methods="$methods $m"
	done
	[ -n "$methods" ] || { echo "charts.sh: no lat_*_r*.tsv in $dir" >&2; exit 1; }
	gp wakeup_cdf "$CH_OUT/wakeup_cdf.png" "dir=$dir" "methods=${methods# }"
	;;
*)
	echo "charts.sh: unknown chart $kind (throughput, xmin_pin, wakeup)" >&2
	exit 2
	;;
esac
