# --svg draws the plan: a well-formed, self-contained SVG document.
histmerge --db "$T/h.db" --run-id r1 -q fixtures/jsonl/hist-sample.jsonl
cd "$T"
histplan -q --db h.db --shards 3 --dry-run --svg plan.svg
echo "exit $?"
ls -A | grep -v "^\.std"
xmllint --noout plan.svg && echo well-formed
cat plan.svg
