#!/bin/sh
# plugin_balance.sh - balance of hist's shards of the sample suite against
# equal-count chunks in collection order, N = 3 and 4 (RUNS=, SHARDS=
# override). Needs build/bin/histmerge and histplan (make).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "${PYTHON:-/usr/bin/python3}" "$here/plugin_balance.py"
