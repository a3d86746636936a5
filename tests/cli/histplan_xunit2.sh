# xunit2 history holds JUnit keys, not nodeids. Without --tests the plan
# lists the keys (the plugin matches a collected nodeid by its key) and a
# warning says so; with the collected suite every nodeid finds its history
# through its key and the plan lists nodeids.
histmerge --db "$T/h.db" --run-id r1 -q fixtures/junit/pytest-xunit2.xml
cd "$T"
histplan --db h.db --shards 3 --out keys
echo "exit $?"
for f in keys/shard-*.txt; do echo "--- $f"; cat "$f"; done
histplan --db h.db --shards 3 --tests "$OLDPWD/fixtures/plan/pysuite-collected.txt" --json
echo "exit $?"
for f in shards/shard-*.txt; do echo "--- $f"; cat "$f"; done
