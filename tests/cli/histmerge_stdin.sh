# "-" reads stdin (gzip too); a history database must be given by path.
gzip -c fixtures/junit/pytest-xunit1.xml | histmerge --db "$T/h.db" --run-id r1 -v -
echo "exit $?"
histmerge --db "$T/h.db" --run-id r1 - < fixtures/junit/pytest-xunit1.xml
echo "exit $?"
cp fixtures/db/v1.db "$T/v1.db"
histmerge --db "$T/h.db" - < "$T/v1.db"
echo "exit $?"
