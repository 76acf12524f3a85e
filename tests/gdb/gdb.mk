# tests/gdb/: the C programs the GDB extension's tests run (built with libhmap.a).

GDB_FIXTURES := $(patsubst tests/gdb/fixtures/%.c,$(BUILD)/tests/gdb/%,$(wildcard tests/gdb/fixtures/*.c))
TEST_TARGETS += $(GDB_FIXTURES)

$(BUILD)/tests/gdb/%: tests/gdb/fixtures/%.c tests/gdb/fixtures/cells.h $(HMAP_A) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $< $(HMAP_A) $(LDLIBS) -o $@
