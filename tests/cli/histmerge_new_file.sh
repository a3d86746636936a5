# A new history's first input is written through a rollback journal, not
# the WAL (store.c, open_db): the same content as through the WAL of an
# existing history, whatever comes in (fixtures, a generated suite, a name
# twice in one file, a file again, a second run, a bad file, a database),
# and after close one file in WAL mode. Each n*.db is new; its w*.db twin
# was made (schema only, WAL mode) by a failed histmerge first. Dumped by
# Python's sqlite3 (tests/packs.py), every table by row id, packs in hex.
m() { histmerge -q "$@"; echo "histmerge $*: exit $?" | sed "s|$T/||g"; }
dump() {
	$PYTHON tests/packs.py "$1" "SELECT 'schema', type, name, tbl_name, sql FROM sqlite_schema ORDER BY name;
	SELECT 'suite', * FROM suites ORDER BY id; SELECT 'run', * FROM runs ORDER BY id;
	SELECT 'test', id, name, is_key FROM tests ORDER BY id;
	SELECT 'pack', run_id, chunk, hex(data) FROM packs ORDER BY run_id, chunk;
	SELECT 'input', hex(hash), run_id, wall_us, collect_us, workers, plan_id, shard_index, shard_total, tests,
	test_us, hex(raw_hash), startup_us FROM inputs ORDER BY hash;
	SELECT 'meta', * FROM meta ORDER BY key; SELECT 'version', user_version FROM pragma_user_version;
	SELECT 'check', integrity_check FROM pragma_integrity_check"
}
# One file left, its header saying WAL (bytes 18 and 19 are 2).
state() { echo "$(ls "$T/$1"* | sed "s|$T/||g" | tr '\n' ' ')header $(od -A n -t u1 -j 18 -N 2 "$T/$1" | tr -s ' ')"; }
mkdir "$T/dumps"
same() {
	dump "$T/$1" > "$T/dumps/$1"; dump "$T/$2" > "$T/dumps/$2"
	cmp -s "$T/dumps/$1" "$T/dumps/$2" && echo "same content: $1 $2 ($(grep -c '^test' "$T/dumps/$1") tests," \
		"$(grep -c '^pack' "$T/dumps/$1") packs, $(grep -c '^input' "$T/dumps/$1") inputs)" ||
		{ echo "DIFFERENT: $1 $2"; diff "$T/dumps/$1" "$T/dumps/$2" | head; }
	state "$1"; state "$2"
}
pair() { # pair N ARGS...: the same histmerge into nN.db (new) and wN.db
	n=$1; shift
	[ -e "$T/w$n.db" ] || m --db "$T/w$n.db" fixtures/bad/empty.xml >/dev/null
	m --db "$T/n$n.db" "$@"
	m --db "$T/w$n.db" "$@" >/dev/null
}
$PYTHON bench/gen_xunit2.py 3000 1 > "$T/g1.xml"
$PYTHON bench/gen_xunit2.py 3000 2 > "$T/g2.xml"
# A name twice in one file (the second result counts where greater), and
# names of g1 again.
tc() { printf '<testcase classname="%s" name="%s" time="%s"%s\n' "$1" "$2" "$3" "$4"; }
{ echo '<testsuites><testsuite name="pytest">'
	tc tests.pkg0.test_mod0.TestGroup0 'test_case_0[param-0-]' 0.5 '/>'
	tc tests.dup.test_a test_x 1.0 '/>'
	tc tests.dup.test_a test_y 2.0 '><skipped message="no"/></testcase>'
	tc tests.dup.test_a test_x 3.0 '><failure message="boom">trace</failure></testcase>'
	tc tests.pkg0.test_mod0.TestGroup0 test_case_1 0.25 '/>'
	tc tests.dup.test_a test_y 0.1 '/>'
	echo '</testsuite></testsuites>'; } > "$T/dup.xml"
