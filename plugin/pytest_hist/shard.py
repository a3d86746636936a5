"""shard.py - the pytest side of --shard-file: collect and run one shard.

Owns: skipping files the shard cannot own (pytest_ignore_collect), selecting
the shard's tests after every other deselection, the terminal summary and
the exit status of an empty shard.
Not here: the owner rule and shard files (plan.py).
"""

import sys

import pytest

from . import groups
from . import nodeid as nid
from .items import collected_nodeid

# __init__.py makes the Package node that modules below it belong to (its
# setup_module and package-scoped fixtures), so it is never skipped. A
# conftest.py needs no such care: pytest loads it when it enters the
# directory, whatever this hook says about the file.
_PACKAGE_INIT = "__init__.py"
# Where a nodeid's file part ends (nodeid.file_of); a path holding it is
# never skipped.
_FILE_END = "::"
_SHOW_MISSING = 20
# Set in workerinput by the controller whose hist scheduler groups tests by
# the plan's lists (sched.py), so workers can refuse what it cannot group.
WORKER_FLAG = "pytest_hist_scheduler"
# The modules that report pytest's own selections through pytest_deselected:
# -k and -m (_pytest.mark), --deselect (_pytest.main), --lf
# (_pytest.cacheprovider), --sw (_pytest.stepwise), in pytest 7.2 to 9.1.
# A removal reported from anywhere else is a hook's; so, if a pytest moved
# one of these, its selection would fail pruned shards loudly, never pass.
_PYTEST_SELECTION = frozenset(
    ("_pytest.mark", "_pytest.main", "_pytest.cacheprovider", "_pytest.stepwise"))


def _is_xdist_worker(config):
    return hasattr(config, "workerinput")


def _cache_get(config, key, default):
    cache = getattr(config, "cache", None)     # None with -p no:cacheprovider
    return default if cache is None else cache.get(key, default)


def none_matched_message(config, path, count):
    """Why a shard whose listed tests all failed to match most likely did."""
    root = config.rootpath
    why = (f"none of the {count} tests listed in {path} matched a collected test. "
           f"Nodeids here are relative to rootdir {root}")
    why += f" (ini file {config.inipath})" if config.inipath else " (no ini file found)"
    why += ("; keep the shard files inside the project, or write --shard-file=PATH "
            "with '=': written '--shard-file PATH', pytest counts PATH's directory when "
            "it picks the rootdir, before any plugin can say otherwise")
    if _spaced_shard_file(config):
        why += " (this run wrote it with a space)"
    return why + "; or the plan is of another tree: plan again"


def _spaced_shard_file(config):
    args = list(config.invocation_params.args)
    return any(a == "--shard-file" for a in args[:-1])


def _in_files(line, files, modules):
    """Whether a plan line is a test of one of files (paths), or a JUnit key
    whose classname is one of modules (dotted), or a class in one."""
    head = nid.file_of(line)
    if head in files:
        return True
    while modules:
        if head in modules:
            return True
        cut = head.rfind(".")
        if cut < 0:
            return False
        head = head[:cut]
    return False


