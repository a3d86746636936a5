# A plan from pytest-split's .test_durations: shard files, plan.json and
# the preview. Per-test overhead is the default (.test_durations carries no
# wall time); --shard-overhead adds to every shard.
histmerge --db "$T/h.db" --run-id r1 -q fixtures/jsonl/test_durations.json
cd "$T"
histplan --db h.db --shards 2 --shard-overhead 0.25 --preview
echo "exit $?"
for f in shards/*; do echo "--- $f"; cat "$f"; done
