"""The hist xdist scheduler (sched.py) under pytest -n: every test once,
longest first, xdist_group units whole, crashed workers, fallbacks. Which
worker ran what comes from --hist-report, not from timing."""

from collections import Counter, defaultdict

import pytest

from histtest import ran, read_report, write_plan
from pytest_hist.sched import group_of

SUITE = """
    import os
    import pytest

    @pytest.mark.parametrize("i", range(9))
    def test_p(i): pass

    class TestC:
        def test_m(self): pass
        def test_n(self): pass

    def test_new(): pass
"""
# Two shards; test_new is in no shard file (new since the plan).
PLAN = [
    ["test_s.py::test_p[3]", "test_s.py::TestC::test_m", "test_s.py::test_p[0]",
     "test_s.py::test_p[5]", "test_s.py::test_p[8]", "test_s.py::test_p[1]"],
    ["test_s.py::test_p[7]", "test_s.py::TestC::test_n", "test_s.py::test_p[2]",
     "test_s.py::test_p[4]", "test_s.py::test_p[6]"],
]


def records_of(report):
    return [r for r in read_report(report) if r["type"] == "test"]


def run_scheduled(hist, *args, xdist):
    """Run with the hist scheduler; check it was the one used."""
    result = hist.run(*args, "-v", xdist=xdist)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["scheduling tests via HistScheduling"])
    return result


@pytest.mark.parametrize("workers", [2, 3])
def test_every_test_runs_once_across_shards(hist, pytester, workers):
    pytester.makepyfile(test_s=SUITE)
    write_plan(pytester.path / "shards", PLAN)
    seen = Counter()
    for k in (1, 2):
        report = pytester.path / f"r{k}.jsonl"
        run_scheduled(hist, f"--shard-file=shards/shard-{k}.txt", f"--hist-report={report}",
                      xdist=workers)
        records = records_of(report)
        seen.update(r["nodeid"] for r in records)
        assert len({r["worker"] for r in records}) == workers
    collected = [f"test_s.py::test_p[{i}]" for i in range(9)] + [
        "test_s.py::TestC::test_m", "test_s.py::TestC::test_n", "test_s.py::test_new"]
    assert seen == Counter(collected)


def test_longest_units_start_first(hist, pytester):
    pytester.makepyfile(test_s=SUITE)
    write_plan(pytester.path / "shards", PLAN)
    report = pytester.path / "r.jsonl"
    run_scheduled(hist, "--shard-file=shards/shard-1.txt", f"--hist-report={report}", xdist=2)
    first = {}
    for r in sorted(records_of(report), key=lambda r: r["start"]):
        first.setdefault(r["worker"], r["nodeid"])
    # Collection order would start test_p[0] and test_p[1]; the plan's
    # two longest start at once, one on each worker.
    assert sorted(first.values()) == sorted(PLAN[0][:2])


def test_behind_a_long_unit_comes_a_short_one(hist, pytester):
    pytester.makepyfile(test_s=SUITE)
    write_plan(pytester.path / "shards", PLAN)
    report = pytester.path / "r.jsonl"
    run_scheduled(hist, "--shard-file=shards/shard-1.txt", f"--hist-report={report}", xdist=2)
    by_worker = defaultdict(list)
    for r in sorted(records_of(report), key=lambda r: r["start"]):
        by_worker[r["worker"]].append(r["nodeid"])
    assert len(by_worker) == 2
    # Each worker's second test was sent with its first, before either
    # finished: the two shortest units of the shard, whatever the timing.
    # (test_new, in no shard file, ranks last, if the hash gave it here.)
    here = {n for w in by_worker.values() for n in w}
    ranked = PLAN[0] + [n for n in ["test_s.py::test_new"] if n in here]
    assert sorted(w[1] for w in by_worker.values()) == sorted(ranked[-2:])


