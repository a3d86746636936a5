# histprune keeps exactly what it says on a hand-built history: suite
# default has runs r1..r5 (one day apart; r3 ran last-but-two), suite unit
# u1, u2. gone.py only ran in r1 and r2; once.py only in r4; y.py only in u1.
gen() { $PYTHON tests/cli/history_gen.py "$T/in" "$@"; }
gen r1@1764000000:a.py::t=1,b.py::t=2,gone.py::t=1 r2@1764086400:a.py::t=1,b.py::t=2,gone.py::t=1 \
	r3@1764172800:a.py::t=1,b.py::t=2 r4@1764259200:a.py::t=1,b.py::t=2,once.py::t=3 \
	r5@1764345600:a.py::t=1,b.py::t=2 u1@1764000000:x.py::t=1,y.py::t=1 u2@1764086400:x.py::t=1
for r in r1 r2 r3 r4 r5; do histmerge -q --db "$T/h.db" --run-id $r "$T/in/$r.jsonl"; done
for r in u1 u2; do histmerge -q --db "$T/h.db" --suite unit --run-id $r "$T/in/$r.jsonl"; done
runs() { $PYTHON tests/packs.py "$T/h.db" "SELECT s.name || ' ' || r.ext_id || ' ' || count(x.test_id) FROM runs r
	JOIN suites s ON s.id = r.suite_id LEFT JOIN results x ON x.run_id = r.id GROUP BY r.id ORDER BY 1" | tr '\n' ' '; echo; }
runs
echo "-- a dry run says what would go and changes nothing"
histprune --db "$T/h.db" --keep-runs 3 --dry-run; echo "exit $?"
runs
echo "-- keep the newest 3 of each suite: r1 and r2 go, gone.py is forgotten"
histprune --db "$T/h.db" --keep-runs 3; echo "exit $?"
runs
sqlite3 "$T/h.db" "SELECT name FROM tests ORDER BY name" | tr '\n' ' '; echo
echo "-- drop tests absent from the newest run of each suite"
histprune --db "$T/h.db" --drop-unseen 1 --json; echo "exit $?"
runs
sqlite3 "$T/h.db" "SELECT name FROM tests ORDER BY name" | tr '\n' ' '; echo
echo "-- one suite only, then vacuum"
histprune --db "$T/h.db" --suite unit --keep-runs 1 --vacuum >"$T/out"; echo "exit $?"
sed 's/[0-9]* bytes before, [0-9]* after/N bytes before, M after/' "$T/out"
runs
sqlite3 "$T/h.db" "PRAGMA integrity_check"
echo "-- --max-age: runs 40, 20 and 5 days old, keep 30 days"
gen old@-40:a.py::t=1 mid@-20:a.py::t=1 new@-5:a.py::t=1
for r in old mid new; do histmerge -q --db "$T/age.db" --run-id $r "$T/in/$r.jsonl"; done
histprune -q --db "$T/age.db" --max-age 30; echo "exit $?"
sqlite3 "$T/age.db" "SELECT ext_id FROM runs ORDER BY started_us" | tr '\n' ' '; echo
histprune -q --db "$T/age.db" --max-age 10.5 --keep-runs 5; echo "exit $?"
sqlite3 "$T/age.db" "SELECT ext_id FROM runs ORDER BY started_us" | tr '\n' ' '; echo
echo "-- usage errors and a missing history"
histprune --db "$T/h.db"; echo "exit $?"
histprune --db "$T/h.db" --keep-runs 0; echo "exit $?"
histprune --db "$T/h.db" --max-age -1; echo "exit $?"
histprune --db "$T/none.db" --keep-runs 1; echo "exit $?"
test -e "$T/none.db" || echo "none.db not created"
