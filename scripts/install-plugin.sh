#!/bin/sh
# install-plugin.sh - installs or removes the pytest plugin (package
# pytest_hist and a dist-info whose pytest11 entry point makes pytest load it).
#   scripts/install-plugin.sh install|uninstall DESTDIR PREFIX PYTHON
# The directory is the one PYTHON searches for that PREFIX: on Debian
# /usr/lib/python3/dist-packages for /usr and
# /usr/local/lib/python3.X/dist-packages for /usr/local; any other PREFIX
# gets PREFIX/lib/python3.X/site-packages, which PYTHONPATH must then name.
set -eu
usage() { echo "usage: $0 install|uninstall DESTDIR PREFIX PYTHON" >&2; exit 2; }
[ $# -eq 4 ] || usage
action=$1 destdir=$2 prefix=$3 python=$4
case $action in install|uninstall) ;; *) usage ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^#define HIST_VERSION_STRING *"\(.*\)"/\1/p' "$here/lib/hist.h")
[ -n "$version" ] || { echo "$0: no HIST_VERSION_STRING in lib/hist.h" >&2; exit 1; }

site=$("$python" - "$prefix" <<'PY'
import sys, sysconfig
prefix = sys.argv[1].rstrip("/") or "/"
schemes = sysconfig.get_scheme_names()
ver = "%d.%d" % sys.version_info[:2]
if prefix == "/usr" and "deb_system" in schemes:
    print(sysconfig.get_path("purelib", "deb_system", vars={"base": prefix, "platbase": prefix}))
elif prefix == "/usr/local" and "posix_local" in schemes:
    print(prefix + "/lib/python" + ver + "/dist-packages")
else:
    print(sysconfig.get_path("purelib", "posix_prefix", vars={"base": prefix, "platbase": prefix}))
PY
)
target=$destdir$site
distinfo=$target/pytest_hist-$version.dist-info

if [ "$action" = uninstall ]; then
	rm -rf "$target/pytest_hist"
	for d in "$target"/pytest_hist-*.dist-info; do
		[ -d "$d" ] && rm -rf "$d"
	done
	exit 0
fi

install -d "$target/pytest_hist" "$distinfo"
files=
for f in "$here"/plugin/pytest_hist/*.py; do
	install -m 644 "$f" "$target/pytest_hist/"
	files="$files pytest_hist/$(basename "$f")"
done
cat > "$distinfo/METADATA" <<META
Metadata-Version: 2.1
Name: pytest-hist
Version: $version
Summary: Run one shard of a hist plan; record pytest results for hist
License: see the hist source
Requires-Dist: pytest (>=7.2)
META
printf '[pytest11]\nhist = pytest_hist.plugin\n' > "$distinfo/entry_points.txt"
printf 'pytest_hist\n' > "$distinfo/top_level.txt"
printf 'hist-make-install\n' > "$distinfo/INSTALLER"
{
	for f in $files METADATA entry_points.txt top_level.txt INSTALLER RECORD; do
		case $f in pytest_hist/*) echo "$f,," ;; *) echo "pytest_hist-$version.dist-info/$f,," ;; esac
	done
} > "$distinfo/RECORD"
chmod 644 "$distinfo"/*
[ "$prefix" = /usr ] || [ "$prefix" = /usr/local ] || \
	echo "$0: installed in $site; add it to PYTHONPATH for pytest to find the plugin" >&2
