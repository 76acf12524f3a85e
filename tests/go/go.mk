# tests/go/: Go programs that print the Go runtime's own ground truth, built
# with every Go release installed from Debian (/usr/lib/go-1.NN, see
# scripts/ensure-go) whose maps have the classic bucket design (1.19 to 1.23),
# into build/tests/go/go1.NN/. Releases not installed are skipped.
#
# -gcflags=all=-N -l: no optimisation or inlining, so every variable and
# frame is where the DWARF says. DWARF stays as Go writes it by default,
# zlib-compressed sections (SHF_COMPRESSED, since Go 1.19 at least): that is
# what users' binaries carry, and GDB 13 and libdw read it
# (test_go_dwarf.py checks the sections are compressed and GDB reads them).

GO_CLASSIC_RELEASES := 1.19 1.20 1.21 1.22 1.23
GO_RELEASES         := $(foreach r,$(GO_CLASSIC_RELEASES),$(if $(wildcard /usr/lib/go-$(r)/bin/go),$(r)))
# Each fixture is one file of package main, built together with maplayout.go (the
# runtime's map layout and the walk the fixtures read their ground truth with).
GO_FIXTURE_SHARED   := tests/go/fixtures/maplayout.go
GO_FIXTURE_SRCS     := $(filter-out $(GO_FIXTURE_SHARED),$(wildcard tests/go/fixtures/*.go))
GO_FIXTURES         := $(foreach r,$(GO_RELEASES),\
	$(patsubst tests/go/fixtures/%.go,$(BUILD)/tests/go/go$(r)/%,$(GO_FIXTURE_SRCS)))
GO_BUILD_FLAGS      := -gcflags='all=-N -l'
# The build cache stays in build/; no module download, no toolchain switch.
GO_ENV              := GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/go-path \
	GOPROXY=off GOTOOLCHAIN=local GO111MODULE=off

TEST_TARGETS += $(GO_FIXTURES) $(BUILD)/tests/go/hash_go_test

define go_fixture_rule
$(BUILD)/tests/go/go$(1)/%: tests/go/fixtures/%.go $(GO_FIXTURE_SHARED)
	@mkdir -p $$(@D)
	$(GO_ENV) /usr/lib/go-$(1)/bin/go build $(GO_BUILD_FLAGS) -o $$@ $$^
endef
$(foreach r,$(GO_RELEASES),$(eval $(call go_fixture_rule,$(r))))


# Go's hash in C (tracer/model/hash_go.c), driven by the tests through stdin.
$(BUILD)/tests/go/hash_go_test: tests/go/hash_go_test.c tracer/model/hash_go.c tracer/model/hash_go.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itracer $< tracer/model/hash_go.c -o $@
