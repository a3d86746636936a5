"""histplan with groups, on random collect files (seeded; HIST_PLAN_GROUP_CASES=N
runs more): random nodeids (classes, parameters holding '::', '[', '@',
spaces, non-ASCII), random group keys shared across files and classes,
with and without history, every scope, --shards, --max-tests-per-shard,
--target-seconds, --workers. Checked apart from histplan: every listed
test once; each group, and at --scope class/module each class/module,
on one shard; plan.json's groups are the collect file's, each on the
shard its tests are; the hash fallback puts a lone group where the
plugin would put it new (hash(key) % N + 1); and --max-tests-per-shard
gives ceil(tests / K) shards."""

import json
import os
import random

import pytest

from once import TOOLS, tool
from pytest_hist import nodeid as nid

needs_tools = pytest.mark.skipif("histplan" not in TOOLS or "histmerge" not in TOOLS,
                                 reason="the hist tools are not on PATH")
CASES = int(os.environ.get("HIST_PLAN_GROUP_CASES", "40"))
PARAMS = ["1", "a::b", "x[y]", "p q", "é", "a@b", "-"]


def random_suite(rng):
    """[(nodeid, group key or None)] in collection order, each nodeid once."""
    tests, seen = [], set()
    keys = [f"serial:{v}" for v in "abcde"] + ["serial", "db:x y", "db:é\\t"]
    keys = rng.sample(keys, rng.randint(0, len(keys)))
    for f in range(rng.randint(1, 6)):
        path = rng.choice(["", "sub/", "a b/"]) + f"test_{f}.py"
        for _ in range(rng.randint(1, 8)):
            cls = f"Test{rng.randint(0, 2)}::" if rng.random() < 0.4 else ""
            name = f"test_{rng.randint(0, 30)}"
            param = f"[{rng.choice(PARAMS)}]" if rng.random() < 0.3 else ""
            nodeid = f"{path}::{cls}{name}{param}"
            if nodeid in seen:
                continue
            seen.add(nodeid)
            key = rng.choice(keys) if keys and rng.random() < 0.5 else None
            tests.append((nodeid, key))
    return tests


def write_collect(path, tests, markers="serial,db"):
    lines = ["# hist collect 1", f"# group markers: {markers}"]
    lines += [f"{key or '-'}\t{nid.file_of(n)}\t-\t{n}" for n, key in tests]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def write_history(path, rng, tests):
    """pytest-split durations for some of the tests."""
    durations = {n: round(rng.lognormvariate(-3, 1.5), 4) for n, _ in tests
                 if rng.random() < 0.8}
    path.write_text(json.dumps(durations))


def scope_of(nodeid, scope):
    """The prefix --scope keeps whole, by the vector-checked rule
    (tests/vectors/scope.tsv): the path, or path::Class, outside brackets."""
    if scope == "test":
        return nodeid
    head = nodeid.split("[", 1)[0]
    names = head.split("::")
    if scope == "module":
        return names[0]
    return "::".join(names[:2]) if len(names) > 2 else nodeid


def check_case(tmp_path, seed):
    rng = random.Random(seed)
    tests = random_suite(rng)
    collect = tmp_path / "collected.txt"
    write_collect(collect, tests)
    db = tmp_path / f"h{seed}.db"
    history = rng.random() < 0.6
    if history:
        write_history(tmp_path / ".test_durations", rng, tests)
        merged = tool("histmerge", "--db", db, tmp_path / ".test_durations")
        assert merged.returncode in (0, 1), merged.stderr
    scope = rng.choice(["test", "class", "module"])
    args = ["--db", db, "--tests", collect, "--out", tmp_path / "shards", "--scope", scope]
    how = rng.choice(["shards", "per_shard", "target"])
    if how == "shards":
        args += ["--shards", rng.randint(1, 6)]
    elif how == "per_shard":
        per_shard = rng.randint(1, 10)
        args += ["--max-tests-per-shard", per_shard, "--max-shards", 16]
    else:
        args += ["--target-seconds", rng.choice([0.05, 0.2, 1]), "--max-shards", 8]
    if rng.random() < 0.3:
        args += ["--workers", rng.randint(2, 4)]
    made = tool("histplan", *args, cwd=tmp_path)
    what = (seed, args)
    assert made.returncode == 0, (what, made.stderr)
    doc = json.loads((tmp_path / "shards" / "plan.json").read_text(encoding="utf-8"))
    total = doc["shard_count"]
    if how == "per_shard":
        assert total == min(16, max(1, -(-len(tests) // per_shard))), what
    listed = {}
    for k in range(1, total + 1):
        text = (tmp_path / "shards" / f"shard-{k}.txt").read_text(encoding="utf-8")
        for line in text.splitlines():
            if line and not line.startswith("#"):
                assert line not in listed, (what, line)
                listed[line] = k
    assert sorted(listed) == sorted(n for n, _ in tests), what
    together = {}
    for n, key in tests:
        if key is not None:
            together.setdefault(("group", key), set()).add(listed[n])
        together.setdefault(("scope", scope_of(n, scope)), set()).add(listed[n])
    split = {unit: ks for unit, ks in together.items() if len(ks) > 1}
    assert split == {}, what
    assert doc["group_markers"] == ["serial", "db"]
    groups = {g["key"]: g for g in doc["groups"]}
    assert sorted(groups) == sorted({key for _, key in tests if key is not None}), what
    for key, g in groups.items():
        assert sorted(g["tests"]) == sorted(n for n, k in tests if k == key), what
        assert {listed[n] for n in g["tests"]} == {g["shard"]}, what
    if doc["fallback"] == "hash" and scope == "test":
        # A group alone in its unit goes where the plugin sends a new group.
        for key, g in groups.items():
            assert g["shard"] == nid.shard_of(key, total), (what, key)
        for n, key in tests:
            if key is None:
                assert listed[n] == nid.shard_of(n, total), (what, n)
    os.remove(tmp_path / "shards" / "plan.json")
    for k in range(1, total + 1):
        os.remove(tmp_path / "shards" / f"shard-{k}.txt")


@needs_tools
def test_random_collect_files_plan_groups_whole(tmp_path):
    for seed in range(CASES):
        check_case(tmp_path, seed)
