#!/usr/bin/env bash
#
# scripts/test.sh - one command from a fresh Debian 12 machine (as root) to
# every pgmq_c test: installs the dependencies, builds and installs the
# extension, then, as an unprivileged user in a copy of the tree, runs
#
#   pg_regress           REGRESS   (against a throwaway cluster, pgmq_c preloaded)
#   pg_isolation_regress ISOLATION (same cluster)
#   prove                PROVE_TESTS (TAP; each test starts its own clusters)
#
# the way PGXS's "make installcheck" would, with the test lists read from the
# Makefile, after a build in which every compiler warning is an error and a
# check that src/ is pgindent-formatted (counted as one test), and at the end
# scripts/package-test.sh (the Debian package built, installed with dpkg -i
# in place of the source install, the demo run against it, the source
# install restored; counted as one test).  Counts: one per pg_regress test,
# one per isolation spec, one per TAP assertion (a TAP file that dies or
# misses its plan adds failures).
# The last line printed is "N passed, N failed"; the exit status is non-zero
# if anything failed or could not run.
#
# Settings: PGMQC_TEST_BUDGET seconds for all suites (default 1680),
# PGMQC_KEEP=1 keeps the temporary tree and cluster, PROVE_FLAGS as in PGXS
# (default -j<CPUs, at most 4>: the TAP files run side by side, each on
# clusters and ports of its own; they mostly wait, for a crash, a standby
# or a timer, so two at once take half the time on this 2-core machine).
#
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
pgmqc_require_root

passed=0
failed=0
work=
suite_pid=
finished=0
deadline=$((SECONDS + ${PGMQC_TEST_BUDGET:-1680}))

