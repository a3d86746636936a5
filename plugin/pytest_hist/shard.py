"""shard.py - the pytest side of --shard-file: collect and run one shard.

Owns: skipping files the shard cannot own (pytest_ignore_collect), selecting
the shard's tests after every other deselection, the terminal summary and
the exit status of an empty shard.
Not here: the owner rule and shard files (plan.py).
"""

import pytest

from . import nodeid as nid

# __init__.py makes the Package node that modules below it belong to (its
# setup_module and package-scoped fixtures), so it is never skipped. A
# conftest.py needs no such care: pytest loads it when it enters the
# directory, whatever this hook says about the file.
_PACKAGE_INIT = "__init__.py"
_SHOW_MISSING = 20


def _is_xdist_worker(config):
    return hasattr(config, "workerinput")


class CollectedSnapshot:
    """Notes every collected nodeid before -k/-m and other plugins deselect:
    a listed test they drop still exists and is not reported as missing.
    A plugin object of its own because one object cannot implement a hook
    both first and last."""

    def __init__(self):
        self.nodeids = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        self.nodeids = [nid.strip_group(item.nodeid) for item in items]


class ShardSelector:
    """Registered by pytest_configure when --shard-file is given."""

    def __init__(self, config, plan, shard, order, job_source=None):
        self.config = config
        self.plan = plan
        self.shard = shard            # the ShardFile this job runs
        self.index = shard.index
        self.order = order
        self.job_source = job_source
        self.stats = None             # filled at collection (or by workers)
        self.empty = False
        self.snapshot = CollectedSnapshot()

    # -- header --------------------------------------------------------
    def pytest_report_header(self, config):
        line = (f"hist: shard {self.index}/{self.plan.total} of plan "
                f"{self.plan.plan_id} ({self.shard.path}")
        if self.job_source:
            line += f", from {self.job_source}"
        return line + ")"

    # -- collection ----------------------------------------------------
    def pytest_ignore_collect(self, collection_path, config):
        if collection_path.name == _PACKAGE_INIT:
            return None
        try:
            rel = collection_path.relative_to(config.rootpath).as_posix()
        except ValueError:
            return None     # outside rootdir: nodeids are not rootdir-relative
        if rel == "." or self.plan.shard_may_own(self.index, rel):
            return None
        # The owner rule looks at files; a directory may hold files of any
        # shard, so it is always walked. Only an unwanted path costs a stat.
        if collection_path.is_dir():
            return None
        return True

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        keep = []
        others = []
        matched = []          # the plan line of each kept test, None if new
        owner = self.plan.owner
        for item in items:
            k, line = owner(item.nodeid)
            if k != self.index:
                others.append(item)
                continue
            keep.append(item)
            matched.append(line)
        listed = len(matched) - matched.count(None)
        if self.order == "longest":
            # The shard file lists tests longest first; new tests, with no
            # history, go last in collection order (sort is stable).
            position = {line: i for i, line in enumerate(self.shard.lines)}
            last = len(position)
            order = sorted(range(len(keep)), key=lambda i: position.get(matched[i], last))
            keep = [keep[i] for i in order]
        if others:
            config.hook.pytest_deselected(items=others)
        items[:] = keep
        self.stats = {
            "run": len(keep),
            "listed": listed,
            "new": len(keep) - listed,
            "others": len(others),
            "missing": self._missing(self.snapshot.nodeids),
        }
        if _is_xdist_worker(config):
            config.workeroutput["pytest_hist_shard"] = self.stats

    def _missing(self, collected):
        """Lines of this shard that match no collected test."""
        lines = self.shard.lines
        present = set(collected)
        missing = [line for line in lines if line not in present]
        if missing and self.plan.has_keys:
            keys = {nid.junit_key(n) for n in present}
            missing = [line for line in missing if line not in keys]
        return missing

    # -- xdist controller: the workers did the selecting -----------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        got = getattr(node, "workeroutput", {}).get("pytest_hist_shard")
        if got is not None and self.stats is None:
            self.stats = got

    # -- end of session ------------------------------------------------
    def pytest_sessionfinish(self, session, exitstatus):
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            # Tests spread over N shards can leave one empty (few tests, -k);
            # that job did its part and must not fail the pipeline.
            session.exitstatus = pytest.ExitCode.OK
            self.empty = True

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        st = self.stats
        head = f"hist: shard {self.index}/{self.plan.total}"
        if st is not None:
            tr.write_line(f"{head}: running {st['run']} tests ({st['listed']} listed, "
                          f"{st['new']} new since the plan); {st['others']} collected "
                          f"tests belong to other shards")
        if self.empty:
            tr.write_line(f"{head}: nothing to run, exit status 0")
        if st is None:
            return
        missing = st["missing"]
        if missing:
            tr.write_line(f"{head}: {len(missing)} listed tests were not collected "
                          f"(removed or renamed since plan {self.plan.plan_id}, or "
                          f"outside the paths given):", yellow=True)
            verbose = tr.config.getoption("verbose") > 0
            shown = missing if verbose else missing[:_SHOW_MISSING]
            for line in shown:
                tr.write_line(f"  {line}")
            if len(shown) < len(missing):
                tr.write_line(f"  ... and {len(missing) - len(shown)} more (-v shows all)")
            if len(missing) == len(self.shard.lines):
                # Nodeids are rootdir-relative, and pytest also counts a bare
                # path given to an option (--shard-file ../x) when it picks
                # the rootdir: the commonest way to match nothing.
                tr.write_line(f"{head}: no listed test matched; nodeids here are relative to "
                              f"rootdir {tr.config.rootpath}: keep the shard files inside it, or "
                              f"write --shard-file=PATH with '=' so pytest does not count the "
                              f"path when it picks the rootdir", red=True)
