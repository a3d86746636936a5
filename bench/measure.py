#!/usr/bin/python3
"""measure.py NAME REPS [--before CMD] -- COMMAND...

Runs COMMAND REPS times (running CMD through sh before each), and prints one
line: NAME, median wall seconds, median peak RSS in MiB, then the raw walls
and RSS values, tab-separated. Peak RSS comes from wait4's rusage of the
child, so it is the command's own, not this script's. A non-zero exit of
COMMAND is reported and stops the measurement with exit 1."""
import os
import statistics
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    name, reps = args[0], int(args[1])
    rest = args[2:]
    before = None
    if rest and rest[0] == "--before":
        before, rest = rest[1], rest[2:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    walls, rss = [], []
    for _ in range(reps):
        if before:
            subprocess.run(["sh", "-c", before], check=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen(rest, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - t0)
        rss.append(usage.ru_maxrss / 1024.0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            print("%s: command exited %d: %s" % (name, code, " ".join(rest)), file=sys.stderr)
            sys.exit(1)
    print("%s\t%.3f\t%.1f\t%s\t%s" % (
        name, statistics.median(walls), statistics.median(rss),
        ",".join("%.3f" % w for w in walls), ",".join("%.1f" % r for r in rss)))


main()
