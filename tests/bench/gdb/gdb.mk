# tests/bench/gdb/: programs for the GDB extension's benchmark (bench.py).

BENCH_GDB := $(BUILD)/tests/bench/gdb/bigmap $(BUILD)/tests/bench/gdb/umap
BENCH_TARGETS += $(BENCH_GDB)

$(BUILD)/tests/bench/gdb/bigmap: tests/bench/gdb/bigmap.c $(HMAP_A) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(HMAP_A) $(LDLIBS) -o $@

$(BUILD)/tests/bench/gdb/umap: tests/bench/gdb/umap.cc
	@mkdir -p $(@D)
	$(CXX) -O2 -g $< -o $@
