# --estimator auto backtests ema, median and last on the history: each run
# of the window predicted from the runs before it. A test that spiked once
# (0.1 s, 1 s once, then 0.1 s again) is best predicted by the median
# (absolute errors by hand over the 6 predictions, alpha 0.3: ema 0 + 0.9 +
# 0.27 + 0.189 + 0.1323 + 0.09261 = 1.58391 s, a mean of 0.263985 s; median
# 0.9 s, 0.15 s; last 1.8 s, 0.3 s), so the plan estimates 0.1 s.
cd "$T"
i=0
for d in 0.1 0.1 1.0 0.1 0.1 0.1 0.1; do
	i=$((i + 1))
	printf '{"hist": 1, "type": "test", "nodeid": "t/a.py::spiky", "outcome": "passed", "attempt": 1, "setup": 0.0, "call": %s, "teardown": 0.0, "worker": "master", "start": %d}\n' \
	    "$d" $((1764000000 + i * 3600)) > run$i.jsonl
	histmerge -q --db h.db --run-id r$i run$i.jsonl || echo "histmerge failed"
done
histplan --db h.db --shards 1 --estimator auto --test-overhead 0 --dry-run --json | grep -e '"estimator' -e '"predicted_seconds"'
histplan --db h.db --shards 1 --estimator auto --test-overhead 0 --dry-run --preview | tail -n 1
# Without it, the EMA still feels the spike.
histplan --db h.db --shards 1 --test-overhead 0 --dry-run --json | grep -e '"estimator' -e '"predicted_seconds"'
histplan --db h.db --shards 1 --estimator best --dry-run
echo "exit $?"
