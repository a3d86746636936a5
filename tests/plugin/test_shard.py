"""--shard-file under pytest: selection, collection, order, summary, errors."""

from collections import Counter

import pytest

from histtest import PLAN_ID, ran, read_report, write_plan
from pytest_hist import nodeid as nid

SUITE = {
    "test_one.py": """
        import pytest
        @pytest.mark.parametrize("x", ["a b", "c::d", "e/f", "g[h]", "i@j"])
        def test_p(x): pass
        class TestK:
            def test_m(self): pass
            class TestIn:
                def test_n(self): pass
        @pytest.mark.marked
        def test_marked(): pass
    """,
    "test_two.py": """
        def test_a(): pass
        def test_b(): pass
        def test_new_in_listed_file(): pass
    """,
    "sub/__init__.py": "",
    "sub/conftest.py": """
        import pytest
        @pytest.fixture
        def from_conftest(): return 7
    """,
    "sub/test_three.py": """
        def test_c(from_conftest): assert from_conftest == 7
        def test_d(): pass
    """,
    "test_unlisted.py": """
        def test_u1(): pass
        def test_u2(): pass
    """,
}
LISTED = [
    ["test_one.py::test_p[a b]", "test_one.py::test_p[g[h]]", "test_two.py::test_a",
     "sub/test_three.py::test_c", "test_one.py::test_removed"],
    ["test_one.py::test_p[c::d]", "test_one.py::TestK::test_m", "test_one.py::test_marked",
     "sub/test_three.py::test_d"],
    ["test_one.py::test_p[e/f]", "test_one.py::test_p[i@j]", "test_one.py::TestK::TestIn::test_n",
     "test_two.py::test_b"],
]


@pytest.fixture
def suite(pytester):
    for name, text in SUITE.items():
        pytester.makepyfile(**{name[:-3]: text})
    pytester.makeini("[pytest]\nmarkers =\n    marked: a marker for -m\n")
    write_plan(pytester.path / "shards", LISTED)
    return pytester


def all_tests(pytester, *args):
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider", *args)
    return [line for line in result.outlines if "::" in line]


def run_all_shards(hist, *args, xdist=0):
    by_shard = {}
    for k in (1, 2, 3):
        result = hist.run("--shard-file", f"shards/shard-{k}.txt", *args, xdist=xdist)
        assert result.ret == 0, result.stdout.str()
        by_shard[k] = ran(result)
    return by_shard


@pytest.mark.parametrize("xdist", [0, 2])
def test_every_test_runs_exactly_once(hist, suite, xdist):
    expected = all_tests(suite)
    assert len(expected) == 15
    by_shard = run_all_shards(hist, xdist=xdist)
    counts = Counter(n for names in by_shard.values() for n in names)
    assert sorted(counts) == sorted(expected)
    assert set(counts.values()) == {1}
    for k, lines in enumerate(LISTED, 1):
        for line in lines:
            if line in expected:
                assert line in by_shard[k]
    # The new test goes to one of the shards listing test_two.py (1 and 3);
    # the unlisted file to the shard its path hashes to.
    new = "test_two.py::test_new_in_listed_file"
    assert new in by_shard[(1, 3)[nid.nodeid_hash(new) % 2]]
    home = nid.shard_of("test_unlisted.py", 3)
    assert {"test_unlisted.py::test_u1", "test_unlisted.py::test_u2"} <= set(by_shard[home])


@pytest.mark.parametrize("xdist", [0, 2])
@pytest.mark.parametrize("select", [("-k", "test_p or test_u1"), ("-m", "not marked"),
                                    ("--deselect", "test_two.py::test_a")])
def test_selection_happens_after_other_deselection(hist, suite, xdist, select):
    expected = all_tests(suite, *select)
    assert 0 < len(expected) < 15
    by_shard = run_all_shards(hist, *select, xdist=xdist)
    counts = Counter(n for names in by_shard.values() for n in names)
    assert sorted(counts) == sorted(expected)
    assert set(counts.values()) == {1}


def test_deselected_are_counted_in_the_summary(hist, suite):
    result = hist.run("--shard-file", "shards/shard-2.txt", "-k", "not TestK")
    # Shard 2 lists 4 tests, -k drops test_m (and TestIn::test_n of shard
    # 3); test_unlisted.py comes here if its path hashes to shard 2.
    new = 2 if nid.shard_of("test_unlisted.py", 3) == 2 else 0
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 3 + new
    collected = int(result.stdout.str().split("collected ")[1].split(" ")[0])
    assert outcomes["deselected"] == collected - 3 - new
    result.stdout.fnmatch_lines([f"hist: shard 2/3: running {3 + new} tests (3 listed, {new} new "
                                 f"since the plan); {collected - 2 - 3 - new} collected tests belong to "
                                 f"other shards"])


