"""items.py - the nodeid a test has before other plugins rename it.

Owns: remembering each item's nodeid as collected and carrying it on the
test's reports, so the shard selection and the report name a test as
`pytest --collect-only -q` does.
Not here: the owner rule (plan.py), writing the report (report.py).

pytest-xdist's --dist loadgroup appends "@group" to the nodeid of an item
marked xdist_group, in the workers, after collection. Stripping any "@..."
from a nodeid would also cut a non-Python item named "bob@example.com",
and a group name may itself hold '@'. So the plugin never guesses: it
keeps the nodeid each item had when pytest collected it.
"""

import pytest

from .groups import group_key

_COLLECTED_AS = pytest.StashKey()
# The report attribute that carries the collected nodeid where it differs
# from report.nodeid; xdist sends report attributes to the controller.
REPORT_ATTR = "hist_nodeid"
# The report attribute that carries the test's group key (groups.py).
GROUP_ATTR = "hist_group"


def _group_suffix(item):
    """"@name" as xdist 3 adds it for an item, or None."""
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    name = mark.args[0] if mark.args else mark.kwargs.get("name", "default")
    return f"@{name}"


def collected_nodeid(item):
    """The item's nodeid as pytest collected it."""
    got = item.stash.get(_COLLECTED_AS, None)
    if got is not None:
        return got
    # An item that a hook made after collection (appended to the items):
    # a suffix is xdist's only where its marker names that group.
    nodeid = item.nodeid
    suffix = _group_suffix(item)
    if suffix and nodeid.endswith(suffix) and len(nodeid) > len(suffix):
        return nodeid[:-len(suffix)]
    return nodeid


def report_nodeid(report):
    """The collected nodeid of the test a report is about."""
    return getattr(report, REPORT_ATTR, None) or report.nodeid


def report_group(report):
    """The group key of the test a report is about, or None."""
    return getattr(report, GROUP_ATTR, None)


def _new_style_wrappers():
    """Whether pluggy takes wrapper=True (pluggy 1.1, pytest 8 documents
    only these); Debian's pytest 7.2 comes with pluggy 1.0, which has only
    hookwrapper=True and refuses the keyword."""
    try:
        pytest.hookimpl(wrapper=True)
    except TypeError:
        return False
    return True


class NodeidKeeper:
    """Registered wherever tests are collected (each xdist worker)."""

    group_markers = ()      # set by pytest_configure

    @pytest.hookimpl(tryfirst=True)
    def pytest_itemcollected(self, item):
        item.stash[_COLLECTED_AS] = item.nodeid

    if _new_style_wrappers():
        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_makereport(self, item, call):
            report = yield
            self._mark(item, report)
            return report
    else:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(self, item, call):
            outcome = yield
            self._mark(item, outcome.get_result())

    def _mark(self, item, report):
        """Carry the collected nodeid and the group key on the report."""
        nodeid = collected_nodeid(item)
        if report is not None and nodeid != report.nodeid:
            setattr(report, REPORT_ATTR, nodeid)
        if report is not None and self.group_markers:
            key = group_key(item, self.group_markers)
            if key is not None:
                setattr(report, GROUP_ATTR, key)
