# tests/go/trace_go.mk: the Go programs mapviz-trace is tested on
# (tests/go/fixtures/trace_*.go). go.mk builds them with every classic release
# installed, like the truth program; here they are also built with the first
# swiss-table release, Go 1.24, when it is installed, for the test that the
# tracer names it unsupported in one line.

TRACE_GO_SRCS     := $(wildcard tests/go/fixtures/trace_*.go)
TRACE_GO_SWISS    := $(if $(wildcard /usr/lib/go-1.24/bin/go),\
	$(patsubst tests/go/fixtures/%.go,$(BUILD)/tests/go/go1.24/%,$(TRACE_GO_SRCS)))

TEST_TARGETS += $(TRACE_GO_SWISS)

$(BUILD)/tests/go/go1.24/trace_%: tests/go/fixtures/trace_%.go $(GO_FIXTURE_SHARED)
	@mkdir -p $(@D)
	$(GO_ENV) /usr/lib/go-1.24/bin/go build $(GO_BUILD_FLAGS) -o $@ $^
