# tests/go/: the Go programs of the GDB extension's Go tests (tests/gdbgo/), built
# with every Go release installed from Debian (/usr/lib/go-1.NN) whose maps have
# the classic design, into build/tests/gdbgo/go1.NN/. Releases not installed are
# skipped (the tests say so). -gcflags=all=-N -l keeps every variable where DWARF
# says; -compressdwarf=false lets any reader see the DWARF sections as they are.

GDBGO_RELEASES   := $(foreach r,1.19 1.20 1.21 1.22 1.23,$(if $(wildcard /usr/lib/go-$(r)/bin/go),$(r)))
GDBGO_SRCS       := tests/go/fixtures/gdbmaps.go tests/go/fixtures/gdbwatch.go
GDBGO_FIXTURES   := $(foreach r,$(GDBGO_RELEASES),\
	$(patsubst tests/go/fixtures/%.go,$(BUILD)/tests/gdbgo/go$(r)/%,$(GDBGO_SRCS)))
GDBGO_ENV        := GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/go-path \
	GOPROXY=off GOTOOLCHAIN=local GO111MODULE=off

TEST_TARGETS += $(GDBGO_FIXTURES)

define gdbgo_fixture_rule
$(BUILD)/tests/gdbgo/go$(1)/%: tests/go/fixtures/%.go
	@mkdir -p $$(@D)
	$(GDBGO_ENV) /usr/lib/go-$(1)/bin/go build -gcflags='all=-N -l' -ldflags=-compressdwarf=false -o $$@ $$<
endef
$(foreach r,$(GDBGO_RELEASES),$(eval $(call gdbgo_fixture_rule,$(r))))
