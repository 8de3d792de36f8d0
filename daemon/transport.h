/*
 * transport: how frames reach the daemon. Each kind of link (udp, serial) is a
 * struct transport_ops vtable in its own file; transport.c keeps the table by
 * name (SQLite VFS, mosquitto mux style). A transport hands every received
 * frame to rx(arg, ...) with the peer it came from, and sends frames to a
 * peer. Work per loop wakeup is bounded inside each transport.
 */
#ifndef TF_DAEMON_TRANSPORT_H
#define TF_DAEMON_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

struct transport;

/* Where a frame came from, and where the answer goes. */
struct transport_peer {
	struct transport *t;          /* the link */
	struct sockaddr_storage addr; /* udp: the sender; serial: unused */
	socklen_t addr_len;
};

/* Called once per received frame; frame is valid (and writable) until it returns. */
typedef void (*transport_rx_cb)(void *arg, uint8_t *frame, size_t len,
                                const struct transport_peer *from);

struct transport_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_errors;
	uint64_t rx_errors; /* malformed framing (COBS), oversize, read errors */
	uint64_t reopens;   /* serial: device reopened */
	int up;             /* 1 = open and receiving */
};

struct transport_ops {
	const char *name;
	/*
	 * Opens a link described by spec ("0.0.0.0:5684", "/dev/ttyUSB0").
	 * opts is the struct config (transports read their section). Returns
	 * 0 and *ret, or a negative errno (nothing left open).
	 */
	int (*open)(uv_loop_t *loop, const char *spec, const void *opts, transport_rx_cb rx,
	            void *arg, struct transport **ret);
	/* Sends one frame; 0 or a negative errno. Never blocks. */
	int (*send)(struct transport *t, const struct transport_peer *to, const uint8_t *frame,
	            size_t len);
	/* Closes the handles; memory goes in their close callbacks. */
	void (*close)(struct transport *t);
	void (*stats)(const struct transport *t, struct transport_stats *ret);
};

/* Every transport begins with this (SQLite's `pMethod` first-member idiom). */
struct transport {
	const struct transport_ops *ops; /* always the first member */
	char spec[256];                  /* what was opened, for logs */
};

extern const struct transport_ops transport_udp_ops;
extern const struct transport_ops transport_serial_ops;

/* Looks a transport kind up by name ("udp", "serial"); NULL if unknown. */
const struct transport_ops *transport_find(const char *name);

static inline int
transport_send(const struct transport_peer *to, const uint8_t *frame, size_t len)
{
	return to->t->ops->send(to->t, to, frame, len);
}

#endif
