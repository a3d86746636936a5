"""plan.py - a hist plan as the plugin sees it: the N shard files.

Owns: reading shard-1.txt .. shard-N.txt, checking they form one plan, and
the rule that gives every nodeid exactly one owning shard.
Not here: pytest hooks (shard.py), hashing and JUnit keys (nodeid.py).

The owner of a test depends only on its nodeid and the plan, so every shard
(and every xdist worker) computes the same answer without talking to the
others; that is what makes "each test runs exactly once" hold.
"""

import json
import os
import re

from . import nodeid as nid

_PLAN_RE = re.compile(r"# hist plan ([0-9a-f]{16})\Z")
_SHARD_RE = re.compile(r"# shard ([0-9]+)/([0-9]+)\Z")
# histplan's count of the lines below it; a comment to people, and to the
# plugin the way to tell a whole file from one cut short.
_COUNT_RE = re.compile(r"# predicted [0-9.]+ s, ([0-9]+) tests\Z")
_SIBLING_RE = re.compile(r"shard-([0-9]+)\.txt\Z")

# histplan's HIST_MAX_SHARDS (lib/hist.h).
MAX_SHARDS = 1024

_REGENERATE = "write the shards again with histplan --out DIR"


class PlanError(Exception):
    """A shard file or plan the plugin cannot use; the text says why and
    what to do."""


class ShardFile:
    """One parsed shard file: plan id, k of N, and its lines in order."""

    def __init__(self, path, plan_id, index, total, lines):
        self.path = path
        self.plan_id = plan_id
        self.index = index
        self.total = total
        self.lines = lines


