#!/bin/sh
# build-deb.sh - builds hist's Debian packages (libhist0, libhist-dev,
# hist-tools, python3-pytest-hist) from a scratch copy of the tracked files,
# so the source tree gets no build output, and leaves the .debs in OUTDIR.
#   scripts/build-deb.sh [OUTDIR]        (default build/deb)
# Needs debian/control's Build-Depends: `apt-get build-dep ./` from the
# repository root installs them. DEB_BUILD_OPTIONS=nocheck skips the tests.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build/deb}
version=$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/hist-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/hist-$version"
(cd "$here" && git ls-files -z | tar --null --no-recursion -T - -cf -) | tar -xf - -C "$work/hist-$version"
(cd "$work/hist-$version" && dpkg-buildpackage -us -uc -b)
mkdir -p "$out"
for f in "$work"/*.deb; do
	cp "$f" "$out/"
	echo "$out/$(basename "$f")"
done
