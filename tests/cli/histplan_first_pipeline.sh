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
# Every test on the shard its stable hash names, computed apart.
"$PYTHON" "$OLDPWD/tests/cli/hash_placement.py" shards 4
# From stdin, and through HIST_DB.
HIST_DB=history.db histplan --shards 2 --tests - --dry-run < "$list"
echo "exit $?"
# Without --tests: nothing to plan from.
histplan --db history.db --shards 4 --out none
echo "exit $?"
ls -A | grep -v "^\.std"
