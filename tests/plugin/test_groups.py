"""Group markers (issue 17): --hist-group-marker and HIST_GROUP_MARKER, which
markers count, the group key of each test case by case (read back from
--hist-collect, the file histplan plans from), and the usage errors."""

import pytest

from histtest import read_report, set_test_list, write_tree

from pytest_hist import groups

INI = "[pytest]\nmarkers =\n    serial(name): one at a time\n    db: a database\n"


def collected(pytester, hist, *args, xdist_plugin=False):
    """{nodeid: (group, module, class)} from --hist-collect, and its header."""
    extra = ["-p", "xdist.plugin"] if xdist_plugin else []
    result = hist.run("--collect-only", "-q", "--hist-collect=c.txt", *extra, *args)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    lines = (pytester.path / "c.txt").read_text(encoding="utf-8").split("\n")
    assert lines[0] == "# hist collect 1"
    assert lines[-1] == ""
    out = {}
    for line in lines[2:-1]:
        group, module, cls, nodeid = line.split("\t", 3)
        out[nodeid] = (group, module, cls)
    return lines[1], out


def keys(pytester, hist, *args, **kw):
    return {n: g for n, (g, _, _) in collected(pytester, hist, *args, **kw)[1].items()}


SUITE = """
import pytest

from histtest import read_report

@pytest.mark.serial("db")
def test_value(): pass

@pytest.mark.serial
def test_bare(): pass

@pytest.mark.serial
def test_bare_too(): pass

@pytest.mark.serial(name="kw")
def test_keyword(): pass

@pytest.mark.serial(7)
def test_number(): pass

@pytest.mark.serial("a\\tb\\\\c\\n")
def test_escaped(): pass

def test_free(): pass

@pytest.mark.db
@pytest.mark.serial("s")
def test_both(): pass

@pytest.mark.serial("cls")
class TestClass:
    def test_inherits(self): pass

    @pytest.mark.serial("own")
    def test_closest(self): pass
"""


def test_group_key_case_by_case(hist, pytester):
    pytester.makeini(INI)
    pytester.makepyfile(test_g=SUITE)
    header, got = collected(pytester, hist, "--hist-group-marker", "serial")
    assert header == "# group markers: serial"
    assert {n: g for n, (g, _, _) in got.items()} == {
        "test_g.py::test_value": "serial:db",
        "test_g.py::test_bare": "serial",
        "test_g.py::test_bare_too": "serial",
        "test_g.py::test_keyword": "serial:kw",
        "test_g.py::test_number": "serial:7",
        "test_g.py::test_escaped": "serial:a\\tb\\\\c\\n",
        "test_g.py::test_free": "-",
        "test_g.py::test_both": "serial:s",
        "test_g.py::TestClass::test_inherits": "serial:cls",
        "test_g.py::TestClass::test_closest": "serial:own",
    }
    assert got["test_g.py::test_value"][1:] == ("test_g.py", "-")
    assert got["test_g.py::TestClass::test_closest"][1:] == ("test_g.py", "test_g.py::TestClass")
    # The lines come in collection order, as --collect-only -q prints them.
    assert list(got) == [n for n in got]


def test_first_configured_marker_wins(hist, pytester):
    pytester.makeini(INI)
    pytester.makepyfile(test_g=SUITE)
    got = keys(pytester, hist, "--hist-group-marker", "db", "--hist-group-marker", "serial")
    assert got["test_g.py::test_both"] == "db"
    assert got["test_g.py::test_value"] == "serial:db"
    got = keys(pytester, hist, "--hist-group-marker", "serial", "--hist-group-marker", "db")
    assert got["test_g.py::test_both"] == "serial:s"


def test_no_marker_no_groups(hist, pytester):
    pytester.makeini(INI)
    pytester.makepyfile(test_g=SUITE)
    header, got = collected(pytester, hist)
    assert header == "# group markers:"
    assert set(g for g, _, _ in got.values()) == {"-"}


