# No durations for the suite: a plan by the stable hash of the nodeid (at
# --scope module, of the file), and stderr says so. Shard k holds the tests
# whose stable hash % N is k - 1 (hist_nodeid_hash, the plugin's hash:
# FNV-1a 64 then fmix64, doc/formats.md).
histmerge --db "$T/h.db" --suite other --run-id r1 -q fixtures/jsonl/test_durations.json
cd "$T"
histplan --db h.db --shards 3 --tests "$OLDPWD/fixtures/plan/pysuite-collected.txt"
echo "exit $?"
for f in shards/shard-*.txt; do echo "--- $f"; cat "$f"; done
grep fallback shards/plan.json
histplan --db h.db --shards 3 --scope module --tests "$OLDPWD/fixtures/plan/pysuite-collected.txt" --out m
echo "exit $?"
for f in m/shard-*.txt; do echo "--- $f"; sed 1,3d "$f"; done
# The hash, computed apart in Python (hash_placement.py): shard k holds what
# the hash % 3 puts on k - 1 (pytest writes non-ASCII escaped: ASCII here).
"$PYTHON" "$OLDPWD/tests/cli/hash_placement.py" shards 3
# Nothing to plan at all (no --tests, no result of the suite in a history
# that exists): as with no history file, exit 1 and nothing written.
histplan --db h.db --shards 2 --out none
echo "exit $?"
ls none 2>/dev/null || echo "no directory none"
