/*
 * ctl_client.h: tinyfleetctl's side of the control socket (docs/PROTOCOL.md,
 * "Control socket"), the option parsing every daemon command shares, and
 * the entry points of the daemon command groups.
 *
 * Socket path, first that applies: --socket PATH, $TINYFLEET_SOCKET,
 * /run/tinyfleet/control.sock when it exists (the service), else
 * ./control.sock (tinyfleetd run by hand keeps it next to its database).
 * A connection that fails exits 3 with a message naming the socket and why.
 */
#ifndef TF_CLI_CTL_CLIENT_H
#define TF_CLI_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinyfleet/v1/control.pb-c.h"

#define CTL_SERVICE_SOCKET "/run/tinyfleet/control.sock"
#define CTL_LOCAL_SOCKET   "control.sock"
#define CTL_ENV_SOCKET     "TINYFLEET_SOCKET"
#define CTL_RESPONSE_MAX   (8u << 20)

typedef Tinyfleet__V1__CtlRequest CtlRequest;
typedef Tinyfleet__V1__CtlResponse CtlResponse;

struct ctl_conn {
	int fd;
	char path[108];
	uint32_t next_id;
	uint8_t *buf;
	size_t cap;
};

/* The socket to use (see above); opt is --socket's value or NULL. */
const char *ctl_socket_path(const char *opt);

/* Connects; on failure prints "cannot reach tinyfleetd at 'PATH': why" and returns CLI_UNREACHABLE. */
int ctl_connect(struct ctl_conn *c, const char *path);
void ctl_close(struct ctl_conn *c);

/* Sends req (version and id filled in). CLI_OK, or CLI_UNREACHABLE with a message. */
int ctl_send(struct ctl_conn *c, CtlRequest *req);

/*
 * Receives one response (*ret: free with ctl_response_free). CLI_OK, or
 * CLI_UNREACHABLE when the daemon closed the connection or sent garbage.
 */
int ctl_recv(struct ctl_conn *c, CtlResponse **ret);
void ctl_response_free(CtlResponse *rsp);

/*
 * Connects, sends req and receives the one answer. An error answer is
 * printed and CLI_FAILED returned (*ret is NULL then).
 */
int ctl_call(const char *socket, CtlRequest *req, CtlResponse **ret);

/*
 * Receives a streamed answer: page(arg, rsp) for each page (more = true)
 * until the end message, whose row count and truncation go to *ret_rows
 * and *ret_truncated (may be NULL). An error answer is printed and
 * CLI_FAILED returned; page's non-CLI_OK result stops the stream.
 */
int ctl_stream(struct ctl_conn *c, int (*page)(void *arg, const CtlResponse *rsp), void *arg,
               uint64_t *ret_rows, bool *ret_truncated);
/* Connects, sends req and runs ctl_stream(). */
int ctl_call_stream(const char *socket, CtlRequest *req,
                    int (*page)(void *arg, const CtlResponse *rsp), void *arg, uint64_t *ret_rows,
                    bool *ret_truncated);

struct json;
/* Writes a JSON text (already valid JSON) as the next value; "" or NULL as null. */
void ctl_json_raw(struct json *j, const char *raw);

/* One row as a JSON object (cmd_nodes.c, cmd_readings.c): shared by the commands and watch. */
void ctl_json_health(struct json *j, const Tinyfleet__V1__CtlHealthRow *h);
void ctl_json_alert(struct json *j, const Tinyfleet__V1__CtlAlert *a);
void ctl_json_reading(struct json *j, const Tinyfleet__V1__CtlReading *r);

/* Prints an error answer; returns CLI_FAILED. */
int ctl_print_error(const CtlResponse *rsp);

/* ---- option parsing shared by the daemon commands ---- */

enum ctl_opt_kind { CTL_OPT_FLAG, CTL_OPT_STR };

struct ctl_opt {
	const char *name; /* "--json" */
	enum ctl_opt_kind kind;
	void *dst; /* bool * or const char ** */
};

/*
 * Parses argv[1..argc) against opts (accepting "--name V" and "--name=V")
 * and collects up to max_pos positional arguments. --help prints usage and
 * sets *ret_help. Returns CLI_OK or CLI_USAGE (message printed).
 */
int ctl_parse(int argc, char **argv, const struct ctl_opt *opts, size_t n_opts, const char *usage,
              const char **pos, size_t max_pos, size_t *ret_npos, bool *ret_help);

/* Parses a decimal in [lo, hi]; CLI_OK or CLI_USAGE (message printed). */
int ctl_parse_u32(const char *what, const char *s, uint32_t lo, uint32_t hi, const char *usage,
                  uint32_t *ret);

/* ---- the daemon command groups (cmd_*.c) ---- */

int cmd_status(int argc, char **argv);
extern const char cmd_status_usage[];
int cmd_nodes(int argc, char **argv);
extern const char cmd_nodes_usage[];
int cmd_readings(int argc, char **argv);
extern const char cmd_readings_usage[];
int cmd_health(int argc, char **argv);
extern const char cmd_health_usage[];
int cmd_watch(int argc, char **argv);
extern const char cmd_watch_usage[];
int cmd_alerts(int argc, char **argv);
extern const char cmd_alerts_usage[];

#endif
