# --max-tests-per-shard K: ceil(tests / K) shards, capped by --max-shards
# (a warning says so); with --target-seconds, the larger of the two counts.
# --print-shards prints only N on stdout (for a CI matrix); the plan still
# goes to its directory, one shard file per shard. --workers W predicts a
# shard's W-worker makespan.
cd "$T"
i=0
while [ $i -lt 10 ]; do echo "t$i.py::test_a"; i=$((i + 1)); done >tests.txt
for k in 1 3 4 5 10 11; do
	n=$(histplan --db none.db --tests tests.txt --max-tests-per-shard $k --print-shards --out k$k 2>/dev/null)
	echo "K=$k: N=$n, $(ls k$k/shard-*.txt | wc -l) shard files, $(grep -hv '^#' k$k/shard-*.txt | wc -l) tests"
done
histplan --db none.db --tests tests.txt --max-tests-per-shard 3 --max-shards 2 --print-shards --out m 2>&1
echo "exit $?"
# With a target of 2 ms (2 tests of the default 1 ms a shard at best), K=5
# alone would give 2 shards; the target needs more, and K=2 needs 5.
histplan --db none.db --tests tests.txt --max-tests-per-shard 5 --target-seconds 0.002 --print-shards --out t 2>/dev/null
histplan --db none.db --tests tests.txt --max-tests-per-shard 2 --target-seconds 0.01 --print-shards --out t 2>/dev/null
grep -E '"shard_count"|"max_tests|"workers"|"predicted' t/plan.json
# 4 tests of 1 ms on 3 workers take 2 ms, not 4.
histplan --db none.db --tests tests.txt --shards 2 --workers 3 --json --out w 2>/dev/null | grep -E '"predicted|"workers"|"lower'
histplan --db none.db --tests tests.txt --shards 2 --max-tests-per-shard 3
echo "exit $?"
histplan --db none.db --tests tests.txt --max-tests-per-shard 3 --print-shards --json
echo "exit $?"
histplan --db none.db --tests tests.txt --max-tests-per-shard 0
echo "exit $?"
histplan --db none.db --tests tests.txt --shards 2 --workers 257
echo "exit $?"
histplan --db none.db --tests tests.txt --shards 2 --max-shards 3
echo "exit $?"
