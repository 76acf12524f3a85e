# tests/tracer/: fixtures for the mapviz-trace tests.

TRACER_FIXTURES := $(BUILD)/tests/tracer/chain $(BUILD)/tests/tracer/dr7_test \
	$(BUILD)/tests/tracer/chain_shared $(BUILD)/tests/tracer/chain_stripped \
	$(BUILD)/tests/tracer/odd_cells $(BUILD)/tests/tracer/race $(BUILD)/tests/tracer/race_shared \
	$(BUILD)/tests/tracer/strings \
	$(BUILD)/tests/tracer/values \
	$(BUILD)/tests/tracer/trap_test $(BUILD)/tests/tracer/own_traps $(BUILD)/tests/tracer/hammer \
	$(BUILD)/tests/tracer/interrupts $(BUILD)/tests/tracer/leader_exits \
	$(BUILD)/tests/tracer/step_sleeps
# (tracer/tracer.mk is read after this file: name the binary, not $(TRACER_BIN))
TEST_TARGETS += $(TRACER_FIXTURES) $(BUILD)/bin/mapviz-trace $(EXAMPLES)

$(BUILD)/tests/tracer/%: tests/tracer/fixtures/%.c $(HMAP_A) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $< $(HMAP_A) $(LDLIBS) -o $@

# The same program linked with the shared library: symbols and DWARF of the map code live
# there, found through the rpath.
$(BUILD)/tests/tracer/chain_shared $(BUILD)/tests/tracer/race_shared: \
		$(BUILD)/tests/tracer/%_shared: tests/tracer/fixtures/%.c $(HMAP_SO) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $< -L$(BUILD) -lhmap \
		-Wl,-rpath,$(abspath $(BUILD)) $(LDLIBS) -o $@

$(BUILD)/tests/tracer/chain_stripped: $(BUILD)/tests/tracer/chain
	strip -o $@ $<

# The pure DR7/DR6 encoding, tested without ptrace.
$(BUILD)/tests/tracer/dr7_test: tests/tracer/fixtures/dr7_test.c tracer/base/dregs_x86.c \
		tracer/base/dregs.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itracer $< tracer/base/dregs_x86.c -o $@

# Whose a SIGTRAP is (pure), tested without ptrace.
$(BUILD)/tests/tracer/trap_test: tests/tracer/fixtures/trap_test.c tracer/base/trap.c \
		tracer/base/trap.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itracer $< tracer/base/trap.c -o $@
