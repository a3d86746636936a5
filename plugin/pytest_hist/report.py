"""report.py - --hist-report: every test attempt as gzipped hist JSONL.

Owns: turning pytest's phase reports into one record per finished attempt
(outcome, attempt number, phases at full precision, worker), the session
record, and writing the file atomically.
Not here: which tests run (shard.py). The format is doc/formats.md "hist JSONL".
"""

import gzip
import json
import os
import sys
import tempfile
import time

import pytest

from .items import report_group, report_nodeid

FORMAT_VERSION = 1
_PHASES = ("setup", "call", "teardown")


def process_age():
    """Seconds since this process started, where the OS says (Linux /proc:
    the start in clock ticks since boot against the uptime, 10 ms steps),
    else None. A CI job pays the interpreter's start, pytest's and the
    plugins' imports and the root conftest before any hook runs: a shard's
    wall that leaves them out under-counts every shard by the same amount."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        # Field 22 (starttime); the name in parentheses may hold spaces.
        ticks = int(stat[stat.rindex(b")") + 2:].split()[19])
        age = uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return age if 0.0 <= age < 3600.0 else None


def _is_command_line(config):
    return tuple(config.invocation_params.args) == tuple(sys.argv[1:])


def _is_xdist_worker(config):
    return hasattr(config, "workerinput")


class CollectTimer:
    """Times collection. On an xdist worker it hands the time to the
    controller, which collects nothing itself."""

    def __init__(self, config):
        self.config = config
        self.began = None
        self.seconds = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session):
        self.began = time.perf_counter()

    def pytest_collection_finish(self, session):
        if self.began is not None:
            self.seconds = time.perf_counter() - self.began
            if _is_xdist_worker(self.config):
                self.config.workeroutput["pytest_hist_collect"] = self.seconds


def attempt_outcome(phases):
    """The outcome of one attempt from its (when, outcome, wasxfail) phase
    reports, named as pytest's summary names them."""
    result = None
    for when, outcome, wasxfail in phases:
        if outcome == "rerun":
            return "rerun"
        if when == "call" or (when == "setup" and outcome != "passed"):
            if outcome == "failed":
                result = "error" if when == "setup" else "failed"
            elif outcome == "skipped":
                result = "xfailed" if wasxfail else "skipped"
            else:
                result = "xpassed" if wasxfail else "passed"
        elif when == "teardown" and outcome == "failed":
            # pytest counts a failing teardown as an error, also after a
            # failed call; JUnit and reportlog say error too.
            result = "error"
        elif when == "teardown" and outcome == "skipped" and result not in ("error", "failed"):
            # An xfail mark turns a failing teardown into an expected failure.
            result = "xfailed"
        elif outcome == "failed" and result is None:
            result = "failed"      # xdist's report for a crashed worker
    return result or "passed"


class _Attempt:
    __slots__ = ("nodeid", "start", "worker", "number", "durations", "phases", "group")

    def __init__(self, nodeid, start, worker, number):
        self.nodeid = nodeid          # as collected (items.py)
        self.start = start
        self.worker = worker
        self.number = number
        self.durations = {}
        self.phases = []
        self.group = None             # its group key (groups.py), if any


