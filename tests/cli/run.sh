#!/bin/sh
# run.sh BINDIR - golden CLI tests.
# Each tests/cli/<case>.sh runs from the repository root with the tools of
# BINDIR first on PATH, LC_ALL=C, TZ=UTC, no CI or HIST_* variables, and a
# fresh scratch directory in $T. Its stdout, stderr and exit status must equal
# <case>.sh.stdout, .stderr and .exit, with the scratch path shown as $T.
# UPDATE=1 rewrites the expected files instead (review that diff).
set -u
bindir=$(cd "${1:?usage: run.sh BINDIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
failed=0 ran=0
for case in tests/cli/*.sh; do
	[ "$case" = tests/cli/run.sh ] && continue
	ran=$((ran + 1))
	T=$(mktemp -d "${TMPDIR:-/tmp}/histcli.XXXXXX")
	env -i PATH="$bindir:/usr/bin:/bin" LC_ALL=C TZ=UTC HOME="$T" T="$T" \
		PYTHON="${PYTHON:-/usr/bin/python3}" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
		sh "$case" >"$T/.stdout" 2>"$T/.stderr"
	echo $? >"$T/.exit"
	for part in stdout stderr exit; do
		sed "s|$T|\$T|g" "$T/.$part" >"$T/.$part.shown"
		if [ "${UPDATE:-}" = 1 ]; then
			cp "$T/.$part.shown" "$case.$part"
		elif ! cmp -s "$T/.$part.shown" "$case.$part"; then
			echo "FAIL $case ($part):"
			diff -u "$case.$part" "$T/.$part.shown" | head -n 30
			failed=$((failed + 1))
		fi
	done
	rm -rf "$T"
done
echo "cli: $ran cases, $failed mismatches"
[ "$failed" = 0 ]
