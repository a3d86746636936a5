"""The nodeid rules agree with the C library: same vector files."""

import subprocess
import sys

import pytest

import vectors
from histtest import REPO
from pytest_hist import nodeid as nid


HASH_ROWS = vectors.read("shard_hash")
KEY_ROWS = vectors.read("junit_key")
MODULE_ROWS = vectors.read("path_module")
SCOPE_ROWS = vectors.read("scope")


def test_vector_files_are_substantial():
    for rows in (HASH_ROWS, KEY_ROWS, MODULE_ROWS, SCOPE_ROWS):
        assert len(rows) > 70


def _rows(path):
    return sorted(line for line in path.read_text(encoding="utf-8").splitlines()
                  if not line.startswith("#"))


def test_vector_files_are_what_pytest_makes(tmp_path):
    """junit_key, path_module and scope are pytest's rules: running the
    generator again on this pytest gives the committed files' rows. (Their
    order is the collection's, which pytest 8 changed: a directory's files
    and subdirectories in one sorted order, no longer files first; and the
    header names the pytest that made them.)"""
    subprocess.run([sys.executable, str(REPO / "tests" / "vectors" / "generate.py"), str(tmp_path)],
                   check=True, capture_output=True)
    for rule in ("junit_key", "path_module", "scope"):
        assert _rows(tmp_path / f"{rule}.tsv") == _rows(vectors.DIR / f"{rule}.tsv"), rule


HASH_SHARDS = (2, 3, 4, 7, 8, 16)


@pytest.mark.parametrize("row", HASH_ROWS, ids=lambda r: r["nodeid"])
def test_hash_matches_c(row):
    nodeid = row["nodeid"]
    assert f"{nid.nodeid_hash(nodeid):016x}" == row["hash"]
    assert [nid.shard_of(nodeid, n) for n in HASH_SHARDS] == \
        [int(row[f"shard_of_{n}"]) for n in HASH_SHARDS]


def test_hash_known_values():
    assert nid.nodeid_hash("") == 0xEFD01F60BA992926
    assert nid.nodeid_hash("a") == 0x82A2A958A9BECE5B
    # Long input: the deferred reduction must still wrap at 64 bits.
    assert nid.nodeid_hash("x" * 1000) == 0x27C232BEF26106BA


def _chi_square(ids, n):
    bins = [0] * n
    for nodeid in ids:
        bins[nid.nodeid_hash(nodeid) % n] += 1
    expect = len(ids) / n
    return sum((b - expect) ** 2 / expect for b in bins)


# chi-square at p = 0.001 for n - 1 degrees of freedom: loose for a
# well-mixed hash (the ids are fixed, so this never flakes).
@pytest.mark.parametrize("n, bound", [(2, 10.83), (4, 16.27), (8, 24.32), (16, 37.70)])
def test_hash_spreads_evenly_on_powers_of_two(n, bound):
    numbered = [f"tests/test_x.py::test_{i}" for i in range(1000)]
    # a, q, A, Q share their low four bits: plain FNV-1a put all 1024 of
    # these on one shard of 2, 4, 8 or 16 (the C suite checks the same).
    high_bits = ["tests/test_x.py::test_" + "".join("aqAQ"[i >> (2 * c) & 3] for c in range(5))
                 for i in range(1024)]
    assert _chi_square(numbered, n) < bound
    assert _chi_square(high_bits, n) < bound


@pytest.mark.parametrize("row", KEY_ROWS, ids=lambda r: r["nodeid"])
def test_junit_key_matches_c(row):
    assert nid.junit_key(row["nodeid"]) == row["key"]


@pytest.mark.parametrize("row", MODULE_ROWS, ids=lambda r: r["path"])
def test_dotted_module_matches_c(row):
    assert nid.dotted_module(row["path"]) == row["module"]


@pytest.mark.parametrize("row", SCOPE_ROWS, ids=lambda r: r["nodeid"])
def test_module_scope_matches_c(row):
    # The plugin's only scope is the file (module); C checks all three.
    assert nid.file_of(row["nodeid"]) == row["module"]


def test_junit_key_matches_pytest_junitxml(pytester):
    """The key is what pytest's own junitxml writes, checked through its
    output rather than its internals."""
    pytester.makepyfile(**{"sub/test_k": """
        import pytest
        class TestK:
            class TestIn:
                @pytest.mark.parametrize("v", ["a::b", "c/d[e]", "f.py"])
                def test_p(self, v): pass
        def test_plain(): pass
    """})
    result = pytester.runpytest("--junitxml=out.xml", "-p", "no:cacheprovider",
                                "-o", "junit_family=xunit2", "-v", "sub/test_k.py")
    import xml.etree.ElementTree as ET
    cases = ET.parse(pytester.path / "out.xml").getroot().iter("testcase")
    written = {c.get("classname") + "::" + c.get("name") for c in cases}
    nodeids = [line.split(" ")[0] for line in result.outlines if " PASSED" in line]
    assert len(nodeids) == 4
    assert {nid.junit_key(n) for n in nodeids} == written


@pytest.mark.parametrize("nodeid,stripped", [
    ("t.py::test_x@grp", "t.py::test_x"),
    ("t.py::test_x[1]@grp", "t.py::test_x[1]"),
    ("t.py::TestK::test_x[a@b]", "t.py::TestK::test_x[a@b]"),
    ("t.py::test_x[a@b]@grp", "t.py::test_x[a@b]"),
    ("t.py::test_x[x]@y]", "t.py::test_x[x]@y]"),
    ("dir@1/t.py::test_x", "dir@1/t.py::test_x"),
    ("dir@1/t.py", "dir@1/t.py"),
    ("t.py::test_x", "t.py::test_x"),
])
def test_strip_group(nodeid, stripped):
    assert nid.strip_group(nodeid) == stripped


def test_file_of_and_dotted_module():
    assert nid.file_of("a/b.py::T::t[x::y]") == "a/b.py"
    assert nid.file_of("docs/test_x.txt") == "docs/test_x.txt"
    assert nid.dotted_module("a/b.py") == "a.b"
    assert nid.dotted_module("a/b.txt") == "a.b.txt"
