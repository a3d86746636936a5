"""Exactly once with groups, on random suites (seeded; HIST_GROUP_SEEDS=N
runs more): a suite with group markers on functions, classes, modules,
parameters and from a conftest is collected with --hist-collect, planned
with histplan (hash fallback or from history, every scope, --workers,
--max-tests-per-shard), and every shard is run for real; then the suite
changes (tests added, removed, renamed, moved between groups and files)
and every shard runs again against the old plan, strict and lenient.

The property: when every shard is green, the shards together ran exactly
the collected suite, each test once, each group (by the model's own rule,
computed apart from the plugin) on one shard, and histmerge --plan agrees;
when the plan cannot be kept, a shard fails, runs nothing and names the
tests."""

import json
import os
import random
from collections import Counter

import pytest

from groupsuite import Maker
from histtest import read_report, set_test_list
from once import TOOLS, tool

needs_tools = pytest.mark.skipif("histplan" not in TOOLS or "histmerge" not in TOOLS,
                                 reason="the hist tools are not on PATH")
SEEDS = int(os.environ.get("HIST_GROUP_SEEDS", "3"))


class Scenario:
    def __init__(self, hist, pytester, seed):
        self.hist = hist
        self.root = pytester.path
        self.maker = Maker(seed)
        self.rng = self.maker.rng
        self.markers = self.rng.choice([["serial"], ["db"], ["serial", "db"], ["db", "serial"]])

    def pytest(self, *args, xdist=0):
        return self.hist.run(*args, xdist=xdist, subprocess=bool(xdist))

    def collect(self, suite):
        """The real collection of the tree, checked against the model."""
        suite.write(self.root)
        result = self.pytest("--collect-only", "-q", "--hist-collect=collected.txt",
                             *[f"--hist-group-marker={m}" for m in self.markers])
        assert result.ret == 0, result.stdout.str()
        lines = (self.root / "collected.txt").read_text(encoding="utf-8").splitlines()
        assert lines[:2] == ["# hist collect 1", "# group markers: " + ",".join(self.markers)]
        got = []
        for line in lines[2:]:
            group, _, _, nodeid = line.split("\t", 3)
            got.append((nodeid, None if group == "-" else group))
        expected = suite.tests(self.markers)
        if pytest.version_tuple >= (8,):
            # pytest 8 collects a directory's files and subdirectories in
            # one sorted order; the model knows pytest 7's, files first.
            got, expected = sorted(got), sorted(expected)
        assert got == expected
        return got

    def plan(self, suite):
        tests = self.collect(suite)
        args = ["--tests", self.root / "collected.txt", "--out", self.root / "shards",
                "--scope", self.rng.choice(["test", "test", "class", "module"])]
        if self.rng.random() < 0.3:
            args += ["--max-tests-per-shard", self.rng.randint(2, 8)]
        else:
            args += ["--shards", self.rng.randint(2, 4)]
        if self.rng.random() < 0.3:
            args += ["--workers", self.rng.randint(2, 3)]
        db = self.root / "none.db"
        if self.rng.random() < 0.5:
            # From history: durations of a run of the whole suite.
            db = self.root / "history.db"
            result = self.pytest("--hist-report=whole.jsonl")
            assert result.ret == 0, result.stdout.str()
            merged = tool("histmerge", "--db", db, self.root / "whole.jsonl")
            assert merged.returncode == 0, merged.stderr
        made = tool("histplan", "--db", db, *args, cwd=self.root)
        assert made.returncode == 0, made.stderr
        self.doc = json.loads((self.root / "shards" / "plan.json").read_text())
        self.total = self.doc["shard_count"]
        self.listed = {}
        for k in range(1, self.total + 1):
            for line in (self.root / "shards" / f"shard-{k}.txt").read_text().splitlines():
                if line and not line.startswith("#"):
                    assert line not in self.listed
                    self.listed[line] = k
        # Every collected test once; each group on one shard, as plan.json says.
        assert sorted(self.listed) == sorted(n for n, _ in tests)
        by_group = {}
        for nodeid, key in tests:
            if key is not None:
                by_group.setdefault(key, set()).add(self.listed[nodeid])
        assert self.doc["group_markers"] == self.markers
        assert {g["key"]: {g["shard"]} for g in self.doc["groups"]} == by_group
        for g in self.doc["groups"]:
            assert sorted(g["tests"]) == sorted(n for n, key in tests if key == g["key"])

    def set_test_list(self, value):
        set_test_list(self.root / "shards", value, self.doc)

    def run_shards(self, *args, xdist=0):
        runs = {}
        for k in range(1, self.total + 1):
            report = self.root / f"r{k}.jsonl"
            if report.exists():
                report.unlink()
            result = self.pytest(f"--shard-file=shards/shard-{k}.txt", f"--hist-report={report}",
                                 *args, xdist=xdist)
            records = read_report(report) if report.exists() else []
            runs[k] = (result, [r for r in records if r["type"] == "test"])
        return runs

    def check(self, suite, runs, what, xdist=0):
        """Exact when green, loud otherwise; returns whether it was green."""
        tests = suite.tests(self.markers)
        ids = [n for n, _ in tests]
        key_of = dict(tests)
        ran = Counter(r["nodeid"] for _, records in runs.values() for r in records)
        assert all(c == 1 for c in ran.values()), (what, [n for n, c in ran.items() if c > 1])
        codes = {k: result.ret for k, (result, _) in runs.items()}
        assert all(c in (0, 4) for c in codes.values()), (what, codes)
        failed = [k for k, c in codes.items() if c != 0]
        for k in failed:
            result, records = runs[k]
            out = result.stdout.str()
            assert records == [], (what, k)
            named = [n for n in list(self.listed) + ids if n in out]
            assert "ERROR" in out and named, (what, k, out[out.find("ERROR"):][:2000])
        if failed:
            return False
        assert sorted(ran) == sorted(ids), (what, sorted(set(ids) - set(ran)),
                                            sorted(set(ran) - set(ids)))
        shard_of_group, worker_of_group = {}, {}
        for k, (_, records) in runs.items():
            for r in records:
                key = key_of[r["nodeid"]]
                assert r.get("group") == key, (what, r)
                if key is not None:
                    shard_of_group.setdefault(key, set()).add(k)
                    worker_of_group.setdefault(key, set()).add((k, r.get("worker")))
        split = {key: ks for key, ks in shard_of_group.items() if len(ks) > 1}
        assert split == {}, (what, split)
        if xdist:
            split = {key: ws for key, ws in worker_of_group.items() if len(ws) > 1}
            assert split == {}, (what, split)
        checked = tool("histmerge", "--db", self.root / "check.db", "--plan", self.root / "shards",
                       *[self.root / f"r{k}.jsonl" for k in runs])
        gone = [n for n in self.listed if n not in key_of]
        if self.doc.get("test_list") == "collection" and gone:
            # A removed file: no shard can say more than "not collected".
            assert checked.returncode == 1, (what, checked.stderr)
            assert all("was not collected" in line or line.startswith("histmerge: plan ")
                       or "histmerge: " in line and " tests, " in line
                       for line in checked.stderr.splitlines()), (what, checked.stderr)
        else:
            assert checked.returncode == 0, (what, checked.stderr)
        return True


