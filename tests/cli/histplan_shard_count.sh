# --max-tests-per-shard K: ceil(tests / K) shards, capped by --max-shards
# (a warning says so); with --target-seconds, the larger of the two counts.
# --print-shards prints only N on stdout (for a CI matrix); the plan still
# goes to its directory, one shard file per shard. --workers W predicts a
# shard's W-worker makespan. Ten tests of 1 s each, no per-test overhead.
cd "$T"
i=0
while [ $i -lt 10 ]; do
	echo "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"t$i.py::test_a\", \"outcome\": \"passed\", \"setup\": 0, \"call\": 1.0, \"teardown\": 0}"
	echo "t$i.py::test_a" >>tests.txt
	i=$((i + 1))
done >r.jsonl
histmerge --db h.db --run-id r1 -q r.jsonl
P="histplan --db h.db --tests tests.txt --test-overhead 0"
for k in 1 3 4 5 10 11; do
	n=$($P --max-tests-per-shard $k --print-shards --out k$k)
	echo "K=$k: N=$n, $(ls k$k/shard-*.txt | wc -l) shard files, $(grep -hv '^#' k$k/shard-*.txt | wc -l) tests"
done
$P --max-tests-per-shard 3 --max-shards 2 --print-shards --out m 2>&1
echo "exit $?"
# A target of 2 s fits 2 tests a shard: 5 shards, though K=5 alone gives 2.
$P --max-tests-per-shard 5 --target-seconds 2 --print-shards --out t -q
# K=2 asks for 5 shards; a target of 10 s alone would take 1.
$P --max-tests-per-shard 2 --target-seconds 10 --print-shards --out t -q
grep -E '"shard_count"|"max_tests|"target' t/plan.json
# On 3 workers each shard takes 2 s (its 6 or 4 tests), where a sum says 5.
$P --shards 2 --workers 3 --json --out w -q | grep -E '"predicted|"workers"|"lower|"makespan'
$P --shards 2 --max-tests-per-shard 3
echo "exit $?"
$P --max-tests-per-shard 3 --print-shards --json
echo "exit $?"
$P --max-tests-per-shard 0
echo "exit $?"
$P --shards 2 --workers 257
echo "exit $?"
$P --shards 2 --max-shards 3
echo "exit $?"
