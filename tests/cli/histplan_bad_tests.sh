# A --tests list with a blank line inside, a duplicate or something that is
# not `pytest --collect-only -q` output is a usage error naming the line;
# an unreadable list is a runtime failure. No shards directory is made.
histmerge --db "$T/h.db" --run-id r1 -q fixtures/jsonl/test_durations.json
printf 'a.py::x\n\nb.py::y\n' > "$T/blank.txt"
printf 'a.py::x\nb.py::y\na.py::x\n' > "$T/dup.txt"
printf 'collected 2 items\n<Module a.py>\n' > "$T/verbose.txt"
printf 'a.py: 3\n' > "$T/qq.txt"
cd "$T"
for list in blank.txt dup.txt verbose.txt qq.txt missing.txt; do
	histplan --db h.db --shards 2 --tests $list
	echo "exit $?"
done
printf 'a.py::x\n# comment\n' | histplan --db h.db --shards 2 --tests -
echo "exit $?"
ls -A | grep -v "^\.std"