# Batches of mostly new names with known ones and repeats among them
# (a batch that inserts first skips the ids it offered those).
{ echo '<testsuites><testsuite name="pytest">'
	j=0
	while [ $j -lt 2500 ]; do
		tc tests.mix.test_m "test_$j" 0.01 '/>'
		[ $((j % 10)) = 0 ] && tc tests.pkg0.test_mod0.TestGroup0 "test_case_$((j / 10 % 6 + 1))" 0.02 '/>'
		[ $((j % 25)) = 0 ] && [ $j -gt 0 ] && tc tests.mix.test_m "test_$((j - 1))" 0.03 '/>'
		j=$((j + 1))
	done
	echo '</testsuite></testsuites>'; } > "$T/mix.xml"
echo "-- the fixtures, one run"
pair 1 --run-id r1 "fixtures/junit" "fixtures/jsonl"
same n1.db w1.db
echo "-- a generated suite, again, a second run, duplicates, a bad file between"
pair 2 --run-id r1 "$T/g1.xml" "$T/g1.xml" "$T/dup.xml" "fixtures/bad/truncated.xml" "$T/dup.xml"
pair 2 --run-id r2 "$T/g2.xml" "$T/g1.xml" "$T/mix.xml"
same n2.db w2.db
# Test ids (first-seen order, ids skipped where a batch guessed wrong),
# packs and the id counter, pinned as made by the build before this test:
# a change to how names become ids shows here.
ids() { $PYTHON tests/packs.py "$T/$1" "SELECT 'test', id, name, is_key FROM tests ORDER BY id;
	SELECT 'pack', run_id, chunk, hex(data) FROM packs ORDER BY run_id, chunk; SELECT 'meta', * FROM meta ORDER BY key" |
	md5sum | cut -c1-32; }
echo "ids and packs of n2.db: $(ids n2.db)"
echo "-- duplicates first, then the suite; into a third history, a database"
pair 3 --run-id r3 "$T/dup.xml" "fixtures/bad/truncated.xml" "$T/g1.xml"
pair 3 "$T/n2.db"
same n3.db w3.db
echo "-- a failed first input leaves an empty history; the next one goes in"
pair 4 --run-id r4 "fixtures/bad/truncated.xml"
pair 4 --run-id r4 "$T/g2.xml"
same n4.db w4.db
echo "-- killed while ingesting into a new history: nothing stored"
$PYTHON bench/gen_xunit2.py 40000 3 > "$T/big.xml"
mkfifo "$T/fifo"
histmerge -q --db "$T/n5.db" --run-id r5 - < "$T/fifo" &
pid=$!
exec 3> "$T/fifo"
head -c 3000000 "$T/big.xml" >&3
# Killed once it writes the file (its cache of 2 MB spilled), so a hot
# journal is left for the next open to roll back.
i=0
while [ ! -e "$T/n5.db-journal" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.2
[ -e "$T/n5.db-journal" ] && echo "killed with a journal" || echo "killed before any journal"
kill -9 $pid
wait $pid 2>/dev/null
exec 3>&-
histstats --db "$T/n5.db" --json | tr -d "\n "
echo
pair 5 --run-id r5 "$T/big.xml"
same n5.db w5.db
echo "-- a database merged after a file, into a new history: the source is left as it was"
cp fixtures/db/v5.db "$T/v5.db"
pair 6 --run-id r6 "$T/g1.xml" "$T/v5.db" "$T/n4.db"
same n6.db w6.db
cmp fixtures/db/v5.db "$T/v5.db" && echo "v5.db unchanged"
echo "-- a new file's schema, made in one transaction, is the one an old history migrates to step by step"
cp fixtures/db/v1.db "$T/v1.db"
m --db "$T/v1.db" fixtures/bad/empty.xml
schema() { $PYTHON tests/packs.py "$1" "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name;
	SELECT 'version', user_version FROM pragma_user_version"; }
schema "$T/v1.db" > "$T/dumps/v1"; schema "$T/n1.db" > "$T/dumps/n1"
cmp -s "$T/dumps/v1" "$T/dumps/n1" && echo "same schema: v1.db n1.db ($(wc -l < "$T/dumps/n1") rows)" ||
	{ echo "DIFFERENT schema"; diff "$T/dumps/v1" "$T/dumps/n1"; }
