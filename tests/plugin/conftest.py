"""The plugin's tests use pytester; the helpers live in histtest.py."""

import os

import pytest

from histtest import CI_VARS, PLUGIN_DIR, Runner

pytest_plugins = ["pytester"]


@pytest.fixture
def hist(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(PLUGIN_DIR) + (os.pathsep + path if path else ""))
    for name in CI_VARS:
        monkeypatch.delenv(name, raising=False)
    return Runner(pytester)
