# histmerge on the good JUnit fixtures (a directory: walked in name order),
# counts checked through histstats; a second ingest adds nothing; the same
# inputs give byte-identical histories.
histmerge --db "$T/h.db" --run-id r1 fixtures/junit
echo "exit $?"
histstats --db "$T/h.db" --json
histmerge --db "$T/h.db" --run-id r2 fixtures/junit/pytest-xunit1.xml fixtures/junit/huge-system-out.xml.gz
echo "exit $?"
histstats --db "$T/h.db" --json
histmerge --db "$T/h2.db" --run-id r1 -q fixtures/junit
echo "exit $?"
sqlite3 "$T/h.db" .dump > "$T/1.sql"
sqlite3 "$T/h2.db" .dump > "$T/2.sql"
cmp "$T/1.sql" "$T/2.sql" && echo identical
