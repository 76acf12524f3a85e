# tests/go/: what the GDB extension's Go tests (tests/gdbgo/) need beyond go.mk, which builds
# every fixture with each classic-design release (1.19 to 1.23): gdbwatch.go built with each
# swiss-table release installed (1.24 on), whose maps mapviz must refuse in one line.

GDBGO_SWISS_RELEASES := $(foreach r,1.24 1.25 1.26,$(if $(wildcard /usr/lib/go-$(r)/bin/go),$(r)))
GDBGO_SWISS          := $(foreach r,$(GDBGO_SWISS_RELEASES),$(BUILD)/tests/go/go$(r)/gdbwatch)

TEST_TARGETS += $(GDBGO_SWISS)

define gdbgo_swiss_rule
$(BUILD)/tests/go/go$(1)/gdbwatch: tests/go/fixtures/gdbwatch.go
	@mkdir -p $$(@D)
	$$(GO_ENV) /usr/lib/go-$(1)/bin/go build $$(GO_BUILD_FLAGS) -o $$@ $$<
endef
$(foreach r,$(GDBGO_SWISS_RELEASES),$(eval $(call gdbgo_swiss_rule,$(r))))
