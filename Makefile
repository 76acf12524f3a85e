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
DEBS_BUILD := gcc make pkg-config libdw-dev libelf-dev libunwind-dev libxxhash-dev libcapstone-dev
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

demo: deps-test
	$(MAKE) all
	@scripts/demo

bench: deps-bench
	$(MAKE) all $(BENCH_TARGETS)
	$(PYTHON) tests/bench/run.py

clean:
	rm -rf $(BUILD)
