"""--hist-report: one record per finished attempt and one session record."""

import gzip
import os
import socket
import time

import pytest

from histtest import PLAN_ID, read_report, write_plan
from pytest_hist.items import NodeidKeeper
from pytest_hist.report import attempt_outcome

OUTCOMES = """
    import pytest

    @pytest.fixture
    def broken_setup():
        raise RuntimeError("setup")

    @pytest.fixture
    def broken_teardown():
        yield
        raise RuntimeError("teardown")

    def test_passed(): pass
    def test_failed(): assert False
    def test_error_in_setup(broken_setup): pass
    def test_error_in_teardown(broken_teardown): pass
    def test_failed_and_teardown_error(broken_teardown): assert False
    def test_skipped(): pytest.skip("no")
    @pytest.mark.skip(reason="marked")
    def test_skipped_by_mark(): pass
    @pytest.mark.xfail
    def test_xfailed(): assert False
    @pytest.mark.xfail
    def test_xpassed(): pass
    @pytest.mark.xfail(strict=True)
    def test_strict_xpass(): pass
    @pytest.mark.xfail(run=False)
    def test_xfail_not_run(): pass
    def test_imperative_xfail(): pytest.xfail("later")
    def test_ünïcødé_name(): pass
"""
EXPECTED = {
    "test_passed": "passed", "test_failed": "failed",
    "test_error_in_setup": "error", "test_error_in_teardown": "error",
    "test_failed_and_teardown_error": "error", "test_skipped": "skipped",
    "test_skipped_by_mark": "skipped", "test_xfailed": "xfailed",
    "test_xpassed": "xpassed", "test_strict_xpass": "failed",
    "test_xfail_not_run": "xfailed", "test_imperative_xfail": "xfailed",
    "test_ünïcødé_name": "passed",
}


def only_tests(records):
    return [r for r in records if r["type"] == "test"]


@pytest.mark.parametrize("xdist", [0, 2])
def test_outcomes(hist, pytester, xdist):
    pytester.makepyfile(test_out=OUTCOMES)
    hist.run("--hist-report", "r.jsonl.gz", xdist=xdist)
    records = read_report(pytester.path / "r.jsonl.gz")
    got = {r["nodeid"].split("::")[1]: r["outcome"] for r in only_tests(records)}
    assert got == EXPECTED
    assert len(only_tests(records)) == len(EXPECTED)
    assert records[-1]["type"] == "session"
    assert records[-1]["tests"] == len(EXPECTED)
    assert records[-1]["workers"] == xdist
    workers = {r["worker"] for r in only_tests(records)}
    assert workers == ({"master"} if not xdist else {"gw0", "gw1"})


def test_record_fields_and_precision(hist, pytester):
    pytester.makepyfile(test_t="""
        import time, pytest
        @pytest.fixture
        def slow_setup():
            time.sleep(0.0123)
            yield
            time.sleep(0.0071)
        def test_timed(slow_setup):
            time.sleep(0.0345)
    """)
    before = time.time()
    hist.run("--hist-report", "r.jsonl.gz")
    after = time.time()
    test, session = read_report(pytester.path / "r.jsonl.gz")
    assert list(test) == ["hist", "type", "nodeid", "outcome", "attempt", "setup", "call",
                          "teardown", "worker", "start"]
    assert test["hist"] == 1 and test["nodeid"] == "test_t.py::test_timed" and test["attempt"] == 1
    assert 0.0123 <= test["setup"] < 0.2 and 0.0345 <= test["call"] < 0.3
    assert 0.0071 <= test["teardown"] < 0.2
    # Full precision: not rounded to the millisecond as JUnit XML does.
    assert any(round(test[p], 6) != test[p] for p in ("setup", "call", "teardown"))
    assert before <= test["start"] <= after
    assert list(session) == ["hist", "type", "start", "collect", "wall", "startup", "workers",
                             "tests", "interrupted", "plan_id", "shard", "shards"]
    # In-process (pytester): the process's age is not this session's cost.
    assert session["startup"] is None
    assert session["interrupted"] is False
    assert before <= session["start"] <= test["start"]
    assert 0 < session["collect"] < session["wall"] <= after - before
    assert session["wall"] >= test["setup"] + test["call"] + test["teardown"]
    assert (session["plan_id"], session["shard"], session["shards"]) == (None, None, None)
    assert session["workers"] == 0 and session["tests"] == 1


