#!/bin/sh
# merge_bench.sh - histmerge against its floors on generated xunit2 reports.
# For each size: xmllint --stream --noout (libxml2's own streaming parse) is
# the floor for XML, zcat for gzip; histmerge ingests the same file into a
# fresh database. Median of REPS runs; raw numbers go to build/bench/merge.tsv.
set -eu
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
SIZES=${SIZES:-"100000 1000000"}
out=build/bench
mkdir -p "$out"
raw=$out/merge.tsv
: >"$raw"
bin=build/bin
for n in $SIZES; do
	xml=$out/xunit2-$n.xml
	[ -s "$xml" ] || bench/gen_xunit2.py "$n" >"$xml"
	[ -s "$xml.gz" ] || gzip -6 -c "$xml" >"$xml.gz"
	db=$out/merge-$n.db
	bench/measure.py "xmllint-$n" "$REPS" -- xmllint --stream --noout "$xml" >>"$raw"
	bench/measure.py "histmerge-$n" "$REPS" --before "rm -f $db $db-wal $db-shm" -- \
		$bin/histmerge -q --db "$db" --run-id bench "$xml" >>"$raw"
	bench/measure.py "zcat-$n" "$REPS" -- sh -c "zcat '$xml.gz' >/dev/null" >>"$raw"
	bench/measure.py "histmerge-gz-$n" "$REPS" --before "rm -f $db $db-wal $db-shm" -- \
		$bin/histmerge -q --db "$db" --run-id bench "$xml.gz" >>"$raw"
	rm -f "$db" "$db-wal" "$db-shm"
done
awk -F'\t' '
	{ wall[$1] = $2; rss[$1] = $3; order[n++] = $1 }
	END {
		printf "%-22s %9s %9s %8s\n", "command", "median s", "peak MiB", "ratio"
		for (i = 0; i < n; i++) {
			k = order[i]; floor = ""
			if (k ~ /^histmerge-gz-/) { f = k; sub(/^histmerge-gz-/, "xmllint-", f); floor = f }
			else if (k ~ /^histmerge-/) { f = k; sub(/^histmerge-/, "xmllint-", f); floor = f }
			r = floor != "" && wall[floor] > 0 ? sprintf("%.2fx", wall[k] / wall[floor]) : "floor"
			printf "%-22s %9.3f %9.1f %8s\n", k, wall[k], rss[k], r
		}
	}' "$raw"
echo "raw numbers: $raw"
