# tests/bench/hmap/: hmap against Go 1.19's runtime map and std::unordered_map
# on the same random u64 keys (bench.py runs all three and prints the ratios).

HMAP_BENCH_DIR := $(BUILD)/bench/hmap
HMAP_BENCH_GO  := /usr/lib/go-1.19/bin/go
BENCH_TARGETS += $(HMAP_BENCH_DIR)/bench_hmap $(HMAP_BENCH_DIR)/bench_unordered_map $(HMAP_BENCH_DIR)/bench_go

$(HMAP_BENCH_DIR)/bench_hmap: tests/bench/hmap/bench_hmap.c tests/bench/hmap/bench_keys.h $(HMAP_A) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(HMAP_A) $(LDLIBS) -o $@

$(HMAP_BENCH_DIR)/bench_unordered_map: tests/bench/hmap/bench_unordered_map.cc tests/bench/hmap/bench_keys.h
	@mkdir -p $(@D)
	$(CXX) -O2 -g -std=c++17 -Wall -Wextra $< -o $@

# Go builds offline, with its cache and GOPATH inside build/.
$(HMAP_BENCH_DIR)/bench_go: tests/bench/hmap/bench_go.go
	@mkdir -p $(@D)/gocache $(@D)/gopath
	cd $(@D) && GOCACHE=$(abspath $(@D))/gocache GOPATH=$(abspath $(@D))/gopath GOPROXY=off \
		GO111MODULE=off $(HMAP_BENCH_GO) build -o bench_go $(abspath $<)
