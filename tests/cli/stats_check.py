"""stats_check.py DB JSON - recomputes histstats' lists from the database
with the sqlite3 module and the rules of doc/histmerge.md, and compares them with
histstats --json (read from the file JSON). Prints "ok" or the differences.
Independent of libhist: its own SQL, medians and orders, and its own
decoding of the packed results (tests/packs.py)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "plugin"))
import packs  # noqa: E402
from pytest_hist.nodeid import junit_key  # noqa: E402

WINDOW, RECENT, TOP = 20, 3, 10


def median(v):
    v = sorted(v)
    n = len(v)
    if not n:
        return -1
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) // 2


def main():
    db = packs.connect(sys.argv[1])
    got = json.load(open(sys.argv[2]))
    tests = []
    for (suite,) in db.execute("SELECT name FROM suites ORDER BY name"):
        runs = [r for (r,) in db.execute(
            "SELECT r.id FROM runs r JOIN suites s ON s.id = r.suite_id WHERE s.name = ?"
            " ORDER BY r.started_us DESC, r.ext_id DESC LIMIT ?", (suite, WINDOW))]
        age = {r: i for i, r in enumerate(runs)}
        per = {}
        for run, name, key, outcome, dur, att in db.execute(
                "SELECT x.run_id, t.name, t.is_key, x.outcome, x.duration_us, x.attempts FROM results x"
                " JOIN tests t ON t.id = x.test_id"):
            if run in age:
                per.setdefault((name, key), []).append((age[run], outcome, dur, att))
        for (name, key), rows in per.items():
            durs = [d for a, o, d, t in rows if o != 0 and d is not None]
            before = [d for a, o, d, t in rows if o != 0 and d is not None and a > 0]
            last = [d for a, o, d, t in rows if o != 0 and d is not None and a == 0]
            tests.append(dict(
                suite=suite, nodeid=name, runs=len(rows), estimate=median(durs),
                min=min(durs) if durs else -1, max=max(durs) if durs else -1,
                last=last[0] if last else -1, before=median(before) if len(before) >= 3 else -1,
                passed=sum(1 for a, o, d, t in rows if o in (1, 2, 3)),
                failed=sum(1 for a, o, d, t in rows if o in (4, 5)),
                rerun=sum(1 for a, o, d, t in rows if o in (1, 2, 3) and t > 1),
                seen=min(a for a, o, d, t in rows)))
    s = lambda us: round(us / 1e6, 6) if us >= 0 else 0.0
    want = {
        "slowest": [dict(suite=t["suite"], nodeid=t["nodeid"], estimate=s(t["estimate"]), min=s(t["min"]),
                         max=s(t["max"]), runs=t["runs"])
                    for t in sorted((t for t in tests if t["estimate"] >= 0),
                                    key=lambda t: (-t["estimate"], t["suite"], t["nodeid"]))],
        "flaky": [dict(suite=t["suite"], nodeid=t["nodeid"], runs=t["runs"], passed=t["passed"],
                       failed=t["failed"], reruns=t["rerun"])
                  for t in sorted((t for t in tests if t["rerun"] or (t["passed"] and t["failed"])),
                                  key=lambda t: (-(t["failed"] + t["rerun"]), t["suite"], t["nodeid"]))],
        "regressions": [dict(suite=t["suite"], nodeid=t["nodeid"], last=s(t["last"]), before=s(t["before"]),
                             ratio=round(t["last"] / t["before"], 2))
                        for t in sorted((t for t in tests if t["last"] >= 0 and t["before"] >= 0
                                         and t["last"] >= 2 * t["before"] and t["last"] - t["before"] >= 500000),
                                        key=lambda t: (-(t["last"] - t["before"]), t["suite"], t["nodeid"]))],
        "unseen": [dict(suite=t["suite"], nodeid=t["nodeid"], runs_ago=t["seen"], runs=t["runs"])
                   for t in sorted((t for t in tests if t["seen"] >= RECENT),
                                   key=lambda t: (-t["seen"], t["suite"], t["nodeid"]))],
    }
    files = {}
    for t in tests:
        if t["estimate"] >= 0:
            f = files.setdefault((t["suite"], t["nodeid"].split("::")[0]), [0, 0])
            f[0] += t["estimate"]
            f[1] += 1
    want["files"] = [dict(suite=k[0], file=k[1], estimate=s(v[0]), tests=v[1])
                     for k, v in sorted(files.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    bad = 0
    for key, rows in want.items():
        if got[key] != rows[:TOP]:
            bad += 1
            print("%s differs:\n  histstats %s\n  computed  %s" % (key, got[key], rows[:TOP]))
    # A JUnit key counts as a test of its own only when no nodeid with
    # results has it (SPEC "Test identity").
    named = set(db.execute("SELECT t.name, t.is_key FROM tests t WHERE t.id IN (SELECT test_id FROM results)"))
    keys_of_ids = {junit_key(n) for n, k in named if not k}
    count = {"runs": db.execute("SELECT count(*) FROM runs").fetchone()[0],
             "results": db.execute("SELECT count(*) FROM results").fetchone()[0],
             "tests": sum(1 for n, k in named if not k or n not in keys_of_ids)}
    for key, n in count.items():
        if got[key] != n:
            bad += 1
            print("%s differs: histstats %s, computed %s" % (key, got[key], n))
    print("ok" if not bad else "%d lists differ" % bad)


main()