GROUPED = """
    import pytest

    @pytest.mark.xdist_group("db")
    @pytest.mark.parametrize("i", range(4))
    def test_db(i): pass

    @pytest.mark.xdist_group("net")
    @pytest.mark.parametrize("i", range(3))
    def test_net(i): pass

    @pytest.mark.parametrize("i", range(6))
    def test_free(i): pass
"""


@pytest.mark.parametrize("workers", [2, 3])
def test_groups_stay_on_one_worker(hist, pytester, workers):
    pytester.makepyfile(test_g=GROUPED)
    lines = ([f"test_g.py::test_free[{i}]" for i in range(6)]
             + [f"test_g.py::test_net[{i}]" for i in range(3)]
             + [f"test_g.py::test_db[{i}]" for i in range(4)])
    write_plan(pytester.path / "shards", [lines])
    report = pytester.path / "r.jsonl"
    run_scheduled(hist, "--shard-file=shards/shard-1.txt", "--dist", "loadgroup",
                  f"--hist-report={report}", xdist=workers)
    records = records_of(report)
    assert len(records) == 13 and len({r["nodeid"] for r in records}) == 13
    workers_of = defaultdict(set)
    for r in records:
        # The report names tests as collected, without xdist's "@group".
        assert "@" not in r["nodeid"]
        group = r["nodeid"].split("::")[1].split("[")[0][len("test_"):]
        if group != "free":
            workers_of[group].add(r["worker"])
    assert {g: len(w) for g, w in workers_of.items()} == {"db": 1, "net": 1}


CRASHING = """
    import os
    import pytest

    @pytest.mark.xdist_group("g")
    def test_crash(): os._exit(3)

    @pytest.mark.xdist_group("g")
    @pytest.mark.parametrize("i", range(3))
    def test_after(i): pass

    @pytest.mark.parametrize("i", range(8))
    def test_t(i): pass
"""


@pytest.mark.parametrize("dist", ["load", "loadgroup"])
def test_a_crashed_workers_tests_still_run(hist, pytester, dist):
    pytester.makepyfile(test_c=CRASHING)
    # The crashing test goes first, so its worker holds more tests (the
    # next one under load, the rest of its group under loadgroup).
    lines = (["test_c.py::test_crash"] + [f"test_c.py::test_after[{i}]" for i in range(3)]
             + [f"test_c.py::test_t[{i}]" for i in range(8)])
    write_plan(pytester.path / "shards", [lines])
    result = hist.run("--shard-file=shards/shard-1.txt", "--dist", dist, "-v", xdist=2)
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["scheduling tests via HistScheduling",
                                 "*worker*crashed while running*test_crash*"])
    got = Counter(n.split("@")[0] for n in ran(result))
    assert got == Counter(lines), result.stdout.str()
    assert result.parseoutcomes() == {"passed": 11, "failed": 1}


def test_scheduler_off_uses_xdist(hist, pytester):
    pytester.makepyfile(test_s=SUITE)
    write_plan(pytester.path / "shards", PLAN)
    result = hist.run("--shard-file=shards/shard-1.txt", "--hist-scheduler", "xdist", "-v",
                      xdist=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["scheduling tests via LoadScheduling"])
    result.stdout.no_fnmatch_line("*PytestConfigWarning*")


@pytest.mark.parametrize("args, message", [
    (["--shard-file=shards/shard-1.txt", "--dist", "loadfile"],
     "*hist: --dist loadfile: tests are scheduled by xdist's own loadfile scheduler*"),
    (["--hist-scheduler", "longest"],
     "*hist: --hist-scheduler longest needs --shard-file*"),
])
def test_falls_back_to_xdist_with_a_warning(hist, pytester, args, message):
    pytester.makepyfile(test_s=SUITE)
    write_plan(pytester.path / "shards", PLAN)
    result = hist.run(*args, "-v", xdist=2)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([message])
    result.stdout.no_fnmatch_line("*scheduling tests via HistScheduling*")


def test_no_warning_without_a_shard_file(hist, pytester):
    pytester.makepyfile(test_s=SUITE)
    result = hist.run("-v", xdist=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["scheduling tests via LoadScheduling"])
    result.stdout.no_fnmatch_line("*hist:*")


