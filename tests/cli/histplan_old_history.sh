# After an upgrade of hist the first job of a pipeline is histplan: it
# upgrades an older history (as histstats does) instead of refusing it,
# and plans from it what it plans from the same history upgraded by a
# writer.
version() { $PYTHON -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$1"; }
for f in plan stats writer; do cp fixtures/db/v5.db "$T/$f.db"; done
echo "before: schema $(version "$T/plan.db")"
histplan -q --db "$T/plan.db" --shards 3 --out "$T/p1"
echo "histplan exit $?, schema $(version "$T/plan.db")"
histstats --db "$T/stats.db" > "$T/stats.txt"
echo "histstats exit $?, schema $(version "$T/stats.db")"
histprune -q --db "$T/writer.db" --keep-runs 1000
histplan -q --db "$T/writer.db" --shards 3 --out "$T/p2"
diff -r "$T/p1" "$T/p2" && echo "same plan as after a writer's upgrade"
histstats --db "$T/writer.db" | cmp - "$T/stats.txt" && echo "same stats"
