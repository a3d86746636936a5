#!/bin/sh
# sync_outputs.sh [FILES BYTES REPS [DIRTY_MB]]: the methods of making a
# plan's files durable (bench/sync_outputs.c), in turn, REPS times, in
# build/bench/sync (on the disk the build is on, not a tmpfs). With
# DIRTY_MB, another file of that many MB is left unwritten on the same
# file system before each run, as a busy CI machine might. Prints each
# method's walls, sorted. Default: a 64-shard plan of 100,000 real tests.
set -eu
cd "$(dirname "$0")/.."
files=${1:-65} bytes=${2:-168000} reps=${3:-7} dirty=${4:-0}
out=build/bench/sync
mkdir -p build/bench
cc -O2 -pthread -o build/bench/sync_outputs bench/sync_outputs.c
raw=build/bench/sync_outputs.txt
: > "$raw"
for r in $(seq "$reps"); do
	for m in each sfr threads syncfs none; do
		rm -rf "$out" build/bench/sync-dirty
		mkdir -p "$out"
		sync
		if [ "$dirty" -gt 0 ]; then
			dd if=/dev/urandom of=build/bench/sync-dirty bs=1M count="$dirty" 2>/dev/null
		fi
		echo "$m $(build/bench/sync_outputs "$out" "$files" "$bytes" "$m")" >> "$raw"
	done
done
rm -rf "$out" build/bench/sync-dirty
for m in each sfr threads syncfs none; do
	printf '%-8s' "$m"
	grep "^$m " "$raw" | cut -d' ' -f2 | sort -n | tr '\n' ' '
	echo
done