def test_group_of():
    assert group_of("t.py::test_x@g1") == "g1"
    assert group_of("t.py::test_y[a@b]") is None
    assert group_of("t.py::test_y[a@b]@g2") == "g2"
    assert group_of("t.py::test_z") is None


def test_tests_no_worker_could_take_are_named(hist, pytester):
    # gw0 crashes holding test_z (the shortest, sent behind the longest);
    # gw1 has finished by then and restarts are off: test_z cannot run,
    # and the run says so rather than leaving it out of the counts.
    pytester.makepyfile(test_c="""
        import os, time
        def test_crash(): time.sleep(2); os._exit(3)
        def test_a(): pass
        def test_b(): pass
        def test_z(): pass
    """)
    write_plan(pytester.path / "shards", [[f"test_c.py::test_{t}" for t in "crash a b z".split()]])
    result = hist.run("--shard-file=shards/shard-1.txt", "--max-worker-restart", "0", xdist=2)
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["hist: 1 tests of this shard did not run: a crashed worker*",
                                 "  test_c.py::test_z"])
    assert sorted(ran(result)) == ["test_c.py::test_a", "test_c.py::test_b",
                                   "test_c.py::test_crash"]
    result = hist.run("--shard-file=shards/shard-1.txt", xdist=2)
    assert sorted(ran(result)) == ["test_c.py::test_a", "test_c.py::test_b",
                                   "test_c.py::test_crash", "test_c.py::test_z"]
    result.stdout.no_fnmatch_line("*did not run*")


class FakeNode:
    """The part of xdist's WorkerController that the scheduler uses."""

    def __init__(self, name):
        self.gateway = type("Gateway", (), {"id": name})()
        self.sent = []
        self.shutting_down = False

    def send_runtest_some(self, indices):
        self.sent += indices

    def shutdown(self):
        self.shutting_down = True

    def __repr__(self):
        return self.gateway.id


def fake_scheduler(collection, nodes):
    from pytest_hist.sched import HistScheduling
    sched = HistScheduling(None, None, lambda nodeid, index: (0, index, index), len(nodes))
    for node in nodes:
        sched.add_node(node)
        sched.add_node_collection(node, collection)
    sched.schedule()
    return sched


def test_a_replacement_worker_that_collected_other_tests_gets_none():
    # gw0 crashes; gw2, started in its place, collected other tests (the
    # crash changed what collection sees): its indices would name other
    # tests, so it is shut down with none, and the crashed worker's tests
    # go to gw1 instead.
    collection = [f"t.py::test_{i}" for i in range(8)]
    gw0, gw1, gw2 = FakeNode("gw0"), FakeNode("gw1"), FakeNode("gw2")
    sched = fake_scheduler(collection, [gw0, gw1])
    held = list(sched.node2pending[gw0])
    assert len(held) == 2
    sched.add_node(gw2)
    assert sched.remove_node(gw0) == collection[held[0]]
    sched.add_node_collection(gw2, collection[:7] + ["t.py::test_other"])
    sched.schedule()
    assert gw2.sent == [] and gw2.shutting_down
    while sched.node2pending[gw1]:
        sched.mark_test_complete(gw1, sched.node2pending[gw1][0])
    assert sorted(gw1.sent) == sorted(set(range(8)) - {held[0]})
    assert sched.unrun() == []


def test_a_worker_still_collecting_is_sent_nothing_yet():
    collection = [f"t.py::test_{i}" for i in range(6)]
    gw0, gw1, gw2 = FakeNode("gw0"), FakeNode("gw1"), FakeNode("gw2")
    sched = fake_scheduler(collection, [gw0, gw1])
    sched.add_node(gw2)                   # started, not collected yet
    sched.remove_node(gw0)
    assert gw2.sent == [] and not gw2.shutting_down
    sched.add_node_collection(gw2, collection)
    sched.schedule()
    assert gw2.sent
    assert not set(gw2.sent) & set(gw1.sent)
