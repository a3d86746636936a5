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
#   5. the machine's speed, measured during every process above (serial
#      runs, hist and pytest-split shards, repeats alike). A quiet VM still
#      changes speed under us (session 7: one shard 16.4 s, then 33.4 s,
#      its CPU time following its wall), so each process's wall is also a
#      draw of the machine's speed. bench/speed_probe.c, built here with
#      cc, runs beside the whole session and every PROBE_MS (500) times a
#      fixed ~10 ms integer chain (2% of one core), on each CPU in turn (the
#      one under the shard too), logging its wall and CPU time and the CPU
#      to probe.log. Per process, runs.tsv gets: speed, per CPU the
#      chunks' median CPU time during it over that CPU's median before it,
#      the slowest CPU's figure (CPU time, not wall: a chunk waiting for a
#      core says nothing of the core's speed); steal, the guest's stolen
#      CPU seconds (/proc/stat, all cores) per second of its wall; wait,
#      its wall above its CPU time, as a share of the wall (other work
#      held the core). A process
#      with speed > SPEED_LIMIT (1.05), steal > STEAL_LIMIT (0.02) or
#      wait > WAIT_LIMIT (0.03) ran on a slow machine and is run again, up
#      to RERUNS (2) more times. Every attempt stays in runs.tsv (column
#      attempt, its verdict in slow); its hist report is kept under
#      attempts/, and the first clean attempt's (else the least slow one's:
#      the smallest figure / limit) is the one merged into the history
#      and reported. real_report.py applies the same rule to runs.tsv,
#      shows every attempt with its evidence, says how many were rerun and
#      why, and marks with ! each process left without a clean attempt:
#      reruns are reported, never hidden. Why these limits: see
#      doc/benchmarks.md. A CPU's first 20 chunks are their own reference
#      (the first process is judged against itself); the report also sets
#      each process against the whole session's median ("vs session").
#
# SPLIT_ALGOS picks pytest-split's algorithms (default: both).
# HISTPLAN_ARGS adds options to every histplan (e.g. "--estimator auto").
# pytest-split comes from PYTEST_SPLIT: a directory holding the pytest_split
# package, or a checkout with it under src/ (never part of this repository);
# unset or absent, its columns are skipped with a message.
#
# Output: build/bench/real.md and build/bench/real.json (bench/real_report.py),
# raw shard walls in build/bench/real/runs.tsv with the 1-minute load
# average before and after each process (the report flags loaded shards)
# and the speed figures above; the probe's samples in probe.log. Runs at normal priority on
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
# The machine's speed (see the header): a process is run again, up to
# RERUNS more times, while the probe's chunks on a CPU took over
# SPEED_LIMIT x that CPU's median before, the guest lost over STEAL_LIMIT
# of its wall to steal, or its wall was over WAIT_LIMIT above its CPU
# time; PROBE_MS is the probe's interval.
RERUNS=${RERUNS:-2}
SPEED_LIMIT=${SPEED_LIMIT:-1.05}
STEAL_LIMIT=${STEAL_LIMIT:-0.02}
WAIT_LIMIT=${WAIT_LIMIT:-0.03}
PROBE_MS=${PROBE_MS:-500}
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
cc -O2 -std=c11 -o "$bench/speed_probe" bench/speed_probe.c
"$bench/speed_probe" "$work/probe.log" "$PROBE_MS" 10 &
probe_pid=$!
trap 'kill "$probe_pid" 2>/dev/null || :' EXIT
trap 'exit 130' INT TERM
cp -r "$src" "$work/suite/networkx"
rm -rf "$work/suite/networkx/__pycache__"
export PATH="$root/build/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
base_pp="$root/plugin"
runs=$work/runs.tsv
printf 'round\tshards\tmethod\tshard\twall\tpredicted\texit\treport\tload_start\tload_end\tcpu\tattempt\tprobe_n\tprobe_ms\tref_ms\tspeed\tsteal\twait\tslow\n' >"$runs"
{
	printf 'start\t%s\t%s\n' "$(date -u +%FT%TZ)" "$(uptime)"
	printf 'python\t%s\n' "$($PY -c 'import sys, pytest, networkx; print(sys.version.split()[0], "pytest", pytest.__version__, "networkx", networkx.__version__)')"
	printf 'commit\t%s\n' "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	printf 'pytest_split\t%s\n' "${split_path:-absent}"
	printf 'histplan_args\t%s\n' "${HISTPLAN_ARGS:-none}"
	printf 'nproc\t%s\n' "$(nproc)"
	printf 'speed_limit\t%s\n' "$SPEED_LIMIT"
	printf 'steal_limit\t%s\n' "$STEAL_LIMIT"
	printf 'wait_limit\t%s\n' "$WAIT_LIMIT"
	printf 'reruns\t%s\n' "$RERUNS"
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
# Stolen time (ticks of USER_HZ, all cores): /proc/stat's "cpu" line, 8th
# figure; empty where the kernel does not count it.
steal() { awk '$1 == "cpu" { print $9 }' /proc/stat; }
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
# The median of numbers, one a line on stdin (empty for none).
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
# One pytest process as a CI job runs it; its wall from outside, the load
# before and after it, its CPU time, the probe's chunks during it against
# the chunks before it, and the time stolen from the guest meanwhile.
job() {
	pp=$1
	shift
	l0=$(load)
	s0=$(steal)
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
	s1=$(steal)
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	cpu=
	if [ -s "$work/cpu" ]; then cpu=$(awk 'NF == 2 { printf "%.2f", $1 + $2 }' "$work/cpu"); fi
	# 0 passed, 1 some failed: both are a run; anything else is broken.
	if [ $rc -gt 1 ]; then
		echo "real.sh: pytest $* exited $rc:" >&2
		tail -20 "$work/last.log" >&2
		exit 1
	fi
	# The chunks' CPU time, not their wall: a chunk that waited for a core
	# (our own pytest on it while other work held the other) says nothing
	# of the core's speed; the process's own wall against its CPU time
	# (wait, below) says whether it waited. Per CPU (the probe visits each
	# in turn): the median of its chunks during the process against its
	# chunks before it (all so far while it has fewer than 20 before), for
	# each CPU with 3 chunks or more during it; the slowest CPU's figure is
	# the process's speed.
	probe_ms= ref_ms= speed=
	awk -v a="$t0" -v b="$t1" '!/^#/ && $1 <= b { print "all", $4 + 0, $3; print ($1 >= a ? "in" : "pre"), $4 + 0, $3 }' \
	    "$work/probe.log" | sort -k1,1 -k2,2n -k3,3g |
	awk 'function flush() { if (n) print g, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), n; n = 0 }
	    { k = $1 " " $2; if (k != g) { flush(); g = k } v[++n] = $3 } END { flush() }' |
	awk '$1 == "all" && !($2 in ref) { ref[$2] = $3 } $1 == "pre" && $4 >= 20 { ref[$2] = $3 }
	    $1 == "in" { med[$2] = $3; cnt[$2] = $4; tot += $4 }
	    END { best = ""
		for (c in med) if (cnt[c] >= 3 && ref[c] > 0 && (best == "" || med[c] / ref[c] > best)) {
			best = med[c] / ref[c]; bm = med[c]; br = ref[c] }
		if (best == "") print tot + 0; else printf "%d %s %s %.3f\n", tot, bm, br, best }' >"$work/pstat"
	read -r probe_n probe_ms ref_ms speed <"$work/pstat" || :
	stolen=
	if [ -n "$s0" ] && [ -n "$s1" ]; then
		stolen=$(awk -v a="$s0" -v b="$s1" -v hz="$hz" -v w="$wall" 'BEGIN { printf "%.4f", (b - a) / hz / w }')
	fi
	waited=
	if [ -n "$cpu" ]; then
		waited=$(awk -v c="$cpu" -v w="$wall" 'BEGIN { printf "%.4f", (w - c) / w }')
	fi
	# Why this attempt counts as run on a slow machine ("" if it does not),
	# and how slow (the largest figure over its limit), to pick the least
	# slow attempt when none is clean. bench/real_report.py judges alike.
	verdict=$(awk -v s="$speed" -v st="$stolen" -v wt="$waited" \
	    -v ls="$SPEED_LIMIT" -v lt="$STEAL_LIMIT" -v lw="$WAIT_LIMIT" 'BEGIN {
		r = ""; m = 0
		if (s != "") { if (s + 0 > ls + 0) r = "speed"; if (s / ls > m) m = s / ls }
		if (st != "") { if (st + 0 > lt + 0) r = r (r == "" ? "" : "+") "steal"; if (st / lt > m) m = st / lt }
		if (wt != "") { if (wt + 0 > lw + 0) r = r (r == "" ? "" : "+") "wait"; if (wt / lw > m) m = wt / lw }
		print m, r }')
	score=${verdict%% *}
	slow=${verdict#* }
	[ "$slow" != "$score" ] || slow=
}

# measure ROUND SHARDS METHOD SHARD PREDICTED REPORT PYTHONPATH ARGS...:
# one process, run again (up to RERUNS more times) while the probe or the
# steal count says the machine was slow during it. Every attempt is a line
# of runs.tsv; its hist report (REPORT, relative to $work; "" for none)
# goes to attempts/ beside REPORT, and the attempt the report uses (the
# first clean one, else the least slow) is copied to REPORT itself.
measure() {
	m_round=$1 m_shards=$2 m_method=$3 m_shard=$4 m_pred=$5 m_rep=$6 m_pp=$7
	shift 7
	attempt=0 best_score= best_rep=
	while :; do
		attempt=$((attempt + 1))
		a_rep=
		if [ -n "$m_rep" ]; then
			a_base=${m_rep##*/}
			a_rep=${m_rep%/*}/attempts/${a_base%.jsonl.gz}.a$attempt.jsonl.gz
			mkdir -p "$work/${m_rep%/*}/attempts"
		fi
		job "$m_pp" "$@" ${a_rep:+"--hist-report=$work/$a_rep"}
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		    "$m_round" "$m_shards" "$m_method" "$m_shard" "$wall" "$m_pred" "$rc" "$a_rep" "$l0" "$l1" "$cpu" \
		    "$attempt" "$probe_n" "$probe_ms" "$ref_ms" "$speed" "$stolen" "$waited" "$slow" >>"$runs"
		if [ -z "$best_score" ] || [ "$(awk -v a="$score" -v b="$best_score" 'BEGIN { print (a < b) }')" = 1 ]; then
			best_score=$score best_rep=$a_rep
		fi
		if [ -z "$slow" ]; then
			best_rep=$a_rep
			break
		fi
		if [ "$attempt" -gt "$RERUNS" ]; then
			echo "real.sh: $m_method round $m_round N=$m_shards shard $m_shard: slow ($slow) in all $attempt attempts" >&2
			break
		fi
		echo "real.sh: $m_method round $m_round N=$m_shards shard $m_shard ran on a slow machine ($slow: speed $speed, steal $stolen): again" >&2
	done
	if [ -n "$m_rep" ]; then cp "$work/$best_rep" "$work/$m_rep"; fi
}

hist_opts="-p pytest_hist.plugin"
for i in $(seq "$SERIAL_RUNS"); do
	echo "serial run $i/$SERIAL_RUNS..." >&2
	measure 0 1 serial "$i" "" "reports/serial-$i.jsonl.gz" "$base_pp" $hist_opts "$SUITE_PATH"
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
			pred=$(sed -n "${k}p" "$work/predicted")
			measure "$r" "$n" hist "$k" "$pred" "$rep" "$base_pp" $hist_opts "$SUITE_PATH" "--shard-file=$out/shard-$k.txt"
			[ -n "$split_path" ] || continue
			for algo in $SPLIT_ALGOS; do
				measure "$r" "$n" "$algo" "$k" "" "" "$split_path:$base_pp" -p pytest_split.plugin "$SUITE_PATH" \
				    --splits "$n" --group "$k" "--splitting-algorithm=$algo" "--durations-path=$work/durations-$r.json"
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
			measure "$ROUNDS" "$n" hist-repeat "$k" "" "$rep" "$base_pp" $hist_opts "$SUITE_PATH" "--shard-file=$out/shard-$k.txt"
		done
	done
fi
kill "$probe_pid" 2>/dev/null || :
{
	printf 'end\t%s\t%s\n' "$(date -u +%FT%TZ)" "$(uptime)"
	# The whole session's chunks: the median the report sets each process
	# against, and its spread.
	printf 'probe\t%s\n' "$(sed -n 's/^# //p' "$work/probe.log")"
	printf 'probe_samples\t%s\n' "$(grep -vc '^#' "$work/probe.log")"
	printf 'probe_median_ms\t%s\n' "$(awk '!/^#/ { print $3 }' "$work/probe.log" | median)"
	printf 'probe_p10_p90_ms\t%s\n' "$(awk '!/^#/ { print $3 }' "$work/probe.log" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int(NR * 0.1) + 1] " " v[int(NR * 0.9) + 1] }')"
} >>"$work/meta.tsv"
cd "$root"
$PY bench/real_report.py "$work" "$bench/real.md" "$bench/real.json"
cat "$bench/real.md"
