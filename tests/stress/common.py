"""Shared by crash.py and concurrency.py: generated inputs, the tools, and
the history's content read with Python's sqlite3 by names (never by ids,
which depend on the order inputs were stored)."""

import gzip
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import packs  # noqa: E402  (the packed results, decoded on its own)


def write_junit(path, prefix, tests, stamp="2024-05-01T10:00:00"):
    """A JUnit file of `tests` tests named after prefix, with a timestamp
    so the run's start does not depend on when it was stored."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<testsuites><testsuite name="s" timestamp="{stamp}">']
    for i in range(tests):
        body = '<failure message="x"/>' if i % 17 == 0 else ''
        lines.append(f'<testcase classname="{prefix}.test_m{i % 40}" name="test_{i}[p{i % 7}]" '
                     f'file="{prefix.replace(".", "/")}/test_m{i % 40}.py" time="{(i % 97) / 100:.2f}">'
                     f'{body}</testcase>')
    lines.append('</testsuite></testsuites>')
    data = ("\n".join(lines) + "\n").encode()
    if path.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    with open(path, "wb") as f:
        f.write(data)


def tool(bindir, name, *args, check=True):
    r = subprocess.run([os.path.join(bindir, name), *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{name} {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r


def content(db):
    """(results, inputs) of a history as sorted tuples of names and values.
    Test names are looked up in Python: tests has no index on its id."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        if not con.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]:
            return [], []  # killed before the schema's first commit: empty
        names = dict((i, (n, k)) for i, n, k in con.execute("SELECT id, name, is_key FROM tests"))
        runs = dict((i, (s, e, st)) for i, s, e, st in con.execute(
            "SELECT r.id, s.name, r.ext_id, r.started_us FROM runs r JOIN suites s ON s.id = r.suite_id"))
        # A pack of a run no longer there would be a foreign key error.
        # Killed between the first migrations: no packs yet, nor results.
        have_packs = con.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'packs'").fetchone()[0]
        results = [runs[run] + names[t] + tuple(rest)
                   for run, t, *rest in (packs.results(con) if have_packs else [])]
        inputs = con.execute(
            "SELECT hex(i.hash), r.ext_id, i.tests, i.test_us FROM inputs i"
            " JOIN runs r ON r.id = i.run_id").fetchall()
    finally:
        con.close()
    return sorted(results), sorted(inputs)


def integrity(db):
    con = sqlite3.connect(db)
    try:
        got = con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()
    return got == [("ok",)], got


def remove_db(db):
    for sfx in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(db + sfx)
        except FileNotFoundError:
            pass
