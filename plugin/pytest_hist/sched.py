"""sched.py - history-aware pytest-xdist scheduling of one shard.

Owns: whether the hist scheduler runs a shard under `pytest -n W` (and the
warning when it cannot), and HistScheduling, the scheduler xdist gets from
pytest_xdist_make_scheduler: each worker that is about to run out of work
gets the longest unit left, so the workers finish together.
Not here: which tests the shard runs (shard.py), the plan (plan.py).

The plan carries no per-test seconds (plan.json has per-shard totals; a
shard file lists its tests longest first), so "longest" is the shard file's
order: a unit ranks by its first listed test, and tests new since the plan,
with no history, rank last in collection order.

An xdist worker starts a test only once it holds the next one (pytest needs
`nextitem` to tear fixtures down), so each worker holds its running test and
one more, and what it runs next is decided when it starts its last held
unit, not when it finishes it. So a worker alternates between the two ends
of the queue: behind a long unit it is sent the shortest unit left (a
decision made early costs little when that unit is short), and behind a
short unit the longest (decided when the worker is nearly free, as longest
processing time first decides).
"""

import bisect
from collections import deque

import pytest

from . import nodeid as nid
from .shard import WORKER_FLAG

# --dist modes the hist scheduler takes over; other modes mean the user
# chose xdist's grouping (loadscope, loadfile), every test on every worker
# (each) or xdist's own balancing (worksteal).
SCHEDULED_DISTS = ("load", "loadgroup")
_HOLD = 2          # tests a worker holds: the running one and the next


def add_options(group, add):
    add(group, "--hist-scheduler", env="HIST_SCHEDULER", default="longest",
        choices=("longest", "xdist"),
        help="under pytest-xdist -n with --shard-file: longest (default) "
             "sends each worker the longest test or xdist_group left, in "
             "the shard file's order; xdist keeps xdist's own --dist "
             "scheduler.")


def _is_xdist_worker(config):
    return hasattr(config, "workerinput")


def configure(config, selector, explicit):
    """Register the scheduler on the xdist controller when it applies; warn
    when it was asked for (explicit, or a shard file given) and cannot.
    selector is the ShardSelector or None; explicit says whether
    --hist-scheduler came from the command line or the environment."""
    if _is_xdist_worker(config) or config.getoption("hist_scheduler") != "longest":
        return
    dist = config.getoption("dist", "no")
    if dist == "no" or config.getoption("collectonly"):
        return          # no xdist session: nothing to schedule
    if selector is None:
        if explicit:
            _warn(config, "--hist-scheduler longest needs --shard-file: the "
                          "shard file's order is what it schedules by")
        return
    if dist not in SCHEDULED_DISTS:
        _warn(config, f"--dist {dist}: tests are scheduled by xdist's own {dist} "
                      f"scheduler; the history-aware scheduler works with --dist "
                      f"load (the default of -n) and loadgroup "
                      f"(--hist-scheduler xdist silences this)")
        return
    config.pluginmanager.register(XdistScheduler(selector), "hist-xdist-scheduler")


def _warn(config, message):
    config.issue_config_time_warning(
        pytest.PytestConfigWarning(f"hist: {message}; using xdist's scheduler"),
        stacklevel=2)


def _expected_workers(config):
    """How many workers xdist starts, by xdist's own reading of -n/--tx
    (the function was renamed in xdist 3.6)."""
    try:
        from xdist.workermanage import parse_tx_spec_config as parse
    except ImportError:
        from xdist.workermanage import parse_spec_config as parse
    return len(parse(config))


class XdistScheduler:
    """The plugin object that hands xdist a HistScheduling (controller only)."""

    def __init__(self, selector):
        self.selector = selector
        self.sched = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        node.workerinput[WORKER_FLAG] = True

    def pytest_report_header(self, config):
        return ("hist: xdist scheduler: longest test or xdist_group first, "
                "in the shard file's order")

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_xdist_make_scheduler(self, config, log):
        self.sched = HistScheduling(config, log, shard_rank(self.selector),
                                    _expected_workers(config), shard_groups(self.selector))
        return self.sched

    def pytest_terminal_summary(self, terminalreporter):
        left = self.sched.unrun() if self.sched is not None else []
        if not left:
            return
        tr = terminalreporter
        tr.write_line(f"hist: {len(left)} tests of this shard did not run: a crashed "
                      f"worker held them and no worker was left to take them over "
                      f"(see --max-worker-restart), or the run stopped early:", red=True)
        for nodeid in left:
            tr.write_line(f"  {nodeid}")

    def pytest_sessionfinish(self, session):
        if self.sched is not None and self.sched.unrun() \
                and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def shard_rank(selector):
    """rank(nodeid, index) -> a sort key, smallest = longest: the position
    of the nodeid's plan line in this shard's file, then tests with no line
    (new since the plan) in collection order."""
    position = {line: i for i, line in enumerate(selector.shard.lines)}
    owner = selector.plan.owner

    def rank(nodeid, index):
        # The controller sees xdist's nodeids ("@group" added); the plan
        # lists them as collected.
        line = owner(nodeid)[1]
        if line is None:
            base = nid.strip_group(nodeid)
            if base != nodeid:
                line = owner(base)[1]
        pos = position.get(line) if line is not None else None
        return (0, pos, index) if pos is not None else (1, index, index)

    return rank