def read_shard_file(path):
    """Parse one shard file; PlanError names the file and line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise PlanError(f"{path}: no such shard file: check the path, or run "
                        f"histplan --out DIR to write the shards") from None
    except IsADirectoryError:
        raise PlanError(f"{path}: is a directory: pass one shard file, "
                        f"such as {os.path.join(path, 'shard-1.txt')}") from None
    except OSError as e:
        raise PlanError(f"{path}: cannot read shard file: {e.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        lineno = data.count(b"\n", 0, e.start) + 1
        if data.startswith(b"# hist plan") and lineno > 2:
            # histplan wrote it: a test file or directory named in another
            # encoding, which no collected (text) nodeid can match.
            raise PlanError(f"{path}:{lineno}: a test id that is not valid UTF-8 (a file or "
                            f"directory named in another encoding?): no collected test can "
                            f"match it; give the file a UTF-8 name, then {_REGENERATE}") from None
        raise PlanError(f"{path}:{lineno}: not valid UTF-8: is this a "
                        f"shard file? {_REGENERATE}") from None
    plan_id = None
    index = total = count = None
    lines = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.endswith("\r"):
            line = line[:-1]
        if not line:
            continue
        if line[0] == "#":
            if line.startswith("# hist plan"):
                m = _PLAN_RE.match(line)
                if not m:
                    raise PlanError(f"{path}:{lineno}: malformed plan line {line!r}: "
                                    f"expected '# hist plan' and 16 lowercase hex "
                                    f"digits; {_REGENERATE}")
                plan_id = m.group(1)
            elif line.startswith("# shard"):
                m = _SHARD_RE.match(line)
                if not m:
                    raise PlanError(f"{path}:{lineno}: malformed shard line {line!r}: "
                                    f"expected '# shard K/N'; {_REGENERATE}")
                if max(len(m.group(1)), len(m.group(2))) > len(str(MAX_SHARDS)):
                    # int() of thousands of digits raises ValueError, and a
                    # huge N would make load_plan list that many files.
                    raise PlanError(f"{path}:{lineno}: shard line {line[:60]!r}: N is at "
                                    f"most {MAX_SHARDS}; {_REGENERATE}")
                index, total = int(m.group(1)), int(m.group(2))
                if total > MAX_SHARDS:
                    raise PlanError(f"{path}:{lineno}: shard {index}/{total}: N is at "
                                    f"most {MAX_SHARDS}; {_REGENERATE}")
                if total < 1 or not 1 <= index <= total:
                    raise PlanError(f"{path}:{lineno}: shard {index}/{total}: the "
                                    f"index must be 1..N with N >= 1; {_REGENERATE}")
            else:
                m = _COUNT_RE.match(line)
                if m and count is None:
                    count = int(m.group(1))
            continue
        if plan_id is None or index is None:
            raise PlanError(f"{path}:{lineno}: test line before the '# hist plan' "
                            f"and '# shard K/N' header lines: this is not a hist "
                            f"shard file; {_REGENERATE}")
        lines.append(line)
    if plan_id is None or index is None:
        raise PlanError(f"{path}: no '# hist plan' and '# shard K/N' header lines: "
                        f"this is not a hist shard file; {_REGENERATE}")
    if count is not None and (len(lines) != count or not text.endswith("\n")):
        # A broken download or copy: the tests it lost would read as new
        # here and be placed by hash, while their shard runs them too.
        raise PlanError(f"{path}: not as histplan wrote it (a copy cut short, or edited): "
                        f"its header counts {count} tests, it lists {len(lines)}"
                        + ("" if text.endswith("\n") else ", the last without a line break")
                        + f"; copy the whole shards directory again or {_REGENERATE}")
    return ShardFile(path, plan_id, index, total, lines)


def _lineno(sf, line):
    """Where line is in shard file sf (for messages only: the plan keeps no
    line numbers, which would cost memory on every line of a big plan)."""
    with open(sf.path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if raw.rstrip(b"\r\n").decode("utf-8", "replace") == line:
                return lineno
    return 0


def _dotted_prefixes(classname):
    """"a.b.C" -> "a", "a.b", "a.b.C": every way a file's dotted name can
    begin this JUnit classname."""
    out = []
    end = classname.find(".")
    while end >= 0:
        out.append(classname[:end])
        end = classname.find(".", end + 1)
    out.append(classname)
    return out


class Plan:
    """All N shards of one plan and the owner rule.

    A listed line is matched against a collected nodeid exactly, else
    against its JUnit key (plans made from xunit2 history hold keys). A test
    no line matches is new: it goes to one of the shards that list its file,
    by the hash of its nodeid, or, when no shard lists the file, to the
    shard the hash of the file path names."""

    def __init__(self, shards):
        self.shards = shards                  # index -> ShardFile, 1..N
        self.plan_id = shards[1].plan_id
        self.total = shards[1].total
        self.owner_of_line = {}               # line -> shard
        heads = {}                            # text before "::" -> shards
        file_keys = {}                        # name of a "::name" line -> shards
        owner_of_line = self.owner_of_line
        for k in range(1, self.total + 1):
            sf = shards[k]
            for line in sf.lines:
                if line in owner_of_line:
                    earlier = shards[owner_of_line[line]]
                    raise PlanError(f"{sf.path}:{_lineno(sf, line)}: {line} is also "
                                    f"listed in {earlier.path}:{_lineno(earlier, line)}: a "
                                    f"plan lists each test once; {_REGENERATE}")
                owner_of_line[line] = k
                head, sep, name = line.partition("::")
                if head:
                    got = heads.get(head)
                    if got is None:
                        heads[head] = {k}
                    else:
                        got.add(k)
                elif sep:
                    file_keys.setdefault(name, set()).add(k)
        # Many lines share a head (their file, or a key's classname), so
        # the per-file tables are built once per head, not once per line.
        self._files = heads
        self._prefixes = self._key_prefixes(heads, file_keys)
        self.bracket_key_shards = set().union(*file_keys.values())
        self.has_keys = bool(self._prefixes)
        self._file_shards = {}
        self._path_shards = {}
        self.groups = None                    # GroupPlan, from plan.json

    def group_shard(self, key):
        """The shard of group key: the plan's, else (a group new since the
        plan) the one the stable hash of the key names."""
        k = self.groups.shard_of.get(key)
        return k if k is not None else nid.shard_of(key, self.total)

    @staticmethod
    def _key_prefixes(heads, file_keys):
        """Dotted module prefix -> shards whose JUnit key lines can match a
        test of a file with that dotted name."""
        prefixes = {}
        for head, ks in heads.items():
            # A JUnit classname never holds '/' (junitxml dots the path), so
            # a head that does is a nodeid's file, never a key. A head that
            # is a whole line (a file item's nodeid) is no key either, but
            # counting it only widens the superset.
            if "/" in head:
                continue
            for p in _dotted_prefixes(head):
                prefixes.setdefault(p, set()).update(ks)
        # "::name" is the key of a file-level item (a doctest file) or of a
        # nodeid whose path holds '['.
        for name, ks in file_keys.items():
            prefixes.setdefault(name, set()).update(ks)
        return prefixes

    def file_shards(self, path):
        """The sorted shards whose lines can match tests in file path
        (rootdir-relative, '/' separators): a superset, so no listed test
        is lost by skipping its file."""
        got = self._file_shards.get(path)
        if got is None:
            found = set(self._files.get(path, ()))
            if self.has_keys:
                found.update(self._prefixes.get(nid.dotted_module(path), ()))
                if "[" in path:
                    # junitxml splits such a nodeid at the path's '[': its
                    # key can be any "::name" key.
                    found.update(self.bracket_key_shards)
            got = tuple(sorted(found))
            self._file_shards[path] = got
        return got

    def owner(self, nodeid, group=None):
        """(shard, line or None) for a collected nodeid (as collected:
        items.py) whose group key is group (groups.py; None: in no group);
        line is the plan line it matched, None for a test new since the
        plan. A new test of a group goes where its group went."""
        node = nodeid
        hit = self.owner_of_line.get(node)
        if hit is not None:
            return hit, node
        if self.has_keys:
            key = nid.junit_key(node)
            hit = self.owner_of_line.get(key)
            if hit is not None:
                return hit, key
        if group is not None and self.groups is not None:
            return self.group_shard(group), None
        path = nid.file_of(node)
        candidates = self.file_shards(path)
        if len(candidates) > 1:
            return candidates[nid.nodeid_hash(node) % len(candidates)], None
        if candidates:
            return candidates[0], None
        return self._path_shard(path), None

    def _path_shard(self, path):
        # Cached: every test of an unlisted file asks for the same hash.
        got = self._path_shards.get(path)
        if got is None:
            got = self._path_shards[path] = nid.shard_of(path, self.total)
        return got

    def shard_may_own(self, k, path):
        """Whether shard k can own any test of file path."""
        candidates = self.file_shards(path)
        if candidates:
            return k in candidates
        return self._path_shard(path) == k


def load_plan(path):
    """Read shard file path and its siblings (shard-*.txt beside it) and
    check they are one whole plan. Returns (plan, the ShardFile of path)."""
    own = read_shard_file(path)
    directory = os.path.dirname(path) or "."
    try:
        names = sorted(os.listdir(directory))
    except OSError as e:
        raise PlanError(f"{directory}: cannot list the plan's directory: "
                        f"{e.strerror}") from None
    files = [own]
    for name in names:
        if not _SIBLING_RE.match(name):
            continue
        sibling = os.path.join(directory, name)
        try:
            if os.path.samefile(sibling, path):
                continue
        except OSError:
            pass
        files.append(read_shard_file(sibling))
    shards = {}
    for sf in files:
        if sf.plan_id != own.plan_id or sf.total != own.total:
            raise PlanError(f"{sf.path}: belongs to plan {sf.plan_id} "
                            f"({sf.total} shards) but {own.path} to plan "
                            f"{own.plan_id} ({own.total} shards): the directory "
                            f"mixes two plans; remove the stale files or "
                            f"{_REGENERATE}")
        if sf.index in shards:
            raise PlanError(f"{sf.path}: shard {sf.index}/{sf.total} again "
                            f"(also {shards[sf.index].path}): keep one file "
                            f"per shard; {_REGENERATE}")
        shards[sf.index] = sf
    missing = [k for k in range(1, own.total + 1) if k not in shards]
    if missing:
        names = ", ".join(f"shard-{k}.txt" for k in missing)
        raise PlanError(f"{directory}: plan {own.plan_id} has {own.total} shards "
                        f"but {names} is missing: every job needs the whole "
                        f"shards directory, since tests new since the plan are "
                        f"placed by what all shards hold")
    return Plan(shards), own


TEST_LISTS = ("collection", "history")


class GroupPlan:
    """plan.json's groups: the markers the suite was collected with, and
    each group's shard and listed tests."""

    def __init__(self, markers, shard_of, members):
        self.markers = markers        # names, in the order configured
        self.shard_of = shard_of      # key -> shard
        self.members = members        # listed nodeid -> key


