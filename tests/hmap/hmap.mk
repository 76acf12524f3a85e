# tests/hmap/: the hmap unit tests (plain, and under ASan + UBSan + LSan with the
# library compiled in), the libFuzzer target, and a program whose DWARF and ELF
# sections the tests read back. pytest runs them all (tests/hmap/test_*.py).

HMAP_TEST_DIR     := $(BUILD)/tests/hmap
HMAP_TEST_SRC     := tests/hmap/hmap_test.c tests/hmap/hmap_check.c
HMAP_TEST_HDR     := tests/hmap/hmap_check.h hmap/hmap.h
HMAP_TEST         := $(HMAP_TEST_DIR)/hmap_test
HMAP_TEST_ASAN    := $(HMAP_TEST_DIR)/hmap_test_asan
HMAP_FUZZ         := $(HMAP_TEST_DIR)/hmap_fuzz
HMAP_DWARF_FIXTURE := $(HMAP_TEST_DIR)/dwarf_fixture
HMAP_SANITIZE     := -fsanitize=address,undefined -fno-sanitize-recover=all
# How long `make fuzz` runs the fuzzer (make test runs it briefly through pytest).
FUZZ_SECONDS      ?= 60

TEST_TARGETS += $(HMAP_TEST) $(HMAP_TEST_ASAN) $(HMAP_FUZZ) $(HMAP_DWARF_FIXTURE)

$(HMAP_TEST): $(HMAP_TEST_SRC) $(HMAP_TEST_HDR) $(HMAP_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HMAP_TEST_SRC) $(HMAP_A) $(LDLIBS) -o $@

# The library is compiled into the sanitized binary so that its own code is checked too.
$(HMAP_TEST_ASAN): $(HMAP_TEST_SRC) $(HMAP_TEST_HDR) hmap/hmap.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -O1 -g -std=gnu11 -fno-omit-frame-pointer $(HMAP_SANITIZE) \
		$(HMAP_TEST_SRC) hmap/hmap.c $(LDLIBS) -o $@

$(HMAP_FUZZ): tests/hmap/hmap_fuzz.c tests/hmap/hmap_check.c $(HMAP_TEST_HDR) hmap/hmap.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all tests/hmap/hmap_fuzz.c tests/hmap/hmap_check.c hmap/hmap.c -o $@

# Two translation units define the same map type (a header may carry HMAP_DEFINE).
$(HMAP_DWARF_FIXTURE): tests/hmap/dwarf_fixture.c tests/hmap/dwarf_fixture_more.c \
		tests/hmap/dwarf_fixture.h $(HMAP_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O0 tests/hmap/dwarf_fixture.c tests/hmap/dwarf_fixture_more.c \
		$(HMAP_A) $(LDLIBS) -o $@

# make fuzz: the fuzzer for FUZZ_SECONDS, keeping its corpus (and any crash input) in build/.
fuzz: deps-test $(HMAP_FUZZ)
	@mkdir -p $(HMAP_TEST_DIR)/fuzz-corpus
	$(HMAP_FUZZ) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(HMAP_TEST_DIR)/ $(HMAP_TEST_DIR)/fuzz-corpus
