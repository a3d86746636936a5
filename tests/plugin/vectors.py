"""vectors.py - the reader of tests/vectors/<rule>.tsv for the plugin's tests.

The C Check suites read the same files (tests/vectors.h), so a rule both
languages implement is pinned by one table. Format (tests/vectors/README):
UTF-8; '#' lines are comments; the first other line names the columns;
fields are separated by one TAB; "\\t", "\\n" and "\\\\" stand for a tab, a
newline and a backslash.

    for row in vectors.read("junit_key"):
        assert junit_key(row["nodeid"]) == row["key"]
"""

from pathlib import Path

DIR = Path(__file__).resolve().parent.parent / "vectors"

_ESCAPES = {"t": "\t", "n": "\n", "\\": "\\"}


def unescape(field, where="field"):
    out = []
    i = 0
    while i < len(field):
        c = field[i]
        if c == "\\":
            nxt = field[i + 1] if i + 1 < len(field) else ""
            if nxt not in _ESCAPES:
                raise ValueError(f"{where}: bad escape \\{nxt}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def escape(field):
    return field.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def read(rule):
    """The rows of tests/vectors/<rule>.tsv as dicts keyed by column name."""
    path = DIR / f"{rule}.tsv"
    header = None
    rows = []
    with open(path, encoding="utf-8", newline="\n") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if line.startswith("#"):
                continue
            where = f"{path}:{lineno}"
            fields = [unescape(x, where) for x in line.split("\t")]
            if header is None:
                header = fields
                continue
            if len(fields) != len(header):
                raise ValueError(f"{where}: {len(fields)} fields, the header names {len(header)}")
            rows.append(dict(zip(header, fields)))
    return rows


def write(rule, columns, rows, comment, directory=DIR):
    """Writes <directory>/<rule>.tsv (for the generator)."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / f"{rule}.tsv"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in comment.strip("\n").split("\n"):
            f.write(f"# {line}".rstrip() + "\n")
        f.write("\t".join(columns) + "\n")
        for row in rows:
            f.write("\t".join(escape(str(row[c])) for c in columns) + "\n")
