#!/usr/bin/python3
"""spread_backtest.py - does spreading noisy tests (--spread-variance) pay?

Replays recorded serial runs (the plugin's --hist-report files, one a
run, ordered by their session's start): for each run k after the first,
the runs before it are merged into a fresh history (one run each, as
histmerge stores them), and histplan plans run k's tests (--tests, in the
order run k ran them) for every N and every K of --spread-variance (0:
off). Each plan's shards are then timed under run k's own durations: a
shard's actual = the plan's start-up (overheads.shard_seconds) + the sum
over its tests of (run k's setup + call + teardown + the plan's per-test
overhead) + the collection of each file it runs part of (the file's
tests x overheads.collect_per_test_seconds, as the plan charges it).
Tests run k did not time count 0. A module's fixture set-up, paid again
by each further shard that runs part of the module, is left out (run k
paid it once): spreading moves whole pieces (a module with set-up is
cut into pieces on expected times alone, the same with and without it),
so it falls on both plans alike.

With --all-later, each plan is also timed under every later run j > k
(more draws of the machine's noise for the same plan; rows say run j).

Printed per (k, N, K): the plan's predicted makespan, the actual slowest
shard, the actual mean shard and slowest / mean; then, per N and K, the
mean over k of slowest and slowest / mean, and how often K beat K = 0.

  bench/spread_backtest.py [--bin DIR] [--shards "4 8"] [--k "1 2"] [--min-history H]
                           [--all-later] [--json FILE] REPORT.jsonl.gz...

Deterministic for the same reports and binaries; uses a scratch directory
that it removes.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from backtest import report_records


def read_report(path):
    """(session start, [nodeids in run order], {nodeid: seconds of its last attempt})."""
    order, dur, start = [], {}, None
    for rec in report_records(path):
        if rec.get("type") == "test":
            t = rec["nodeid"]
            if t not in dur:
                order.append(t)
            dur[t] = sum(rec.get(p) or 0.0 for p in ("setup", "call", "teardown"))
        elif rec.get("type") == "session":
            start = rec["start"]
    if start is None:
        raise SystemExit(f"spread_backtest.py: {path}: no session record")
    return start, order, dur


def plan(bindir, db, tests_file, out, n, k):
    subprocess.run([os.path.join(bindir, "histplan"), "-q", "--db", db, "--tests", tests_file,
                    "--shards", str(n), "--out", out, "--spread-variance", str(k)], check=True)
    with open(os.path.join(out, "plan.json"), encoding="utf-8") as f:
        doc = json.load(f)
    shards = []
    for s in doc["shards"]:
        with open(os.path.join(out, s["file"]), encoding="utf-8") as f:
            shards.append([line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")])
    return doc, shards


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin"))
    ap.add_argument("--shards", default="4 8")
    ap.add_argument("--k", default="1 2", help="values of --spread-variance beside 0")
    ap.add_argument("--min-history", type=int, default=1, help="runs before k at least")
    ap.add_argument("--all-later", action="store_true", help="time each plan under every later run too")
    ap.add_argument("--json")
    ap.add_argument("reports", nargs="+")
    a = ap.parse_args()
    runs = sorted((read_report(p) + (p,) for p in a.reports), key=lambda r: (r[0], r[3]))
    ns = [int(x) for x in a.shards.split()]
    ks = [0.0] + [float(x) for x in a.k.split()]
    rows = []
    scratch = tempfile.mkdtemp(prefix="hist-spread-")
    try:
        db = os.path.join(scratch, "h.db")
        for i, (_, order, dur, path) in enumerate(runs):
            if i >= a.min_history:
                per_file = {}
                for t in order:
                    per_file[t.split("::")[0]] = per_file.get(t.split("::")[0], 0) + 1
                tl = os.path.join(scratch, "tests.txt")
                with open(tl, "w", encoding="utf-8") as f:
                    f.write("".join(t + "\n" for t in order))
                for n in ns:
                    for k in ks:
                        doc, shards = plan(a.bin, db, tl, os.path.join(scratch, "out"), n, k)
                        ov = doc["overheads"]
                        cpt = ov.get("collect_per_test_seconds") or 0.0
                        for j in range(i, len(runs) if a.all_later else i + 1):
                            dj = runs[j][2]
                            act = [ov["shard_seconds"] + sum(dj.get(t, 0.0) + ov["test_seconds"] for t in s)
                                   + cpt * sum(per_file[f] for f in {t.split("::")[0] for t in s})
                                   for s in shards]
                            mean = sum(act) / len(act)
                            rows.append({"k_run": i + 1, "timed_run": j + 1, "history": i, "shards": n,
                                         "spread": k, "plan_id": doc["plan_id"],
                                         "predicted": doc["makespan_seconds"], "slowest": max(act),
                                         "mean": mean, "ratio": max(act) / mean})
            subprocess.run([os.path.join(a.bin, "histmerge"), "-q", "--db", db, "--run-id", f"run-{i:04d}", path],
                           check=True)
    finally:
        shutil.rmtree(scratch)
    print("| run k | timed by run | N | K | plan | predicted s | slowest s | mean s | slowest / mean |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['k_run']} | {r['timed_run']} | {r['shards']} | {r['spread']:g} | {r['plan_id'][:8]} |"
              f" {r['predicted']:.2f} | {r['slowest']:.2f} | {r['mean']:.2f} | {r['ratio']:.4f} |")
    print()
    print("| N | K | timings | mean slowest s | mean slowest / mean | mean predicted s | better / same / worse than K = 0 |")
    print("|---|---|---|---|---|---|---|")
    summary = []
    for n in ns:
        base = {(r["k_run"], r["timed_run"]): r for r in rows if r["shards"] == n and r["spread"] == 0}
        for k in ks:
            sel = [r for r in rows if r["shards"] == n and r["spread"] == k]
            if not sel:
                continue
            better = sum(r["slowest"] < base[r["k_run"], r["timed_run"]]["slowest"] - 1e-9 for r in sel)
            worse = sum(r["slowest"] > base[r["k_run"], r["timed_run"]]["slowest"] + 1e-9 for r in sel)
            s = {"shards": n, "spread": k, "runs": len(sel),
                 "slowest": sum(r["slowest"] for r in sel) / len(sel),
                 "ratio": sum(r["ratio"] for r in sel) / len(sel),
                 "predicted": sum(r["predicted"] for r in sel) / len(sel),
                 "better": better, "same": len(sel) - better - worse, "worse": worse}
            summary.append(s)
            print(f"| {n} | {k:g} | {s['runs']} | {s['slowest']:.3f} | {s['ratio']:.4f} | {s['predicted']:.3f} |"
                  f" {better} / {s['same']} / {worse} |")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"rows": rows, "summary": summary}, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
