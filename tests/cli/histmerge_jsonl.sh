# The JSON formats, told apart by content: reportlog, hist (plain and
# gzip: the same content, so the second adds nothing), balance and
# .test_durations.
histmerge --db "$T/h.db" --run-id r1 -v fixtures/jsonl
echo "exit $?"
histstats --db "$T/h.db" --json
