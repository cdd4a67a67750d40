# grader: build, test, install.  `make help` lists the targets.
#
# Every target that compiles first runs scripts/ensure-deps.sh, which installs
# the Debian packages we need when run as root, or prints the exact apt-get
# command and stops otherwise.  Nothing else is ever downloaded.

VERSION    := 0.3.0
PREFIX     ?= /usr/local
BUILD      := build
CC         ?= cc

PKGS       := libgit2 libpcre2-8 yaml-0.1 libseccomp jansson libcrypto zlib libzip
# Opened with dlopen when first used, not linked into grader (grader/lazylib.h).
LAZY_PKGS  := libgit2 libcrypto libzip
TEST_PKGS  := check

# Backquotes, not $(shell ...): pkg-config runs when a recipe runs, after
# scripts/ensure-deps.sh may have installed the packages it asks about.
PKG_CFLAGS = `pkg-config --cflags $(PKGS)`
PKG_LIBS   = `pkg-config --libs $(PKGS)` -lm
# build/grader links the libraries' static archives where installed
# (scripts/link-libs.sh says why).
GRADER_LIBS = `CC='$(CC)' sh scripts/link-libs.sh $(filter-out $(LAZY_PKGS),$(PKGS))` -lm -ldl
SONAMES    = `sh scripts/sonames.sh`
CHECK_CFLAGS = `pkg-config --cflags $(TEST_PKGS)`
CHECK_LIBS   = `pkg-config --libs $(TEST_PKGS)`

