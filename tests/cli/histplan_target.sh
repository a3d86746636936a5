# --target-seconds: the fewest shards whose predicted makespan, start-up
# included, is within the target; when no count up to --max-shards makes
# it, the fewest shards that do as well as the most, and a warning.
histmerge --db "$T/h.db" --run-id r1 -q fixtures/junit/pytest-xunit1.xml
cd "$T"
histplan --db h.db --target-seconds 2 --shard-overhead 0.5 --preview
echo "exit $?"
histplan --db h.db --target-seconds 1.7 --shard-overhead 0.5 --preview --out b
echo "exit $?"
histplan --db h.db --target-seconds 1 --max-shards 6 --shard-overhead 0.5 --json --out c | grep -E '"shard_count"|"makespan|"target'
echo "exit $?"
