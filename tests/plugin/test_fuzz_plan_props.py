"""Property-based fuzzing (Hypothesis, Debian's python3-hypothesis) of what
the plugin reads of a plan for --shard-file: the shard files (load_plan)
and plan.json (read_plan_json). Seeds are real plans made by histplan,
the four seed archives of tests/fuzz/corpus/plan/ (scripts/fixtures/
make-plan-fuzz-seeds.sh). Each example mutates the bytes of one or two of
their files (byte flips, tokens, cuts, truncation, repeated lines, JSON
values replaced); reading must then give a plan whose owner rule answers,
or a PlanError with a message (which the plugin turns into
pytest.UsageError), never another exception and never more than a moment.
HIST_FUZZ_EXAMPLES sets the examples (150 in make check, derandomized so
every run tries the same; `make fuzz` runs many more at random)."""

import json
import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fuzzplan import read_or_refuse
from histtest import REPO

SEED_DIR = REPO / "tests" / "fuzz" / "corpus" / "plan"
EXAMPLES = int(os.environ.get("HIST_FUZZ_EXAMPLES", "150"))


def unpack(archive):
    """{name: bytes} of a fuzz_plan archive: "@@ NAME" lines start files,
    bytes before the first are plan.json. Reports are left out."""
    files, name, start = {}, "plan.json", 0
    data = archive.read_bytes()
    for m in re.finditer(rb"^@@ (\S+)\n", data, re.M):
        files[name] = data[start:m.start()]
        name, start = m.group(1).decode(), m.end()
    files[name] = data[start:]
    return {k: v for k, v in files.items() if not k.startswith("report-")}


# The real plans only: the rest of that corpus is what fuzz_plan found.
SEEDS = [unpack(SEED_DIR / name) for name in
         ("history-plan", "history-plan-run", "collection-plan-run", "collection-plan-odd-run")]

TOKENS = [b"# hist plan ", b"# shard ", b"/", b"::", b"[", b"]", b"@", b".py", b"\r", b"\n",
          b"\x00", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"9" * 30, b"1" * 5000,
          b"0", b"-1", b"1024", b"1025", b"#", b" ", b"{", b"}", b'"', b"\\u0000", b"\\ud800",
          b'"test_list"', b'"plan_id"', b"[" * 5000, b"1e999", b"NaN"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) |
    st.sampled_from(["collection", "history", "0123456789abcdef"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8)

byte_ops = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 16), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 16), st.sampled_from(TOKENS)),
    st.tuples(st.just("bytes"), st.integers(0, 1 << 16), st.binary(max_size=12)),
    st.tuples(st.just("cut"), st.integers(0, 1 << 16), st.integers(1, 60)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 16)),
    st.tuples(st.just("dupline"), st.integers(0, 1 << 16), st.integers(0, 1 << 16)),
    st.tuples(st.just("json"), st.sampled_from(["plan_id", "test_list", "shard_count", "x"]),
              json_values),
)


def apply(data, op):
    data = bytearray(data)
    pos = op[1] % (len(data) + 1) if isinstance(op[1], int) else 0
    if op[0] == "flip" and data:
        data[pos % len(data)] = op[2]
    elif op[0] in ("insert", "bytes"):
        data[pos:pos] = op[2]
    elif op[0] == "cut":
        del data[pos:pos + op[2]]
    elif op[0] == "truncate":
        del data[pos:]
    elif op[0] == "dupline":
        lines = data.split(b"\n")
        lines.insert(op[2] % (len(lines) + 1), lines[pos % len(lines)])
        data = bytearray(b"\n".join(lines))
    elif op[0] == "json":
        try:
            doc = json.loads(bytes(data))
        except (ValueError, RecursionError):
            return bytes(data)
        if isinstance(doc, dict):
            doc[op[1]] = op[2]
            data = bytearray(json.dumps(doc).encode())
    return bytes(data)


file_mutations = st.tuples(st.integers(0, 1 << 8), st.lists(byte_ops, min_size=1, max_size=4))


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          derandomize="HIST_FUZZ_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.integers(0, 1 << 8), mutations=st.lists(file_mutations, min_size=1, max_size=2),
       extra=st.none() | st.sampled_from([0, 9, 1024, 10**6]))
# Found by this test: json.loads raised RecursionError (an INTERNALERROR).
@example(seed=0, mutations=[(0, [("insert", 0, b"[" * 5000)])], extra=None)
def test_mutated_plans_load_or_fail_with_plan_error(seed, mutations, extra):
    files = dict(SEEDS[seed % len(SEEDS)])
    names = sorted(files)
    for which, ops in mutations:
        name = names[which % len(names)]
        for op in ops:
            files[name] = apply(files[name], op)
    with tempfile.TemporaryDirectory(prefix="hist-fuzz-plan-") as tmp:
        d = Path(tmp)
        for name, data in files.items():
            (d / name).write_bytes(data)
        if extra is not None:
            (d / f"shard-{extra}.txt").write_bytes(files.get("shard-1.txt", b""))
        read_or_refuse(str(d / "shard-1.txt"), lambda: {n: v[:200] for n, v in files.items()})