# Messages are cut to fixed-size buffers on purpose, so truncation warnings
# would only teach us to ignore warnings.
WARN       := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla -Wno-format-truncation
CPPFLAGS   += -D_GNU_SOURCE -DGRADER_VERSION='"$(VERSION)"' -Igrader -Isandbox
CFLAGS     ?= -O2 -g
CFLAGS     += -std=c11 -pthread $(WARN)
SAN_FLAGS  := -pthread -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC    := $(filter-out grader/main.c,$(wildcard grader/*.c)) $(wildcard sandbox/*.c)
HEADERS    := $(wildcard grader/*.h sandbox/*.h)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
SAN_OBJ    := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_SAN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests-san/%)

DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps grade test lint format valgrind unit unit-san runtime verdicts integration integration-san hostile git-tests batch-tests report-tests vm-tests fuzz bench coverage install uninstall clean help

all: $(BUILD)/grader

help:
	@echo "make            build $(BUILD)/grader"
	@echo "make grade      install missing packages, build, grade every sample in submissions/"
	@echo "make test       install missing packages, build, run every test suite (README: Tests)"
	@echo "make verdicts   grade tests/verdicts/cases (fixes, non-fixes, cheats) on every CPython found"
	@echo "make vm-tests   the sandbox on a pure cgroup v2 host, in a qemu VM (about 3 min)"
	@echo "make bench      time grading against plain python3, our sandbox against bwrap"
	@echo "make valgrind   the end-to-end suites under valgrind's memcheck (about 5 min)"
	@echo "make lint       cppcheck, clang-tidy, clang-format check: zero findings"
	@echo "make format     apply .clang-format to every C source"
	@echo "make fuzz       every libFuzzer target for FUZZ_SECONDS (default 10) each"
	@echo "make coverage   line and branch coverage of grader/ and sandbox/"
	@echo "make install    install into PREFIX (default /usr/local)"

$(DEPS_STAMP): scripts/ensure-deps.sh
	@sh scripts/ensure-deps.sh
	@mkdir -p $(BUILD) && touch $@

deps: $(DEPS_STAMP)

TEST_DEPS_STAMP := $(BUILD)/.test-deps-ok
$(TEST_DEPS_STAMP): scripts/ensure-deps.sh
	@sh scripts/ensure-deps.sh test
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/grader: $(DEPS_STAMP) $(BUILD)/obj/grader/main.o $(BUILD)/libgrader.a scripts/link-libs.sh
	$(CC) $(CFLAGS) -o $@ $(BUILD)/obj/grader/main.o $(BUILD)/libgrader.a $(GRADER_LIBS)

$(BUILD)/libgrader.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: %.c $(HEADERS) $(DEPS_STAMP) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# Only lazylib.c needs the sonames; scripts/sonames.sh reads them.
$(BUILD)/obj/grader/lazylib.o $(BUILD)/san/grader/lazylib.o: CPPFLAGS += $(SONAMES)

$(BUILD)/san/%.o: %.c $(HEADERS) $(DEPS_STAMP) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=c11 $(WARN) $(PKG_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(BUILD)/libgrader-san.a: $(SAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check_main.h tests/unit/scratch.h $(BUILD)/libgrader.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(BUILD)/libgrader.a $(PKG_LIBS) $(CHECK_LIBS)

$(BUILD)/tests-san/%: tests/unit/%.c tests/unit/check_main.h tests/unit/scratch.h $(BUILD)/libgrader-san.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit -std=c11 $(WARN) $(PKG_CFLAGS) $(SAN_FLAGS) $(CHECK_CFLAGS) -o $@ $< $(BUILD)/libgrader-san.a $(PKG_LIBS) $(CHECK_LIBS)

$(BUILD)/grader-san: $(BUILD)/san/grader/main.o $(BUILD)/libgrader-san.a scripts/link-libs.sh
	$(CC) $(SAN_FLAGS) -o $@ $(BUILD)/san/grader/main.o $(BUILD)/libgrader-san.a $(GRADER_LIBS)

grade: $(BUILD)/grader
	@sh scripts/grade-samples.sh $(BUILD)/grader

unit: $(UNIT_BIN)
	@sh scripts/run-unit.sh $(UNIT_BIN)

# CK_FORK=no keeps each test in one process so ASan sees every allocation.
unit-san: $(UNIT_SAN)
	@CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 sh scripts/run-unit.sh $(UNIT_SAN)

# The bundled Python runtime, every variant on every CPython 3.8+ found.
runtime:
	@sh tests/runtime/run.sh

# Submissions written to fool the grader or to be fixes it must not reject,
# each with its expected points, on every CPython 3.8-3.13 found (tests/verdicts/README.md).
verdicts: $(BUILD)/grader
	@sh tests/verdicts/run.sh $(BUILD)/grader

# One attack per case, in the full and a forced degraded mode (tests/hostile/GAPS.md).
hostile: $(BUILD)/grader
	@sh tests/hostile/run.sh $(BUILD)/grader

# report.html in headless Chromium (Debian's chromium), from the unit
# test's fixtures.
report-tests: $(UNIT_BIN) $(TEST_DEPS_STAMP)
	@sh tests/report/run.sh $(BUILD)/tests

# The sandbox on a pure cgroup v2 host: Debian's kernel under qemu, with
# this machine's root shared read-only (tests/vm/run.sh); about 3 minutes.
vm-tests: $(BUILD)/grader $(TEST_DEPS_STAMP)
	@sh tests/vm/run.sh $(BUILD)/grader

# grader batch, merge and export on real classes.
batch-tests: $(BUILD)/grader
	@sh tests/batch/run.sh $(BUILD)/grader

# Git submissions, grader check and the hooks, with real git repositories.
git-tests: $(BUILD)/grader
	@sh tests/git/run.sh $(BUILD)/grader

integration: $(BUILD)/grader $(BUILD)/grader-san
	@sh tests/integration/run.sh $(BUILD)/grader $(BUILD)/grader-san
	@/usr/bin/python3 -B tests/integration/cli_cases.py $(BUILD)/grader

# The whole integration suite again, with the ASan+UBSan build as the
# grader: a sanitizer report in any command's output fails the suite.
integration-san: $(BUILD)/grader-san
	@INTEGRATION_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		sh tests/integration/run.sh $(BUILD)/grader-san $(BUILD)/grader-san
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 /usr/bin/python3 -B tests/integration/cli_cases.py $(BUILD)/grader-san

test: $(BUILD)/grader $(TEST_DEPS_STAMP)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory unit-san
	@$(MAKE) --no-print-directory runtime
	@$(MAKE) --no-print-directory verdicts
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory integration-san
	@$(MAKE) --no-print-directory hostile
	@$(MAKE) --no-print-directory git-tests
	@$(MAKE) --no-print-directory batch-tests
	@$(MAKE) --no-print-directory report-tests
	@$(MAKE) --no-print-directory vm-tests

# libFuzzer targets (tests/fuzz/), FUZZ_SECONDS each, then every saved
# regression input once.
FUZZ_SECONDS ?= 10
fuzz: $(DEPS_STAMP) $(TEST_DEPS_STAMP)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# The end-to-end suites (integration, git, batch, hostile) with grader
# under valgrind's memcheck (tests/valgrind/README.md); about 5 minutes.
valgrind: $(BUILD)/grader $(TEST_DEPS_STAMP)
	@sh tests/valgrind/run.sh $(BUILD)/grader

LINT_DEPS_STAMP := $(BUILD)/.lint-deps-ok
$(LINT_DEPS_STAMP): scripts/ensure-deps.sh
	@sh scripts/ensure-deps.sh lint
	@mkdir -p $(BUILD) && touch $@

# cppcheck, clang-tidy and clang-format --dry-run with the checked-in
# .cppcheck-suppressions, .clang-tidy and .clang-format: any finding fails.
lint: $(DEPS_STAMP) $(TEST_DEPS_STAMP) $(LINT_DEPS_STAMP)
	@sh scripts/lint.sh

# Formats every C source in place with .clang-format.
format: $(LINT_DEPS_STAMP)
	@sh scripts/format.sh

# Line and branch coverage (gcov + gcovr) of grader/ and sandbox/.
coverage: $(DEPS_STAMP) $(TEST_DEPS_STAMP)
	@sh scripts/coverage.sh

bench: $(BUILD)/grader
	@sh scripts/bench.sh $(BUILD)/grader

install: $(BUILD)/grader
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/grader/runtime $(DESTDIR)$(PREFIX)/share/grader/rubrics/baselines
	install -m 755 $(BUILD)/grader $(DESTDIR)$(PREFIX)/bin/grader
	install -m 644 sandbox/runtime/*.py $(DESTDIR)$(PREFIX)/share/grader/runtime/
	install -m 644 rubrics/*.yaml rubrics/README.md $(DESTDIR)$(PREFIX)/share/grader/rubrics/
	install -m 644 rubrics/baselines/* $(DESTDIR)$(PREFIX)/share/grader/rubrics/baselines/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/grader
	rm -rf $(DESTDIR)$(PREFIX)/share/grader

clean:
	rm -rf $(BUILD)
