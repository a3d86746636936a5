# The costs the split creates, learnt from two runs of hist JSONL reports:
# per-test overhead (wall - collection - tests, over the tests: 3 ms), the
# shard start-up (collection: 2 s) and test_db.py's module fixture (4 s in
# the set-up of its first test), charged to each shard running part of it.
# On 2 shards the module stays whole; on 4 halving it pays.
cd "$T"
for run in 1 2; do
	awk -v run=$run 'BEGIN {
		start = 1764000000 + run * 3600; total = 0; n = 0
		for (i = 0; i < 6; i++) {
			setup = i == 0 ? 4.0 : 0.001
			printf "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"tests/test_db.py::test_%d\", \"outcome\": \"passed\", \"attempt\": 1, \"setup\": %.3f, \"call\": 1.0, \"teardown\": 0.0, \"worker\": \"master\", \"start\": %d}\n", i, setup, start
			total += setup + 1.0; n++
		}
		for (i = 0; i < 6; i++) {
			printf "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"tests/test_api.py::test_%d\", \"outcome\": \"passed\", \"attempt\": 1, \"setup\": 0.001, \"call\": 1.5, \"teardown\": 0.0, \"worker\": \"master\", \"start\": %d}\n", i, start
			total += 1.501; n++
		}
		for (i = 0; i < 12; i++) {
			printf "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"tests/test_util.py::test_%02d\", \"outcome\": \"passed\", \"attempt\": 1, \"setup\": 0.001, \"call\": 0.25, \"teardown\": 0.0, \"worker\": \"master\", \"start\": %d}\n", i, start
			total += 0.251; n++
		}
		printf "{\"hist\": 1, \"type\": \"session\", \"start\": %d, \"collect\": 2.0, \"wall\": %.3f, \"workers\": 0, \"tests\": %d, \"plan_id\": null, \"shard\": null, \"shards\": null}\n", start, total + 2.0 + 0.003 * n, n
	}' > run$run.jsonl
	histmerge --db h.db --run-id r$run -q run$run.jsonl || echo "histmerge failed"
done
# The collected order: test_db.py's first test opens the module.
sed -n 's/.*"nodeid": "\([^"]*\)".*/\1/p' run1.jsonl > collected.txt
histplan --db h.db --shards 2 --tests collected.txt --preview --out two
echo "exit $?"
histplan --db h.db --shards 4 --tests collected.txt --preview --out four
echo "exit $?"
for f in four/shard-*.txt; do echo "--- $f"; cat "$f"; done
sed -n '/"overheads"/,/}/p' four/plan.json
# Given overheads win over learnt ones.
histplan --db h.db --shards 4 --tests collected.txt --test-overhead 0 --shard-overhead 0 --json --out given | sed -n '/"overheads"/,/}/p'
