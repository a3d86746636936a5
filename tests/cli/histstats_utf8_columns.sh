# histstats pads its table columns by the columns a terminal gives the
# text, not by bytes: a nodeid or suite name in UTF-8 (accents, combining
# marks, CJK characters two columns wide) keeps the figures in line, and a
# name cut to fit loses whole characters only. width_check.py measures
# each row as a UTF-8 terminal shows it (Python's unicodedata).
$PYTHON tests/cli/history_gen.py "$T/in" \
	"r1@1764000000:a.py::test_plain=3,ü.py::test_ümlaut=2.5,e.py::test_e$(printf 'e\314\201')=2,测试.py::test_中文[参数]=1.5,长/$(printf '%.0s测试' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20).py::test_长=1"
histmerge -q --db "$T/h.db" --run-id r1 "$T/in/r1.jsonl"
histstats --db "$T/h.db" > "$T/one.txt"; echo "exit $?"
cat "$T/one.txt"
$PYTHON tests/cli/width_check.py 100 "$T/one.txt"
echo "-- a second suite named in UTF-8 shows its name before each test"
$PYTHON tests/cli/history_gen.py "$T/in" "u1@1764000000:测试.py::test_x=4,b.py::test_y=0.5"
histmerge -q --db "$T/h.db" --suite 单元 --run-id 运行-1 "$T/in/u1.jsonl"
histstats --db "$T/h.db" > "$T/two.txt"; echo "exit $?"
cat "$T/two.txt"
$PYTHON tests/cli/width_check.py 100 "$T/two.txt"
echo "-- --test: suite and run columns"
histstats --db "$T/h.db" --test tests/测试.py::test_x > "$T/test.txt"; echo "exit $?"
cat "$T/test.txt"
$PYTHON tests/cli/width_check.py 89 "$T/test.txt"
