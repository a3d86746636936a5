"""once.py - run a test tree as users run it, and check "exactly once".

The pipeline: plan from `pytest --collect-only -q` of the tree with
`histplan --tests` and no history (the first pipeline), run every shard
with --hist-report, then compare with one unsharded run of the same
selection: the same tests with the same outcomes, each once, each on the
shard that lists it, and every planned test of a shard either run or
deselected there. Or, where that cannot hold, the failure is loud."""

import json
import os
import shutil
import subprocess
from collections import Counter

from histtest import read_report

TOOLS = {name: shutil.which(name) for name in ("histmerge", "histplan", "histstats")}
TOOLS = {name: os.path.abspath(path) for name, path in TOOLS.items() if path}


def tool(name, *args, cwd=None):
    return subprocess.run([TOOLS[name]] + [str(a) for a in args], capture_output=True,
                          text=True, cwd=cwd)


def collect_only(hist, *args, cache=False):
    """Nodeids as `pytest --collect-only -q` prints them."""
    result = hist.run("--collect-only", "-q", *args, subprocess=True, cache=cache)
    assert result.ret == 0, result.stdout.str()
    out = []
    for line in result.outlines:
        if not line:
            break
        out.append(line)
    return out


class Run:
    """One pytest run with --hist-report: its result and its records."""

    def __init__(self, result, records):
        self.result = result
        self.ret = result.ret
        self.records = records
        self.tests = [r for r in records if r["type"] == "test"]
        self.session = records[-1] if records and records[-1]["type"] == "session" else None

    def of(self, kind):
        return [r["nodeid"] for r in self.records if r["type"] == kind]

    def outcomes(self):
        return {r["nodeid"]: r["outcome"] for r in self.tests}

    @property
    def out(self):
        return self.result.stdout.str()


class Pipeline:
    def __init__(self, hist, pytester, shards, cache=False, plan_dir="shards"):
        self.hist = hist
        self.pytester = pytester
        self.total = shards
        self.cache = cache
        self.plan_dir = pytester.path / plan_dir
        self.listed = {}            # nodeid -> shard k

    def plan(self, *args, cwd=None):
        """histplan --tests from the collection, with no history file."""
        nodeids = collect_only(self.hist, *args, cache=self.cache)
        tests = self.pytester.path / "tests.txt"
        tests.write_text("".join(n + "\n" for n in nodeids), encoding="utf-8")
        made = tool("histplan", "--db", self.pytester.path / "no-history-yet.db", "--shards",
                    self.total, "--tests", tests, "--out", self.plan_dir,
                    cwd=cwd or self.pytester.path)
        assert made.returncode == 0, made.stderr
        assert not (self.pytester.path / "no-history-yet.db").exists()
        plan = json.loads((self.plan_dir / "plan.json").read_text())
        assert plan["test_list"] == "collection"
        self._read_listed()
        assert sorted(self.listed) == sorted(nodeids)
        return nodeids

    def _read_listed(self):
        self.listed = {line: k for k in range(1, self.total + 1)
                       for line in (self.plan_dir / f"shard-{k}.txt").read_text().splitlines()
                       if line and not line.startswith("#")}

    def plan_from_history(self, source=None):
        """histplan without --tests, from a history of source, by default
        the unsharded run's report (call unsharded() first)."""
        db = self.pytester.path / "history.db"
        source = source or self.pytester.path / "unsharded.jsonl"
        assert tool("histmerge", "--db", db, source).returncode == 0
        made = tool("histplan", "--db", db, "--shards", self.total, "--out", self.plan_dir)
        assert made.returncode == 0, made.stderr
        self._read_listed()

    def _run(self, name, *args, xdist=0):
        report = self.pytester.path / f"{name}.jsonl"
        if report.exists():
            report.unlink()
        result = self.hist.run("--hist-report", report, *args, subprocess=True,
                               xdist=xdist, cache=self.cache)
        records = read_report(report) if report.exists() else []
        return Run(result, records)

    def unsharded(self, *args, xdist=0):
        return self._run("unsharded", *args, xdist=xdist)

    def shard(self, k, *args, xdist=0, spaced=False):
        path = self.plan_dir / f"shard-{k}.txt"
        rel = os.path.relpath(path, os.getcwd())
        opt = ["--shard-file", rel] if spaced else [f"--shard-file={rel}"]
        return self._run(f"r{k}", *opt, *args, xdist=xdist)

    def shards(self, *args, xdist=0, before_each=None):
        runs = {}
        for k in range(1, self.total + 1):
            if before_each:
                before_each()
            runs[k] = self.shard(k, *args, xdist=xdist)
        return runs

    def assert_exact(self, runs, unsharded, plan_check=True):
        """The shards together ran what one unsharded run ran: same tests
        and outcomes, each once, each on its listed shard; and each shard
        accounts for its planned tests (run, or deselected)."""
        for k, run in runs.items():
            assert run.ret in (0, 1), (k, run.out)
            assert run.session["interrupted"] is False
        counts = Counter(n for run in runs.values() for n in run.outcomes())
        doubled = [n for n, c in counts.items() if c > 1]
        assert doubled == [], doubled
        union = {}
        for run in runs.values():
            union.update(run.outcomes())
        assert union == unsharded.outcomes()
        for k, run in runs.items():
            for nodeid in run.outcomes():
                if nodeid in self.listed:
                    assert self.listed[nodeid] == k, (nodeid, k)
            accounted = set(run.outcomes()) | set(run.of("deselected"))
            assert run.of("gone") == []
            planned = {n for n, s in self.listed.items() if s == k}
            assert planned <= accounted, sorted(planned - accounted)
            assert not set(run.of("deselected")) & set(run.outcomes())
        if plan_check:
            self.check_plan(runs)

    def check_plan(self, runs, expect_ok=True):
        """histmerge --plan, where it exists, agrees."""
        help_text = tool("histmerge", "--help").stdout
        if "--plan" not in help_text:
            return None
        db = self.pytester.path / "history.db"
        checked = tool("histmerge", "--db", db, "--plan", self.plan_dir,
                       *[self.pytester.path / f"r{k}.jsonl" for k in runs])
        if expect_ok:
            assert checked.returncode == 0, checked.stderr
        return checked

    def assert_loud(self, runs, names):
        """Some shard failed, non-zero, naming the tests; the shards that
        passed ran nothing twice and nothing of another shard."""
        failed = {k: run for k, run in runs.items() if run.ret not in (0, 1)}
        assert failed, "every shard passed: " + " ".join(str(r.ret) for r in runs.values())
        text = "\n".join(run.out for run in failed.values())
        for name in names:
            assert name in text, (name, text)
        for run in failed.values():
            assert run.tests == []          # a shard that cannot prove its part runs nothing
        counts = Counter(n for run in runs.values() for n in run.outcomes())
        assert all(c == 1 for c in counts.values())
        return failed
