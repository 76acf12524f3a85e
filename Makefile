# mapviz: `make` builds everything into build/, `make test` runs every test,
# `make demo` shows the main job, `make bench` prints the benchmark tables.
# Each part adds its own rules in a fragment (hmap/hmap.mk, tracer/tracer.mk,
# tests/*/*.mk, ...) included below.

BUILD    := build
PREFIX   ?= /usr/local
DESTDIR  ?=
PYTHON   := /usr/bin/python3
CC       := gcc
CXX      := g++
CFLAGS   ?= -O2
CFLAGS   += -g -Wall -Wextra -std=gnu11 -fno-omit-frame-pointer
CPPFLAGS += -Ihmap
LDLIBS   += -pthread

# Debian packages each goal needs; scripts/ensure-deps installs what is
# missing (as root) or prints the apt-get line.
DEBS_BUILD := gcc make pkg-config libdw-dev libelf-dev libunwind-dev libxxhash-dev libcapstone-dev libjson-c-dev
DEBS_TEST  := $(DEBS_BUILD) gdb python3-xxhash python3-pytest graphviz clang libclang-rt-14-dev
DEBS_BENCH := $(DEBS_TEST) g++ golang-1.19-go

.PHONY: all deps deps-test deps-bench test demo bench fuzz install clean
.DEFAULT_GOAL := all

# Fragments append their outputs to these.
ALL_TARGETS :=
TEST_TARGETS :=
BENCH_TARGETS :=
INSTALL_RULES :=

include hmap/hmap.mk
include $(sort $(filter-out hmap/hmap.mk,$(wildcard */*.mk tests/*/*.mk tests/bench/*/*.mk)))

all: $(ALL_TARGETS)

deps:
	@scripts/ensure-deps $(DEBS_BUILD)
deps-test:
	@scripts/ensure-deps $(DEBS_TEST)
deps-bench:
	@scripts/ensure-deps $(DEBS_BENCH)

test: deps-test
	$(MAKE) all $(TEST_TARGETS)
	$(PYTHON) -m pytest -q -p no:cacheprovider tests

# make stress: the tracer attached under load for 10 minutes (make test runs 1), hits counted.
.PHONY: stress
stress: deps-test
	$(MAKE) all $(TEST_TARGETS)
	MAPVIZ_STRESS_SECONDS=600 $(PYTHON) -m pytest -q -s -p no:cacheprovider \
		tests/tracer/test_traps.py::test_attached_under_load

demo: deps-test
	@$(MAKE) --no-print-directory -s all
	@scripts/demo

bench: deps-bench
	$(MAKE) all $(BENCH_TARGETS)
	$(PYTHON) tests/bench/run.py

clean:
	rm -rf $(BUILD)

# make install: the library (built again so that its .debug_gdb_scripts entry
# names the installed extension), header, pkg-config file, tracer, man page
# and the GDB extension.
INSTALL_GDB_DIR := $(PREFIX)/share/mapviz/gdb
INSTALL_LIB_DIR := $(BUILD)/install

$(INSTALL_LIB_DIR)/hmap.o: hmap/hmap.c hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(HMAP_LIB_CFLAGS) -DHMAP_GDB_SCRIPT='"$(INSTALL_GDB_DIR)/mapviz.py"' -c $< -o $@

install: all $(INSTALL_LIB_DIR)/hmap.o
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(INSTALL_GDB_DIR)
	$(call hmap_archive,$(INSTALL_LIB_DIR)/hmap.o,$(DESTDIR)$(PREFIX)/lib)
	$(call hmap_shared,$(INSTALL_LIB_DIR)/hmap.o,$(DESTDIR)$(PREFIX)/lib)
	install -m 644 hmap/hmap.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(HMAP_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(BUILD)/bin/mapviz-trace $(DESTDIR)$(PREFIX)/bin/
	install -m 644 tracer/mapviz-trace.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(INSTALL_GDB_DIR)/mapviz_gdb
	install -m 644 gdb/mapviz.py $(DESTDIR)$(INSTALL_GDB_DIR)/
	install -m 644 gdb/mapviz_gdb/*.py $(DESTDIR)$(INSTALL_GDB_DIR)/mapviz_gdb/
