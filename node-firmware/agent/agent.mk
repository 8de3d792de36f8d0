# node-firmware/agent: the node runtime (outbox, slots, persistent state, the
# cooperative work loop). C99, no malloc, no OS calls: all I/O goes through the
# HAL in node-firmware/ports/port.h. Built for the host and for Cortex-M4.
AGENT_SRCS := $(wildcard node-firmware/agent/*.c)
AGENT_OBJS := $(AGENT_SRCS:%.c=$(B)/%.o)
LIBAGENT := $(B)/libagent.a
$(LIBAGENT): $(AGENT_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

AGENT_M4_OBJS := $(AGENT_SRCS:%.c=$(B)/m4/%.o)
$(B)/m4/libagent.a: $(AGENT_M4_OBJS)
	$(CROSS)ar rcs $@ $^
M4_LIBS += $(B)/m4/libagent.a

.PHONY: size-agent
size-agent: $(B)/m4/libagent.a
	@echo "agent/ for Cortex-M4 (-mcpu=cortex-m4 -mthumb -Os):"
	@$(CROSS)size -t $(B)/m4/libagent.a | tail -n 1 | awk '{ printf "  .text %s  .data %s  .bss %s\n", $$1, $$2, $$3 }'
SIZE_TARGETS += size-agent

FORMAT_FILES += $(AGENT_SRCS) $(wildcard node-firmware/agent/*.h) node-firmware/ports/port.h

# Unit tests: tests/unit/agent/check_<module>.c; the other .c files there (the
# mock port, shared helpers) are linked into every agent test, plus the POSIX
# flash backend (HAL contract test) and the built-in model generator.
AGENT_TEST_SRCS := $(wildcard tests/unit/agent/check_*.c)
AGENT_TEST_LIB_SRCS := $(filter-out $(AGENT_TEST_SRCS),$(wildcard tests/unit/agent/*.c))
AGENT_TEST_LIB_OBJS := $(AGENT_TEST_LIB_SRCS:%.c=$(B)/%.o) $(B)/node-firmware/ports/posix/flash.o \
	$(B)/node-firmware/ports/posix/builtin_model.o $(B)/node-firmware/ports/posix/provision.o \
	$(B)/node-firmware/ports/posix/sensor.o $(B)/tests/unit/core/tflite_builder.o
AGENT_TESTS := $(AGENT_TEST_SRCS:%.c=$(B)/%)
UNIT_TESTS += $(AGENT_TESTS)
FORMAT_FILES += $(AGENT_TEST_SRCS) $(AGENT_TEST_LIB_SRCS) $(wildcard tests/unit/agent/*.h)
$(B)/tests/unit/agent/%: $(B)/tests/unit/agent/%.o $(AGENT_TEST_LIB_OBJS) $(LIBAGENT) $(LIBWIRE) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,check) -lm
