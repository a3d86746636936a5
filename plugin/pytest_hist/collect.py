"""collect.py - --hist-collect: the suite as pytest collected it, for histplan.

Owns: writing the collect file (doc/formats.md "hist collect"): a header
with the format version and the group markers, then one test a line with
its group key, module and class, in collection order.
Not here: the group key (groups.py), reading the file (lib/testlist.c).
"""

import os
import tempfile

import pytest

from . import groups
from .items import collected_nodeid

FORMAT_VERSION = 1
HEADER = f"# hist collect {FORMAT_VERSION}"
MARKERS = "# group markers:"
NONE = "-"


def add_options(group, add):
    add(group, "--hist-collect", env="HIST_COLLECT", metavar="FILE",
        help="write the collected tests with their group (--hist-group-marker), "
             "module and class to FILE for histplan --tests; use with "
             "--collect-only.")


def configure(config):
    path = config.getoption("hist_collect")
    if not path or hasattr(config, "workerinput"):
        return
    if config.getoption("shard_file"):
        raise pytest.UsageError("hist: --hist-collect writes the whole suite for histplan: "
                                "run it without --shard-file")
    if config.getoption("dist", "no") != "no" and not config.getoption("collectonly"):
        raise pytest.UsageError("hist: --hist-collect needs the collection in this process: "
                                "run it with --collect-only or without -n")
    config.pluginmanager.register(CollectWriter(config, path), "hist-collect-writer")


def _node_id(item, cls):
    node = item.getparent(cls)
    return groups.escape(node.nodeid) if node is not None and node.nodeid else NONE


def line_of(item, names):
    nodeid = collected_nodeid(item)
    if "\n" in nodeid or "\r" in nodeid:
        raise pytest.UsageError(f"hist: --hist-collect: the nodeid {nodeid!r} holds a line "
                                f"break, which no shard file can hold")
    key = groups.group_key(item, names)
    return "\t".join((key if key is not None else NONE, _node_id(item, pytest.Module),
                      _node_id(item, pytest.Class), nodeid))


class CollectWriter:
    def __init__(self, config, path):
        self.config = config
        self.path = path
        self.errors = 0         # collection errors: the file is not written

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        if session.testsfailed:
            # A file that failed to import yields no tests: a plan made
            # from the rest would miss them.
            self.errors = session.testsfailed
            return
        names = groups.configured(self.config)
        out = [HEADER, f"{MARKERS} {','.join(names)}".rstrip()]
        out += [line_of(item, names) for item in session.items]
        write_atomically(self.path, "".join(line + "\n" for line in out))

    def pytest_terminal_summary(self, terminalreporter):
        if self.errors:
            terminalreporter.write_line(
                f"hist: --hist-collect {self.path}: not written: {self.errors} errors during "
                f"collection would leave their tests out of the plan", red=True)


def write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".hist-collect-", dir=directory)
    except OSError as e:
        raise pytest.UsageError(f"hist: --hist-collect {path}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise pytest.UsageError(f"hist: --hist-collect {path}: {e.strerror}") from None
