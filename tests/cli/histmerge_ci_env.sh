# The run id comes from the CI environment when --run-id is not given,
# and --suite / HIST_SUITE / HIST_DB pick where results go.
GITHUB_RUN_ID=7311 GITHUB_RUN_ATTEMPT=2 HIST_DB="$T/h.db" histmerge --json -q fixtures/junit/pytest-xunit1.xml
echo "exit $?"
CI_PIPELINE_ID=5521 HIST_SUITE=unit histmerge --db "$T/h.db" --json -q fixtures/junit/pytest-xunit2.xml
echo "exit $?"
sqlite3 "$T/h.db" "SELECT s.name, r.ext_id FROM runs r JOIN suites s ON s.id = r.suite_id ORDER BY 1, 2"
histstats --db "$T/h.db" --suite unit --json
