#!/usr/bin/python3
"""run.py BINDIR - runs the CI examples in examples/ on this machine.

Each example is parsed as its CI would read it, and its shell steps run as
the CI would run them, against a copy of fixtures/sample_suite (the
"repository"), with the variables that CI sets (GITHUB_RUN_ID, CI_NODE_INDEX
/CI_NODE_TOTAL, BUILDKITE_PARALLEL_JOB...). What the CI itself provides is
stood in for by this file: every job starts from a fresh checkout; caches,
artifacts and (Buildkite) the S3 object live in a store directory;
`buildkite-agent artifact` and `aws s3 cp` are small stand-ins that copy
from and to it. The install steps (apt-get install) are not run: this
tree's build/bin and plugin/ are put first instead, the plugin loaded as
the package's pytest11 entry point would load it.

Per example: a first pipeline (empty cache: a hash plan), a second one
(planned from the history the first saved), a pipeline in which one shard's
report goes missing (the fan-in must fail), and a scheduled one (histprune
only). Steps that run `histmerge --plan` are skipped, and say so, while
histmerge has no --plan option.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "fixtures" / "sample_suite"
EXAMPLES = REPO / "examples"
HASH_PLAN = "split by the stable hash"

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


class World:
    """The machine-wide part: tools, stand-ins, the store, scratch space."""

    def __init__(self, bindir, tmp):
        self.bindir = bindir
        self.tmp = tmp
        self.store = tmp / "store"
        self.store.mkdir()
        self.shims = tmp / "shims"
        self.shims.mkdir()
        self.jobs = 0
        help_text = subprocess.run([str(bindir / "histmerge"), "--help"],
                                   capture_output=True, text=True).stdout
        self.has_plan = "--plan" in help_text
        self._write_shims()

    def _write_shims(self):
        shims = {
            "pytest": '#!/bin/sh\nexec /usr/bin/python3 -m pytest "$@"\n',
            "buildkite-agent": f"#!/bin/sh\nexec /usr/bin/python3 {Path(__file__)} --shim buildkite-agent \"$@\"\n",
            "aws": f"#!/bin/sh\nexec /usr/bin/python3 {Path(__file__)} --shim aws \"$@\"\n",
        }
        for name, text in shims.items():
            path = self.shims / name
            path.write_text(text)
            path.chmod(0o755)

    def checkout(self, label):
        self.jobs += 1
        work = self.tmp / "jobs" / f"{self.jobs:03d}-{re.sub(r'[^A-Za-z0-9_.-]', '_', label)}"
        shutil.copytree(SUITE, work)
        return work

    def env(self, extra):
        env = {
            "PATH": f"{self.shims}:{self.bindir}:/usr/bin:/bin",
            "HOME": str(self.tmp),
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
            "CI": "true",
            "PYTHONPATH": str(REPO / "plugin"),
            # As the installed package would: the plugin and nothing else.
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "PYTEST_ADDOPTS": "-p pytest_hist.plugin -p no:cacheprovider",
            "HIST_SAMPLE_SCALE": "0.01",
            "HARNESS_STORE": str(self.store),
        }
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def run(self, script, cwd, env, label):
        """Runs one shell step as the CI does (bash -e); returns (status, log)."""
        if "histmerge --plan" in script and not self.has_plan:
            print(f"  SKIP {label}: histmerge has no --plan option yet; step not run")
            return None, ""
        done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=self.env(env),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)
        log = done.stdout + done.stderr
        print(f"  {label}: exit {done.returncode}")
        if done.returncode != 0:
            print("    " + log.strip().replace("\n", "\n    ")[-2000:])
        return done.returncode, log


def is_install(script):
    return bool(re.search(r"\bapt-get (update|install)\b", script))


def copy_into(src, dest):
    """Copies file or directory src into dest, merging directories."""
    if src.is_dir():
        shutil.copytree(src, dest, dirs_exist_ok=True)
    elif src.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)


# --- GitHub Actions ------------------------------------------------------

class GitHub:
    name = "github-actions.yml"

    def __init__(self, world):
        self.w = world
        self.doc = yaml.safe_load((EXAMPLES / self.name).read_text())
        self.caches = world.store / "gh-caches"
        self.caches.mkdir()
        self.saved = 0

    def expr(self, text, ctx):
        def one(m):
            key = m.group(1).strip()
            if key not in ctx:
                raise SystemExit(f"{self.name}: expression not known to the harness: {key}")
            return str(ctx[key])
        return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))

    def condition(self, cond, ctx, results, needs):
        if cond is None:
            return all(results.get(n) == "success" for n in needs)
        py = cond.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
        py = py.replace("github.event_name", repr(ctx["github.event_name"]))
        py = re.sub(r"needs\.([\w-]+)\.result", lambda m: repr(results.get(m.group(1), "skipped")), py)
        return bool(eval(py, {"__builtins__": {}}, {"True": True}))

    def pipeline(self, event, run_id, before_merge=None):
        jobs = self.doc["jobs"]
        wf_env = self.doc.get("env", {})
        art = self.w.store / f"gh-artifacts-{run_id}"
        art.mkdir()
        results, logs, statuses = {}, {}, {}
        for name, job in jobs.items():   # written in dependency order
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            ctx = {"github.event_name": event, "github.run_id": run_id}
            if not self.condition(job.get("if"), ctx, results, needs):
                results[name] = "skipped"
                continue
            if name == "merge" and before_merge:
                before_merge(art)
            matrix = job.get("strategy", {}).get("matrix", {})
            combos = [{}]
            for key, values in matrix.items():
                combos = [dict(c, **{key: v}) for c in combos for v in values]
            ok = True
            for combo in combos:
                jctx = dict(ctx, **{f"matrix.{k}": v for k, v in combo.items()})
                jctx["strategy.job-total"] = len(combos)
                status, log = self.job(name, job, jctx, wf_env, art, event, run_id)
                logs.setdefault(name, []).append(log)
                statuses.setdefault(name, []).append(status)
                ok = ok and status in (0, None)
            results[name] = "success" if ok else "failure"
        return results, logs, statuses

    def job(self, name, job, ctx, wf_env, art, event, run_id):
        work = self.w.checkout(f"gh-{run_id}-{name}")
        env = {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": run_id, "GITHUB_RUN_ATTEMPT": 1,
               "GITHUB_EVENT_NAME": event, "GITHUB_WORKSPACE": work, "GITHUB_JOB": name}
        env.update({k: self.expr(v, ctx) for k, v in wf_env.items()})
        env.update({k: self.expr(v, ctx) for k, v in job.get("env", {}).items()})
        failed, log_all, status_all = False, "", 0
        for step in job["steps"]:
            label = f"{name} {self.expr(step.get('name', step.get('uses', 'run')), ctx)}"
            cond = step.get("if")
            if failed and not (cond and "always()" in cond):
                continue
            if "uses" in step:
                self.action(step["uses"], {k: self.expr(v, ctx) for k, v in step.get("with", {}).items()},
                            work, art)
                continue
            script = self.expr(step["run"], ctx)
            if is_install(script):
                print(f"  {label}: not run (the harness uses build/bin and plugin/)")
                continue
            senv = dict(env, **{k: self.expr(v, ctx) for k, v in step.get("env", {}).items()})
            status, log = self.w.run(script, work, senv, label)
            log_all += log
            if status is None:
                status_all = None if status_all == 0 else status_all
            elif status != 0:
                failed, status_all = True, status
        return status_all, log_all

    def action(self, uses, args, work, art):
        action = uses.split("@")[0]
        if action == "actions/checkout":
            return
        if action == "actions/cache/restore":
            keys = [args["key"]] + [k for k in str(args.get("restore-keys", "")).split() if k]
            hit = None
            if (self.caches / args["key"]).exists():
                hit = self.caches / args["key"]
            else:
                for prefix in keys[1:]:
                    found = sorted((p for p in self.caches.iterdir() if p.name.startswith(prefix)),
                                   key=lambda p: int((p / ".order").read_text()))
                    if found:
                        hit = found[-1]
                        break
            if hit:
                copy_into(hit / "data", work / args["path"])
            return
        if action == "actions/cache/save":
            dest = self.caches / args["key"]
            if (work / args["path"]).exists() and not dest.exists():
                copy_into(work / args["path"], dest / "data")
                self.saved += 1
                (dest / ".order").write_text(str(self.saved))
            return
        if action == "actions/upload-artifact":
            copy_into(work / args["path"], art / args["name"])
            return
        if action == "actions/download-artifact":
            names = [args["name"]] if "name" in args else \
                [p.name for p in sorted(art.iterdir()) if re.fullmatch(args["pattern"].replace("*", ".*"), p.name)]
            for n in names:
                copy_into(art / n, work / args["path"])
            return
        raise SystemExit(f"{self.name}: action not known to the harness: {uses}")


# --- GitLab CI -----------------------------------------------------------

class GitLab:
    name = "gitlab-ci.yml"
    RESERVED = {"stages", "default", "variables", "include", "workflow", "image", "services",
                "cache", "before_script", "after_script"}

    def __init__(self, world):
        self.w = world
        self.doc = yaml.safe_load((EXAMPLES / self.name).read_text())
        self.caches = world.store / "gl-caches"
        self.caches.mkdir()

    def when(self, job, source):
        rules = job.get("rules")
        if rules is None:
            return job.get("when", "on_success")
        for rule in rules:
            cond = rule.get("if")
            if cond is not None:
                m = re.fullmatch(r'\$CI_PIPELINE_SOURCE (==|!=) "(\w+)"', cond.strip())
                if not m:
                    raise SystemExit(f"{self.name}: rule not known to the harness: {cond}")
                if (source == m.group(2)) != (m.group(1) == "=="):
                    continue
            return rule.get("when", "on_success")
        return "never"

    def pipeline(self, source, pipeline_id, before_merge=None):
        jobs = {k: v for k, v in self.doc.items() if k not in self.RESERVED and not k.startswith(".")}
        variables = self.doc.get("variables", {})
        before = self.doc.get("default", {}).get("before_script", [])
        art = self.w.store / f"gl-artifacts-{pipeline_id}"
        art.mkdir()
        results, logs, statuses = {}, {}, {}
        for stage in self.doc["stages"]:
            for name, job in jobs.items():
                if job.get("stage", "test") != stage:
                    continue
                when = self.when(job, source)
                if when == "never":
                    continue
                needs = job.get("needs", [n for n in results])
                if when == "on_success" and any(results.get(n) != "success" for n in needs):
                    results[name] = "skipped"
                    continue
                if name == "merge" and before_merge:
                    before_merge(art)
                total = job.get("parallel")
                ok = True
                for index in range(1, (total or 1) + 1):
                    env = {"GITLAB_CI": "true", "CI_PIPELINE_ID": pipeline_id,
                           "CI_PIPELINE_SOURCE": source, "CI_JOB_NAME": name}
                    if total:
                        env.update(CI_NODE_INDEX=index, CI_NODE_TOTAL=total)
                    env.update(variables)
                    status, log = self.job(name, job, env, before, art, needs, index)
                    logs.setdefault(name, []).append(log)
                    statuses.setdefault(name, []).append(status)
                    ok = ok and status in (0, None)
                results[name] = "success" if ok else "failure"
        return results, logs, statuses

    def job(self, name, job, env, before, art, needs, index):
        work = self.w.checkout(f"gl-{env['CI_PIPELINE_ID']}-{name}-{index}")
        env["CI_PROJECT_DIR"] = work
        if before:
            if not all(is_install(line) for line in before):
                raise SystemExit(f"{self.name}: before_script does more than install")
            print(f"  {name} before_script: not run (the harness uses build/bin and plugin/)")
        cache = job.get("cache")
        if cache and "pull" in cache.get("policy", "pull-push"):
            copy_into(self.caches / cache["key"], work)
        for need in needs:
            for d in sorted(art.glob(f"{need}-*")):
                copy_into(d, work)
        status, log = self.w.run("\n".join(job["script"]), work, env, f"{name} {index}")
        arts = job.get("artifacts")
        if arts and (status == 0 or arts.get("when") == "always"):
            for path in arts["paths"]:
                copy_into(work / path, art / f"{name}-{index}" / path)
        if cache and "push" in cache.get("policy", "pull-push") and status is not None \
                and (status == 0 or cache.get("when") == "always"):
            for path in cache["paths"]:
                copy_into(work / path, self.caches / cache["key"] / path)
        return status, log


# --- Buildkite -----------------------------------------------------------

class Buildkite:
    name = "buildkite-pipeline.yml"

    def __init__(self, world):
        self.w = world
        self.doc = yaml.safe_load((EXAMPLES / self.name).read_text())

    def allowed(self, cond, source):
        if cond is None:
            return True
        m = re.fullmatch(r'build\.source (==|!=) "(\w+)"', cond.strip())
        if not m:
            raise SystemExit(f"{self.name}: condition not known to the harness: {cond}")
        return (source == m.group(2)) == (m.group(1) == "==")

    def pipeline(self, source, build_id, before_merge=None):
        env0 = dict(self.doc.get("env", {}))
        art = self.w.store / f"bk-artifacts-{build_id}"
        art.mkdir()
        results, logs, statuses = {}, {}, {}
        for i, step in enumerate(self.doc["steps"]):
            key = step.get("key", f"step{i}")
            if not self.allowed(step.get("if"), source):
                continue
            deps = step.get("depends_on", [])
            deps = [deps] if isinstance(deps, str) else deps
            if any(results.get(d) != "success" for d in deps) and not step.get("allow_dependency_failure"):
                results[key] = "skipped"
                continue
            if key == "step2" and before_merge:
                before_merge(art)
            total = step.get("parallelism")
            ok = True
            for index in range(total or 1):
                env = dict(env0, BUILDKITE="true", BUILDKITE_BUILD_ID=build_id,
                           BUILDKITE_SOURCE=source, BUILDKITE_STEP_KEY=key,
                           HARNESS_ARTIFACTS=art)
                if total:
                    env.update(BUILDKITE_PARALLEL_JOB=index, BUILDKITE_PARALLEL_JOB_COUNT=total)
                work = self.w.checkout(f"bk-{build_id}-{key}-{index}")
                status, log = self.w.run(step["command"], work, env, f"{step['label']} {index}")
                for pattern in step.get("artifact_paths", "").split(";"):
                    for f in glob.glob(pattern.strip(), root_dir=work, recursive=True) if pattern else []:
                        copy_into(work / f, art / f)
                logs.setdefault(key, []).append(log)
                statuses.setdefault(key, []).append(status)
                ok = ok and status in (0, None)
            results[key] = "success" if ok else "failure"
        return results, logs, statuses


def shim(argv):
    """The stand-ins for buildkite-agent and aws, on the examples' PATH."""
    store = Path(os.environ["HARNESS_STORE"])
    if argv[0] == "buildkite-agent" and argv[1:3] == ["artifact", "download"]:
        art, pattern, dest = Path(os.environ["HARNESS_ARTIFACTS"]), argv[3], Path(argv[4])
        found = glob.glob(pattern, root_dir=art, recursive=True)
        if not found:
            sys.exit(f"buildkite-agent: no artifacts found for {pattern}")
        for f in found:
            copy_into(art / f, dest / f)
        return 0
    if argv[0] == "aws" and argv[1:3] == ["s3", "cp"]:
        def local(p):
            return store / "s3" / p[len("s3://"):] if p.startswith("s3://") else Path(p)
        src, dest = local(argv[3]), local(argv[4])
        if not src.is_file():
            sys.exit(f"fatal error: An error occurred (404) when calling the HeadObject operation: Key \"{argv[3]}\" does not exist")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
        return 0
    sys.exit(f"{argv[0]}: not known to the harness: {' '.join(argv[1:])}")


