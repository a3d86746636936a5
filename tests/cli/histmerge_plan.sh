# histmerge --plan DIR: the shards' real --hist-report files (the plugin run
# on fixtures/pysuite, a plan made from its collection with no history yet)
# account for every planned test; a missing shard, a report of another plan
# and a shard run twice are each named, exit 1, after storing as usual.
cp -r fixtures/pysuite "$T/suite"
export PYTHONPATH="$PWD/plugin"
cd "$T/suite"
pt() { "$PYTHON" -m pytest -q -p no:cacheprovider -p pytest_hist.plugin "$@" >/dev/null 2>&1; }
"$PYTHON" -m pytest -p no:cacheprovider --collect-only -q > tests.txt
histplan --db h.db --tests tests.txt --shards 3 --out shards -q 2>/dev/null
grep '"test_list"' shards/plan.json
for k in 1 2 3; do pt --shard-file=shards/shard-$k.txt --hist-report r$k.jsonl; done
# Exact: every planned test ran once.
histmerge --db h.db --plan shards r1.jsonl r2.jsonl r3.jsonl
echo "exit $?"
# The same account computed apart: planned lines against the reports' test lines.
"$PYTHON" - <<'PY'
import json, collections
planned = {}
for k in (1, 2, 3):
    for line in open("shards/shard-%d.txt" % k, encoding="utf-8"):
        if not line.startswith("#") and line.strip():
            planned[line.rstrip("\n")] = k
ran = collections.Counter()
for k in (1, 2, 3):
    for line in open("r%d.jsonl" % k, encoding="utf-8"):
        d = json.loads(line)
        if d["type"] == "test" and d["outcome"] != "rerun":
            ran[d["nodeid"]] += 1
print("independent: %d planned, %d ran once, %d not planned, %d not run" % (
    len(planned), sum(1 for t in planned if ran[t] == 1), len(set(ran) - set(planned)),
    sum(1 for t in planned if not ran[t])))
PY
# Shard 3's report missing: named with its count; the rest still stored.
histmerge --db h2.db --plan shards r1.jsonl r2.jsonl
echo "exit $?"
histstats --db h2.db | head -3
# Shard 2 run again (a retried job) and its second report merged too.
pt --shard-file=shards/shard-2.txt --hist-report r2-again.jsonl
histmerge --db h.db --plan shards -q r1.jsonl r2.jsonl r3.jsonl r2-again.jsonl 2> err
echo "exit $?"
sed 's/:[0-9][0-9]*\([:)]\)/:LINE\1/g' err
# A report of another plan (2 shards of the same suite) is not counted.
histplan --db none.db --tests tests.txt --shards 2 --out other -q 2>/dev/null
histmerge --db h.db --plan other -q --json r1.jsonl > out.json
echo "exit $?"
"$PYTHON" -c 'import json,sys; d=json.load(open("out.json")); p=d["plan"]; print(p["planned"], p["ran"], p["reports"], [x["kind"] for x in p["problems"]])'
# Reports cannot come from stdin: each is read twice.
histmerge --db h.db --plan shards - < r1.jsonl
echo "exit $?"
# A plan directory that is not one: exit 1, and the results are stored.
histmerge --db h3.db --plan nowhere r1.jsonl
echo "exit $?"
histstats --db h3.db | sed -n 3p
