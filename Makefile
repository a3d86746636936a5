# hist - one plain Makefile, no recursion.
#   make            libhist.a, libhist.so.MAJOR, hist.pc, the tools
#   make check      everything that tests (with -Werror), sanitizers included
#   make asan       unit and CLI tests under ASan+UBSan
#   make fuzz       libFuzzer targets for FUZZ_SECONDS each (clang), then the
#                   plugin's plan readers for FUZZ_EXAMPLES cases (Hypothesis)
#   make bench      benchmarks with ratios to floors from the same run
#   make bench-real shards of python3-networkx's tests as they really run,
#                   against pytest-split (PYTEST_SPLIT=DIR); ~40 min idle
#   make demo       the whole loop on the bundled sample suite
#   make install PREFIX=/usr/local DESTDIR=   /   make uninstall
#     (= install-lib: library, header, hist.pc; install-tools: the tools and
#      their man pages; install-plugin: the pytest plugin)

PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3
CC ?= cc
CLANG ?= clang
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
FUZZ_SECONDS ?= 30
FUZZ_EXAMPLES ?= 20000

DEPS := libxml-2.0 zlib sqlite3 libxxhash
MAJOR := $(shell sed -n 's/^\#define HIST_VERSION_MAJOR *//p' lib/hist.h)
VERSION := $(shell sed -n 's/^\#define HIST_VERSION_STRING *"\(.*\)"/\1/p' lib/hist.h)

DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS))
DEP_LIBS := $(shell $(PKG_CONFIG) --libs $(DEPS)) -pthread
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)

# Our flags live apart from CFLAGS so a user's CFLAGS still apply.
# `make check` adds -Werror through WERROR (a target-specific variable that
# its prerequisites inherit).
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wwrite-strings
HIST_CFLAGS = -std=c11 $(WARN) $(WERROR) -fPIC -fvisibility=hidden -MMD -MP -Ilib \
	-D_POSIX_C_SOURCE=200809L $(DEP_CFLAGS)