def test_xdist_group_is_honoured_when_named(hist, pytester):
    pytester.makepyfile(test_x="""
        import pytest
        @pytest.mark.xdist_group("a")
        def test_1(): pass
        @pytest.mark.xdist_group(name="a")
        def test_2(): pass
        @pytest.mark.xdist_group
        def test_3(): pass
        def test_4(): pass
    """)
    got = keys(pytester, hist, "--hist-group-marker", "xdist_group", xdist_plugin=True)
    assert got == {"test_x.py::test_1": "xdist_group:a", "test_x.py::test_2": "xdist_group:a",
                   "test_x.py::test_3": "xdist_group", "test_x.py::test_4": "-"}
    # Without xdist nobody registers it: a usage error, not an empty grouping.
    result = hist.run("--collect-only", "--hist-group-marker", "xdist_group")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: --hist-group-marker xdist_group: no marker "
                                 "'xdist_group' is registered (pytest-xdist registers it*"])


def test_environment_comma_list_and_command_line_wins(hist, pytester, monkeypatch):
    pytester.makeini(INI)
    pytester.makepyfile(test_g=SUITE)
    monkeypatch.setenv("HIST_GROUP_MARKER", " db , serial,")
    header, got = collected(pytester, hist)
    assert header == "# group markers: db,serial"
    assert got["test_g.py::test_both"][0] == "db"
    header, got = collected(pytester, hist, "--hist-group-marker", "serial")
    assert header == "# group markers: serial"
    assert got["test_g.py::test_both"][0] == "serial:s"


@pytest.mark.parametrize("register", ["", "ini", "conftest"])
def test_marker_must_be_registered(hist, pytester, monkeypatch, register):
    pytester.makepyfile(test_g="import pytest\n@pytest.mark.slowdb\ndef test_a(): pass\n")
    if register == "ini":
        pytester.makeini("[pytest]\nmarkers =\n    slowdb(name): uses the slow database\n")
    elif register == "conftest":
        pytester.makeconftest("def pytest_configure(config):\n"
                              "    config.addinivalue_line('markers', 'slowdb: slow')\n")
    result = hist.run("--hist-group-marker", "slowdb")
    if register:
        assert result.ret == 0, result.stdout.str()
        return
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: --hist-group-marker slowdb: no marker 'slowdb' "
                                 "is registered: register it in the ini file's markers*"])
    monkeypatch.setenv("HIST_GROUP_MARKER", "slowdb")
    result = hist.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: --hist-group-marker slowdb (from "
                                 "HIST_GROUP_MARKER): no marker 'slowdb' is registered*"])


def test_collect_file_refuses_a_shard_file(hist, pytester):
    pytester.makepyfile(test_g="def test_a(): pass\n")
    result = hist.run("--collect-only", "--hist-collect=c.txt", "--shard-file=s/shard-1.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: --hist-collect writes the whole suite*"])


@pytest.mark.parametrize("args", [(), ("--continue-on-collection-errors",)])
def test_collect_file_is_not_written_when_a_file_fails_to_collect(hist, pytester, args):
    pytester.makepyfile(test_g="def test_a(): pass\n", test_h="import no_such_module\n")
    result = hist.run("--collect-only", "-q", "--hist-collect=c.txt", *args)
    assert result.ret != pytest.ExitCode.OK, result.stdout.str()   # pytest's own verdict
    result.stdout.fnmatch_lines(["hist: --hist-collect c.txt: not written: 1 errors during "
                                 "collection would leave their tests out of the plan"])
    assert not (pytester.path / "c.txt").exists()


def test_escape():
    assert groups.escape("plain é") == "plain é"
    assert groups.escape("a\tb\\c\nd\re\x01\x7f") == "a\\tb\\\\c\\nd\\re\\x01\\x7f"


# -- end to end: collect, plan, run every shard, histmerge --plan ---------------

TREE = {
    "pytest.ini": INI,
    "test_a.py": "import pytest\n" + "".join(
        f"@pytest.mark.serial('db')\ndef test_db{i}(): pass\n" for i in range(3))
        + "".join(f"def test_free{i}(): pass\n" for i in range(4)),
    "test_b.py": "import pytest\n" + "".join(
        f"@pytest.mark.serial('db')\ndef test_db{i}(): pass\n" for i in range(2))
        + "".join(f"@pytest.mark.serial\ndef test_bare{i}(): pass\n" for i in range(3))
        + "".join(f"def test_free{i}(): pass\n" for i in range(4)),
    "test_c.py": "import pytest\n\n@pytest.mark.serial('cls')\nclass TestC:\n" + "".join(
        f"    def test_{i}(self): pass\n" for i in range(4))
        + "".join(f"def test_free{i}(): pass\n" for i in range(5)),
    "test_d.py": "".join(f"def test_free{i}(): pass\n" for i in range(6)),
}


