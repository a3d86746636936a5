"""{index}/{total} in --shard-file from the CI job's variables."""

import pytest

from pytest_hist.ci import fill_path, job_index
from pytest_hist.plan import PlanError


@pytest.mark.parametrize("env,index,total", [
    ({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"}, 1, 3),            # GitLab: 1-based
    ({"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"}, 3, 3),
    ({"BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "4"}, 1, 4),  # 0-based
    ({"BUILDKITE_PARALLEL_JOB": "3", "BUILDKITE_PARALLEL_JOB_COUNT": "4"}, 4, 4),
    ({"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "2"}, 1, 2),    # CircleCI: 0-based
    ({"CIRCLE_NODE_INDEX": "1"}, 2, None),
])
def test_ci_conventions(env, index, total):
    job = job_index(env)
    assert (job.index, job.total) == (index, total)
    assert fill_path("s/shard-{index}.txt", job) == f"s/shard-{index}.txt"


def test_user_variable_one_and_zero_based():
    env = {"SHARD": "2", "JOBS": "4", "CI_NODE_INDEX": "4"}
    job = job_index(env, "SHARD", 1, "JOBS")
    assert (job.index, job.total) == (2, 4)
    assert "SHARD=2" in job.source
    job = job_index(env, "SHARD", 0, "JOBS")
    assert (job.index, job.total) == (3, 4)
    assert fill_path("shards-{total}/shard-{index}.txt", job) == "shards-4/shard-3.txt"


def test_no_placeholder_needs_no_job():
    assert fill_path("shards/shard-2.txt", None) == "shards/shard-2.txt"
    assert job_index({}) is None


def test_other_braces_stay():
    job = job_index({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"})
    assert fill_path("{x}/s-{index}of{total}.txt", job) == "{x}/s-2of2.txt"


@pytest.mark.parametrize("env,args,template,expect", [
    ({}, (), "s/shard-{index}.txt", "no CI job index to fill {index}"),
    ({}, ("SHARD",), "s/shard-{index}.txt", "--shard-index-env SHARD: SHARD is not set"),
    ({"SHARD": "two"}, ("SHARD",), "s/{index}", "SHARD='two' is not a non-negative integer"),
    ({"SHARD": "-1"}, ("SHARD",), "s/{index}", "is not a non-negative integer"),
    ({"SHARD": "0"}, ("SHARD", 1), "s/{index}", "out of range for a 1-based job index"),
    ({"CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "3"}, (), "s/{index}", "CI_NODE_INDEX=4, CI_NODE_TOTAL=3: out of range"),
    ({"CIRCLE_NODE_INDEX": "2", "CIRCLE_NODE_TOTAL": "2"}, (), "s/{index}", "out of range for a 0-based"),
    ({"CIRCLE_NODE_INDEX": "1"}, (), "s{total}/{index}", "gives no job count to fill {total}"),
])
def test_errors_say_what_to_do(env, args, template, expect):
    with pytest.raises(PlanError) as e:
        fill_path(template, job_index(env, *args))
    assert expect in str(e.value)
