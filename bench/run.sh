#!/bin/sh
# run.sh - every benchmark, in turn (make bench). Each prints its own table
# with ratios to a floor measured in the same run and keeps raw numbers in
# build/bench/. Noisy machines: each repeats (REPS/RUNS) and takes medians.
#   QUICK=1 bench/run.sh   smaller sizes, fewer repetitions, no networkx
set -eu
cd "$(dirname "$0")/.."
if [ "${QUICK:-}" = 1 ]; then
	export SIZES=100000 REPS=3 RUNS=3 TESTS=100000
fi
section() { printf '\n== %s\n' "$*"; }
section "histmerge vs xmllint --stream / zcat (bench/merge_bench.sh)"
bench/merge_bench.sh
section "plan quality vs the lower bound and LPT (bench/plan_quality.sh)"
if [ "${QUICK:-}" = 1 ]; then bench/plan_quality.sh --quick; else bench/plan_quality.sh; fi
section "histplan over a large history (bench/plan_bench.sh)"
bench/plan_bench.sh
section "plugin cost at collection (bench/plugin_collect.sh)"
bench/plugin_collect.sh
section "shards of the sample suite as they run (bench/plugin_balance.sh)"
bench/plugin_balance.sh
if [ "${QUICK:-}" != 1 ]; then
	section "shards of python3-networkx's tests as they run (bench/networkx_balance.sh)"
	bench/networkx_balance.sh
fi
