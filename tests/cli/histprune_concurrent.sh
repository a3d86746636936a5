# histmerge (two writers), histprune and histplan on one file at once: every
# tool waits for the others instead of failing, the file stays sound, and
# no result is lost: after a last prune, each suite holds its newest three
# runs whole.
gen() { $PYTHON - "$@" <<'PY'
import json, sys
out, suite = sys.argv[1], sys.argv[2]
for k in range(20):
    start = 1764000000 + 3600 * k
    with open("%s/%s-%02d.jsonl" % (out, suite, k), "w") as f:
        for i in range(300):
            f.write(json.dumps({"hist": 1, "type": "test", "nodeid": "tests/test_%s.py::t%d" % (suite, i),
                                "outcome": "passed", "attempt": 1, "setup": 0, "call": 0.001 * (i + k),
                                "teardown": 0, "worker": "master", "start": start}) + "\n")
        f.write(json.dumps({"hist": 1, "type": "session", "start": start, "wall": 5, "collect": 0.1,
                            "workers": 0, "tests": 300, "plan_id": None, "shard": None, "shards": None}) + "\n")
PY
}
mkdir "$T/in" "$T/plan"
gen "$T/in" a
gen "$T/in" b
histmerge -q --db "$T/h.db" --suite a --run-id a-00 "$T/in/a-00.jsonl"
writer() {
	for k in $(seq -w 1 19); do
		histmerge -q --db "$T/h.db" --suite $1 --run-id $1-$k "$T/in/$1-$k.jsonl" || echo "histmerge $1-$k: exit $?"
	done
}
writer a & wa=$!
writer b & wb=$!
( for i in $(seq 15); do histprune -q --db "$T/h.db" --keep-runs 3 || echo "histprune: exit $?"; done ) & wp=$!
( for i in $(seq 15); do histplan -q --db "$T/h.db" --suite a --shards 2 --out "$T/plan" >/dev/null ||
	echo "histplan: exit $?"; done ) & wr=$!
wait $wa; wait $wb; wait $wp; wait $wr
histprune -q --db "$T/h.db" --keep-runs 3; echo "last prune: exit $?"
sqlite3 "$T/h.db" "PRAGMA integrity_check; PRAGMA foreign_key_check;"
$PYTHON tests/packs.py "$T/h.db" "SELECT s.name, r.ext_id, count(x.test_id) FROM runs r JOIN suites s ON s.id = r.suite_id
	LEFT JOIN results x ON x.run_id = r.id GROUP BY r.id ORDER BY 1, 2"
sqlite3 "$T/h.db" "SELECT count(*) FROM tests"
ls "$T"
