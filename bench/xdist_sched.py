"""xdist_sched.py - hist's xdist scheduler against xdist's --dist load.
Run by bench/xdist_sched.sh (uses build/bin/histmerge and histplan).

Two suites, each 40 tests sleeping 0.05 s, then a few long ones collected
last (where --dist load meets them late): A has 3 of 1.5 s, B has 0.5 s,
1.0 s and 3.0 s (SUITES="A B" picks). Each suite's history comes from a serial --hist-report run, merged by histmerge and
planned by histplan as one shard, so the scheduler works from a real plan.
Then, alternating, RUNS times each (one core's worth of work at a time):

  hist   pytest -n W --shard-file=shards/shard-1.txt             (HistScheduling)
  load   the same with --hist-scheduler xdist, i.e. xdist's --dist load
  start  the same as hist with -k matching nothing: start-up and teardown

Each pytest process is timed as a whole (wall). Its --hist-report gives
facts the machine's load cannot change: which worker ran which long test,
and each worker's busy time (the sum of its tests' phases).
The busiest worker's test time, against the bound and against load, is
the comparison that a loaded machine's slower start-up does not blur.
Targets: median hist wall <= 1.10 x max(total / W, longest) + median start;
median hist wall <= 0.80 x median load wall."""

import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.environ.get("HIST_BIN", os.path.join(REPO, "build", "bin"))
RUNS = int(os.environ.get("RUNS", "3"))
WORKERS = int(os.environ.get("WORKERS", "2"))
SUITES = os.environ.get("SUITES", "A B").split()
SHORT, SHORT_S = 40, 0.05
LONGS = {"A": [1.5, 1.5, 1.5], "B": [0.5, 1.0, 3.0]}

SUITE = """import time
import pytest

@pytest.mark.parametrize("i", range({short}))
def test_short(i):
    time.sleep({short_s})

@pytest.mark.parametrize("s", {longs})
def test_long(s):
    time.sleep(s)
"""


def env():
    e = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
             PYTHONPATH=os.path.join(REPO, "plugin"))
    for name in list(e):
        if name.startswith("HIST_") or name == "PYTEST_ADDOPTS":
            del e[name]
    return e


def pytest(cwd, *args):
    cmd = [sys.executable, "-m", "pytest", "-p", "pytest_hist.plugin",
           "-p", "xdist.plugin", "-p", "no:cacheprovider", "-q"] + list(args)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"xdist_sched: {' '.join(cmd)}: exit {done.returncode}\n"
                 f"{done.stdout[-3000:]}")
    return wall


def tool(name, *args, cwd=None):
    done = subprocess.run([os.path.join(BIN, name)] + [str(a) for a in args],
                          cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"xdist_sched: {name} {' '.join(map(str, args))}: exit "
                 f"{done.returncode}\n{done.stderr}")
    return done.stdout


def per_worker(report):
    """worker -> (busy seconds, long tests it ran, in start order)."""
    with gzip.open(report, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    tests = sorted((r for r in records if r["type"] == "test"), key=lambda r: r["start"])
    out = {}
    for r in tests:
        busy, longs = out.get(r["worker"], (0.0, []))
        busy += r["setup"] + r["call"] + r["teardown"]
        if "test_long" in r["nodeid"]:
            longs = longs + [r["nodeid"].split("::")[1]]
        out[r["worker"]] = (busy, longs)
    return out, len(tests)


def main():
    for name in SUITES:
        bench(name, LONGS[name])


def bench(name, longs):
    work = tempfile.mkdtemp(prefix=f"xdist_sched.{name}.")
    with open(os.path.join(work, "test_sample.py"), "w") as f:
        f.write(SUITE.format(short=SHORT, short_s=SHORT_S, longs=longs))
    serial = os.path.join(work, "serial.jsonl.gz")
    pytest(work, f"--hist-report={serial}")
    db = os.path.join(work, "hist.db")
    tool("histmerge", "-q", "--db", db, "--run-id", "bench-serial", serial)
    listing = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"],
        cwd=work, env=env(), capture_output=True, text=True).stdout
    tests = os.path.join(work, "tests.txt")
    with open(tests, "w") as f:
        f.write(listing)
    tool("histplan", "-q", "--db", db, "--shards", 1, "--tests", tests, "--out",
         os.path.join(work, "shards"))
    _, _, total, longest = serial_figures(serial)
    shard = "--shard-file=shards/shard-1.txt"
    kinds = {
        "hist": [shard],
        "load": [shard, "--hist-scheduler", "xdist"],
        "start": [shard, "-k", "no_test_matches_this"],
    }
    walls = {k: [] for k in kinds}
    facts = {"hist": [], "load": []}
    for run in range(RUNS):
        for kind, args in kinds.items():
            report = os.path.join(work, f"{kind}-{run}.jsonl.gz")
            walls[kind].append(pytest(work, "-n", str(WORKERS), *args,
                                      f"--hist-report={report}"))
            if kind in facts:
                facts[kind].append(per_worker(report))
    med = {k: statistics.median(v) for k, v in walls.items()}
    bound = max(total / WORKERS, longest)
    print(f"suite {name}: {SHORT} x {SHORT_S} s then {longs} s; serial test time "
          f"{total:.2f} s, longest {longest:.2f} s; -n {WORKERS}, {RUNS} runs each")
    for kind in kinds:
        runs = " ".join(f"{w:.2f}" for w in walls[kind])
        print(f"{kind:6} wall median {med[kind]:.2f} s (runs {runs})")
    for kind in facts:
        for run, (workers, count) in enumerate(facts[kind]):
            parts = [f"{w}: busy {busy:.2f} s, ran {', '.join(longs) or 'no long test'}"
                     for w, (busy, longs) in sorted(workers.items())]
            print(f"  {kind} run {run + 1} ({count} tests): " + "; ".join(parts))
    busiest = {k: statistics.median(max(b for b, _ in workers.values())
                                    for workers, _ in facts[k]) for k in facts}
    print(f"busiest worker's test time, median: hist {busiest['hist']:.2f} s "
          f"({busiest['hist'] / bound:.3f} x bound), load {busiest['load']:.2f} s; "
          f"hist / load {busiest['hist'] / busiest['load']:.3f}")
    target = 1.10 * bound + med["start"]
    print(f"bound max(total/{WORKERS}, longest) = {bound:.2f} s; target hist <= "
          f"1.10 x bound + start = {target:.2f} s: {'met' if med['hist'] <= target else 'MISSED'}")
    ratio = med["hist"] / med["load"]
    print(f"hist / load = {ratio:.3f} (target <= 0.80): "
          f"{'met' if ratio <= 0.80 else 'MISSED'}; without start-up "
          f"{(med['hist'] - med['start']) / (med['load'] - med['start']):.3f}")
    print(f"(work files in {work})")


def serial_figures(report):
    workers, count = per_worker(report)
    with gzip.open(report, "rt", encoding="utf-8") as f:
        tests = [json.loads(line) for line in f]
    times = [r["setup"] + r["call"] + r["teardown"] for r in tests if r["type"] == "test"]
    return workers, count, sum(times), max(times)


if __name__ == "__main__":
    main()
