# histstats on a history whose flaky, regressed and unseen tests are known
# by construction (six daily runs r1..r6):
#   b.py::regress 1 s, then 4 s in r6 (a regression); b.py::small 0.1 s,
#   then 0.5 s (5 times, but only 0.4 s more: none); c.py::rerun passed on a
#   rerun in r3 and c.py::across failed in r2 (both flaky); c.py::broken
#   failed always (not flaky); d.py::gone ran in r1, r2 and d.py::went in
#   r1..r3 (unseen); d.py::skip only skipped (no estimate).
# The JSON is then checked by tests/cli/stats_check.py, which recomputes
# every list from the database on its own.
run() { # RUN START SLOW REGRESS SMALL EXTRA...
	r=$1 start=$2 slow=$3 reg=$4 small=$5; shift 5
	spec="$r@$start:a.py::slow=$slow,a.py::fast=0.1,b.py::regress=$reg,b.py::small=$small,c.py::broken=0.2/failed"
	spec="$spec,d.py::skip=0/skipped"
	for x in "$@"; do spec="$spec,$x"; done
	echo "$spec"
}
$PYTHON tests/cli/history_gen.py "$T/in" \
	"$(run r1 1764000000 3.0 1.0 0.1 c.py::rerun=0.3 c.py::across=0.3 d.py::gone=0.2 d.py::went=0.2)" \
	"$(run r2 1764086400 3.1 1.1 0.1 c.py::rerun=0.3 c.py::across=0.3/failed d.py::gone=0.2 d.py::went=0.2)" \
	"$(run r3 1764172800 2.9 0.9 0.1 c.py::rerun=0.3/passed/2 c.py::across=0.3 d.py::went=0.2)" \
	"$(run r4 1764259200 3.0 1.0 0.1 c.py::rerun=0.3 c.py::across=0.3)" \
	"$(run r5 1764345600 3.2 1.0 0.1 c.py::rerun=0.3 c.py::across=0.3)" \
	"$(run r6 1764432000 3.0 4.0 0.5 c.py::rerun=0.3 c.py::across=0.3)"
for r in r1 r2 r3 r4 r5 r6; do histmerge -q --db "$T/h.db" --run-id $r "$T/in/$r.jsonl"; done
histstats --db "$T/h.db"; echo "exit $?"
histstats --db "$T/h.db" --json > "$T/s.json"; echo "exit $?"
cat "$T/s.json"
$PYTHON tests/cli/stats_check.py "$T/h.db" "$T/s.json"
echo "-- --top 2"
histstats --db "$T/h.db" --top 2 | grep -c '^  '
echo "-- one test's history"
histstats --db "$T/h.db" --test tests/c.py::across; echo "exit $?"
histstats --db "$T/h.db" --test tests/none.py::x; echo "exit $?"
echo "-- .test_durations, and back through histmerge"
histstats --db "$T/h.db" --export-durations "$T/durations"; echo "exit $?"
cat "$T/durations"
histmerge -q --db "$T/back.db" --run-id back "$T/durations"
histstats --db "$T/back.db" --export-durations "$T/durations2"
cmp "$T/durations" "$T/durations2" && echo "round trip: same durations"
echo "-- a second suite shows its name; the tables stay within 100 columns"
$PYTHON tests/cli/history_gen.py "$T/in" "u1@1764000000:tests/very/long/path/to/some/deeply/nested/package/test_module_with_a_long_name.py::TestClass::test_case[param-one-two-three]=2.5"
histmerge -q --db "$T/h.db" --suite unit --run-id u1 "$T/in/u1.jsonl"
histstats --db "$T/h.db" --top 3 > "$T/two.txt"; echo "exit $?"
cat "$T/two.txt"
awk 'length > 100 { print "too wide: " $0 }' "$T/two.txt"
histstats --db "$T/h.db" --json > "$T/s2.json"
$PYTHON tests/cli/stats_check.py "$T/h.db" "$T/s2.json"
