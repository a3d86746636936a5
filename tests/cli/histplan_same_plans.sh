# Plans are byte-identical to those of the recorded expected output, made
# before the planner's speed-ups (issue 15): generated suites with classes,
# modules, parameters, skips and failures over three runs, split by each
# scope and estimator, with a target, a cap of tests a shard, workers, a
# collected list holding unknown tests, and the hash fallback (a suite with
# no durations, a first pipeline). Each line: the plan id and a digest of
# plan.json and every shard file.
cd "$T"
"$PYTHON" - <<'PY'
import json

state = 12345


def rnd(n):
    """Deterministic on every Python: a 32-bit LCG, not random."""
    global state
    state = (state * 1103515245 + 12345) & 0x7FFFFFFF
    return state % n


tests = []
for m in range(90):
    path = "tests/pkg%d/sub%d/test_mod%d.py" % (m % 7, m % 3, m)
    for c in range(rnd(4)):
        for t in range(1 + rnd(12)):
            params = "[p%d-%s]" % (rnd(5), "x" * rnd(3)) if rnd(3) == 0 else ""
            tests.append("%s::TestC%d::test_%d%s" % (path, c, t, params))
    for t in range(rnd(6)):
        tests.append("%s::test_f%d" % (path, t))
tests = sorted(set(tests))
for run in range(3):
    with open("run%d.jsonl" % run, "w") as f:
        for i, nodeid in enumerate(tests):
            if rnd(20) == 0:
                continue  # not in this run
            r = rnd(1000)
            outcome = "skipped" if r < 40 else "failed" if r < 60 else "passed"
            call = 0.0 if outcome == "skipped" else (rnd(1000) ** 3) / 2e8 + rnd(500) / 1e5
            f.write(json.dumps({"hist": 1, "type": "test", "nodeid": nodeid, "outcome": outcome,
                                "attempt": 1, "setup": rnd(300) / 1e5, "call": call,
                                "teardown": rnd(100) / 1e5}) + "\n")
with open("list.txt", "w") as f:
    for i, nodeid in enumerate(tests):
        if i % 9:
            f.write(nodeid + "\n")
    for k in range(40):
        f.write("tests/pkg_new/test_new%d.py::test_n%d\n" % (k % 6, k))
with open("skipped.jsonl", "w") as f:
    for nodeid in tests[:300]:
        f.write(json.dumps({"hist": 1, "type": "test", "nodeid": nodeid, "outcome": "skipped",
                            "attempt": 1, "setup": 0.0, "call": 0.0, "teardown": 0.0}) + "\n")
PY
for run in 0 1 2; do
	histmerge --db h.db --run-id r$run -q run$run.jsonl || echo "histmerge failed"
done
histmerge --db h.db --suite none --run-id s1 -q skipped.jsonl || echo "histmerge failed"
plan() {
	rm -rf out
	histplan -q --db h.db --out out "$@" 2>/dev/null || echo "histplan $* failed"
	printf '%s: %s %s\n' "$*" "$(sed -n 's/# hist plan //p' out/shard-1.txt)" \
		"$(cat out/plan.json $(ls out/shard-*.txt | sort -t- -k2 -n) | cksum)"
}
plan --shards 1
plan --shards 7
plan --shards 64
plan --shards 5 --scope class
plan --shards 5 --scope module
plan --shards 6 --estimator median
plan --shards 6 --estimator last
plan --shards 6 --estimator auto --window 3
plan --shards 6 --alpha 0.7
plan --target-seconds 20
plan --max-tests-per-shard 100
plan --shards 4 --workers 3
plan --shards 6 --tests list.txt
plan --shards 6 --tests list.txt --scope class
plan --shards 6 --tests list.txt --scope module
plan --shards 6 --suite none
plan --shards 6 --suite none --tests list.txt
plan --shards 6 --db missing.db --tests list.txt