def history_runs(world, db):
    if not db.is_file():
        return 0
    done = subprocess.run([str(world.bindir / "histstats"), "--db", str(db), "--json"],
                          capture_output=True, text=True)
    return json.loads(done.stdout)["runs"] if done.returncode == 0 else -1


def drop_one_report(art):
    """The fan-in must notice a shard whose report never arrived."""
    reports = sorted(p for p in art.rglob("r-*.jsonl.gz"))
    reports[-1].unlink()


def check_ci(world, ci, ids, history_of):
    print(f"== {ci.name}")
    plan_key, merge_key = ("plan", "merge") if not isinstance(ci, Buildkite) else ("plan", "step2")
    runs_expected = 0
    for n, run_id in enumerate(ids[:2], 1):
        print(f"-- pipeline {n} ({'empty history' if n == 1 else 'history of pipeline 1'})")
        results, logs, statuses = ci.pipeline("push", run_id)
        plan_log = "".join(logs.get(plan_key, []))
        if results.get(plan_key) != "success":
            fail(f"{ci.name}: pipeline {n}: plan failed")
        first = runs_expected == 0
        if first != (HASH_PLAN in plan_log):
            fail(f"{ci.name}: pipeline {n}: the plan should {'' if first else 'not '}"
                 f"fall back to the hash split")
        tests = statuses.get("tests", [])
        if len(tests) != 4 or any(s != 0 for s in tests):
            fail(f"{ci.name}: pipeline {n}: shard jobs {tests}, want 4 passing")
        if world.has_plan:
            if statuses.get(merge_key) != [0]:
                fail(f"{ci.name}: pipeline {n}: merge {statuses.get(merge_key)}, want exit 0")
            runs_expected += 1
        if history_runs(world, history_of()) != runs_expected:
            fail(f"{ci.name}: pipeline {n}: the saved history has "
                 f"{history_runs(world, history_of())} runs, want {runs_expected}")
    if world.has_plan:
        print("-- pipeline 3: a shard's report goes missing")
        results, logs, statuses = ci.pipeline("push", ids[2], before_merge=drop_one_report)
        if statuses.get(merge_key) != [1] or results.get(merge_key) != "failure":
            fail(f"{ci.name}: the fan-in passed with a shard's report missing")
    print("-- scheduled pipeline")
    results, logs, statuses = ci.pipeline("schedule", ids[3])
    ran = sorted(k for k, v in statuses.items() if v)
    prune_key = "prune" if not isinstance(ci, Buildkite) else "step3"
    if ran != [prune_key] or statuses[prune_key] != [0]:
        fail(f"{ci.name}: the scheduled pipeline ran {statuses}, want histprune alone, exit 0")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--shim":
        return shim(sys.argv[2:])
    bindir = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="histci.") as tmp:
        world = World(bindir, Path(tmp))
        if not world.has_plan:
            print("SKIP: histmerge has no --plan option yet: the fan-in steps are not run, "
                  "so no history is saved between pipelines")
        gh = GitHub(world)
        check_ci(world, gh, ["1001", "1002", "1003", "1004"],
                 lambda: max(gh.caches.glob("*/data/history.db"),
                             key=lambda p: int((p.parent.parent / ".order").read_text()),
                             default=Path("/nonexistent")))
        gl = GitLab(world)
        check_ci(world, gl, ["2001", "2002", "2003", "2004"],
                 lambda: gl.caches / "hist-history" / ".hist" / "history.db")
        bk = Buildkite(world)
        check_ci(world, bk, ["0190a1b2-0000-7000-8000-00000000000" + str(i) for i in range(1, 5)],
                 lambda: world.store / "s3" / "my-ci-bucket" / "hist" / "history.db")
    print(f"examples: 3 CI files, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
