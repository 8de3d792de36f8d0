# node-firmware/ports/posix: tinyfleet-node, the node firmware for Linux (1 to
# 10,000 simulated nodes on one epoll loop), plus the small test receiver built
# on wire/ (tests/tools/test_receiver.c) and the node benchmark.
POSIX_SRCS := $(wildcard node-firmware/ports/posix/*.c)
POSIX_OBJS := $(POSIX_SRCS:%.c=$(B)/%.o)
$(B)/node-firmware/ports/posix/%.o: CSTD := -std=gnu11
$(B)/node-firmware/ports/posix/builtin_model.o: EXTRA_CFLAGS += -Itests/unit/core
TFLITE_BUILDER_OBJ := $(B)/tests/unit/core/tflite_builder.o

$(B)/tinyfleet-node: $(POSIX_OBJS) $(TFLITE_BUILDER_OBJ) $(LIBAGENT) $(LIBWIRE) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $^ -lm
PROGRAMS += $(B)/tinyfleet-node

# The generated built-in model as a file, for `--model` in tests.
$(B)/builtin-model.tflite: $(B)/tinyfleet-node
	$< --write-model $@

# The test receiver: decrypts, acks cumulatively and selectively, records (node, seq).
$(B)/tests/tools/test_receiver.o: CSTD := -std=gnu11
$(B)/tests/tools/test_receiver: $(B)/tests/tools/test_receiver.o \
		$(B)/node-firmware/ports/posix/provision.o $(LIBWIRE)
	$(CC) $(LDFLAGS) -o $@ $^
INTEGRATION_DEPS += $(B)/tinyfleet-node $(B)/tests/tools/test_receiver $(B)/builtin-model.tflite

FORMAT_FILES += $(POSIX_SRCS) $(wildcard node-firmware/ports/posix/*.h) tests/tools/test_receiver.c

# `make bench-node`: RAM per node at 10,000 nodes and CPU per 1,000 messages,
# median of several runs; JSON to $(B)/bench/node.json.
.PHONY: bench-node
bench-node: $(B)/tinyfleet-node $(B)/tests/tools/test_receiver
	@B=$(B) node-firmware/ports/posix/bench-node.sh
BENCH_TARGETS += bench-node
