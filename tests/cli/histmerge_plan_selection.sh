# histmerge --plan on the plugin's real reports of a user's selection and
# of an interruption: a test the user deselected (-k) is accounted for; a
# session cut off by SIGINT (the test sends it to its own process, as a CI
# cancel would) is named, and the cut-off test gets no result at all.
mkdir -p "$T/tree/tests" && cd "$T/tree" || exit 1
printf '[pytest]\n' > pytest.ini
cat > tests/test_a.py <<'PY'
def test_fast():
    pass

def test_other():
    pass
PY
cat > tests/test_cut.py <<'PY'
import os, signal

def test_cut():
    if os.environ.get("CUT") == "1":
        os.kill(os.getpid(), signal.SIGINT)
PY
export PYTHONPATH="$OLDPWD/plugin"
pt() { "$PYTHON" -m pytest -q -p no:cacheprovider -p pytest_hist.plugin --shard-file=shards/shard-1.txt "$@" >/dev/null 2>&1; echo "pytest exit $?"; }
"$PYTHON" -m pytest -p no:cacheprovider --collect-only -q > tests.txt
histplan --db h.db --tests tests.txt --shards 1 -q 2>/dev/null
CUT=0 pt -k "not other" --hist-report r1.jsonl
histmerge --db h.db --run-id r1 --plan shards r1.jsonl
echo "exit $?"
CUT=1 pt --hist-report r2.jsonl
grep -c '"type": "interrupted"' r2.jsonl
histmerge --db h.db --run-id r2 --plan shards r2.jsonl
echo "exit $?"
sqlite3 h.db "SELECT r.ext_id, t.name FROM results x JOIN runs r ON r.id = x.run_id JOIN tests t ON t.id = x.test_id ORDER BY r.ext_id, t.name"
