#!/bin/sh
# xdist_sched.sh - one shard under pytest -n 2: hist's longest-first xdist
# scheduler against xdist's --dist load, on a suite whose long tests are
# collected last (RUNS=, WORKERS= override). Needs build/bin/histmerge and
# histplan (make). Not part of make check: it measures, it does not assert.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "${PYTHON:-/usr/bin/python3}" "$here/xdist_sched.py"
