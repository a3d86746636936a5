# Bad options are usage errors (exit 2) that name the option and value,
# checked before any file is touched: no database, no output directory.
cd "$T"
for args in "--shards 0" "--shards -3" "--shards abc" "--shards 1025" "--shards 2x" "" \
	"--shards 2 --target-seconds 60" "--max-shards 4 --shards 2" "--target-seconds 0" \
	"--target-seconds -1" "--target-seconds nan" "--shards 2 --alpha 0" "--shards 2 --alpha 1.5" \
	"--shards 2 --alpha nan" "--shards 2 --alpha x" "--shards 2 --window 0" "--shards 2 --window 1001" \
	"--shards 2 --scope package" "--shards 2 --estimator mean" "--shards 2 --test-overhead -1" \
	"--shards 2 --shard-overhead inf" "--shards 2 --effort 0" "--shards 2 --preview --json" \
	"--shards 2 extra" "--shards 2 --no-such-option" "--shards 2 -x" "--shards"; do
	echo "== histplan $args"
	histplan --db h.db $args
	echo "exit $?"
done
ls -A | grep -v "^\.std"