def make_tree(pytester, files):
    write_tree(pytester.path, files)


class GroupPipeline:
    def __init__(self, hist, pytester, shards):
        self.hist = hist
        self.path = pytester.path
        self.total = shards

    def plan(self, *collect_args):
        from once import tool
        result = self.hist.run("--collect-only", "-q", "--hist-collect=collected.txt",
                               *collect_args, subprocess=True)
        assert result.ret == 0, result.stdout.str()
        made = tool("histplan", "--db", self.path / "none.db", "--shards", self.total,
                    "--tests", self.path / "collected.txt", "--out", self.path / "shards",
                    cwd=self.path)
        assert made.returncode == 0, made.stderr
        self.doc = __import__("json").loads((self.path / "shards" / "plan.json").read_text())
        self.listed = {}
        for k in range(1, self.total + 1):
            for line in (self.path / "shards" / f"shard-{k}.txt").read_text().splitlines():
                if line and not line.startswith("#"):
                    self.listed[line] = k
        return self.doc

    def set_test_list(self, value):
        set_test_list(self.path / "shards", value, self.doc)

    def run(self, k, *args, xdist=0):
        report = self.path / f"r{k}.jsonl"
        if report.exists():
            report.unlink()
        result = self.hist.run(f"--shard-file=shards/shard-{k}.txt", f"--hist-report={report}",
                               *args, subprocess=True, xdist=xdist)
        records = read_report(report) if report.exists() else []
        return result, [r for r in records if r["type"] == "test"]

    def run_all(self, *args, xdist=0):
        return {k: self.run(k, *args, xdist=xdist) for k in range(1, self.total + 1)}

    def check(self):
        from once import tool
        return tool("histmerge", "--db", self.path / "h.db", "--plan", self.path / "shards",
                    *[self.path / f"r{k}.jsonl" for k in range(1, self.total + 1)])


def group_shards(runs):
    """group key -> {shard}, and nodeid -> [shards it ran on]."""
    where, ran_on = {}, {}
    for k, (_, tests) in runs.items():
        for r in tests:
            ran_on.setdefault(r["nodeid"], []).append(k)
            if "group" in r:
                where.setdefault(r["group"], set()).add(k)
    return where, ran_on


def once_tool_missing():
    from once import TOOLS
    return "histplan" not in TOOLS or "histmerge" not in TOOLS


needs_tools = pytest.mark.skipif(once_tool_missing(), reason="the hist tools are not on PATH")


@needs_tools
@pytest.mark.parametrize("xdist", [0, 2])
def test_groups_stay_whole_and_every_test_runs_once(hist, pytester, xdist):
    make_tree(pytester, TREE)
    pipe = GroupPipeline(hist, pytester, 3)
    doc = pipe.plan("--hist-group-marker", "serial")
    assert doc["group_markers"] == ["serial"]
    keys = {g["key"]: g for g in doc["groups"]}
    assert sorted(keys) == ["serial", "serial:cls", "serial:db"]
    assert len(keys["serial:db"]["tests"]) == 5
    # plan.json and the shard files agree: a group's tests on its shard.
    for g in doc["groups"]:
        assert {pipe.listed[n] for n in g["tests"]} == {g["shard"]}
    runs = pipe.run_all(xdist=xdist)       # the markers come from the plan
    for k, (result, _) in runs.items():
        assert result.ret == 0, result.stdout.str()
    where, ran_on = group_shards(runs)
    assert where == {key: {g["shard"]} for key, g in keys.items()}
    assert sorted(ran_on) == sorted(pipe.listed)
    assert all(len(v) == 1 for v in ran_on.values())
    assert {n: v[0] for n, v in ran_on.items()} == pipe.listed
    if xdist:
        workers = {}
        for _, tests in runs.values():
            for r in tests:
                if "group" in r:
                    workers.setdefault(r["group"], set()).add(r["worker"])
        assert all(len(w) == 1 for w in workers.values()), workers
    checked = pipe.check()
    assert checked.returncode == 0, checked.stderr


