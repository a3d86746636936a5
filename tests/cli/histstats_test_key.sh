# histstats --test NODEID also shows the runs that knew the test only by
# its JUnit key (xunit2 reports carry no file path), in start order; a run
# holding both shows the nodeid's result once.
histmerge -q --db "$T/h.db" --run-id x2 fixtures/junit/pytest-xunit2.xml
histstats --db "$T/h.db" --test tests/test_basic.py::test_b; echo "exit $?"
sed 's/time="1.251"/time="2.5"/' fixtures/junit/pytest-xunit1.xml > "$T/x1.xml"
histmerge -q --db "$T/h.db" --run-id x1 "$T/x1.xml"
histmerge -q --db "$T/h.db" --run-id x1 fixtures/jsonl/pytest-reportlog.jsonl
histstats --db "$T/h.db" --test tests/test_basic.py::test_b --json; echo "exit $?"
histstats --db "$T/h.db" --test tests.test_basic::test_b; echo "exit $?"