def _read_groups(path, doc, total):
    markers = doc.get("group_markers")
    if markers is None:
        return None
    bad = f"{path}: not a histplan plan.json"
    if not isinstance(markers, list) or not all(isinstance(m, str) and m for m in markers):
        raise PlanError(f"{bad} (\"group_markers\" is not a list of names); {_REGENERATE}")
    shard_of, members = {}, {}
    units = doc.get("groups", [])
    if not isinstance(units, list):
        raise PlanError(f"{bad} (\"groups\" is not a list); {_REGENERATE}")
    for unit in units:
        key = unit.get("key") if isinstance(unit, dict) else None
        k = unit.get("shard") if isinstance(unit, dict) else None
        tests = unit.get("tests") if isinstance(unit, dict) else None
        if (not isinstance(key, str) or type(k) is not int or not 1 <= k <= total
                or not isinstance(tests, list) or not all(isinstance(n, str) for n in tests)
                or key in shard_of):
            raise PlanError(f"{bad} (a group is not a unique \"key\" with a \"shard\" in "
                            f"1..{total} and \"tests\"); {_REGENERATE}")
        shard_of[key] = k
        for nodeid in tests:
            members[nodeid] = key
    return GroupPlan(markers, shard_of, members)


def _check_counts(path, doc, shards):
    """A shard file that lists fewer tests than histplan wrote (a copy cut
    short, down to its header lines) would run the tests of other shards
    as new ones."""
    entries = doc.get("shards")
    for entry in entries if isinstance(entries, list) else ():
        k = entry.get("index") if isinstance(entry, dict) else None
        want = entry.get("tests") if isinstance(entry, dict) else None
        if type(k) is int and type(want) is int and k in shards and len(shards[k].lines) != want:
            raise PlanError(f"{shards[k].path}: lists {len(shards[k].lines)} "
                            f"tests but {path} says histplan wrote {want}: a copy cut short, "
                            f"or edited; copy the whole shards directory again or {_REGENERATE}")


