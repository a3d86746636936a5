#!/bin/sh
# run.sh - every benchmark, in turn (make bench). Each prints its own table
# with ratios to a floor measured in the same run and keeps raw numbers in
# build/bench/. Noisy machines: each repeats (REPS/RUNS) and takes medians.
#   QUICK=1 bench/run.sh   smaller sizes, fewer repetitions, no networkx
set -eu
cd "$(dirname "$0")/.."
if [ "${QUICK:-}" = 1 ]; then
	export SIZES="10000 100000" REPS=3 RUNS=3 TESTS=100000
fi
section() { printf '\n== %s\n' "$*"; }
section "histplan and histmerge against their floors (bench/perf_table.py)"
bench/perf_table.py
section "plan quality vs the lower bound and LPT (bench/plan_quality.sh)"
if [ "${QUICK:-}" = 1 ]; then bench/plan_quality.sh --quick; else bench/plan_quality.sh; fi
section "plugin cost at collection (bench/plugin_collect.sh)"
bench/plugin_collect.sh
section "shards of the sample suite as they run (bench/plugin_balance.sh)"
bench/plugin_balance.sh
if [ "${QUICK:-}" != 1 ]; then
	section "shards of python3-networkx's tests as they run (bench/networkx_balance.sh)"
	bench/networkx_balance.sh
fi
