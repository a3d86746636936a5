#!/bin/sh
# install-plugin.sh - installs or removes the pytest plugin: the wheel that
# plugin/pyproject.toml describes (package pytest_hist and its dist-info,
# whose pytest11 entry point makes pytest load it), built offline with
# setuptools' PEP 517 backend and unpacked, as pip would, into the
# directory PYTHON searches for PREFIX.
#   scripts/install-plugin.sh install|uninstall DESTDIR PREFIX PYTHON
# On Debian that is /usr/lib/python3/dist-packages for /usr and
# /usr/local/lib/python3.X/dist-packages for /usr/local; any other PREFIX
# gets PREFIX/lib/python3.X/site-packages, which PYTHONPATH must then name.
# Where pip is used, `pip install plugin/` installs the same wheel.
set -eu
usage() { echo "usage: $0 install|uninstall DESTDIR PREFIX PYTHON" >&2; exit 2; }
[ $# -eq 4 ] || usage
action=$1 destdir=$2 prefix=$3 python=$4
case $action in install|uninstall) ;; *) usage ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)

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

if [ "$action" = uninstall ]; then
	rm -rf "$target/pytest_hist"
	for d in "$target"/pytest_hist-*.dist-info; do
		[ -d "$d" ] && rm -rf "$d"
	done
	exit 0
fi

# Build from a copy, so the source tree gets no build/ or egg-info.
work=$(mktemp -d "${TMPDIR:-/tmp}/hist-plugin.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/dist"
cp "$here/plugin/pyproject.toml" "$work/src/"
cp -R "$here/plugin/pytest_hist" "$work/src/"
rm -rf "$work/src/pytest_hist/__pycache__"
(cd "$work/src" && "$python" -c '
import sys
import setuptools.build_meta as backend
print(backend.build_wheel(sys.argv[1]))' "$work/dist") >"$work/build.log" 2>&1 || {
	cat "$work/build.log" >&2
	echo "$0: building the plugin wheel failed (needs setuptools >= 61 and wheel)" >&2
	exit 1
}
"$python" - "$work"/dist/*.whl "$target" <<'PY'
# Unpack as an installer does (PEP 427): files where the wheel names them,
# then INSTALLER, listed in RECORD.
import os, sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    for name in names:
        if name.startswith("/") or ".." in name.split("/"):
            sys.exit("%s: unsafe path in wheel: %s" % (wheel, name))
    z.extractall(target)
info = [n.split("/")[0] for n in names if n.endswith(".dist-info/RECORD")][0]
with open(os.path.join(target, info, "INSTALLER"), "w") as f:
    f.write("hist-make-install\n")
record = os.path.join(target, info, "RECORD")
with open(record) as f:
    lines = f.read().splitlines()
with open(record, "w") as f:
    f.write("".join(line + "\n" for line in lines + [info + "/INSTALLER,,"]))
for root, dirs, files in os.walk(target):
    for d in dirs:
        os.chmod(os.path.join(root, d), 0o755)
    for n in files:
        os.chmod(os.path.join(root, n), 0o644)
PY
[ "$prefix" = /usr ] || [ "$prefix" = /usr/local ] || \
	echo "$0: installed in $site; add it to PYTHONPATH for pytest to find the plugin" >&2
