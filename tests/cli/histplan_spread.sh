# --spread-variance K keeps noisy tests apart. Four 10 s tests; t1 and t3
# took 5, 15 and 10 s over three runs (median 10 s, spread 7.4 s), t2 and
# t4 10 s each time. By the medians alone t1 and t3 share a shard (equal
# estimates go in name order); with K = 1 they go apart, and both shards
# still predict their expected 20 s. With two runs (fewer than 3 samples)
# the shard files are those without the option, byte for byte.
cd "$T"
run() { # run N T1 T3: report rN.jsonl, t2 and t4 at 10 s
	n=$1 a=$2 b=$3
	for t in "t1 $a" "t2 10" "t3 $b" "t4 10"; do
		printf '{"hist": 1, "type": "test", "nodeid": "a.py::%s", "outcome": "passed", "attempt": 1, "setup": 0, "call": %s, "teardown": 0, "worker": "master", "start": %s000}\n' ${t% *} ${t#* } $n
	done > r$n.jsonl
}
run 1 5 5
run 2 15 15
histmerge -q --db h.db --run-id r1 r1.jsonl
histmerge -q --db h.db --run-id r2 r2.jsonl
histplan -q --db h.db --shards 2 --estimator median --test-overhead 0 --out two
histplan -q --db h.db --shards 2 --estimator median --test-overhead 0 --spread-variance 1 --out two-spread
for f in shard-1.txt shard-2.txt; do cmp two/$f two-spread/$f && echo "same $f"; done
run 3 10 10
histmerge -q --db h.db --run-id r3 r3.jsonl
for k in 0 1; do
	echo "== --spread-variance $k"
	histplan -q --db h.db --shards 2 --estimator median --test-overhead 0 --spread-variance $k --out s$k
	grep -h -v '^#' s$k/shard-1.txt | tr '\n' ' '; echo
	grep -h -v '^#' s$k/shard-2.txt | tr '\n' ' '; echo
	grep -E '"(predicted_seconds|spread_variance|makespan_seconds)"' s$k/plan.json | sed 's/^ *//'
done
for k in -1 10.5 x nan; do
	histplan -q --db h.db --shards 2 --spread-variance $k --dry-run
	echo "exit $?"
done
