# A test known by its JUnit key (an xunit2 report) and by its nodeid (the
# plugin's report, reportlog, xunit1) is one test in histstats' "tests", as
# histplan and histmerge --plan match them. A key no nodeid has counts on
# its own; two nodeids sharing one key (tests/a/b/t.py, tests/a.b/t.py)
# stay two tests.
histmerge -q --db "$T/h.db" --run-id x2 fixtures/junit/pytest-xunit2.xml
histstats --db "$T/h.db" | sed -n 2,4p
histmerge -q --db "$T/h.db" --run-id x1 fixtures/jsonl/pytest-reportlog.jsonl
histstats --db "$T/h.db" | sed -n 2,4p
histstats --db "$T/h.db" --json | head -c 40; echo
echo "-- a key no nodeid has; two nodeids of one key"
printf '<testsuite><testcase classname="tests.only_key" name="t" time="1"/><testcase classname="tests.a.b.t" name="t" time="1"/></testsuite>\n' > "$T/k.xml"
printf '<testsuite><testcase file="tests/a/b/t.py" classname="tests.a.b.t" name="t" time="1"/><testcase file="tests/a.b/t.py" classname="tests.a.b.t" name="t" time="1"/></testsuite>\n' > "$T/n.xml"
histmerge -q --db "$T/h.db" --run-id k "$T/k.xml"
histmerge -q --db "$T/h.db" --run-id n "$T/n.xml"
histstats --db "$T/h.db" | sed -n 2,4p
echo "-- per suite: the key in one suite, the nodeid in another"
printf '<testsuite><testcase classname="tests.a.b.t" name="t" time="2"/></testsuite>\n' > "$T/u.xml"
histmerge -q --db "$T/h.db" --suite unit --run-id u "$T/u.xml"
histstats --db "$T/h.db" --suite unit | sed -n 2,4p
histstats --db "$T/h.db" | sed -n 2,4p
