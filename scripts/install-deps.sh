#!/bin/sh
# install-deps.sh - installs the Debian 12 packages hist needs to build, test,
# fuzz and demo, when any is missing (chromium-headless-shell renders
# histstats --html in make check, and groff-base's groff renders the man
# pages in make check-man; those checks skip without them). Needs root (or
# sudo) only then.
set -eu
pkgs="build-essential pkg-config libxml2-dev libxml2-utils zlib1g-dev libsqlite3-dev sqlite3
libxxhash-dev check clang libclang-rt-14-dev python3 python3-pytest python3-pytest-xdist
python3-pytest-rerunfailures python3-hypothesis python3-setuptools python3-wheel python3-yaml git
chromium-headless-shell groff-base"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $missing
