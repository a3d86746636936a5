# An input's content counts once, whatever its run id and whichever way it
# arrives (a file, gzipped or not, or inside another history): in the run
# first by (suite, run id). A+B equals B+A in a canonical dump of every
# table, made here by Python's sqlite3 (tests/packs.py decodes the packed
# results on its own), not by hist.
F1=fixtures/junit/pytest-xunit1.xml F2=fixtures/jsonl/hist-sample.jsonl F3=fixtures/jsonl/pytest-reportlog.jsonl
gzip -c "$F1" > "$T/f1.xml.gz"
m() { histmerge -q "$@"; echo "histmerge $*: exit $?" | sed "s|$T/||g"; }
dump() {
	$PYTHON tests/packs.py "$1" "SELECT 'suite', name FROM suites ORDER BY 2;
	SELECT 'run', s.name, r.ext_id, r.started_us FROM runs r JOIN suites s ON s.id = r.suite_id ORDER BY 2, 3;
	SELECT 'test', name, is_key FROM tests ORDER BY 2, 3;
	SELECT 'result', s.name, r.ext_id, t.name, t.is_key, x.outcome, x.duration_us, x.setup_us, x.attempts
	FROM results x JOIN runs r ON r.id = x.run_id JOIN suites s ON s.id = r.suite_id JOIN tests t ON t.id = x.test_id
	ORDER BY 2, 3, 4, 5;
	SELECT 'input', hex(i.hash), s.name, r.ext_id, i.wall_us, i.collect_us, i.workers, i.plan_id, i.shard_index,
	i.shard_total, i.tests, i.test_us FROM inputs i JOIN runs r ON r.id = i.run_id JOIN suites s ON s.id = r.suite_id
	ORDER BY 2;"
}
counts() { $PYTHON tests/packs.py "$1" "SELECT count(*) FROM runs; SELECT count(*) FROM results; SELECT count(*) FROM inputs" | tr '\n' ' '; echo; }
same() { dump "$1" > "$1.txt"; dump "$2" > "$2.txt"; cmp -s "$1.txt" "$2.txt" && echo "same content: $(basename "$1") $(basename "$2")" ||
	{ echo "DIFFERENT: $1 $2"; diff "$1.txt" "$2.txt" | head; }; }

echo "-- B holds F1 and F2 in run a-ci; F1 also comes as a file under z-local"
m --db "$T/b.db" --run-id a-ci "$F1" "$F2"
m --db "$T/fd.db" --run-id z-local "$F1"
m --db "$T/fd.db" "$T/b.db"
m --db "$T/df.db" "$T/b.db"
m --db "$T/df.db" --run-id z-local "$F1"
same "$T/fd.db" "$T/df.db"
same "$T/fd.db" "$T/b.db"
counts "$T/fd.db"
echo "-- the same, gzipped (known by its raw bytes on the second pass)"
m --db "$T/gd.db" --run-id z-local "$T/f1.xml.gz"
m --db "$T/gd.db" "$T/b.db"
m --db "$T/dg.db" "$T/b.db"
m --db "$T/dg.db" --run-id z-local "$T/f1.xml.gz"
same "$T/gd.db" "$T/dg.db"
same "$T/gd.db" "$T/b.db"
echo "-- two histories sharing F1: A has it alone in run r1 (and F3 in r2)"
m --db "$T/a.db" --run-id r1 "$F1"
m --db "$T/a.db" --run-id r2 "$F3"
m --db "$T/ab.db" "$T/a.db" "$T/b.db"
m --db "$T/ba.db" "$T/b.db" "$T/a.db"
same "$T/ab.db" "$T/ba.db"
counts "$T/ab.db"
echo "-- three ways in, in three orders"
m --db "$T/o1.db" "$T/a.db"
m --db "$T/o1.db" --run-id q "$F2"
m --db "$T/o1.db" "$T/b.db"
m --db "$T/o2.db" "$T/b.db"
m --db "$T/o2.db" --run-id q "$F2"
m --db "$T/o2.db" "$T/a.db"
m --db "$T/o3.db" --run-id q "$F2"
m --db "$T/o3.db" "$T/b.db" "$T/a.db"
same "$T/o1.db" "$T/o2.db"
same "$T/o1.db" "$T/o3.db"
same "$T/o1.db" "$T/ab.db"
echo "-- a run that would give up part of its inputs: refused either way, nothing changed"
m --db "$T/d.db" --run-id m "$F1" "$F3"
m --db "$T/e.db" --run-id k "$F1"
cp "$T/d.db" "$T/de.db"; cp "$T/e.db" "$T/ed.db"
m --db "$T/de.db" "$T/e.db"
m --db "$T/ed.db" "$T/d.db"
same "$T/de.db" "$T/d.db"
same "$T/ed.db" "$T/e.db"
m --db "$T/e.db" --run-id m "$F3"
m --db "$T/e.db" --run-id m "$F1"
counts "$T/e.db"
