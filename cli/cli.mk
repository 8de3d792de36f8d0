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
