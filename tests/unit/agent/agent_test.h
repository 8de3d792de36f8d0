/*
 * agent_test: helpers shared by the agent's unit tests: booting an agent on the
 * mock port with the built-in model, opening captured frames, sealing gateway
 * messages.
 */
#ifndef TF_TESTS_AGENT_TEST_H
#define TF_TESTS_AGENT_TEST_H

#include <stdint.h>

#include "agent/agent.h"
#include "mock_port.h"
#include "wire/msg.h"

#define AT_NODE_ID 4242u

extern const uint8_t at_key[32];

/* Fills params for the mock node with the built-in model and a static arena. */
void at_params(struct agent_params *p);

/* agent_init() with at_params(). */
int at_boot(struct agent *a, struct mock_port *m);

/* Opens captured frame i: returns 0 and the message, or a negative code. */
int at_open(const struct mock_port *m, int i, struct wire_node_msg *ret, uint64_t *ret_counter);

/* Seals a gateway message for the node with counter ctr into frame; returns its length. */
int at_seal_gw(const struct wire_gw_msg *msg, uint64_t ctr, uint8_t *frame);

/* Finds the first captured frame of a type from index `from`; -1 if none. */
int at_find(const struct mock_port *m, int from, enum wire_node_msg_type type,
            struct wire_node_msg *ret);

/* The built-in model's bytes (built once per process). */
const uint8_t *at_model(size_t *ret_len);

#endif
