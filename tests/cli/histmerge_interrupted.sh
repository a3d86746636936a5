# An interrupted session (CONTRACT-13: the plugin writes an "interrupted"
# line for the test it cut off and "interrupted": true in the session):
# the finished tests are stored, the cut-off test gets no result, and the
# session's wall and collection times teach no overheads.
cd "$T"
t() { printf '{"hist": 1, "type": "test", "nodeid": "%s", "outcome": "passed", "attempt": 1, "setup": 0.0, "call": %s, "teardown": 0.0, "worker": "master"}\n' "$1" "$2"; }
session() { printf '{"hist": 1, "type": "session", "start": %s, "collect": %s, "wall": %s, "workers": 0, "tests": 2, "plan_id": null, "shard": null, "shards": null, "interrupted": %s}\n' "$1" "$2" "$3" "$4"; }
{ t a.py::t1 1.0; t a.py::t4 5.0; session 1764000000.0 0.1 6.2 false; } > run1.jsonl
{ t a.py::t1 1.0; echo '{"hist": 1, "type": "interrupted", "nodeid": "a.py::t4"}'; session 1764000100.0 50.0 100.0 true; } > run2.jsonl
printf 'a.py::t1\na.py::t4\n' > tests.txt
histmerge --db h.db --run-id r2 run2.jsonl
echo "exit $?"
# Only the interrupted run: t4 has no history, and no overhead is learnt.
histplan --db h.db --tests tests.txt --shards 1 --dry-run -v 2>&1 | sed 's/ plan [0-9a-f]*//'
histmerge --db h.db --run-id r1 -q run1.jsonl
# t4's estimate stays the 5 s it took (a 0.0 from the cut-off run would
# have pulled the EMA to 3.5 s); the overheads come from run1 alone:
# (6.2 s wall - 0.1 s collection - 6 s of tests) / 2 tests, 0.1 s / 2 tests.
histplan --db h.db --tests tests.txt --shards 1 --dry-run --json 2>&1 | grep -e '"work_seconds"' -e '"test_seconds"' -e '_source' -e collect_per_test
histplan --db h.db --tests tests.txt --shards 1 --dry-run --json --test-overhead 0 2>&1 | grep '"work_seconds"'
sqlite3 h.db "SELECT r.ext_id, i.wall_us, i.collect_us, i.tests FROM inputs i JOIN runs r ON r.id = i.run_id ORDER BY r.ext_id"
