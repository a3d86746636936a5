"""crash.py BINDIR [ITERATIONS] - SIGKILL histmerge and histprune at random
moments and check the history: PRAGMA integrity_check passes, every input
is stored whole or not at all, a prune happened whole or not at all, and
running the same command again gives exactly what an uninterrupted run
gives. Three operations, ITERATIONS kills each (default 10; the issue's
hand run is 200), aimed between the moment the tool opens the history and
the moment it is done (timed by a first uninterrupted run), and counted by
what they hit: the work itself (the tool held the history open, per
/proc/PID/fd, and had not stored its result), start-up, or the exit after
the result was stored:
- ingest: one histmerge call with six JUnit files (two gzipped), each its
  own transaction;
- merge: histmerge of another history of 20,000 results;
- prune: histprune --keep-runs 2 --drop-unseen 1 of a history of six runs.
Prints one summary line per operation, with those counts; exits 1 on the
first violation."""

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


def history_open(pid, db):
    """Whether process pid holds the history db (or its -wal or -journal)
    open, from its descriptors in /proc: it has begun the work. None where
    /proc cannot tell."""
    real = os.path.realpath(db)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target == real or target.startswith(real + "-"):
            return True
    return False


def run_killed(argv, delay, db):
    """Start argv, SIGKILL it after delay seconds. Returns None when it
    finished first, else whether it held the history open when killed."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=delay)
        return None
    except subprocess.TimeoutExpired:
        opened = history_open(p.pid, db)
        p.send_signal(signal.SIGKILL)
        p.wait()
        return opened


def calibrate(argv, db, fresh):
    """(seconds until argv opens the history, seconds it takes in all),
    from one uninterrupted run: kills are aimed between the two."""
    fresh()
    t = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opened = None
    while p.poll() is None:
        if opened is None and history_open(p.pid, db):
            opened = time.monotonic() - t
        time.sleep(0.0005)
    full = time.monotonic() - t
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit {p.returncode}")
    return (opened if opened is not None else 0.0), full


class Kills:
    """What the kills hit: a kill that finds the process done is no kill;
    one before it opened the history interrupted start-up only; one after
    the history holds the whole result interrupted its exit only. The rest
    interrupted the work itself."""

    def __init__(self):
        self.tries = self.startup = self.mid_work = self.after = 0

    def count(self, opened, finished):
        self.tries += 1
        if opened is False:
            self.startup += 1
        elif finished:
            self.after += 1
        else:
            self.mid_work += 1

    def __str__(self):
        return (f"{self.mid_work} kills mid-work ({self.startup} more in start-up, {self.after} "
                f"after the work was stored, of {self.tries} tries)")


def kill_and_rerun(what, argv, db, fresh, want, iterations, rng, check_partial):
    """iterations times: a fresh history, argv killed at a random moment
    between opening the history and finishing; the history must pass
    integrity_check and check_partial(content) (never partly done), and a
    rerun must give want. Returns the Kills."""
    # Two timings: aimed at the shorter, fewer kills come after the end.
    (opens, full), (opens2, full2) = calibrate(argv, db, fresh), calibrate(argv, db, fresh)
    opens, full = max(opens, opens2), min(full, full2)
    kills = Kills()
    for _ in range(iterations):
        fresh()
        opened = run_killed(argv, rng.uniform(min(opens, full), full), db)
        if opened is None:
            kills.tries += 1
            continue
        got = ([], [])
        if os.path.exists(db):
            ok, why = integrity(db)
            assert ok, f"{what}: integrity_check: {why}"
            got = content(db)
            check_partial(got)
        kills.count(opened, got == want)
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert content(db) == want, f"{what}: the rerun differs from an uninterrupted run"
    return kills, full


def check_ingest(bindir, tmp, iterations, rng):
    files = []
    for i in range(6):
        path = os.path.join(tmp, f"in{i}.xml" + (".gz" if i % 3 == 2 else ""))
        write_junit(path, f"pkg{i}", 3000)
        files.append(path)
    db = os.path.join(tmp, "ingest.db")
    argv = [os.path.join(bindir, "histmerge"), "--db", db, "--run-id", "r1", *files]
    remove_db(db)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    want = content(db)
    per_file = {}
    for res in want[0]:
        per_file.setdefault(res[3].split(".")[0].split("/")[0], set()).add(res)
    between = []

    def whole_files(got):
        have = set(got[0])
        stored = 0
        for name, rows in per_file.items():
            n = len(rows & have)
            assert n in (0, len(rows)), f"ingest: {name}: {n} of {len(rows)} results stored"
            stored += n > 0
        assert len(got[1]) == stored, f"ingest: {len(got[1])} inputs for {stored} files"
        between.append(0 < stored < len(files))

    kills, full = kill_and_rerun("ingest", argv, db, lambda: remove_db(db), want, iterations, rng,
                                 whole_files)
    print(f"crash: ingest of {len(files)} files ({full:.2f} s): {kills}, {sum(between)} between "
          f"files; all whole, reruns complete")


def check_history_change(what, done, argv, db, fresh, iterations, rng):
    """A change of a history in one transaction (a merge, a prune): killed,
    it is there whole or not at all."""
    fresh()
    before = content(db)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    want = content(db)

    def whole(got):
        assert got in (before, want), f"{what}: the history is partly {done}"

    kills, full = kill_and_rerun(what, argv, db, fresh, want, iterations, rng, whole)
    return before, want, kills, full


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
    before, want, kills, full = check_history_change("merge", "merged", argv, db, fresh,
                                                     iterations, rng)
    print(f"crash: merge of a {len(want[0]) - len(before[0])}-result history ({full:.2f} s): "
          f"{kills}; all whole, reruns complete")


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
    before, want, kills, full = check_history_change("prune", "pruned", argv, db, fresh,
                                                     iterations, rng)
    print(f"crash: prune of {len(before[0]) - len(want[0])} of {len(before[0])} results "
          f"({full:.2f} s): {kills}; all whole, reruns complete")


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
