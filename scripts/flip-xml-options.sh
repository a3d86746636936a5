#!/bin/sh
# flip-xml-options.sh - proves the tests catch a weakened XML parser: for
# each libxml2 option that keeps DTDs, entities, XInclude, the network or
# HUGE out, builds check_unit with that one option flipped in lib/junit.c
# and expects the junit and hostile suites to fail. Run from the top after
# `make build/check_unit`; prints one line per option, exits 1 if a flip
# went unnoticed.
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CFLAGS="-std=c11 -Ilib -D_POSIX_C_SOURCE=200809L -DHIST_TESTING -O1 -g $(pkg-config --cflags libxml-2.0)"
LIBS="$(pkg-config --libs libxml-2.0 zlib sqlite3 libxxhash check) -pthread -lm"
grep -q 'options = XML_PARSE_NONET | XML_PARSE_BIG_LINES;' lib/junit.c || { echo "options line not found"; exit 1; }
status=0
for opt in XML_PARSE_NONET XML_PARSE_NOENT XML_PARSE_DTDLOAD XML_PARSE_DTDATTR XML_PARSE_DTDVALID \
	XML_PARSE_XINCLUDE XML_PARSE_HUGE; do
	sed "s/options = XML_PARSE_NONET | XML_PARSE_BIG_LINES;/options = (XML_PARSE_NONET | XML_PARSE_BIG_LINES) ^ $opt;/" \
		lib/junit.c > "$T/junit.c"
	objs=$(ls build/test/*.o | grep -v '/junit\.o$')
	cc $CFLAGS -c "$T/junit.c" -o "$T/junit.o" &&
	cc $CFLAGS -Ibuild -Itests $(pkg-config --cflags check) -o "$T/check" tests/check_main.c $(ls tests/check_*.c | grep -v check_main) \
		$objs "$T/junit.o" $LIBS || { echo "$opt: build failed"; status=1; continue; }
	out=$(CK_RUN_SUITE=hostile HIST_FIXTURES=fixtures "$T/check" 2>&1; CK_RUN_SUITE=junit HIST_FIXTURES=fixtures "$T/check" 2>&1)
	failed=$(printf '%s\n' "$out" | sed -n 's/^[^:]*:[0-9]*:[FE]:[^:]*:\([^:]*\):.*/\1/p' | tr '\n' ' ')
	if [ -n "$failed" ]; then
		echo "$opt flipped: caught by $failed"
	else
		echo "$opt flipped: NOT CAUGHT"
		status=1
	fi
done
exit $status