class ShardSelector:
    """Registered by pytest_configure when --shard-file is given.

    The user's selection comes first: -k, -m, --deselect, --lf, --sw,
    conftest hooks and hookwrappers all act on the collected items, and
    only the list they leave (pytest_collection_finish sees it) is cut to
    this shard. What the user removed from this shard's part is recorded
    (the report's "deselected" lines) so histmerge --plan can account for
    every planned test."""

    def __init__(self, config, plan, shard, order, job_source=None,
                 test_list="history", prune=True):
        self.config = config
        self.plan = plan
        self.shard = shard            # the ShardFile this job runs
        self.index = shard.index
        self.order = order
        self.job_source = job_source
        self.strict = test_list == "collection"
        self.stats = None             # filled at collection (or by workers)
        self.empty = False
        self.collected = []           # every item as collected, in order
        self.files = set()            # files whose collection ran
        self.collect_errors = False   # pytest fails the run for those itself
        self.pruned = False           # pytest_ignore_collect skipped a file
        self.by_pytest = set()        # id() of items pytest's own selection removed
        self.prune = prune and not self._stepwise_from_a_failure(config)
        # An xdist worker whose controller schedules by the plan (sched.py).
        self.scheduled_by_plan = bool(getattr(config, "workerinput", {}).get(WORKER_FLAG))
        # With --lf every shard collects the files of the last failures, so
        # pytest's own filter decides for the whole suite, not one shard.
        self.lastfailed = {}
        if config.getoption("lf", False):
            self.lastfailed = _cache_get(config, "cache/lastfailed", {}) or {}
        self.always_collect = {nid.file_of(n) for n in self.lastfailed}

    @staticmethod
    def _stepwise_from_a_failure(config):
        """--sw resumes at the failed test in the order of the whole
        collection, so that whole collection is needed."""
        return bool(config.getoption("stepwise", False)
                    and _cache_get(config, "cache/stepwise", None))

    # -- header --------------------------------------------------------
    def pytest_report_header(self, config):
        line = (f"hist: shard {self.index}/{self.plan.total} of plan "
                f"{self.plan.plan_id} ({self.shard.path}")
        if self.job_source:
            line += f", from {self.job_source}"
        line += ")"
        if not self.prune:
            line += ", collecting every file"
        return line

    # -- collection ----------------------------------------------------
    def pytest_ignore_collect(self, collection_path, config):
        if not self.prune or collection_path.name == _PACKAGE_INIT:
            return None
        try:
            rel = collection_path.relative_to(config.rootpath).as_posix()
        except ValueError:
            return None     # outside rootdir: nodeids are not rootdir-relative
        if rel == "." or rel in self.always_collect or self.plan.shard_may_own(self.index, rel):
            return None
        if _FILE_END in rel:
            # Its nodeids read as a file that ends at the first "::", which
            # is not this path: the owner rule and this one could disagree.
            return None
        # The owner rule looks at files; a directory may hold files of any
        # shard, so it is always walked. Only an unwanted path costs a stat.
        if collection_path.is_dir():
            return None
        self.pruned = True
        return True

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors = True
        elif report.nodeid:
            self.files.add(nid.file_of(report.nodeid))

    def pytest_itemcollected(self, item):
        self.collected.append(item)

    def pytest_deselected(self, items):
        # The options cannot say who removed what (-k with a focus hook),
        # and a hook is not told its caller: that is the module of the
        # first frame outside pluggy, which runs the hooks. The shard's own
        # report (others, below) is never recorded.
        frame = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "pluggy":
            frame = frame.f_back
        if frame is not None and frame.f_globals.get("__name__") in _PYTEST_SELECTION:
            self.by_pytest.update(id(item) for item in items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session):
        # Every pytest_collection_modifyitems, wrappers included, is done:
        # this is the list one unsharded run would run.
        self._select(session.config, session.items)

    def _group_of(self, config):
        """item -> its group key, or None; None when the plan has no groups."""
        names = groups.configured(config)
        if not names or self.plan.groups is None:
            return lambda item: None
        return lambda item: groups.group_key(item, names)

    def _group_problem(self, node, group, k, line, problems):
        """A test whose group the plan cannot keep whole: listed in another
        group than it carries now (a marker added or changed since the
        plan: its new group's shard may be another, and under -n the
        scheduler groups by the plan's lists); new in a file that its
        group's shard does not collect; or new, under -n with the hist
        scheduler, which knows a group's tests only from the plan."""
        plan = self.plan
        j = plan.group_shard(group)
        if line is not None:
            was = plan.groups.members.get(line)
            if was != group and self.index in (j, k):
                was = f"group {was}" if was is not None else "no group"
                problems["changed"].append(f"{node} (group {group}: planned in {was} on "
                                           f"shard {k}, group {group} on shard {j})")
        elif self.prune and not plan.shard_may_own(j, nid.file_of(node)):
            problems["unreachable"].append(f"{node} (group {group}, on shard {j})")
        elif j == self.index and self.scheduled_by_plan:
            problems["unscheduled"].append(f"{node} (group {group})")

    def _select(self, config, items):
        owner = self.plan.owner
        index = self.index
        group_of = self._group_of(config)
        matched = set()       # plan lines that a collected test matched
        unlisted = []         # selected tests that no plan line lists
        problems = {"changed": [], "unreachable": [], "unscheduled": []}
        keep, keep_lines, others = [], [], []
        final = set()
        for item in items:
            node = collected_nodeid(item)
            final.add(id(item))
            group = group_of(item)
            k, line = owner(node, group)
            if group is not None:
                self._group_problem(node, group, k, line, problems)
            if line is None:
                unlisted.append(node)
            else:
                matched.add(line)
            if k == index:
                keep.append(item)
                keep_lines.append(line)
            else:
                others.append(item)
        deselected = []       # this shard's tests that the user's selection removed
        by_hook = []          # tests taken out that pytest's own selection did not report
        lf_filtered = False
        for item in self.collected:
            node = collected_nodeid(item)
            if node in self.lastfailed or item.nodeid in self.lastfailed:
                lf_filtered = True      # (pytest's cache may hold xdist's names)
            if id(item) in final:
                continue
            if id(item) not in self.by_pytest:
                by_hook.append(node)
            k, line = owner(node, group_of(item))
            if line is not None:
                matched.add(line)
            if k == index:
                deselected.append(node)
        lines = self.shard.lines
        missing = [line for line in lines if line not in matched]
        gone = missing
        if lf_filtered:
            # --lf found failures and did not collect the rest: removed by
            # the user's selection, not gone.
            deselected += missing
            gone = []
        # Listed tests gone from files this shard did collect, while it
        # skipped other shards' files: removed since the plan, or (no
        # shard can tell) made by a module from what other test modules
        # put in a registry at import. Only a plan from history gets here.
        gone_pruned = []
        if self.pruned and not self.collect_errors:
            # A JUnit key line (a plan from xunit2 history) names its file
            # by the dotted module its classname starts with.
            modules = {nid.dotted_module(f) for f in self.files} if self.plan.has_keys else set()
            gone_pruned = sorted(line for line in gone if _in_files(line, self.files, modules))
        errors = self._errors(config, lines, missing, gone, unlisted, lf_filtered)
        errors += self._hook_selection_errors(by_hook)
        errors += self._group_errors(**problems)
        n_others = len(others)
        if errors:
            others += keep
            keep, keep_lines = [], []
        elif self.order == "longest":
            # The shard file lists tests longest first; new tests, with no
            # history, go last in collection order (sort is stable).
            position = {line: i for i, line in enumerate(lines)}
            last = len(position)
            order = sorted(range(len(keep)), key=lambda i: position.get(keep_lines[i], last))
            keep = [keep[i] for i in order]
        listed = len(keep_lines) - keep_lines.count(None)
        if others:
            config.hook.pytest_deselected(items=others)
        items[:] = keep
        self.collected = []
        self.by_pytest = set()
        self.stats = {
            "run": len(keep),
            "listed": listed,
            "new": len(keep) - listed,
            "others": n_others,
            "missing": gone,
            "gone_pruned": gone_pruned,
            "deselected": sorted(set(deselected)),
            "errors": errors,
        }
        if _is_xdist_worker(config):
            config.workeroutput["pytest_hist_shard"] = self.stats

    def _errors(self, config, lines, missing, gone, unlisted, lf_filtered):
        """What keeps this shard from proving it runs its part of one
        unsharded run: each error is a message and the nodeids it names."""
        errors = []
        if self.collect_errors:
            return errors       # a file that cannot be imported explains any gap
        plan = f"plan {self.plan.plan_id}"
        if lines and len(missing) == len(lines) and not lf_filtered:
            errors.append((none_matched_message(config, self.shard.path, len(lines)), missing))
            return errors
        if not self.strict:
            return errors
        if unlisted:
            errors.append((
                f"{len(unlisted)} selected tests are in no shard of {plan}, which was made "
                f"from a collection of this tree (histplan --tests): plan again from "
                f"'pytest --collect-only -q' of the same tree and options; if the plan is "
                f"current, a conftest or test module selects across files, which a shard "
                f"that collects only its files cannot see: run with "
                f"--hist-prune-collection no", unlisted))
        in_collected = [line for line in gone if nid.file_of(line) in self.files]
        if in_collected:
            errors.append((
                f"{len(in_collected)} listed tests were not yielded by files this shard "
                f"collected ({plan} was made from a collection of this tree): a test "
                f"module that takes its tests from other modules (a registry filled at "
                f"import) needs --hist-prune-collection no; if the tests were removed, "
                f"plan again", in_collected))
        return errors

    def _hook_selection_errors(self, by_hook):
        """A shard that collected only its files cannot tell whether a
        conftest or plugin hook that took tests out (run only the focused
        tests, ...) chose by what it saw here: with the whole collection it
        may choose otherwise. pytest's own selections (-k, -m, --deselect,
        --lf, --sw) look at each test alone, and every other shard sees the
        same; any other taking-out, reported or not, is not proven, so it
        fails the shard (a plan from --tests catches most of these too; a
        plan from history, lenient about tests it does not list, caught
        none)."""
        if not (self.pruned and by_hook) or self.collect_errors:
            return []
        return [(f"{len(by_hook)} collected tests were taken out by a conftest or plugin "
                 f"hook (not by -k, -m, --deselect, --lf or --sw), and this shard collected "
                 f"only its own files: a hook that selects across files (run only the "
                 f"focused tests, ...) sees another suite here than one unsharded run does, "
                 f"so this shard cannot prove its part; run every shard with "
                 f"--hist-prune-collection no", by_hook)]

    def _group_errors(self, changed, unreachable, unscheduled):
        plan = f"plan {self.plan.plan_id}"
        errors = []
        if changed:
            errors.append((
                f"{len(changed)} tests are in another group than {plan} put them in (a "
                f"group marker added or changed since): a group runs on one shard, and "
                f"under -n on one worker, as the plan lists it; plan again", changed))
        if unreachable:
            errors.append((
                f"{len(unreachable)} tests new since {plan} belong with their group on "
                f"a shard that does not collect their file: plan again, or run every "
                f"shard with --hist-prune-collection no", unreachable))
        if unscheduled:
            errors.append((
                f"{len(unscheduled)} tests new since {plan} belong to a group, and under "
                f"-n the hist scheduler keeps a group on one worker by the plan's list of "
                f"its tests, which cannot hold them: plan again", unscheduled))
        return errors

    def accounted(self):
        """(deselected, gone, gone_pruned): this shard's tests that the
        user's selection removed, its listed tests that collection did not
        yield, and those of them whose file it collected while it skipped
        the files of other shards."""
        st = self.stats
        if st is None:
            return [], [], []
        return st["deselected"], st["missing"], st["gone_pruned"]

    # -- xdist controller: the workers did the selecting -----------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        got = getattr(node, "workeroutput", {}).get("pytest_hist_shard")
        if got is not None and self.stats is None:
            self.stats = got

    # -- end of session ------------------------------------------------
    def pytest_sessionfinish(self, session, exitstatus):
        if self.stats is not None and self.stats["errors"] and exitstatus in (
                pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            # Ran nothing: a shard that cannot prove its part fails.
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        elif exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            # Tests spread over N shards can leave one empty (few tests, -k);
            # that job did its part and must not fail the pipeline.
            session.exitstatus = pytest.ExitCode.OK
            self.empty = True

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        st = self.stats
        head = f"hist: shard {self.index}/{self.plan.total}"
        if st is None:
            return
        verbose = tr.config.getoption("verbose") > 0
        if st["errors"]:
            for message, nodeids in st["errors"]:
                tr.write_line(f"{head}: ERROR: {message}" + (":" if nodeids else ""), red=True)
                self._list(tr, nodeids, verbose)
            tr.write_line(f"{head}: ran nothing, exit status {int(pytest.ExitCode.USAGE_ERROR)}",
                          red=True)
            return
        tr.write_line(f"{head}: running {st['run']} tests ({st['listed']} listed, "
                      f"{st['new']} new since the plan); {st['others']} collected "
                      f"tests belong to other shards")
        if self.empty:
            tr.write_line(f"{head}: nothing to run, exit status 0")
        pruned = st["gone_pruned"]
        shown = set(pruned)
        missing = [line for line in st["missing"] if line not in shown]
        if missing:
            tr.write_line(f"{head}: {len(missing)} listed tests were not collected "
                          f"(removed or renamed since plan {self.plan.plan_id}, or "
                          f"outside the paths given):", yellow=True)
            self._list(tr, missing, verbose)
        if pruned:
            tr.write_line(
                f"{head}: WARNING: {len(pruned)} listed tests were not yielded by files this "
                f"shard collected while it skipped the files of other shards: removed or "
                f"renamed since plan {self.plan.plan_id}, or a test module takes its tests or "
                f"parameters from other test modules at import (a registry they fill), which "
                f"a shard that skips their files cannot see, and then they ran on no shard. "
                f"If these tests still exist, run every shard with --hist-prune-collection "
                f"no, or plan with histplan --tests (a shard then fails on this):", red=True)
            self._list(tr, pruned, verbose)

    @staticmethod
    def _list(tr, nodeids, verbose):
        shown = nodeids if verbose else nodeids[:_SHOW_MISSING]
        for line in shown:
            tr.write_line(f"  {line}")
        if len(shown) < len(nodeids):
            tr.write_line(f"  ... and {len(nodeids) - len(shown)} more (-v shows all)")
