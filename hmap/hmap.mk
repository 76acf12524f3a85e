# hmap/: the map library, static and shared, always with debug info.

HMAP_LIB_CFLAGS := $(CFLAGS) -fPIC -fno-eliminate-unused-debug-types
# The extension that the library's .debug_gdb_scripts entry names: this tree's (install names its own).
HMAP_GDB_SCRIPT := $(abspath gdb/mapviz.py)
HMAP_A  := $(BUILD)/libhmap.a
HMAP_SO := $(BUILD)/libhmap.so

ALL_TARGETS += $(HMAP_A) $(HMAP_SO)

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

# What make install builds for one PREFIX goes to $(call hmap_prefix_dir,PREFIX), a
# directory named by it: build/prefix/opt/mv/ for /opt/mv. The rules read the prefix back
# from the path (the stem), so each file there always says its own directory's PREFIX.
hmap_prefix_dir = $(BUILD)/prefix$(patsubst %/,%,$(1))

# The library as installed: its .debug_gdb_scripts entry names PREFIX's extension.
$(BUILD)/prefix%/hmap.o: hmap/hmap.c hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(HMAP_LIB_CFLAGS) -DHMAP_GDB_SCRIPT='"$*/share/mapviz/gdb/mapviz.py"' -c $< -o $@

$(BUILD)/prefix%/hmap.pc: hmap/hmap.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$*|' $< > $@
