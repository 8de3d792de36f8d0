# node-firmware/wire: frame codec, AEAD, COBS, replay window, protobuf wire codec.
# C99, no malloc, no OS calls; compiled for the host (nodes, daemon, tests) and
# for Cortex-M4.
WIRE_SRCS := $(wildcard node-firmware/wire/*.c)
WIRE_OBJS := $(WIRE_SRCS:%.c=$(B)/%.o)
LIBWIRE := $(B)/libwire.a
$(LIBWIRE): $(WIRE_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

WIRE_M4_OBJS := $(WIRE_SRCS:%.c=$(B)/m4/%.o)
$(B)/m4/libwire.a: $(WIRE_M4_OBJS)
	$(CROSS)ar rcs $@ $^
M4_LIBS += $(B)/m4/libwire.a

.PHONY: size-wire
size-wire: $(B)/m4/libwire.a
	@echo "wire/ for Cortex-M4 (-mcpu=cortex-m4 -mthumb -Os):"
	@$(CROSS)size -t $(B)/m4/libwire.a | tail -n 1 | awk '{ printf "  .text %s  .data %s  .bss %s\n", $$1, $$2, $$3 }'
SIZE_TARGETS += size-wire

FORMAT_FILES += $(WIRE_SRCS) $(wildcard node-firmware/wire/*.h)

# Unit tests: tests/unit/wire/check_<module>.c, linked with libwire, the generated
# protobuf-c code (interop) and libsodium (AEAD interop).
WIRE_TEST_SRCS := $(wildcard tests/unit/wire/check_*.c)
WIRE_TESTS := $(WIRE_TEST_SRCS:%.c=$(B)/%)
UNIT_TESTS += $(WIRE_TESTS)
FORMAT_FILES += $(WIRE_TEST_SRCS)
$(WIRE_TEST_SRCS:%.c=$(B)/%.o): | $(PROTO_HDRS)
$(B)/tests/unit/wire/%: $(B)/tests/unit/wire/%.o $(LIBWIRE) $(PROTO_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,check libsodium libprotobuf-c)

# Fuzz targets: tests/fuzz/fuzz_wire_<what>.c against every wire source.
WIRE_FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_wire_*.c)
WIRE_FUZZ := $(WIRE_FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/bin/%)
FUZZ_TARGETS += $(WIRE_FUZZ)
FORMAT_FILES += $(WIRE_FUZZ_SRCS)
$(B)/fuzz/bin/fuzz_wire_%: $(B)/fuzz/tests/fuzz/fuzz_wire_%.o $(WIRE_SRCS:%.c=$(B)/fuzz/%.o)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_LDFLAGS) -o $@ $^
