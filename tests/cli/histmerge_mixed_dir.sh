# A directory of good and bad files: each bad one is named with its reason,
# the good ones are stored, the exit status is 1, the database is intact.
# (A fixed list, so new hostile fixtures do not change this output;
# check_ingest runs every file of fixtures/bad.)
mkdir "$T/in"
for f in billion-laughs.xml corrupt.gz deep-nesting.xml empty.xml invalid-utf8.xml malformed.jsonl \
	truncated.jsonl.gz truncated.xml truncated.xml.gz unknown-format.txt utf7.xml xxe-parameter.xml xxe.xml; do
	cp "fixtures/bad/$f" "$T/in/"
done
cp fixtures/junit/pytest-xunit1.xml "$T/in/r1.xml"
cp fixtures/junit/surefire.xml "$T/in/z-surefire.xml"
histmerge --db "$T/h.db" --run-id r1 "$T/in"
echo "exit $?"
sqlite3 "$T/h.db" 'PRAGMA integrity_check'
histstats --db "$T/h.db" --json
# The XXE fixture names a secret file: its bytes are stored nowhere.
if grep -q -F -f fixtures/secret/secret.txt "$T/h.db"; then echo "secret leaked"; fi
