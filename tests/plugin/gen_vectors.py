"""gen_vectors.py - the shared vectors tests/vectors/outcome.tsv and
group_suffix.tsv, taken from real pytest runs.

    python3 tests/plugin/gen_vectors.py tests/vectors     # write them again

outcome.tsv: each test's phase outcomes as pytest reported them, and the
outcome pytest's own terminal summary counts it under (the worst of its
reports: error > failed > xfailed, xpassed > skipped > passed), not what
hist computes. group_suffix.tsv: each item's nodeid as pytest-xdist reports
it, the xdist_group xdist added, and the nodeid as collected. test_vectors.py
runs this again and checks the files are what pytest says today.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PYTHON = sys.executable

OUTCOME_TESTS = '''
import pytest

@pytest.fixture
def bad_setup():
    raise RuntimeError("setup")

@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("teardown")

@pytest.fixture
def skip_setup():
    pytest.skip("in setup")

@pytest.fixture
def bad_both(bad_teardown, bad_setup):
    pass

def test_passed(): pass
def test_failed(): assert False
def test_setup_error(bad_setup): pass
def test_setup_and_teardown_error(bad_both): pass
def test_skipped_in_setup(skip_setup): pass
@pytest.mark.skip(reason="marked")
def test_skipped_by_mark(): pass
def test_skipped_in_call(): pytest.skip("no")
def test_teardown_error(bad_teardown): pass
def test_failed_then_teardown_error(bad_teardown): assert False
def test_skipped_then_teardown_error(bad_teardown): pytest.skip("no")
@pytest.mark.xfail
def test_xfailed(): assert False
@pytest.mark.xfail
def test_xfailed_then_teardown_error(bad_teardown): assert False
@pytest.mark.xfail
def test_xpassed(): pass
@pytest.mark.xfail
def test_xpassed_then_teardown_error(bad_teardown): pass
@pytest.mark.xfail(strict=True)
def test_strict_xpass(): pass
@pytest.mark.xfail(run=False)
def test_xfail_not_run(): pass
@pytest.mark.xfail
def test_xfail_setup_error(bad_setup): pass
@pytest.mark.xfail(raises=KeyError)
def test_xfail_other_exception(): raise ValueError()
def test_imperative_xfail(): pytest.xfail("later")
'''

OUTCOME_CONFTEST = '''
import json, os

PHASES = {}

def pytest_runtest_logreport(report):
    PHASES.setdefault(report.nodeid, {})[report.when] = [report.outcome, hasattr(report, "wasxfail")]

def pytest_terminal_summary(terminalreporter):
    counted = {}
    for category, reports in terminalreporter.stats.items():
        for rep in reports:
            if getattr(rep, "when", None) and category:
                counted.setdefault(rep.nodeid, set()).add(category)
    with open(os.environ["VECTOR_OUT"], "w") as f:
        json.dump({n: [PHASES[n], sorted(c)] for n, c in counted.items()}, f)
'''

GROUP_TESTS = {
    "test_groups.py": '''
import pytest

@pytest.mark.xdist_group("g1")
def test_x(): pass

@pytest.mark.xdist_group(name="a@b")
def test_y(): pass

@pytest.mark.xdist_group("g2")
@pytest.mark.parametrize("v", ["p@q", "r"])
def test_z(v): pass

@pytest.mark.parametrize("v", ["s@t]"])
def test_free(v): pass
''',
    "users.spec": "bob@example.com carol\n",
    "conftest.py": '''
import json, os
import pytest

class SpecItem(pytest.Item):
    def runtest(self):
        pass

class SpecFile(pytest.File):
    def collect(self):
        for name in self.path.read_text().split():
            yield SpecItem.from_parent(self, name=name)

def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".spec":
        return SpecFile.from_parent(parent, path=file_path)

COLLECTED = {}

def pytest_itemcollected(item):
    COLLECTED[id(item)] = item.nodeid

@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker not in (None, "gw0"):
        return
    rows = []
    for item in session.items:
        collected = COLLECTED[id(item)]
        group = "-"
        if item.nodeid != collected:
            # What xdist appended: "@" and the group name.
            assert item.nodeid.startswith(collected + "@"), item.nodeid
            group = item.nodeid[len(collected) + 1:]
        rows.append([item.nodeid, group, collected])
    with open(os.environ["VECTOR_OUT"], "w") as f:
        json.dump(rows, f)
''',
}

_ORDER = ("error", "failed", "xfailed", "xpassed", "skipped", "passed")


def escape(field):
    return field.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _pytest(directory, out, *args):
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", VECTOR_OUT=str(out))
    env.pop("PYTEST_ADDOPTS", None)
    subprocess.run([PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                   cwd=directory, env=env, capture_output=True, check=False)
    with open(out) as f:
        return json.load(f)


def outcome_rows():
    """(setup, call, teardown, wasxfail, outcome) for each kind of test."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "test_outcomes.py").write_text(OUTCOME_TESTS)
        (tmp / "conftest.py").write_text(OUTCOME_CONFTEST)
        got = _pytest(tmp, tmp / "out.json", "test_outcomes.py")
    rows = {}
    for nodeid, (phases, categories) in sorted(got.items()):
        outcome = next(c for c in _ORDER if c in categories)
        cols = [phases.get(w, ["-", False])[0] for w in ("setup", "call", "teardown")]
        wasxfail = any(v[1] for v in phases.values())
        key = (*cols, "1" if wasxfail else "0")
        assert rows.get(key, outcome) == outcome, (nodeid, key)
        rows[key] = outcome
    return sorted((*k, v) for k, v in rows.items())


def group_rows():
    """(reported, xdist_group, normalised) from runs with and without
    --dist loadgroup."""
    rows = set()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, text in GROUP_TESTS.items():
            (tmp / name).write_text(text)
        for dist in ("loadgroup", "load"):
            got = _pytest(tmp, tmp / "out.json", "-p", "xdist.plugin", "-n", "2", "--dist", dist)
            rows.update(tuple(r) for r in got)
    return sorted(rows)


def write(path, header, comment, rows):
    lines = [f"# {line}" for line in comment.splitlines()]
    lines.append("\t".join(header))
    lines += ["\t".join(escape(f) for f in row) for row in rows]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


OUTCOME_COMMENT = """\
outcome.tsv - one test attempt's outcome from its phase reports.
Generated by tests/plugin/gen_vectors.py from a real pytest run: setup,
call, teardown are pytest's phase outcomes (- when the phase did not
report), wasxfail 1 when a report carried wasxfail, and outcome is what
pytest's terminal summary counts the test under (the worst of its
reports). A failing teardown makes an error, also after a failed call."""

GROUP_COMMENT = """\
group_suffix.tsv - a nodeid as reported and as collected.
Generated by tests/plugin/gen_vectors.py from real pytest-xdist runs:
reported is the item's nodeid as xdist reports it, xdist_group the group
xdist appended as "@group" (--dist loadgroup; - none), normalised the
nodeid as collected. Only a suffix xdist added is dropped: '@' in a name
or a parameter stays, and a group name may hold '@'."""


def main(directory):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    write(directory / "outcome.tsv", ("setup", "call", "teardown", "wasxfail", "outcome"),
          OUTCOME_COMMENT, outcome_rows())
    write(directory / "group_suffix.tsv", ("reported", "xdist_group", "normalised"),
          GROUP_COMMENT, group_rows())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/vectors")
