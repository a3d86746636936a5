"""deselect_plugin - the collect-then-deselect baseline for bench/networkx_balance.sh.

Loaded with `-p deselect_plugin --chunk-file F`: pytest collects the whole
suite, then every item whose nodeid is not listed in F is deselected. This is
how splitters that run after collection behave (every shard pays the full
collection), so the benchmark can set hist's shards beside it with the same
tests in each shard."""
import pytest


def pytest_addoption(parser):
    parser.addoption("--chunk-file", default=None, help="run only the nodeids listed in this file")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    path = config.getoption("--chunk-file")
    if not path:
        return
    with open(path, encoding="utf-8") as f:
        wanted = {line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")}
    keep, drop = [], []
    for item in items:
        (keep if item.nodeid in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep
