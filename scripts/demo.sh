#!/bin/sh
# demo.sh - the whole hist loop on the bundled sample suite (`make demo`):
# a serial run recorded with --hist-report, histmerge; then the suite
# changes (a test added, one removed, a new file), histplan --shards 3 plans
# the tree as collected now, the three shards run, and histmerge --plan
# stores their reports and checks that every test ran exactly once;
# histstats --plans shows each shard predicted against actual, and
# histstats --html writes build/demo/report.html.
# Works in build/demo; leaves nothing elsewhere.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/build/bin
python=${PYTHON:-/usr/bin/python3}
work=$here/build/demo
shards=3

for t in histmerge histplan histstats; do
	[ -x "$bin/$t" ] || { echo "demo: $bin/$t is missing: run make first" >&2; exit 1; }
done
rm -rf "$work"
mkdir -p "$work"
cp -R "$here/fixtures/sample_suite" "$work/suite"
db=$work/history.db
cd "$work/suite"

# Only the plugins named here, so an installed copy of hist cannot clash.
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
export PYTHONPATH="$here/plugin${PYTHONPATH:+:$PYTHONPATH}"
unset HIST_SAMPLE_EVOLVED HIST_SAMPLE_SCALE
run_pytest() { "$python" -m pytest -p pytest_hist.plugin -p no:cacheprovider "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

echo "== 1. serial run of the sample suite, recorded with --hist-report"
t0=$(now)
run_pytest -q --hist-report "$work/serial.jsonl.gz" | tail -1
serial=$(since "$t0")
echo "   wall ${serial} s"

echo "== 2. histmerge"
"$bin/histmerge" --db "$db" --run-id demo-serial "$work/serial.jsonl.gz"

echo "== 3. the suite changes (HIST_SAMPLE_EVOLVED=1); histplan --shards $shards --preview plans it as collected now"
export HIST_SAMPLE_EVOLVED=1
run_pytest --collect-only -q | grep '::' > "$work/tests.txt"
"$bin/histplan" --db "$db" --shards "$shards" --tests "$work/tests.txt" --out shards --preview

echo "== 4. the $shards shards run"
walls=
for k in $(seq 1 "$shards"); do
	echo "-- shard $k/$shards"
	t0=$(now)
	run_pytest -q --shard-file="shards/shard-$k.txt" --hist-report="$work/r$k.jsonl.gz"
	w=$(since "$t0")
	walls="$walls $w"
	echo "   shard $k wall ${w} s"
done

echo "== 5. histmerge --plan: store the shard reports, check every test ran exactly once"
"$bin/histmerge" --db "$db" --run-id demo-shards --plan shards "$work"/r*.jsonl.gz

echo "== 6. histstats --plans sets each shard's prediction beside its wall time; --html draws the history"
"$bin/histstats" --db "$db" --plans --top 1
"$bin/histstats" --db "$db" --html "$work/report.html"

echo "== summary"
printf '%-8s %12s %10s\n' shard predicted actual
k=0
for w in $walls; do
	k=$((k + 1))
	pred=$(sed -n 's/^# predicted \([0-9.]*\) s.*/\1/p' "shards/shard-$k.txt")
	printf '%-8s %10s s %8s s\n' "$k/$shards" "${pred:-?}" "$w"
done
echo "$walls" | awk -v s="$serial" '{ m = 0; t = 0; for (i = 1; i <= NF; i++) { t += $i; if ($i > m) m = $i }
	printf "serial %.2f s; shards: slowest %.2f s, mean %.2f s, slowest/mean %.2f\n", s, m, t / NF, m / (t / NF) }'
echo "(all files are in $work)"
