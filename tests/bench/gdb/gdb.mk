# tests/bench/gdb/: programs for the GDB extension's benchmark (bench.py).

BENCH_GDB := $(BUILD)/tests/bench/gdb/bigmap $(BUILD)/tests/bench/gdb/umap $(BUILD)/tests/bench/gdb/bigmap-go
BENCH_TARGETS += $(BENCH_GDB)

$(BUILD)/tests/bench/gdb/bigmap: tests/bench/gdb/bigmap.c $(HMAP_A) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(HMAP_A) $(LDLIBS) -o $@

$(BUILD)/tests/bench/gdb/umap: tests/bench/gdb/umap.cc
	@mkdir -p $(@D)
	$(CXX) -O2 -g $< -o $@

# The Go case: Go 1.19's map beside its own runtime-gdb.py (make test installs Go 1.19).
$(BUILD)/tests/bench/gdb/bigmap-go: tests/bench/gdb/bigmap.go
	@mkdir -p $(@D)
	GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/go-path GOPROXY=off GOTOOLCHAIN=local \
		GO111MODULE=off /usr/lib/go-1.19/bin/go build -gcflags='all=-N -l' -o $@ $<
