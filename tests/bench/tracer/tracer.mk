# tests/bench/tracer/: the watchpoint benchmark's program and the ptrace floor tracer.

BENCH_TRACER := $(BUILD)/tests/bench/tracer/hits $(BUILD)/tests/bench/tracer/floor
BENCH_TARGETS += $(BENCH_TRACER) $(BUILD)/bin/mapviz-trace

$(BUILD)/tests/bench/tracer/hits: tests/bench/tracer/hits.c $(HMAP_A) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(HMAP_A) $(LDLIBS) -o $@

$(BUILD)/tests/bench/tracer/floor: tests/bench/tracer/floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@
