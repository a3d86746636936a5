"""The results of a hist history read with Python's sqlite3 alone: since
schema 6 they live only in the packs table (lib/store_pack.c), which this
decodes on its own, so tests check the store against a second reading of
its format rather than against itself.

A pack holds the results of one run for test ids chunk*256 .. chunk*256+255,
in id order: a varint of the id's step from the previous one (from
chunk*256-1 at the start), a flags byte (outcome in bits 0-2, duration
unknown 8, set-up unknown 16, rerun 32), zigzag varints of the known
duration and set-up, and for a rerun a varint of attempts (else 1).

As a command, `packs.py DB SQL` runs SQL (statements separated by ';')
on DB with a temp table `results(run_id, test_id, outcome, duration_us,
setup_us, attempts)` made from the packs, printing rows as the sqlite3
shell does (columns joined by '|', NULL empty)."""

import sqlite3
import sys

CHUNK = 256


def _varint(data, at):
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def _unzigzag(v):
    return (v >> 1) ^ -(v & 1)


def decode(chunk, data):
    """[(test_id, outcome, duration_us or None, setup_us or None, attempts)]"""
    rows, at, test = [], 0, chunk * CHUNK - 1
    while at < len(data):
        step, at = _varint(data, at)
        flags = data[at]
        at += 1
        test += step
        if not 0 < step <= CHUNK or test >= (chunk + 1) * CHUNK or flags & ~63 or flags & 7 > 5:
            raise ValueError(f"damaged pack {chunk}")
        duration = setup = None
        attempts = 1
        if not flags & 8:
            duration, at = _varint(data, at)
            duration = _unzigzag(duration)
        if not flags & 16:
            setup, at = _varint(data, at)
            setup = _unzigzag(setup)
        if flags & 32:
            attempts, at = _varint(data, at)
        rows.append((test, flags & 7, duration, setup, attempts))
    return rows


def results(con):
    """Every result of the history open on con, as schema 5's results rows."""
    out = []
    for run, chunk, data in con.execute("SELECT run_id, chunk, data FROM packs ORDER BY run_id, chunk"):
        out.extend((run,) + row for row in decode(chunk, bytes(data)))
    return out


def connect(path):
    """A connection to the history with temp.results filled from its packs."""
    con = sqlite3.connect(path)
    con.execute("CREATE TEMP TABLE results(run_id INTEGER, test_id INTEGER, outcome INTEGER,"
                " duration_us INTEGER, setup_us INTEGER, attempts INTEGER, PRIMARY KEY(run_id, test_id))")
    con.executemany("INSERT INTO temp.results VALUES (?, ?, ?, ?, ?, ?)", results(con))
    return con


def _statements(sql):
    part = ""
    for piece in sql.split(";"):
        part += piece + ";"
        if sqlite3.complete_statement(part):
            if part.strip(" \n\t;"):
                yield part
            part = ""


def main(argv):
    con = connect(argv[1])
    try:
        for statement in _statements(argv[2]):
            for row in con.execute(statement):
                print("|".join("" if v is None else str(v) for v in row))
    finally:
        con.close()


if __name__ == "__main__":
    main(sys.argv)
