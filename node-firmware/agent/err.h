/*
 * err: the agent's error codes. Every agent function returning int gives 0 (or a
 * count) on success and a negative AGENT_E* code on failure; agent_strerror()
 * names it. Port (PORT_E*), wire (WIRE_E*) and core (NN_E*) codes that reach the
 * agent are mapped to these at the call site, so one table covers the agent.
 */
#ifndef TF_AGENT_ERR_H
#define TF_AGENT_ERR_H

enum agent_err {
	AGENT_OK = 0,
	AGENT_EINVAL = -1,   /* bad argument or configuration from the caller */
	AGENT_EIO = -2,      /* flash or link I/O failed in the port */
	AGENT_ENOSPC = -3,   /* flash region or buffer too small */
	AGENT_ECORRUPT = -4, /* flash contents fail their CRC, magic or SHA-256 */
	AGENT_ENOENT = -5,   /* nothing stored (empty slot, no state record) */
	AGENT_EFULL = -6,    /* outbox full and nothing may be dropped */
	AGENT_EMODEL = -7,   /* the inference core refused the model */
	AGENT_ENOMEM = -8,   /* the arena is too small for the model */
	AGENT_EWIRE = -9,    /* frame seal/open or message codec failed */
	AGENT_EHALTED = -10, /* the agent asked the port for a reset and stopped */
	AGENT_ESENSOR = -11, /* the sensor gave no sample */
	AGENT__ERR_MIN = -12
};

/* Constant text for an AGENT_E* code. */
const char *agent_strerror(int err);

#endif
