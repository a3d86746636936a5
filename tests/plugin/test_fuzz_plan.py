"""A mutation fuzzer for the plugin's shard-file reader (Debian packages no
coverage-guided Python fuzzer; atheris is not in bookworm). Seeds are real
plans; each case mutates one or two shard files, then reading the plan
must give one whose owner rule answers, or a PlanError: never another
exception, and never more than a moment (fuzzplan.py). HIST_FUZZ_CASES sets the number of cases
(300 in make check); HIST_FUZZ_SEED the seed."""

import os
import random

from fuzzplan import read_or_refuse
from histtest import PLAN_ID, write_plan

SEEDS = [
    [["tests/test_a.py::test_one", "tests/test_a.py::K::test_two[x-1]"],
     ["tests/sub/test_b.py::test_three[a::b/c]", "tests.test_c::test_key"]],
    [["::doc.txt", "a.py::t@grp"], ["b.py::u[é]"], ["c.py"]],
]

TOKENS = [b"# hist plan ", b"# shard ", PLAN_ID.encode(), b"/", b"::", b"[", b"]", b"@", b".py",
          b"\r", b"\n", b"\x00", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"9" * 30, b"1" * 5000,
          b"0", b"-1", b"1024", b"1025", b"4294967297", b"#", b" "]


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randint(0, len(data))
        if op == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1:
            data[pos:pos] = rng.choice(TOKENS)
        elif op == 2 and data:
            end = min(len(data), pos + rng.randint(1, 40))
            del data[pos:end]
        elif op == 3:
            lines = data.split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
            data = bytearray(b"\n".join(lines))
        elif op == 4:
            # A shard header with an odd number.
            data[pos:pos] = b"\n# shard %d/%s\n" % (rng.randint(0, 3), rng.choice(TOKENS[-9:]))
        else:
            data = data[:pos]
    return bytes(data)


def run_case(tmp, rng, case):
    shards = SEEDS[case % len(SEEDS)]
    d = tmp / f"c{case}"
    d.mkdir()
    paths = write_plan(d, shards)
    for p in rng.sample(paths, rng.randint(1, min(2, len(paths)))):
        p.write_bytes(mutate(rng, p.read_bytes()))
    if rng.random() < 0.1:
        (d / f"shard-{rng.choice([0, 9, 1024, 10**6])}.txt").write_bytes(paths[0].read_bytes())
    read_or_refuse(str(paths[0]), lambda: f"case {case}: {[p.read_bytes()[:200] for p in paths]}")


def test_mutated_shard_files_load_or_fail_with_plan_error(tmp_path):
    cases = int(os.environ.get("HIST_FUZZ_CASES", "300"))
    rng = random.Random(int(os.environ.get("HIST_FUZZ_SEED", "16")))
    for case in range(cases):
        run_case(tmp_path, rng, case)
