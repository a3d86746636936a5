#!/usr/bin/python3
"""generate.py - the vector files whose rule is pytest's, made by pytest.

Builds a small tree of test files in a temporary directory, runs the real
pytest on it (/usr/bin/python3 -m pytest --junitxml, with a conftest that
records each item's nodeid and its class and module nodes), and writes:

  junit_key.tsv    nodeid -> classname::name as junitxml wrote them
  path_module.tsv  file path -> the dotted module junitxml names it by
  scope.tsv        nodeid -> the nodeids of its class and module nodes

A few nodeids no tree can produce (a bare "x") go through pytest's own
mangle_test_address instead; their `source` column says so.
shard_hash.tsv is hist's rule, not pytest's: this script leaves it alone.

Run from anywhere: /usr/bin/python3 tests/vectors/generate.py [OUTDIR]
(OUTDIR defaults to tests/vectors; tests/plugin/test_nodeid.py runs it into
a temporary one and compares, so the committed files stay pytest's.)
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "plugin"))
import vectors  # noqa: E402  (tests/plugin/vectors.py)

CONFTEST = '''
import json, os
import pytest

class DataFile(pytest.File):
    def collect(self):
        yield DataItem.from_parent(self, name="test_x")

class DataItem(pytest.Item):
    def runtest(self):
        pass
    def reportinfo(self):
        return self.path, 0, self.name

def pytest_collect_file(file_path, parent):
    # Files pytest has no collector for, so their items show how junitxml
    # names a path that is not a .py module.
    if file_path.name in ("py", "notes.txt", "data.py.yaml"):
        return DataFile.from_parent(parent, path=file_path)

def pytest_collection_modifyitems(session, config, items):
    rows = []
    for item in items:
        f = item.getparent(pytest.File)
        c = item.getparent(pytest.Class)
        rows.append([item.nodeid, (c or f).nodeid, f.nodeid])
    with open(os.environ["HIST_VECTORS_SCOPES"], "w", encoding="utf-8") as out:
        json.dump(rows, out)

def pytest_runtest_setup(item):
    item.user_properties.append(("nodeid", item.nodeid))
'''

# Parameter ids that put "::", "/", "[", "]", ".", ":", blanks and non-ASCII
# where the rules must not split.
PARAMS = [
    "é", "cf/", "d1ho55", "", "_jéh", "g2", "e1d4n-8é", "xtpl9pf", ":s3eh._kvj-",
    "1uv9w3-2", "]97e", "8:sy7wb[w", "sip", ":z", "r_w8yojf", "aj_é",
    ".468d[80zzz", "v", "ég", "4yj", "hh-[]]t", "q]9k bn xj9", "f9q xkwoéé",
    "mpzom -wb", "93w", "o", "]44", "6f7hym]l/5vf", "fkkibj2[6j4", "00",
    "g i/mnbqns", "é_id", "_.iéj .b", "4h0du8 ", "0", "g.:0be:u4.3.", "].p9 q0m",
    ":ue7p/", "j", "i[og", "k/.", "fxbv0", " 4s.e", "rclr", "qzjé.1-9uf",
    "erb5fq", "h[av", "dlmt", ":.8l", ".]p", "7-éz.t", "5izwdiae5q/", ".7s3p9",
    ":aqx", "nwla", "a::b", "c/d[e]", "f.py", "x@y", "a::b/c[d]", "with space",
    "ünïcødé-✓", "1.py",
]


def tree():
    files = {
        "conftest.py": CONFTEST,
        "pytest.ini": "[pytest]\npython_files = test_*.py a.py\n"
        "disable_test_id_escaping_and_forfeit_all_rights_to_community_support = true\n",
        "tests/test_a.py": """
            def test_one(): pass
            class TestK:
                def test_two(self): pass
        """,
        "tests/sub/test_b.py": """
            import pytest
            class TestOuter:
                class TestInner:
                    @pytest.mark.parametrize("a,b", [(1, 2)])
                    def test_x(self, a, b): pass
        """,
        "tests/deep/er/still/test_q.py": """
            import pytest
            class TestA:
                @pytest.mark.parametrize("v", [0], ids=["p0-p1-'quoted'-\\"dq\\""])
                def test_b(self, v): pass
        """,
        "test_c.py": """
            import pytest
            @pytest.mark.parametrize("v", [0, 1, 2, 3, 4], ids=["a::b/c[d]", "with space", "ünïcødé-✓", "", "x@y"])
            def test_p(v): pass
        """,
        "test_e.py": """
            import pytest
            class TestE:
                @pytest.mark.parametrize("v", [0], ids=["x@y"])
                def test_f(self, v): pass
            @pytest.mark.parametrize("v", range(4))
            def test_g(v): pass
        """,
        "a.py": """
            import pytest
            @pytest.mark.parametrize("v", [0], ids=["1.py"])
            def test_x(v): pass
        """,
        "dir.py/test_y.py": "def test_z(): pass\n",
        "py/test_pkg.py": "def test_w(): pass\n",
        "pkg/__init__.py": "",
        "pkg/mod.py": '''
            def func():
                """
                >>> 1 + 1
                2
                """
        ''',
        "pkg/py": "",
        "pkg/sub/notes.txt": "",
        "data.py.yaml": "",
        "tests/test_doc.txt": ">>> 1 + 1\n2\n",
    }
    # One file per parameter id, spread over a few directories.
    for i, p in enumerate(PARAMS):
        files[f"t{i % 5}/test_{i}.py"] = (
            "import pytest\n"
            f"@pytest.mark.parametrize('v', [0], ids=[{p!r}])\n"
            f"def test_p{i}(v): pass\n"
        )
    return files


# Nodeids no tree gives: pytest's own function names them.
SYNTHETIC = ["x", "tests/test_doc.txt", "a/py", "pkg.py/py::t", "c.pyx::t", "py::t", ".py::t"]


def run_pytest(root):
    # No plugins but pytest's own: the rows are pytest's, whatever is installed.
    env = dict(os.environ, HIST_VECTORS_SCOPES=str(root / "scopes.json"), PYTHONDONTWRITEBYTECODE="1",
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    for k in [k for k in env if k.startswith(("PYTEST_", "HIST_")) and k not in
              ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "HIST_VECTORS_SCOPES")]:
        del env[k]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--junitxml=out.xml", "-o", "junit_family=xunit1", "--doctest-modules",
           "--doctest-glob=test_doc.txt", "--import-mode=importlib", "--rootdir", str(root), "."]
    r = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"generate.py: pytest failed:\n{r.stdout}\n{r.stderr}")
    keys = {}
    for case in ET.parse(root / "out.xml").iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        keys[props["nodeid"]] = (case.get("classname"), case.get("name"))
    with open(root / "scopes.json", encoding="utf-8") as f:
        scopes = json.load(f)
    return keys, scopes


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else vectors.DIR
    from _pytest.junitxml import mangle_test_address  # the generator only; never the plugin

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for name, text in tree().items():
            p = root / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        keys, scopes = run_pytest(root)

    key_rows, module_rows, scope_rows, seen_paths = [], [], [], set()
    for nodeid, cls, module in scopes:
        classname, name = keys[nodeid]
        key_rows.append({"nodeid": nodeid, "key": f"{classname}::{name}", "source": "junitxml"})
        scope_rows.append({"nodeid": nodeid, "class": cls, "module": module})
        # A test outside any class: its classname is its file's module.
        if cls == module and module not in seen_paths and "::" not in module:
            seen_paths.add(module)
            module_rows.append({"path": module, "module": classname, "source": "junitxml"})
    for nodeid in SYNTHETIC:
        names = mangle_test_address(nodeid)
        key_rows.append({"nodeid": nodeid, "key": ".".join(names[:-1]) + "::" + names[-1],
                         "source": "mangle_test_address"})
        path = nodeid.split("::")[0]
        if path not in seen_paths:
            seen_paths.add(path)
            module_rows.append({"path": path, "module": mangle_test_address(path)[0],
                                "source": "mangle_test_address"})

    import pytest
    made = f"made by tests/vectors/generate.py from pytest {pytest.__version__}; do not edit"
    vectors.write("junit_key", ["nodeid", "key", "source"], key_rows,
                  "pytest's junitxml key of a nodeid: classname::name (mangle_test_address).\n" + made, out)
    vectors.write("path_module", ["path", "module", "source"], module_rows,
                  "The dotted module junitxml names a file path by: '/' -> '.', then a final\n"
                  "\".py\" dropped (so \"pkg/py\" is \"pkg\").\n" + made, out)
    vectors.write("scope", ["nodeid", "class", "module"], scope_rows,
                  "The nodeids of an item's class node (its module's when it is in no\n"
                  "class) and of its module (file) node.\n" + made, out)
    print(f"generate.py: {len(key_rows)} keys, {len(module_rows)} paths, {len(scope_rows)} scopes")


if __name__ == "__main__":
    main()
