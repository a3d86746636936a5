# Every tool on a history it cannot use: another program's SQLite file, a
# file that is not SQLite, a newer schema, a file locked past the timeout,
# a read-only file system and a full one. Each says why, exits 1 and leaves
# the file as it was (same bytes, or where SQLite may fold its WAL, the
# same content).
IN=fixtures/jsonl/hist-sample.jsonl
tools() { # DB: the four tools on it, with their exit status
	histmerge -q --db "$1" --run-id r9 "$IN"; echo "histmerge: exit $?"
	histplan -q --db "$1" --shards 2 --out "$T/plan"; echo "histplan: exit $?"
	histstats --db "$1" >/dev/null; echo "histstats: exit $?"
	histprune -q --db "$1" --keep-runs 1; echo "histprune: exit $?"
}
sum() { md5sum < "$1"; }
for f in fixtures/db/foreign.db fixtures/db/plain.db fixtures/bad/unknown-format.txt; do
	echo "-- $f"
	cp "$f" "$T/x.db"
	tools "$T/x.db" 2>&1 | sed "s|$T/||g"
	cmp -s "$f" "$T/x.db" && echo "unchanged"
	ls "$T" | grep -c 'x.db-' 
done
echo "-- a newer schema"
histmerge -q --db "$T/new.db" --run-id r1 "$IN"
sqlite3 "$T/new.db" "PRAGMA user_version = 99"
before=$(sum "$T/new.db")
# (the version this build reads changes with the schema)
tools "$T/new.db" 2>&1 | sed "s|$T/||g;s|reads up to [0-9]*|reads up to N|"
[ "$(sum "$T/new.db")" = "$before" ] && echo "unchanged"

echo "-- locked past the timeout (HIST_BUSY_TIMEOUT=0.3)"
histmerge -q --db "$T/h.db" --run-id r1 "$IN"
before=$(sum "$T/h.db")
$PYTHON - "$T/h.db" "$T/locked" <<'PY' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA locking_mode = EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
c.execute("ROLLBACK")
PY
holder=$!
while [ ! -e "$T/locked" ]; do sleep 0.05; done
HIST_BUSY_TIMEOUT=0.3 tools "$T/h.db" 2>&1 | sed "s|$T/||g"
rm "$T/locked"; wait $holder
[ "$(sum "$T/h.db")" = "$before" ] && echo "unchanged"
histstats --db "$T/h.db" --json | cut -c1-48

M="$T/mnt"
mkdir "$M"
if ! mount -t tmpfs -o size=2m tmpfs "$M" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here (read-only and full-disk cases)" >&2
	exit 0
fi
trap 'umount "$M"' EXIT
echo "-- a read-only file system"
cp "$T/h.db" "$M/h.db"
mount -o remount,ro "$M"
tools "$M/h.db" 2>&1 | sed "s|$T/||g"
[ "$(sum "$M/h.db")" = "$before" ] && echo "unchanged"
mount -o remount,rw "$M"

echo "-- a full disk"
$PYTHON - "$T/big.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(40000):
        f.write(json.dumps({"hist": 1, "type": "test", "nodeid": "tests/test_big_%d.py::test_%d" % (i // 50, i),
                            "outcome": "passed", "attempt": 1, "setup": 0, "call": 0.01, "teardown": 0,
                            "worker": "master", "start": 1764000000}) + "\n")
PY
head -c $((2048 * 1024 - $(stat -c %s "$M/h.db") - 400 * 1024)) /dev/zero > "$M/filler"
histmerge -q --db "$M/h.db" --run-id big "$T/big.jsonl"; echo "histmerge: exit $?"
ls "$M"
[ "$(sum "$M/h.db")" = "$before" ] && echo "unchanged"
sqlite3 "$M/h.db" "PRAGMA integrity_check"
head -c $((400 * 1024 - 16 * 1024)) /dev/zero > "$M/filler2"
histprune -q --db "$M/h.db" --vacuum; echo "histprune --vacuum: exit $?"
histplan -q --db "$M/h.db" --shards 2 --out "$M/plan"; echo "histplan: exit $?"
histstats --db "$M/h.db" --export-durations "$M/durations"; echo "histstats: exit $?"
rm "$M/filler" "$M/filler2"
histstats --db "$M/h.db" --json | cut -c1-48
ls "$M"
[ "$(sum "$M/h.db")" = "$before" ] && echo "unchanged"
sqlite3 "$M/h.db" "PRAGMA integrity_check"
