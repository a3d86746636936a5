#!/usr/bin/env python3
"""check_report.py BINDIR - histstats --html on a history built here.

The history is made by construction (hist JSONL reports written below, fed
to histmerge, the last run's shards checked with histmerge --plan), so which
tests are slowest, flaky and regressed is known without asking hist. Hostile
nodeids (markup, quotes, '&', a byte that is not UTF-8) must come out
escaped. Then, when Debian's chromium-headless-shell is installed, a real
browser renders the page to a PNG (decoded here with zlib: not blank) and
dumps the DOM, whose text must name the tests. Without the browser that
part is skipped with a message; everything else still runs.
"""
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

BIN = os.path.abspath(sys.argv[1])
CHROMIUM = os.environ.get("HIST_CHROMIUM", "/usr/bin/chromium-headless-shell")
T0 = 1764000000  # the first run's start, seconds since the epoch

SLOW = "tests/test_slow.py::test_big"
HOSTILE = 'tests/test_x.py::test_h[<script>alert("x")</script> & \'q\' <img src=x onerror=alert(1)>]'
FLAKY = "tests/test_flaky.py::test_sometimes"
JUMP = "tests/test_reg.py::test_jump"
STEADY = ["tests/test_small.py::test_%d" % i for i in range(6)]


def tool(name, *args, check=True):
    r = subprocess.run([os.path.join(BIN, name), *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit("%s %s: exit %d: %s" % (name, " ".join(args), r.returncode, r.stderr))
    return r


def line(**kw):
    return json.dumps({"hist": 1, **kw}) + "\n"


def results(run):
    """Each test's (outcome, seconds) in run 0..7, by construction."""
    out = {SLOW: ("passed", 4.0 + 0.25 * run), HOSTILE: ("failed" if run % 3 == 1 else "passed", 2.0),
           FLAKY: ("failed" if run % 2 else "passed", 0.5), JUMP: ("passed", 3.5 if run == 7 else 1.0)}
    for i, t in enumerate(STEADY):
        out[t] = ("passed", 0.1 * (i + 1))
    return out


def report(path, run, tests, plan=None):
    with open(path, "w", encoding="utf-8") as f:
        start = T0 + run * 3600
        for t in tests:
            outcome, secs = results(run)[t]
            f.write(line(type="test", nodeid=t, outcome=outcome, attempt=1, setup=0.0, call=secs, teardown=0.0,
                         worker="master", start=start))
        wall = 1.0 + sum(results(run)[t][1] for t in tests)
        ses = dict(type="session", start=start, collect=0.5, wall=wall, workers=0, tests=len(tests),
                   interrupted=False, plan_id=None, shard=None, shards=None)
        if plan:
            ses.update(plan_id=plan[0], shard=plan[1], shards=plan[2])
        f.write(line(**ses))


class Text(html.parser.HTMLParser):
    """Text per <section id>, every tag and attribute seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.section, self.text, self.tags, self.attrs = None, {}, set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs
        if tag == "section":
            self.section = dict(attrs).get("id")
        if tag in ("td", "th", "p", "h3", "text", "tr"):
            self.text.setdefault(self.section, []).append("\n")

    def handle_data(self, data):
        self.text.setdefault(self.section, []).append(data)

    def sections(self):
        return {k: "".join(v) for k, v in self.text.items()}


def parse(doc):
    p = Text()
    p.feed(doc)
    return p


def png_pixels(path):
    """(width, height, rows of RGB(A) tuples) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev, rows, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), [], 0
    for _ in range(h):
        ftype, cur = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = cur[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                cur[x] = (cur[x] + a) & 255
            elif ftype == 2:
                cur[x] = (cur[x] + b) & 255
            elif ftype == 3:
                cur[x] = (cur[x] + (a + b) // 2) & 255
            elif ftype == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                cur[x] = (cur[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(cur))
        prev = cur
    return w, h, bpp, rows


def main():
    failures = []

    def expect(cond, what):
        print("%s: %s" % ("ok" if cond else "FAIL", what))
        if not cond:
            failures.append(what)

    work = tempfile.mkdtemp(prefix="hist_html.")
    try:
        os.chdir(work)
        db = "h.db"
        everyone = [SLOW, HOSTILE, FLAKY, JUMP] + STEADY
        for run in range(7):
            report("r%d.jsonl" % run, run, everyone)
            tool("histmerge", "--db", db, "-q", "--run-id", "run-%d" % run, "r%d.jsonl" % run)
        # The last run: three shards of a plan made from this history; the
        # report of one shard (the last one without JUMP, which must be in
        # the last run to regress) is never merged.
        with open("tests.txt", "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in everyone))
        tool("histplan", "--db", db, "--tests", "tests.txt", "--shards", "3", "--out", "plan", "-q")
        plan = json.load(open("plan/plan.json"))
        shards = []
        for k in (1, 2, 3):
            listed = [l.rstrip("\n") for l in open("plan/shard-%d.txt" % k, encoding="utf-8")
                      if l.strip() and not l.startswith("#")]
            report("s%d.jsonl" % k, 7, listed, (plan["plan_id"], k, 3))
            shards.append(listed)
        gone = max(k for k in (1, 2, 3) if JUMP not in shards[k - 1])
        ran = [k for k in (1, 2, 3) if k != gone]
        r = tool("histmerge", "--db", db, "-q", "--run-id", "run-7", "--plan", "plan",
                 *["s%d.jsonl" % k for k in ran], check=False)
        expect(r.returncode == 1 and ("no report of shard %d/3" % gone) in r.stderr,
               "histmerge --plan names shard %d missing" % gone)
        # A nodeid whose bytes are not UTF-8 reaches the history through a
        # .test_durations file in a suite of its own.
        with open("bad.json", "wb") as f:
            f.write(b'{"tests/t.py::test_\\u00e9\\u0007x": 0.5}')
        tool("histmerge", "--db", db, "-q", "--suite", "other", "--run-id", "d1", "bad.json")

        tool("histstats", "--db", db, "--html", "a.html", "-q")
        tool("histstats", "--db", db, "--html", "b.html", "-q")
        page = open("a.html", "rb").read()
        expect(page == open("b.html", "rb").read(), "the same history gives the same bytes")
        doc = page.decode("utf-8")
        low = doc.lower()
        expect("<script" not in low and "onerror" not in low.replace("onerror=alert(1)&gt;", ""),
               "no <script> tag or event handler attribute in the page")
        expect(not re.search(r"url\(|@import|https?:|//", low.replace("</", "")),
               "no external URL (no url(), @import, http: or //)")
        p = parse(doc)
        expect(not ({"script", "img", "iframe", "link", "object", "embed"} & p.tags),
               "parsed tags: none that loads or runs anything (%s)" % sorted(p.tags))
        expect(not any(k.startswith("on") or k in ("src", "href", "xlink:href") for k, _ in p.attrs),
               "no on*, src or href attribute")
        text = p.sections()
        expect(HOSTILE in text.get("slowest", ""), "the hostile nodeid reads back verbatim after parsing")
        expect("&lt;script&gt;alert(&quot;x&quot;) &lt;/script&gt;".replace(" ", "") in doc.replace(" ", "")
               and "&amp;" in doc and "&#39;q&#39;" in doc, "its <, >, \", & and ' are escaped as references")
        expect("tests/t.py::test_\u00e9\ufffdx" in text.get("slowest", ""), "a control byte becomes U+FFFD")
        order = [SLOW, HOSTILE, JUMP]
        at = [text["slowest"].find(t) for t in order]
        expect(all(a >= 0 for a in at) and at == sorted(at), "slowest: %s in this order" % ", ".join(order))
        expect(FLAKY in text.get("flaky", "") and HOSTILE in text.get("flaky", "")
               and SLOW not in text.get("flaky", ""), "flaky: the two tests that failed and passed, no other")
        expect(JUMP in text.get("regressions", "") and SLOW not in text.get("regressions", ""),
               "regressions: the test that jumped from 1 s to 3.5 s, no other")
        planned = text.get("plans", "")
        expect(plan["plan_id"] in planned and "run-7" in planned and "missing: no report" in planned
               and ("2 of 3 shards reported; missing: shard %d." % gone) in planned,
               "plans: the plan, its run, shard %d missing" % gone)
        for k in ran:
            pred = "%.3f s predicted" % plan["shards"][k - 1]["predicted_seconds"]
            wall = 1.0 + sum(results(7)[t][1] for t in shards[k - 1])
            expect(pred in planned and ("%.3f s actual" % wall) in planned,
                   "plans: shard %d predicted %s and actual %.3f s as plan.json and its report say" % (k, pred, wall))
        sparks = re.findall(r'<svg class="spark".*?</svg>', doc)
        expect(len(sparks) >= 3 and all("<polyline" in s for s in sparks), "a trend line per slowest test")
        slow_line = re.search(r"oldest first: ([0-9. ]+) s</title>", doc)
        expect(slow_line and slow_line.group(1).split() == ["%.3f" % (4.0 + 0.25 * r) for r in range(8)],
               "the slowest test's trend: its 8 durations, oldest first")

        if not os.access(CHROMIUM, os.X_OK):
            print("SKIP: %s not installed (scripts/install-deps.sh installs it); "
                  "the page was not rendered in a browser" % CHROMIUM)
        else:
            base = [CHROMIUM, "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,1600"]
            url = "file://" + os.path.join(work, "a.html")
            subprocess.run(base + ["--screenshot=" + os.path.join(work, "shot.png"), url], capture_output=True,
                           timeout=30)
            w, h, bpp, rows = png_pixels("shot.png")
            colours, ink = set(), 0
            for row in rows[::4]:
                for x in range(0, w * bpp, 4 * bpp):
                    px = row[x:x + 3]
                    colours.add(px)
                    ink += px != b"\xff\xff\xff"
            sampled = len(rows[::4]) * len(range(0, w * bpp, 4 * bpp))
            expect(len(colours) >= 8 and ink * 50 > sampled,
                   "the browser's screenshot is not blank (%dx%d, %d colours sampled, %d%% not white)"
                   % (w, h, len(colours), 100 * ink // sampled))
            expect(any(px[0] > 200 and px[1] < 170 and px[2] < 100 for px in colours),
                   "the screenshot shows the orange of the actual bars")
            dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, timeout=30).stdout.decode("utf-8")
            d = parse(dom).sections()
            names = [(SLOW, "slowest"), (HOSTILE, "slowest"), (JUMP, "regressions"), (FLAKY, "flaky"),
                     (plan["plan_id"], "plans")]
            expect(all(n in d.get(s, "") for n, s in names), "the rendered DOM's text names the slowest, "
                   "hostile, regressed and flaky tests and the plan, each in its section")
            expect("<script" not in dom.lower(), "the rendered DOM has no script element")
    finally:
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        sys.exit("check_report: %d failed" % len(failures))
    print("check_report: all passed")


main()
