"""histtest.py - helpers for the plugin's tests: run pytest on a pytester
suite with only the plugins a test asks for, write plans, read what ran."""

import gzip
import json
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "plugin"
SAMPLE_SUITE = REPO / "fixtures" / "sample_suite"
CI_VARS = ("CI_NODE_INDEX", "CI_NODE_TOTAL", "BUILDKITE_PARALLEL_JOB",
           "BUILDKITE_PARALLEL_JOB_COUNT", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL",
           "PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS", "HIST_SAMPLE_EVOLVED",
           "HIST_SAMPLE_SCALE", "HIST_SHARD_FILE", "HIST_SHARD_ORDER",
           "HIST_SHARD_INDEX_ENV", "HIST_SHARD_INDEX_BASE", "HIST_SHARD_TOTAL_ENV",
           "HIST_REPORT", "HIST_SCHEDULER", "HIST_PRUNE_COLLECTION", "HIST_GROUP_MARKER",
           "HIST_COLLECT")
PLAN_ID = "0123456789abcdef"


def write_plan(directory, shards, plan_id=PLAN_ID, total=None):
    """Write shard-1.txt .. shard-N.txt as histplan does; shards is a list
    of lists of lines. Returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    total = total or len(shards)
    paths = []
    for k, lines in enumerate(shards, 1):
        path = directory / f"shard-{k}.txt"
        text = (f"# hist plan {plan_id}\n# shard {k}/{total}\n"
                f"# predicted 1.000 s, {len(lines)} tests\n")
        text += "".join(line + "\n" for line in lines)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_tree(root, files):
    """Write {relative path: text} under root, making directories."""
    for name, text in files.items():
        path = Path(root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def set_test_list(plan_dir, value, doc=None):
    """Rewrite plan_dir/plan.json (or doc, with its other edits) with
    "test_list": value: "history" makes a plan from --tests lenient.
    Returns the document written."""
    path = Path(plan_dir) / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8")) if doc is None else doc
    doc["test_list"] = value
    path.write_text(json.dumps(doc), encoding="utf-8")
    return doc


def ran(result):
    """Nodeids in the -rA summary of a run, in summary order."""
    out = []
    for line in result.outlines:
        for word in ("PASSED ", "FAILED ", "ERROR ", "XPASS ", "XFAIL "):
            if line.startswith(word):
                nodeid = line[len(word):]
                # FAILED lines may end with " - message"
                out.append(nodeid.split(" - ")[0])
    return out


def read_report(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


class Runner:
    """pytest with autoloading off, so the plugins in play are exactly the
    ones asked for (an installed copy of hist cannot interfere)."""

    def __init__(self, pytester):
        self.pytester = pytester

    def args(self, args, xdist, reruns, cache=False):
        base = ["-p", "pytest_hist.plugin", "-rA"]
        if not cache:
            base += ["-p", "no:cacheprovider"]
        if xdist:
            base += ["-p", "xdist.plugin", "-n", str(xdist)]
        if reruns:
            # pytest-rerunfailures 10.2 implements an xdist hook and fails
            # pytest's hook check unless xdist is loaded too.
            if not xdist:
                base += ["-p", "xdist.plugin"]
            base += ["-p", "pytest_rerunfailures"]
        return base + [str(a) for a in args]

    def run(self, *args, xdist=0, reruns=False, subprocess=False, cache=False):
        argv = self.args(args, xdist, reruns, cache)
        if xdist or subprocess:
            return self.pytester.runpytest_subprocess(*argv)
        return self.pytester.runpytest(*argv)
