# tracer/: mapviz-trace, the hardware-watchpoint tracer.

TRACER_PKGS   := libdw libxxhash capstone json-c
# pkg-config runs when a recipe first needs its answer, never while make reads the
# makefiles: `make demo` and `make test` install missing packages first (deps-test),
# and nothing before that may complain about them. Each answer is computed once.
TRACER_PKG_CFLAGS = $(eval TRACER_PKG_CFLAGS := $(call tracer_pkg_config,--cflags))$(TRACER_PKG_CFLAGS)
TRACER_PKG_LIBS   = $(eval TRACER_PKG_LIBS := $(call tracer_pkg_config,--libs))$(TRACER_PKG_LIBS)
TRACER_CFLAGS  = $(CFLAGS) -Itracer $(TRACER_PKG_CFLAGS)
TRACER_LIBS    = $(TRACER_PKG_LIBS) -lelf
# $(call tracer_pkg_config,--cflags|--libs): pkg-config's answer, or one line naming
# the packages it cannot find.
tracer_pkg_config = $(shell $(PKG_CONFIG) $(1) $(TRACER_PKGS) 2>/dev/null)$(if \
	$(filter 0,$(.SHELLSTATUS)),,$(error mapviz: $(PKG_CONFIG) finds no $(call \
	tracer_pkgs_missing) (make deps installs them)))
tracer_pkgs_missing = $(foreach p,$(TRACER_PKGS),$(if $(shell $(PKG_CONFIG) --exists $(p) \
	2>/dev/null && echo found),,$(p)))
# One folder per layer, each using only those below it: base/ (memory, symbols, disassembly,
# debug-register encoding), model/ (sources, designs, hashes, codecs), events/ (events and
# writers), target/ (ptrace and the ISA), hits/ (hit backends), modes/, session/ (and main).
TRACER_LAYERS := base model events target hits modes session
TRACER_SRCS   := $(foreach l,$(TRACER_LAYERS),$(wildcard tracer/$(l)/*.c))
TRACER_OBJS   := $(patsubst tracer/%.c,$(BUILD)/tracer/%.o,$(TRACER_SRCS))
TRACER_BIN    := $(BUILD)/bin/mapviz-trace

ALL_TARGETS += $(TRACER_BIN)

$(BUILD)/tracer/%.o: tracer/%.c $(wildcard tracer/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(TRACER_CFLAGS) -MMD -c $< -o $@

$(TRACER_BIN): $(TRACER_OBJS)
	@mkdir -p $(@D)
	$(CC) $(TRACER_CFLAGS) $^ $(TRACER_LIBS) -o $@

# mapviz-render: a recording drawn by the SVG writer. Its entry point (tracer/render/, above
# the session's layer) needs the pure layers only: base, model and events.
RENDER_BIN  := $(BUILD)/bin/mapviz-render
RENDER_OBJS := $(patsubst tracer/%.c,$(BUILD)/tracer/%.o,$(wildcard tracer/render/*.c)) \
	$(filter $(foreach l,base model events,$(BUILD)/tracer/$(l)/%),$(TRACER_OBJS))

ALL_TARGETS += $(RENDER_BIN)

$(RENDER_BIN): $(RENDER_OBJS)
	@mkdir -p $(@D)
	$(CC) $(TRACER_CFLAGS) $^ $(TRACER_LIBS) -o $@
