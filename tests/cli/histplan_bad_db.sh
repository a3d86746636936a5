# A missing history is a runtime failure (exit 1) and is not created; a
# database of another program or of a newer schema is refused and left as
# it was; no shards directory is made.
cd "$T"
histplan --db missing.db --shards 2
echo "exit $?"
cp "$OLDPWD/fixtures/db/foreign.db" "$OLDPWD/fixtures/db/plain.db" .
cksum foreign.db plain.db > before
histplan --db foreign.db --shards 2
echo "exit $?"
histplan --db plain.db --shards 2
echo "exit $?"
HIST_DB=missing.db histplan --shards 2
echo "exit $?"
# A history written by a newer hist.
cp "$OLDPWD/fixtures/db/v1.db" newer.db
sqlite3 newer.db "PRAGMA user_version = 99"
histplan --db newer.db --shards 2
echo "exit $?"
cksum foreign.db plain.db | cmp - before && echo unchanged
ls -A | grep -v "^\.std"
