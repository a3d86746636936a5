"""width_check.py WIDTH FILE - prints each line of FILE (histstats' text
output) whose display width is not WIDTH, counting columns as a UTF-8
terminal shows them: East Asian wide characters 2, combining marks 0.
Blank lines and the counts ("runs     6") are skipped."""
import re
import sys
import unicodedata


def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in s)


want = int(sys.argv[1])
bad = 0
for line in open(sys.argv[2], encoding="utf-8"):
    line = line.rstrip("\n")
    if not line or re.match(r"(suite|runs|tests|results) {2,}\S+$", line):
        continue
    if width(line) != want:
        bad += 1
        print("%d columns: %s" % (width(line), line))
print("every line %d columns" % want if not bad else "%d lines misaligned" % bad)
