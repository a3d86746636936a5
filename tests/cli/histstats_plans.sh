# histstats --plans, end to end: a plan made from the collection of
# fixtures/pysuite, its shards run by the plugin with --hist-report, the run
# checked with histmerge --plan (which stores the plan's predictions); a
# second run of the same plan with shard 3 missing; a plan of 2 shards in
# another history. Every figure histstats prints is recomputed here from
# plan.json and the reports' session records (their "wall"), never from
# hist's own output. Then merges carry the plans order-free, and histprune
# forgets a plan once no run that ran it is left.
cp -r fixtures/pysuite "$T/suite"
export PYTHONPATH="$PWD/plugin"
cd "$T/suite"
pt() { "$PYTHON" -m pytest -q -p no:cacheprovider -p pytest_hist.plugin "$@" >/dev/null 2>&1; }
"$PYTHON" -m pytest -p no:cacheprovider --collect-only -q > tests.txt
histplan --db h.db --tests tests.txt --shards 3 --out shards -q 2>/dev/null
for k in 1 2 3; do pt --shard-file=shards/shard-$k.txt --hist-report a$k.jsonl; done
histmerge --db h.db --run-id run-a --plan shards -q a1.jsonl a2.jsonl a3.jsonl
echo "run-a: exit $?"
for k in 1 2; do pt --shard-file=shards/shard-$k.txt --hist-report b$k.jsonl; done
histmerge --db h.db --run-id run-b --plan shards -q b1.jsonl b2.jsonl 2>/dev/null
echo "run-b (shard 3 missing): exit $?"
# Another history: a plan of 2 shards from h.db's durations, run later.
histplan --db h.db --tests tests.txt --shards 2 --out two -q 2>/dev/null
for k in 1 2; do pt --shard-file=two/shard-$k.txt --hist-report c$k.jsonl; done
histmerge --db c.db --run-id run-c --plan two -q c1.jsonl c2.jsonl
echo "run-c: exit $?"

histstats --db h.db --plans > plans.txt
echo "histstats --plans: exit $?"
histstats --db h.db --plans --json > plans.json
echo "histstats --plans --json: exit $?"
histstats --db h.db --plans --top 1 --json > top1.json
histstats --db h.db --plans > again.txt
cmp plans.txt again.txt && echo "same bytes twice"

