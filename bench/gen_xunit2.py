#!/usr/bin/python3
"""gen_xunit2.py N [SEED] [--reportlog] - writes a pytest-like xunit2 JUnit
report of N tests to stdout: modules of ~50 tests, some classes and
parameters, log-normal durations (as real suites have), ~2% failures with a
traceback, ~3% skips and some captured output. Deterministic for a given N
and SEED. With --reportlog, the same tests as pytest-reportlog JSONL
(setup, call and teardown reports; short fields), so the gzip benchmark
has an input from this generator too (bench/suite_gen.c is the realistic
one)."""
import json
import random
import sys


def reportlog(n, rng, w):
    w('{"pytest_version": "7.2.1", "$report_type": "SessionStart"}\n')
    for i in range(n):
        path = "tests/pkg%d/test_mod%d.py" % (i // 5000, i // 50)
        cls = ("::TestGroup%d" % (i // 10)) if (i // 50) % 3 == 0 else ""
        name = "test_case_%d" % i
        if i % 7 == 0:
            name += "[param-%d-%s]" % (i % 13, "x" * (i % 5))
        nodeid = path + cls + "::" + name
        t = rng.lognormvariate(-4.0, 1.5)
        r = rng.random()
        head = '{"nodeid": %s, "location": [%s, %d, %s], "keywords": {}, ' % (
            json.dumps(nodeid), json.dumps(path), i % 500, json.dumps(name))
        tail = '"$report_type": "TestReport"}\n'
        if r >= 0.02 and r < 0.05:
            w(head + '"outcome": "skipped", "longrepr": [%s, %d, "Skipped: not on this platform"], '
              '"when": "setup", "duration": %.6f, ' % (json.dumps(path), i, t * 0.1) + tail)
        else:
            w(head + '"outcome": "passed", "longrepr": null, "when": "setup", "duration": %.6f, '
              % (t * 0.1) + tail)
            if r < 0.02:
                w(head + '"outcome": "failed", "longrepr": "def test():\\n>   assert 1 == 2\\n'
                  'E   assert 1 == 2\\n\\ntests/x.py:%d: AssertionError", "when": "call", '
                  '"duration": %.6f, ' % (i, t * 0.8) + tail)
            elif r < 0.08:
                w(head + '"outcome": "passed", "longrepr": null, "when": "call", "sections": '
                  '[["Captured stdout call", %s]], "duration": %.6f, '
                  % (json.dumps(("captured line %d\n" % i) * 5), t * 0.8) + tail)
            else:
                w(head + '"outcome": "passed", "longrepr": null, "when": "call", "duration": %.6f, '
                  % (t * 0.8) + tail)
        w(head + '"outcome": "passed", "longrepr": null, "when": "teardown", "duration": %.6f, '
          % (t * 0.1) + tail)
    w('{"exitstatus": 1, "$report_type": "SessionFinish"}\n')


def main():
    args = [a for a in sys.argv[1:] if a != "--reportlog"]
    n = int(args[0])
    rng = random.Random(int(args[1]) if len(args) > 1 else 1)
    out = sys.stdout
    w = out.write
    if "--reportlog" in sys.argv:
        reportlog(n, rng, w)
        return
    w('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>')
    w('<testsuite name="pytest" errors="0" failures="0" skipped="0" tests="%d" '
      'time="%.3f" timestamp="2026-11-24T10:00:00.000000" hostname="ci">' % (n, n * 0.01))
    for i in range(n):
        mod = "tests.pkg%d.test_mod%d" % (i // 5000, i // 50)
        cls = (".TestGroup%d" % (i // 10)) if (i // 50) % 3 == 0 else ""
        name = "test_case_%d" % i
        if i % 7 == 0:
            name += "[param-%d-%s]" % (i % 13, "x" * (i % 5))
        t = rng.lognormvariate(-4.0, 1.5)
        w('<testcase classname="%s%s" name="%s" time="%.3f"' % (mod, cls, name, t))
        r = rng.random()
        if r < 0.02:
            w('><failure message="assert 1 == 2">def test():\n&gt;   assert 1 == 2\n'
              'E   assert 1 == 2\n\ntests/x.py:%d: AssertionError</failure></testcase>' % i)
        elif r < 0.05:
            w('><skipped type="pytest.skip" message="not on this platform">'
              'tests/x.py:%d: not on this platform</skipped></testcase>' % i)
        elif r < 0.08:
            w('><system-out>%s</system-out></testcase>' % (("captured line %d\n" % i) * 5))
        else:
            w(' />')
        if i % 1000 == 999:
            w('\n')
    w('</testsuite></testsuites>\n')


main()
