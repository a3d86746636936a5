"""The nodeid rules agree with the C library: same vector files."""

import pytest

from histtest import REPO
from pytest_hist import nodeid as nid


def vectors(name):
    rows = []
    with open(REPO / "tests" / name, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                rows.append(line.split("\t"))
    return rows


HASH_ROWS = vectors("hash_vectors.tsv")
KEY_ROWS = vectors("junit_key_vectors.tsv")


def test_vector_files_are_substantial():
    assert len(HASH_ROWS) > 70
    assert len(KEY_ROWS) > 70


@pytest.mark.parametrize("row", HASH_ROWS, ids=lambda r: r[0])
def test_hash_matches_c(row):
    nodeid, hexhash, of3, of4, of7 = row
    assert f"{nid.fnv1a64(nodeid):016x}" == hexhash
    assert [nid.shard_of(nodeid, n) for n in (3, 4, 7)] == [int(of3), int(of4), int(of7)]


def test_hash_known_values():
    assert nid.fnv1a64("") == 0xCBF29CE484222325
    assert nid.fnv1a64("a") == 0xAF63DC4C8601EC8C
    # Long input: the deferred reduction must still wrap at 64 bits.
    assert nid.fnv1a64("x" * 1000) < 2 ** 64


@pytest.mark.parametrize("row", KEY_ROWS, ids=lambda r: r[0])
def test_junit_key_matches_c(row):
    nodeid, key = row
    assert nid.junit_key(nodeid) == key


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