def scenario(hist, pytester, seed, changes=3, xdist=0, kinds=None,
             test_lists=("collection", "history")):
    sc = Scenario(hist, pytester, seed)
    suite = sc.maker.suite()
    sc.plan(suite)
    assert sc.check(suite, sc.run_shards(xdist=xdist), "unchanged", xdist)
    for i in range(changes):
        changed, kind = sc.maker.change(suite, kinds[i % len(kinds)] if kinds else None)
        sc.collect(changed)
        new = {n for n, _ in changed.tests(sc.markers)} - set(sc.listed)
        for test_list in test_lists:
            sc.set_test_list(test_list)
            prune = sc.rng.choice(["yes", "yes", "no"])
            what = (seed, kind, test_list, prune)
            green = sc.check(changed, sc.run_shards(f"--hist-prune-collection={prune}",
                                                    xdist=xdist), what, xdist)
            if test_list == "collection" and new:
                assert not green, (what, "a test no plan lists ran green", sorted(new))


@needs_tools
@pytest.mark.parametrize("seed", range(SEEDS))
def test_random_suites_run_each_test_once_with_groups(hist, pytester, monkeypatch, seed):
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    scenario(hist, pytester, seed)


@needs_tools
@pytest.mark.parametrize("seed", [1000 + s for s in range(max(1, SEEDS // 3))])
def test_random_suites_under_xdist_keep_groups_on_one_worker(hist, pytester, monkeypatch, seed):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    # The changes the xdist scheduler must notice: a test into another group, a new
    # test into a group.
    scenario(hist, pytester, seed, changes=int(os.environ.get("HIST_GROUP_CHANGES", "1")),
             xdist=random.Random(seed).choice([2, 3]),
             kinds=random.Random(seed).sample(["regroup", "group_free", "add_to_group"], 3),
             test_lists=("history",))
