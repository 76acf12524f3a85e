# hmap/: the map library, static and shared, always with debug info.

HMAP_LIB_CFLAGS := $(CFLAGS) -fPIC -fno-eliminate-unused-debug-types
# The extension that the library's .debug_gdb_scripts entry names: this tree's (install names its own).
HMAP_GDB_SCRIPT := $(abspath gdb/mapviz.py)
HMAP_A  := $(BUILD)/libhmap.a
HMAP_SO := $(BUILD)/libhmap.so
HMAP_PC := $(BUILD)/hmap.pc

ALL_TARGETS += $(HMAP_A) $(HMAP_SO) $(HMAP_PC)

$(BUILD)/hmap/hmap.o: hmap/hmap.c hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(HMAP_LIB_CFLAGS) -DHMAP_GDB_SCRIPT='"$(HMAP_GDB_SCRIPT)"' -c $< -o $@

# $(call hmap_archive,OBJ,DIR) and $(call hmap_shared,OBJ,DIR): DIR/libhmap.a, and
# DIR/libhmap.so.1 with the link libhmap.so -> libhmap.so.1. The shared library's file is
# named by its soname, so programs linked against build/libhmap.so start from the tree.
hmap_archive = rm -f $(2)/libhmap.a && ar rcs $(2)/libhmap.a $(1)
hmap_shared = $(CC) -shared -Wl,-soname,libhmap.so.1 -o $(2)/libhmap.so.1 $(1) && \
	ln -sf libhmap.so.1 $(2)/libhmap.so

$(HMAP_A): $(BUILD)/hmap/hmap.o
	$(call hmap_archive,$^,$(@D))

$(HMAP_SO): $(BUILD)/hmap/hmap.o
	$(call hmap_shared,$^,$(@D))

$(HMAP_PC): hmap/hmap.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' $< > $@
