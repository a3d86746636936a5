# Merging history A and B into C twice equals once, and B-then-A equals
# A-then-B: the databases dump alike.
histmerge --db "$T/a.db" --run-id r1 -q fixtures/junit/pytest-xunit1.xml
histmerge --db "$T/b.db" --run-id r2 --suite unit -q fixtures/junit/pytest-xunit2.xml fixtures/db/v1.db
histmerge --db "$T/c.db" -v "$T/a.db" "$T/b.db"
echo "exit $?"
histmerge --db "$T/c.db" -v "$T/a.db" "$T/b.db"
echo "exit $?"
histmerge --db "$T/d.db" -q "$T/b.db" "$T/a.db"
histstats --db "$T/c.db" --json
q="SELECT s.name, r.ext_id, r.started_us, t.name, t.is_key, x.outcome, x.duration_us, x.setup_us, x.attempts
FROM results x JOIN runs r ON r.id = x.run_id JOIN suites s ON s.id = r.suite_id JOIN tests t ON t.id = x.test_id
ORDER BY 1, 2, 4, 5"
$PYTHON tests/packs.py "$T/c.db" "$q" > "$T/c.txt"
$PYTHON tests/packs.py "$T/d.db" "$q" > "$T/d.txt"
cmp "$T/c.txt" "$T/d.txt" && echo "c and d hold the same results"
wc -l < "$T/c.txt"
# A history cannot be merged into itself.
histmerge --db "$T/c.db" "$T/c.db"
echo "exit $?"
# A damaged source (a history cut after its first pages) is named once, as
# the damaged one; the history it was merged into is as it was.
head -c 8192 "$T/b.db" > "$T/cut.db"
$PYTHON tests/packs.py "$T/c.db" "$q" > "$T/before.txt"
(cd "$T" && histmerge --db c.db cut.db)
echo "exit $?"
$PYTHON tests/packs.py "$T/c.db" "$q" | cmp - "$T/before.txt" && echo "c unchanged"
