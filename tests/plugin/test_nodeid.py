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


def test_vector_files_are_what_pytest_makes(tmp_path):
    """junit_key, path_module and scope are pytest's rules: running the
    generator again on this pytest gives the committed files."""
    subprocess.run([sys.executable, str(REPO / "tests" / "vectors" / "generate.py"), str(tmp_path)],
                   check=True, capture_output=True)
    for rule in ("junit_key", "path_module", "scope"):
        assert (tmp_path / f"{rule}.tsv").read_text(encoding="utf-8") == \
            (vectors.DIR / f"{rule}.tsv").read_text(encoding="utf-8"), rule


@pytest.mark.parametrize("row", HASH_ROWS, ids=lambda r: r["nodeid"])
def test_hash_matches_c(row):
    nodeid = row["nodeid"]
    assert f"{nid.fnv1a64(nodeid):016x}" == row["fnv1a64"]
    assert [nid.shard_of(nodeid, n) for n in (3, 4, 7)] == \
        [int(row["shard_of_3"]), int(row["shard_of_4"]), int(row["shard_of_7"])]


def test_hash_known_values():
    assert nid.fnv1a64("") == 0xCBF29CE484222325
    assert nid.fnv1a64("a") == 0xAF63DC4C8601EC8C
    # Long input: the deferred reduction must still wrap at 64 bits.
    assert nid.fnv1a64("x" * 1000) < 2 ** 64


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
