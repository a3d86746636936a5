"""plugin.py - the pytest11 entry point of hist: options and registration.

Owns: the command-line options and turning them into the plugin objects
that do the work (shard.py for --shard-file, report.py for --hist-report).
Nothing is registered unless one of those options is given.
"""

import os

import pytest

from . import collect, groups, options, sched
from .ci import check_index_in_plan, fill_path, job_index
from .items import NodeidKeeper
from .plan import PlanError, load_plan, read_plan_json
from .report import CollectTimer, HistReporter, _is_xdist_worker
from .shard import ShardSelector


def pytest_addoption(parser):
    group = parser.getgroup("hist", "hist: run one shard of a plan, record results")
    add = options.add
    add(group, "--shard-file", env="HIST_SHARD_FILE", metavar="PATH",
        help="run only this shard of a histplan plan; the other shard-*.txt "
             "files of the plan must sit beside it. {index} and {total} in "
             "PATH are filled from the CI job (see --shard-index-env).")
    add(group, "--shard-order", env="HIST_SHARD_ORDER", default="original",
        choices=("original", "longest"),
        help="order of the shard's tests: original (collection order) or "
             "longest (the shard file's order, longest first).")
    add(group, "--shard-index-env", env="HIST_SHARD_INDEX_ENV", metavar="NAME",
        help="environment variable holding this job's shard index for "
             "{index} (e.g. a GitHub Actions matrix value); without it "
             "CI_NODE_INDEX (GitLab), BUILDKITE_PARALLEL_JOB and "
             "CIRCLE_NODE_INDEX are tried.")
    add(group, "--shard-index-base", env="HIST_SHARD_INDEX_BASE", default=1,
        type=int, choices=(0, 1),
        help="whether --shard-index-env counts from 0 or 1.")
    add(group, "--shard-total-env", env="HIST_SHARD_TOTAL_ENV", metavar="NAME",
        help="environment variable holding the job count for {total} and "
             "for checking the plan's shard count.")
    add(group, "--hist-prune-collection", env="HIST_PRUNE_COLLECTION", default="yes",
        choices=("yes", "no"),
        help="yes: a shard collects only the files it may run; no: collect "
             "every file and deselect, for suites whose collection looks "
             "across files (a module filled from a registry that other "
             "modules fill at import, a conftest hook that deselects across "
             "files).")
    add(group, "--hist-report", env="HIST_REPORT", metavar="FILE",
        help="write every test attempt and the session as hist JSONL for "
             "histmerge; gzipped when FILE ends in .gz.")
    groups.add_options(group, add)
    collect.add_options(group, add)
    sched.add_options(group, add)


def _shard_selector(config):
    template = config.getoption("shard_file")
    job = None
    try:
        if "{index}" in template or "{total}" in template:
            job = job_index(os.environ, config.getoption("shard_index_env"),
                            config.getoption("shard_index_base"),
                            config.getoption("shard_total_env"))
        path = fill_path(template, job)
        check_index_in_plan(path, job)
        plan, own = load_plan(path)
        test_list, plan.groups = read_plan_json(path, plan)
    except PlanError as e:
        where = options.origin(config, "shard_file")
        where = f"from {where}: " if where != "command line" else ""
        raise pytest.UsageError(f"hist: {where}{e}") from None
    if job is not None and job.total is not None and job.total != plan.total:
        raise pytest.UsageError(
            f"hist: the CI runs {job.total} parallel jobs ({job.source}) but "
            f"plan {plan.plan_id} in {os.path.dirname(path) or '.'} has "
            f"{plan.total} shards: plan again with histplan --shards "
            f"{job.total}, or run {plan.total} jobs")
    _group_markers_of_plan(config, plan, path)
    return ShardSelector(config, plan, own, config.getoption("shard_order"),
                         job.source if job else None, test_list, _prune(config))


def _group_markers_of_plan(config, plan, path):
    """The run groups by the markers the plan was made with: the markers
    given here must be those (or none, to take the plan's)."""
    given = groups.configured(config)
    where = options.origin(config, "hist_group_marker")
    where = f" (from {where})" if where and where != "command line" else ""
    directory = os.path.dirname(path) or "."
    if plan.groups is None:
        if given:
            raise pytest.UsageError(
                f"hist: --hist-group-marker {','.join(given)}{where}: plan {plan.plan_id} in "
                f"{directory} was made without group markers, so it may split a group "
                f"across shards: plan from 'pytest --collect-only --hist-collect FILE "
                f"--hist-group-marker NAME' with histplan --tests FILE")
        return
    if given and given != plan.groups.markers:
        raise pytest.UsageError(
            f"hist: --hist-group-marker {','.join(given)}{where}: plan {plan.plan_id} in "
            f"{directory} was made with group markers {','.join(plan.groups.markers) or '(none)'}: "
            f"give the same markers, or none to take the plan's")
    groups.use(config, plan.groups.markers)


def _prune(config):
    return config.getoption("hist_prune_collection") == "yes"


def pytest_configure(config):
    options.resolve(config, os.environ)
    collect.configure(config)
    selector = None
    report = config.getoption("hist_report")
    keeper = None
    if config.getoption("shard_file") or report:
        keeper = NodeidKeeper()
        config.pluginmanager.register(keeper, "hist-nodeids")
    if config.getoption("shard_file"):
        selector = _shard_selector(config)
        config.pluginmanager.register(selector, "hist-shard")
    if keeper is not None:
        keeper.group_markers = groups.configured(config)
    sched.configure(config, selector, options.origin(config, "hist_scheduler") is not None)
    if report:
        timer = CollectTimer(config)
        config.pluginmanager.register(timer, "hist-collect-timer")
        if not _is_xdist_worker(config):
            reporter = HistReporter(config, report, timer, selector)
            config.pluginmanager.register(reporter, "hist-report")


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    # After every plugin's and conftest's pytest_configure: they register
    # markers (xdist registers xdist_group) there.
    groups.check_registered(session.config)
