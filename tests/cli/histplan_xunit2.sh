# xunit2 history holds JUnit keys, not nodeids: without --tests nothing can
# be named (a warning says why, the plan is empty); with the collected suite
# every nodeid finds its history through its key.
histmerge --db "$T/h.db" --run-id r1 -q fixtures/junit/pytest-xunit2.xml
cd "$T"
histplan --db h.db --shards 3 --out empty
echo "exit $?"
cat empty/plan.json
histplan --db h.db --shards 3 --tests "$OLDPWD/fixtures/plan/pysuite-collected.txt" --json
echo "exit $?"
for f in shards/shard-*.txt; do echo "--- $f"; cat "$f"; done