def test_session_wall_counts_the_process_start(hist, pytester, monkeypatch):
    # A CI job pays the interpreter's start and the imports before any hook:
    # a sitecustomize that sleeps 0.3 s stands for a heavy start-up.
    pytester.makepyfile(test_w="def test_a(): pass")
    (pytester.path / "slowstart").mkdir()
    (pytester.path / "slowstart" / "sitecustomize.py").write_text("import time\ntime.sleep(0.3)\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(pytester.path / "slowstart"), os.environ.get("PYTHONPATH", "")]))
    hist.run("--hist-report", "r.jsonl.gz", subprocess=True)
    _, session = read_report(pytester.path / "r.jsonl.gz")
    assert 0.29 <= session["startup"] < 30
    assert session["wall"] >= session["startup"] + session["collect"]


@pytest.mark.parametrize("xdist", [0, 2])
def test_session_names_the_shard(hist, pytester, xdist):
    pytester.makepyfile(test_s="def test_a(): pass\ndef test_b(): pass\ndef test_c(): pass")
    write_plan(pytester.path / "shards", [["test_s.py::test_a"], ["test_s.py::test_b", "test_s.py::test_c"]])
    hist.run("--shard-file", "shards/shard-2.txt", "--hist-report", "r.jsonl.gz", xdist=xdist)
    records = read_report(pytester.path / "r.jsonl.gz")
    assert sorted(r["nodeid"] for r in only_tests(records)) == ["test_s.py::test_b", "test_s.py::test_c"]
    session = records[-1]
    assert (session["plan_id"], session["shard"], session["shards"]) == (PLAN_ID, 2, 2)
    assert session["tests"] == 2 and session["workers"] == xdist
    assert session["collect"] > 0


def _localhost_resolves():
    try:
        socket.getaddrinfo("localhost", None)
    except OSError:
        return False
    return True


@pytest.mark.parametrize("xdist", [0, 2])
def test_reruns_are_attempts(hist, pytester, monkeypatch, xdist):
    if xdist and not _localhost_resolves():
        pytest.skip("pytest-rerunfailures under xdist connects to 'localhost', which does not resolve here")
    pytester.makepyfile(test_r="""
        import os, pytest
        def test_flaky():
            marker = os.path.join(os.environ["FLAKY_DIR"], "ran")
            if not os.path.exists(marker):
                open(marker, "w").close()
                assert False, "first attempt fails"
        def test_broken(): assert False
        def test_fine(): pass
    """)
    monkeypatch.setenv("FLAKY_DIR", str(pytester.path))
    hist.run("--reruns", "2", "--hist-report", "r.jsonl.gz", xdist=xdist, reruns=True)
    records = only_tests(read_report(pytester.path / "r.jsonl.gz"))
    got = sorted((r["nodeid"].split("::")[1], r["attempt"], r["outcome"]) for r in records)
    assert got == [("test_broken", 1, "rerun"), ("test_broken", 2, "rerun"), ("test_broken", 3, "failed"),
                   ("test_fine", 1, "passed"),
                   ("test_flaky", 1, "rerun"), ("test_flaky", 2, "passed")]
    flaky = [r for r in records if r["nodeid"].endswith("test_flaky")]
    # A rerun attempt has no teardown report from pytest-rerunfailures.
    assert flaky[0]["teardown"] == 0.0 and flaky[0]["call"] > 0
    assert flaky[1]["start"] >= flaky[0]["start"]


def test_plain_jsonl_when_not_gz(hist, pytester):
    pytester.makepyfile(test_p="def test_a(): pass")
    hist.run("--hist-report", "r.jsonl")
    raw = (pytester.path / "r.jsonl").read_bytes()
    assert raw.startswith(b'{"hist": 1, "type": "test"')
    assert len(read_report(pytester.path / "r.jsonl")) == 2


def test_gzip_header_holds_no_name_or_time(hist, pytester):
    pytester.makepyfile(test_p="def test_a(): pass")
    hist.run("--hist-report", "r.jsonl.gz")
    raw = (pytester.path / "r.jsonl.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[3] & 0x08 == 0          # FNAME flag clear
    assert raw[4:8] == b"\0\0\0\0"     # MTIME zero
    assert gzip.decompress(raw).count(b"\n") == 2


def test_written_atomically(hist, pytester):
    pytester.makepyfile(test_a="""
        import os
        def test_no_report_yet():
            assert not os.path.exists("out/r.jsonl.gz")
            leftovers = [n for n in os.listdir("out") if n.startswith(".hist-report-")]
            assert len(leftovers) == 1     # the temporary file beside it
    """)
    (pytester.path / "out").mkdir()
    result = hist.run("--hist-report", "out/r.jsonl.gz")
    assert result.ret == 0
    assert os.listdir(pytester.path / "out") == ["r.jsonl.gz"]
    umask = os.umask(0)
    os.umask(umask)
    # mkstemp's 0600 is widened to what any new file gets.
    assert os.stat(pytester.path / "out" / "r.jsonl.gz").st_mode & 0o777 == 0o666 & ~umask


def test_no_report_when_the_session_cannot_start(hist, pytester):
    pytester.makepyfile(test_a="def test_a(): pass")
    result = hist.run("--hist-report", "r.jsonl.gz", "--shard-file", "nowhere/shard-1.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [n for n in os.listdir(pytester.path) if "hist" in n or n.startswith("r.")] == []


def test_report_directory_must_exist(hist, pytester):
    pytester.makepyfile(test_a="def test_a(): pass")
    result = hist.run("--hist-report", "no/such/dir/r.jsonl.gz")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --hist-report no/such/dir/r.jsonl.gz: cannot create a file in *"])


@pytest.mark.parametrize("phases,outcome", [
    ([("setup", "passed", False), ("call", "passed", False), ("teardown", "passed", False)], "passed"),
    ([("setup", "failed", False), ("teardown", "passed", False)], "error"),
    ([("setup", "skipped", True), ("teardown", "passed", False)], "xfailed"),
    ([("setup", "passed", False), ("call", "failed", False), ("teardown", "failed", False)], "error"),
    ([("setup", "passed", False), ("call", "skipped", False), ("teardown", "failed", False)], "error"),
    ([("setup", "passed", False), ("call", "rerun", False)], "rerun"),
    ([("???", "failed", False)], "failed"),
])
def test_attempt_outcome(phases, outcome):
    assert attempt_outcome(phases) == outcome


def test_makereport_wrapper_is_the_style_pluggy_takes():
    # pytest 8 documents only new-style wrappers (wrapper=True, pluggy 1.1);
    # Debian's pytest 7.2 has pluggy 1.0, which knows only hookwrapper=True.
    try:
        pytest.hookimpl(wrapper=True)
        new_style = True
    except TypeError:
        new_style = False
    opts = NodeidKeeper.pytest_runtest_makereport.pytest_impl
    assert (bool(opts.get("wrapper")), bool(opts.get("hookwrapper"))) == (new_style, not new_style)
