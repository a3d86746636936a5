# No durations for the suite: a plan by the stable hash of the nodeid (at
# --scope module, of the file), and stderr says so. Shard k holds the tests
# whose FNV-1a 64 hash % N is k - 1 (hist_nodeid_hash, the plugin's hash).
histmerge --db "$T/h.db" --suite other --run-id r1 -q fixtures/jsonl/test_durations.json
cd "$T"
histplan --db h.db --shards 3 --tests "$OLDPWD/fixtures/plan/pysuite-collected.txt"
echo "exit $?"
for f in shards/shard-*.txt; do echo "--- $f"; cat "$f"; done
grep fallback shards/plan.json
histplan --db h.db --shards 3 --scope module --tests "$OLDPWD/fixtures/plan/pysuite-collected.txt" --out m
echo "exit $?"
for f in m/shard-*.txt; do echo "--- $f"; sed 1,3d "$f"; done
# The hash, computed apart in Python: shard k holds what FNV-1a 64 % 3 puts
# on k - 1 (pytest writes non-ASCII escaped, so nodeids are ASCII here).
"$PYTHON" - <<'PY'
def fnv(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) % 2**64
    return h
bad = checked = 0
for k in (1, 2, 3):
    for line in open("shards/shard-%d.txt" % k, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.startswith("#"):
            checked += 1
            bad += fnv(line) % 3 != k - 1
print("hash placement: %d tests checked, %d misplaced" % (checked, bad))
PY
# Nothing to plan at all (no --tests, no history of the suite).
histplan --db h.db --shards 2
echo "exit $?"
