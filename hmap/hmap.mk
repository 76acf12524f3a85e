# hmap/: the map library, static and shared, always with debug info.

HMAP_LIB_CFLAGS := $(CFLAGS) -fPIC -fno-eliminate-unused-debug-types \
	-DHMAP_GDB_SCRIPT='"$(abspath gdb/mapviz.py)"'
HMAP_A  := $(BUILD)/libhmap.a
HMAP_SO := $(BUILD)/libhmap.so
HMAP_PC := $(BUILD)/hmap.pc

ALL_TARGETS += $(HMAP_A) $(HMAP_SO) $(HMAP_PC)

$(BUILD)/hmap/hmap.o: hmap/hmap.c hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(HMAP_LIB_CFLAGS) -c $< -o $@

$(HMAP_A): $(BUILD)/hmap/hmap.o
	rm -f $@ && ar rcs $@ $^

# The file is named by its soname, so programs linked against build/libhmap.so start from the tree.
$(HMAP_SO): $(BUILD)/hmap/hmap.o
	$(CC) -shared -Wl,-soname,libhmap.so.1 -o $@.1 $^
	ln -sf libhmap.so.1 $@

$(HMAP_PC): hmap/hmap.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' $< > $@
