"""groupsuite.py - random pytest suites with group markers, and their model.

A Suite is a model of a test tree: files with module marks, functions and
classes with marks, parametrized tests with per-parameter marks, and a
conftest that marks tests at collection. It writes itself as real files,
knows the nodeids pytest will collect and each test's group key under a
list of group markers (the rule of groups.py: the first configured marker,
the closest mark of that name), and changes itself as a suite changes
between a plan and a run (tests added, removed, renamed, moved between
groups and files). The model is computed apart from the plugin, so the
plugin is checked against it, not against itself."""

import copy
import random

MARKERS = ("serial", "db")
INI = ("[pytest]\nmarkers =\n    serial(name): one at a time\n"
       "    db(name): one database\n")
# The conftest marks every test whose function name holds "conf" with
# serial('conf') at collection, as a user's hook may (after the marks of
# the function itself, so they win over it; over class and module marks it
# wins).
CONFTEST = """\
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if "conf" in item.originalname:
            item.add_marker(pytest.mark.serial("conf"))
"""
CONF_MARK = ("serial", "conf", False)


class Func:
    def __init__(self, name, mark=None, params=None):
        self.name = name
        self.mark = mark          # (marker, value or None, as name= keyword) or None
        self.params = params      # None, or [(id, mark or None)]


class Cls:
    def __init__(self, name, mark=None, funcs=()):
        self.name = name
        self.mark = mark
        self.funcs = list(funcs)


class File:
    def __init__(self, path, mark=None, items=()):
        self.path = path
        self.mark = mark
        self.items = list(items)  # Func or Cls


def _decorator(mark, indent=""):
    name, value, keyword = mark
    if value is None:
        return f"{indent}@pytest.mark.{name}\n"
    arg = f"name={value!r}" if keyword else repr(value)
    return f"{indent}@pytest.mark.{name}({arg})\n"


def _mark_expr(mark):
    return _decorator(mark).strip()[1:]


def _func_source(f, indent=""):
    out = _decorator(f.mark, indent) if f.mark else ""
    args = "self" if indent else ""
    if f.params is not None:
        values = []
        for pid, mark in f.params:
            if mark:
                values.append(f"pytest.param({pid!r}, marks={_mark_expr(mark)}, id={pid!r})")
            else:
                values.append(f"pytest.param({pid!r}, id={pid!r})")
        out += f"{indent}@pytest.mark.parametrize('p', [{', '.join(values)}])\n"
        args = (args + ", p") if args else "p"
    return out + f"{indent}def {f.name}({args}): pass\n"


def _key(mark):
    name, value, _ = mark
    return name if value is None else f"{name}:{value}"


class Suite:
    def __init__(self, files):
        self.files = files        # path -> File

    # -- the tree ------------------------------------------------------
    def sources(self):
        out = {"pytest.ini": INI, "conftest.py": CONFTEST}
        for path, f in sorted(self.files.items()):
            text = "import pytest\n\n"
            if f.mark:
                text += f"pytestmark = {_mark_expr(f.mark)}\n\n"
            for item in f.items:
                if isinstance(item, Func):
                    text += _func_source(item) + "\n"
                else:
                    text += (_decorator(item.mark) if item.mark else "") + f"class {item.name}:\n"
                    text += "".join(_func_source(g, "    ") for g in item.funcs) or "    pass\n"
                    text += "\n"
            out[path] = text
        return out

    def write(self, root):
        # Files rewritten within a second keep their size and mtime:
        # stale bytecode would run the old tests.
        for old in list(root.rglob("test_*.py")) + list(root.rglob("*.pyc")):
            old.unlink()
        for path, text in self.sources().items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    # -- what pytest collects, and the groups -----------------------------
    def tests(self, markers):
        """[(nodeid, group key or None)] in collection order."""
        out = []
        for path in sorted(self.files, key=_collection_order):
            f = self.files[path]
            for item in f.items:
                if isinstance(item, Func):
                    out += self._func_tests(f"{path}::", item, [], f.mark, markers)
                else:
                    out += self._func_tests_all(f"{path}::{item.name}::", item, f.mark, markers)
        return out

    def _func_tests_all(self, prefix, cls, module_mark, markers):
        out = []
        for g in cls.funcs:
            out += self._func_tests(prefix, g, [cls.mark], module_mark, markers)
        return out

    @staticmethod
    def _func_tests(prefix, f, outer, module_mark, markers):
        conf = [CONF_MARK] if "conf" in f.name else []
        cases = [(f"[{pid}]", [mark]) for pid, mark in f.params] if f.params is not None \
            else [("", [])]
        out = []
        for suffix, param_marks in cases:
            # Closest first: the function's own marks (decorator, then the
            # parameter's, then the conftest's), its class, its module.
            chain = [f.mark] + param_marks + conf + outer + [module_mark]
            chain = [m for m in chain if m]
            key = None
            for name in markers:
                hit = next((m for m in chain if m[0] == name), None)
                if hit:
                    key = _key(hit)
                    break
            out.append((prefix + f.name + suffix, key))
        return out

    # -- changes between the plan and the run -----------------------------
    def funcs(self):
        """[(file, container list, Func)] of every function."""
        out = []
        for path in sorted(self.files):
            f = self.files[path]
            for item in f.items:
                if isinstance(item, Func):
                    out.append((f, f.items, item))
                else:
                    out += [(f, item.funcs, g) for g in item.funcs]
        return out

    def marks(self):
        """Every distinct mark the suite uses."""
        seen = []
        for f in self.files.values():
            for m in [f.mark] + [i.mark for i in f.items]:
                if m and m not in seen:
                    seen.append(m)
        for _, _, g in self.funcs():
            for m in [g.mark] + [mk for _, mk in g.params or []]:
                if m and m not in seen:
                    seen.append(m)
        return seen


