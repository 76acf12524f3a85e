# examples/: each examples/NAME.c is a program build/examples/NAME linked with libhmap.a.

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
ALL_TARGETS += $(EXAMPLES)

$(BUILD)/examples/%: examples/%.c $(HMAP_A) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $< $(HMAP_A) $(LDLIBS) -o $@
