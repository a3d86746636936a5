"""ci.py - fills {index} and {total} in a --shard-file path from the CI job.

Owns: which environment variables name a parallel job, and whether each
counts from 0 or 1. Not here: reading the plan (plan.py).

The plugin always speaks 1-based shard indexes, like the shard file names.
"""

import os
import re

from .plan import PlanError, read_shard_file

_SHARD_NAME = re.compile(r"shard-([0-9]+)\.txt\Z")

# (name, index variable, total variable, index base), tried in this order
# when --shard-index-env is not given.
CI_SOURCES = (
    ("GitLab CI", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1),
    ("Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0),
    ("CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0),
)


class JobIndex:
    """The job's 1-based index, the job count if the CI says, and where
    they came from (for messages)."""

    def __init__(self, index, total, source):
        self.index = index
        self.total = total
        self.source = source


def _integer(environ, name, option):
    text = environ.get(name, "").strip()
    if not text.isdigit() or not text.isascii():
        raise PlanError(f"{option}: {name}={environ.get(name, '')!r} is not a "
                        f"non-negative integer")
    return int(text)


def job_index(environ, index_env=None, index_base=1, total_env=None):
    """The job's place among the CI's parallel jobs, or None when the
    environment names none. index_env/total_env are user-named variables
    (e.g. a GitHub Actions matrix value) counted from index_base."""
    if index_env:
        if index_env not in environ:
            raise PlanError(f"--shard-index-env {index_env}: {index_env} is not "
                            f"set: set it in the job (e.g. from the CI matrix)")
        sources = (("--shard-index-env", index_env, total_env, index_base),)
    else:
        sources = CI_SOURCES
    for name, index_var, total_var, base in sources:
        if index_var not in environ:
            continue
        index = _integer(environ, index_var, name) + 1 - base
        total = None
        if total_var and total_var in environ:
            total = _integer(environ, total_var, name)
        if index < 1 or (total is not None and index > total):
            shown = f"{index_var}={environ[index_var]}"
            if total is not None:
                shown += f", {total_var}={total}"
            raise PlanError(f"{name}: {shown}: out of range for a "
                            f"{base}-based job index")
        where = f"{index_var}={environ[index_var]} ({name}, {base}-based)"
        return JobIndex(index, total, where)
    return None


def fill_path(template, job):
    """The shard file path with {index} and {total} replaced. Only those two
    placeholders are filled, so other braces in a path stay as they are."""
    if "{index}" not in template and "{total}" not in template:
        return template
    if job is None:
        names = ", ".join(f"{i}/{t}" for _, i, t, _ in CI_SOURCES)
        raise PlanError(f"--shard-file {template}: no CI job index to fill "
                        f"{{index}}: set --shard-index-env NAME (e.g. a GitHub "
                        f"Actions matrix variable) or run where the CI sets "
                        f"one of {names}")
    if "{total}" in template and job.total is None:
        raise PlanError(f"--shard-file {template}: {job.source} gives no job "
                        f"count to fill {{total}}: add --shard-total-env NAME")
    path = template.replace("{index}", str(job.index))
    if job.total is not None:
        path = path.replace("{total}", str(job.total))
    return path


def check_index_in_plan(path, job):
    """When the job's index named a shard file that does not exist, say so
    in terms of the plan beside it (its N shards) rather than as a missing
    file: the job count and the plan disagree."""
    if job is None or os.path.exists(path):
        return
    directory = os.path.dirname(path) or "."
    try:
        names = sorted(n for n in os.listdir(directory) if _SHARD_NAME.match(n))
    except OSError:
        return          # load_plan reports the missing file
    if not names:
        return
    plan = read_shard_file(os.path.join(directory, names[0]))
    if not 1 <= job.index <= plan.total:
        raise PlanError(f"{path}: shard index {job.index} from {job.source} is "
                        f"outside 1..{plan.total}, the shards of plan "
                        f"{plan.plan_id} in {directory}: run {plan.total} jobs, "
                        f"or plan again with histplan --shards N for N jobs")
