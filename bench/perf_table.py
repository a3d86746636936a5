#!/usr/bin/python3
"""perf_table.py - histplan and histmerge against their floors, one table.

For each generator (own: bench/gen_xunit2.py and bench/plan_gen.c; real:
bench/suite_gen.c, long realistic nodeids) and each size (SIZES, default
10,000 / 100,000 / 1,000,000 tests), measured in the same run:

  plan   histplan --shards 64 over TESTS x 5 runs, writing the shard files;
         floor: sqlite3 reading every nodeid of the history once
  xml    histmerge of an xunit2 report into a new history;
         floor: xmllint --stream --noout on the same file
  gz     histmerge of a gzipped pytest-reportlog JSONL into a new history;
         floor: gzip -dc of the same file
  xml-ci, gz-ci
         the same two of the suite's next run into a history that holds
         the first run's (every test already known: the usual CI case),
         each rep on a fresh copy of that history; same floors. WORKS
         (default all rows) leaves them out unless it names them.

Every command runs REPS times (REPS_1M at 1,000,000 tests, default 3 to
keep `make bench` near 10 minutes), one at a time and on one core of
work each (histmerge's parser and store threads are its own), a row's
floor and tool interleaved (floor, tool, tool, floor, ...) so a load that
moves from one minute to the next weighs on both alike. Wall time,
CPU time (user + sys of the child, from wait4) and peak RSS are kept for
every run; the table gives min / median / max and the ratios of medians
to the floor's. On a loaded machine wall time moves with the neighbours;
CPU time is the honest one.

Writes build/bench/perf.md (the table), perf.json (every raw number) and
prints the table. Inputs and histories are generated once and kept in
build/bench.

  SIZES="10000 100000" REPS=5 REPS_1M=3 GENERATORS="own real" bench/perf_table.py
  WORKS="plan" bench/perf_table.py     only these rows (plan, xml, gz, xml-ci, gz-ci; default all five)
  HIST_BIN=DIR bench/perf_table.py     measure the tools in DIR instead of build/bin
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "build", "bench")
BIN = os.environ.get("HIST_BIN", os.path.join(ROOT, "build", "bin"))
RUNS = 5
SHARDS = 64
LIBS = ["libxml-2.0", "zlib", "sqlite3", "libxxhash"]

# Targets of issue 15: (work, size or None for any) -> (what, test).
TARGETS = {
    ("plan", 1000000): ("<= 1 s, <= 300 MiB", lambda r: r["wall"][1] <= 1.0 and r["rss_max"] <= 300),
    ("plan", 100000): ("<= 0.08 s", lambda r: r["wall"][1] <= 0.08),
    ("xml", None): ("<= 2x, <= 32 MiB", lambda r: r["ratio_wall"] <= 2.0 and r["rss_max"] <= 32),
    ("gz", None): ("<= 1.5x, <= 32 MiB", lambda r: r["ratio_wall"] <= 1.5 and r["rss_max"] <= 32),
}
TARGETS[("xml-ci", None)] = TARGETS[("xml", None)]
TARGETS[("gz-ci", None)] = TARGETS[("gz", None)]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_once(argv, before=None):
    if before:
        before()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit("perf_table: exit %d: %s" % (code, " ".join(argv)))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def measure(floor_argv, argv, reps, before=None):
    """The floor and the tool, interleaved (which goes first alternates),
    so both see the same minute of a machine whose load moves."""
    floor = {"argv": floor_argv, "walls": [], "cpus": [], "rss": []}
    tool = {"argv": argv, "walls": [], "cpus": [], "rss": []}
    for i in range(reps):
        for m in ((floor, tool) if i % 2 == 0 else (tool, floor)):
            w, c, r = run_once(m["argv"], before if m is tool else None)
            m["walls"].append(w)
            m["cpus"].append(c)
            m["rss"].append(r)
    return floor, tool


def spread(xs):
    return [min(xs), statistics.median(xs), max(xs)]


def rm_db(path):
    def go():
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    return go


def copy_db(src, dst):
    def go():
        rm_db(dst)()
        shutil.copyfile(src, dst)
    return go


def rm_tree(path):
    return lambda: shutil.rmtree(path, ignore_errors=True)


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True, cwd=ROOT)


def build_tools():
    libs = subprocess.run(["pkg-config", "--libs"] + LIBS, check=True, capture_output=True,
                          text=True).stdout.split()
    for name in ("plan_gen", "suite_gen"):
        exe = os.path.join(OUT, name)
        src = os.path.join(ROOT, "bench", name + ".c")
        lib = os.path.join(ROOT, "build", "libhist.a")
        if os.path.exists(exe) and os.path.getmtime(exe) > max(os.path.getmtime(src), os.path.getmtime(lib)):
            continue
        # Through the private store API: link the static library.
        subprocess.run(["cc", "-O2", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-Ilib", "-Ibench", "-o", exe,
                        src, lib] + libs + ["-lm", "-pthread"], check=True, cwd=ROOT)


def inputs(gen, n, works):
    """Paths of the xunit2 report, gzipped reportlog and planning history
    of generator gen at n tests, those the works need made when missing."""
    base = os.path.join(OUT, "%s-%d" % (gen, n))
    xml, gz, db = base + ".xml", base + ".jsonl.gz", base + "-x%d.db" % RUNS
    if "xml" in works and not os.path.exists(xml):
        log("generating %s" % xml)
        if gen == "own":
            sh("bench/gen_xunit2.py %d > '%s.tmp' && mv '%s.tmp' '%s'" % (n, xml, xml, xml))
        else:
            sh("build/bench/suite_gen xunit2 %d 1 0 '%s.tmp' && mv '%s.tmp' '%s'" % (n, xml, xml, xml))
    if "gz" in works and not os.path.exists(gz):
        log("generating %s" % gz)
        if gen == "own":
            sh("bench/gen_xunit2.py %d --reportlog | gzip -6 > '%s.tmp' && mv '%s.tmp' '%s'" % (n, gz, gz, gz))
        else:
            sh("build/bench/suite_gen reportlog %d 1 0 '%s.tmp' && mv '%s.tmp' '%s'" % (n, gz, gz, gz))
    if "plan" in works and not os.path.exists(db):
        log("generating %s" % db)
        if gen == "own":
            sh("build/bench/plan_gen '%s.tmp' %d %d 2>/dev/null && mv '%s.tmp' '%s'" % (db, n, RUNS, db, db))
        else:
            sh("build/bench/suite_gen history %d %d 1 '%s.tmp' && mv '%s.tmp' '%s'" % (n, RUNS, db, db, db))
    return xml, gz, db


def report(path, gen, n, kind, run):
    """Makes run (0 or 1) of generator gen's suite of n tests as kind
    (xunit2 or reportlog, gzipped) at path, when missing."""
    if os.path.exists(path):
        return
    log("generating %s" % path)
    if gen == "own":
        sh("bench/gen_xunit2.py %d %d %s%s > '%s.tmp' && mv '%s.tmp' '%s'" % (
            n, run + 1, "--reportlog" if kind == "reportlog" else "", " | gzip -6" if kind == "reportlog" else "",
            path, path, path))
    else:
        sh("build/bench/suite_gen %s %d 1 %d '%s.tmp' && mv '%s.tmp' '%s'" % (kind, n, run, path, path, path))


def ci_rows(gen, n, k, scratch):
    """The xml-ci and gz-ci rows WORKS asks for: the suite's second run
    (same tests, other durations) into a copy of a history that holds the
    first run's two reports."""
    works = os.environ.get("WORKS", "plan xml gz xml-ci gz-ci").split()
    if "xml-ci" not in works and "gz-ci" not in works:
        return []
    base = os.path.join(OUT, "%s-%d" % (gen, n))
    for path, kind, run in ((base + ".xml", "xunit2", 0), (base + ".jsonl.gz", "reportlog", 0),
                            (base + "-run2.xml", "xunit2", 1), (base + "-run2.jsonl.gz", "reportlog", 1)):
        report(path, gen, n, kind, run)
    # Made again each time: one from an older build would be migrated,
    # and the migration timed.
    pre = base + "-run1.db"
    log("generating %s" % pre)
    rm_db(pre + ".tmp")()
    sh("'%s' -q --db '%s.tmp' --run-id run1 '%s.xml' '%s.jsonl.gz' && mv '%s.tmp' '%s'" % (
        os.path.join(BIN, "histmerge"), pre, base, base, pre, pre))
    rows = []
    if "xml-ci" in works:
        xml2 = base + "-run2.xml"
        floor, m = measure(["xmllint", "--stream", "--noout", xml2],
                           [os.path.join(BIN, "histmerge"), "-q", "--db", scratch, "--run-id", "run2", xml2], k,
                           copy_db(pre, scratch))
        rows.append(row("xml-ci", gen, n, m, floor, "xmllint --stream"))
    if "gz-ci" in works:
        gz2 = base + "-run2.jsonl.gz"
        floor, m = measure(["sh", "-c", "gzip -dc '%s' >/dev/null" % gz2],
                           [os.path.join(BIN, "histmerge"), "-q", "--db", scratch, "--run-id", "run2", gz2], k,
                           copy_db(pre, scratch))
        rows.append(row("gz-ci", gen, n, m, floor, "gzip -dc"))
    rm_db(scratch)()
    return rows


