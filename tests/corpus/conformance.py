#!/usr/bin/python3
"""End-to-end conformance against the real-world JUnit corpus.

Usage: conformance.py BINDIR   (run by `make check-corpus`; stdlib only)

For every row of ../shared/corpus/expected.tsv, ingests the file with
BINDIR/histmerge into a fresh database and reads it back with histstats
--json:
  expect=error  histmerge exits 1, names the file, stores nothing;
  expect=empty  exit 0, no results;
  expect=ok     exit 0, stored results == distinct_ids (one result per
                test of the run, however often a file repeats a test), and
                a second ingest of the same file adds nothing.
The secret fixtures/secret/secret.txt never appears in any output.
Prints SKIP and passes when the corpus is not there (it is never copied
into the repository).
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))
SECRET = b"HIST-FIXTURE-SECRET"

# Where hist deliberately stores a different number of tests than
# expected.tsv's distinct (classname, name) pairs; each must still differ,
# or the entry is stale and fails the run.
EXCEPTIONS = {
    "junit/enricomi/python__test__files__junit-xml__no-attributes.xml":
        "testcases without a name are no tests to hist",
    "junit/xunit-viewer/data__test.xml":
        "testcases without a name are no tests to hist",
    "junit/xunit-viewer/data__class_not_classname.xml":
        "class= is read as classname, so two classes' tests of one name stay two",
}


def run(cmd):
    env = dict(os.environ, LC_ALL="C", TZ="UTC")
    for var in ("GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILDKITE_BUILD_ID",
                "CIRCLE_WORKFLOW_ID", "BUILD_BUILDID", "HIST_DB", "HIST_SUITE"):
        env.pop(var, None)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if SECRET in p.stdout or SECRET in p.stderr:
        raise SystemExit("conformance: the XXE secret leaked into the output of %s" % cmd)
    return p


def results(bindir, db):
    p = run([os.path.join(bindir, "histstats"), "--db", db, "--json"])
    if p.returncode != 0:
        return None, p.stderr.decode("utf-8", "replace").strip()
    return json.loads(p.stdout)["results"], None


def check_row(bindir, tmp, n, row):
    path = os.path.join(CORPUS, row["file"])
    db = os.path.join(tmp, "h%d.db" % n)
    merge = [os.path.join(bindir, "histmerge"), "--db", db, "--run-id", "conformance", "--json", path]
    p = run(merge)
    err = p.stderr.decode("utf-8", "replace")
    if row["expect"] == "error":
        if p.returncode != 1:
            return "expected a rejection, histmerge exited %d" % p.returncode
        if row["file"] not in err:
            return "the rejection does not name the file: %s" % err.strip()
        got, why = results(bindir, db)
        if got:
            return "a rejected file left %s results" % got
        return None
    if p.returncode != 0:
        return "histmerge exited %d: %s" % (p.returncode, err.strip())
    got, why = results(bindir, db)
    if got is None:
        return "histstats failed: %s" % why
    want = 0 if row["expect"] == "empty" else int(row["distinct_ids"])
    differs = got != want
    if row["file"] in EXCEPTIONS:
        if not differs:
            return "listed exception no longer needed (%d results)" % got
    elif differs:
        return "%d results stored, want %d" % (got, want)
    again = run(merge)
    if again.returncode != 0 or json.loads(again.stdout)["added"] != 0:
        return "a second ingest of the same file added results"
    return None


def main():
    if len(sys.argv) != 2:
        print("usage: conformance.py BINDIR", file=sys.stderr)
        return 2
    bindir = sys.argv[1]
    if not os.path.isdir(CORPUS):
        print("corpus: SKIP (../shared/corpus not found)")
        return 0
    with open(os.path.join(CORPUS, "expected.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    bad = []
    with tempfile.TemporaryDirectory(prefix="hist-conformance-") as tmp:
        for n, row in enumerate(rows):
            why = check_row(bindir, tmp, n, row)
            if why:
                bad.append("%s: %s" % (row["file"], why))
    print("corpus: %d files through histmerge + histstats, %d disagree, %d known exceptions"
          % (len(rows), len(bad), len(EXCEPTIONS)))
    for line in bad[:40]:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