def read_plan_json(shard_path, plan):
    """(test_list, groups) from plan.json beside the shard files: where
    the plan's test list came from, "collection" (histplan --tests, a
    collection of the tree) or "history"; and its GroupPlan, or None for
    a plan made without group markers. A plan without plan.json, or a
    plan.json without the key (older histplan), is "history": the lenient
    rules. Each of plan's shard files must list as many tests as its
    shard's "tests" in plan.json."""
    path = os.path.join(os.path.dirname(shard_path) or ".", "plan.json")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return "history", None
    except OSError as e:
        raise PlanError(f"{path}: cannot read: {e.strerror}") from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise PlanError(f"{path}: not a histplan plan.json ({e}); {_REGENERATE}") from None
    except RecursionError:
        # json nests by recursion: thousands of '[' would escape as an
        # internal error instead of this usage error.
        raise PlanError(f"{path}: not a histplan plan.json (nested too deep); "
                        f"{_REGENERATE}") from None
    if not isinstance(doc, dict):
        raise PlanError(f"{path}: not a histplan plan.json (no JSON object); {_REGENERATE}")
    got = doc.get("plan_id")
    if got is not None and got != plan.plan_id:
        raise PlanError(f"{path}: is of plan {got} but the shard files of plan {plan.plan_id}: "
                        f"the directory mixes two plans; {_REGENERATE}")
    _check_counts(path, doc, plan.shards)
    test_list = doc.get("test_list", "history")
    if test_list not in TEST_LISTS:
        raise PlanError(f"{path}: \"test_list\": {test_list!r} is neither \"collection\" "
                        f"nor \"history\"; {_REGENERATE}")
    return test_list, _read_groups(path, doc, plan.total)
