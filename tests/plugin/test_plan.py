"""Shard files, plan checks and the owner rule, without running pytest."""

import random

import pytest

import vectors
from histtest import PLAN_ID, write_plan
from pytest_hist import nodeid as nid
from pytest_hist.plan import PlanError, load_plan, read_shard_file


def error_of(path):
    with pytest.raises(PlanError) as e:
        load_plan(str(path))
    return str(e.value)


# -- reading one file ---------------------------------------------------------

def test_reads_header_and_lines(tmp_path):
    (p,) = write_plan(tmp_path, [["a.py::t[x y]", "b.py::u"]])
    text = p.read_text().replace(", 2 tests", ", 3 tests")
    p.write_text(text + "\n# a later comment\r\nc.py::v\r\n")
    sf = read_shard_file(str(p))
    assert (sf.plan_id, sf.index, sf.total) == (PLAN_ID, 1, 1)
    assert sf.lines == ["a.py::t[x y]", "b.py::u", "c.py::v"]


@pytest.mark.parametrize("text,expect", [
    ("", "no '# hist plan' and '# shard K/N' header lines"),
    ("a.py::t\n", ":1: test line before the '# hist plan'"),
    ("# hist plan 0123\n# shard 1/1\n", ":1: malformed plan line"),
    ("# hist plan 0123456789ABCDEF\n# shard 1/1\n", ":1: malformed plan line"),
    ("# hist plan 0123456789abcdef\n# shard one/1\n", ":2: malformed shard line"),
    ("# hist plan 0123456789abcdef\n# shard 3/2\n", ":2: shard 3/2: the index must be 1..N"),
    ("# hist plan 0123456789abcdef\n# shard 0/2\n", ":2: shard 0/2"),
    ("# hist plan 0123456789abcdef\n# shard 1/0\n", ":2: shard 1/0"),
    # Found by test_fuzz_plan.py: int() of 5000 digits raised ValueError,
    # and N = 10^8 had load_plan list 10^8 missing files.
    ("# hist plan 0123456789abcdef\n# shard 1/" + "1" * 5000 + "\n", ":2: shard line '# shard 1/111"),
    ("# hist plan 0123456789abcdef\n# shard 1/100000000\n", ":2: shard line '# shard 1/100000000': N is at most 1024"),
    ("# hist plan 0123456789abcdef\n# shard 1/1025\n", ":2: shard 1/1025: N is at most 1024"),
    ("# hist plan 0123456789abcdef\n# shard 1/1\nok\n\xff\n", ":4: a test id that is not valid UTF-8"),
    ("\xff\n# hist plan 0123456789abcdef\n# shard 1/1\n", ":1: not valid UTF-8: is this a shard file?"),
    # A copy cut short: histplan's count says so.
    ("# hist plan 0123456789abcdef\n# shard 1/1\n# predicted 2.000 s, 3 tests\na\nb\n",
     ": not as histplan wrote it (a copy cut short, or edited): its header counts 3 tests, "
     "it lists 2;"),
    ("# hist plan 0123456789abcdef\n# shard 1/1\n# predicted 2.000 s, 2 tests\na\nb",
     ": not as histplan wrote it (a copy cut short, or edited): its header counts 2 tests, "
     "it lists 2, the last without a line break;"),
])
def test_malformed_file_names_file_and_line(tmp_path, text, expect):
    p = tmp_path / "shard-1.txt"
    p.write_bytes(text.encode("latin-1"))
    msg = error_of(p)
    assert msg.startswith(str(p))
    assert expect in msg
    assert "histplan" in msg


def test_missing_file(tmp_path):
    msg = error_of(tmp_path / "shard-1.txt")
    assert "no such shard file" in msg and "histplan --out" in msg


def test_directory_instead_of_file(tmp_path):
    msg = error_of(tmp_path)
    assert "is a directory" in msg and "shard-1.txt" in msg


def test_unreadable_file(tmp_path, monkeypatch):
    (p,) = write_plan(tmp_path, [["a.py::t"]])

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    # Root reads any file, so the failure is simulated.
    monkeypatch.setattr("builtins.open", denied)
    msg = error_of(p)
    assert "cannot read shard file: Permission denied" in msg