class HistReporter:
    """Registered on the process that writes the report: the only process
    without xdist, the controller with it."""

    def __init__(self, config, path, timer, shard=None):
        self.config = config
        self.path = path
        self.timer = timer
        self.shard = shard            # the ShardSelector, or None
        self.start = time.time()
        self.began = time.perf_counter()
        # Before the session began; None: unknown, or a session that is not
        # its process's command line (pytest.main() in a longer-lived
        # process, pytester's in-process runs), whose age is not its cost.
        self.startup = process_age() if _is_command_line(config) else None
        self.pending = {}             # reported nodeid -> _Attempt
        self.logstart = {}            # reported nodeid -> time.time() of its logstart
        self.interrupted = False      # Ctrl-C, a CI cancel, pytest.exit()
        self.finished = {}            # nodeid -> attempts finished so far
        self.final = set()            # nodeids with a non-rerun record
        self.workers = set()
        self.worker_collect = []
        self.tmp_path = None
        self._raw = None
        self._gz = None
        self._open()

    def _open(self):
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            fd, self.tmp_path = tempfile.mkstemp(
                prefix=".hist-report-", suffix=".tmp", dir=directory)
        except OSError as e:
            raise pytest.UsageError(
                f"--hist-report {self.path}: cannot create a file in "
                f"{directory}: {e.strerror}") from None
        self._raw = os.fdopen(fd, "wb")
        if self.path.endswith(".gz"):
            # No name and no time in the gzip header: only the records vary.
            self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw,
                                     mtime=0)
        else:
            self._gz = self._raw

    def _write(self, record):
        line = json.dumps(record, ensure_ascii=False, allow_nan=False)
        self._gz.write(line.encode("utf-8", "surrogateescape") + b"\n")

    # -- xdist ----------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodeready(self, node):
        self.workers.add(node.workerinput.get("workerid"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        got = getattr(node, "workeroutput", {}).get("pytest_hist_collect")
        if got is not None:
            self.worker_collect.append(got)

    # -- tests ------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid, location):
        self.logstart[nodeid] = time.time()

    def pytest_runtest_logreport(self, report):
        nodeid = report.nodeid
        att = self.pending.get(nodeid)
        if att is None:
            number = getattr(report, "rerun", None)
            number = number + 1 if isinstance(number, int) else self.finished.get(nodeid, 0) + 1
            # pytest 8 reports carry their start; with 7.2 it is the time
            # of the attempt's logstart (pytest-rerunfailures sends one per
            # attempt).
            logstart = self.logstart.pop(nodeid, None)
            start = getattr(report, "start", None) or logstart or time.time()
            worker = getattr(report, "worker_id", None) or "master"
            att = self.pending[nodeid] = _Attempt(report_nodeid(report), start, worker, number)
        if att.group is None:
            att.group = report_group(report)
        if report.when in _PHASES:
            att.durations[report.when] = att.durations.get(report.when, 0.0) + report.duration
        att.phases.append((report.when, report.outcome, hasattr(report, "wasxfail")))
        if report.outcome == "rerun" or report.when == "teardown":
            self._finish(nodeid)

    def _finish(self, nodeid):
        att = self.pending.pop(nodeid)
        outcome = attempt_outcome(att.phases)
        self.finished[nodeid] = self.finished.get(nodeid, 0) + 1
        if outcome != "rerun":
            self.final.add(nodeid)
        d = att.durations
        record = {
            "hist": FORMAT_VERSION, "type": "test", "nodeid": att.nodeid,
            "outcome": outcome, "attempt": att.number,
            "setup": d.get("setup", 0.0), "call": d.get("call", 0.0),
            "teardown": d.get("teardown", 0.0),
            "worker": att.worker, "start": att.start,
        }
        if att.group is not None:
            record["group"] = att.group
        self._write(record)

    # -- end of session ---------------------------------------------------
    def pytest_keyboard_interrupt(self, excinfo):
        # A real KeyboardInterrupt (SIGINT) or pytest.exit() can cut a test
        # off in the middle. pytest stopping between tests (collection
        # errors, --sw) raises a subclass of KeyboardInterrupt instead.
        exc = excinfo.value
        if type(exc) is KeyboardInterrupt or isinstance(exc, pytest.exit.Exception):
            self.interrupted = True

    def _cut_off(self):
        """Tests an interruption cut off: no outcome, no duration, since
        the time so far is not what the test costs."""
        nodeids = {att.nodeid for att in self.pending.values()}
        nodeids.update(self.logstart)       # started, no phase reported yet
        self.pending.clear()
        self.logstart.clear()
        for nodeid in sorted(nodeids):
            self._write({"hist": FORMAT_VERSION, "type": "interrupted", "nodeid": nodeid})

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        if self.interrupted:
            self._cut_off()
        # An attempt cut short otherwise (a crashed xdist worker) still
        # happened: its reports say how.
        for nodeid in list(self.pending):
            self._finish(nodeid)
        shard = self.shard
        if shard is not None:
            deselected, gone, gone_pruned = shard.accounted()
            for nodeid in deselected:
                self._write({"hist": FORMAT_VERSION, "type": "deselected", "nodeid": nodeid})
            pruned = set(gone_pruned)
            for nodeid in gone:
                line = {"hist": FORMAT_VERSION, "type": "gone", "nodeid": nodeid}
                if nodeid in pruned:
                    # Its file was collected while others' were skipped:
                    # histmerge --plan names the likely causes.
                    line["pruned"] = True
                self._write(line)
        if self.worker_collect:
            collect = max(self.worker_collect)
        else:
            collect = self.timer.seconds if self.timer.seconds is not None else 0.0
        shard = self.shard
        self._write({
            "hist": FORMAT_VERSION, "type": "session", "start": self.start,
            "collect": collect,
            "wall": time.perf_counter() - self.began + (self.startup or 0.0),
            "startup": self.startup,
            "workers": len(self.workers), "tests": len(self.final),
            "interrupted": self.interrupted,
            "plan_id": shard.plan.plan_id if shard else None,
            "shard": shard.index if shard else None,
            "shards": shard.plan.total if shard else None,
        })
        try:
            self._commit()
        except OSError as e:
            self._abort()
            tr = self.config.pluginmanager.get_plugin("terminalreporter")
            msg = f"hist: cannot write {self.path}: {e.strerror}"
            if tr is not None:
                tr.write_line(msg, red=True)
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    def _commit(self):
        if self._gz is not self._raw:
            self._gz.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        # mkstemp makes the file 0600; a report is as readable as any output.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(self._raw.fileno(), 0o666 & ~umask)
        self._raw.close()
        self._raw = None
        os.replace(self.tmp_path, self.path)
        self.tmp_path = None

    def _abort(self):
        if self._raw is not None:
            try:
                self._raw.close()
            except OSError:
                pass
            self._raw = None
        if self.tmp_path is not None:
            try:
                os.unlink(self.tmp_path)
            except OSError:
                pass
            self.tmp_path = None

    def pytest_unconfigure(self, config):
        # A session that never finished leaves no half-written report.
        self._abort()
