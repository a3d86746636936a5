"""plugin_balance.py - how evenly hist's shards of the sample suite finish.
Run by bench/plugin_balance.sh (uses build/bin/histmerge and histplan).

For N in SHARDS (default "3 4"): record the suite's history with a serial
--hist-report run, plan N shards with histplan, and run every shard RUNS
times, one after another, timing each pytest process (wall). Per shard the
median is kept; the makespan is the slowest shard's median. The baseline
splits the same suite in pytest's collection order into N chunks of equal
count (what a naive sharder does), run through the same plugin so both pay
the same start-up.
Targets: makespan / mean shard time <= 1.10; makespan <= 0.6 x baseline."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.environ.get("HIST_BIN", os.path.join(REPO, "build", "bin"))
RUNS = int(os.environ.get("RUNS", "3"))
SHARDS = [int(n) for n in os.environ.get("SHARDS", "3 4").split()]


def env():
    e = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
             PYTHONPATH=os.path.join(REPO, "plugin"))
    for name in ("HIST_SAMPLE_SCALE", "HIST_SAMPLE_EVOLVED", "PYTEST_ADDOPTS"):
        e.pop(name, None)
    return e


def pytest(cwd, *args):
    cmd = [sys.executable, "-m", "pytest", "-p", "pytest_hist.plugin",
           "-p", "no:cacheprovider", "-q"] + list(args)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"plugin_balance: {' '.join(cmd)}: exit {done.returncode}\n{done.stdout[-3000:]}")
    return wall, done.stdout


def tool(name, *args, cwd=None):
    done = subprocess.run([os.path.join(BIN, name)] + [str(a) for a in args],
                          cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"plugin_balance: {name} {' '.join(map(str, args))}: exit "
                 f"{done.returncode}\n{done.stderr}")
    return done.stdout


def chunk_plan(directory, nodeids, total, plan_id):
    os.makedirs(directory)
    size, extra = divmod(len(nodeids), total)
    start = 0
    for k in range(1, total + 1):
        end = start + size + (1 if k <= extra else 0)
        with open(os.path.join(directory, f"shard-{k}.txt"), "w", encoding="utf-8") as f:
            f.write(f"# hist plan {plan_id}\n# shard {k}/{total}\n")
            f.writelines(n + "\n" for n in nodeids[start:end])
        start = end


def measure(suite, directory, total):
    walls = {k: [] for k in range(1, total + 1)}
    for _ in range(RUNS):
        for k in walls:
            wall, _ = pytest(suite, "--shard-file", os.path.join(directory, f"shard-{k}.txt"))
            walls[k].append(wall)
    return [statistics.median(walls[k]) for k in sorted(walls)]


def main():
    work = tempfile.mkdtemp(prefix="hist-balance-")
    try:
        suite = os.path.join(work, "suite")
        shutil.copytree(os.path.join(REPO, "fixtures", "sample_suite"), suite)
        db = os.path.join(work, "history.db")
        serial, _ = pytest(suite, "--hist-report", os.path.join(work, "serial.jsonl.gz"))
        tool("histmerge", "--db", db, "--run-id", "bench-serial", os.path.join(work, "serial.jsonl.gz"))
        _, out = pytest(suite, "--collect-only")
        nodeids = [line for line in out.splitlines() if "::" in line]
        tests = os.path.join(work, "tests.txt")
        with open(tests, "w", encoding="utf-8") as f:
            f.writelines(n + "\n" for n in nodeids)
        print(f"plugin_balance: sample suite, {len(nodeids)} tests, serial run {serial:.2f} s; "
              f"median of {RUNS} runs per shard (pytest process wall)")
        ok = True
        for total in SHARDS:
            plan_dir = os.path.join(suite, f"hist-{total}")
            tool("histplan", "--db", db, "--shards", total, "--tests", tests, "--out", plan_dir)
            chunk_dir = os.path.join(suite, f"chunks-{total}")
            chunk_plan(chunk_dir, nodeids, total, f"{total:016x}")
            hist = measure(suite, plan_dir, total)
            chunks = measure(suite, chunk_dir, total)
            span, mean = max(hist), statistics.mean(hist)
            base = max(chunks)
            print(f"  N={total}  hist shards: {' '.join(f'{w:.2f}' for w in hist)} s  "
                  f"makespan {span:.2f} s  mean {mean:.2f} s  makespan/mean {span / mean:.3f}")
            print(f"       count chunks: {' '.join(f'{w:.2f}' for w in chunks)} s  makespan "
                  f"{base:.2f} s  hist/chunks {span / base:.3f}")
            ok = ok and span / mean <= 1.10 and span / base <= 0.6
        print("plugin_balance: targets (makespan/mean <= 1.10, hist/chunks <= 0.6) "
              + ("met" if ok else "NOT met"))
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
