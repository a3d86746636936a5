"""concurrency.py BINDIR [ROUNDS] - several histmerge, histprune and histplan
processes on one history at once. Each round starts from a history with
old runs (2020) and, all together: four histmerge writers (twelve JUnit
files and a history database between them, each file given to two
writers), two histprune --max-age that remove exactly the old runs
(nothing the writers add is old), and two histplan readers planning over
and over until the writers are done. Every process must exit 0 (a writer
waits for another, up to the 30 s busy timeout; readers never wait; a
reader that finds the history empty, between the prunes and the first
writer's commit, exits 1 saying so, as the SPEC asks), no
result is lost or stored twice, and the history equals a serial run of the
same commands. ROUNDS defaults to 3; the issue's hand run is 200."""

import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import content, integrity, remove_db, tool, write_junit  # noqa: E402


def main():
    bindir = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    merge, prune, plan = (os.path.join(bindir, n) for n in ("histmerge", "histprune", "histplan"))
    with tempfile.TemporaryDirectory() as tmp:
        seed = os.path.join(tmp, "seed.db")
        for i in range(3):
            old = os.path.join(tmp, f"old{i}.xml")
            write_junit(old, f"old{i}", 500, stamp=f"2020-01-0{i + 1}T00:00:00")
            tool(bindir, "histmerge", "--db", seed, "--run-id", f"old{i}", old)
        files = []
        for i in range(12):
            path = os.path.join(tmp, f"new{i}.xml" + (".gz" if i % 4 == 3 else ""))
            write_junit(path, f"new{i % 6}", 600, stamp=f"2024-06-{i + 1:02d}T00:00:00")
            files.append(path)
        other = os.path.join(tmp, "other.db")
        for i in range(2):
            path = os.path.join(tmp, f"o{i}.xml")
            write_junit(path, f"other{i}", 1000, stamp=f"2024-07-0{i + 1}T00:00:00")
            tool(bindir, "histmerge", "--db", other, "--run-id", f"o{i}", path)
        # Runs before 2022 go: the old ones, and nothing a writer adds.
        days = (datetime.datetime.now() - datetime.datetime(2022, 1, 1)).days
        db = os.path.join(tmp, "h.db")
        writers = [
            [merge, "--db", db, "--run-id", "w1", *files[0:6]],
            [merge, "--db", db, "--run-id", "w2", *files[6:12], other],
            [merge, "--db", db, "--run-id", "w1", *files[3:6], *files[0:3]],
            [merge, "--db", db, "--run-id", "w2", other, *files[9:12], *files[6:9]],
        ]
        pruners = [[prune, "--db", db, "--max-age", str(days)]] * 2
        planner = [plan, "--db", db, "--shards", "4", "--dry-run", "-q"]

        # The serial run: every command once, one after another.
        remove_db(db)
        shutil.copy(seed, db)
        for argv in writers + pruners:
            subprocess.run(argv, check=True, capture_output=True)
        want = content(db)
        assert len(want[0]) == 12 * 600 + 2 * 1000, len(want[0])  # every file once

        plans = empty = 0
        t0 = time.monotonic()
        for r in range(rounds):
            remove_db(db)
            shutil.copy(seed, db)
            procs = [(argv, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
                     for argv in writers + pruners]
            readers_done = 0
            while any(p.poll() is None for _, p in procs):
                for _ in range(2):  # two readers, one after the other
                    res = subprocess.run(planner, capture_output=True, text=True)
                    # The prunes may remove the old runs before any writer
                    # commits: a history with no result is nothing to plan
                    # (SPEC), exit 1 with that reason, and a right answer.
                    if res.returncode == 1 and "no result of suite" in res.stderr:
                        empty += 1
                    elif res.returncode != 0:
                        print(f"concurrency: FAILED: round {r}: histplan exit {res.returncode}: {res.stderr}")
                        return 1
                    readers_done += 1
                time.sleep(0.02)
            plans += readers_done
            for argv, p in procs:
                out, err = p.communicate()
                if p.returncode != 0:
                    print(f"concurrency: FAILED: round {r}: {os.path.basename(argv[0])} exit {p.returncode}: {err}")
                    return 1
            ok, why = integrity(db)
            if not ok:
                print(f"concurrency: FAILED: round {r}: integrity_check: {why}")
                return 1
            got = content(db)
            if got != want:
                print(f"concurrency: FAILED: round {r}: {len(got[0])} results, {len(got[1])} inputs; "
                      f"a serial run gives {len(want[0])} and {len(want[1])}")
                return 1
        print(f"concurrency: {rounds} rounds of 4 histmerge + 2 histprune + histplan readers "
              f"({plans} plans made meanwhile, {empty} of an empty history) in {time.monotonic() - t0:.1f} s: "
              f"all exit 0 (or 1 on an empty history), "
              f"the history as a serial run gives it ({len(want[0])} results, {len(want[1])} inputs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
