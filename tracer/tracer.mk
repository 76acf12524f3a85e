# tracer/: mapviz-trace, the hardware-watchpoint tracer.

TRACER_PKGS   := libdw libunwind-ptrace libunwind-generic libxxhash capstone json-c
TRACER_CFLAGS := $(CFLAGS) $(shell pkg-config --cflags $(TRACER_PKGS))
TRACER_LIBS   := $(shell pkg-config --libs $(TRACER_PKGS)) -lelf
TRACER_SRCS   := $(wildcard tracer/*.c)
TRACER_OBJS   := $(patsubst tracer/%.c,$(BUILD)/tracer/%.o,$(TRACER_SRCS))
TRACER_BIN    := $(BUILD)/bin/mapviz-trace

ALL_TARGETS += $(TRACER_BIN)

$(BUILD)/tracer/%.o: tracer/%.c $(wildcard tracer/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(TRACER_CFLAGS) -MMD -c $< -o $@

$(TRACER_BIN): $(TRACER_OBJS)
	@mkdir -p $(@D)
	$(CC) $(TRACER_CFLAGS) $^ $(TRACER_LIBS) -o $@