@needs_tools
def test_a_new_test_goes_where_its_group_went(hist, pytester):
    make_tree(pytester, TREE)
    pipe = GroupPipeline(hist, pytester, 3)
    doc = pipe.plan("--hist-group-marker", "serial")
    db_shard = {g["key"]: g["shard"] for g in doc["groups"]}["serial:db"]
    new = "test_a.py::test_db_new"
    tree = dict(TREE)
    tree["test_a.py"] += "@pytest.mark.serial('db')\ndef test_db_new(): pass\n"
    make_tree(pytester, tree)
    # A plan from a collection is strict: the new test fails its group's shard, loudly.
    runs = pipe.run_all()
    failed = {k for k, (result, _) in runs.items() if result.ret != 0}
    assert db_shard in failed
    assert all(new in runs[k][0].stdout.str() for k in failed)
    assert all(tests == [] for k, (_, tests) in runs.items() if k in failed)
    # Lenient (a plan from history): it runs once, on its group's shard.
    pipe.set_test_list("history")
    runs = pipe.run_all()
    assert all(result.ret == 0 for result, _ in runs.values())
    where, ran_on = group_shards(runs)
    assert ran_on[new] == [db_shard]
    assert where["serial:db"] == {db_shard}
    assert all(len(v) == 1 for v in ran_on.values())
    checked = pipe.check()
    assert checked.returncode == 0, checked.stderr
    # histmerge --plan holds the run to the groups: moved in the plan, it is a split.
    other = db_shard % 3 + 1
    for g in pipe.doc["groups"]:
        if g["key"] == "serial:db":
            g["shard"] = other
    pipe.set_test_list("history")
    checked = pipe.check()
    assert checked.returncode == 1
    assert (f"{new} ran on shard {db_shard}/3, but its group serial:db runs on shard "
            f"{other}/3") in checked.stderr


@needs_tools
def test_a_new_group_file_no_group_shard_collects_is_loud(hist, pytester):
    make_tree(pytester, TREE)
    pipe = GroupPipeline(hist, pytester, 3)
    doc = pipe.plan("--hist-group-marker", "serial")
    db_shard = {g["key"]: g["shard"] for g in doc["groups"]}["serial:db"]
    pipe.set_test_list("history")
    # A new file whose path hashes to another shard than the group's: that
    # shard collects it and cannot hand the test over.
    from pytest_hist import nodeid as nid
    name = next(f"test_new{i}.py" for i in range(100)
                if nid.shard_of(f"test_new{i}.py", 3) != db_shard)
    (pytester.path / name).write_text("import pytest\n@pytest.mark.serial('db')\n"
                                      "def test_x(): pass\ndef test_y(): pass\n")
    runs = pipe.run_all()
    loud = [k for k, (result, _) in runs.items() if result.ret != 0]
    assert loud == [nid.shard_of(name, 3)]
    out = runs[loud[0]][0].stdout.str()
    assert f"{name}::test_x (group serial:db, on shard {db_shard})" in out
    # Collecting every file, the group's shard takes it.
    runs = pipe.run_all("--hist-prune-collection", "no")
    assert all(result.ret == 0 for result, _ in runs.values())
    where, ran_on = group_shards(runs)
    assert ran_on[f"{name}::test_x"] == [db_shard]
    assert len(ran_on[f"{name}::test_y"]) == 1


@needs_tools
def test_markers_must_match_the_plan(hist, pytester):
    make_tree(pytester, TREE)
    pipe = GroupPipeline(hist, pytester, 2)
    pipe.plan("--hist-group-marker", "serial")
    result, _ = pipe.run(1, "--hist-group-marker", "db")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: --hist-group-marker db: plan * was made with "
                                 "group markers serial*"])
    result, _ = pipe.run(1, "--hist-group-marker", "serial")
    assert result.ret == 0
    # A plan made without groups cannot promise them.
    from once import tool
    (pytester.path / "plain.txt").write_text("\n".join(pipe.listed) + "\n")
    made = tool("histplan", "--db", pytester.path / "none.db", "--shards", 2, "--tests",
                pytester.path / "plain.txt", "--out", pytester.path / "shards")
    assert made.returncode == 0, made.stderr
    assert "group_markers" not in (pytester.path / "shards" / "plan.json").read_text()
    result, _ = pipe.run(1, "--hist-group-marker", "serial")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: hist: --hist-group-marker serial: plan * was made "
                                 "without group markers*"])


