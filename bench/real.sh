#!/bin/sh
# real.sh - balance as the shards really run, on a real suite (make bench-real).
#
# The suite: the tests Debian's python3-networkx ships (apt-get install -y
# python3-networkx), run from a private copy under build/bench/real/ so that
# nodeids are rootdir-relative and the plugin can skip files at collection.
#
#   1. SERIAL_RUNS serial runs (default 2) with --hist-report, merged into a
#      fresh history, one run each;
#   2. for each round (ROUNDS, default 3) and each N in SHARDS (default
#      "2 4 8"): histplan --shards N --tests (the collected suite), then every
#      shard really runs, one after another, each a fresh pytest process (a CI
#      job), wall time measured from outside, collection included; then the
#      same N with pytest-split (least_duration and duration_based_chunks)
#      over the durations the history holds at the start of the round
#      (histstats --export-durations);
#   3. after each round the hist shards' reports are merged back (one run per
#      plan, as histmerge does for a pipeline), so the next round plans from
#      what the shards really did.
#
#   4. the noise floor: every hist shard of the last round runs once more
#      (REPEAT=0 skips it), the same plan on the same machine, so the
#      report can say how far one shard's wall moves between two runs of
#      exactly the same work, next to the 5% the prediction is held to.
#      Their reports go to repeats/, never into the history.
#
# SPLIT_ALGOS picks pytest-split's algorithms (default: both).
# HISTPLAN_ARGS adds options to every histplan (e.g. "--estimator auto").
# pytest-split comes from PYTEST_SPLIT: a directory holding the pytest_split
# package, or a checkout with it under src/ (never part of this repository);
# unset or absent, its columns are skipped with a message.
#
# Output: build/bench/real.md and build/bench/real.json (bench/real_report.py),
# raw shard walls in build/bench/real/runs.tsv with the 1-minute load
# average before and after each process (the report flags loaded shards). Runs at normal priority on
# one core per process (timing is the point): run it on a quiet machine.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PY=${PYTHON:-/usr/bin/python3}
SHARDS=${SHARDS:-2 4 8}
ROUNDS=${ROUNDS:-3}
SERIAL_RUNS=${SERIAL_RUNS:-2}
# pytest-split's algorithms to run beside hist (a shorter bench: one of them).
SPLIT_ALGOS=${SPLIT_ALGOS:-least_duration duration_based_chunks}
# A sub-tree of the suite, for a quick look (default: all of networkx).
SUITE_PATH=${SUITE_PATH:-networkx}
bench=$root/build/bench
work=$bench/real
src=$($PY -c 'import networkx, os; print(os.path.dirname(networkx.__file__))' 2>/dev/null) || {
	echo "real.sh: python3-networkx is not installed (apt-get install -y python3-networkx)" >&2
	exit 1
}
split_path=
if [ -n "${PYTEST_SPLIT:-}" ]; then
	for d in "$PYTEST_SPLIT/src" "$PYTEST_SPLIT"; do
		if [ -f "$d/pytest_split/plugin.py" ]; then split_path=$(cd "$d" && pwd); break; fi
	done
fi
if [ -z "$split_path" ]; then
	echo "real.sh: PYTEST_SPLIT unset or holds no pytest_split package: pytest-split columns skipped" >&2
fi

rm -rf "$work"
mkdir -p "$work/suite" "$work/reports"
cp -r "$src" "$work/suite/networkx"
rm -rf "$work/suite/networkx/__pycache__"
export PATH="$root/build/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
base_pp="$root/plugin"
runs=$work/runs.tsv
printf 'round\tshards\tmethod\tshard\twall\tpredicted\texit\treport\tload_start\tload_end\tcpu\n' >"$runs"
{
	printf 'start\t%s\t%s\n' "$(date -u +%FT%TZ)" "$(uptime)"
	printf 'python\t%s\n' "$($PY -c 'import sys, pytest, networkx; print(sys.version.split()[0], "pytest", pytest.__version__, "networkx", networkx.__version__)')"
	printf 'commit\t%s\n' "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	printf 'pytest_split\t%s\n' "${split_path:-absent}"
	printf 'histplan_args\t%s\n' "${HISTPLAN_ARGS:-none}"
	printf 'nproc\t%s\n' "$(nproc)"
} >"$work/meta.tsv"
cd "$work/suite"

now() { date +%s.%N; }
# The 1-minute load average (uptime's first figure): the report flags the
# shards that ran while something else used the machine.
load() { cut -d' ' -f1 /proc/loadavg; }
# The process's CPU time (user + system), where /usr/bin/time (Debian's
# "time") is installed: a wall far above it is time spent waiting for a
# core that other work held.
timer=
if [ -x /usr/bin/time ]; then timer=/usr/bin/time; fi
# One pytest process as a CI job runs it; its wall from outside, and the
# load before and after it.
job() {
	pp=$1
	shift
	l0=$(load)
	rm -f "$work/cpu"
	t0=$(now)
	set +e
	if [ -n "$timer" ]; then
		PYTHONPATH="$pp" "$timer" -f '%U %S' -o "$work/cpu" $PY -m pytest -q -p no:cacheprovider "$@" >"$work/last.log" 2>&1
	else
		PYTHONPATH="$pp" $PY -m pytest -q -p no:cacheprovider "$@" >"$work/last.log" 2>&1
	fi
	rc=$?
	set -e
	t1=$(now)
	l1=$(load)
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	cpu=
	if [ -s "$work/cpu" ]; then cpu=$(awk 'NF == 2 { printf "%.2f", $1 + $2 }' "$work/cpu"); fi
	# 0 passed, 1 some failed: both are a run; anything else is broken.
	if [ $rc -gt 1 ]; then
		echo "real.sh: pytest $* exited $rc:" >&2
		tail -20 "$work/last.log" >&2
		exit 1
	fi
}