def test_xdist_loadgroup_suffixes(hist, pytester):
    pytester.makepyfile(test_g="""
        import pytest
        @pytest.mark.xdist_group("g1")
        def test_x(): pass
        @pytest.mark.xdist_group("g2")
        @pytest.mark.parametrize("v", ["a@b", "c"])
        def test_y(v): pass
        def test_z(): pass
    """)
    write_plan(pytester.path / "shards", [["test_g.py::test_x", "test_g.py::test_y[a@b]"],
                                          ["test_g.py::test_y[c]", "test_g.py::test_z"]])
    seen = []
    for k in (1, 2):
        result = hist.run("--shard-file", f"shards/shard-{k}.txt", "--dist", "loadgroup", xdist=2)
        assert result.ret == 0, result.stdout.str()
        seen.append(sorted(ran(result)))
        result.stdout.fnmatch_lines([f"hist: shard {k}/2: running 2 tests (2 listed, 0 new*"])
    assert seen == [["test_g.py::test_x@g1", "test_g.py::test_y[a@b]@g2"],
                    ["test_g.py::test_y[c]@g2", "test_g.py::test_z"]]


def test_collects_only_files_it_may_own(hist, pytester):
    pytester.makepyfile(**{
        "test_mine": "def test_ok(): pass",
        "test_theirs": "raise RuntimeError('shard 1 must not import this file')\ndef test_x(): pass",
        "deeper/conftest": "import pytest\n@pytest.fixture\ndef fx(): return 1",
        # setup_module of a package runs only if its __init__.py is collected.
        # No shard lists deeper/package/__init__.py and its path hashes to shard 2.
        "deeper/package/__init__": "def setup_module(): open('pkg-set-up', 'w').close()",
        "deeper/package/test_in_pkg": "import os\ndef test_p(fx): assert fx == 1 and os.path.exists('pkg-set-up')",
        # A directory whose name looks like a file of another shard.
        "test_dir.py/test_inside": "def test_i(): pass",
    })
    pytester.maketxtfile(test_notes=">>> 1 + 1\n2\n")
    write_plan(pytester.path / "shards", [
        ["test_mine.py::test_ok", "deeper/package/test_in_pkg.py::test_p", "test_dir.py/test_inside.py::test_i"],
        ["test_theirs.py::test_x", "test_notes.txt::test_notes.txt", "test_dir.py::test_nothing"]])
    assert nid.shard_of("deeper/package/__init__.py", 2) == 2
    result = hist.run("--shard-file", "shards/shard-1.txt")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["collected 3 items"])
    assert sorted(ran(result)) == ["deeper/package/test_in_pkg.py::test_p", "test_dir.py/test_inside.py::test_i",
                                   "test_mine.py::test_ok"]
    result = hist.run("--shard-file", "shards/shard-2.txt", "-p", "no:doctest")
    assert result.ret == 2       # shard 2 does import test_theirs.py
    result.stdout.fnmatch_lines(["*shard 1 must not import this file*"])
    result = hist.run("--shard-file", "shards/shard-2.txt", "--collect-only", "-q",
                      "--ignore", "test_theirs.py")
    assert result.ret == 0
    assert [line for line in result.outlines if line.startswith("test_")] == ["test_notes.txt::test_notes.txt"]


def test_shard_order(hist, pytester):
    pytester.makepyfile(test_o="""
        def test_a(): pass
        def test_b(): pass
        def test_c(): pass
        def test_new(): pass
        def test_d(): pass
    """)
    write_plan(pytester.path / "shards", [["test_o.py::test_c", "test_o.py::test_a", "test_o.py::test_d",
                                           "test_o.py::test_b"]])
    result = hist.run("--shard-file", "shards/shard-1.txt", "--shard-order", "longest", "-v")
    names = [line.split(" ")[0].split("::")[1] for line in result.outlines if " PASSED " in line]
    assert names == ["test_c", "test_a", "test_d", "test_b", "test_new"]
    result = hist.run("--shard-file", "shards/shard-1.txt", "-v")
    names = [line.split(" ")[0].split("::")[1] for line in result.outlines if " PASSED " in line]
    assert names == ["test_a", "test_b", "test_c", "test_new", "test_d"]