def row(work, gen, n, m, floor, floor_name):
    r = {"work": work, "generator": gen, "tests": n, "reps": len(m["walls"]),
         "wall": spread(m["walls"]), "cpu": spread(m["cpus"]), "rss_max": max(m["rss"]),
         "floor": floor_name, "floor_wall": spread(floor["walls"]), "floor_cpu": spread(floor["cpus"]),
         "raw": m, "floor_raw": floor}
    r["ratio_wall"] = r["wall"][1] / r["floor_wall"][1]
    r["ratio_cpu"] = r["cpu"][1] / r["floor_cpu"][1]
    target = TARGETS.get((work, n)) or TARGETS.get((work, None))
    r["target"] = target[0] if target else ""
    r["met"] = (target[1](r) if target else None)
    return r


def fmt3(xs):
    return "/".join("%.3f" % x for x in xs)


def table(rows):
    head = ("| work | gen | tests | reps | wall s min/med/max | CPU s min/med/max | floor | floor wall s "
            "| floor CPU s | ratio wall | ratio CPU | peak RSS MiB | target | met |")
    lines = [head, "|" + "---|" * 14]
    what = {"plan": "histplan --shards 64 (x5 runs)", "xml": "histmerge xunit2", "gz": "histmerge reportlog .gz",
            "xml-ci": "histmerge xunit2, tests known", "gz-ci": "histmerge reportlog .gz, tests known"}
    for r in rows:
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        lines.append("| %s | %s | %s | %d | %s | %s | %s | %.3f | %.3f | %.2fx | %.2fx | %.1f | %s | %s |" % (
            what[r["work"]], r["generator"], format(r["tests"], ","), r["reps"], fmt3(r["wall"]),
            fmt3(r["cpu"]), r["floor"], r["floor_wall"][1], r["floor_cpu"][1], r["ratio_wall"],
            r["ratio_cpu"], r["rss_max"], r["target"], met))
    return "\n".join(lines)


