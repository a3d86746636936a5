# histstats: a text table, or JSON; a missing database is an error and is
# not created.
histstats --db "$T/none.db"
echo "exit $?"
ls "$T"
histmerge --db "$T/h.db" --run-id r1 -q fixtures/junit/pytest-xunit1.xml
histmerge --db "$T/h.db" --run-id r2 --suite unit -q fixtures/junit/pytest-xunit2.xml
histstats --db "$T/h.db"
histstats --db "$T/h.db" --suite unit
histstats --db "$T/h.db" --json
histstats --db "$T/h.db" extra
echo "exit $?"
histstats --db fixtures/db/foreign.db
echo "exit $?"
