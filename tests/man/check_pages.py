#!/usr/bin/python3
"""check_pages.py BINDIR MANDIR - every tool has a man page that documents
exactly the options its --help lists.

For each tool in BINDIR: MANDIR/TOOL.1 exists and names the tool in .TH;
every option of --help (the option lines: `  -q, --quiet ...`) heads an
item (.TP) of the page's OPTIONS section, so a page cannot miss an option.
An item for an option --help does not list is a WARN, not a failure: a
page may document an option a moment before the branch adding it lands
(helpers land in parallel), never the other way round. When groff is
installed the page must also render without warnings (groff -man -ww);
otherwise that part says SKIP.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

HELP_OPTION = re.compile(r"^\s+(?:(-[A-Za-z0-9]), )?(--[a-z][a-z0-9-]*)")
ROFF_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][a-z0-9-]*)")


def help_options(tool):
    done = subprocess.run([str(tool), "--help"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{tool.name} --help: exit {done.returncode}")
    found = set()
    for line in done.stdout.splitlines():
        m = HELP_OPTION.match(line)
        if m:
            found.update(o for o in m.groups() if o)
    return found


def plain(roff):
    """Roff source as the words a reader sees: \\- is -, fonts dropped."""
    text = re.sub(r"\\f(\[[A-Z]*\]|[BIRP])", "", roff)
    return text.replace("\\-", "-").replace("\\&", "").replace("\\c", "")


def item_options(page):
    """Options heading the .TP items of the OPTIONS section."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, section, after_tp = set(), None, False
    for line in lines:
        if line.startswith(".SH"):
            section = line[3:].strip().strip('"')
            continue
        if section != "OPTIONS":
            continue
        if line.startswith(".TP"):
            after_tp = True
            continue
        if after_tp:
            # The item's head: its first word, and a short/long pair.
            head = plain(re.sub(r"^\.[A-Z]+\s*", "", line))
            head = head.replace('"', " ").replace(",", " ")
            for word in head.split()[:2]:
                if ROFF_OPTION.fullmatch(word):
                    found.add(word)
            after_tp = False
    return found


def main():
    bindir, mandir = Path(sys.argv[1]), Path(sys.argv[2])
    groff = shutil.which("groff")
    failures = []
    tools = sorted(p for p in bindir.iterdir() if p.is_file() and p.name.startswith("hist"))
    if not tools:
        raise SystemExit(f"{bindir}: no tools")
    for tool in tools:
        page = mandir / f"{tool.name}.1"
        if not page.is_file():
            failures.append(f"{page}: missing: every tool needs a man page")
            continue
        th = re.search(r"^\.TH (\S+) 1 ", page.read_text(encoding="utf-8"), re.M)
        if not th or th.group(1) != tool.name.upper():
            failures.append(f"{page}: .TH does not name {tool.name.upper()} in section 1")
        wanted, documented = help_options(tool), item_options(page)
        for option in sorted(wanted - documented):
            failures.append(f"{page}: {tool.name} --help lists {option}, "
                            "but no .TP item of OPTIONS documents it")
        for option in sorted(documented - wanted):
            print(f"WARN {page}: OPTIONS documents {option}, "
                  f"which {tool.name} --help does not list")
        if groff:
            done = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", str(page)],
                                  capture_output=True, text=True, env={"LC_ALL": "C.UTF-8"})
            if done.returncode != 0 or done.stderr:
                failures.append(f"{page}: groff warns: {done.stderr.strip()}")
        print(f"man: {tool.name}: {len(wanted)} options documented")
    if not groff:
        print("man: SKIP rendering check (groff not installed)")
    for f in failures:
        print("FAIL " + f)
    print(f"man: {len(tools)} pages, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
