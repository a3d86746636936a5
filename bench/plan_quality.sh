#!/bin/sh
# plan_quality.sh - how close plans come to the lower bound.
# Builds bench/plan_quality.c against the static library and prints, for
# generated suites (log-normal durations, 1,000 to 100,000 tests, 2 to 64
# shards), the lower bound max(total / N, longest test), plain LPT and hist,
# each as predicted makespan and percent over the bound. Exits 1 if hist is
# ever worse than LPT. The table goes to build/bench/plan_quality.txt too.
#   bench/plan_quality.sh [--quick]
set -eu
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
make -s build/libhist.a
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Ilib -o "$out/plan_quality" bench/plan_quality.c build/libhist.a \
	$(pkg-config --libs libxml-2.0 zlib sqlite3 libxxhash) -lm
# Not through a pipe: its status would be tee's, not plan_quality's.
status=0
"$out/plan_quality" "$@" >"$out/plan_quality.txt" || status=$?
cat "$out/plan_quality.txt"
exit $status
