#!/usr/bin/python3
"""gen_xunit2.py N [SEED] - writes a pytest-like xunit2 JUnit report of N tests
to stdout: modules of ~50 tests, some classes and parameters, log-normal
durations (as real suites have), ~2% failures with a traceback, ~3% skips and
some captured output. Deterministic for a given N and SEED."""
import random
import sys


def main():
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = sys.stdout
    w = out.write
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
