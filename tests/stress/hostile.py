"""hostile.py BINDIR [--big] - the hostile input round through the tools as a
user runs them. Each input is generated here (nothing big is committed),
given to histmerge (or histplan --tests), and must fail with exit 1 (2 for
histplan's usage error) and "TOOL: NAME:LINE: reason", within a memory
bound (peak RSS of the child, from wait4) and a time bound, leaving the
history as it was. make check uses sizes just over each limit; --big the
issue's sizes (a 200 MB gzip bomb, a 100 MB attribute, a 1 GB JSON line).
External entities of each kind (a file, a parameter entity, an external
DTD by file:// and by http:// to a port that listens) and entity
expansion: the secret file's text is in no message and the listener sees
no connection."""

import gzip
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import content, tool, write_junit  # noqa: E402

MB = 1 << 20
SECRET = "HIST-HOSTILE-SECRET"
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


def entity_cases(tmp, port):
    """XML whose entities would read tmp/secret.txt or the network: the
    byte scanner refuses a declared entity; an external DTD is never read,
    so its entities are undefined."""
    secret = os.path.join(tmp, "secret.txt")
    with open(secret, "w") as f:
        f.write(SECRET + "\n")
    with open(os.path.join(tmp, "ext.dtd"), "w") as f:
        f.write(f'<!ENTITY x SYSTEM "file://{secret}">\n')
    decl = r"NAME:3: the DOCTYPE declares an entity \(<!ENTITY>\); refused"
    use = b'<testsuite><testcase classname="c" name="&x;"/></testsuite>\n'
    laughs = [b'<!ENTITY l0 "lol">\n'] + [
        f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">\n'.encode() for i in range(1, 10)]
    return [
        ("xxe-file.xml", [b'<?xml version="1.0"?>\n<!DOCTYPE testsuite [\n',
                          f'<!ENTITY x SYSTEM "file://{secret}">\n]>\n'.encode(), use], decl),
        ("xxe-param.xml", [b'<?xml version="1.0"?>\n<!DOCTYPE testsuite [\n',
                           f'<!ENTITY % p SYSTEM "file://{tmp}/ext.dtd">\n%p;\n]>\n'.encode(), use], decl),
        ("xxe-dtd.xml", [f'<?xml version="1.0"?>\n<!DOCTYPE testsuite SYSTEM "file://{tmp}/ext.dtd">\n'.encode(),
                         use], r"NAME:3: Entity 'x' not defined"),
        ("xxe-net.xml", [f'<?xml version="1.0"?>\n<!DOCTYPE testsuite SYSTEM "http://127.0.0.1:{port}/x.dtd">\n'
                         .encode(), use], r"NAME:3: Entity 'x' not defined"),
        ("laughs.xml", [b'<?xml version="1.0"?>\n<!DOCTYPE testsuite [\n'] + laughs
         + [b']>\n<testsuite><testcase classname="c" name="&l9;"/></testsuite>\n'], decl),
    ]


class Listener:
    """A socket on 127.0.0.1 that counts the connections made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.connections += 1
            c.close()

    def close(self):
        time.sleep(0.2)  # a connection made meanwhile is queued by now
        self.stop = True
        self.thread.join()
        self.sock.close()
        return self.connections


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
        listener = Listener()
        todo = [(name, parts, "histmerge", want, 1) for name, parts, want in cases(big)]
        todo += [(name, parts, "histmerge", want.replace("NAME", re.escape(name)), 1)
                 for name, parts, want in entity_cases(tmp, listener.port)]
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
            ok = (rc == code and re.match(rf"{which}: {re.escape(tmp)}/{want}", first) and rss < RSS_LIMIT_KB
                  and secs < SECONDS_LIMIT and SECRET not in err)
            print(f"hostile: {name} ({size / MB:.1f} MB): exit {rc}, {rss // 1024} MB peak, {secs:.2f} s: "
                  f"{first.replace(tmp + '/', '')[:110]}{'' if ok else '  <-- FAILED'}")
            failed += not ok
            os.unlink(path)
        if content(db) != before:
            print("hostile: FAILED: the history changed")
            failed += 1
        connections = listener.close()
        if connections:
            print(f"hostile: FAILED: {connections} connection(s) to the listener")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