def _collection_order(path):
    # pytest walks a directory's files before its subdirectories, each in
    # name order.
    parts = path.split("/")
    return tuple((1, p) for p in parts[:-1]) + ((0, parts[-1]),)


class Maker:
    """Random suites and random changes, from one seed."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.serial = 0

    def name(self, prefix="test_"):
        self.serial += 1
        tag = self.rng.choice(["", "", "", "conf_"])
        return f"{prefix}{tag}{self.serial}"

    def mark(self, p=0.5, values=("a", "b", "c", "d")):
        rng = self.rng
        if rng.random() >= p:
            return None
        value = rng.choice((None,) + tuple(values))
        return (rng.choice(MARKERS), value, value is not None and rng.random() < 0.3)

    def func(self):
        rng = self.rng
        params = None
        if rng.random() < 0.3:
            params = [(f"x{i}", self.mark(0.3)) for i in range(rng.randint(1, 3))]
        return Func(self.name(), self.mark(0.5), params)

    def suite(self):
        rng = self.rng
        files = {}
        dirs = ["", "", "sub/", "sub/deep/"]
        for i in range(rng.randint(2, 5)):
            path = f"{rng.choice(dirs)}test_f{i}.py"
            items = []
            for _ in range(rng.randint(1, 5)):
                if rng.random() < 0.25:
                    items.append(Cls(f"Test{self.name('K')}", self.mark(0.4),
                                     [self.func() for _ in range(rng.randint(1, 3))]))
                else:
                    items.append(self.func())
            files[path] = File(path, self.mark(0.25), items)
        return Suite(files)

    CHANGES = ("add_to_group", "add_new_group", "add_plain", "regroup", "ungroup",
               "group_free", "remove", "rename", "move_file", "new_file", "remove_file")

    def change(self, suite, kind=None):
        """A changed copy of suite and what changed."""
        rng = self.rng
        s = copy.deepcopy(suite)
        kind = kind or rng.choice(self.CHANGES)
        funcs = s.funcs()
        marks = s.marks() or [("serial", "a", False)]
        f, where, g = rng.choice(funcs)
        if kind == "add_to_group":
            where.append(Func(self.name(), rng.choice(marks)))
        elif kind == "add_new_group":
            where.append(Func(self.name(), (rng.choice(MARKERS), "new", False)))
        elif kind == "add_plain":
            where.append(Func(self.name()))
        elif kind == "regroup":
            g.mark = rng.choice(marks + [(rng.choice(MARKERS), "new", False)])
        elif kind == "ungroup":
            g.mark = None
            f.mark = None
        elif kind == "group_free":
            g.mark = rng.choice(marks)
        elif kind == "remove" and len(funcs) > 1:
            where.remove(g)
        elif kind == "rename":
            g.name = self.name()
        elif kind == "move_file":
            where.remove(g)
            other = s.files[rng.choice(sorted(s.files))]
            other.items.append(g)
        elif kind == "new_file":
            path = f"test_new{self.serial}.py"
            s.files[path] = File(path, None, [Func(self.name(), rng.choice(marks + [None]))])
        elif kind == "remove_file" and len(s.files) > 1:
            del s.files[rng.choice(sorted(s.files))]
        return s, kind