@pytest.mark.parametrize("xdist", [0, 2])
def test_empty_shard_exits_zero(hist, pytester, xdist):
    pytester.makepyfile(test_e="def test_a(): pass")
    write_plan(pytester.path / "shards", [["test_e.py::test_a"], []])
    result = hist.run("--shard-file", "shards/shard-2.txt", xdist=xdist)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["hist: shard 2/2*nothing to run, exit status 0"])
    # Without the plugin the same empty run is pytest's exit 5.
    assert hist.run("-k", "nothing_matches").ret == 5


def test_missing_tests_are_reported_not_fatal(hist, suite):
    result = hist.run("--shard-file", "shards/shard-1.txt")
    assert result.ret == 0
    # Its file was collected while other shards' files were skipped: a
    # removed test, or one a module makes only with every file imported
    # (the shard cannot tell), so the warning names both.
    result.stdout.fnmatch_lines([
        "hist: shard 1/3: WARNING: 1 listed tests were not yielded by files this shard collected "
        "while it skipped the files of other shards: removed or renamed since plan "
        "0123456789abcdef, or a test module takes its tests or parameters from other test "
        "modules at import *--hist-prune-collection no, or plan with histplan --tests*",
        "  test_one.py::test_removed"])
    # Collecting every file, the test is simply gone.
    result = hist.run("--shard-file", "shards/shard-1.txt", "--hist-prune-collection", "no")
    assert result.ret == 0 and "WARNING" not in result.stdout.str()
    result.stdout.fnmatch_lines([
        "hist: shard 1/3: 1 listed tests were not collected (removed or renamed since plan "
        "0123456789abcdef, or outside the paths given):",
        "  test_one.py::test_removed"])
    # A listed test that -k deselects still exists.
    result = hist.run("--shard-file", "shards/shard-1.txt", "-k", "not test_p")
    assert result.parseoutcomes()["deselected"] >= 2
    result.stdout.fnmatch_lines(["*1 listed tests were not yielded*"])


def test_many_missing_are_cut_short_unless_verbose(hist, pytester):
    pytester.makepyfile(test_m="def test_a(): pass")
    write_plan(pytester.path / "shards", [["test_m.py::test_a"] + [f"test_m.py::gone_{i}" for i in range(25)]])
    result = hist.run("--shard-file", "shards/shard-1.txt")
    result.stdout.fnmatch_lines(["*25 listed tests were not *", "  ... and 5 more (-v shows all)"])
    result = hist.run("--shard-file", "shards/shard-1.txt", "-v")
    assert "gone_24" in result.stdout.str() and "more (-v" not in result.stdout.str()


def test_junit_key_plan(hist, pytester):
    pytester.makepyfile(**{"tests/test_k": """
        import pytest
        class TestK:
            @pytest.mark.parametrize("v", ["a::b", "c"])
            def test_p(self, v): pass
        def test_q(): pass
    """})
    write_plan(pytester.path / "shards", [["tests.test_k.TestK::test_p[a::b]", "tests.test_k::test_q"],
                                          ["tests.test_k.TestK::test_p[c]"]])
    r1 = hist.run("--shard-file", "shards/shard-1.txt")
    r2 = hist.run("--shard-file", "shards/shard-2.txt")
    assert sorted(ran(r1)) == ["tests/test_k.py::TestK::test_p[a::b]", "tests/test_k.py::test_q"]
    assert ran(r2) == ["tests/test_k.py::TestK::test_p[c]"]
    assert "were not collected" not in r1.stdout.str() + r2.stdout.str()


def test_header_names_the_shard(hist, suite):
    result = hist.run("--shard-file", "shards/shard-3.txt")
    result.stdout.fnmatch_lines([f"hist: shard 3/3 of plan {PLAN_ID} (shards/shard-3.txt)"])


# -- placeholders from the CI -------------------------------------------------

def test_index_from_gitlab(hist, suite, monkeypatch):
    monkeypatch.setenv("CI_NODE_INDEX", "2")
    monkeypatch.setenv("CI_NODE_TOTAL", "3")
    result = hist.run("--shard-file", "shards/shard-{index}.txt")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["hist: shard 2/3 of plan * (shards/shard-2.txt, from CI_NODE_INDEX=2 (GitLab CI, 1-based))"])


def test_index_from_user_variable_zero_based(hist, suite, monkeypatch):
    monkeypatch.setenv("JOB", "0")
    result = hist.run("--shard-file", "shards/shard-{index}.txt", "--shard-index-env", "JOB",
                      "--shard-index-base", "0")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["hist: shard 1/3 *"])


def test_job_count_must_match_the_plan(hist, suite, monkeypatch):
    monkeypatch.setenv("BUILDKITE_PARALLEL_JOB", "1")
    monkeypatch.setenv("BUILDKITE_PARALLEL_JOB_COUNT", "4")
    result = hist.run("--shard-file", "shards/shard-{index}.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: the CI runs 4 parallel jobs (BUILDKITE_PARALLEL_JOB=1 "
                                 "(Buildkite, 0-based)) but plan * has 3 shards: plan again with "
                                 "histplan --shards 4, or run 3 jobs"])


