#!/bin/sh
# plan_bench.sh - histplan over a large history: by default --shards 64 over
# 1,000,000 tests x 5 runs (the target: at most 2 s wall, 500 MiB peak RSS,
# median of 5). The history is generated once by bench/plan_gen.c through
# libhist's store and kept in build/bench. The floor is SQLite alone
# reading every result of the history once (sqlite3 shell, one table scan).
# Raw numbers: build/bench/plan.tsv (name, median s, median MiB, walls, RSS).
#   bench/plan_bench.sh              REPS=5 TESTS=1000000 RUNS=5 SHARDS=64
set -eu
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
TESTS=${TESTS:-1000000}
RUNS=${RUNS:-5}
SHARDS=${SHARDS:-64}
out=build/bench
mkdir -p "$out"
make -s all >/dev/null
# plan_gen writes through the private store API, so it links the static
# library (hidden symbols link statically) with the library's own flags.
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Ilib -o "$out/plan_gen" bench/plan_gen.c build/libhist.a \
	$(pkg-config --libs libxml-2.0 zlib sqlite3 libxxhash) -lm
db=$out/plan-$TESTS-$RUNS.db
[ -s "$db" ] || "$out/plan_gen" "$db" "$TESTS" "$RUNS" 2>/dev/null
raw=$out/plan.tsv
: >"$raw"
bench/measure.py sqlite-scan "$REPS" -- sqlite3 "$db" "SELECT count(*), sum(duration_us) FROM results" >>"$raw"
bench/measure.py "histplan-$SHARDS" "$REPS" --before "rm -rf $out/shards" -- \
	build/bin/histplan -q --db "$db" --shards "$SHARDS" --out "$out/shards" >>"$raw"
bench/measure.py "histplan-$SHARDS-dry-run" "$REPS" -- \
	build/bin/histplan -q --db "$db" --shards "$SHARDS" --dry-run >>"$raw"
echo "history: $TESTS tests x $RUNS runs ($(du -m "$db" | cut -f1) MiB), $SHARDS shards, median of $REPS"
awk -F'\t' '
	NR == 1 { floor = $2 }
	{ printf "%-24s %9.3f s %9.1f MiB %8s\n", $1, $2, $3, NR == 1 ? "floor" : sprintf("%.2fx", $2 / floor) }' "$raw"
echo "raw numbers: $raw"
