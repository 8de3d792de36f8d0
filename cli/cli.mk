# cli/: tinyfleetctl, the operator CLI (gnu11). It links the inference core
# for the offline `model` tools, and the generated control.proto code with
# protobuf-c for the daemon commands on the control socket.
CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)
CTL := $(B)/tinyfleetctl
PROGRAMS += $(CTL)
$(CLI_OBJS): | $(PROTO_HDRS)
$(CTL): $(CLI_OBJS) $(PROTO_OBJS) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,libprotobuf-c) -lm
FORMAT_FILES += $(CLI_SRCS) $(wildcard cli/*.h)

# make_test_model: writes small .tflite files with the test tree's builder for
# tests/integration/50-cli-model-offline.sh (no ../shared needed).
MAKE_TEST_MODEL := $(B)/tests/tools/make_test_model
$(MAKE_TEST_MODEL): $(B)/tests/tools/make_test_model.o $(B)/tests/unit/core/tflite_builder.o
	$(CC) $(LDFLAGS) -o $@ $^
INTEGRATION_DEPS += $(CTL) $(MAKE_TEST_MODEL)
FORMAT_FILES += tests/tools/make_test_model.c

# make bench (core part): instructions per inference (callgrind, delta of 11
# and 1 invokes), arena bytes and Cortex-M4 .text per op set (read from the
# core's size maps, core.mk) beside TFLM's figures from ../shared/oracle; JSON
# to $(B)/bench/core.json.
.PHONY: bench-core
bench-core: $(CTL) $(CORE_SIZE_MAPS)
	@B=$(B) tests/bench/core-bench
BENCH_TARGETS += bench-core

# ---- control socket (owner: control helper) ----
# fuzz_daemon_control: the control server's framing, decoder, dispatch and
# handlers on garbage, every daemon object built with libFuzzer's clang flags.
CTL_FUZZ := $(B)/fuzz/bin/fuzz_daemon_control
CTL_FUZZ_OBJS := $(B)/fuzz/tests/fuzz/fuzz_daemon_control.o \
	$(filter-out $(B)/fuzz/daemon/main.o,$(DAEMON_SRCS:%.c=$(B)/fuzz/%.o)) \
	$(PROTO_GEN_C:%.c=$(B)/fuzz/%.o) $(WIRE_SRCS:%.c=$(B)/fuzz/%.o)
$(CTL_FUZZ_OBJS): | $(PROTO_HDRS)
$(CTL_FUZZ): $(CTL_FUZZ_OBJS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_LDFLAGS) -o $@ $^ $(DAEMON_LIBS)
FUZZ_TARGETS += $(CTL_FUZZ)
FORMAT_FILES += tests/fuzz/fuzz_daemon_control.c

# check_out: the CLI's output helpers (time parsing, tables), out.o alone.
CTL_UNIT := $(B)/tests/unit/cli/check_out
$(B)/tests/unit/cli/check_out.o: EXTRA_CFLAGS += -Icli $(call pc_cflags,check)
$(CTL_UNIT): $(B)/tests/unit/cli/check_out.o $(B)/cli/out.o
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)
UNIT_TESTS += $(CTL_UNIT)
FORMAT_FILES += tests/unit/cli/check_out.c

# make bench (control part): 10,000 enrolled nodes; `nodes list` and
# `readings --limit 1000` against the 1 s limit (median of 5); JSON to
# $(B)/bench/ctl.json.
.PHONY: bench-ctl
bench-ctl: $(CTL) $(B)/tinyfleetd $(TF_SENDER)
	@B=$(B) tests/bench/ctl-bench
BENCH_TARGETS += bench-ctl