def main():
    sizes = [int(s) for s in os.environ.get("SIZES", "10000 100000 1000000").split()]
    gens = os.environ.get("GENERATORS", "own real").split()
    reps = int(os.environ.get("REPS", "5"))
    reps_big = int(os.environ.get("REPS_1M", "3"))
    works = os.environ.get("WORKS", "plan xml gz").split()
    os.makedirs(OUT, exist_ok=True)
    build_tools()
    rows = []
    for gen in gens:
        for n in sizes:
            k = reps if n < 1000000 else reps_big
            xml, gz, db = inputs(gen, n, works)
            scratch = os.path.join(OUT, "perf-scratch.db")
            shards = os.path.join(OUT, "perf-shards")
            log("measuring %s %d (%d reps)" % (gen, n, k))
            if "plan" in works:
                floor, m = measure(["sqlite3", db, "SELECT count(*), sum(length(name)) FROM tests"],
                                   [os.path.join(BIN, "histplan"), "-q", "--db", db, "--shards", str(SHARDS),
                                    "--out", shards], k, rm_tree(shards))
                rows.append(row("plan", gen, n, m, floor, "sqlite3 reads the nodeids"))
            if "xml" in works:
                floor, m = measure(["xmllint", "--stream", "--noout", xml],
                                   [os.path.join(BIN, "histmerge"), "-q", "--db", scratch, xml], k, rm_db(scratch))
                rows.append(row("xml", gen, n, m, floor, "xmllint --stream"))
            if "gz" in works:
                floor, m = measure(["sh", "-c", "gzip -dc '%s' >/dev/null" % gz],
                                   [os.path.join(BIN, "histmerge"), "-q", "--db", scratch, gz], k, rm_db(scratch))
                rows.append(row("gz", gen, n, m, floor, "gzip -dc"))
            rm_db(scratch)()
            rm_tree(shards)()
            rows += ci_rows(gen, n, k, scratch)
    md = table(rows)
    load = os.getloadavg()
    note = ("own: bench/gen_xunit2.py + bench/plan_gen.c; real: bench/suite_gen.c. Ratios are medians over "
            "the floor's median from the same run. Reps: %d, %d at 1,000,000 tests. Load average at the end: "
            "%.2f %.2f %.2f on %d cores." % (reps, reps_big, load[0], load[1], load[2], os.cpu_count()))
    with open(os.path.join(OUT, "perf.md"), "w") as f:
        f.write(md + "\n\n" + note + "\n")
    with open(os.path.join(OUT, "perf.json"), "w") as f:
        json.dump({"note": note, "rows": rows}, f, indent=1)
    print(md)
    print()
    print(note)
    print("raw numbers: build/bench/perf.json, table: build/bench/perf.md")


main()
