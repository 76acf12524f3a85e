# tests/bench/tracer/: the watchpoint benchmark's program and the ptrace floor tracer.

BENCH_TRACER := $(BUILD)/tests/bench/tracer/hits $(BUILD)/tests/bench/tracer/floor \
	$(BUILD)/tests/bench/tracer/reads
BENCH_TARGETS += $(BENCH_TRACER) $(BUILD)/bin/mapviz-trace

$(BUILD)/tests/bench/tracer/hits $(BUILD)/tests/bench/tracer/reads: \
		$(BUILD)/tests/bench/tracer/%: tests/bench/tracer/%.c $(HMAP_A) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(HMAP_A) $(LDLIBS) -o $@

$(BUILD)/tests/bench/tracer/floor: tests/bench/tracer/floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@
