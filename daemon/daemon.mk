# daemon/: tinyfleetd, the gateway daemon (one libuv loop). Every daemon/*.c is
# part of it; main.c holds main() and is left out of the unit tests, which link
# all the other daemon objects so a test can drive any module directly.
DAEMON_PKGS := libuv sqlite3 libmosquitto libprotobuf-c libsodium libsystemd inih
DAEMON_SRCS := $(wildcard daemon/*.c)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/%.o)
DAEMON_LIB_OBJS := $(filter-out $(B)/daemon/main.o,$(DAEMON_OBJS))
DAEMON_LIBS = $(call pc_libs,$(DAEMON_PKGS))

$(B)/daemon/%.o: EXTRA_CFLAGS += $(call pc_cflags,$(DAEMON_PKGS))
# Daemon sources include the generated protobuf-c headers: generate them first.
$(DAEMON_OBJS): | $(PROTO_HDRS)

$(B)/tinyfleetd: $(DAEMON_OBJS) $(PROTO_OBJS) $(LIBWIRE)
	$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS) -lm
PROGRAMS += $(B)/tinyfleetd

FORMAT_FILES += $(DAEMON_SRCS) $(wildcard daemon/*.h)

# Unit tests: tests/unit/daemon/check_<module>.c, linked with every daemon object
# except main.o, the test stubs (tests/stubs/*.c) and Check.
DAEMON_TEST_SRCS := $(wildcard tests/unit/daemon/check_*.c)
# Other .c files there (test helpers such as the fault-injecting SQLite VFS) are
# linked into every daemon test.
DAEMON_TEST_LIB_SRCS := $(filter-out $(DAEMON_TEST_SRCS),$(wildcard tests/unit/daemon/*.c))
DAEMON_TEST_LIB_OBJS := $(DAEMON_TEST_LIB_SRCS:%.c=$(B)/%.o)
DAEMON_TESTS := $(DAEMON_TEST_SRCS:%.c=$(B)/%)
DAEMON_STUB_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard tests/stubs/*.c))
UNIT_TESTS += $(DAEMON_TESTS)
FORMAT_FILES += $(DAEMON_TEST_SRCS) $(DAEMON_TEST_LIB_SRCS) $(wildcard tests/unit/daemon/*.h)
$(B)/tests/unit/daemon/%.o: EXTRA_CFLAGS += -Idaemon $(call pc_cflags,$(DAEMON_PKGS) check)
$(DAEMON_TEST_SRCS:%.c=$(B)/%.o) $(DAEMON_TEST_LIB_OBJS): | $(PROTO_HDRS)
$(B)/tests/unit/daemon/%: $(B)/tests/unit/daemon/%.o $(DAEMON_LIB_OBJS) $(DAEMON_STUB_OBJS) \
		$(DAEMON_TEST_LIB_OBJS) \
		$(PROTO_OBJS) $(LIBWIRE)
	$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS) $(CHECK_LIBS) -lutil -lm

# tests/tools/tf-sender: a deterministic node simulator speaking frames through
# wire/ (integration tests, the ingest benchmark).
TF_SENDER := $(B)/tests/tools/tf-sender
$(TF_SENDER): $(B)/tests/tools/tf-sender.o $(LIBWIRE)
	$(CC) $(LDFLAGS) -o $@ $^
INTEGRATION_DEPS += $(TF_SENDER) $(B)/tinyfleetd
FORMAT_FILES += tests/tools/tf-sender.c

# tests/tools/tf-sqlite-bench: SQLite's batched insert ceiling (make bench).
TF_SQLITE_BENCH := $(B)/tests/tools/tf-sqlite-bench
$(B)/tests/tools/tf-sqlite-bench.o: EXTRA_CFLAGS += $(call pc_cflags,sqlite3)
$(TF_SQLITE_BENCH): $(B)/tests/tools/tf-sqlite-bench.o
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,sqlite3)
FORMAT_FILES += tests/tools/tf-sqlite-bench.c

# tests/tools/tf-json-bench: the per-reading JSON (mqtt_json_inference) alone;
# run it under callgrind for instructions per reading (docs/MQTT.md, figures).
TF_JSON_BENCH := $(B)/tests/tools/tf-json-bench
$(B)/tests/tools/tf-json-bench.o: EXTRA_CFLAGS += -Idaemon $(call pc_cflags,$(DAEMON_PKGS))
$(B)/tests/tools/tf-json-bench.o: | $(PROTO_HDRS)
$(TF_JSON_BENCH): $(B)/tests/tools/tf-json-bench.o $(DAEMON_LIB_OBJS) $(PROTO_OBJS) $(LIBWIRE)
	$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS) -lm
FORMAT_FILES += tests/tools/tf-json-bench.c
.PHONY: bench-mqtt-json
bench-mqtt-json: $(TF_JSON_BENCH)
	@mkdir -p $(B)/bench
	$(TF_JSON_BENCH) -o $(B)/bench/mqtt-json.json
BENCH_TARGETS += bench-mqtt-json

# `make bench`, ingest part: mosquitto + tinyfleetd + tf-sender on loopback,
# figures to $(B)/bench/ingest.json (tests/bench/ingest says how).
.PHONY: bench-ingest
bench-ingest: $(B)/tinyfleetd $(TF_SENDER) $(TF_SQLITE_BENCH)
	@B=$(B) tests/bench/ingest
BENCH_TARGETS += bench-ingest

# Fuzzing: tests/fuzz/fuzz_daemon_codec.c against the daemon's decoder and the
# JSON built from what it accepts (clang, libFuzzer, ASan + UBSan).
DAEMON_FUZZ := $(B)/fuzz/bin/fuzz_daemon_codec
FUZZ_TARGETS += $(DAEMON_FUZZ)
FORMAT_FILES += tests/fuzz/fuzz_daemon_codec.c
$(B)/fuzz/tests/fuzz/fuzz_daemon_codec.o: FUZZ_CFLAGS += -Idaemon
$(B)/fuzz/tests/fuzz/fuzz_daemon_codec.o $(B)/fuzz/daemon/codec.o: | $(PROTO_HDRS)
$(DAEMON_FUZZ): $(B)/fuzz/tests/fuzz/fuzz_daemon_codec.o $(B)/fuzz/daemon/codec.o \
		$(PROTO_GEN_C:%.c=$(B)/fuzz/%.o)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_LDFLAGS) -o $@ $^ $(call pc_libs,libprotobuf-c)
