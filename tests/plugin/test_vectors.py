"""The shared vectors tests/vectors/outcome.tsv and group_suffix.tsv: the
files are what real pytest runs give today (gen_vectors.py runs them
again), and the plugin agrees with every row. The C tests read the same
files."""

import pytest

import gen_vectors
import vectors
from histtest import read_report
from pytest_hist.report import attempt_outcome


def read_tsv(name):
    """(header, rows as tuples) of tests/vectors/<name>, by the shared reader."""
    rows = vectors.read(name[:-len(".tsv")])
    header = list(rows[0]) if rows else []
    return header, [tuple(r[c] for c in header) for r in rows]


def test_outcome_vectors_are_what_pytest_says():
    header, rows = read_tsv("outcome.tsv")
    assert header == ["setup", "call", "teardown", "wasxfail", "outcome"]
    assert rows == [tuple(r) for r in gen_vectors.outcome_rows()]


def test_group_suffix_vectors_are_what_xdist_does():
    header, rows = read_tsv("group_suffix.tsv")
    assert header == ["reported", "xdist_group", "normalised"]
    assert rows == [tuple(r) for r in gen_vectors.group_rows()]


@pytest.mark.parametrize("row", read_tsv("outcome.tsv")[1], ids="-".join)
def test_attempt_outcome_follows_the_vectors(row):
    *phases, wasxfail, outcome = row
    reports = [(when, got, wasxfail == "1" and when != "teardown")
               for when, got in zip(("setup", "call", "teardown"), phases) if got != "-"]
    assert attempt_outcome(reports) == outcome


def test_reports_name_tests_as_the_group_vectors_say(hist, pytester):
    """A real loadgroup run's --hist-report: every nodeid is the
    "normalised" of its "reported" row."""
    for name, text in gen_vectors.GROUP_TESTS.items():
        if name != "conftest.py":
            (pytester.path / name).write_text(text)
    conftest = gen_vectors.GROUP_TESTS["conftest.py"]
    (pytester.path / "conftest.py").write_text(conftest.split("COLLECTED = {}")[0])
    result = hist.run("--hist-report", "r.jsonl", "--dist", "loadgroup", xdist=2)
    assert result.ret == 0, result.stdout.str()
    got = sorted(r["nodeid"] for r in read_report(pytester.path / "r.jsonl") if r["type"] == "test")
    _, rows = read_tsv("group_suffix.tsv")
    grouped = {reported: normalised for reported, group, normalised in rows if group != "-"}
    assert len(grouped) == 4
    assert got == sorted({normalised for _, _, normalised in rows})
    assert not set(got) & set(grouped)
