"""groups.py - group markers: tests that must stay on one shard.

Owns: --hist-group-marker, checking that each named marker is registered,
and the group key of a test (the one rule the collect file, the plan, the
shard selection, the report and the xdist scheduler all use).
Not here: where a group runs (plan.py, shard.py), the collect file
(collect.py).

A test's group is its first configured marker that it carries (the
closest one: function over class over module, as get_closest_marker
finds it). Its key is the marker's name for a bare marker, and
"name:value" for a marker with a value (its first argument, else a
name= keyword, as xdist_group takes it). The key is escaped to one line
without tabs, so every file can hold it as it is.
"""

import pytest

from . import options

_MARKERS = pytest.StashKey()


def add_options(group, add):
    add(group, "--hist-group-marker", env="HIST_GROUP_MARKER", metavar="NAME",
        repeat=True,
        help="tests carrying marker NAME stay on one shard (and one xdist "
             "worker): @pytest.mark.NAME('db') groups by value, a bare "
             "@pytest.mark.NAME puts all such tests in one group; "
             "repeatable, the first configured marker a test carries wins; "
             "xdist_group works too.")


def _registered(config):
    """Marker names registered in the ini file's markers or by a plugin
    (pytest's --strict-markers rule)."""
    names = set()
    for line in config.getini("markers"):
        names.add(line.split(":", 1)[0].split("(", 1)[0].strip())
    return names


def configured(config):
    """The group marker names, in the order given, each once."""
    got = config.stash.get(_MARKERS, None)
    if got is not None:
        return got
    seen = []
    for name in config.getoption("hist_group_marker") or []:
        name = name.strip()
        if name and name not in seen:
            seen.append(name)
    config.stash[_MARKERS] = seen
    return seen


def use(config, names):
    """Group by names from now on (the plan's markers)."""
    config.stash[_MARKERS] = list(names)


def check_registered(config):
    """pytest.UsageError for a group marker pytest does not know: a typo
    would silently group nothing."""
    names = configured(config)
    if not names:
        return
    known = _registered(config)
    where = options.origin(config, "hist_group_marker")
    where = f" (from {where})" if where and where != "command line" else ""
    for name in names:
        if name not in known:
            hint = (" (pytest-xdist registers it: install it or load it with -p xdist.plugin)"
                    if name == "xdist_group" else "")
            raise pytest.UsageError(
                f"hist: --hist-group-marker {name}{where}: no marker '{name}' is "
                f"registered{hint}: register it in the ini file's markers "
                f"(markers =\\n    {name}: ...) or in a conftest's pytest_configure "
                f"(config.addinivalue_line(\"markers\", \"{name}: ...\"))")


def escape(text):
    """text on one line without tabs: backslash, tab, CR, LF and other
    control characters written as escapes (\\\\, \\t, \\r, \\n, \\xHH)."""
    if text.isprintable() and "\\" not in text and "\t" not in text:
        return text
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def mark_key(name, mark):
    """The group key a marker gives."""
    if mark.args:
        value = mark.args[0]
    elif "name" in mark.kwargs:
        value = mark.kwargs["name"]
    else:
        return name
    return f"{name}:{escape(str(value))}"


def group_key(item, names):
    """The group key of item under the configured marker names, or None."""
    for name in names:
        mark = item.get_closest_marker(name)
        if mark is not None:
            return mark_key(name, mark)
    return None
