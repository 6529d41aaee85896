#!/usr/bin/env bash
#
# scripts/indent.sh - format src/ the way PostgreSQL's pgindent formats the
# server: pg_bsd_indent (Debian package pg-bsd-indent) with pgindent's
# options, and the typedefs it needs: ours (src/typedefs.list) and those of
# the PostgreSQL server headers, read from the installed headers.
#
#   bash scripts/indent.sh           rewrite src/**/*.{c,h} in place
#   bash scripts/indent.sh --check   change nothing; list files that would
#                                    change and exit 1 if any would
#
# pgindent also rewrites // comments and keeps "/* ---" comments as they
# are; the same small steps are done here before and after pg_bsd_indent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

check=0
[ "${1:-}" = --check ] && check=1

if ! command -v pg_bsd_indent >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y pg-bsd-indent >/dev/null
	else
		echo "pg_bsd_indent is missing: apt-get install pg-bsd-indent" >&2
		exit 1
	fi
fi

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# typedef names: ours, then every "typedef ... name;" and "} name;" of the
# server headers (what the buildfarm's typedef list would hold for them)
{
	grep -v '^#' src/typedefs.list
	echo bool
	grep -rhoE '^typedef[^;(]*[ *]([A-Za-z_][A-Za-z0-9_]*)[ \t]*;|^\}[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*;' \
		"$("$PG_CONFIG" --includedir-server)" |
		sed -E 's/.*[ *}\t]([A-Za-z_][A-Za-z0-9_]*)[ \t]*;$/\1/'
	grep -rhoE '^typedef[^;]*\(\*[ \t]*([A-Za-z_][A-Za-z0-9_]*)\)' \
		"$("$PG_CONFIG" --includedir-server)" |
		sed -E 's/.*\(\*[ \t]*([A-Za-z_][A-Za-z0-9_]*)\)$/\1/'
} | grep -vxE 'ANY|FD_SET|U|abs|allocfunc|boolean|date|digit|ilist|interval|iterator|other|pointer|printfunc|reference|string|timestamp|type|wrap' |
	sort -u >"$work/typedefs"

opts="-bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 -i4 -l79 -lp -lpl -nip -npro -sac -tpg -ts4"
changed=0
while IFS= read -r f; do
	# before: // comments become /* */; "/* ---" comments are left alone
	perl -0pe 's!^([ \t]*)//(.*)$!$1/* $2 */!gm; s!/\* +---!/*---X_X!g' "$f" >"$work/src.c"
	# shellcheck disable=SC2086
	if ! pg_bsd_indent $opts -U"$work/typedefs" "$work/src.c" "$work/out.c" 2>"$work/err" ||
		[ -s "$work/err" ]; then
		echo "pg_bsd_indent failed on $f:" >&2
		cat "$work/err" >&2
		exit 1
	fi
	# after: as pgindent, put the dash comments back, a tab between
	# run-together comments, one space before '*' of a return type
	perl -0pe 's!/\*---X_X!/* ---!g; s!\*/(/\*.*\*/)$!*/\t$1!gm; s!^([A-Za-z_]\S*)[ \t]+\*$!$1 *!gm' \
		"$work/out.c" >"$work/final.c"
	if ! cmp -s "$f" "$work/final.c"; then
		changed=1
		if [ "$check" = 1 ]; then
			echo "would change: $f"
		else
			cp "$work/final.c" "$f"
			echo "formatted: $f"
		fi
	fi
done < <(find src -name '*.[ch]' | sort)

[ "$check" = 1 ] && [ "$changed" = 1 ] && exit 1
exit 0
