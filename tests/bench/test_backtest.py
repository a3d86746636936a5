"""bench/backtest.py on a synthetic bench-real recording: a shard's actual
wall is the one runs.tsv gives for the attempt real.sh reported (its copy
in reports/), and the error's parts (tests, rest of the session, after the
report) add up to the error, the tests' part being the history's durations
against the shard's."""
import gzip
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD = ("round shards method shard wall predicted exit report load_start load_end cpu "
        "attempt probe_n probe_ms ref_ms speed steal wait slow").split()
SERIAL = {"t.py::a": 2.0, "t.py::b": 1.0, "u.py::c": 0.5, "u.py::d": 0.25}


def write_report(path, durations, start, wall, plan=None, shard=None, rerun=None):
    """rerun: a nodeid whose first attempt failed after 9 s; its last attempt counts."""
    recs = [{"hist": 1, "type": "test", "nodeid": n, "outcome": "passed", "attempt": 1, "setup": 0.01,
             "call": d - 0.02, "teardown": 0.01, "worker": "master", "start": start + i}
            for i, (n, d) in enumerate(durations.items())]
    if rerun:
        recs.insert(0, {"hist": 1, "type": "test", "nodeid": rerun, "outcome": "rerun", "attempt": 1,
                        "setup": 0.0, "call": 9.0, "teardown": 0.0, "worker": "master", "start": start})
        for r in recs[1:]:
            if r["nodeid"] == rerun:
                r["attempt"] = 2
    recs.append({"hist": 1, "type": "session", "start": start, "collect": 0.2, "wall": wall, "startup": 0.5,
                 "workers": 0, "tests": len(durations), "interrupted": False, "plan_id": plan,
                 "shard": shard, "shards": 2 if plan else None})
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in recs))


def test_outside_wall_and_error_parts(tmp_path):
    d = tmp_path / "real"
    att = d / "reports" / "attempts"
    att.mkdir(parents=True)
    rows = []
    write_report(att / "serial-1.a1.jsonl.gz", SERIAL, 1000.0, 4.5)
    rows.append((0, 1, "serial", 1, 5.0, "", "reports/attempts/serial-1.a1.jsonl.gz", 1))
    shard1 = {"t.py::a": 1.5, "t.py::b": 1.25}
    write_report(att / "hist-1-2-1.a1.jsonl.gz", shard1, 2000.0, 3.5, "p1", 1, rerun="t.py::b")
    rows.append((1, 2, "hist", 1, 4.0, 2.0, "reports/attempts/hist-1-2-1.a1.jsonl.gz", 1))
    # Shard 2 ran twice; real.sh reported the second attempt.
    write_report(att / "hist-1-2-2.a1.jsonl.gz", {"u.py::c": 0.9, "u.py::d": 0.3}, 2100.0, 2.5, "p1", 2)
    rows.append((1, 2, "hist", 2, 3.0, 2.0, "reports/attempts/hist-1-2-2.a1.jsonl.gz", 1))
    shard2 = {"u.py::c": 0.75, "u.py::d": 0.5}
    write_report(att / "hist-1-2-2.a2.jsonl.gz", shard2, 2200.0, 2.0, "p1", 2)
    rows.append((1, 2, "hist", 2, 2.75, 2.0, "reports/attempts/hist-1-2-2.a2.jsonl.gz", 2))
    for name, a in (("serial-1", 1), ("hist-1-2-1", 1), ("hist-1-2-2", 2)):
        shutil.copy(att / f"{name}.a{a}.jsonl.gz", d / "reports" / f"{name}.jsonl.gz")
    with open(d / "runs.tsv", "w", encoding="utf-8") as f:
        f.write("\t".join(HEAD) + "\n")
        for rd, n, m, k, wall, pred, rep, a in rows:
            row = dict.fromkeys(HEAD, "")
            row.update({"round": rd, "shards": n, "method": m, "shard": k, "wall": wall, "predicted": pred,
                        "exit": 0, "report": rep, "cpu": wall, "attempt": a})
            f.write("\t".join(str(row[h]) for h in HEAD) + "\n")
    out = tmp_path / "bt.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/backtest.py"), "--json", str(out), str(d)],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out, encoding="utf-8") as f:
        got = {r["report"]: r for r in json.load(f)["rows"]}
    assert sorted(got) == ["hist-1-2-1.jsonl.gz", "hist-1-2-2.jsonl.gz"]
    for name, shard, wall, session in (("hist-1-2-1.jsonl.gz", shard1, 4.0, 3.5),
                                       ("hist-1-2-2.jsonl.gz", shard2, 2.75, 2.0)):
        r = got[name]
        assert r["wall_source"] == "outside" and r["actual"] == wall
        assert abs(r["error_tests"] + r["error_rest"] + r["error_after"] - r["error"]) < 1e-9
        assert abs(r["error_after"] * wall + (wall - session)) < 1e-9
        # One serial run of history: each test's estimate is its serial time.
        want = sum(SERIAL[n] for n in shard) - sum(shard.values())
        assert abs(r["error_tests"] * wall - want) < 1e-4