# -- the whole plan -----------------------------------------------------------

def test_loads_all_siblings(tmp_path):
    paths = write_plan(tmp_path, [["a.py::t1"], ["a.py::t2"], []])
    (tmp_path / "plan.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("not a shard")
    plan, own = load_plan(str(paths[1]))
    assert own.index == 2 and plan.total == 3 and plan.plan_id == PLAN_ID
    assert sorted(plan.shards) == [1, 2, 3]


def test_shard_file_under_another_name(tmp_path):
    write_plan(tmp_path, [["a.py::t1"], ["a.py::t2"]])
    copy = tmp_path / "mine.txt"
    copy.write_text((tmp_path / "shard-2.txt").read_text())
    (tmp_path / "shard-2.txt").unlink()
    plan, own = load_plan(str(copy))
    assert own.index == 2 and sorted(plan.shards) == [1, 2]


def test_mixed_plans(tmp_path):
    write_plan(tmp_path, [["a.py::t1"], ["a.py::t2"]])
    write_plan(tmp_path / "x", [["a.py::t1"], ["a.py::t2"]], plan_id="fedcba9876543210")
    (tmp_path / "x" / "shard-2.txt").replace(tmp_path / "shard-2.txt")
    msg = error_of(tmp_path / "shard-1.txt")
    assert "belongs to plan fedcba9876543210" in msg and "mixes two plans" in msg


def test_stale_shard_of_a_bigger_plan(tmp_path):
    write_plan(tmp_path, [["a.py::t1"], ["a.py::t2"], ["a.py::t3"]], plan_id="fedcba9876543210")
    write_plan(tmp_path, [["a.py::t1"], ["a.py::t2"]])
    msg = error_of(tmp_path / "shard-1.txt")
    assert "shard-3.txt: belongs to plan fedcba9876543210 (3 shards)" in msg


def test_same_plan_different_counts(tmp_path):
    write_plan(tmp_path, [["a.py::t1"], ["a.py::t2"]])
    write_plan(tmp_path / "x", [["a.py::t1"], ["a.py::t2"], []])
    (tmp_path / "x" / "shard-2.txt").replace(tmp_path / "shard-2.txt")
    assert "mixes two plans" in error_of(tmp_path / "shard-1.txt")


def test_missing_sibling(tmp_path):
    write_plan(tmp_path, [["a.py::t1"], ["a.py::t2"], ["a.py::t3"]])
    (tmp_path / "shard-2.txt").unlink()
    msg = error_of(tmp_path / "shard-3.txt")
    assert "has 3 shards but shard-2.txt is missing" in msg
    assert "whole shards directory" in msg


def test_two_files_claim_one_shard(tmp_path):
    write_plan(tmp_path, [["a.py::t1"], ["a.py::t2"]])
    (tmp_path / "shard-7.txt").write_text((tmp_path / "shard-2.txt").read_text())
    assert "shard 2/2 again" in error_of(tmp_path / "shard-1.txt")


def test_test_listed_twice(tmp_path):
    write_plan(tmp_path, [["a.py::t1", "a.py::t2"], ["a.py::t2"]])
    msg = error_of(tmp_path / "shard-1.txt")
    assert "shard-2.txt:4: a.py::t2 is also listed in" in msg
    assert "shard-1.txt:5" in msg


# -- the owner rule -----------------------------------------------------------

def plan_of(tmp_path, shards):
    write_plan(tmp_path, shards)
    return load_plan(str(tmp_path / "shard-1.txt"))[0]


def test_listed_tests_run_where_listed(tmp_path):
    plan = plan_of(tmp_path, [["a.py::t1", "b.py::T::u[1]"], ["a.py::t2"]])
    assert plan.owner("a.py::t1") == (1, "a.py::t1")
    assert plan.owner("a.py::t2") == (2, "a.py::t2")
    assert plan.owner("b.py::T::u[1]") == (1, "b.py::T::u[1]")
    # The plan takes nodeids as collected (items.py drops xdist's suffix):
    # an '@' is part of the name.
    assert plan.owner("b.py::T::u[1]@grp")[1] is None


def test_junit_keys_match(tmp_path):
    plan = plan_of(tmp_path, [["tests.test_a::test_one", "x.py::exact"],
                              ["tests.test_a.TestK::test_two[p::q]", "::tests.doc.txt"]])
    assert plan.owner("tests/test_a.py::test_one") == (1, "tests.test_a::test_one")
    assert plan.owner("tests/test_a.py::TestK::test_two[p::q]")[0] == 2
    assert plan.owner("tests/doc.txt") == (2, "::tests.doc.txt")
    # The file of a key is known only up to its dotted name: both shards
    # may own tests of tests/test_a.py, neither of an unrelated file.
    assert plan.file_shards("tests/test_a.py") == (1, 2)
    assert plan.file_shards("tests/doc.txt") == (2,)


def test_exact_nodeid_wins_over_key(tmp_path):
    plan = plan_of(tmp_path, [["t.py::test_x"], ["t::test_x"]])
    assert plan.owner("t.py::test_x") == (1, "t.py::test_x")


HASH = {row["nodeid"]: row for row in vectors.read("shard_hash")}


def test_new_test_in_listed_file_goes_to_a_listing_shard(tmp_path):
    # Shard 1 and 3 list test_e.py: a new test of it goes to entry
    # hash % 2 of (1, 3), shard_of_2 - 1 in tests/vectors/shard_hash.tsv.
    plan = plan_of(tmp_path, [["test_e.py::test_old"], ["other.py::t"], ["test_e.py::test_h"]])
    assert plan.file_shards("test_e.py") == (1, 3)
    new = [f"test_e.py::test_g[{i}]" for i in range(4)]
    want = [((1, 3)[int(HASH[n]["shard_of_2"]) - 1], None) for n in new]
    assert {k for k, _ in want} == {1, 3}       # the rows exercise both
    assert [plan.owner(n) for n in new] == want


def test_new_file_goes_to_its_path_hash_shard(tmp_path):
    plan = plan_of(tmp_path, [["a.py::t"], ["b.py::t"], ["c.py::t"]])
    doc, x = int(HASH["tests/test_doc.txt"]["shard_of_3"]), int(HASH["x"]["shard_of_3"])
    assert plan.owner("tests/test_doc.txt") == (doc, None)
    assert plan.owner("x::test_y")[0] == x
    assert [plan.shard_may_own(k, "x") for k in (1, 2, 3)] == [k == x for k in (1, 2, 3)]


def random_nodeid(rng):
    parts = [rng.choice(["a", "b", "t", "pkg", "x.py", "d[1]"]) for _ in range(rng.randint(0, 2))]
    path = "/".join(parts + [rng.choice(["test_a.py", "test_b.py", "test_c.txt", "t.py"])])
    if path.endswith(".txt") and rng.random() < 0.5:
        return path
    names = [rng.choice(["TestK", "TestL"]) for _ in range(rng.randint(0, 2))]
    name = rng.choice(["test_x", "test_y", "test_z"])
    if rng.random() < 0.6:
        name += "[" + rng.choice(["1", "a::b", "c/d", "e[f]", "g.py", "h@i", ""]) + "]"
    return "::".join([path] + names + [name])


def test_every_test_is_owned_by_a_shard_that_collects_its_file(tmp_path):
    """The property behind exactly-once: the owner is one shard, and that
    shard does not skip the test's file. Random plans mix nodeid lines,
    JUnit key lines, paths with '[' and tests the plan never saw."""
    rng = random.Random(5)
    for trial in range(40):
        total = rng.randint(1, 5)
        known = {random_nodeid(rng) for _ in range(60)}
        shards = [[] for _ in range(total)]
        for n in sorted(known):
            line = nid.junit_key(n) if rng.random() < 0.3 else n
            if line not in {x for s in shards for x in s}:
                rng.choice(shards).append(line)
        plan = plan_of(tmp_path / str(trial), shards)
        suite = list(known) + [random_nodeid(rng) for _ in range(60)]
        for n in suite:
            k, line = plan.owner(n)
            assert 1 <= k <= total
            assert plan.shard_may_own(k, nid.file_of(n)), (n, k, shards)
            if line is not None:
                assert line in shards[k - 1]
