#!/usr/bin/python3
"""backtest.py - how well histplan predicts shards that really ran.

Reads recorded --hist-report files (bench/real.sh's layout: DIR/reports/
serial-*.jsonl.gz and hist-R-N-K.jsonl.gz, with DIR/runs.tsv when present;
or a directory of reports) and replays them in the order they ran, each
DIR a history of its own. The reports of one plan (the same
plan_id in their session records) are one run, as histmerge stores a
pipeline; a report without a plan is a run of its own. For every run after
the first, each of its reports is predicted from the history of the runs
before it alone: histplan --shards 1 --tests <the nodeids that report ran,
in its order>, so the prediction is start-up + those tests + the collection
and set-up of their modules, as a shard holding exactly them is predicted.
Then the run is merged and the next one predicted.

Actual wall: the wall measured from outside (runs.tsv, what bench-real
compares with; a report real.sh copied from one of its attempts takes that
attempt's row) when present, else the session record's wall. With
--actual cpu, runs.tsv's cpu column (the process's user + system time)
instead: on a loaded machine the wall waits for a core, the CPU time less.

Printed per report: predicted, actual, error (predicted / actual - 1), and
the error relative to its run (predicted / actual over the run's mean of
that ratio, minus 1): a run
on a slower machine moves every shard alike, which the relative error
leaves out. Balance depends on the relative error, the prediction of record
on both. Then the error's three parts, each over the actual wall, which add
up to it: the tests (the prediction less its start-up, per-test overhead and
collection, against the report's summed test durations), the rest of the
session (those parts against the session's wall less the tests' time), and
after the report (the interpreter's exit, which only the outside wall sees
and no prediction holds; with --actual cpu, the CPU time less the session's
wall). Summary lines give the mean and worst of each over
the shards of plans (serial runs apart).

  bench/backtest.py [--bin DIR] [--json FILE] [--actual wall|cpu] [-- HISTPLAN_ARGS...] DIR...

Deterministic for the same reports and binaries; uses a scratch directory
that it removes.
"""
import argparse
import filecmp
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def report_records(path):
    """The records of a gzipped --hist-report, in order."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def read_report(path):
    """(nodeids in order, their summed durations, the session record). A
    test's duration is setup + call + teardown of its last attempt, as
    histmerge stores it: reruns count, they never add up."""
    tests, dur, session = [], {}, None
    for rec in report_records(path):
        kind = rec.get("type")
        if kind == "test":
            if rec["nodeid"] not in dur:  # reruns repeat a nodeid
                tests.append(rec["nodeid"])
            dur[rec["nodeid"]] = sum(rec.get(k) or 0.0 for k in ("setup", "call", "teardown"))
        elif kind == "session":
            session = rec
    if session is None:
        raise SystemExit(f"backtest.py: {path}: no session record")
    return tests, sum(dur.values()), session


def outer_walls(d, column="wall"):
    """Report path -> runs.tsv's column for the process that wrote it.
    bench/real.sh writes each attempt to .../attempts/NAME.aK.jsonl.gz and
    copies the attempt it reports to .../NAME.jsonl.gz, the file read here:
    the copy takes the figures of the attempt whose bytes it holds."""
    walls = {}
    p = os.path.join(d, "runs.tsv")
    if not os.path.exists(p):
        return walls
    with open(p, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(head, line.rstrip("\n").split("\t")))
            if not (row.get("report") and row.get(column)):
                continue
            path = os.path.join(d, row["report"])
            walls[path] = float(row[column])
            folder, name = os.path.split(path)
            copy = os.path.join(os.path.dirname(folder), re.sub(r"\.a[0-9]+\.jsonl\.gz$", ".jsonl.gz", name))
            if (os.path.basename(folder) == "attempts" and copy != path and os.path.exists(copy)
                    and os.path.exists(path) and filecmp.cmp(copy, path, shallow=False)):
                walls[copy] = float(row[column])
    return walls


def collect(d, column="wall"):
    """The runs of one recording in the order they started: (name, [report dicts])."""
    runs = {}
    walls = outer_walls(d, column)
    rep = os.path.join(d, "reports")
    rep = rep if os.path.isdir(rep) else d
    for name in sorted(os.listdir(rep)):
        if not name.endswith(".jsonl.gz"):
            continue
        path = os.path.join(rep, name)
        tests, test_time, s = read_report(path)
        if not tests or s.get("interrupted"):
            continue
        key = (d, s.get("plan_id") or name)
        r = {"path": path, "name": name, "tests": tests, "test_time": test_time, "session": s,
             "start": s["start"], "wall": walls.get(path, s["wall"]),
             "wall_source": "outside" if path in walls else "session"}
        runs.setdefault(key, []).append(r)
    out = []
    for (d, plan), reps in runs.items():
        reps.sort(key=lambda r: (r["session"].get("shard") or 0, r["name"]))
        label = os.path.basename(os.path.normpath(d)) + ":" + (
            f"plan {plan}" if reps[0]["session"].get("plan_id") else plan)
        out.append((min(r["start"] for r in reps), label, reps))
    out.sort(key=lambda x: (x[0], x[1]))
    return [(label, reps) for _, label, reps in out]


def predict(bindir, db, tests, scratch, extra):
    """(predicted seconds, the part of them that is not the tests' own
    time: start-up, and per test the overhead and collection; a plan of one
    shard splits no module)."""
    tl = os.path.join(scratch, "tests.txt")
    with open(tl, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tests))
    out = json.loads(subprocess.run([os.path.join(bindir, "histplan"), "-q", "--db", db, "--tests", tl,
                                     "--shards", "1", "--dry-run", "--json", *extra],
                                    check=True, capture_output=True, text=True).stdout)
    o = out["overheads"]
    rest = o["shard_seconds"] + len(tests) * (o["test_seconds"] + (o["collect_per_test_seconds"] or 0.0))
    return out["shards"][0]["predicted_seconds"], rest


def replay(bindir, runs, db, scratch, extra):
    """Predicts each run's reports from the runs before it, then merges it."""
    rows = []
    for i, (label, reps) in enumerate(runs):
        if i > 0:
            preds = [predict(bindir, db, r["tests"], scratch, extra) for r in reps]
            ratios = [p / r["wall"] for r, (p, _) in zip(reps, preds)]
            mean_ratio = sum(ratios) / len(ratios)
            for r, (p, rest), q in zip(reps, preds, ratios):
                a, s = r["wall"], r["session"]["wall"]
                after = a - s if r["wall_source"] == "outside" else 0.0
                rows.append({"run": label, "report": r["name"], "tests": len(r["tests"]),
                             "sharded": bool(r["session"].get("plan_id")),
                             "predicted": p, "actual": a, "wall_source": r["wall_source"],
                             "error": p / a - 1, "relative": q / mean_ratio - 1,
                             # The error's parts, each over the actual wall; they add up to it.
                             "error_tests": ((p - rest) - r["test_time"]) / a,
                             "error_rest": (rest - (s - r["test_time"])) / a,
                             "error_after": -after / a})
        subprocess.run([os.path.join(bindir, "histmerge"), "-q", "--db", db, "--run-id",
                        f"run-{i:04d}", *[r["path"] for r in reps]], check=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin"))
    ap.add_argument("--json", help="write every number here")
    ap.add_argument("--actual", choices=("wall", "cpu"), default="wall",
                    help="runs.tsv column to compare with: the wall, or the process's CPU time (user +"
                         " system), which a loaded machine stretches less; a report without it: its"
                         " session wall")
    ap.add_argument("dirs", nargs="+")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args, extra = ap.parse_args(argv[:cut]), argv[cut + 1:]
    rows = []
    scratch = tempfile.mkdtemp(prefix="hist-backtest-")
    try:
        for n, d in enumerate(args.dirs):
            # Each recording is a history of its own.
            rows += replay(args.bin, collect(d, args.actual), os.path.join(scratch, f"h{n}.db"), scratch, extra)
    finally:
        shutil.rmtree(scratch)
    print("| run | report | tests | predicted s | actual s | error | relative to its run |"
          " of the error: tests | rest of the session | after the report |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['report']} | {r['tests']} | {r['predicted']:.2f} | {r['actual']:.2f} |"
              f" {100 * r['error']:+.1f}% | {100 * r['relative']:+.1f}% | {100 * r['error_tests']:+.1f}% |"
              f" {100 * r['error_rest']:+.1f}% | {100 * r['error_after']:+.1f}% |")
    summary = {}
    for what, sel in (("shards", [r for r in rows if r["sharded"]]), ("serial", [r for r in rows if not r["sharded"]])):
        if not sel:
            continue
        e = [abs(r["error"]) for r in sel]
        rel = [abs(r["relative"]) for r in sel]
        summary[what] = {"n": len(sel), "mean_abs_error": sum(e) / len(e), "worst_abs_error": max(e),
                         "mean_abs_relative": sum(rel) / len(rel), "worst_abs_relative": max(rel)}
        s = summary[what]
        for part in ("tests", "rest", "after"):
            v = [r["error_" + part] for r in sel]
            s["mean_error_" + part] = sum(v) / len(v)
            s["mean_abs_error_" + part] = sum(map(abs, v)) / len(v)
        print(f"{what}: {s['n']} predicted; |error| mean {100 * s['mean_abs_error']:.1f}% worst"
              f" {100 * s['worst_abs_error']:.1f}%; |relative| mean {100 * s['mean_abs_relative']:.1f}%"
              f" worst {100 * s['worst_abs_relative']:.1f}%; of the error (mean, mean of |x|): " + ", ".join(
                  f"{part} {100 * s['mean_error_' + part]:+.1f}% {100 * s['mean_abs_error_' + part]:.1f}%"
                  for part in ("tests", "rest", "after")))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"histplan_args": extra, "rows": rows, "summary": summary}, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
