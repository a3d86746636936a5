"""crash.py BINDIR [ITERATIONS] - SIGKILL histmerge and histprune at random
moments and check the history: PRAGMA integrity_check passes, every input
is stored whole or not at all, a prune happened whole or not at all, and
running the same command again gives exactly what an uninterrupted run
gives. Three operations, ITERATIONS kills each (default 10; the issue's
hand run is 200):
- ingest: one histmerge call with six JUnit files (two gzipped), each its
  own transaction;
- merge: histmerge of another history of 20,000 results;
- prune: histprune --keep-runs 2 --drop-unseen 1 of a history of six runs.
Prints one summary line per operation; exits 1 on the first violation."""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import content, integrity, remove_db, tool, write_junit  # noqa: E402


def run_killed(argv, delay):
    """Start argv, SIGKILL it after delay seconds (if still running).
    Returns True when the kill landed before it finished."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return True


def timed(argv):
    t = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t


def kill_and_rerun(what, done, argv, db, fresh, before, want, full, iterations, rng):
    """iterations times: a fresh history, argv killed at a random moment
    within its uninterrupted time full; the history must pass
    integrity_check, hold before or want (never partly done), and a rerun
    must give want. Returns how many kills landed before argv finished."""
    killed = 0
    for _ in range(iterations):
        fresh()
        if not run_killed(argv, rng.uniform(0, full)):
            continue
        killed += 1
        ok, why = integrity(db)
        assert ok, f"{what}: integrity_check: {why}"
        assert content(db) in (before, want), f"{what}: the history is partly {done}"
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert content(db) == want, f"{what}: the rerun differs from an uninterrupted run"
    return killed


def check_ingest(bindir, tmp, iterations, rng):
    files = []
    for i in range(6):
        path = os.path.join(tmp, f"in{i}.xml" + (".gz" if i % 3 == 2 else ""))
        write_junit(path, f"pkg{i}", 3000)
        files.append(path)
    db = os.path.join(tmp, "ingest.db")
    argv = [os.path.join(bindir, "histmerge"), "--db", db, "--run-id", "r1", *files]
    remove_db(db)
    full = timed(argv)
    want = content(db)
    per_file = {}
    for res in want[0]:
        per_file.setdefault(res[3].split(".")[0].split("/")[0], set()).add(res)
    killed = partial = 0
    for _ in range(iterations):
        remove_db(db)
        if not run_killed(argv, rng.uniform(0, full)):
            continue
        killed += 1
        if not os.path.exists(db):
            continue
        ok, why = integrity(db)
        assert ok, f"ingest: integrity_check: {why}"
        got = content(db)
        have = set(got[0])
        stored = 0
        for name, rows in per_file.items():
            n = len(rows & have)
            assert n in (0, len(rows)), f"ingest: {name}: {n} of {len(rows)} results stored"
            stored += n > 0
        assert len(got[1]) == stored, f"ingest: {len(got[1])} inputs for {stored} files"
        partial += 0 < stored < len(files)
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert content(db) == want, "ingest: the rerun differs from an uninterrupted run"
    print(f"crash: ingest of {len(files)} files ({full:.2f} s): {killed} kills, {partial} between files, "
          f"all whole, reruns complete")


def check_merge(bindir, tmp, iterations, rng):
    src = os.path.join(tmp, "src.db")
    for i in range(5):
        path = os.path.join(tmp, f"m{i}.xml")
        write_junit(path, f"mod{i}", 4000, stamp=f"2024-04-{i + 1:02d}T08:00:00")
        tool(bindir, "histmerge", "--db", src, "--run-id", f"m{i}", path)
    base = os.path.join(tmp, "base.xml")
    write_junit(base, "basepkg", 500)
    db = os.path.join(tmp, "merge.db")

    def fresh():
        remove_db(db)
        tool(bindir, "histmerge", "--db", db, "--run-id", "b", base)

    argv = [os.path.join(bindir, "histmerge"), "--db", db, src]
    fresh()
    before = content(db)
    full = timed(argv)
    want = content(db)
    killed = kill_and_rerun("merge", "merged", argv, db, fresh, before, want, full, iterations, rng)
    print(f"crash: merge of a {len(want[0]) - len(before[0])}-result history ({full:.2f} s): {killed} kills, "
          f"all whole, reruns complete")


def check_prune(bindir, tmp, iterations, rng):
    seed = os.path.join(tmp, "prune-seed.db")
    for i in range(6):
        path = os.path.join(tmp, f"p{i}.xml")
        write_junit(path, f"p{i % 3}", 1500, stamp=f"2024-03-{i + 1:02d}T08:00:00")
        tool(bindir, "histmerge", "--db", seed, "--run-id", f"p{i}", path)
    db = os.path.join(tmp, "prune.db")

    def fresh():
        remove_db(db)
        shutil.copy(seed, db)

    argv = [os.path.join(bindir, "histprune"), "--db", db, "--keep-runs", "2", "--drop-unseen", "1"]
    fresh()
    before = content(db)
    full = timed(argv)
    want = content(db)
    killed = kill_and_rerun("prune", "pruned", argv, db, fresh, before, want, full, iterations, rng)
    print(f"crash: prune of {len(before[0]) - len(want[0])} of {len(before[0])} results ({full:.2f} s): "
          f"{killed} kills, all whole, reruns complete")


def main():
    bindir = sys.argv[1]
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    rng = random.Random(int(os.environ.get("HIST_CRASH_SEED", str(time.time_ns()))))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            check_ingest(bindir, tmp, iterations, rng)
            check_merge(bindir, tmp, iterations, rng)
            check_prune(bindir, tmp, iterations, rng)
        except AssertionError as e:
            print(f"crash: FAILED: {e}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
