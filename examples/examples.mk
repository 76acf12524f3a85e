# examples/: each examples/NAME.c is a program build/examples/NAME linked with libhmap.a.

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
ALL_TARGETS += $(EXAMPLES)

$(BUILD)/examples/%: examples/%.c $(HMAP_A) hmap/hmap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $< $(HMAP_A) $(LDLIBS) -o $@

# examples/go/NAME.go: a Go program build/examples/go/NAME, built with Go 1.19
# (Debian's golang-1.19-go, which make test and make demo install).
GO_EXAMPLES := $(patsubst examples/go/%.go,$(BUILD)/examples/go/%,$(wildcard examples/go/*.go))
TEST_TARGETS += $(GO_EXAMPLES)

$(BUILD)/examples/go/%: examples/go/%.go
	@mkdir -p $(@D)
	GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/go-path GOPROXY=off \
		GOTOOLCHAIN=local GO111MODULE=off /usr/lib/go-1.19/bin/go build -o $@ $<
