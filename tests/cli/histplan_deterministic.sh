# The same inputs give byte-identical outputs, also when the collected list
# comes in another order or through stdin; a new plan with fewer shards
# removes the old plan's extra shard files and nothing else.
histmerge --db "$T/h.db" --run-id r1 -q fixtures/jsonl/hist-sample.jsonl
histmerge --db "$T/h.db" --run-id r2 -q fixtures/junit/pytest-xunit1.xml
cd "$T"
sed -n '1,23p' "$OLDPWD/fixtures/plan/pysuite-collected.txt" > list.txt
sort -r list.txt > reversed.txt
histplan -q --db h.db --shards 4 --tests list.txt --out a --svg a.svg
histplan -q --db h.db --shards 4 --tests list.txt --out b --svg b.svg
histplan -q --db h.db --shards 4 --tests - --out c < reversed.txt
for f in plan.json shard-1.txt shard-2.txt shard-3.txt shard-4.txt; do
	cmp a/$f b/$f && cmp a/$f c/$f && echo "same $f"
done
cmp a.svg b.svg && echo "same svg"
touch a/notes.txt a/shard-9.txt a/shard-1.txt.orig
histplan -q --db h.db --shards 2 --tests list.txt --out a
ls a
