#!/usr/bin/python3
"""check_progress.py BINDIR - progress lines show on a terminal only.

SPEC: a long job shows progress on stderr when stderr is a terminal, stays
quiet otherwise, and -q silences it. Each tool runs here with stderr on a
pseudo-terminal (Python's pty module) and again on a pipe:

- histmerge reading a 40,000-test JUnit file: on the terminal, progress as
  one line rewritten with \\r ("FILE: N% of S MiB", N rising), erased before
  the summary; with -q nothing; on a pipe the summary alone, no \\r or
  escape sequence.
- histplan reading a history of 9 runs x 30,000 results: "history: N
  results read" the same way.
"""

import os
import pty
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ERASE = b"\r\x1b[K"
failures = []


def check(cond, what, output):
    if not cond:
        failures.append(f"{what}\n    got: {output[-600:]!r}")


def run_tty(argv, cwd):
    """Runs argv with stderr on a new pseudo-terminal; returns (status,
    what the terminal received, stdout)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=slave)
    os.close(slave)
    got = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        got += chunk
    os.close(master)
    out = proc.stdout.read()
    proc.stdout.close()
    return proc.wait(), got, out


def run_pipe(argv, cwd):
    done = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)
    return done.returncode, done.stderr, done.stdout


def progress_lines(got, prog):
    """The progress texts before the final erase, and what follows it.
    A progress update is "\\rPROG: TEXT\\x1b[K"; the tty turns \\n into
    \\r\\n, so any \\n before the erase would be a second line."""
    head, sep, tail = got.rpartition(ERASE)
    if not sep:
        return None, got
    updates = re.findall(rb"\r" + re.escape(prog.encode()) + rb": ([^\r\n\x1b]*)\x1b\[K", head)
    rest = re.sub(rb"\r" + re.escape(prog.encode()) + rb": ([^\r\n\x1b]*)\x1b\[K", b"", head)
    if rest or b"\n" in head:
        return None, got
    return [u.decode() for u in updates], tail


def junit(path, tests, seed):
    cases = "".join(f'<testcase classname="tests.test_m{i % 50}" name="test_{i}" '
                    f'file="tests/test_m{i % 50}.py" time="{(i * 7 + seed) % 97 / 1000:.3f}"/>\n'
                    for i in range(tests))
    path.write_text(f'<?xml version="1.0"?>\n<testsuites><testsuite name="pytest" tests="{tests}">\n'
                    f"{cases}</testsuite></testsuites>\n", encoding="utf-8")


def check_histmerge(bindir, work):
    tool = str(bindir / "histmerge")
    big = work / "big.xml"
    junit(big, 40000, 1)
    argv = [tool, "--db", "tty.db", "--run-id", "r1", "big.xml"]
    status, got, _ = run_tty(argv, work)
    check(status == 0, "histmerge on a tty: exit 0", got)
    updates, tail = progress_lines(got, "histmerge")
    check(updates is not None and len(updates) >= 2,
          "histmerge on a tty: progress as one \\r line, erased before the summary", got)
    if updates:
        pct = [int(m.group(1)) for u in updates
               for m in [re.fullmatch(r"big\.xml: (\d+)% of [0-9.]+ MiB", u)] if m]
        check(len(pct) == len(updates) and pct == sorted(pct) and 0 < pct[-1] <= 100,
              "histmerge progress reads 'big.xml: N% of S MiB', N rising", repr(updates).encode())
    check(tail.startswith(b"histmerge: 1 file, 40000 tests, 40000 results added"),
          "histmerge on a tty: the summary follows the erased progress line", got)

    status, got, _ = run_tty(argv[:3] + ["--run-id", "r2", "-q", "big.xml"], work)
    check(status == 0 and got == b"", "histmerge -q on a tty: nothing on stderr", got)

    junit(big, 40000, 2)
    status, got, _ = run_pipe([tool, "--db", "pipe.db", "big.xml"], work)
    check(status == 0 and b"\r" not in got and b"\x1b" not in got
          and got.startswith(b"histmerge: 1 file, 40000 tests"),
          "histmerge with stderr on a pipe: the summary only, no progress", got)


def check_histplan(bindir, work):
    merge, plan = str(bindir / "histmerge"), str(bindir / "histplan")
    for run in range(9):
        f = work / f"run{run}.xml"
        junit(f, 30000, run)
        done = subprocess.run([merge, "-q", "--db", "big.db", "--run-id", f"run{run}", f.name],
                              cwd=work, capture_output=True)
        if done.returncode != 0:
            raise SystemExit(f"histmerge run{run}: {done.stderr.decode()}")
        f.unlink()
    argv = [plan, "--db", "big.db", "--shards", "4", "--effort", "1000", "--dry-run"]
    status, got, _ = run_tty(argv, work)
    check(status == 0, "histplan on a tty: exit 0", got)
    updates, tail = progress_lines(got, "histplan")
    check(updates is not None and len(updates) >= 1
          and all(re.fullmatch(r"history: \d+ results read", u) for u in updates),
          "histplan on a tty: 'history: N results read' as one \\r line, erased", got)
    check(tail.startswith(b"histplan: "), "histplan on a tty: the summary follows", got)

    status, got, _ = run_tty(argv + ["-q"], work)
    check(status == 0 and b"\r" not in got and b"\x1b" not in got,
          "histplan -q on a tty: no progress", got)

    status, got, _ = run_pipe(argv, work)
    check(status == 0 and b"\r" not in got and b"\x1b" not in got and got.startswith(b"histplan: "),
          "histplan with stderr on a pipe: the summary only, no progress", got)


def main():
    bindir = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="histtty.") as tmp:
        work = Path(tmp)
        check_histmerge(bindir, work)
        check_histplan(bindir, work)
    for f in failures:
        print("FAIL " + f)
    print(f"progress: histmerge and histplan on a pty and a pipe, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
