# node-firmware/core: the int8 inference engine. C99, no malloc, no OS calls;
# compiled for the host (-O2) and for Cortex-M4 (-Os).
CORE_SRCS := $(wildcard node-firmware/core/*.c node-firmware/core/kernels/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(B)/%.o)
LIBCORE := $(B)/libnncore.a
$(LIBCORE): $(CORE_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

CORE_M4_OBJS := $(CORE_SRCS:%.c=$(B)/m4/%.o)
$(B)/m4/libnncore.a: $(CORE_M4_OBJS)
	$(CROSS)ar rcs $@ $^
M4_LIBS += $(B)/m4/libnncore.a

.PHONY: size-core
size-core: $(B)/m4/libnncore.a
	@echo "core/ for Cortex-M4 (-mcpu=cortex-m4 -mthumb -Os):"
	@$(CROSS)size -t $(B)/m4/libnncore.a | tail -n 1 | awk '{ printf "  .text %s  .data %s  .bss %s\n", $$1, $$2, $$3 }'
SIZE_TARGETS += size-core

FORMAT_FILES += $(CORE_SRCS) $(wildcard node-firmware/core/*.h node-firmware/core/kernels/*.h)

# Unit tests: tests/unit/core/check_<module>.c; the other .c files in that folder
# (test-model builder, slow reference kernels) are linked into every core test.
CORE_TEST_SRCS := $(wildcard tests/unit/core/check_*.c)
CORE_TEST_LIB_SRCS := $(filter-out $(CORE_TEST_SRCS),$(wildcard tests/unit/core/*.c))
CORE_TEST_LIB_OBJS := $(CORE_TEST_LIB_SRCS:%.c=$(B)/%.o)
CORE_TESTS := $(CORE_TEST_SRCS:%.c=$(B)/%)
UNIT_TESTS += $(CORE_TESTS)
FORMAT_FILES += $(CORE_TEST_SRCS) $(CORE_TEST_LIB_SRCS) $(wildcard tests/unit/core/*.h)
$(B)/tests/unit/core/%: $(B)/tests/unit/core/%.o $(CORE_TEST_LIB_OBJS) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,check) -lm

CORE_FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_core_*.c)
CORE_FUZZ := $(CORE_FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/bin/%)
FUZZ_TARGETS += $(CORE_FUZZ)
FORMAT_FILES += $(CORE_FUZZ_SRCS)
$(B)/fuzz/bin/fuzz_core_%: $(B)/fuzz/tests/fuzz/fuzz_core_%.o $(CORE_SRCS:%.c=$(B)/fuzz/%.o)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_LDFLAGS) -o $@ $^

# tests/tools/nn_oracle: host tool that runs a model on the oracle's inputs and
# prints output bytes and per-layer sha256 prefixes (tests/integration/10-core-oracle.sh).
NN_ORACLE := $(B)/tests/tools/nn_oracle
$(B)/tests/tools/nn_oracle.o: CSTD := -std=gnu11
$(NN_ORACLE): $(B)/tests/tools/nn_oracle.o $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,libsodium)
PROGRAMS += $(NN_ORACLE)
INTEGRATION_DEPS += $(NN_ORACLE)
FORMAT_FILES += tests/tools/nn_oracle.c
