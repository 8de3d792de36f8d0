# proto/: the protocol and control messages. protobuf-c code is generated at build
# time into $(B)/gen and never committed.
PROTO_FILES := $(wildcard proto/tinyfleet/v1/*.proto)
PROTO_GEN_C := $(PROTO_FILES:proto/%.proto=$(B)/gen/%.pb-c.c)
PROTO_HDRS := $(PROTO_GEN_C:.c=.h)
PROTO_OBJS := $(PROTO_GEN_C:%.c=%.o)

$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/gen
	protoc-c --c_out=$(B)/gen -Iproto $<

# Generated code is not ours to lint: compile it without -Werror's extra checks.
$(PROTO_OBJS): %.o: %.c
	$(CC) $(CSTD) -I$(B)/gen $(OPT) -g $(SAN_FLAGS) -MMD -MP -c $< -o $@