check() {
"$PYTHON" - "$@" <<'PY'
import decimal, json, sys

D = decimal.Decimal
US = D("0.000001")

def us(text):
    return int((D(text) / US).quantize(D(1), rounding=decimal.ROUND_HALF_UP))

def session(path):
    for line in open(path, encoding="utf-8"):
        d = json.loads(line, parse_float=D)
        if d.get("type") == "session":
            return d

def expect(plan_dir, reports):
    """The plan run as plan.json and the reports say, apart from hist."""
    plan = json.load(open(plan_dir + "/plan.json"), parse_float=D)
    shards = []
    for s in plan["shards"]:
        listed = [l for l in open(plan_dir + "/" + s["file"], encoding="utf-8")
                  if l.strip() and not l.startswith("#")]
        shards.append({"shard": s["index"], "tests": len(listed), "predicted": us(s["predicted_seconds"]),
                       "actual": None, "reports": 0})
    for r in reports:
        ses = session(r)
        assert ses["plan_id"] == plan["plan_id"], r
        sh = shards[ses["shard"] - 1]
        sh["reports"] += 1
        sh["actual"] = us(ses["wall"])
    return plan["plan_id"], shards

def secs(v):
    return None if v is None else D(v) * US

def same(a, b, what):
    if a != b:
        print("MISMATCH %s: histstats %r, computed %r" % (what, a, b))
        return False
    return True

db_json = json.load(open(sys.argv[1]), parse_float=D)
text = open(sys.argv[2], encoding="utf-8").read() if sys.argv[2] != "-" else None
runs = sys.argv[3:]
ok = True
assert len(db_json["plans"]) == len(runs) // 2, db_json
for got, (run, spec) in zip(db_json["plans"], zip(runs[0::2], runs[1::2])):
    plan_dir, reports = spec.split(":")[0], [r for r in spec.split(":")[1].split(",") if r]
    plan_id, shards = expect(plan_dir, reports)
    ok &= same(got["run_id"], run, "run")
    ok &= same(got["plan_id"], plan_id, "plan id")
    ok &= same(got["shard_count"], len(shards), "shards")
    missing = [s["shard"] for s in shards if not s["reports"]]
    ok &= same(got["missing"], missing, "missing")
    ok &= same(got["reported"], len(shards) - len(missing), "reported")
    for g, e in zip(got["shards"], shards):
        ok &= same(g["tests"], e["tests"], "tests")
        ok &= same(g["reports"], e["reports"], "reports")
        ok &= same(g["predicted"], secs(e["predicted"]), "predicted")
        ok &= same(g["actual"], secs(e["actual"]), "actual")
        err = None if e["actual"] is None else secs(e["actual"] - e["predicted"])
        ok &= same(g["error"], err, "error")
        if err is not None and e["predicted"]:
            pct = D(100) * (e["actual"] - e["predicted"]) / e["predicted"]
            ok &= abs(g["error_percent"] - pct) <= D("0.005")
    slow_p = max(s["predicted"] for s in shards)
    known = [s["actual"] for s in shards if s["actual"] is not None]
    slow_a = max(known) if known else None
    ok &= same(got["predicted"], secs(slow_p), "slowest predicted")
    ok &= same(got["actual"], secs(slow_a), "slowest actual")
    print("%s: %d shards, %d reported, missing %s: %s" % (run, len(shards), len(shards) - len(missing),
          missing or "none", "as computed" if ok else "WRONG"))
    if text is None:
        continue
    # The text table: the same figures at 3 decimals, one row a shard.
    block = [b for b in text.split("\n\n") if ("run %s " % run) in b][0].split("\n")
    rows = [l.split() for l in block if l[:5].strip().isdigit()]
    for row, e in zip(rows, shards):
        want = [str(e["shard"]), str(e["tests"]), "%.3f" % secs(e["predicted"])]
        if e["actual"] is None:
            want += ["-", "-", "-", "missing"]
        else:
            want += ["%.3f" % secs(e["actual"]), "%+.3f" % secs(e["actual"] - e["predicted"])]
        ok &= same(row[:len(want)], want, "row of shard %d" % e["shard"])
    if missing:
        ok &= same([l for l in block if l.startswith("missing:")], ["missing: " + " ".join(map(str, missing))],
                   "missing line")
    print("%s: the table's rows %s" % (run, "as computed" if ok else "WRONG"))
if text is not None:
    print("lines over 100 columns: %d" % len([l for l in text.split("\n") if len(l) > 100]))
PY
}
# Newest first: run-b (shard 3 missing), then run-a.
check plans.json plans.txt run-b shards:b1.jsonl,b2.jsonl run-a shards:a1.jsonl,a2.jsonl,a3.jsonl
"$PYTHON" -c 'import json,sys; d=json.load(open("top1.json")); print("--top 1:", [p["run_id"] for p in d["plans"]])'

# Merges carry the plans order-free: a canonical dump by the sqlite3 shell.
dump() {
	sqlite3 "$1" "SELECT 'plan', s.name, p.id, p.stored_us, p.shard_total FROM plans p JOIN suites s ON s.id = p.suite_id
	ORDER BY 2, 3; SELECT 'shard', s.name, p.plan_id, p.shard, p.tests, p.predicted_us FROM plan_shards p
	JOIN suites s ON s.id = p.suite_id ORDER BY 2, 3, 4;"
}
histmerge --db hc.db -q h.db c.db
histmerge --db ch.db -q c.db h.db
histmerge --db ch.db -q h.db c.db
dump hc.db > hc.txt; dump ch.db > ch.txt
cmp -s hc.txt ch.txt && echo "h+c and c+h (and again): same plans, $(grep -c '^plan' hc.txt) plans, $(grep -c '^shard' hc.txt) shards"
histstats --db hc.db --plans --json > merged.json
check merged.json - run-c two:c1.jsonl,c2.jsonl run-b shards:b1.jsonl,b2.jsonl run-a shards:a1.jsonl,a2.jsonl,a3.jsonl

# histprune: run-c is the newest; the 3-shard plan goes with run-a and run-b.
histprune --db hc.db --keep-runs 1 | sed 's/started [^,]*,/started TIME,/'
histstats --db hc.db --plans --json | "$PYTHON" -c 'import json,sys; print("left:", [(p["run_id"], p["shard_count"]) for p in json.load(sys.stdin)["plans"]])'
histprune --db hc.db --keep-runs 1 --json | "$PYTHON" -c 'import json,sys; print("plans forgotten again:", json.load(sys.stdin)["plans"])'

# No plan stored: said, exit 0. --plans with --test: usage error.
histmerge --db plain.db -q a1.jsonl
histstats --db plain.db --plans
echo "exit $?"
histstats --db h.db --plans --test x
echo "exit $?"
