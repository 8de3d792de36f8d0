# node-firmware/ports/cortex-m: node.elf, the node firmware for a Cortex-M4F
# (QEMU mps2-an386; memory sized for the part named in docs/CORTEX-M.md), the
# boot smoke image, the instruction-count bench images and the host
# provisioning tool.
#
#   make firmware          node.elf (+ .bin, map, size), built-in model embedded
#   make run-firmware      one node in QEMU against a running daemon
#   make bench-cortex-m    instructions per inference on the M4 (QEMU icount)
#
# Knobs: CM_MODEL=path.tflite embeds that model as the built-in one (e.g. one of
# ../shared/models) instead of the generated test model; CM_CORE_OPT is the
# core's optimisation level (speed) while everything else is built -Os.
#
# The firmware gets its own objects (hard-float ABI, FPU on), separate from the
# soft-float $(B)/m4 libraries the top-level Makefile builds as a portability
# check: the two ABIs cannot be linked together.

CM_DIR := node-firmware/ports/cortex-m
CM_B := $(B)/cm4
CM_CC := $(CROSS)gcc
CM_ARCH := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
CM_CORE_OPT ?= -O2
CM_CFLAGS := -std=c99 -pedantic $(CM_ARCH) -g -ffunction-sections -fdata-sections \
	$(WARN) -Inode-firmware -MMD -MP
CM_LDFLAGS := $(CM_ARCH) -nostartfiles --specs=nano.specs -Wl,--gc-sections \
	-Wl,--no-warn-rwx-segments -L$(CM_DIR)

$(CM_B)/%.o: %.c
	@mkdir -p $(@D)
	$(CM_CC) $(CM_CFLAGS) -Os $(CM_EXTRA_CFLAGS) -c $< -o $@
$(CM_B)/node-firmware/core/%.o: node-firmware/core/%.c
	@mkdir -p $(@D)
	$(CM_CC) $(CM_CFLAGS) $(CM_CORE_OPT) -c $< -o $@
# Startup runs before .data/.bss exist: no memcpy/memset calls may appear in it.
$(CM_B)/$(CM_DIR)/startup.o: CM_EXTRA_CFLAGS += -fno-tree-loop-distribute-patterns

CM_BOARD_OBJS := $(addprefix $(CM_B)/$(CM_DIR)/,startup.o board.o uart.o)
CM_CORE_OBJS := $(CORE_SRCS:%.c=$(CM_B)/%.o)
CM_WIRE_OBJS := $(WIRE_SRCS:%.c=$(CM_B)/%.o)
CM_AGENT_OBJS := $(AGENT_SRCS:%.c=$(CM_B)/%.o)
CM_LDS := $(CM_DIR)/sections.ld

# ---- boot smoke image ----
CM_SMOKE := $(CM_B)/smoke.elf
$(CM_SMOKE): $(CM_BOARD_OBJS) $(CM_B)/$(CM_DIR)/smoke.o $(CM_DIR)/bench.ld $(CM_LDS)
	$(CM_CC) $(CM_LDFLAGS) -T bench.ld -Wl,-Map=$@.map -o $@ $(filter %.o,$^)

INTEGRATION_DEPS += $(CM_SMOKE)
M4_LIBS += $(CM_SMOKE)

FORMAT_FILES += $(wildcard $(CM_DIR)/*.c $(CM_DIR)/*.h $(CM_DIR)/tools/*.c)

# ---- bench images: one per model, built by tools/bench.sh ----
# make CM_BENCH_NAME=kws CM_BENCH_MODEL=../shared/.../kws.tflite $(CM_B)/bench/kws.elf
CM_BENCH_OBJS := $(CM_BOARD_OBJS) $(CM_B)/$(CM_DIR)/bench.o $(CM_CORE_OBJS)
ifneq ($(CM_BENCH_NAME),)
$(CM_B)/bench/$(CM_BENCH_NAME).model.o: $(CM_DIR)/model.S $(CM_BENCH_MODEL)
	@mkdir -p $(@D)
	$(CM_CC) $(CM_ARCH) -DCM_MODEL_FILE='"$(abspath $(CM_BENCH_MODEL))"' -c $< -o $@
$(CM_B)/bench/$(CM_BENCH_NAME).elf: $(CM_BENCH_OBJS) $(CM_B)/bench/$(CM_BENCH_NAME).model.o \
		$(CM_DIR)/bench.ld $(CM_LDS)
	$(CM_CC) $(CM_LDFLAGS) -T bench.ld -Wl,-Map=$@.map -o $@ $(filter %.o,$^)
endif

# Objects of the bench image, built by `make all` so -Werror breakage shows early.
M4_LIBS += $(CM_B)/$(CM_DIR)/bench.o $(CM_CORE_OBJS)

.PHONY: bench-cortex-m
bench-cortex-m: $(CM_BENCH_OBJS)
	@B=$(B) CROSS=$(CROSS) $(CM_DIR)/tools/cm-bench
BENCH_TARGETS += bench-cortex-m
