"""hostile.py BINDIR [--big] - the hostile input round through the tools as a
user runs them. Each input is generated here (nothing big is committed),
given to histmerge (or histplan --tests), and must fail with exit 1 (2 for
histplan's usage error) and "TOOL: NAME:LINE: reason", within a memory
bound (peak RSS of the child, from wait4) and a time bound, leaving the
history as it was. make check uses sizes just over each limit; --big the
issue's sizes (a 200 MB gzip bomb, a 100 MB attribute, a 1 GB JSON line)."""

import gzip
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import content, tool, write_junit  # noqa: E402

MB = 1 << 20
RSS_LIMIT_KB = 200 * 1024
SECONDS_LIMIT = 60


def write(path, parts):
    """parts: bytes, or (chunk, count) repeated; gzip when path ends .gz."""
    opener = (lambda p: gzip.open(p, "wb", 6)) if path.endswith(".gz") else (lambda p: open(p, "wb"))
    with opener(path) as f:
        for part in parts:
            if isinstance(part, tuple):
                for _ in range(part[1]):
                    f.write(part[0])
            else:
                f.write(part)


def cases(big):
    ws = 200 if big else 11            # MB of whitespace between testcases
    attr = 100 if big else 11          # MB in one attribute
    line = 1024 if big else 65         # MB in one JSON line
    head = b'<testsuite>\n<testcase classname="c" name="a"/>\n'
    tail = b'<testcase classname="c" name="b"/></testsuite>\n'
    test = b'{"hist": 1, "type": "test", "nodeid": "a.py::t", "outcome": "passed", "x": "'
    return [
        ("bomb.xml.gz", [head, (b" " * MB, ws), b"\n", tail],
         r"bomb\.xml\.gz:3: text longer than 10 MB outside <system-out>"),
        ("attr.xml", [b'<testsuite>\n<testcase classname="c" name="', (b"x" * MB, attr), b'"/>', tail],
         r"attr\.xml:2: a name, attribute value, comment, CDATA section or processing instruction longer "
         r"than 10 MB"),
        ("line.jsonl.gz", [test, (b"a" * MB, line), b'"}\n'], r"line\.jsonl\.gz:1: line too long"),
        ("deep.xml", [b"<testsuite>\n", (b"<a>" * 1000, 1000), (b"</a>" * 1000, 1000), b"</testsuite>\n"],
         r"deep\.xml:2: Excessive depth in document: 256"),
        ("deep.jsonl", [b'{"hist": 1, "type": "test", "nodeid": "a::b", "outcome": "passed", "x": ',
                        (b"[" * 1000, 1000), (b"]" * 1000, 1000), b"}\n"], r"deep\.jsonl:1: nesting deeper than"),
        ("bigid.xml", [b'<testsuite>\n<testcase classname="a" name="', (b"x" * MB, 1), b'"/></testsuite>\n'],
         r"bigid\.xml:2: test name longer than 65536 bytes"),
        ("bigid.jsonl", [b'{"hist": 1, "type": "test", "nodeid": "a.py::', (b"x" * MB, 1),
                         b'", "outcome": "passed", "attempt": 1}\n'], r"bigid\.jsonl:1: string longer than 65536"),
        ("nul.xml", [b'<testsuite>\n<testcase classname="a" name="t\x00x"/></testsuite>\n'],
         r"nul\.xml:2: Char 0x0 out of allowed range"),
        ("overlong.xml", [b'<testsuite>\n<testcase classname="a" name="t\xc0\xaf"/></testsuite>\n'],
         r"overlong\.xml:2: Input is not proper UTF-8"),
        ("overlong.jsonl", [b'{"hist": 1, "type": "test", "nodeid": "a.py::t\xc0\xaf", "outcome": "passed"}\n'],
         r"overlong\.jsonl:1: invalid UTF-8"),
    ]


def run_measured(argv):
    t = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, err, usage.ru_maxrss, time.monotonic() - t


def main():
    bindir = sys.argv[1]
    big = "--big" in sys.argv[2:]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "h.db")
        seed = os.path.join(tmp, "seed.xml")
        write_junit(seed, "seed", 50)
        tool(bindir, "histmerge", "--db", db, "--run-id", "r0", seed)
        before = content(db)
        todo = [(name, parts, "histmerge", want, 1) for name, parts, want in cases(big)]
        todo.append(("tests.txt", [b"a.py::", (b"x" * MB, 1), b"\n"], "histplan", r"tests\.txt:1: line longer than 64 KiB", 2))
        for name, parts, which, want, code in todo:
            path = os.path.join(tmp, name)
            write(path, parts)
            size = os.path.getsize(path)
            if which == "histmerge":
                argv = [os.path.join(bindir, "histmerge"), "--db", db, "--run-id", "r1", "-q", path]
            else:
                argv = [os.path.join(bindir, "histplan"), "--db", db, "-n", "2", "--dry-run", "--tests", path]
            rc, err, rss, secs = run_measured(argv)
            first = err.splitlines()[0] if err else ""
            ok = (rc == code and re.match(rf"{which}: {tmp}/{want}", first) and rss < RSS_LIMIT_KB
                  and secs < SECONDS_LIMIT)
            print(f"hostile: {name} ({size / MB:.1f} MB): exit {rc}, {rss // 1024} MB peak, {secs:.2f} s: "
                  f"{first.replace(tmp + '/', '')[:110]}{'' if ok else '  <-- FAILED'}")
            failed += not ok
            os.unlink(path)
        if content(db) != before:
            print("hostile: FAILED: the history changed")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