CFLAGS ?= -O2 -g
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# lib/*_testing.c: hooks for the tests (HIST_TESTING), built into the test
# and sanitizer objects only, never into libhist.a or libhist.so.
TESTLIB_SRC := $(sort $(wildcard lib/*.c))
LIB_SRC := $(filter-out lib/%_testing.c,$(TESTLIB_SRC))
# tools/NAME.c is a tool; tools/NAME_PART.c are more of its pieces.
TOOL_NAMES := $(sort $(basename $(notdir $(filter-out tools/cli.c $(wildcard tools/*_*.c),$(wildcard tools/*.c)))))
TOOLS := $(addprefix build/bin/,$(TOOL_NAMES))
CHECK_SRC := $(sort $(filter-out tests/check_main.c,$(wildcard tests/check_*.c)))
MAN_PAGES := $(sort $(wildcard man/*.1))
FUZZ_NAMES := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))

LIB_OBJ := $(LIB_SRC:lib/%.c=build/obj/%.o)
TEST_OBJ := $(TESTLIB_SRC:lib/%.c=build/test/%.o)
ASAN_OBJ := $(TESTLIB_SRC:lib/%.c=build/asan/%.o)

.PHONY: all check check-unit check-asan check-oom check-oom-stderr check-crash check-concurrency check-hostile check-cli check-plugin check-man check-html \
	check-progress check-examples check-header check-fuzz \
	check-corpus asan fuzz bench demo install install-lib install-tools install-plugin uninstall \
	clean format deps

all: build/libhist.a build/libhist.so.$(MAJOR) build/hist.pc $(TOOLS)

# --- the library ---------------------------------------------------------
build/obj/%.o: lib/%.c | build/obj
	$(CC) $(CPPFLAGS) $(HIST_CFLAGS) $(CFLAGS) -c $< -o $@
build/test/%.o: lib/%.c | build/test
	$(CC) $(CPPFLAGS) $(HIST_CFLAGS) -DHIST_TESTING -O1 -g -c $< -o $@
build/asan/%.o: lib/%.c | build/asan
	$(CC) $(CPPFLAGS) $(HIST_CFLAGS) -DHIST_TESTING -O1 -g $(SAN) -c $< -o $@

build/libhist.a: $(LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^
build/libhist.so.$(MAJOR): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libhist.so.$(MAJOR) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)
	ln -sf libhist.so.$(MAJOR) build/libhist.so
build/hist.pc: lib/hist.pc.in lib/hist.h | build
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' $< > $@

# --- the tools: thin front ends over libhist.a ----------------------------
build/tools/%.o: tools/%.c | build/tools
	$(CC) $(CPPFLAGS) $(HIST_CFLAGS) $(CFLAGS) -c $< -o $@
tool_parts = $(wildcard tools/$(1)_*.c)
tool_part_objs = $(patsubst tools/%.c,build/tools/%.o,$(call tool_parts,$(1)))
.SECONDEXPANSION:
build/bin/%: build/tools/%.o $$(call tool_part_objs,$$*) build/tools/cli.o build/libhist.a | build/bin
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) build/libhist.a $(DEP_LIBS) -lm
build/asan/bin/%: tools/%.c $$(call tool_parts,$$*) tools/cli.c $(ASAN_OBJ) | build/asan/bin
	$(CC) $(CPPFLAGS) $(HIST_CFLAGS) -O1 -g $(SAN) -o $@ $(filter tools/%.c,$^) $(ASAN_OBJ) $(DEP_LIBS) -lm

build build/obj build/test build/asan build/tools build/bin build/asan/bin build/fuzz:
	mkdir -p $@

# --- tests ---------------------------------------------------------------
# Each tests/check_<module>.c defines `Suite *check_<module>_suite(void)`;
# this list is made from the file names, so adding a suite is adding a file.
build/check_suites.h: $(CHECK_SRC) | build
	for f in $(CHECK_SRC); do n=$${f#tests/check_}; echo "SUITE($${n%.c})"; done > $@.tmp
	mv $@.tmp $@
build/check_unit: tests/check_main.c $(CHECK_SRC) tests/check_util.h build/check_suites.h $(TEST_OBJ)
	$(CC) $(CPPFLAGS) $(HIST_CFLAGS) -DHIST_TESTING -Ibuild -Itests $(CHECK_CFLAGS) -O1 -g -o $@ \
		tests/check_main.c $(CHECK_SRC) $(TEST_OBJ) $(CHECK_LIBS) $(DEP_LIBS) -lm
build/check_asan: tests/check_main.c $(CHECK_SRC) tests/check_util.h build/check_suites.h $(ASAN_OBJ)
	$(CC) $(CPPFLAGS) $(HIST_CFLAGS) -DHIST_TESTING -Ibuild -Itests $(CHECK_CFLAGS) -O1 -g $(SAN) -o $@ \
		tests/check_main.c $(CHECK_SRC) $(ASAN_OBJ) $(CHECK_LIBS) $(DEP_LIBS) -lm

check: WERROR := -Werror
check: check-header check-unit check-asan check-oom check-cli check-fuzz check-corpus check-plugin check-man check-html check-progress \
	check-examples check-crash check-concurrency check-hostile check-oom-stderr demo
	@echo "make check: all tests passed"

# CK_FORK=no under ASan: forked children would hide leak reports.
check-unit: build/check_unit
	HIST_FIXTURES=fixtures ./build/check_unit
check-asan: build/check_asan
	HIST_FIXTURES=fixtures CK_FORK=no ASAN_OPTIONS=detect_leaks=1 ./build/check_asan

# Allocation failure at every k (every OOM_STRIDE-th in make check; the
# offset moves with the clock so runs differ): tests/oom.c.
OOM_STRIDE ?= 23
build/oom: tests/oom.c $(ASAN_OBJ) | build
	$(CC) $(CPPFLAGS) $(HIST_CFLAGS) -DHIST_TESTING -O1 -g $(SAN) -o $@ tests/oom.c $(ASAN_OBJ) $(DEP_LIBS) -lm
check-oom: build/oom
	d=$$(mktemp -d) && ASAN_OPTIONS=detect_leaks=1 ./build/oom fixtures "$$d" $(OOM_STRIDE) $$(date +%s) && rm -rf "$$d"

check-cli: all
	tests/cli/run.sh build/bin
asan: WERROR := -Werror
asan: build/check_asan $(TOOL_NAMES:%=build/asan/bin/%)
	HIST_FIXTURES=fixtures CK_FORK=no ./build/check_asan
	tests/cli/run.sh build/asan/bin

# The public header stands alone in C99, C11 pedantic and C++.
check-header: | build
	$(CC) -std=c99 -Ilib -c tests/headertest.c -o build/headertest99.o
	$(CC) -std=c11 -Wall -Wextra -Wpedantic -Werror -Ilib -c tests/headertest.c -o build/headertest11.o
	$(CXX) -x c++ -Wall -Wextra -Werror -Ilib -c tests/headertest.c -o build/headertestxx.o

# Fuzz targets are linked to replay.c here and fed their corpus, so every
# committed crash input stays fixed without needing libFuzzer.
build/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(ASAN_OBJ) | build/fuzz
	$(CC) $(CPPFLAGS) $(HIST_CFLAGS) -O1 -g $(SAN) -o $@ $< tests/fuzz/replay.c $(ASAN_OBJ) $(DEP_LIBS) -lm
check-fuzz: $(FUZZ_NAMES:%=build/fuzz/replay_%)
	@for n in $(FUZZ_NAMES); do ./build/fuzz/replay_$$n tests/fuzz/corpus/$$n fixtures || exit 1; done

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(TESTLIB_SRC) | build/fuzz
	$(CLANG) -std=c11 -Ilib -D_POSIX_C_SOURCE=200809L -DHIST_TESTING $(DEP_CFLAGS) -O1 -g \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(TESTLIB_SRC) $(DEP_LIBS) -lm
fuzz: $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
	@for n in $(FUZZ_NAMES); do mkdir -p build/fuzz/corpus_$$n && \
		./build/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=512 \
		build/fuzz/corpus_$$n tests/fuzz/corpus/$$n || exit 1; done
	HIST_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) HIST_FUZZ_CASES=$(FUZZ_EXAMPLES) PYTHONPATH="$(CURDIR)/plugin" \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/plugin/test_fuzz_plan_props.py tests/plugin/test_fuzz_plan.py

# Reads ../shared/corpus when it is there; says SKIP otherwise.
check-corpus: all
	$(PYTHON) tests/corpus/conformance.py build/bin

# The CI examples' steps, run as their CI would on the sample suite.
check-examples: $(TOOLS)
	$(PYTHON) tests/examples/run.py build/bin

# Progress lines on a pseudo-terminal, none on a pipe.
check-progress: $(TOOLS)
	$(PYTHON) tests/progress/check_progress.py build/bin

# Every tool's --help options are items of its man page, which renders cleanly.
check-man: $(TOOLS)
	$(PYTHON) tests/man/check_pages.py build/bin man
# histstats --html rendered by headless Chromium when installed (skips
# the browser part with a message otherwise).
check-html: $(TOOLS)
	$(PYTHON) tests/html/check_report.py build/bin

# SIGKILL at random moments, and several writers and readers at once, on
# the tools as users run them (tests/stress/; the hand runs are 200).
CRASH_KILLS ?= 6
CONCURRENCY_ROUNDS ?= 2
check-crash: all
	$(PYTHON) tests/stress/crash.py build/bin $(CRASH_KILLS)
check-concurrency: all
	$(PYTHON) tests/stress/concurrency.py build/bin $(CONCURRENCY_ROUNDS)
# Hostile inputs just over each limit (--big: the issue's sizes, by hand).
check-hostile: all
	$(PYTHON) tests/stress/hostile.py build/bin

# libxml2's allocations failed one at a time inside histmerge: stderr has
# our line only. OOM_STDERR_STRIDE=1 walks all.
OOM_STDERR_STRIDE ?= 5
build/test/failmalloc.so: tests/failmalloc.c | build/test
	$(CC) $(CPPFLAGS) -std=c11 $(WARN) $(WERROR) -shared -fPIC -O1 -o $@ $<
check-oom-stderr: all build/test/failmalloc.so
	$(PYTHON) tests/stress/oom_stderr.py build/bin build/test/failmalloc.so $(OOM_STDERR_STRIDE)

# tests/bench: bench/real_report.py's choice among attempts, on a synthetic runs.tsv.
check-plugin: all
	PATH="$(CURDIR)/build/bin:$$PATH" PYTHONPATH="$(CURDIR)/plugin" $(PYTHON) -m pytest -q -p no:cacheprovider tests/plugin tests/bench

bench: all
	bench/run.sh

# Not in bench or check: ~40 minutes on a quiet 2-core machine.
.PHONY: bench-real
bench-real: all
	bench/real.sh

demo: all
	scripts/demo.sh

deps:
	scripts/install-deps.sh

# --- install -------------------------------------------------------------
install: install-lib install-tools install-plugin
install-lib: build/libhist.a build/libhist.so.$(MAJOR) build/hist.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 build/libhist.a $(DESTDIR)$(LIBDIR)/
	install -m 755 build/libhist.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/
	ln -sf libhist.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libhist.so
	install -m 644 lib/hist.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 build/hist.pc $(DESTDIR)$(PKGCONFIGDIR)/
install-tools: $(TOOLS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	for p in $(MAN_PAGES); do install -m 644 $$p $(DESTDIR)$(MANDIR)/man1/ || exit 1; done
install-plugin:
	scripts/install-plugin.sh install "$(DESTDIR)" "$(PREFIX)" "$(PYTHON)"

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOL_NAMES))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN_PAGES)))
	rm -f $(DESTDIR)$(LIBDIR)/libhist.a $(DESTDIR)$(LIBDIR)/libhist.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libhist.so
	rm -f $(DESTDIR)$(INCLUDEDIR)/hist.h $(DESTDIR)$(PKGCONFIGDIR)/hist.pc
	scripts/install-plugin.sh uninstall "$(DESTDIR)" "$(PREFIX)" "$(PYTHON)"

clean:
	rm -rf build

format:
	clang-format -i lib/*.c lib/*.h tools/*.c tests/*.c tests/*.h tests/fuzz/*.c

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(ASAN_OBJ:.o=.d)
