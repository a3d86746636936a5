"""plugin_collect.py - what the plugin adds to `pytest --collect-only` on a
generated 100,000-item parametrised suite. Run by bench/plugin_collect.sh.

Cases (each the median of RUNS runs, wall time of the whole pytest process):
  base      plugin not loaded
  loaded    plugin loaded, no option
  shard     --shard-file shard-1 of a 4-shard plan that lists every test
  keys      the same plan written as JUnit keys (xunit2 history)
  new       a plan whose shards 1 and 2 list one test of the file each: the
            other 99,998 are new, each placed by the hash of its nodeid
            (the slowest path)
  report    --hist-report on top of shard
-qq keeps pytest's own printing the same size in every case."""

import os
import statistics
import subprocess
import sys
import tempfile
import time

ITEMS = int(os.environ.get("ITEMS", "100000"))
RUNS = int(os.environ.get("RUNS", "5"))
SHARDS = 4
PLUGIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plugin")
sys.path.insert(0, PLUGIN)
from pytest_hist.nodeid import junit_key  # noqa: E402


def write_plan(directory, lines, plan_id):
    os.makedirs(directory, exist_ok=True)
    for k in range(SHARDS):
        part = lines[k::SHARDS]
        with open(os.path.join(directory, f"shard-{k + 1}.txt"), "w", encoding="utf-8") as f:
            f.write(f"# hist plan {plan_id}\n# shard {k + 1}/{SHARDS}\n")
            f.write(f"# predicted 1.000 s, {len(part)} tests\n")
            f.writelines(line + "\n" for line in part)


def timed(cwd, args):
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               PYTHONPATH=os.path.abspath(PLUGIN))
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-qq"] + args
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"plugin_collect: {' '.join(cmd)} failed:\n{done.stdout.decode()[-2000:]}")
    return elapsed, done.stdout.decode()


def main():
    with tempfile.TemporaryDirectory(prefix="hist-collect-") as d:
        with open(os.path.join(d, "test_big.py"), "w") as f:
            f.write("import pytest\n\n\n@pytest.mark.parametrize('i', range(%d))\n"
                    "def test_item(i):\n    pass\n" % ITEMS)
        open(os.path.join(d, "pytest.ini"), "w").write("[pytest]\n")
        nodeids = [f"test_big.py::test_item[{i}]" for i in range(ITEMS)]
        write_plan(os.path.join(d, "plan"), nodeids, "00000000000000a1")
        write_plan(os.path.join(d, "keys"), [junit_key(n) for n in nodeids], "00000000000000a2")
        write_plan(os.path.join(d, "new"), nodeids[:2], "00000000000000a3")
        p = ["-p", "pytest_hist.plugin"]
        cases = [
            ("base", []),
            ("loaded", p),
            ("shard", p + ["--shard-file", "plan/shard-1.txt"]),
            ("keys", p + ["--shard-file", "keys/shard-1.txt"]),
            ("new", p + ["--shard-file", "new/shard-1.txt"]),
            ("report", p + ["--shard-file", "plan/shard-1.txt", "--hist-report", "r.jsonl.gz"]),
        ]
        times = {name: [] for name, _ in cases}
        for _ in range(RUNS):
            # Interleaved, so a busy moment on the machine hits every case.
            for name, args in cases:
                elapsed, out = timed(d, args)
                times[name].append(elapsed)
                if name == "shard":
                    assert f"test_big.py: {ITEMS // SHARDS}" in out, out[-500:]
        base = statistics.median(times["base"])
        print(f"plugin_collect: {ITEMS} items, {SHARDS}-shard plan, median of {RUNS} runs "
              f"(pytest --collect-only -qq, wall)")
        for name, _ in cases:
            med = statistics.median(times[name])
            print(f"  {name:<7} {med:7.3f} s   added {med - base:+.3f} s")


if __name__ == "__main__":
    main()
