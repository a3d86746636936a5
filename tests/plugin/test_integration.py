"""End to end on the bundled sample suite, as users run it.

The first tests use a plan written here (any valid plan must give
exactly-once), so they run without the C tools; the last one runs the
whole loop through histmerge and histplan from PATH (build/bin under
`make check-plugin`) and is skipped only when those are not built."""

import json
import os
import shutil
import subprocess
from collections import Counter

import pytest

from histtest import SAMPLE_SUITE, read_report, write_plan


@pytest.fixture
def sample(pytester, monkeypatch):
    shutil.copytree(SAMPLE_SUITE, pytester.path, dirs_exist_ok=True)
    monkeypatch.setenv("HIST_SAMPLE_SCALE", "0")
    return pytester


def collected(hist, *args):
    result = hist.run("--collect-only", "-q", *args, subprocess=True)
    assert result.ret == 0, result.stdout.str()
    return [line for line in result.outlines if "::" in line and not line.startswith("hist:")]


def run_shards(hist, sample, total, *args, xdist=0):
    """Run every shard with --hist-report; the nodeids each one ran."""
    by_shard = {}
    for k in range(1, total + 1):
        report = sample.path / f"r{k}.jsonl.gz"
        result = hist.run("--shard-file", f"shards/shard-{k}.txt", "--hist-report", report,
                          *args, xdist=xdist, subprocess=True)
        assert result.ret == 0, result.stdout.str()
        records = read_report(report)
        assert records[-1]["type"] == "session" and records[-1]["shard"] == k
        by_shard[k] = [r["nodeid"] for r in records if r["type"] == "test"]
    return by_shard


def assert_exactly_once(by_shard, expected):
    counts = Counter(n for names in by_shard.values() for n in names)
    assert sorted(counts) == sorted(expected)
    assert max(counts.values()) == 1


def round_robin_plan(sample, nodeids, total):
    shards = [nodeids[k::total] for k in range(total)]
    write_plan(sample.path / "shards", shards)
    return shards


@pytest.mark.parametrize("xdist", [0, 2])
def test_sample_suite_exactly_once(hist, sample, monkeypatch, xdist):
    before = collected(hist)
    assert 140 <= len(before) <= 160
    round_robin_plan(sample, before, 3)
    # The suite evolves after the plan: a test removed, one added, a new file.
    monkeypatch.setenv("HIST_SAMPLE_EVOLVED", "1")
    after = collected(hist)
    assert "test_d_evolving.py::test_removed_after_plan" in set(before) - set(after)
    assert "test_d_evolving.py::test_added_after_plan" in set(after) - set(before)
    assert_exactly_once(run_shards(hist, sample, 3, xdist=xdist), after)
    selected = collected(hist, "-k", "quick or odd or Inner or new")
    assert 0 < len(selected) < len(after)
    assert_exactly_once(run_shards(hist, sample, 3, "-k", "quick or odd or Inner or new",
                                   xdist=xdist), selected)


# Found now, before tests change directory: PATH may name build/bin relatively.
TOOLS = {name: shutil.which(name) for name in ("histmerge", "histplan", "histstats")}
TOOLS = {name: os.path.abspath(path) for name, path in TOOLS.items() if path}


def sh(name, *args, **kwargs):
    return subprocess.run([TOOLS[name]] + [str(a) for a in args], capture_output=True, text=True,
                          **kwargs)


@pytest.mark.skipif(len(TOOLS) < 3,
                    reason="the hist tools are not on PATH (make check-plugin puts build/bin there)")
@pytest.mark.parametrize("xdist", [0, 2])
def test_whole_loop_through_the_tools(hist, sample, monkeypatch, xdist):
    monkeypatch.setenv("HIST_SAMPLE_SCALE", "0.05")
    db = sample.path / "history.db"
    serial = hist.run("--hist-report", "serial.jsonl.gz", subprocess=True)
    assert serial.ret == 0, serial.stdout.str()
    merged = sh("histmerge", "--db", db, "--run-id", "serial", "--json", sample.path / "serial.jsonl.gz")
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout)["added"] == len(collected(hist))
    nodeids = collected(hist)
    (sample.path / "tests.txt").write_text("".join(n + "\n" for n in nodeids), encoding="utf-8")
    plan = sh("histplan", "--db", db, "--shards", 3, "--tests", "tests.txt", "--out", "shards",
              "--preview", cwd=sample.path)
    assert plan.returncode == 0, plan.stderr
    assert sorted(os.listdir(sample.path / "shards")) == ["plan.json", "shard-1.txt",
                                                          "shard-2.txt", "shard-3.txt"]
    monkeypatch.setenv("HIST_SAMPLE_EVOLVED", "1")
    after = collected(hist)
    # A plan made from a collection is strict: the tree changed since, so
    # the shards that hold the changed file fail and name the tests.
    stale = [hist.run("--shard-file", f"shards/shard-{k}.txt", xdist=xdist, subprocess=True)
             for k in (1, 2, 3)]
    failed = "\n".join(r.stdout.str() for r in stale if r.ret == 4)
    assert "test_d_evolving.py::test_added_after_plan" in failed
    assert "test_d_evolving.py::test_removed_after_plan" in failed
    assert all(r.ret in (0, 4) for r in stale)
    # Planned again from today's collection (as CI does before the shards):
    (sample.path / "tests.txt").write_text("".join(n + "\n" for n in after), encoding="utf-8")
    plan = sh("histplan", "--db", db, "--shards", 3, "--tests", "tests.txt", "--out", "shards",
              cwd=sample.path)
    assert plan.returncode == 0, plan.stderr
    assert_exactly_once(run_shards(hist, sample, 3, xdist=xdist), after)
    assert_exactly_once(run_shards(hist, sample, 3, "-k", "not slow", xdist=xdist),
                        collected(hist, "-k", "not slow"))
    # Round trip: the shard reports go back into the history, once.
    reports = [sample.path / f"r{k}.jsonl.gz" for k in (1, 2, 3)]
    ran_k = collected(hist, "-k", "not slow")
    merged = sh("histmerge", "--db", db, "--run-id", "shards", "--json", *reports)
    assert merged.returncode == 0, merged.stderr
    summary = json.loads(merged.stdout)
    assert [i["format"] for i in summary["inputs"]] == ["hist"] * 3
    assert summary["added"] == len(ran_k) and summary["rejected"] == 0
    again = sh("histmerge", "--db", db, "--run-id", "shards", "--json", *reports)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["added"] == 0
    stats = json.loads(sh("histstats", "--db", db, "--json").stdout)
    assert (stats["runs"], stats["results"]) == (2, len(nodeids) + len(ran_k))
    assert stats["tests"] == len(set(nodeids) | set(ran_k))
