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
  deselect  no hist, a 5-line plugin that deselects the same 75%: the part
            of "shard" that is pytest's own cost of deselecting items
and, on the same 100,000 items spread over 100 files of 1,000:
  files-base   plugin not loaded
  files-shard  shard 1 of a 4-shard plan that keeps each file whole: the
               shard collects only its 25 files
-qq keeps pytest's own printing small in every case."""

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


DESELECT = """import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    config.hook.pytest_deselected(items=[it for i, it in enumerate(items) if i % 4])
    items[:] = items[::4]
"""


def timed(cwd, args):
    """(wall seconds, CPU seconds, output) of one pytest process. CPU time
    (user + system, from wait4) is steadier than wall on a busy machine."""
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               PYTHONPATH=os.path.abspath(PLUGIN) + os.pathsep + os.path.dirname(cwd))
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-qq"] + args
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if proc.returncode != 0:
        sys.exit(f"plugin_collect: {' '.join(cmd)} failed:\n{text[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, text


def main():
    with tempfile.TemporaryDirectory(prefix="hist-collect-") as top:
        # Two suites side by side, each its own rootdir.
        d = os.path.join(top, "one")
        os.makedirs(d)
        with open(os.path.join(top, "deselect75.py"), "w") as f:
            f.write(DESELECT)
        with open(os.path.join(d, "test_big.py"), "w") as f:
            f.write("import pytest\n\n\n@pytest.mark.parametrize('i', range(%d))\n"
                    "def test_item(i):\n    pass\n" % ITEMS)
        open(os.path.join(d, "pytest.ini"), "w").write("[pytest]\n")
        nodeids = [f"test_big.py::test_item[{i}]" for i in range(ITEMS)]
        files = os.path.join(top, "files")
        os.makedirs(files)
        open(os.path.join(files, "pytest.ini"), "w").write("[pytest]\n")
        per_file = ITEMS // 100
        by_file = []
        for m in range(100):
            with open(os.path.join(files, f"test_m{m:03d}.py"), "w") as f:
                f.write("import pytest\n\n\n@pytest.mark.parametrize('i', range(%d))\n"
                        "def test_item(i):\n    pass\n" % per_file)
            by_file.append([f"test_m{m:03d}.py::test_item[{i}]" for i in range(per_file)])
        whole = []
        for k in range(SHARDS):
            for m in range(k, 100, SHARDS):
                whole.extend(by_file[m])
        # write_plan deals lines round-robin; order them so each file lands whole.
        dealt = [None] * len(whole)
        size = len(whole) // SHARDS
        for k in range(SHARDS):
            dealt[k::SHARDS] = whole[k * size:(k + 1) * size]
        write_plan(os.path.join(files, "plan"), dealt, "00000000000000a4")
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
            ("deselect", ["-p", "deselect75"]),
        ]
        cases += [
            ("files-base", []),
            ("files-shard", p + ["--shard-file", "plan/shard-1.txt"]),
        ]
        times = {name: [] for name, _ in cases}
        cpu = {name: [] for name, _ in cases}
        for name, args in cases:
            # One run unmeasured: bytecode caches and the page cache warm up.
            timed(files if name.startswith("files") else d, args)
        for _ in range(RUNS):
            # Interleaved, so a busy moment on the machine hits every case.
            for name, args in cases:
                elapsed, used, out = timed(files if name.startswith("files") else d, args)
                times[name].append(elapsed)
                cpu[name].append(used)
                if name == "shard":
                    assert f"test_big.py: {ITEMS // SHARDS}" in out, out[-500:]
                if name == "files-shard":
                    assert out.count(f": {per_file}") == 25, out[-500:]
        base = statistics.median(times["base"])
        files_base = statistics.median(times["files-base"])
        cpu_base = statistics.median(cpu["base"])
        cpu_files_base = statistics.median(cpu["files-base"])
        print(f"plugin_collect: {ITEMS} items, {SHARDS}-shard plan, median of {RUNS} runs "
              f"(pytest --collect-only -qq; wall, and CPU user+system)")
        for name, _ in cases:
            med = statistics.median(times[name])
            ref = files_base if name.startswith("files") else base
            c = statistics.median(cpu[name])
            cref = cpu_files_base if name.startswith("files") else cpu_base
            print(f"  {name:<12} wall {med:7.3f} s  added {med - ref:+.3f} s   "
                  f"cpu {c:7.3f} s  added {c - cref:+.3f} s")


if __name__ == "__main__":
    main()