# On any exit: stop the cluster, drop the copy, and make sure the last line
# is still the count even when set-up failed half-way.
cleanup() {
	local rc=$?
	if [ -n "$suite_pid" ]; then
		# runuser passes the TERM on to timeout, which signals its whole
		# process group (the suite and everything it started).
		kill -TERM "$suite_pid" 2>/dev/null || true
		wait "$suite_pid" 2>/dev/null || true
	fi
	pgmqc_stop_cluster
	if [ -n "$work" ] && [ "${PGMQC_KEEP:-0}" != 1 ]; then
		rm -rf "$work"
	fi
	if [ "$finished" = 0 ]; then
		[ "$rc" = 0 ] && rc=1
		echo "$passed passed, $((failed + 1)) failed"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Seconds a suite may take: what is left of the budget, at most $1.
suite_timeout() {
	local left=$((deadline - SECONDS))
	[ "$left" -gt "$1" ] && left=$1
	[ "$left" -lt 60 ] && left=60
	echo "$left"
}

# run_logged OUT LIMIT CMD...: run CMD as the unprivileged user for at most
# LIMIT seconds, output to OUT and to our stdout; status in $suite_rc.  It
# runs in the background so that a signal reaches our trap at once.
run_logged() {
	local out=$1 limit=$2 tail_pid
	shift 2
	suite_rc=0
	# made first, so that tail finds it even if it starts before the suite
	: >"$out"
	# runuser directly (not the function) so that $! is its pid
	runuser -u "$PGMQC_USER" -- timeout -k 30 "$limit" "$@" >"$out" 2>&1 &
	suite_pid=$!
	tail -n +1 -f --pid="$suite_pid" "$out" &
	tail_pid=$!
	wait "$suite_pid" || suite_rc=$?
	suite_pid=
	wait "$tail_pid" || true
	[ "$suite_rc" -ne 124 ] || pgmqc_log "timed out after $limit s"
}

# Value of a Makefile variable, as PGXS sees it.
makevar() {
	# shellcheck disable=SC2016 # $($*) is for make, not the shell
	make -s --no-print-directory PG_CONFIG="$PGMQC_PGBIN/pg_config" \
		--eval='print-%: ; @echo $($*)' "print-$1"
}

# run_regress LABEL DRIVER OUTDIR "OPTS" "TESTS": one pg_regress-style suite.
run_regress() {
	local label=$1 driver=$2 outdir=$3 opts tests rc ok bad n
	read -r -a opts <<<"$4"
	read -r -a tests <<<"$5"
	n=${#tests[@]}
	if [ "$n" -eq 0 ]; then
		pgmqc_log "$label: no tests"
		return
	fi
	pgmqc_log "$label: $n tests"
	run_logged "$work/$label.out" "$(suite_timeout 600)" "$driver" \
		--inputdir=. --outputdir="$outdir" --bindir="$PGMQC_PGBIN" \
		--host="$PGHOST" --port="$PGPORT" --user="$PGUSER" \
		"${opts[@]}" "${tests[@]}"
	rc=$suite_rc
	# PG15 prints "test NAME ... ok" / "... FAILED" (indented in groups).
	ok=$(grep -cE '^(test)? +[^ ]+ +\.\.\. ok' "$work/$label.out" || true)
	bad=$(grep -cE '^(test)? +[^ ]+ +\.\.\. (FAILED|failed)' \
		"$work/$label.out" || true)
	if [ "$rc" -ne 0 ] && [ $((ok + bad)) -lt "$n" ]; then
		pgmqc_log "$label: exit status $rc, $((n - ok - bad)) tests did not run"
		bad=$((n - ok))
	elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		pgmqc_log "$label: exit status $rc"
		bad=1
	fi
	if [ -s "$outdir/regression.diffs" ]; then
		echo "---- $label: first 200 lines of regression.diffs ----"
		head -n 200 "$outdir/regression.diffs"
		echo "---- end of $label diffs ----"
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

# run_tap: prove over PROVE_TESTS, with the environment of PGXS's
# prove_installcheck; counts are taken from prove's summary.
run_tap() {
	local files=() f rc counts total fails extra jobs flags
	[ -n "$(makevar TAP_TESTS)" ] || { pgmqc_log "TAP: not enabled"; return; }
	shopt -s nullglob
	# shellcheck disable=SC2207 # PROVE_TESTS is a glob, expand it here
	files=($(makevar PROVE_TESTS))
	shopt -u nullglob
	if [ ${#files[@]} -eq 0 ]; then
		pgmqc_log "TAP: no tests"
		return
	fi
	jobs=$(nproc 2>/dev/null || echo 1)
	[ "$jobs" -le 4 ] || jobs=4
	flags=${PROVE_FLAGS--j$jobs}
	pgmqc_log "TAP: ${#files[@]} files (prove ${flags:-without flags})"
	pgmqc_as_user rm -rf tmp_check
	pgmqc_as_user mkdir tmp_check
	# shellcheck disable=SC2086 # the flags are a list of words
	run_logged "$work/tap.out" "$(suite_timeout 100000)" \
		env -u PGHOST -u PGUSER -u PGDATABASE \
		TESTDIR="$work" PATH="$PGMQC_PGBIN:$work:$PATH" PGPORT=65432 \
		PG_REGRESS="$PGMQC_PGXS/src/test/regress/pg_regress" \
		prove -I "$PGMQC_PGXS/src/test/perl/" -I . -I test/t \
		$flags "${files[@]}"
	rc=$suite_rc
	# "Files=F, Tests=N" is the total; in the "Test Summary Report" each
	# "FILE (Wstat: W Tests: T Failed: X)" adds X failures, plus the tests a
	# bad plan left out, or one when the file died without failing a test.
	counts=$(awk '
		function flush() {
			if (file != "") {
				fails += f
				if (missing > 0) extra += missing
				else if (f == 0 && (w != 0 || perr)) extra += 1
			}
			file = ""
		}
		/ \(Wstat: [0-9]+.* Tests: [0-9]+ Failed: [0-9]+\)$/ {
			flush(); file = $1; perr = 0; missing = 0
			match($0, /Wstat: [0-9]+/); w = substr($0, RSTART + 7, RLENGTH - 7) + 0
			match($0, /Failed: [0-9]+\)$/); f = substr($0, RSTART + 8, RLENGTH - 9) + 0
			next
		}
		file != "" && /^  Parse errors:/ {
			perr = 1
			if (match($0, /planned [0-9]+ tests but ran [0-9]+/)) {
				split(substr($0, RSTART, RLENGTH), a, " ")
				missing = a[2] - a[6]
			}
		}
		/^Files=[0-9]+, Tests=[0-9]+/ {
			flush(); match($0, /Tests=[0-9]+/)
			total = substr($0, RSTART + 6, RLENGTH - 6) + 0; seen = 1
		}
		END { flush(); print (seen ? total : -1), fails + 0, extra + 0 }
	' "$work/tap.out")
	read -r total fails extra <<<"$counts"
	if [ "$total" -lt 0 ]; then
		pgmqc_log "TAP: prove gave no summary (exit status $rc)"
		failed=$((failed + 1))
		return
	fi
	if [ "$rc" -ne 0 ] && [ $((fails + extra)) -eq 0 ]; then
		pgmqc_log "TAP: prove exit status $rc"
		extra=1
	fi
	# The end of the server/test log of each file in the summary report.
	awk '/ \(Wstat: [0-9]+/ { print $1 }' "$work/tap.out" | while read -r f; do
		f=tmp_check/log/regress_log_$(basename "$f" .pl)
		[ -e "$f" ] || continue
		echo "---- last 40 lines of $f ----"
		tail -n 40 "$f"
	done
	passed=$((passed + total - fails))
	failed=$((failed + fails + extra))
}

# run_package_test: scripts/package-test.sh, as root (it installs and
# purges a package), counted as one test; whatever happens, the source
# install is there afterwards for whoever runs next.
run_package_test() {
	local out=$work/package.out tail_pid rc=0
	pgmqc_log "package: scripts/package-test.sh"
	: >"$out" # there before tail follows it
	timeout -k 30 "$(suite_timeout 900)" \
		bash "$PGMQC_ROOT/scripts/package-test.sh" >"$out" 2>&1 &
	suite_pid=$!
	tail -n +1 -f --pid="$suite_pid" "$out" &
	tail_pid=$!
	wait "$suite_pid" || rc=$?
	suite_pid=
	wait "$tail_pid" || true
	if [ "$rc" -eq 0 ] && [ "$(tail -n 1 "$out")" = "package test: ok" ]; then
		passed=$((passed + 1))
	else
		[ "$rc" -ne 124 ] || pgmqc_log "package: timed out"
		pgmqc_log "package: scripts/package-test.sh failed (exit status $rc)"
		failed=$((failed + 1))
		bash "$PGMQC_ROOT/scripts/package-test.sh" --restore ||
			pgmqc_log "package: could not restore the source install"
	fi
}

pgmqc_install_deps
# the test build treats every compiler warning as an error
PGMQC_WERROR=1 pgmqc_build_install
pgmqc_user

# one check of its own: src/ is in pgindent style (scripts/indent.sh)
if bash "$PGMQC_ROOT/scripts/indent.sh" --check; then
	passed=$((passed + 1))
else
	pgmqc_log "src/ is not pgindent-formatted: run bash scripts/indent.sh"
	failed=$((failed + 1))
fi

# A copy of the tree (no .git, no earlier test output) owned by the user,
# since tests write results there and initdb/TAP refuse to run as root.
work=$(mktemp -d /tmp/pgmqc-test.XXXXXX)
tar -C "$PGMQC_ROOT" --exclude=./.git --exclude=./tmp_check \
	--exclude=./tmp_check_iso --exclude=./results --exclude=./output_iso \
	--exclude=./log --exclude=./regression.diffs --exclude=./regression.out \
	-cf - . | tar -C "$work" -xf -
chown -R "$PGMQC_USER:" "$work"
chmod 755 "$work"
cd "$work"

regress=$(makevar REGRESS)
isolation=$(makevar ISOLATION)
if [ -n "$regress$isolation" ]; then
	pgmqc_start_cluster
	cd "$work"
	run_regress regress "$PGMQC_PGXS/src/test/regress/pg_regress" . \
		"$(makevar REGRESS_OPTS)" "$regress"
	run_regress isolation "$PGMQC_PGXS/src/test/isolation/pg_isolation_regress" \
		output_iso "$(makevar ISOLATION_OPTS)" "$isolation"
	pgmqc_stop_cluster # TAP tests start their own clusters
fi
run_tap
run_package_test

finished=1
pgmqc_stop_cluster
[ -z "$work" ] || [ "${PGMQC_KEEP:-0}" = 1 ] || rm -rf "$work"
work=
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
