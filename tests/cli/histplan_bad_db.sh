# A missing history is a runtime failure (exit 1) and is not created; a
# database of another program or schema is refused and left as it was.
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
cksum foreign.db plain.db | cmp - before && echo unchanged
ls -A | grep -v "^\.std"
