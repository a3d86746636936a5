#!/usr/bin/python3
"""collect_models.py - which collection model predicts recorded shards best.

Reads recorded --hist-report files the way bench/backtest.py does (each DIR
a history of its own: the reports of one plan are one run, a serial report a
run of its own, replayed in the order they started) and predicts each
report's collection time from the runs before it with two models:

- per test (what histplan does, estimate.c): collection = fixed part +
  tests x collection per test, fitted by least squares over the inputs'
  session records (the fixed part 0, and the median ratio, while all
  inputs have about one size);
- per file: collection = fixed part + files x collection per file. The
  history holds each input's collection and test count but not the files
  an input collected (results carry no record of their input), so this is
  fitted over runs: a run's summed collection = inputs x fixed part +
  files of the run x per file (a module split over two shards counted
  once); all per file while every run has one input.

Prints each prediction beside the actual collection, and the mean absolute
error of each model.

  bench/collect_models.py DIR...
"""
import gzip
import json
import os
import statistics
import sys


def read(path):
    tests, session = [], None
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("type") == "test":
                tests.append(rec["nodeid"])
            elif rec.get("type") == "session":
                session = rec
    return tests, session


def runs_of(d):
    rep = os.path.join(d, "reports")
    rep = rep if os.path.isdir(rep) else d
    runs = {}
    for name in sorted(os.listdir(rep)):
        if not name.endswith(".jsonl.gz"):
            continue
        tests, s = read(os.path.join(rep, name))
        if not tests or not s or s.get("collect") is None or s.get("interrupted"):
            continue
        runs.setdefault(s.get("plan_id") or name, []).append((name, tests, s))
    return sorted(runs.values(), key=lambda r: min(s["start"] for _, _, s in r))


def module(nodeid):
    return nodeid.split("::")[0]


def per_test_fit(points):
    """hist's rule (estimate.c fit_line): a line when the sizes differ enough."""
    xs = [x for x, _ in points]
    if len(points) < 2 or min(xs) > 0.75 * max(xs):
        return 0.0, statistics.median(y / x for x, y in points)
    mx = statistics.fmean(xs)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    a = my - b * mx
    if b < 0:
        return statistics.median(y for _, y in points), 0.0
    if a < 0:
        return 0.0, statistics.median(y / x for x, y in points)
    return a, b


def per_file_fit(runs):
    """Least squares of y = inputs x F + files x a over runs, no intercept."""
    if len({k for k, _, _ in runs}) < 2:
        return 0.0, statistics.median(y / m for _, m, y in runs)
    s11 = sum(k * k for k, _, _ in runs)
    s12 = sum(k * m for k, m, _ in runs)
    s22 = sum(m * m for _, m, _ in runs)
    t1 = sum(k * y for k, _, y in runs)
    t2 = sum(m * y for _, m, y in runs)
    det = s11 * s22 - s12 * s12
    fixed, a = (t1 * s22 - t2 * s12) / det, (s11 * t2 - s12 * t1) / det
    if fixed < 0:
        return 0.0, statistics.median(y / m for _, m, y in runs)
    if a < 0:
        return statistics.median(y / k for k, _, y in runs), 0.0
    return fixed, a


def main():
    errors = {"per test": [], "per file": []}
    print("| recording | report | tests | files | actual s | per test s | per file s |")
    print("|---|---|---|---|---|---|---|")
    for d in sys.argv[1:]:
        runs = runs_of(d)
        for i in range(1, len(runs)):
            before = [r for run in runs[:i] for r in run]
            f1, b = per_test_fit([(len(t), s["collect"]) for _, t, s in before])
            f2, a = per_file_fit([(len(run), len({module(n) for _, t, _ in run for n in t}),
                                   sum(s["collect"] for _, _, s in run)) for run in runs[:i]])
            for name, tests, s in runs[i]:
                files = len({module(n) for n in tests})
                p1, p2 = f1 + b * len(tests), f2 + a * files
                errors["per test"].append(abs(p1 - s["collect"]))
                errors["per file"].append(abs(p2 - s["collect"]))
                print(f"| {os.path.basename(os.path.normpath(d))} | {name} | {len(tests)} | {files} |"
                      f" {s['collect']:.2f} | {p1:.2f} | {p2:.2f} |")
    for model, e in errors.items():
        if e:
            print(f"{model}: {len(e)} predicted, mean abs error {statistics.fmean(e):.2f} s, worst {max(e):.2f} s")


if __name__ == "__main__":
    main()
