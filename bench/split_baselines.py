#!/usr/bin/python3
"""split_baselines.py TESTS DURATIONS N OUTDIR - writes the baseline splits
the balance benchmark runs beside hist's plan:

  OUTDIR/count-K.txt   pytest's collection order cut into N equal-count chunks
  OUTDIR/greedy-K.txt  greedy by duration (longest first onto the least loaded
                       chunk) over the same per-test durations hist learned,
                       as duration-based splitters do

TESTS is `pytest --collect-only -q` output; DURATIONS a JSON object
{nodeid: seconds} (tests missing from it count as the median)."""
import json
import statistics
import sys


def main():
    tests_path, durations_path, n, outdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(tests_path, encoding="utf-8") as f:
        tests = []
        for line in f:
            line = line.rstrip("\n")
            if not line:
                break
            tests.append(line)
    with open(durations_path, encoding="utf-8") as f:
        durations = json.load(f)
    known = [durations[t] for t in tests if t in durations]
    fallback = statistics.median(known) if known else 1.0
    size = -(-len(tests) // n)
    for k in range(n):
        with open("%s/count-%d.txt" % (outdir, k + 1), "w", encoding="utf-8") as f:
            f.writelines(t + "\n" for t in tests[k * size:(k + 1) * size])
    loads = [0.0] * n
    chunks = [[] for _ in range(n)]
    for t in sorted(tests, key=lambda t: (-durations.get(t, fallback), t)):
        k = min(range(n), key=lambda i: (loads[i], i))
        loads[k] += durations.get(t, fallback)
        chunks[k].append(t)
    for k in range(n):
        with open("%s/greedy-%d.txt" % (outdir, k + 1), "w", encoding="utf-8") as f:
            f.writelines(t + "\n" for t in chunks[k])


main()
