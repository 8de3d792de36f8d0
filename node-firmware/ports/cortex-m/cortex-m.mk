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
# Semihosting (logs to QEMU's stderr, exit codes): on for QEMU; 0 for a real
# part without a debugger attached.
CM_SEMIHOSTING ?= 1
CM_CFLAGS := -std=c99 -pedantic $(CM_ARCH) -g -ffunction-sections -fdata-sections \
	$(WARN) -Inode-firmware -MMD -MP $(if $(filter 1,$(CM_SEMIHOSTING)),-DCM_SEMIHOSTING)
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

# The flash HAL's NOR rules checked on the target (linked like node.elf).
CM_SELFTEST := $(CM_B)/selftest.elf
$(CM_SELFTEST): $(CM_BOARD_OBJS) $(CM_B)/$(CM_DIR)/selftest.o $(CM_B)/$(CM_DIR)/flash.o \
		$(CM_DIR)/node.ld $(CM_LDS)
	$(CM_CC) $(CM_LDFLAGS) -T node.ld -Wl,-Map=$@.map -o $@ $(filter %.o,$^)

INTEGRATION_DEPS += $(CM_SMOKE) $(CM_SELFTEST)
M4_LIBS += $(CM_SMOKE) $(CM_SELFTEST)

FORMAT_FILES += $(wildcard $(CM_DIR)/*.c $(CM_DIR)/*.h $(CM_DIR)/tools/*.c)

# ---- bench images: one per model, built by tools/bench.sh ----
# make CM_BENCH_NAME=kws CM_BENCH_MODEL=../shared/.../kws.tflite $(CM_B)/bench/kws.elf
CM_BENCH_OBJS := $(CM_BOARD_OBJS) $(CM_B)/$(CM_DIR)/bench.o $(CM_CORE_OBJS) \
	$(CM_B)/node-firmware/agent/hash.o
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

# ---- node.elf ----
# The built-in model: the test tree's generated model (tests/tools/
# make_test_model, a small conv net; no ../shared needed), or CM_MODEL.
CM_MODEL ?=
CM_BUILTIN := $(if $(CM_MODEL),$(CM_MODEL),$(CM_B)/builtin.tflite)
$(CM_B)/builtin.tflite: $(B)/tests/tools/make_test_model
	@mkdir -p $(@D)
	$< $@ ok >/dev/null
# Rebuild the model object when CM_MODEL names another file.
$(CM_B)/builtin.path: FORCE_CM
	@mkdir -p $(@D)
	@echo '$(abspath $(CM_BUILTIN))' | cmp -s - $@ || echo '$(abspath $(CM_BUILTIN))' >$@
.PHONY: FORCE_CM
FORCE_CM:
$(CM_B)/builtin-model.o: $(CM_DIR)/model.S $(CM_BUILTIN) $(CM_B)/builtin.path
	$(CM_CC) $(CM_ARCH) -DCM_MODEL_FILE='"$(abspath $(CM_BUILTIN))"' -c $< -o $@

CM_NODE_SRCS := node.c flash.c sensor.c provision.c
CM_NODE_OBJS := $(CM_NODE_SRCS:%.c=$(CM_B)/$(CM_DIR)/%.o)
CM_NODE := $(CM_B)/node.elf
$(CM_NODE): $(CM_BOARD_OBJS) $(CM_NODE_OBJS) $(CM_B)/builtin-model.o $(CM_AGENT_OBJS) \
		$(CM_WIRE_OBJS) $(CM_CORE_OBJS) $(CM_DIR)/node.ld $(CM_LDS)
	$(CM_CC) $(CM_LDFLAGS) -T node.ld -Wl,-Map=$@.map -o $@ $(filter %.o,$^)
	@if $(CROSS)nm $@ | grep -qwE 'malloc|_malloc_r|free|calloc|realloc|printf|sprintf|snprintf|vsnprintf|puts|_sbrk|_write|_read'; then \
		echo "$@: malloc/stdio symbol in the image:"; $(CROSS)nm $@ | grep -wE 'malloc|_malloc_r|free|calloc|realloc|printf|sprintf|snprintf|vsnprintf|puts|_sbrk|_write|_read'; rm -f $@; exit 1; fi
$(CM_NODE:.elf=.bin): $(CM_NODE)
	$(CROSS)objcopy -O binary $< $@

# Host tools: provisioning (patches node id and key into a copy of node.elf)
# and the agent's flash layout for this part.
$(B)/$(CM_DIR)/tools/%.o: CSTD := -std=gnu11
CM_PROVISION := $(B)/cm-provision
$(CM_PROVISION): $(B)/$(CM_DIR)/tools/cm-provision.o $(LIBAGENT)
	$(CC) $(LDFLAGS) -o $@ $^
$(B)/$(CM_DIR)/tools/cm-layout.o: EXTRA_CFLAGS += -DCM_STORE_BYTES=786432u
$(CM_B)/cm-layout: $(B)/$(CM_DIR)/tools/cm-layout.o $(LIBAGENT) $(LIBWIRE) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

.PHONY: size-firmware
size-firmware: $(CM_NODE)
	@echo "node.elf (Cortex-M4F, 1 MiB flash / 256 KiB RAM part):"
	@$(CROSS)size $(CM_NODE) | tail -n 1 | awk '{ printf "  .text %s  .data %s  .bss %s\n", $$1, $$2, $$3 }'
SIZE_TARGETS += size-firmware

.PHONY: firmware
firmware: $(CM_NODE) $(CM_NODE:.elf=.bin) $(CM_PROVISION) $(CM_B)/cm-layout
	@echo "node.elf for a Cortex-M4F with 1 MiB flash / 256 KiB RAM (nRF52840 class):"
	@$(CROSS)size $(CM_NODE)
	@$(CM_B)/cm-layout | tail -n 1

M4_LIBS += $(CM_NODE)
PROGRAMS += $(CM_PROVISION)
INTEGRATION_DEPS += $(CM_NODE) $(CM_PROVISION) $(CM_B)/cm-layout

# `make run-firmware CM_ENROLLED=prov.txt [CM_NODE_ID=N] [CM_TTY=path |
# CM_SOCKET=path | CM_TCP=port]`: one node in QEMU against a running daemon.
.PHONY: run-firmware
run-firmware: firmware
	@B=$(B) $(CM_DIR)/tools/cm-run --enrolled "$(CM_ENROLLED)" $(if $(CM_NODE_ID),--node $(CM_NODE_ID)) \
		$(if $(CM_TTY),--tty $(CM_TTY)) $(if $(CM_SOCKET),--socket $(CM_SOCKET)) \
		$(if $(CM_TCP),--tcp $(CM_TCP)) $(if $(CM_INFERENCE_MS),--inference-ms $(CM_INFERENCE_MS)) \
		$(if $(CM_HEALTH_MS),--health-ms $(CM_HEALTH_MS))
