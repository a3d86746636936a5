"""scripts/install-plugin.sh: where `make install` puts the plugin (the
wheel plugin/pyproject.toml describes), and that pytest then loads it
through the pytest11 entry point."""

import configparser
import os
import re
import subprocess
import sys

import pytest

from histtest import REPO

SCRIPT = REPO / "scripts" / "install-plugin.sh"
VERSION = "%d.%d" % sys.version_info[:2]


def install(action, destdir, prefix):
    done = subprocess.run([SCRIPT, action, str(destdir), prefix, sys.executable],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("prefix,site", [
    ("/usr/local", f"usr/local/lib/python{VERSION}/dist-packages"),
    ("/usr", "usr/lib/python3/dist-packages"),
    ("/opt/hist", f"opt/hist/lib/python{VERSION}/site-packages"),
])
def test_install_and_uninstall(tmp_path, prefix, site):
    done = install("install", tmp_path, prefix)
    assert ("PYTHONPATH" in done.stderr) == (prefix == "/opt/hist")
    got = files_under(tmp_path)
    modules = sorted(p.name for p in (REPO / "plugin" / "pytest_hist").glob("*.py"))
    assert [f for f in got if "/pytest_hist/" in f] == [f"{site}/pytest_hist/{m}" for m in modules]
    dist = [f for f in got if ".dist-info/" in f]
    assert [f.rsplit("/", 1)[1] for f in dist] == ["INSTALLER", "METADATA", "RECORD", "WHEEL",
                                                   "entry_points.txt", "top_level.txt"]
    info = tmp_path / dist[0].rsplit("/", 1)[0]
    entry = configparser.ConfigParser()
    entry.read(info / "entry_points.txt")
    assert dict(entry["pytest11"]) == {"hist": "pytest_hist.plugin"}
    assert "Name: pytest-hist\n" in (info / "METADATA").read_text()
    # RECORD names every file installed, so pip can uninstall it.
    record = [line.split(",")[0] for line in (info / "RECORD").read_text().splitlines()]
    assert sorted(f"{site}/{r}" for r in record) == got
    install("uninstall", tmp_path, prefix)
    assert files_under(tmp_path) == []


def test_pytest_loads_the_installed_plugin(tmp_path, pytester):
    install("install", tmp_path, "/opt/hist")
    site = tmp_path / f"opt/hist/lib/python{VERSION}/site-packages"
    env = dict(os.environ, PYTHONPATH=str(site))
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    pytester.makepyfile(test_a="def test_a(): pass")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--hist-report", "r.jsonl", "-q"], cwd=pytester.path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (pytester.path / "r.jsonl").exists()
    # -p no:hist (the entry point's name) turns it off.
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hist",
                           "--hist-report", "r.jsonl", "-q"], cwd=pytester.path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 4 and "unrecognized arguments: --hist-report" in done.stderr


def test_plugin_version_is_libhist_version():
    header = (REPO / "lib" / "hist.h").read_text()
    version = re.search(r'#define HIST_VERSION_STRING "(.*)"', header).group(1)
    project = (REPO / "plugin" / "pyproject.toml").read_text()
    assert re.search(r'^version = "(.*)"$', project, re.M).group(1) == version


def test_usage(tmp_path):
    done = subprocess.run([SCRIPT, "install"], capture_output=True, text=True)
    assert done.returncode == 2 and "usage:" in done.stderr
