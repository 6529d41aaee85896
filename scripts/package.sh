#!/usr/bin/env bash
#
# scripts/package.sh - build the Debian package postgresql-15-pgmq-c (as
# root, on Debian 12) from debian/ with the standard PostgreSQL tooling:
# dpkg-buildpackage runs debian/rules, where dh's pgxs_loop sequence calls
# pg_buildext, which runs make, make install DESTDIR=... and make clean for
# each PostgreSQL version in debian/pgversions.  So the package holds exactly
# what "make install" installs: pgmq_c's library and bitcode and the control
# and SQL files of every extension in the Makefile (pgmq_c, pgmq_c_compat).
#
# It installs the build dependencies, builds in a copy of the working tree
# (uncommitted files included, build output, .git and test output left out)
# so that the checkout stays clean, and checks first that debian/changelog's
# upstream version is pgmq_c.control's default_version.  The .deb files
# (and the .buildinfo and .changes) go to $PGMQC_PACKAGE_DIR (default
# /tmp/pgmqc-package); the last line printed on stdout is the path of the
# postgresql-15-pgmq-c .deb.  Everything else goes to stderr; the build log
# is kept next to the .deb as build.log.
#
# Usage: bash scripts/package.sh
# Settings: PGMQC_PACKAGE_DIR, PGMQC_KEEP=1 keeps the build directory.
#
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
pgmqc_require_root

out=${PGMQC_PACKAGE_DIR:-/tmp/pgmqc-package}
build=

cleanup() {
	if [ -n "$build" ]; then
		if [ "${PGMQC_KEEP:-0}" = 1 ]; then
			pgmqc_log "kept $build"
		else
			rm -rf "$build"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pgmqc_install_deps debhelper postgresql-server-dev-all dpkg-dev fakeroot

cd "$PGMQC_ROOT"
[ -f debian/changelog ] || pgmqc_die "no debian/changelog in $PGMQC_ROOT"
source=$(dpkg-parsechangelog -S Source)
version=$(dpkg-parsechangelog -S Version)
upstream=${version%-*}
ext_version=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" pgmq_c.control)
[ "$upstream" = "$ext_version" ] ||
	pgmqc_die "debian/changelog says $version, pgmq_c.control's default_version is $ext_version"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

# A copy of the tree without .git, objects, libraries, bitcode or test
# output, so that nothing built here is packaged by mistake.
build=$(mktemp -d /tmp/pgmqc-pkgbuild.XXXXXX)
src=$build/$source-$upstream
mkdir "$src"
pgmqc_log "copying the tree to $src"
tar -C "$PGMQC_ROOT" --exclude=./.git --exclude='*.o' --exclude='*.so' \
	--exclude='*.bc' --exclude=./tmp_check --exclude=./tmp_check_iso \
	--exclude=./results --exclude=./output_iso --exclude=./log \
	--exclude=./regression.diffs --exclude=./regression.out \
	--exclude=./demo/pgmqc_demo --exclude='./debian/postgresql-*-pgmq-c' \
	--exclude=./debian/.debhelper --exclude=./debian/files \
	--exclude='./debian/*.substvars' --exclude='./debian/*debhelper*' \
	-cf - . | tar -C "$src" -xf -

# pg_buildext's make runs take MAKEFLAGS from the environment; a few jobs
# (the machine is shared).
jobs=$(nproc)
[ "$jobs" -le 8 ] || jobs=8
export MAKEFLAGS="-j$jobs"
pgmqc_log "dpkg-buildpackage -us -uc -b ($source $version, $arch, make -j$jobs)"
mkdir -p "$out"
log=$out/build.log
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	pgmqc_die "dpkg-buildpackage failed (whole log: $log)"
fi

deb=
for f in "$build"/*.deb "$build"/*.ddeb "$build"/*.buildinfo "$build"/*.changes; do
	[ -e "$f" ] || continue
	rm -f "$out/$(basename "$f")"
	mv "$f" "$out/"
	case $(basename "$f") in
	postgresql-*-pgmq-c_"${version}_$arch".deb) deb=$out/$(basename "$f") ;;
	esac
done
[ -n "$deb" ] || pgmqc_die "dpkg-buildpackage made no postgresql-*-pgmq-c .deb (log: $log)"
pgmqc_log "built $(basename "$deb"):"
dpkg-deb -c "$deb" | awk '
	$NF ~ /\/$/ { next }
	$NF ~ /\/bitcode\/.*\.bc$/ { bc++; next }
	{ print "    " $NF }
	END { if (bc) print "    and " bc " bitcode files" }' >&2
echo "$deb"
