"""oom_stderr.py BINDIR FAILMALLOC [STRIDE] - what a user sees when libxml2
runs out of memory inside histmerge. FAILMALLOC (tests/failmalloc.c, an
LD_PRELOAD library) fails the k-th allocation libxml2 makes; k walks over
every one of an ingest of real JUnit files (STRIDE > 1 takes every
STRIDE-th, and always the first 60, where the reader is made). Each run
exits 0 with exactly the history of an undisturbed run, or exits 1 with
one line "histmerge: FILE[:LINE]: reason" on stderr and an unchanged
(empty) history: libxml2's own words ("xmlNewTextReader : malloc failed")
never reach stderr."""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import content  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "junit")
# pytest's output, a declared ISO-8859-1 encoding (libxml2 converts), UTF-16
# with a BOM, suites nested three deep.
INPUTS = ["pytest-xunit1.xml", "iso-8859-1.xml", "utf16-bom.xml", "nested-suites.xml"]
OUR_LINE = re.compile(r"histmerge: [^:\n]+(:[0-9]+)?: [^\n]+\n\Z")


def stored(db):
    """The results, without the run's start (a file without a timestamp
    starts when it is stored)."""
    return [r[:2] + r[3:] for r in content(db)[0]] if os.path.exists(db) else []


def run(bindir, shim, db, path, env_extra):
    for sfx in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(db + sfx):
            os.unlink(db + sfx)
    env = dict(os.environ, LD_PRELOAD=shim, HIST_FAIL_IN="libxml2", **env_extra)
    return subprocess.run([os.path.join(bindir, "histmerge"), "-q", "--db", db, "--run-id", "oom", path],
                          capture_output=True, text=True, env=env, timeout=60)


def walk(bindir, shim, stride, tmp, name):
    path = os.path.join(FIXTURES, name)
    db = os.path.join(tmp, "h.db")
    count_file = os.path.join(tmp, "count")
    r = run(bindir, shim, db, path, {"HIST_FAIL_COUNT": count_file})
    if r.returncode != 0 or r.stderr:
        raise AssertionError(f"{name}: the undisturbed run failed: {r.returncode} {r.stderr}")
    want = stored(db)
    with open(count_file) as f:
        total = int(f.read())
    if total < 20:
        raise AssertionError(f"{name}: only {total} libxml2 allocations: is {shim} counting?")
    failed = absorbed = 0
    for k in range(1, total + 1):
        if k > 60 and k % stride:
            continue
        r = run(bindir, shim, db, path, {"HIST_FAIL_AT": str(k)})
        if r.returncode == 0:
            if r.stderr or stored(db) != want:
                raise AssertionError(f"{name}: allocation {k} failed, exit 0 but "
                                     f"{'stderr ' + repr(r.stderr) if r.stderr else 'another history'}")
            absorbed += 1
        elif r.returncode == 1:
            if not OUR_LINE.match(r.stderr):
                raise AssertionError(f"{name}: allocation {k} failed: stderr is not one "
                                     f"'histmerge: FILE[:LINE]: reason' line: {r.stderr!r}")
            if stored(db):
                raise AssertionError(f"{name}: allocation {k} failed: exit 1 but results stored")
            failed += 1
        else:
            raise AssertionError(f"{name}: allocation {k} failed: exit {r.returncode}: {r.stderr!r}")
    print(f"oom_stderr: {name}: {total} libxml2 allocations, {failed + absorbed} failed in turn: "
          f"{failed} errors with our line, {absorbed} absorbed with the exact history")


def main():
    bindir, shim = sys.argv[1], os.path.abspath(sys.argv[2])
    stride = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    with tempfile.TemporaryDirectory(prefix="hist-oom-stderr-") as tmp:
        for name in INPUTS:
            walk(bindir, shim, stride, tmp, name)


if __name__ == "__main__":
    main()
