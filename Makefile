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
PKG_CONFIG ?= pkg-config
CFLAGS   ?= -O2
CFLAGS   += -g -Wall -Wextra -std=gnu11 -fno-omit-frame-pointer
CPPFLAGS += -Ihmap
LDLIBS   += -pthread

# Debian packages each goal needs; scripts/ensure-deps installs what is
# missing (as root) or prints the apt-get line.
DEBS_BUILD := gcc make pkg-config libdw-dev libelf-dev libxxhash-dev libcapstone-dev libjson-c-dev
DEBS_TEST  := $(DEBS_BUILD) gdb python3-xxhash python3-capstone python3-pytest graphviz clang libclang-rt-14-dev golang-1.19-go
DEBS_BENCH := $(DEBS_TEST) g++
# make pictures only: the browser that shows the README's pictures, and Pillow to read its
# screenshots.
DEBS_PICTURES := $(DEBS_TEST) chromium python3-pil

# Go releases the Go tests run on, besides 1.19 (from DEBS_TEST); each one is
# installed by scripts/ensure-go. CI sets MAPVIZ_GO="1.19 1.21 1.22 1.23".
MAPVIZ_GO ?=

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
	@scripts/ensure-go $(MAPVIZ_GO)
deps-bench:
	@scripts/ensure-deps $(DEBS_BENCH)
	@scripts/ensure-go delve

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
	@$(MAKE) --no-print-directory -s all $(GO_EXAMPLES)
	@scripts/demo

bench: deps-bench
	$(MAKE) all $(BENCH_TARGETS)
	$(PYTHON) tests/bench/run.py

# make mutants: each wrong answer in tests/mutants/catalog.py, applied to a scratch copy
# of the tree, must make the tests that name it fail (scripts/mutants; MUTANTS=NAME... for some).
.PHONY: mutants
mutants: deps-test
	$(MAKE) all $(TEST_TARGETS)
	nice $(PYTHON) scripts/mutants $(MUTANTS)

# The README's pictures drawn again from real runs (scripts/pictures says how), then shown
# in headless Chromium: tests/test_pictures.py checks them and their screenshots
# (build/pictures/*.png).
.PHONY: pictures deps-pictures
deps-pictures:
	@scripts/ensure-deps $(DEBS_PICTURES)
pictures: deps-pictures
	@$(MAKE) --no-print-directory -s all $(TRACER_FIXTURES)
	@scripts/pictures
	MAPVIZ_SCREENSHOTS=1 $(PYTHON) -m pytest -q -p no:cacheprovider tests/test_pictures.py

clean:
	rm -rf $(BUILD)

# make install PREFIX=/abs/path DESTDIR=: the library (compiled again so that its
# .debug_gdb_scripts entry names the installed extension), header, pkg-config file,
# tracer, man page and GDB extension. What depends on PREFIX is built under a
# directory named after it (hmap.mk: $(call hmap_prefix_dir,PREFIX)), so each PREFIX
# gets its own and none is ever stale. make uninstall removes exactly INSTALLED_FILES.
INSTALL_ROOT    = $(DESTDIR)$(patsubst %/,%,$(PREFIX))
INSTALL_GDB_DIR := share/mapviz/gdb
INSTALL_MAN1    := tracer/mapviz-trace.1 tracer/mapviz-render.1
INSTALL_GDB_PY  := gdb/mapviz.py $(wildcard gdb/mapviz_gdb/*.py gdb/mapviz_gdb/model/*.py)
# Relative to $(INSTALL_ROOT); install below must put each of these, and only these.
INSTALLED_FILES := lib/libhmap.a lib/libhmap.so.1 lib/libhmap.so lib/pkgconfig/hmap.pc \
	include/hmap.h bin/mapviz-trace bin/mapviz-render $(addprefix share/man/man1/,$(notdir $(INSTALL_MAN1))) \
	$(patsubst gdb/%,$(INSTALL_GDB_DIR)/%,$(INSTALL_GDB_PY))
# Directories that belong to mapviz alone, deepest first: uninstall removes them too
# (with the bytecode Python writes beside the extension when GDB imports it).
INSTALLED_DIRS  := $(INSTALL_GDB_DIR)/mapviz_gdb/model $(INSTALL_GDB_DIR)/mapviz_gdb $(INSTALL_GDB_DIR) share/mapviz
PREFIX_BUILT     = $(call hmap_prefix_dir,$(PREFIX))

.PHONY: uninstall install-check-prefix

install: all install-check-prefix $(PREFIX_BUILT)/hmap.o $(PREFIX_BUILT)/hmap.pc
	install -d $(addprefix $(INSTALL_ROOT)/,lib/pkgconfig include bin share/man/man1 \
		$(INSTALL_GDB_DIR)/mapviz_gdb/model)
	$(call hmap_archive,$(PREFIX_BUILT)/hmap.o,$(INSTALL_ROOT)/lib)
	$(call hmap_shared,$(PREFIX_BUILT)/hmap.o,$(INSTALL_ROOT)/lib)
	install -m 644 $(PREFIX_BUILT)/hmap.pc $(INSTALL_ROOT)/lib/pkgconfig/
	install -m 644 hmap/hmap.h $(INSTALL_ROOT)/include/
	install -m 755 $(BUILD)/bin/mapviz-trace $(BUILD)/bin/mapviz-render $(INSTALL_ROOT)/bin/
	install -m 644 $(INSTALL_MAN1) $(INSTALL_ROOT)/share/man/man1/
	install -m 644 gdb/mapviz.py $(INSTALL_ROOT)/$(INSTALL_GDB_DIR)/
	install -m 644 gdb/mapviz_gdb/*.py $(INSTALL_ROOT)/$(INSTALL_GDB_DIR)/mapviz_gdb/
	install -m 644 gdb/mapviz_gdb/model/*.py $(INSTALL_ROOT)/$(INSTALL_GDB_DIR)/mapviz_gdb/model/

uninstall: install-check-prefix
	rm -f $(addprefix $(INSTALL_ROOT)/,$(INSTALLED_FILES))
	rm -rf $(addprefix $(INSTALL_ROOT)/,$(addsuffix /__pycache__,$(INSTALLED_DIRS)))
	for d in $(addprefix $(INSTALL_ROOT)/,$(INSTALLED_DIRS)); do \
		if [ -d "$$d" ]; then rmdir "$$d" || exit 1; fi; done

# The installed files name PREFIX (hmap.pc, .debug_gdb_scripts): it must be absolute.
install-check-prefix:
	@case "$(PREFIX)" in /*) ;; *) echo "mapviz: PREFIX must be an absolute path, not '$(PREFIX)'" >&2; exit 2 ;; esac
