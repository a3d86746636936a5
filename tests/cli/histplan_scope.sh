# --scope class and --scope module keep a class or a module on one shard,
# whatever its parameters hold ("::", "/", "[", spaces, non-ASCII).
histmerge --db "$T/h.db" --run-id r1 -q fixtures/junit/pytest-xunit2.xml
cd "$T"
for scope in class module; do
	histplan -q --db h.db --shards 3 --scope $scope --tests "$OLDPWD/fixtures/plan/pysuite-collected.txt" --out $scope
	echo "exit $?"
	for f in $scope/shard-*.txt; do echo "--- $f"; sed 1,2d "$f"; done
done