def shard_groups(selector):
    """nodeid -> the hist group key (--hist-group-marker) the plan lists
    it in, or None. The controller collects nothing, so the plan's
    members are what it knows; a test new since the plan is in none."""
    plan = selector.plan
    members = plan.groups.members if plan.groups is not None else {}
    if not members:
        return lambda nodeid: None
    owner = plan.owner

    def hist_group(nodeid):
        key = members.get(nodeid)
        if key is None:
            line = owner(nodeid)[1] or owner(nid.strip_group(nodeid))[1]
            key = members.get(line)
        return key

    return hist_group


def group_of(nodeid):
    """The xdist_group name that --dist loadgroup appends as "@name", or
    None."""
    base = nid.strip_group(nodeid)
    return nodeid[len(base) + 1:] if len(base) < len(nodeid) else None


class HistScheduling:
    """xdist's scheduler protocol (the methods DSession calls, as in
    xdist.scheduler.LoadScheduling), longest unit first.

    A unit is a test, or all tests of one xdist_group (their nodeids end in
    "@name" under --dist loadgroup); a unit is sent whole to one worker.
    The queue holds (rank, indices) sorted by rank: the unit with the
    longest first test at the left, the shortest at the right. A crashed worker's tests after the one that crashed go
    back to the queue, still as units, at their rank."""

    def __init__(self, config, log, rank, numnodes, hist_group=None):
        self.config = config
        self.hist_group = hist_group or (lambda nodeid: None)
        self.log = log.histsched if log is not None else (lambda *args: None)
        self.rank = rank
        self.numnodes = numnodes
        self.node2collection = {}
        self.node2pending = {}      # node -> indices sent, in run order
        self.collection = None      # the one collection, once all agree
        self.queue = deque()        # (rank, [indices]) not yet sent, by rank
        self.sent_long = {}         # node -> its last unit came from the left
        self.unit_of = []           # index -> its unit's rank
        self.refused = set()        # late workers that collected other tests
        self._front = 0             # for mark_test_pending

    # -- state DSession asks about ---------------------------------------
    @property
    def nodes(self):
        return list(self.node2pending)

    @property
    def collection_is_completed(self):
        return len(self.node2collection) >= self.numnodes

    @property
    def tests_finished(self):
        # A worker's last test runs once it is told to shut down, so one
        # pending test still counts as finished here, as in xdist's own.
        if not self.collection_is_completed or self.queue:
            return False
        return all(len(p) < _HOLD for p in self.node2pending.values())

    @property
    def has_pending(self):
        return bool(self.queue) or any(self.node2pending.values())

    # -- workers come and go ----------------------------------------------
    def add_node(self, node):
        assert node not in self.node2pending
        self.node2pending[node] = []

    def add_node_collection(self, node, collection):
        assert node in self.node2pending
        if self.collection_is_completed:
            # A worker started later (in place of a crashed one) must have
            # collected the same tests to be given any.
            assert self.collection is not None
            if list(collection) != self.collection:
                # Its indices would name other tests: it gets none.
                self.log(self._collection_diff(self.collection, collection, node))
                self.refused.add(node)
                return
        self.node2collection[node] = list(collection)

    def remove_node(self, node):
        """Drop a finished or crashed worker; returns the nodeid it crashed
        in, or None. Its tests after that one go back to the queue."""
        pending = self.node2pending.pop(node)
        if not pending:
            return None
        crashed = self.collection[pending[0]]
        units = {}
        for index in pending[1:]:
            units.setdefault(self.unit_of[index], []).append(index)
        self._requeue(units.items())
        for other in self.nodes:
            self._fill(other)
        return crashed

    # -- tests ------------------------------------------------------------
    def schedule(self):
        assert self.collection_is_completed
        if self.collection is not None:
            # A worker joined after the start (it replaces a crashed one).
            for node in self.nodes:
                self._fill(node)
            return
        if not self._same_collections():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = next(iter(self.node2collection.values()))
        self._build_units()
        if not self.collection:
            return
        # One unit to each worker, then a second, so the longest units start
        # at once on different workers, each with a short one behind it.
        for _ in range(_HOLD):
            for node in self.nodes:
                if self.queue and len(self.node2pending[node]) < _HOLD:
                    self._send(node)
        for node in self.nodes:
            self._fill(node)

    def mark_test_complete(self, node, item_index, duration=0):
        self.node2pending[node].remove(item_index)
        self._fill(node)

    def mark_test_pending(self, item):
        """Run item again (a plugin that reruns a crashed test asks so),
        before anything else."""
        self._front -= 1
        index = self.collection.index(item)
        self.queue.appendleft(((-1, self._front, index), [index]))
        for node in self.nodes:
            self._fill(node)

    def remove_pending_tests_from_node(self, node, indices):
        raise NotImplementedError("only --dist worksteal steals tests")

    # -- inside -------------------------------------------------------------
    def _unit_names(self):
        """index -> its unit's name: tests sharing an xdist_group or a hist
        group are one unit, and a test in both joins the two (union-find)."""
        parent = {}

        def find(a):
            while parent.setdefault(a, a) != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        firsts = []
        for nodeid in self.collection:
            group, key = group_of(nodeid), self.hist_group(nodeid)
            names = [("test", nodeid)]
            if group is not None:
                names.append(("group", group))
            if key is not None:
                names.append(("hist", key))
            root = find(names[-1])
            for other in names[1:-1]:
                parent[find(other)] = root
            firsts.append(names[1] if len(names) > 1 else names[0])
        return [find(name) for name in firsts]

    def _build_units(self):
        ranks = {}          # unit name -> rank of its first listed test
        members = {}        # unit name -> indices in collection order
        names = []
        unit_names = self._unit_names()
        for index, nodeid in enumerate(self.collection):
            name = unit_names[index]
            rank = self.rank(nodeid, index)
            if name in members:
                members[name].append(index)
                ranks[name] = min(ranks[name], rank)
            else:
                members[name] = [index]
                ranks[name] = rank
            names.append(name)
        self.unit_of = [ranks[name] for name in names]
        self.queue = deque(sorted((ranks[name], indices)
                                  for name, indices in members.items()))

    def _requeue(self, units):
        """Put (rank, indices) units back at their place (a crash: rare,
        so rebuilding the queue is cheap enough)."""
        queue = list(self.queue)
        for unit in units:
            bisect.insort(queue, unit)
        self.queue = deque(queue)

    def _send(self, node):
        # An idle worker, or one whose last unit was short, takes the
        # longest; one whose last unit was long takes the shortest.
        held = self.node2pending[node]
        longest = not held or not self.sent_long.get(node, False)
        _, indices = self.queue.popleft() if longest else self.queue.pop()
        self.sent_long[node] = longest
        held.extend(indices)
        node.send_runtest_some(indices)

    def _fill(self, node):
        if node.shutting_down:
            return
        if node not in self.node2collection:
            # Still collecting (it is sent work once its collection is
            # known to match), or refused.
            if node in self.refused:
                node.shutdown()
            return
        held = self.node2pending[node]
        while self.queue and len(held) < _HOLD:
            self._send(node)
        # Shutting down is what lets a worker run its last held test; until
        # it is down to that one it stays open, to take over the tests of a
        # worker that crashes meanwhile.
        if not self.queue and len(held) < _HOLD:
            node.shutdown()

    def unrun(self):
        """Nodeids still queued: a crashed worker's tests that no worker was
        left to take (xdist's --max-worker-restart), or an early stop."""
        if self.collection is None:
            return []
        return [self.collection[i] for _, indices in self.queue for i in indices]

    def _collection_diff(self, ours, theirs, node):
        from xdist.report import report_collection_diff
        first = next(iter(self.node2collection))
        return report_collection_diff(ours, theirs, first.gateway.id, node.gateway.id)

    def _same_collections(self):
        from xdist.report import report_collection_diff
        nodes = list(self.node2collection.items())
        first, ours = nodes[0]
        same = True
        for node, theirs in nodes[1:]:
            msg = report_collection_diff(ours, theirs, first.gateway.id, node.gateway.id)
            if msg:
                same = False
                self.log(msg)
                rep = pytest.CollectReport(node.gateway.id, "failed", longrepr=msg,
                                           result=[])
                self.config.hook.pytest_collectreport(report=rep)
        return same
