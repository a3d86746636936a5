# The first pipeline: no history file yet (an empty CI cache). With the
# collected suite (--tests) histplan makes the hash plan, warns and exits 0,
# and leaves no database behind (histmerge creates it after the shards ran).
# Without --tests there is nothing to plan: exit 1, and nothing is written.
cd "$T"
cp "$OLDPWD/fixtures/plan/pysuite-collected.txt" tests.txt
list=tests.txt
histplan --db history.db --shards 4 --tests "$list"
echo "exit $?"
ls -A | grep -v "^\.std"
ls shards
grep -e '"fallback"' -e '"test_list"' -e '"tests":' shards/plan.json | sed 's/^ *//' | sort | uniq -c
# The same plan as from an existing history that knows none of the tests.
histmerge --db other.db --suite other --run-id r1 -q "$OLDPWD/fixtures/jsonl/test_durations.json"
histplan --db other.db --shards 4 --tests "$list" --out from-other -q
cmp shards/plan.json from-other/plan.json && echo "same plan as an empty history"
# Every test on the shard its FNV-1a 64 hash names, computed apart.
"$PYTHON" - <<'PY'
def fnv(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) % 2**64
    return h
bad = checked = 0
for k in (1, 2, 3, 4):
    for line in open("shards/shard-%d.txt" % k, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.startswith("#"):
            checked += 1
            bad += fnv(line) % 4 != k - 1
print("hash placement: %d tests checked, %d misplaced" % (checked, bad))
PY
# From stdin, and through HIST_DB.
HIST_DB=history.db histplan --shards 2 --tests - --dry-run < "$list"
echo "exit $?"
# Without --tests: nothing to plan from.
histplan --db history.db --shards 4 --out none
echo "exit $?"
ls -A | grep -v "^\.std"
