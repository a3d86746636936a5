# --export-durations writes the tests known by nodeid. A test known only by
# its JUnit key (xunit2 reports carry no file path) cannot be written as a
# nodeid: it is counted in a warning and the exit status is 1, never left
# out silently. A key whose nodeid was written is not left out, and a key
# in two suites counts once. The message counts the tests written.
histmerge -q --db "$T/h.db" --run-id x2 fixtures/junit/pytest-xunit2.xml
histstats --db "$T/h.db" --export-durations "$T/d"; echo "exit $?"
cat "$T/d"
echo "-- the same tests by nodeid (xunit1's file attribute)"
histmerge -q --db "$T/h.db" --run-id x1 fixtures/junit/pytest-xunit1.xml
histstats --db "$T/h.db" --export-durations "$T/d"; echo "exit $?"
grep -c '::' "$T/d"
echo "-- one key in two suites"
printf '<testsuite><testcase classname="a.b" name="t1" time="%s"/></testsuite>\n' 1 > "$T/u.xml"
printf '<testsuite><testcase classname="a.b" name="t1" time="%s"/></testsuite>\n' 2 > "$T/i.xml"
histmerge -q --db "$T/h.db" --suite unit --run-id u "$T/u.xml"
histmerge -q --db "$T/h.db" --suite integration --run-id i "$T/i.xml"
histstats --db "$T/h.db" --export-durations "$T/d"; echo "exit $?"
histstats --db "$T/h.db" --suite unit --export-durations "$T/d"; echo "exit $?"
cat "$T/d"