hist_opts="-p pytest_hist.plugin"
for i in $(seq "$SERIAL_RUNS"); do
	echo "serial run $i/$SERIAL_RUNS..." >&2
	job "$base_pp" $hist_opts "$SUITE_PATH" "--hist-report=$work/reports/serial-$i.jsonl.gz"
	printf '0\t1\tserial\t1\t%s\t\t%s\t%s\t%s\t%s\t%s\n' "$wall" "$rc" "reports/serial-$i.jsonl.gz" "$l0" "$l1" "$cpu" >>"$runs"
	histmerge -q --db "$work/h.db" --run-id "serial-$i" "$work/reports/serial-$i.jsonl.gz"
done
PYTHONPATH="$base_pp" $PY -m pytest -q -p no:cacheprovider --collect-only "$SUITE_PATH" >"$work/tests.txt" 2>/dev/null

for r in $(seq "$ROUNDS"); do
	if [ -n "$split_path" ]; then
		histstats --db "$work/h.db" --export-durations "$work/durations-$r.json"
	fi
	for n in $SHARDS; do
		echo "round $r/$ROUNDS, $n shards..." >&2
		out=shards-$r-$n
		histplan -q --db "$work/h.db" --tests "$work/tests.txt" --shards "$n" --out "$out" ${HISTPLAN_ARGS:-}
		cp "$out/plan.json" "$work/plan-$r-$n.json"
		# Shard k's predicted seconds on line k: emit.c writes one shard
		# object a line, so awk reads them without a python per shard.
		awk -F'"predicted_seconds": ' '/^ *\{"index": / { sub(/[^0-9.].*/, "", $2); print $2 }' \
		    "$out/plan.json" >"$work/predicted"
		if [ "$(wc -l <"$work/predicted")" -ne "$n" ]; then
			echo "real.sh: $out/plan.json: expected $n shards' predicted_seconds, one a line" >&2
			exit 1
		fi
		# Shard k of each method back to back, so a change of the machine's
		# load over the round falls on every method alike.
		for k in $(seq "$n"); do
			rep=reports/hist-$r-$n-$k.jsonl.gz
			# Options take their paths with "=": pytest counts a bare path
			# argument when it picks the rootdir.
			job "$base_pp" $hist_opts "$SUITE_PATH" "--shard-file=$out/shard-$k.txt" "--hist-report=$work/$rep"
			pred=$(sed -n "${k}p" "$work/predicted")
			printf '%s\t%s\thist\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$k" "$wall" "$pred" "$rc" "$rep" "$l0" "$l1" "$cpu" >>"$runs"
			[ -n "$split_path" ] || continue
			for algo in $SPLIT_ALGOS; do
				job "$split_path:$base_pp" -p pytest_split.plugin "$SUITE_PATH" --splits "$n" --group "$k" \
				    "--splitting-algorithm=$algo" "--durations-path=$work/durations-$r.json"
				printf '%s\t%s\t%s\t%s\t%s\t\t%s\t\t%s\t%s\t%s\n' "$r" "$n" "$algo" "$k" "$wall" "$rc" "$l0" "$l1" "$cpu" >>"$runs"
			done
		done
	done
	# Feed the shards back: one run per plan, as a pipeline's histmerge does.
	for n in $SHARDS; do
		histmerge -q --db "$work/h.db" --run-id "round-$r-$n" --plan "shards-$r-$n" \
		    "$work"/reports/hist-$r-$n-*.jsonl.gz
	done
done
if [ "${REPEAT:-1}" -gt 0 ]; then
	mkdir -p "$work/repeats"
	for n in $SHARDS; do
		echo "repeat of round $ROUNDS, $n shards..." >&2
		out=shards-$ROUNDS-$n
		for k in $(seq "$n"); do
			rep=repeats/hist-$ROUNDS-$n-$k.jsonl.gz
			job "$base_pp" $hist_opts "$SUITE_PATH" "--shard-file=$out/shard-$k.txt" "--hist-report=$work/$rep"
			printf '%s\t%s\thist-repeat\t%s\t%s\t\t%s\t%s\t%s\t%s\t%s\n' "$ROUNDS" "$n" "$k" "$wall" "$rc" "$rep" "$l0" "$l1" "$cpu" >>"$runs"
		done
	done
fi
printf 'end\t%s\t%s\n' "$(date -u +%FT%TZ)" "$(uptime)" >>"$work/meta.tsv"
cd "$root"
$PY bench/real_report.py "$work" "$bench/real.md" "$bench/real.json"
cat "$bench/real.md"
