#!/bin/sh
# networkx_balance.sh - balance as users pay it, on a real suite that a Debian
# package ships (python3-networkx's tests, ~5,200 tests, ~60 s serial).
#
# 1. a serial run records history (--hist-report), histmerge stores it;
# 2. histplan --shards N plans from it and the collected test list;
# 3. each shard runs on its own, one after another (each is one CI job on its
#    own machine), and its wall time is measured, collection included;
# 4. the same for two baselines that collect the whole suite, then deselect:
#    pytest's collection order cut into equal-count chunks, and greedy by
#    duration over the same durations (what duration-based splitters do).
# Prints per-shard wall times, makespan, mean and makespan/mean per method;
# raw numbers in build/bench/networkx.tsv. REPS (default 1) repeats the shard
# runs; SHARDS (default 4).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PY=${PYTHON:-/usr/bin/python3}
SHARDS=${SHARDS:-4}
REPS=${REPS:-1}
src=$($PY -c 'import networkx, os; print(os.path.dirname(networkx.__file__))')
work=$root/build/bench/networkx
mkdir -p "$work"
raw=$root/build/bench/networkx.tsv
export PATH="$root/build/bin:$PATH" PYTHONPATH="$root/plugin:$root/bench" PYTHONDONTWRITEBYTECODE=1
# A private copy, so nodeids are rootdir-relative ("networkx/...") and the
# plugin can skip files at collection.
[ -d "$work/suite/networkx" ] || { mkdir -p "$work/suite" && cp -r "$src" "$work/suite/networkx"; }
cd "$work/suite"
pyt() { PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $PY -m pytest -q -p no:cacheprovider -p pytest_hist.plugin -p deselect_plugin "$@"; }

if [ ! -s "$work/serial.jsonl.gz" ]; then
	echo "serial run (records history)..." >&2
	pyt networkx --hist-report "$work/serial.jsonl.gz" >/dev/null || true
fi
rm -f "$work/h.db"
histmerge -q --db "$work/h.db" --run-id serial "$work/serial.jsonl.gz"
pyt --collect-only networkx 2>/dev/null >"$work/tests.txt" || true
rm -rf "$work/shards" "$work/base"
histplan --db "$work/h.db" --tests "$work/tests.txt" --shards "$SHARDS" --out "$work/shards" --preview
mkdir -p "$work/base"
$PY - "$work/serial.jsonl.gz" >"$work/durations.json" <<'PYEOF'
import gzip, json, sys
d = {}
with gzip.open(sys.argv[1], "rt", encoding="utf-8") as f:
    for line in f:
        r = json.loads(line)
        if r.get("type") == "test":
            d[r["nodeid"]] = r["setup"] + r["call"] + r["teardown"]
json.dump(d, sys.stdout)
PYEOF
$PY "$root/bench/split_baselines.py" "$work/tests.txt" "$work/durations.json" "$SHARDS" "$work/base"

: >"$raw"
for rep in $(seq "$REPS"); do
	for k in $(seq "$SHARDS"); do
		for method in hist count greedy; do
			case $method in
			hist) set -- networkx --shard-file="$work/shards/shard-$k.txt" ;;
			*) set -- networkx --chunk-file="$work/base/$method-$k.txt" ;;
			esac
			t0=$($PY -c 'import time; print(time.time())')
			pyt "$@" >/dev/null 2>&1 || true
			t1=$($PY -c 'import time; print(time.time())')
			echo "$method	$rep	$k	$($PY -c "print('%.2f' % ($t1 - $t0))")" >>"$raw"
		done
	done
done
awk -F'\t' -v n="$SHARDS" '
	{ key = $1 SUBSEP $3; sum[key] += $4; cnt[key]++ ; methods[$1] = 1 }
	END {
		for (m in methods) {
			max = 0; tot = 0; line = ""
			for (k = 1; k <= n; k++) {
				v = sum[m, k] / cnt[m, k]; tot += v; if (v > max) max = v
				line = line sprintf(" %7.2f", v)
			}
			printf "%-7s shards:%s  makespan %7.2f  mean %7.2f  makespan/mean %.3f\n", m, line, max, tot / n, max / (tot / n)
		}
	}' "$raw" | sort
echo "raw numbers: $raw"
