/*
 * control: the daemon's control socket, what tinyfleetctl talks to.
 *
 * A Unix stream socket (mode 0660) on the daemon's loop. Each message is a
 * 4-byte big-endian length and a protobuf message of
 * proto/tinyfleet/v1/control.proto: CtlRequest in, CtlResponse out. Every
 * request is answered once; lists and query windows stream in pages
 * (more = true) closed by an explicit CtlEnd. docs/PROTOCOL.md, "Control
 * socket", is the contract.
 *
 * Who may do what comes from the peer's credentials (SO_PEERCRED and
 * SO_PEERGROUPS), never from the request: root, the daemon's own user and
 * members of the configured admin group may change things; members of the
 * socket's group may read. A refusal is answered with CTL_ERR_PERMISSION and
 * logged.
 *
 * Hostile or broken clients cannot hurt the data path: requests have a size
 * limit, clients a count limit, every client a bounded write queue. Pages are
 * produced only while the client's queue is short, one page per client per
 * loop turn; a client whose queue makes no progress for CONTROL_STALL_MS, or
 * overflows CONTROL_QUEUE_MAX (watch), is dropped; so is one that asks
 * nothing for CONTROL_IDLE_MS (a watch is never idle). Reads run on a second,
 * read-only database connection (store_read.h); changes go through the
 * writer (store.h, enroll.h) between group commits.
 */
#ifndef TF_DAEMON_CONTROL_H
#define TF_DAEMON_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "config.h"

#define CONTROL_PROTOCOL      1
#define CONTROL_REQUEST_MAX   (4u << 20)   /* bytes of one request (an import CSV) */
#define CONTROL_CLIENTS_MAX   32           /* connected clients */
#define CONTROL_QUEUE_MAX     (2u << 20)   /* bytes queued to one client before it is dropped */
#define CONTROL_QUEUE_HIGH    (256u << 10) /* pages are produced while less is queued */
#define CONTROL_PAGE_DEFAULT  256          /* rows per page */
#define CONTROL_PAGE_MAX      2000
#define CONTROL_LIMIT_DEFAULT 100    /* rows of readings/health/alerts by default */
#define CONTROL_STALL_MS      5000   /* a queue that does not move for this long: drop */
#define CONTROL_TICK_MS       250    /* watch polling, stall checks, rate samples */
#define CONTROL_IDLE_MS       600000 /* a client that asks nothing this long is dropped */
#define CONTROL_GROUPS_MAX    64     /* supplementary groups of a peer that are looked at */

struct store;
struct session;
struct ingest;
struct mqtt;
struct control;
struct control_client;

/* What the control server uses; all borrowed, all must outlive it (mqtt may be NULL). */
struct control_deps {
	uv_loop_t *loop;
	struct store *store;
	struct session *sess;
	struct ingest *ingest;
	struct mqtt *mqtt;
};

/* A peer's credentials. */
struct control_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t groups[CONTROL_GROUPS_MAX];
	size_t n_groups;
};

enum control_role {
	CONTROL_ROLE_NONE = 0,  /* may not use the socket */
	CONTROL_ROLE_READ = 1,  /* queries only */
	CONTROL_ROLE_ADMIN = 2, /* queries and changes */
};

/* Who the daemon is, for control_peer_role(). */
struct control_policy {
	uid_t self_uid;  /* the daemon's effective uid: its own user is admin */
	gid_t sock_gid;  /* the socket file's group: its members may read */
	gid_t admin_gid; /* members may change things */
	bool have_admin; /* admin_gid is set */
};

/*
 * Creates the server: binds cfg's control_socket (or the default, see
 * control_default_path()), mode 0660, replacing a stale socket file but
 * refusing to take over one a live daemon answers on. cfg is only read
 * during the call (what is needed is copied). Returns 0 or a negative errno;
 * on failure nothing is left behind.
 */
int control_new(const struct control_deps *deps, const struct config *cfg, struct control **ret);

/*
 * Closes the socket and every client, and frees the server (memory goes in
 * the handles' close callbacks, so run the loop afterwards). Accepts NULL.
 */
void control_free(struct control *c);

/* The socket path in use. */
const char *control_path(const struct control *c);

/*
 * The socket path when the config leaves it empty: $RUNTIME_DIRECTORY
 * (systemd's RuntimeDirectory=, i.e. /run/tinyfleet)/control.sock when set,
 * else control.sock next to the database. Returns 0 or -ENAMETOOLONG.
 */
int control_default_path(const char *runtime_dir, const char *db_path, char *buf, size_t size);

/* ---- pure pieces, exported for the unit tests ---- */

/* What the peer may do under policy. */
enum control_role control_peer_role(const struct control_peer *peer,
                                    const struct control_policy *policy);

/*
 * Looks at the start of a receive buffer: returns 1 and *ret_len (the body
 * length) when a whole frame is there, 0 when more bytes are needed, or
 * -EMSGSIZE when the announced length exceeds max.
 */
int control_frame_parse(const uint8_t *buf, size_t len, size_t max, size_t *ret_len);

/* Writes the 4-byte big-endian length prefix. */
void control_frame_put_len(uint8_t hdr[4], uint32_t len);

/*
 * A client without a socket (tests and the fuzzer): its answers go to
 * sink(arg, frame, len), one whole frame (prefix included) per call. Feed
 * it bytes with control_client_feed(); control_client_pump() produces
 * pending pages until none is left (returns the number produced).
 */
int control_client_new_detached(struct control *c, const struct control_peer *peer,
                                void (*sink)(void *arg, const uint8_t *frame, size_t len),
                                void *arg, struct control_client **ret);
/* Returns 0, or -EPIPE once the server decided to drop this client. */
int control_client_feed(struct control_client *cl, const uint8_t *data, size_t len);
size_t control_client_pump(struct control_client *cl);
/*
 * Frees a detached client. control_free() frees the ones still connected;
 * one the server dropped (feed returned -EPIPE) must be freed here.
 */
void control_client_free_detached(struct control_client *cl);

/*
 * The server on a database, without a socket or a loop's handles (tests and
 * the fuzzer). path_or_null: NULL = bind nothing.
 */
int control_new_unbound(const struct control_deps *deps, const struct config *cfg,
                        struct control **ret);

#endif
