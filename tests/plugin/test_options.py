"""Environment defaults of the plugin's options (options.py): the command
line wins, a bad value is a usage error naming the variable, --help and
doc/plugin.md list every variable; and the usage errors of a job index."""

import re

import pytest

from histtest import REPO, ran, read_report, write_plan
from pytest_hist import options

SUITE = """
    def test_a(): pass
    def test_b(): pass
    def test_c(): pass
    def test_d(): pass
"""
PLAN = [["test_e.py::test_a", "test_e.py::test_d"], ["test_e.py::test_c", "test_e.py::test_b"]]


@pytest.fixture
def planned(pytester):
    pytester.makepyfile(test_e=SUITE)
    write_plan(pytester.path / "shards", PLAN)
    return pytester


@pytest.mark.parametrize("xdist", [0, 2])
def test_shard_file_from_the_environment(hist, planned, monkeypatch, xdist):
    monkeypatch.setenv("HIST_SHARD_FILE", "shards/shard-2.txt")
    result = hist.run(xdist=xdist)
    assert result.ret == 0, result.stdout.str()
    assert sorted(ran(result)) == ["test_e.py::test_b", "test_e.py::test_c"]


def test_command_line_wins(hist, planned, monkeypatch):
    monkeypatch.setenv("HIST_SHARD_FILE", "shards/shard-2.txt")
    monkeypatch.setenv("HIST_SHARD_ORDER", "longest")
    # --shard-order original equals the default: still the command line's.
    result = hist.run("--shard-file=shards/shard-1.txt", "--shard-order", "original")
    assert result.ret == 0, result.stdout.str()
    assert ran(result) == ["test_e.py::test_a", "test_e.py::test_d"]
    result = hist.run("--shard-file=shards/shard-1.txt")
    assert ran(result) == ["test_e.py::test_a", "test_e.py::test_d"]
    monkeypatch.setenv("HIST_SHARD_FILE", "shards/shard-2.txt")
    result = hist.run()
    assert ran(result) == ["test_e.py::test_c", "test_e.py::test_b"]   # longest, from env


def test_report_and_index_from_the_environment(hist, planned, monkeypatch):
    monkeypatch.setenv("HIST_SHARD_FILE", "shards/shard-{index}.txt")
    monkeypatch.setenv("HIST_SHARD_INDEX_ENV", "MATRIX")
    monkeypatch.setenv("HIST_SHARD_INDEX_BASE", "0")
    monkeypatch.setenv("MATRIX", "1")
    monkeypatch.setenv("HIST_REPORT", "env.jsonl")
    result = hist.run()
    assert result.ret == 0, result.stdout.str()
    records = read_report(planned.path / "env.jsonl")
    assert sorted(r["nodeid"] for r in records if r["type"] == "test") == [
        "test_e.py::test_b", "test_e.py::test_c"]
    result = hist.run("--hist-report=cli.jsonl", "--shard-index-base", "1")
    assert result.ret == 0, result.stdout.str()
    records = read_report(planned.path / "cli.jsonl")
    assert sorted(r["nodeid"] for r in records if r["type"] == "test") == [
        "test_e.py::test_a", "test_e.py::test_d"]


def test_an_empty_variable_is_unset(hist, planned, monkeypatch):
    monkeypatch.setenv("HIST_SHARD_FILE", "")
    monkeypatch.setenv("HIST_SHARD_ORDER", "")
    result = hist.run()
    assert result.ret == 0
    assert len(ran(result)) == 4


@pytest.mark.parametrize("name, value, message", [
    ("HIST_SHARD_ORDER", "fast", "*hist: HIST_SHARD_ORDER='fast': not a valid --shard-order "
                                 "value: expected one of original, longest*"),
    ("HIST_SHARD_INDEX_BASE", "one", "*hist: HIST_SHARD_INDEX_BASE='one': not a valid "
                                     "--shard-index-base value: expected int*"),
    ("HIST_SHARD_INDEX_BASE", "2", "*HIST_SHARD_INDEX_BASE='2'*expected one of 0, 1*"),
    ("HIST_SCHEDULER", "random", "*HIST_SCHEDULER='random'*expected one of longest, xdist*"),
])
def test_a_bad_value_names_the_variable(hist, planned, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    result = hist.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_help_and_readme_list_every_variable(hist, planned):
    result = hist.run("--help")
    text = " ".join(result.outlines)
    readme = (REPO / "doc" / "plugin.md").read_text(encoding="utf-8")
    assert options.table(), "no options declared"
    for flag, env, default in options.table():
        assert re.search(rf"env\s+{env}\b", text), env
        assert f"`{env}`" in readme and f"`{flag}" in readme, env


def test_placeholder_without_a_ci_variable(hist, planned, monkeypatch):
    monkeypatch.setenv("HIST_SHARD_FILE", "shards/shard-{index}.txt")
    result = hist.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: from HIST_SHARD_FILE: --shard-file "
                                 "shards/shard-{index}.txt: no CI job index to fill {index}*"])


@pytest.mark.parametrize("name, value, args", [
    ("CI_NODE_INDEX", "3", []),
    ("CIRCLE_NODE_INDEX", "2", []),
    ("SHARD", "5", ["--shard-index-env=SHARD"]),
])
def test_an_index_outside_the_plan(hist, planned, monkeypatch, name, value, args):
    monkeypatch.setenv(name, value)
    result = hist.run("--shard-file=shards/shard-{index}.txt", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: shards/shard-*.txt: shard index * from * "
                                 "is outside 1..2, the shards of plan * in shards: run 2 jobs*"])