# -- errors are usage errors ----------------------------------------------------

@pytest.mark.parametrize("setup,arg,message", [
    (None, "shards/shard-9.txt", "*shards/shard-9.txt: no such shard file*"),
    ("garbage", "shards/shard-1.txt", "*shards/shard-1.txt:1: test line before the*"),
    ("mixed", "shards/shard-1.txt", "*belongs to plan fedcba9876543210*mixes two plans*"),
    ("k>N", "shards/shard-1.txt", "*shard-2.txt:2: shard 3/2: the index must be 1..N*"),
    ("missing", "shards/shard-1.txt", "*has 3 shards but shard-3.txt is missing*"),
    (None, "shards/shard-{index}.txt", "*no CI job index to fill {index}*"),
])
def test_bad_plans_are_usage_errors(hist, suite, setup, arg, message):
    shards = suite.path / "shards"
    if setup == "garbage":
        (shards / "shard-1.txt").write_text("just some text\n")
    elif setup == "mixed":
        write_plan(suite.path / "other", LISTED, plan_id="fedcba9876543210")
        (suite.path / "other" / "shard-2.txt").replace(shards / "shard-2.txt")
    elif setup == "k>N":
        for p in shards.iterdir():
            p.unlink()
        write_plan(shards, [["a"], ["b"]])
        (shards / "shard-2.txt").write_text(f"# hist plan {PLAN_ID}\n# shard 3/2\n")
    elif setup == "missing":
        (shards / "shard-3.txt").unlink()
    result = hist.run("--shard-file", arg)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: " + message])


def test_run_from_a_subdirectory(hist, suite, monkeypatch):
    """Invoked below the rootdir, pytest still names files from the rootdir;
    so do the plan and the collection filter."""
    monkeypatch.chdir(suite.path / "sub")
    result = hist.run("--shard-file", "../shards/shard-1.txt", ".", "../test_two.py", "../test_one.py",
                      "--hist-report", "r.jsonl")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["hist: shard 1/3: running * tests (4 listed, *"])
    new = "test_two.py::test_new_in_listed_file"
    expected = {"sub/test_three.py::test_c", "test_two.py::test_a", "test_one.py::test_p[a b]",
                "test_one.py::test_p[g[h]]"}
    if (1, 3)[nid.nodeid_hash(new) % 2] == 1:
        expected.add(new)
    # -rA prints paths relative to the current directory; the report has
    # the nodeids.
    assert {r["nodeid"] for r in read_report("r.jsonl") if r["type"] == "test"} == expected
    result = hist.run("--shard-file", "../shards/shard-2.txt", ".", "--collect-only", "-q")
    assert [line for line in result.outlines if line.startswith("sub/")] == ["sub/test_three.py::test_d"]
    # Its listed tests in files outside "." are not collected, and said so.
    result.stdout.fnmatch_lines(["hist: shard 2/3: 3 listed tests were not collected*",
                                 "  test_one.py::test_p[c::d]"])



def test_a_plan_for_another_rootdir_says_why_nothing_matched(hist, pytester, monkeypatch):
    # The suite lives in proj/ and the plan beside it. Given as a bare path,
    # ../shards/... makes pytest pick the parent as rootdir, so every nodeid
    # gains a "proj/" prefix and no listed line matches.
    proj = pytester.mkdir("proj")
    (proj / "test_r.py").write_text("def test_a(): pass\ndef test_b(): pass\n")
    write_plan(pytester.path / "shards", [["test_r.py::test_a"], ["test_r.py::test_b"]])
    monkeypatch.chdir(proj)
    result = hist.run("--shard-file", "../shards/shard-1.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert ran(result) == []
    result.stdout.fnmatch_lines([
        f"hist: shard 1/2: ERROR: none of the 1 tests listed in ../shards/shard-1.txt matched a collected "
        f"test. Nodeids here are relative to rootdir {pytester.path} (no ini file found); keep the shard "
        f"files inside the project, or write --shard-file=PATH with '=': *(this run wrote it with a space)*",
        "  test_r.py::test_a",
        "hist: shard 1/2: ran nothing, exit status 4"])
    # With "=" pytest leaves the path out of its choice, and the plan matches.
    result = hist.run("--shard-file=../shards/shard-1.txt")
    assert ran(result) == ["test_r.py::test_a"]
    assert result.ret == 0 and "ERROR" not in result.stdout.str()
