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

# Code size per op set: size/probe.c linked with --gc-sections against the core
# objects, with ops.c rebuilt to keep only that set's kernels (NN_OPS_SELECTED).
CORE_SIZE_SETS := fc micro_speech kws person sww resnet union7 all
CORE_OPS_fc := FULLY_CONNECTED
CORE_OPS_micro_speech := DEPTHWISE_CONV_2D FULLY_CONNECTED RESHAPE SOFTMAX
CORE_OPS_kws := CONV_2D DEPTHWISE_CONV_2D AVERAGE_POOL_2D RESHAPE FULLY_CONNECTED SOFTMAX
CORE_OPS_person := CONV_2D DEPTHWISE_CONV_2D AVERAGE_POOL_2D RESHAPE SOFTMAX
CORE_OPS_sww := CONV_2D DEPTHWISE_CONV_2D RESHAPE FULLY_CONNECTED SOFTMAX
CORE_OPS_resnet := CONV_2D ADD AVERAGE_POOL_2D RESHAPE FULLY_CONNECTED SOFTMAX
CORE_OPS_union7 := CONV_2D DEPTHWISE_CONV_2D FULLY_CONNECTED AVERAGE_POOL_2D RESHAPE SOFTMAX ADD
CORE_M4_NOOPS := $(filter-out $(B)/m4/node-firmware/core/ops.o,$(CORE_M4_OBJS))
CORE_SIZE_MAPS := $(CORE_SIZE_SETS:%=$(B)/m4/core-size/probe_%.map)
.SECONDARY: $(CORE_SIZE_SETS:%=$(B)/m4/core-size/ops_%.o) $(B)/m4/node-firmware/core/size/probe.o

$(B)/m4/core-size/ops_all.o: node-firmware/core/ops.c
	@mkdir -p $(@D)
	$(M4_CC) $(filter-out -MMD -MP,$(M4_CFLAGS)) -c $< -o $@
$(B)/m4/core-size/ops_%.o: node-firmware/core/ops.c
	@mkdir -p $(@D)
	$(M4_CC) $(filter-out -MMD -MP,$(M4_CFLAGS)) -DNN_OPS_SELECTED $(CORE_OPS_$*:%=-DNN_WITH_%) -c $< -o $@
$(B)/m4/core-size/probe_%.map: $(B)/m4/node-firmware/core/size/probe.o $(B)/m4/core-size/ops_%.o $(CORE_M4_NOOPS)
	$(M4_CC) -mcpu=cortex-m4 -mthumb -Os --specs=nano.specs -nostartfiles -Wl,--gc-sections \
		-Wl,-e,probe_entry -Wl,-Map=$@ -o $(@:.map=.elf) $^

# The same with -DNN_NO_MESSAGES (error codes kept, message texts compiled out),
# the configuration comparable to TFLM's TF_LITE_STRIP_ERROR_STRINGS figures.
CORE_NOMSG_OBJS := $(filter-out %/ops.o,$(CORE_SRCS:%.c=$(B)/m4/core-size/nomsg/%.o))
.SECONDARY: $(CORE_NOMSG_OBJS) $(CORE_SIZE_SETS:%=$(B)/m4/core-size/nomsg/ops_%.o)
$(B)/m4/core-size/nomsg/node-firmware/%.o: node-firmware/%.c
	@mkdir -p $(@D)
	$(M4_CC) $(filter-out -MMD -MP,$(M4_CFLAGS)) -DNN_NO_MESSAGES -c $< -o $@
$(B)/m4/core-size/nomsg/ops_all.o: node-firmware/core/ops.c
	@mkdir -p $(@D)
	$(M4_CC) $(filter-out -MMD -MP,$(M4_CFLAGS)) -DNN_NO_MESSAGES -c $< -o $@
$(B)/m4/core-size/nomsg/ops_%.o: node-firmware/core/ops.c
	@mkdir -p $(@D)
	$(M4_CC) $(filter-out -MMD -MP,$(M4_CFLAGS)) -DNN_NO_MESSAGES -DNN_OPS_SELECTED \
		$(CORE_OPS_$*:%=-DNN_WITH_%) -c $< -o $@
$(B)/m4/core-size/nomsg/probe_%.map: $(B)/m4/node-firmware/core/size/probe.o $(B)/m4/core-size/nomsg/ops_%.o $(CORE_NOMSG_OBJS)
	$(M4_CC) -mcpu=cortex-m4 -mthumb -Os --specs=nano.specs -nostartfiles -Wl,--gc-sections \
		-Wl,-e,probe_entry -Wl,-Map=$@ -o $(@:.map=.elf) $^
CORE_SIZE_MAPS += $(CORE_SIZE_SETS:%=$(B)/m4/core-size/nomsg/probe_%.map)

.PHONY: size-core
size-core: $(B)/m4/libnncore.a $(CORE_SIZE_MAPS)
	@echo "core/ for Cortex-M4 (-mcpu=cortex-m4 -mthumb -Os), whole library:"
	@$(CROSS)size -t $(B)/m4/libnncore.a | tail -n 1 | awk '{ printf "  .text+.rodata %s  .data %s  .bss %s\n", $$1, $$2, $$3 }'
	@echo "core/ .text kept by a --gc-sections link, per op set (TFLM: oracle README 2.2, reference kernels):"
	@node-firmware/core/size/size-core.sh $(B)
SIZE_TARGETS += size-core

FORMAT_FILES += $(CORE_SRCS) $(wildcard node-firmware/core/*.h node-firmware/core/kernels/*.h) node-firmware/core/size/probe.c

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

# The Cortex-M DSP paths (SXTB16/SMLAD, NN__DSP) built on the host with exact C
# equivalents (-DNN_DSP_EMULATE), linked into a second check_kernels so that
# `make test` checks them bit for bit against the reference kernels too.
CORE_DSP_OBJS := $(CORE_SRCS:%.c=$(B)/dsp/%.o)
$(B)/dsp/node-firmware/%.o: node-firmware/%.c
	@mkdir -p $(@D)
	$(CC) -std=c99 -pedantic $(CPPFLAGS) $(BASE_CFLAGS) -DNN_DSP_EMULATE -c $< -o $@
$(B)/libnncore_dsp.a: $(CORE_DSP_OBJS)
	$(AR) rcs $@ $^
$(B)/tests/unit/core/check_kernels_dsp: $(B)/tests/unit/core/check_kernels.o $(CORE_TEST_LIB_OBJS) $(B)/libnncore_dsp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,check) -lm
ifneq ($(wildcard tests/unit/core/check_kernels.c),)
UNIT_TESTS += $(B)/tests/unit/core/check_kernels_dsp
endif