def write_group_plan(pytester, groups_of, test_list="collection"):
    """One shard listing every test of groups_of ({key: [nodeid]}, key
    None for tests in no group), with plan.json's groups."""
    import json
    from histtest import PLAN_ID, write_plan
    lines = [n for tests in groups_of.values() for n in tests]
    write_plan(pytester.path / "shards", [lines])
    doc = {"plan_id": PLAN_ID, "shard_count": 1, "test_list": test_list,
           "group_markers": ["serial"],
           "groups": [{"key": key, "shard": 1, "tests": tests}
                      for key, tests in groups_of.items() if key is not None]}
    (pytester.path / "shards" / "plan.json").write_text(json.dumps(doc))


REGROUPED = INI, """
import pytest

@pytest.mark.serial("a")
def test_a1(): pass
@pytest.mark.serial("b")        # in group a when the plan was made
def test_a2(): pass
@pytest.mark.serial("b")
def test_b1(): pass
@pytest.mark.serial("b")
def test_b2(): pass
@pytest.mark.serial("b")        # in no group when the plan was made
def test_free(): pass
"""


@pytest.mark.parametrize("xdist", [0, 2])
def test_a_test_that_changed_group_on_its_own_shard_is_loud(hist, pytester, xdist):
    # Both groups on one shard: no shard is split, but the xdist scheduler
    # groups by the plan's lists and would run group b on two workers at
    # once (test_a2 with a1, test_free alone, b1 and b2 together).
    pytester.makeini(REGROUPED[0])
    pytester.makepyfile(test_g=REGROUPED[1])
    write_group_plan(pytester, {"serial:a": ["test_g.py::test_a1", "test_g.py::test_a2"],
                                "serial:b": ["test_g.py::test_b1", "test_g.py::test_b2"],
                                None: ["test_g.py::test_free"]})
    result = hist.run("--shard-file=shards/shard-1.txt", xdist=xdist)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    result.stdout.fnmatch_lines([
        "hist: shard 1/1: ERROR: 2 tests are in another group than plan * put them in *",
        "  test_g.py::test_a2 (group serial:b: planned in group serial:a on shard 1, "
        "group serial:b on shard 1)",
        "  test_g.py::test_free (group serial:b: planned in no group on shard 1, "
        "group serial:b on shard 1)",
        "hist: shard 1/1: ran nothing, exit status 4"])
    # A test that left its group constrains nothing.
    pytester.makepyfile(test_g=REGROUPED[1].replace('@pytest.mark.serial("b")        #', "#"))
    result = hist.run("--shard-file=shards/shard-1.txt", xdist=xdist)
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes()["passed"] == 5


def test_a_new_grouped_test_under_the_xdist_scheduler_is_loud(hist, pytester):
    # Lenient plan: a new test goes to its group's shard; but the xdist
    # controller knows a group's tests from plan.json only and would run
    # it beside its group on another worker.
    pytester.makeini(INI)
    pytester.makepyfile(test_g="""
        import pytest
        @pytest.mark.serial("a")
        def test_a1(): pass
        @pytest.mark.serial("a")
        def test_a2(): pass
        @pytest.mark.serial("a")
        def test_new(): pass
        def test_free(): pass
    """)
    write_group_plan(pytester, {"serial:a": ["test_g.py::test_a1", "test_g.py::test_a2"],
                                None: ["test_g.py::test_free"]}, test_list="history")
    result = hist.run("--shard-file=shards/shard-1.txt", xdist=2)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    result.stdout.fnmatch_lines([
        "hist: shard 1/1: ERROR: 1 tests new since plan * belong to a group, and under -n the "
        "hist scheduler keeps a group on one worker by the plan's list*",
        "  test_g.py::test_new (group serial:a)"])
    # Without -n, or with xdist's own scheduler, there is no such promise to break.
    for args, xdist in (((), 0), (("--hist-scheduler", "xdist"), 2)):
        result = hist.run("--shard-file=shards/shard-1.txt", *args, xdist=xdist)
        assert result.ret == 0, result.stdout.str()
        assert result.parseoutcomes()["passed"] == 4
