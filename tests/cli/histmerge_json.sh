# --json: one document on stdout, keys in a fixed order, a list of inputs;
# the summary still goes to stderr.
histmerge --db "$T/h.db" --run-id gh-local --json fixtures/junit/pytest-xunit2.xml fixtures/bad/empty.xml fixtures/junit/pytest-xunit2.xml
echo "exit $?"
