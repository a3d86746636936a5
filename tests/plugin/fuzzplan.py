"""fuzzplan.py - what the plugin's plan fuzzers (test_fuzz_plan.py,
test_fuzz_plan_props.py) require of a mutated plan: reading it as
--shard-file does gives a plan whose owner rule answers for any nodeid,
or a PlanError with a message (the plugin's pytest.UsageError); never
another exception, and never more than a moment."""

import signal

import pytest

from pytest_hist.plan import PlanError, load_plan, read_plan_json

LIMIT = 5           # seconds
NODES = ("tests/test_a.py::test_one", "tests/test_basic.py::test_a", "new.py::t[a::b]", "::doc.txt",
         "x@y", "")


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def read_or_refuse(shard, describe):
    """Read the plan of shard file `shard` (its siblings and plan.json);
    fail the test, with describe() (the inputs), on anything but a
    usable plan or a PlanError."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT)
    try:
        plan, _ = load_plan(shard)
        test_list, groups = read_plan_json(shard, plan)
        assert test_list in ("collection", "history")
        assert groups is None or all(1 <= k <= plan.total for k in groups.shard_of.values())
        for node in NODES:
            k, _ = plan.owner(node)
            assert 1 <= k <= plan.total
    except PlanError as e:
        assert str(e)
    except Timeout:
        pytest.fail(f"reading took over {LIMIT} s: {describe()}")
    except Exception as e:  # noqa: BLE001 - the point of the fuzzers
        pytest.fail(f"{type(e).__name__}: {e}: {describe()}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
